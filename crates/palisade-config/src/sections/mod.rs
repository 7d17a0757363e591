//! Sections owned by later stages; each lives in its own file so it can grow independently.

pub mod attest;
pub mod audit;
pub mod behavior;
pub mod identity;
pub mod inspect;
pub mod policy;

pub use attest::AttestSection;
pub use audit::AuditSection;
pub use behavior::BehaviorSection;
pub use identity::IdentitySection;
pub use inspect::InspectSection;
pub use policy::PolicySection;
