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

/// Audit entries by request id: (index, findings).
pub type ByRequest = HashMap<String, Vec<(u64, Vec<Finding>)>>;

/// Reads every entry of the log.
pub fn index(data_dir: &Path) -> Result<ByRequest> {
    let r = LogReader::open(data_dir, None).context("opening the audit log")?;
    let mut out: ByRequest = HashMap::new();
    for i in 0..r.size() {
        let e = r.show(i)?;
        out.entry(e.entry.event.request_id.clone())
            .or_default()
            .push((i, e.entry.event.findings.clone()));
    }
    Ok(out)
}

/// Fills `audit_index` of every step and checks the findings a step depends on.
pub fn resolve(steps: &mut [Step], entries: &ByRequest) {
    for s in steps.iter_mut() {
        let Some(list) = s.request_id.as_ref().and_then(|id| entries.get(id)) else {
            continue;
        };
        let Some(class) = s.want_class else {
            s.audit_index = list.first().map(|(i, _)| *i);
            continue;
        };
        let hit = list.iter().rev().find(|(_, f)| {
            f.iter().any(|f| f.data_class.as_str() == class)
        });
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
                let mut classes: Vec<&str> = findings.iter().map(|f| f.data_class.as_str()).collect();
                classes.sort_unstable();
                classes.dedup();
                s.detail.push_str(&format!(" | findings: {}", classes.join(",")));
            }
            None => {
                s.audit_index = list.first().map(|(i, _)| *i);
                s.as_expected = false;
                s.detail.push_str(&format!(" | audit shows no {class} finding"));
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
    copy_dir(&palisade_audit::audit_dir(data_dir), &palisade_audit::audit_dir(&copy))?;
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
            e.first_bad_index()
                .map_or_else(|| "verify fails, no index".to_owned(), |i| format!("verify fails at entry {i}")),
            e.to_string(),
        ),
    };
    Ok(Step::new(10, "one byte of the audit log edited", &expected, happened, true)
        .control("audit: Merkle leaf hashes")
        .detail(format!("on a copy in {}: {detail}", copy.display())))
    .map(|mut s| {
        s.audit_index = Some(target);
        s
    })
}

/// Verifies the real log; the summary line.
pub fn verify_real(data_dir: &Path) -> Result<String, String> {
    verify(data_dir, None)
        .map(|r| palisade_audit::render::render_report(&r).trim_end().to_owned())
        .map_err(|e| e.to_string())
}
