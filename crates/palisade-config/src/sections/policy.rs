//! The `[policy]` section: the policy engine's own strict config type
//! (`palisade_policy::PolicyConfig`), defined once in that crate. Relative paths are resolved
//! against the config file's directory at validation.

pub use palisade_policy::PolicyConfig as PolicySection;
