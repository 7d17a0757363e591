//! Memoized entity slices. Building Cedar entities costs microseconds per call (attribute
//! evaluation and transitive closure), yet they depend only on who calls what, not on the
//! call's context, and callers × resources is a small set. The key covers every input field,
//! so a changed identity (new status, attestation, scopes) is a different key, never a stale hit.

use crate::error::PolicyError;
use crate::request::EntitySlice;
use crate::vocab::ResourceKind;
use palisade_core::{Identity, ResourceRef};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, RwLock};

/// Entries kept before the cache is cleared (bounded memory under churn).
pub(crate) const DEFAULT_CAPACITY: usize = 4096;

/// Bounded memo of entity slices.
#[derive(Debug)]
pub(crate) struct EntityCache {
    map: RwLock<HashMap<String, Arc<EntitySlice>>>,
    capacity: usize,
}

/// Appends one length-prefixed field.
fn field(k: &mut String, v: &str) {
    let _ = write!(k, "{}:{v}|", v.len());
}

/// Appends length-prefixed fields so distinct inputs can never produce the same key. Written
/// straight into one buffer (no per-field `String`s): this runs on every decision.
fn key(principal: &Identity, kind: ResourceKind, resource: &ResourceRef) -> String {
    let mut k = String::with_capacity(160);
    // A SPIFFE id is exactly these three parts, so they identify it without formatting it.
    field(&mut k, principal.id.trust_domain());
    field(&mut k, principal.id.segment());
    field(&mut k, principal.id.name());
    field(&mut k, principal.kind.as_str());
    field(&mut k, &principal.owner);
    field(&mut k, &principal.segment);
    field(&mut k, principal.status.as_str());
    let _ = write!(&mut k, "#{}|", principal.attestation_kinds.len());
    for a in &principal.attestation_kinds {
        field(&mut k, a);
    }
    let _ = write!(&mut k, "#{}|", principal.scopes.len());
    for s in &principal.scopes {
        field(&mut k, s);
    }
    k.push_str(match kind {
        ResourceKind::Model => "model|",
        ResourceKind::Tool => "tool|",
        ResourceKind::McpServer => "mcp_server|",
        ResourceKind::Segment => "segment|",
    });
    field(&mut k, &resource.name);
    field(&mut k, &resource.upstream);
    field(&mut k, &resource.segment);
    field(&mut k, resource.destination.as_str());
    k
}

impl EntityCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            map: RwLock::new(HashMap::new()),
            capacity,
        }
    }

    /// Returns the cached slice or builds, stores and returns it. Build errors are not cached.
    pub(crate) fn get_or_build(
        &self,
        principal: &Identity,
        kind: ResourceKind,
        resource: &ResourceRef,
        build: impl FnOnce() -> Result<EntitySlice, PolicyError>,
    ) -> Result<Arc<EntitySlice>, PolicyError> {
        let k = key(principal, kind, resource);
        // A poisoned lock only means a panic elsewhere; the map itself is always consistent.
        if let Some(hit) = self.map.read().unwrap_or_else(|p| p.into_inner()).get(&k) {
            return Ok(Arc::clone(hit));
        }
        let built = Arc::new(build()?);
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        if map.len() >= self.capacity {
            map.clear();
        }
        map.insert(k, Arc::clone(&built));
        Ok(built)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.read().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::build_entities;
    use crate::vocab::Vocabulary;
    use palisade_core::{DestinationClass, IdentityKind, IdentityStatus};

    fn who(status: IdentityStatus) -> Identity {
        Identity {
            id: "spiffe://t/research/a".parse().unwrap(),
            kind: IdentityKind::Agent,
            owner: "o".into(),
            segment: "research".into(),
            scopes: vec![],
            status,
            attestation_kinds: vec!["sev_snp".into()],
            token_age_secs: 1,
        }
    }

    #[test]
    fn status_change_is_a_new_key_and_capacity_bounds_memory() {
        let v = Vocabulary::new().unwrap();
        let r = ResourceRef {
            name: "m".into(),
            upstream: "u".into(),
            segment: "research".into(),
            destination: DestinationClass::Internal,
        };
        let cache = EntityCache::new(2);
        let get = |id: &Identity| {
            cache
                .get_or_build(id, ResourceKind::Model, &r, || {
                    build_entities(&v, id, ResourceKind::Model, &r, None)
                })
                .unwrap()
        };
        let a = get(&who(IdentityStatus::Active));
        let a2 = get(&who(IdentityStatus::Active));
        assert!(Arc::ptr_eq(&a, &a2));
        let q = get(&who(IdentityStatus::Quarantined));
        assert!(!Arc::ptr_eq(&a, &q));
        assert_eq!(cache.len(), 2);
        let mut other = who(IdentityStatus::Active);
        other.attestation_kinds.clear();
        get(&other);
        assert_eq!(cache.len(), 1, "cleared at capacity");
    }

    #[test]
    fn keys_are_injective_across_field_boundaries() {
        let mut a = who(IdentityStatus::Active);
        let mut b = who(IdentityStatus::Active);
        a.scopes = vec!["x|y".into()];
        b.scopes = vec!["x".into(), "y".into()];
        let r = ResourceRef {
            name: "m".into(),
            upstream: "u".into(),
            segment: "s".into(),
            destination: DestinationClass::Internal,
        };
        assert_ne!(
            key(&a, ResourceKind::Model, &r),
            key(&b, ResourceKind::Model, &r)
        );
        a.scopes.clear();
        a.attestation_kinds = vec!["sev_snp".into(), "x".into()];
        b.scopes = vec!["x".into()];
        b.attestation_kinds = vec!["sev_snp".into()];
        assert_ne!(
            key(&a, ResourceKind::Model, &r),
            key(&b, ResourceKind::Model, &r)
        );
    }
}
