//! Maps palisade-core types (Identity, ResourceRef, AuthzContext) to a Cedar request and the
//! handful of entities it needs. Built per call, without the schema on the hot path: the schema
//! conformance of this mapping is pinned by a test instead (`built_request_conforms_to_schema`).

use crate::context_use::ContextUse;
use crate::entity_cache::EntityCache;
use crate::error::PolicyError;
use crate::evaluate::FixedOutcomes;
use crate::vocab::{ContextAttr, ResourceKind, Vocabulary};
use cedar_policy::{Context, Entities, Entity, EntityUid, Request, RestrictedExpression, Schema};
use palisade_core::{AuthzContext, Identity, ResourceRef};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The entities of one (principal, resource) pair. They do not depend on the call's context,
/// so the engine memoizes them (see [`crate::entity_cache`]).
#[derive(Debug)]
pub(crate) struct EntitySlice {
    pub(crate) entities: Entities,
    pub(crate) principal: EntityUid,
    pub(crate) resource: EntityUid,
    /// The principal's only ancestor: the key policy slicing uses for `principal in Segment`.
    pub(crate) principal_segment: EntityUid,
    /// The resource's only ancestor, or the resource itself when it is a segment.
    pub(crate) resource_segment: EntityUid,
    /// Outcomes of the context-free policies for this pair, per policy set and action.
    pub(crate) fixed: FixedOutcomes,
}

/// A Cedar request with its entity slice, ready to evaluate against any policy set.
#[derive(Debug)]
pub struct CedarCall {
    pub(crate) request: Request,
    pub(crate) slice: Arc<EntitySlice>,
    pub(crate) action: &'static str,
    pub(crate) action_uid: EntityUid,
}

fn s(v: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(v.to_owned())
}

fn set<'a>(items: impl IntoIterator<Item = &'a str>) -> RestrictedExpression {
    RestrictedExpression::new_set(items.into_iter().map(s))
}

fn long(v: u64) -> RestrictedExpression {
    // Cedar longs are i64; saturate rather than wrap so a huge value never looks small.
    RestrictedExpression::new_long(i64::try_from(v).unwrap_or(i64::MAX))
}

/// The anomaly score as the policy sees it: rounded, clamped to 0..=100; NaN counts as 100
/// because an unscorable call must not look usual.
pub fn policy_score(score: f64) -> i64 {
    if score.is_nan() {
        return 100;
    }
    // Clamped to 0..=100 first, so the cast cannot truncate.
    score.round().clamp(0.0, 100.0) as i64
}

fn entity(
    uid: EntityUid,
    attrs: HashMap<String, RestrictedExpression>,
    parents: HashSet<EntityUid>,
) -> Result<Entity, PolicyError> {
    Entity::new(uid, attrs, parents).map_err(|e| PolicyError::Request(e.to_string()))
}

/// Builds the Cedar request for one call. `anomaly_threshold` comes from [`crate::PolicyConfig`].
pub fn build_call(
    vocab: &Vocabulary,
    principal: &Identity,
    action: &str,
    resource: &ResourceRef,
    ctx: &AuthzContext,
    anomaly_threshold: i64,
) -> Result<CedarCall, PolicyError> {
    let call = CallParts {
        principal,
        action,
        resource,
        ctx,
        anomaly_threshold,
    };
    build_call_checked(vocab, &call, ContextUse::ALL, None, None)
}

/// The inputs of one call.
pub(crate) struct CallParts<'a> {
    pub(crate) principal: &'a Identity,
    pub(crate) action: &'a str,
    pub(crate) resource: &'a ResourceRef,
    pub(crate) ctx: &'a AuthzContext,
    pub(crate) anomaly_threshold: i64,
}

