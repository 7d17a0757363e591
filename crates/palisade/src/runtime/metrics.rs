//! The policy, behaviour, audit and witness counters as Prometheus families on the gateway's
//! `/metrics` (the gateway's own families cover requests, latency and upstreams). Values only:
//! reload error messages, witness problems and identity names never become labels.

use palisade_audit::AuditLog;
use palisade_behavior::Baselines;
use palisade_gateway::metrics::MetricsSource;
use palisade_policy::PolicyEngine;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Writes one family: `# HELP`, `# TYPE`, then `(labels, value)` samples.
fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(&str, u64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, value) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
}

/// Decisions, evaluation errors, shadow disagreements, reloads and the serving generation.
pub struct PolicyMetrics(pub Arc<PolicyEngine>);

impl MetricsSource for PolicyMetrics {
    fn render(&self, out: &mut String) {
        let m = self.0.metrics();
        family(
            out,
            "palisade_policy_decisions_total",
            "counter",
            "Policy decisions, by effect.",
            &[
                ("decision=\"allow\"", m.decisions_allowed),
                ("decision=\"deny\"", m.decisions_denied),
            ],
        );
        family(
            out,
            "palisade_policy_evaluation_errors_total",
            "counter",
            "Calls denied because evaluation or request building failed (fail closed).",
            &[("", m.evaluation_errors)],
        );
        family(
            out,
            "palisade_policy_shadow_disagreements_total",
            "counter",
            "Calls a shadow policy file would have decided differently.",
            &[("", m.shadow_disagreements)],
        );
        family(
            out,
            "palisade_policy_reloads_total",
            "counter",
            "Policy reloads, by result (a failed reload keeps the old set serving).",
            &[
                ("result=\"ok\"", m.reloads_ok),
                ("result=\"failed\"", m.reloads_failed),
            ],
        );
        family(
            out,
            "palisade_policy_generation",
            "gauge",
            "Generation of the serving policy set.",
            &[("", m.generation)],
        );
    }
}

/// Baselines held, failed snapshots, alert delivery.
pub struct BehaviorMetrics(pub Arc<Baselines>);

impl MetricsSource for BehaviorMetrics {
    fn render(&self, out: &mut String) {
        family(
            out,
            "palisade_behavior_identities",
            "gauge",
            "Identities with a behavioural baseline in memory.",
            &[("", self.0.len() as u64)],
        );
        family(
            out,
            "palisade_behavior_snapshot_failures_total",
            "counter",
            "Failed writes of baselines to the state database.",
            &[("", self.0.snapshot_failures())],
        );
        if let Some(a) = self.0.alert_stats() {
            family(
                out,
                "palisade_behavior_alerts_total",
                "counter",
                "Webhook alerts, by delivery result.",
                &[
                    ("result=\"sent\"", a.sent.load(Ordering::Relaxed)),
                    ("result=\"failed\"", a.failed.load(Ordering::Relaxed)),
                    ("result=\"dropped\"", a.dropped.load(Ordering::Relaxed)),
                ],
            );
        }
    }
}

/// Entries in the log, appends waiting, appends refused by the queue bound, and whether the log
/// has failed (every call is then refused).
pub struct AuditMetrics(pub Arc<AuditLog>);

impl MetricsSource for AuditMetrics {
    fn render(&self, out: &mut String) {
        family(
            out,
            "palisade_audit_entries",
            "gauge",
            "Entries appended to the audit log and written.",
            &[("", self.0.size())],
        );
        family(
            out,
            "palisade_audit_pending_appends",
            "gauge",
            "Appends accepted and not yet done (written, or fsynced in sync mode).",
            &[("", self.0.pending() as u64)],
        );
        family(
            out,
            "palisade_audit_rejected_total",
            "counter",
            "Appends refused because the queue was full (audit.max_queue); each denied its call.",
            &[("", self.0.rejected())],
        );
        family(
            out,
            "palisade_audit_failed",
            "gauge",
            "1 when the audit log has failed and calls are refused until restart.",
            &[("", u64::from(self.0.failure().is_some()))],
        );
    }
}

/// Witnessing of the audit checkpoints (`[audit] witnesses`): lag and sizes.
pub struct WitnessMetrics(pub Arc<palisade_audit::WitnessStatus>);

impl MetricsSource for WitnessMetrics {
    fn render(&self, out: &mut String) {
        let r = self.0.report(std::time::Instant::now());
        family(
            out,
            "palisade_audit_witness_lag_ms",
            "gauge",
            "How long the newest audit checkpoint has waited for its witness quorum.",
            &[("", u64::try_from(r.lag.as_millis()).unwrap_or(u64::MAX))],
        );
        family(
            out,
            "palisade_audit_witnessed_size",
            "gauge",
            "Largest audit checkpoint size with a quorum of witness cosignatures.",
            &[("", r.witnessed_size)],
        );
        family(
            out,
            "palisade_audit_witness_problems",
            "gauge",
            "Witnesses that did not cosign in the last round.",
            &[("", r.problems.len() as u64)],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn witness_lag_is_a_gauge_that_resets_when_witnessed() {
        let s = Arc::new(palisade_audit::WitnessStatus::new(Duration::from_secs(60)));
        s.saw_checkpoint(10, Instant::now() - Duration::from_secs(3));
        let mut out = String::new();
        WitnessMetrics(s.clone()).render(&mut out);
        let lag: u64 = out
            .lines()
            .find_map(|l| l.strip_prefix("palisade_audit_witness_lag_ms "))
            .unwrap()
            .parse()
            .unwrap();
        assert!(lag >= 3000, "{out}");
        s.witnessed(10);
        let mut out = String::new();
        WitnessMetrics(s).render(&mut out);
        assert!(out.contains("palisade_audit_witness_lag_ms 0\n"), "{out}");
        assert!(out.contains("palisade_audit_witnessed_size 10\n"), "{out}");
    }
}
