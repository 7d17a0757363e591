//! The stage implementations the pipeline calls, behind the traits of `palisade_core::stages`.
//! The gateway owns no domain logic: whoever builds `Stages` decides what runs.

use crate::control::ControlPlane;
use palisade_core::{AuditSink, Authenticator, Authorizer, BehaviorScorer, Inspector, SharedClock};
use std::sync::Arc;

/// The request-path stages, in the order the pipeline calls them (DESIGN.md §2).
#[derive(Clone)]
pub struct Stages {
    /// Stage 3.
    pub authenticator: Arc<dyn Authenticator>,
    /// Stages 5 and 9; `None` forwards content uninspected.
    pub inspector: Option<Arc<dyn Inspector>>,
    /// Stage 6; `None` scores every call 0.
    pub behavior: Option<Arc<dyn BehaviorScorer>>,
    /// Stage 7.
    pub authorizer: Arc<dyn Authorizer>,
    /// Stage 10.
    pub audit: Arc<dyn AuditSink>,
    /// Time for audit records, observations and the authorization context.
    pub clock: SharedClock,
    /// Enrollment, discovery and admin endpoints (`/v1/enroll*`, `/.well-known/*`, `/admin/*`),
    /// answered before authentication; `None` answers 404 there.
    pub control: Option<Arc<dyn ControlPlane>>,
}

impl std::fmt::Debug for Stages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stages")
            .field("inspector", &self.inspector.is_some())
            .field("behavior", &self.behavior.is_some())
            .field("control", &self.control.is_some())
            .finish_non_exhaustive()
    }
}
