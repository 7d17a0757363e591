//! What the demo plants in its data dir, embedded so the binary alone can replay the breach:
//! the default policy pack (copied from `examples/policies`), the synthetic research roadmap
//! (with canary tokens substituted in), and a synthetic payroll table generated from a fixed
//! seed, so every run sees the same employees.

use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;

/// The default policy pack, file by file.
pub const POLICY_PACK: [(&str, &str); 7] = [
    (
        "00-principals.cedar",
        include_str!("../../../../examples/policies/00-principals.cedar"),
    ),
    (
        "10-segments.cedar",
        include_str!("../../../../examples/policies/10-segments.cedar"),
    ),
    (
        "20-segment-guards.cedar",
        include_str!("../../../../examples/policies/20-segment-guards.cedar"),
    ),
    (
        "30-egress.cedar",
        include_str!("../../../../examples/policies/30-egress.cedar"),
    ),
    (
        "40-behavior.cedar",
        include_str!("../../../../examples/policies/40-behavior.cedar"),
    ),
    (
        "50-injection.shadow.cedar",
        include_str!("../../../../examples/policies/50-injection.shadow.cedar"),
    ),
    (
        "cases.toml",
        include_str!("../../../../examples/policies/cases.toml"),
    ),
];

/// The roadmap template (`{{CANARY_URL}}`, `{{CANARY_DOC}}` are replaced by minted canaries).
pub const ROADMAP: &str = include_str!("../../../../examples/demo/research-roadmap.md");

/// Writes the policy pack into `dir`.
pub fn write_policy_pack(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in POLICY_PACK {
        std::fs::write(dir.join(name), text).with_context(|| format!("writing {name}"))?;
    }
    Ok(())
}

/// The roadmap with its canaries planted.
pub fn roadmap(canary_url: &str, canary_doc: &str) -> String {
    ROADMAP
        .replace("{{CANARY_URL}}", canary_url)
        .replace("{{CANARY_DOC}}", canary_doc)
}

/// The milestones section, as the research agent's lost-context reformat turns it into JSON.
pub fn roadmap_milestones_json(roadmap: &str) -> String {
    let section = roadmap
        .split("## Milestones")
        .nth(1)
        .and_then(|s| s.split("## ").next())
        .unwrap_or("");
    let items: Vec<serde_json::Value> = section
        .split("\nQuarter ")
        .flat_map(|s| s.split("\nYear "))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let (when, what) = s.split_once(':').unwrap_or(("", s));
            serde_json::json!({"when": when.trim(), "milestone": what.trim().replace('\n', " ")})
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({"roadmap": items})).unwrap_or_default()
}

/// One synthetic employee.
#[derive(Debug, Clone)]
pub struct Employee {
    /// `E` + six digits.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Annual salary.
    pub salary: u32,
    /// Department.
    pub department: &'static str,
}

const FIRST: [&str; 16] = [
    "Maria", "Wei", "Amara", "Lukas", "Priya", "Diego", "Sofia", "Kenji", "Fatima", "Oliver",
    "Ines", "Tunde", "Hana", "Mateo", "Zara", "Erik",
];
const LAST: [&str; 16] = [
    "Okafor", "Zhang", "Novak", "Haddad", "Iyer", "Moreau", "Silva", "Tanaka", "Kowalski",
    "Mensah", "Larsen", "Rossi", "Nakamura", "Cohen", "Duarte", "Fischer",
];
const DEPTS: [&str; 4] = [
    "Superintelligence",
    "AI Research",
    "Infrastructure",
    "Safety",
];

/// `n` employees from a fixed seed.
pub fn employees(n: usize) -> Vec<Employee> {
    let mut rng = StdRng::seed_from_u64(0x5EED_2026);
    (0..n)
        .map(|i| Employee {
            id: format!("E{:06}", 104_000 + i * 7 + rng.gen_range(0..7)),
            name: format!(
                "{} {}",
                FIRST[rng.gen_range(0..FIRST.len())],
                LAST[rng.gen_range(0..LAST.len())]
            ),
            salary: rng.gen_range(90..450) * 1000 + rng.gen_range(0..1000),
            department: DEPTS[rng.gen_range(0..DEPTS.len())],
        })
        .collect()
}

/// The payroll CSV loaded for exact data match.
pub fn payroll_csv(staff: &[Employee]) -> String {
    let mut out = String::from("employee_id,name,salary,department\n");
    for e in staff {
        out.push_str(&format!(
            "{},{},{},{}\n",
            e.id, e.name, e.salary, e.department
        ));
    }
    out
}
