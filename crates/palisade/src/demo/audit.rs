//! The evidence side: resolves each step's gateway request id to its audit entry (checking
//! the findings the step relies on), replays link 10 (one byte of the log edited on disk,
//! on a copy of the audit folder so the kept data dir stays verifiable), and verifies the
//! real log.

use super::report::Step;
use anyhow::{Context, Result};
use palisade_audit::{verify, LogReader};
use palisade_core::{Finding, Severity};
use std::collections::HashMap;
use std::path::Path;

/// What the demo reads back from the log.
#[derive(Debug, Default)]
pub struct Entries {
    /// Calls by request id: (index, findings).
    pub by_request: HashMap<String, Vec<(u64, Vec<Finding>)>>,
    /// Automatic behaviour actions: (index, identity, action).
    pub behaviour: Vec<(u64, String, String)>,
}

/// Reads every entry of the log.
pub fn index(data_dir: &Path) -> Result<Entries> {
    let r = LogReader::open(data_dir, None).context("opening the audit log")?;
    let mut out = Entries::default();
    for i in 0..r.size() {
        let ev = r.show(i)?.entry.event;
        if ev.event_type == "behavior_action" {
            out.behaviour.push((
                i,
                ev.identity.clone().unwrap_or_default(),
                ev.action.clone(),
            ));
        }
        out.by_request
            .entry(ev.request_id.clone())
            .or_default()
            .push((i, ev.findings));
    }
    Ok(out)
}

/// Link 7 must show in the log as a behaviour step-down, then a behaviour quarantine, both
/// of `identity`; returns their indices.
pub fn behaviour_sequence(entries: &Entries, identity: &str) -> Option<(u64, u64)> {
    let of = |action: &str| {
        entries
            .behaviour
            .iter()
            .find(|(_, id, a)| id == identity && a == action)
            .map(|(i, _, _)| *i)
    };
    let down = of("behavior_step_down")?;
    let quarantine = of("behavior_quarantine")?;
    (down < quarantine).then_some((down, quarantine))
}

/// Fills `audit_index` of every step and checks the findings a step depends on.
pub fn resolve(steps: &mut [Step], entries: &Entries) {
    for s in steps.iter_mut() {
        if s.step == 7 {
            match behaviour_sequence(entries, super::cast::VENDOR) {
                Some((d, q)) => s
                    .detail
                    .push_str(&format!(" | audit: step-down #{d}, quarantine #{q}")),
                None => {
                    s.as_expected = false;
                    s.detail
                        .push_str(" | audit shows no step-down then quarantine");
                }
            }
        }
        let Some(list) = s
            .request_id
            .as_ref()
            .and_then(|id| entries.by_request.get(id))
        else {
            continue;
        };
        let Some(class) = s.want_class else {
            s.audit_index = list.first().map(|(i, _)| *i);
            continue;
        };
        let hit = list
            .iter()
            .rev()
            .find(|(_, f)| f.iter().any(|f| f.data_class.as_str() == class));
        match hit {
            Some((i, findings)) => {
                s.audit_index = Some(*i);
                let critical = findings
                    .iter()
                    .any(|f| f.data_class.as_str() == class && f.severity == Severity::Critical);
                if class == "canary" && !critical {
                    s.as_expected = false;
                    s.detail.push_str(" | canary finding not critical");
                }
                let mut classes: Vec<&str> =
                    findings.iter().map(|f| f.data_class.as_str()).collect();
                classes.sort_unstable();
                classes.dedup();
                s.detail
                    .push_str(&format!(" | findings: {}", classes.join(",")));
            }
            None => {
                s.audit_index = list.first().map(|(i, _)| *i);
                s.as_expected = false;
                s.detail
                    .push_str(&format!(" | audit shows no {class} finding"));
            }
        }
    }
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &target)?;
        } else {
            std::fs::copy(e.path(), &target)?;
        }
    }
    Ok(())
}

/// Link 10: copies the audit folder, edits one byte of the entry recording `request_id`
/// (entry `target`), and asks the verifier which entry was altered.
pub fn tamper(data_dir: &Path, request_id: &str, target: u64) -> Result<Step> {
    let copy = data_dir.join("demo/tampered-copy");
    let _ = std::fs::remove_dir_all(&copy);
    copy_dir(
        &palisade_audit::audit_dir(data_dir),
        &palisade_audit::audit_dir(&copy),
    )?;
    let mut edited = false;
    for e in std::fs::read_dir(palisade_audit::audit_dir(&copy))? {
        let path = e?.path();
        let is_segment = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("seg-") && n.ends_with(".log"));
        if !is_segment {
            continue;
        }
        let mut bytes = std::fs::read(&path)?;
        let needle = request_id.as_bytes();
        if let Some(pos) = bytes.windows(needle.len()).position(|w| w == needle) {
            // One character of the recorded request id: as small an edit as an insider makes.
            if let Some(b) = bytes.get_mut(pos) {
                *b = if *b == b'0' { b'1' } else { b'0' };
            }
            std::fs::write(&path, &bytes)?;
            edited = true;
            break;
        }
    }
    let expected = format!("verify fails at entry {target}");
    let (happened, detail) = match (edited, verify(&copy, None)) {
        (false, _) => ("entry not found on disk".to_owned(), String::new()),
        (true, Ok(r)) => ("verify passed".to_owned(), format!("{} entries", r.entries)),
        (true, Err(e)) => (
            e.first_bad_index().map_or_else(
                || "verify fails, no index".to_owned(),
                |i| format!("verify fails at entry {i}"),
            ),
            e.to_string(),
        ),
    };
    Ok(
        Step::new(10, "edit 1 byte of audit log", &expected, happened, true)
            .control("audit Merkle leaf hash")
            .detail(format!("on a copy in {}: {detail}", copy.display())),
    )
    .map(|mut s| {
        s.audit_index = Some(target);
        s
    })
}

/// Verifies the real log; the summary line.
pub fn verify_real(data_dir: &Path) -> Result<String, String> {
    verify(data_dir, None)
        .map(|r| {
            format!(
                "ok, {} entries, {} signed checkpoint(s) verified, root {}",
                r.entries,
                r.checkpoints,
                hex::encode(r.root).get(..16).unwrap_or("")
            )
        })
        .map_err(|e| e.to_string())
}