/// Like [`build_call`] with a context of only the attributes in `reads`, optionally checking
/// the request and entities against `schema` (slower; used by tests and by `explain`; needs
/// `ContextUse::ALL`) and memoizing entities in `cache`.
pub(crate) fn build_call_checked(
    vocab: &Vocabulary,
    call: &CallParts<'_>,
    reads: ContextUse,
    schema: Option<&Schema>,
    cache: Option<&EntityCache>,
) -> Result<CedarCall, PolicyError> {
    let (action_name, action_uid, kind) = vocab
        .action(call.action)
        .ok_or_else(|| PolicyError::Request(format!("unknown action `{}`", call.action)))?;
    let slice = match cache {
        Some(c) => c.get_or_build(call.principal, kind, call.resource, || {
            build_entities(vocab, call.principal, kind, call.resource, schema)
        })?,
        None => Arc::new(build_entities(
            vocab,
            call.principal,
            kind,
            call.resource,
            schema,
        )?),
    };
    let context = build_context(call, reads)?;
    let request = Request::new(
        slice.principal.clone(),
        action_uid.clone(),
        slice.resource.clone(),
        context,
        schema,
    )
    .map_err(|e| PolicyError::Request(e.to_string()))?;
    Ok(CedarCall {
        request,
        slice,
        action: action_name,
        action_uid: action_uid.clone(),
    })
}

/// Principal, upstream and model/tool/MCP-server entities (a segment resource needs none of its own).
pub(crate) fn build_entities(
    vocab: &Vocabulary,
    principal: &Identity,
    kind: ResourceKind,
    resource: &ResourceRef,
    schema: Option<&Schema>,
) -> Result<EntitySlice, PolicyError> {
    let spiffe = principal.id.to_string();
    let principal_uid = vocab.uid(&vocab.identity, &spiffe);
    let principal_segment = vocab.uid(&vocab.segment, &principal.segment);
    let attrs = HashMap::from([
        (
            "spiffe_id".to_owned(),
            RestrictedExpression::new_string(spiffe),
        ),
        ("segment".to_owned(), s(&principal.segment)),
        ("owner".to_owned(), s(&principal.owner)),
        ("kind".to_owned(), s(principal.kind.as_str())),
        ("status".to_owned(), s(principal.status.as_str())),
        (
            "attestation_kinds".to_owned(),
            set(principal.attestation_kinds.iter().map(String::as_str)),
        ),
        (
            "scopes".to_owned(),
            set(principal.scopes.iter().map(String::as_str)),
        ),
    ]);
    let mut entities = vec![entity(
        principal_uid.clone(),
        attrs,
        HashSet::from([principal_segment.clone()]),
    )?];

    let resource_segment = vocab.uid(&vocab.segment, &resource.segment);
    let resource_uid = match kind {
        ResourceKind::Segment => resource_segment.clone(),
        ResourceKind::Model | ResourceKind::Tool | ResourceKind::McpServer => {
            // The three share one attribute shape (name, segment, upstream, destination).
            let ty = match kind {
                ResourceKind::Tool => &vocab.tool,
                ResourceKind::McpServer => &vocab.mcp_server,
                _ => &vocab.model,
            };
            let upstream_uid = vocab.uid(&vocab.upstream, &resource.upstream);
            entities.push(entity(
                upstream_uid.clone(),
                HashMap::from([("destination".to_owned(), s(resource.destination.as_str()))]),
                HashSet::new(),
            )?);
            let uid = vocab.uid(ty, &resource.name);
            let attrs = HashMap::from([
                ("name".to_owned(), s(&resource.name)),
                ("segment".to_owned(), s(&resource.segment)),
                (
                    "upstream".to_owned(),
                    RestrictedExpression::new_entity_uid(upstream_uid),
                ),
                ("destination".to_owned(), s(resource.destination.as_str())),
            ]);
            entities.push(entity(
                uid.clone(),
                attrs,
                HashSet::from([resource_segment.clone()]),
            )?);
            uid
        }
    };
    let entities = Entities::from_entities(entities, schema)
        .map_err(|e| PolicyError::Request(e.to_string()))?;
    Ok(EntitySlice {
        entities,
        principal: principal_uid,
        resource: resource_uid,
        principal_segment,
        resource_segment,
        fixed: FixedOutcomes::default(),
    })
}

