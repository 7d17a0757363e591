//! Shared domain types of Palisade: the vocabulary every stage of the request path speaks.
//!
//! This crate holds no I/O and no HTTP. Domain crates (identity, policy, inspect, behavior,
//! audit, ...) depend on it and on nothing of each other, so the gateway can wire them in the
//! order of DESIGN.md §2 without cycles.

pub mod audit_event;
pub mod clock;
pub mod data_class;
pub mod decision;
pub mod dsse;
pub mod exchange;
pub mod finding;
pub mod fixtures;
pub mod identity;
pub mod stages;

pub use audit_event::{AuditEvent, AuditOutcome};
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use data_class::{DataClass, DestinationClass};
pub use decision::{Decision, Effect};
pub use exchange::{ApiKind, Exchange, LeafKind, TextLeaf};
pub use finding::{Confidence, Finding, Severity};
pub use identity::{Identity, IdentityKind, IdentityStatus, SegmentName, SpiffeId, SpiffeIdError};
pub use stages::{
    AnomalyScore, AppendDone, AuditFailure, AuditSink, AuthFailure, Authenticator, Authorizer,
    AuthzContext, BehaviorAction, BehaviorScorer, ClientFacts, ContentAction, DocExposure,
    Inspection, Inspector, Observation, Redaction, RefusedBy, RequestCredentials, ResourceRef,
    StreamRelease, StreamScanner,
};
