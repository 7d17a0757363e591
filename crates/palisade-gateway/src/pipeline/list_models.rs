//! `GET /v1/models` — the model list, filtered by policy. The names of models are themselves
//! worth hiding across segments (a labeling-tier agent should not learn which training models
//! exist), so the list runs stage 3 (authenticate), then stage 7 once per configured model with
//! the action `list_models`, and is recorded at stage 10 like any call. A model whose decision
//! is not a clean allow is left out; a caller that may list nothing gets an empty list (what
//! OpenAI clients expect), never an error that would confirm the models exist. The listing is
//! decided without a behaviour score (it is not a call and is not observed as one), so a rule on
//! `context.anomaly_score` or `context.stepped_down` never hides a model from the list; it still
//! applies to every call to that model.

use super::audit::{self, AuditDraft, ResponseFacts};
use super::authorize::{self, RequestFacts};
use super::{authenticate_head, route_label, ConnInfo, Shared};
use crate::body::GwBody;
use hyper::body::Incoming;
use palisade_config::ModelRoute;
use palisade_core::{ApiKind, Decision, Effect, Identity};
use serde_json::json;
use std::time::Instant;

/// The policy action of a model listing (in the Cedar schema's action list).
const ACTION: &str = "list_models";

/// Authenticates, lists the models policy lets the caller see, audits, and answers.
pub(crate) async fn list_models(
    shared: &Shared,
    conn: &ConnInfo,
    req: http::Request<Incoming>,
    request_id: String,
) -> http::Response<GwBody> {
    let started = Instant::now();
    let _guard = shared.metrics.in_flight();
    let mut draft = AuditDraft::new(request_id, ACTION);
    // The body of a GET is never read: the listing depends on the head only.
    let (parts, _body) = req.into_parts();
    let result = match authenticate_head(shared, conn, &parts.method, &parts.uri, &parts.headers) {
        Ok(identity) => {
            let body = listing(shared, &identity, &mut draft);
            draft.identity = Some(identity);
            Ok(body)
        }
        Err(e) => {
            draft.detail = Some(audit::auth_detail(&e.code));
            Err(e)
        }
    };
    let status = match &result {
        Ok(_) => 200,
        Err(e) => e.status.as_u16(),
    };
    // Stage 10: nothing is answered that the log did not record.
    let now = shared.stages.clock.now_millis();
    let response = match audit::record(shared.stages.audit.as_ref(), now, draft, status).await {
        Ok(_) => match result {
            Ok(body) => crate::body::json(http::StatusCode::OK, body),
            Err(e) => e.response(ApiKind::OpenAiModels),
        },
        Err(e) => e.response(ApiKind::OpenAiModels),
    };
    shared.metrics.record(
        route_label(ApiKind::OpenAiModels),
        response.status().as_u16(),
        None,
        started.elapsed(),
    );
    response
}

/// The OpenAI list body of the models `identity` may list; fills in the draft's decision (the
/// policies that permitted what was shown), detail, and response size and hash.
fn listing(shared: &Shared, identity: &Identity, draft: &mut AuditDraft) -> Vec<u8> {
    let models = &shared.config.models;
    let mut policy_ids: Vec<String> = Vec::new();
    let data: Vec<_> = models
        .iter()
        .filter(|m| match decide(shared, identity, m) {
            Some(d) => {
                policy_ids.extend(d.policy_ids);
                true
            }
            None => false,
        })
        .map(|m| json!({"id": m.name, "object": "model", "created": 0, "owned_by": m.upstream}))
        .collect();
    policy_ids.sort();
    policy_ids.dedup();
    draft.detail = Some(format!("listed {} of {} models", data.len(), models.len()));
    // Nothing listed means no policy permitted anything: recorded as the denial it is.
    let effect = if data.is_empty() {
        Effect::Deny
    } else {
        Effect::Allow
    };
    draft.decision = Some(Decision {
        effect,
        policy_ids,
        errors: Vec::new(),
    });
    let body = json!({"object": "list", "data": data})
        .to_string()
        .into_bytes();
    draft.response = Some(ResponseFacts::of(&body, Vec::new()));
    body
}

/// The permitting decision for listing one model, or `None` when it is denied, errors, or its
/// upstream is missing (fail closed: an unclear answer hides the model).
fn decide(shared: &Shared, identity: &Identity, model: &ModelRoute) -> Option<Decision> {
    let stages = &shared.stages;
    let Some(upstream) = shared.config.upstream(&model.upstream) else {
        tracing::warn!(model = %model.name, "model route without upstream; not listed");
        return None;
    };
    let resource = authorize::resource_of(model, upstream);
    // A listing carries no content: no data classes, no behaviour score, no body, no stream.
    let context = authorize::context(stages.clock.as_ref(), identity, RequestFacts::default());
    let decision = stages
        .authorizer
        .authorize(identity, ACTION, &resource, &context);
    if !decision.errors.is_empty() {
        tracing::warn!(model = %model.name, errors = ?decision.errors, "list_models decision errored; not listed");
    }
    authorize::permits(&decision).then_some(decision)
}