/// The call's context, holding only the attributes in `reads` (an attribute no loaded policy
/// reads cannot change a decision, and each one costs Cedar an evaluation per call).
fn build_context(call: &CallParts<'_>, reads: ContextUse) -> Result<Context, PolicyError> {
    let ctx = call.ctx;
    let value = |attr: ContextAttr| match attr {
        ContextAttr::DataClasses => set(ctx.data_classes.iter().map(|c| c.as_str())),
        ContextAttr::Destination => s(call.resource.destination.as_str()),
        ContextAttr::AnomalyScore => {
            RestrictedExpression::new_long(policy_score(ctx.anomaly_score))
        }
        ContextAttr::AnomalyThreshold => RestrictedExpression::new_long(call.anomaly_threshold),
        ContextAttr::SteppedDown => RestrictedExpression::new_bool(ctx.stepped_down),
        ContextAttr::TokenAgeSecs => long(ctx.token_age_secs),
        ContextAttr::AttestationKinds => {
            set(call.principal.attestation_kinds.iter().map(String::as_str))
        }
        ContextAttr::RequestBytes => long(ctx.request_bytes),
        ContextAttr::Streaming => RestrictedExpression::new_bool(ctx.streaming),
        ContextAttr::HourOfDay => long(u64::from(ctx.hour_of_day)),
    };
    Context::from_pairs(
        ContextAttr::ALL
            .into_iter()
            .filter(|a| reads.reads(*a))
            .map(|a| (a.name().to_owned(), value(a))),
    )
    .map_err(|e| PolicyError::Request(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::ACTIONS;
    use palisade_core::{DataClass, DestinationClass, IdentityKind, IdentityStatus};

    fn identity() -> Identity {
        Identity {
            id: "spiffe://lab.example/research/a".parse().unwrap(),
            kind: IdentityKind::Agent,
            owner: "team".into(),
            segment: "research".into(),
            scopes: vec!["research-llm".into()],
            status: IdentityStatus::Active,
            attestation_kinds: vec!["sev_snp".into()],
            token_age_secs: 5,
        }
    }

    fn ctx() -> AuthzContext {
        AuthzContext {
            data_classes: vec![DataClass::Secret, DataClass::Pii],
            anomaly_score: 12.4,
            stepped_down: false,
            token_age_secs: u64::MAX,
            request_bytes: 10,
            streaming: true,
            hour_of_day: 3,
        }
    }

    #[test]
    fn built_request_conforms_to_schema() {
        // The hot path skips schema checks; this pins that the mapping matches the schema for
        // every action, so strict validation of policies also covers runtime values.
        let v = Vocabulary::new().unwrap();
        let r = ResourceRef {
            name: "m".into(),
            upstream: "u".into(),
            segment: "training".into(),
            destination: DestinationClass::Vendor,
        };
        for a in ACTIONS {
            let (id, c) = (identity(), ctx());
            let parts = CallParts {
                principal: &id,
                action: a,
                resource: &r,
                ctx: &c,
                anomaly_threshold: 80,
            };
            build_call_checked(&v, &parts, ContextUse::ALL, Some(v.schema()), None)
                .unwrap_or_else(|e| panic!("{a}: {e}"));
        }
    }

    #[test]
    fn unknown_action_is_an_error() {
        let v = Vocabulary::new().unwrap();
        let r = ResourceRef {
            name: "m".into(),
            upstream: "u".into(),
            segment: "s".into(),
            destination: DestinationClass::Internal,
        };
        let e = build_call(&v, &identity(), "drop_tables", &r, &ctx(), 80).unwrap_err();
        assert!(
            e.to_string().contains("unknown action `drop_tables`"),
            "{e}"
        );
    }

    #[test]
    fn score_rounding_and_clamping() {
        assert_eq!(policy_score(79.5), 80);
        assert_eq!(policy_score(79.4), 79);
        assert_eq!(policy_score(-3.0), 0);
        assert_eq!(policy_score(1e9), 100);
        assert_eq!(policy_score(f64::NAN), 100);
        assert_eq!(policy_score(f64::INFINITY), 100);
    }
}
