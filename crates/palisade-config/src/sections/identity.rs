//! The `[identity]` section: the identity stage's own strict config type
//! (`palisade_identity::IdentityConfig`), defined once in that crate.

pub use palisade_identity::IdentityConfig as IdentitySection;
