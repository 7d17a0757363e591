//! Human-readable text for the CLI: the only place in this crate that formats for people.

use crate::reader::ShownEntry;
use crate::verify::VerifyReport;

/// One line per fact of a successful verification.
pub fn render_report(r: &VerifyReport) -> String {
    let mut s = format!(
        "ok: {} entries in {} segment(s), root {}\n{} checkpoint(s) verified",
        r.entries,
        r.segments,
        hex::encode(r.root),
        r.checkpoints
    );
    if let Some(size) = r.latest_checkpoint_size {
        s.push_str(&format!(
            ", latest covers {size} ({} unsigned after it)",
            r.entries - size
        ));
    }
    if let Some(t) = r.trusted_size {
        s.push_str(&format!(
            "\nconsistent with the trusted checkpoint of size {t}"
        ));
    }
    s.push('\n');
    s
}

/// An entry as a short block of text (sealed parts only when decrypted).
pub fn render_entry(e: &ShownEntry) -> String {
    let ev = &e.entry.event;
    let mut s = format!(
        "#{} {} {} {} action={} decision={:?} status={} identity={} resource={} upstream={}\n  leaf {}\n",
        e.index,
        ev.time_ms,
        ev.event_type,
        ev.request_id,
        ev.action,
        ev.decision,
        ev.status,
        ev.identity.as_deref().unwrap_or("-"),
        ev.resource.as_deref().unwrap_or("-"),
        ev.upstream.as_deref().unwrap_or("-"),
        hex::encode(e.leaf)
    );
    if !ev.policy_ids.is_empty() {
        s.push_str(&format!("  policies {}\n", ev.policy_ids.join(",")));
    }
    for f in &ev.findings {
        s.push_str(&format!(
            "  finding {}\n",
            serde_json::to_string(f).unwrap_or_default()
        ));
    }
    match (&e.sensitive, e.entry.sealed.is_some()) {
        (Some(sens), _) => {
            if let Some(d) = &sens.detail {
                s.push_str(&format!("  detail {d}\n"));
            }
            if sens.request_body.is_some() || sens.response_body.is_some() {
                s.push_str(
                    "  body capture present (use export --format jsonl with the vault for bytes)\n",
                );
            }
        }
        (None, true) => s.push_str("  sealed part present (open with the vault to decrypt)\n"),
        (None, false) => {}
    }
    s
}

/// The outcome of verification with outside trust: the log, then what outside parties vouch
/// for, and how many entries nobody outside has seen yet.
pub fn render_trust_report(r: &crate::trust::TrustReport) -> String {
    let mut s = render_report(&r.log);
    if let Some(t) = r.trusted_size {
        s.push_str(&format!(
            "consistent with the outside checkpoint of size {t} (pinned verifier key)\n"
        ));
    }
    if let Some(w) = r.witnessed_size {
        s.push_str(&format!("witnessed: size {w} carries the witness quorum\n"));
    }
    s.push_str(&format!(
        "unwitnessed: {} entr{} after the last witnessed or trusted checkpoint\n",
        r.unwitnessed,
        if r.unwitnessed == 1 { "y" } else { "ies" }
    ));
    s
}

/// The warning printed with `--self-consistency-only`.
pub const SELF_CONSISTENCY_WARNING: &str = "WARNING: verified ONLY self-consistency, with the key found in the directory itself.\nAnyone who can write this directory can roll it back or rewrite and re-sign it and still pass.\nPin --verifier-key and give --trusted-checkpoint or --witness-key/--quorum for a real check.\n";
