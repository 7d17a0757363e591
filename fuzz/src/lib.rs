//! Fuzzing harness of Palisade: the per-parser functions live in `targets.rs` (shared with the
//! stable corpus replay in crates/palisade/tests/fuzz_corpus.rs).
#![forbid(unsafe_code)]

mod targets;

pub use targets::*;
