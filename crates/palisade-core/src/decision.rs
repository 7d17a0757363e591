//! The outcome of authorization: allow or deny, with the ids of the policies that decided.

use serde::{Deserialize, Serialize};

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The call may proceed.
    Allow,
    /// The call is refused.
    Deny,
}

/// A policy decision with its reasons. Policy ids are safe to return to callers; policy text is not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Allow or deny.
    pub effect: Effect,
    /// Ids of the policies that permitted (on allow) or forbade (on deny).
    pub policy_ids: Vec<String>,
    /// Evaluation errors, if any (an error always denies).
    pub errors: Vec<String>,
}

impl Decision {
    /// Whether the call may proceed.
    pub fn is_allowed(&self) -> bool {
        self.effect == Effect::Allow
    }

    /// A deny with no deciding policy (default deny or fail-closed).
    pub fn deny(reason: impl Into<String>) -> Self {
        Self {
            effect: Effect::Deny,
            policy_ids: Vec::new(),
            errors: vec![reason.into()],
        }
    }
}
