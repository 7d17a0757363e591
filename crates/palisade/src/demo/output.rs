//! Prints the outcome: the table, the audit verification of the real log, and how to explore
//! the kept data dir; or all of it as one JSON document.

use super::Outcome;
use serde_json::json;

/// Commands to explore the kept data dir.
pub fn explore(o: &Outcome) -> Vec<String> {
    let d = o.data_dir.display();
    let c = super::config::kept_file(&o.data_dir);
    let c = c.display();
    vec![
        format!("palisade audit tail -n 20 --data-dir {d}"),
        format!("palisade audit verify --data-dir {d}"),
        format!("palisade identity show labeling/cleaner-7 --config {c}"),
        format!("palisade identity baseline labeling/cleaner-7 --config {c}"),
        format!("palisade identity show research/summariser --config {c}"),
    ]
}

/// The human report (after the progress lines).
pub fn text(o: &Outcome) -> String {
    let ok = o.steps.iter().filter(|s| s.as_expected).count();
    let mut s = String::from("\n");
    s.push_str(&super::report::table(&o.steps));
    s.push('\n');
    match &o.audit {
        Ok(summary) => s.push_str(&format!("audit log: {summary}\n")),
        Err(e) => s.push_str(&format!("audit log: VERIFICATION FAILED: {e}\n")),
    }
    s.push_str(&format!("data dir:  {} (kept)\n", o.data_dir.display()));
    for c in explore(o) {
        s.push_str(&format!("  {c}\n"));
    }
    s.push_str(&format!(
        "result: {ok}/{} steps as expected in {:.1} s\n",
        o.steps.len(),
        o.seconds
    ));
    s
}

/// The JSON report.
pub fn json(o: &Outcome) -> serde_json::Value {
    json!({
        "simulated_providers": true,
        "data_dir": o.data_dir,
        "ordinary_calls": o.ordinary_calls,
        "steps": o.steps,
        "audit_verification": match &o.audit {
            Ok(s) => json!({"ok": true, "summary": s}),
            Err(e) => json!({"ok": false, "error": e}),
        },
        "explore": explore(o),
        "all_expected": o.all_expected(),
        "seconds": o.seconds,
    })
}
