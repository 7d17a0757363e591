//! Development stage implementations. Their names say what they are; the constructors check the
//! config so they cannot be wired into a gateway that was configured to authenticate.

use palisade_config::{AuthConfig, AuthMode};
use palisade_core::{
    AppendDone, AuditEvent, AuditSink, AuthFailure, Authenticator, Authorizer, AuthzContext,
    Decision, Effect, Identity, IdentityKind, IdentityStatus, RequestCredentials, ResourceRef,
    SpiffeId,
};
use parking_lot::Mutex;

/// A development stage was asked for while the config requires real authentication.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0} is only allowed with `[auth] mode = \"none\"`")]
pub struct DevModeRefused(&'static str);

fn require_none(auth: &AuthConfig, what: &'static str) -> Result<(), DevModeRefused> {
    match auth.mode {
        AuthMode::None => Ok(()),
        #[allow(unreachable_patterns)] // More modes arrive with the identity stage.
        _ => Err(DevModeRefused(what)),
    }
}

/// Lets every caller through as `spiffe://dev.local/dev/anonymous`. Development only.
#[derive(Debug)]
pub struct DevOpenAuthenticator {
    identity: Identity,
}

impl DevOpenAuthenticator {
    /// Only with `[auth] mode = "none"`.
    pub fn new(auth: &AuthConfig) -> Result<Self, DevModeRefused> {
        require_none(auth, "DevOpenAuthenticator")?;
        let id = SpiffeId::new("dev.local", "dev", "anonymous")
            .map_err(|_| DevModeRefused("DevOpenAuthenticator"))?;
        Ok(Self {
            identity: Identity {
                segment: id.segment().to_owned(),
                id,
                kind: IdentityKind::Agent,
                owner: "development".into(),
                scopes: vec!["*".into()],
                status: IdentityStatus::Active,
                attestation_kinds: Vec::new(),
                token_age_secs: 0,
            },
        })
    }
}

impl Authenticator for DevOpenAuthenticator {
    fn authenticate(&self, _creds: &RequestCredentials<'_>) -> Result<Identity, AuthFailure> {
        Ok(self.identity.clone())
    }
}

/// Permits every call under the policy id `dev-allow-all`. Development only.
#[derive(Debug)]
pub struct AllowAllAuthorizer(());

impl AllowAllAuthorizer {
    /// Only with `[auth] mode = "none"`.
    pub fn new(auth: &AuthConfig) -> Result<Self, DevModeRefused> {
        require_none(auth, "AllowAllAuthorizer")?;
        Ok(Self(()))
    }
}

impl Authorizer for AllowAllAuthorizer {
    fn authorize(&self, _p: &Identity, _a: &str, _r: &ResourceRef, _c: &AuthzContext) -> Decision {
        Decision {
            effect: Effect::Allow,
            policy_ids: vec!["dev-allow-all".into()],
            errors: Vec::new(),
        }
    }
}

/// How many recent events the in-memory sink keeps: bounded, so a long-running development
/// gateway does not grow without limit.
const MEMORY_AUDIT_CAPACITY: usize = 10_000;

/// Keeps the most recent audit events in memory and logs each one (metadata only). Not durable,
/// not tamper-evident: development and tests only.
#[derive(Debug, Default)]
pub struct MemoryAuditSink {
    events: Mutex<(std::collections::VecDeque<AuditEvent>, u64)>,
}

impl MemoryAuditSink {
    /// A copy of the retained events (the most recent 10,000), oldest first.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events.lock().0.iter().cloned().collect()
    }
}

impl AuditSink for MemoryAuditSink {
    fn append(&self, event: AuditEvent, done: AppendDone) {
        tracing::info!(target: "palisade::audit", request_id = %event.request_id, action = %event.action,
            resource = ?event.resource, upstream = ?event.upstream, decision = ?event.decision, status = event.status, "audit");
        let index = {
            let mut guard = self.events.lock();
            let (events, total) = &mut *guard;
            if events.len() >= MEMORY_AUDIT_CAPACITY {
                events.pop_front();
            }
            events.push_back(event);
            *total += 1;
            *total - 1
        };
        done(Ok(index));
    }
}
