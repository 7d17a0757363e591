//! Content inspection for Palisade (request-path stages 5 and 9): normalization of every text
//! leaf, secret/PII/exact-data-match/marker/canary/protected-document/injection detectors, the
//! streaming scanner with hold-back, and the offline scanner used by `palisade inspect`.

pub mod config;
pub mod detect;
pub mod error;
pub mod hash;
pub mod normalize;
pub mod rules;

pub use config::{ColumnRole, EdmConfig, InspectConfig, RuleFamily};
pub use error::InspectError;
