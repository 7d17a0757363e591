//! `Permitted<T>`: proof in the type system that stage 7 allowed a value. Its constructor is
//! private to this crate, so code downstream of the policy stage (routing, the upstream client)
//! can demand a `Permitted<Exchange>` and an unchecked request cannot reach it.

use palisade_core::Decision;

/// A value that policy permitted. Only this crate can build one, so a request path that takes
/// `Permitted<Exchange>` cannot forward an exchange that skipped authorization.
#[derive(Debug)]
pub struct Permitted<T> {
    inner: T,
    decision: Decision,
}

impl<T> Permitted<T> {
    /// The permitted value.
    pub fn get(&self) -> &T {
        &self.inner
    }
    /// The allow decision (policy ids for the audit record).
    pub fn decision(&self) -> &Decision {
        &self.decision
    }
    /// Unwraps into the value and its decision.
    pub fn into_parts(self) -> (T, Decision) {
        (self.inner, self.decision)
    }
}

impl<T> Permitted<T> {
    /// Only the engine builds these, from an allow decision.
    pub(crate) fn new(inner: T, decision: Decision) -> Self {
        debug_assert!(decision.is_allowed());
        Self { inner, decision }
    }
}
