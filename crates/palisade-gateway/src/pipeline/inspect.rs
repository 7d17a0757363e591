//! Stage 5 — inspect the request. After normalization (detectors need every text leaf with its
//! path) and before behaviour and policy (both decide on the data classes found). A `block`
//! refuses here; redactions are applied to the JSON that will be forwarded. The request's
//! signals (opaque attachments, provider-side egress) join the findings here, so policy
//! decides on them like on any data class, whether or not content inspection is configured.

use super::normalize::Normalized;
use crate::error::ApiError;
use crate::protocol::Signal;
use http::StatusCode;
use palisade_core::{Confidence, Finding, Inspection, Inspector, Redaction, Severity};
use serde_json::Value;

/// A refusal by inspection with the findings that caused it (boxed: the error path is rare and
/// the pair is large).
pub(crate) type Refusal = Box<(ApiError, Vec<palisade_core::Finding>)>;

/// Inspects the call; applies redactions in place; refuses blocked content.
/// On refusal the findings come back with the error so the audit record keeps them.
pub(crate) fn run(
    inspector: Option<&dyn Inspector>,
    call: &mut Normalized,
) -> Result<Inspection, Refusal> {
    let mut inspection = match inspector {
        Some(inspector) => inspector.inspect(&call.exchange),
        None => Inspection::default(),
    };
    inspection
        .findings
        .extend(call.signals.iter().map(signal_finding));
    // A decoded payload or an object key cannot be redacted in place: refuse instead of
    // forwarding the unredacted original.
    let in_place = inspection
        .redactions
        .iter()
        .all(|r| !call.derived.contains(&r.path));
    if inspection.block || !in_place {
        return Err(Box::new((blocked(&inspection), inspection.findings)));
    }
    if let Err(e) = apply_redactions(&mut call.json, &inspection.redactions) {
        return Err(Box::new((e, inspection.findings)));
    }
    Ok(inspection)
}

/// A signal as the finding policy and audit see: no matched value, so no value hash.
pub(crate) fn signal_finding(s: &Signal) -> Finding {
    Finding {
        detector: s.reason.clone(),
        data_class: s.class,
        path: s.path.clone(),
        start: 0,
        end: 0,
        value_hash: String::new(),
        confidence: Confidence::High,
        severity: Severity::High,
    }
}

/// The 403 for blocked content: names the detectors (rule ids), never the matched text.
pub(crate) fn blocked(inspection: &Inspection) -> ApiError {
    let mut ids: Vec<String> = inspection
        .findings
        .iter()
        .map(|f| format!("inspect:{}", f.detector))
        .collect();
    ids.sort();
    ids.dedup();
    content_blocked(ids)
}

fn content_blocked(policy_ids: Vec<String>) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::FORBIDDEN,
        "content_blocked",
        "the request contains content that may not be sent to this destination",
    );
    e.policy_ids = policy_ids;
    e
}

/// The 403 for a call that would pass a protected document's cumulative exposure limit: the
/// same refusal as blocked content, naming the document id (never its text).
pub(crate) fn exposure_blocked(doc: &str) -> ApiError {
    content_blocked(vec![format!("behavior:document-exposure:{doc}")])
}

/// The audit detail of that refusal.
pub(crate) fn exposure_detail(doc: &str) -> String {
    format!("cumulative exposure limit of protected document {doc}")
}

/// Replaces each redacted byte range of a string leaf with its placeholder. Ranges of the same
/// leaf are applied from the end so earlier offsets stay valid. A range that does not fit the
/// leaf fails the call closed rather than forwarding unredacted text.
pub(crate) fn apply_redactions(json: &mut Value, redactions: &[Redaction]) -> Result<(), ApiError> {
    let mut sorted: Vec<&Redaction> = redactions.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path).then(b.start.cmp(&a.start)));
    for r in sorted {
        let Some(Value::String(s)) = json.pointer_mut(&r.path) else {
            return Err(ApiError::internal("redaction_failed"));
        };
        if r.start > r.end
            || r.end > s.len()
            || !s.is_char_boundary(r.start)
            || !s.is_char_boundary(r.end)
        {
            return Err(ApiError::internal("redaction_failed"));
        }
        s.replace_range(r.start..r.end, &r.placeholder);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn red(path: &str, start: usize, end: usize) -> Redaction {
        Redaction {
            path: path.into(),
            start,
            end,
            placeholder: "[R]".into(),
        }
    }

    #[test]
    fn redactions_apply_from_the_end_and_fail_closed() {
        let mut v = json!({"messages": [{"content": "key AAAA and BBBB"}]});
        apply_redactions(
            &mut v,
            &[
                red("/messages/0/content", 4, 8),
                red("/messages/0/content", 13, 17),
            ],
        )
        .unwrap();
        assert_eq!(v["messages"][0]["content"], "key [R] and [R]");
        assert!(apply_redactions(&mut v, &[red("/messages/0/content", 0, 999)]).is_err());
        assert!(apply_redactions(&mut v, &[red("/nope", 0, 1)]).is_err());
        let mut u = json!({"a": "é"});
        assert!(apply_redactions(&mut u, &[red("/a", 1, 2)]).is_err());
    }
}
