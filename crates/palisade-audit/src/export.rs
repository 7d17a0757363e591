//! Export for SIEMs: JSON Lines of the stored entries, or OCSF 1.x API Activity events
//! (class_uid 6003, category_uid 6 "Application Activity"), one JSON object per line.

use crate::error::AuditError;
use crate::reader::{LogReader, ShownEntry};
use palisade_core::{AuditOutcome, Effect};
use serde_json::{json, Value};
use std::io::Write;

/// Export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// OCSF API Activity (6003).
    Ocsf,
    /// One stored entry per line (`{"index":..,"leaf":..,"event":..}`).
    Jsonl,
}

/// OCSF activity ids of API Activity: 1 Create, 2 Read, 3 Update, 4 Delete, 99 Other.
fn activity(action: &str) -> (u8, &'static str) {
    match action {
        "enroll" | "create" | "put" => (1, "Create"),
        "read" | "get" | "list" => (2, "Read"),
        "update" | "rotate" | "reload" => (3, "Update"),
        "delete" | "remove" | "revoke" => (4, "Delete"),
        _ => (99, "Other"),
    }
}

/// Maps one entry to an OCSF API Activity event.
pub fn to_ocsf(e: &ShownEntry) -> Value {
    let ev = &e.entry.event;
    let (activity_id, activity_name) = activity(&ev.action);
    let success = ev.decision == Effect::Allow && ev.outcome == AuditOutcome::Completed;
    let severity_id = match ev.outcome {
        AuditOutcome::Completed if ev.decision == Effect::Allow => 1,
        AuditOutcome::Completed | AuditOutcome::Error => 2,
        AuditOutcome::Denied | AuditOutcome::Unauthenticated => 3,
    };
    let mut actor = json!({});
    if let Some(id) = &ev.identity {
        actor["user"] = json!({ "uid": id, "type_id": 99, "type": "Other" });
        if let Some(seg) = &ev.segment {
            actor["user"]["groups"] = json!([{ "name": seg }]);
        }
    }
    let mut out = json!({
        "class_uid": 6003,
        "class_name": "API Activity",
        "category_uid": 6,
        "category_name": "Application Activity",
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": 600300 + u32::from(activity_id),
        "time": ev.time_ms,
        "severity_id": severity_id,
        "status_id": if success { 1 } else { 2 },
        "status": if success { "Success" } else { "Failure" },
        "status_code": ev.status.to_string(),
        "actor": actor,
        "api": {
            "operation": ev.action,
            "request": { "uid": ev.request_id },
            "response": { "code": ev.status },
            "service": { "name": ev.upstream },
        },
        "resources": ev.resource.as_ref().map(|r| vec![json!({ "name": r, "type": ev.event_type })]).unwrap_or_default(),
        "duration": ev.latency_us / 1000,
        "metadata": {
            "version": "1.3.0",
            "product": { "name": "Palisade", "vendor_name": "Palisade" },
            "uid": format!("{}", e.index),
            "sequence": e.index,
            "log_name": "palisade-audit",
            "correlation_uid": ev.request_id,
        },
        "unmapped": {
            "event_type": ev.event_type,
            "decision": ev.decision,
            "outcome": ev.outcome,
            "policy_ids": ev.policy_ids,
            "findings": ev.findings,
            "anomaly_score": ev.anomaly_score,
            "destination_class": ev.destination,
            "bytes_in": ev.bytes_in,
            "bytes_out": ev.bytes_out,
            "request_sha256": ev.request_sha256,
            "response_sha256": ev.response_sha256,
            "leaf_hash": hex::encode(e.leaf),
        },
    });
    if let Some(d) = e.sensitive.as_ref().and_then(|s| s.detail.as_ref()) {
        out["message"] = json!(d);
    }
    out
}

/// Writes every entry of the log to `out`; returns the count.
pub fn export(
    reader: &LogReader,
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<u64, AuditError> {
    let io = |e| AuditError::io(std::path::Path::new("<export output>"), e);
    for i in 0..reader.size() {
        let e = reader.show(i)?;
        let line = match format {
            ExportFormat::Ocsf => to_ocsf(&e),
            ExportFormat::Jsonl => {
                let mut event = serde_json::to_value(&e.entry.event).unwrap_or(Value::Null);
                let mut line = json!({ "index": e.index, "leaf": hex::encode(e.leaf), "sealed": e.entry.sealed.is_some() });
                if let Some(s) = &e.sensitive {
                    event["detail"] = json!(s.detail);
                    line["request_body_b64"] = json!(s.request_body);
                    line["response_body_b64"] = json!(s.response_body);
                }
                line["event"] = event;
                line
            }
        };
        serde_json::to_writer(&mut *out, &line).map_err(|e| io(std::io::Error::other(e)))?;
        out.write_all(b"\n").map_err(io)?;
    }
    out.flush().map_err(io)?;
    Ok(reader.size())
}
