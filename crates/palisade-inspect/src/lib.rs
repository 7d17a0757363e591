//! Content inspection for Palisade (request-path stages 5 and 9): normalization of every text
//! leaf, secret/PII/exact-data-match/marker/canary/protected-document/injection detectors, the
//! streaming scanner with hold-back, and the offline scanner used by `palisade inspect`.

pub mod config;
pub mod detect;
pub mod docs;
pub mod engine;
pub mod error;
pub mod hash;
pub mod normalize;
pub mod offline;
pub mod redact;
pub mod rules;
pub mod state;
pub mod stream;

pub use config::{ColumnRole, EdmConfig, InspectConfig, RuleFamily};
pub use detect::canary::{canary_mint, load_canaries, Canary, CanaryKind, MintedCanary};
pub use detect::edm::edm_load;
pub use docs::{load_docs, protect_add, ProtectedDoc};
pub use engine::{Engine, EngineStats, DECODE_BUDGET_EXHAUSTED};
pub use error::InspectError;
pub use offline::render::{render_json, render_table};
pub use offline::sarif::render_sarif;
pub use offline::{
    exit_code, scan_file, scan_jsonl, scan_paths, scan_text, Located, Progress, Report,
    ScanOptions, Skipped,
};
pub use redact::{apply_redactions, placeholder};
