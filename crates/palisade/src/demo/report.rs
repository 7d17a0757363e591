//! The demo's report: one record per step (what the attacker tried, what should happen, what
//! happened, which control decided, the audit entry), printed as a progress line while the
//! replay runs, then as a table that fits one terminal screen, or as JSON.

use serde::Serialize;

/// The outcome of one step of the chain.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// 1..=10.
    pub step: u8,
    /// What the attacker tried.
    pub attack: String,
    /// The expected outcome, in the same words as `happened` when all went as designed.
    pub expected: String,
    /// What the gateway (or tool) actually answered.
    pub happened: String,
    /// The control that decided (crate and rule / code).
    pub control: String,
    /// The audit entry recording the decision, when the step went through the gateway.
    pub audit_index: Option<u64>,
    /// Whether `happened` matches `expected` and every check of the step held.
    pub as_expected: bool,
    /// Supporting facts (findings, scores, statuses) for the curious.
    pub detail: String,
    /// Gateway request ids of the step's decisive call (resolved to `audit_index`).
    #[serde(skip)]
    pub request_id: Option<String>,
    /// A data class the audit entry must show among its findings.
    #[serde(skip)]
    pub want_class: Option<&'static str>,
}

impl Step {
    /// A step whose outcome is judged by string equality plus `extra_ok`.
    pub fn new(step: u8, attack: &str, expected: &str, happened: String, extra_ok: bool) -> Self {
        let as_expected = extra_ok && happened == expected;
        Self {
            step,
            attack: attack.to_owned(),
            expected: expected.to_owned(),
            happened,
            control: String::new(),
            audit_index: None,
            as_expected,
            detail: String::new(),
            request_id: None,
            want_class: None,
        }
    }

    /// Sets the deciding control.
    pub fn control(mut self, c: impl Into<String>) -> Self {
        self.control = c.into();
        self
    }

    /// Sets the detail line.
    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = d.into();
        self
    }

    /// Sets the request id to resolve.
    pub fn request(mut self, id: Option<String>) -> Self {
        self.request_id = id;
        self
    }

    /// The progress line printed as the step completes.
    pub fn progress_line(&self) -> String {
        format!(
            "[{:>2}/10] {} {}: {}",
            self.step,
            if self.as_expected { "ok  " } else { "FAIL" },
            self.attack,
            self.happened,
        )
    }
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.push('~');
    out
}

/// The table (about 100 columns, one line per step).
pub fn table(steps: &[Step]) -> String {
    let mut out = format!(
        "{:<2} {:<25} {:<50} {:<3} {:<30} {:>5}\n",
        "#", "attacker tried", "happened (= expected when ok)", "ok", "deciding control", "audit"
    );
    for s in steps {
        let happened = if s.as_expected {
            s.happened.clone()
        } else {
            format!("{} (expected {})", s.happened, s.expected)
        };
        out.push_str(&format!(
            "{:<2} {:<25} {:<50} {:<3} {:<30} {:>5}\n",
            s.step,
            cut(&s.attack, 25),
            cut(&happened, 50),
            if s.as_expected { "yes" } else { "NO" },
            cut(&s.control, 30),
            s.audit_index.map_or("-".to_owned(), |i| i.to_string())
        ));
    }
    out
}
