//! Tamper-evident audit log for Palisade (issue 6): every decision is an RFC 6962 Merkle leaf
//! in append-only segment files with an index, sealed where sensitive, covered by C2SP signed
//! checkpoints, provable (inclusion, consistency), verifiable offline, exportable to SIEMs.
//!
//! Module map: [`config`] (gateway config), [`log`] (the live log and its [`palisade_core::AuditSink`]),
//! [`writer`] (group-commit thread), [`recover`] (open and crash repair), [`segment`] (file
//! formats), [`entry`] (canonical leaves and sealing), [`merkle`], [`frontier`] (the right
//! edge the live log and the verifiers keep) and [`tree`] (the full tree, for proofs; RFC 6962),
//! [`proof`] (proof values and text format), [`note`] and [`checkpoint`] (C2SP), [`verify`],
//! [`reader`] (tail/show/proofs from disk), [`export`] (JSONL, OCSF), [`render`] (text output),
//! [`cli`] (handlers for `palisade audit ...`); outside trust (issue 14): [`cosignature`]
//! (C2SP tlog-cosignature), [`witness`] (C2SP tlog-witness, HTTP-free), [`cosigned`] (the
//! witnessed checkpoint stored beside the log), [`trust`] (verification against pinned keys,
//! trusted checkpoints and witness quorums), [`publish`] (the log's submissions to witnesses,
//! quorum, lag), [`witness_key`] (the witness's key file).

pub mod checkpoint;
mod checkpoint_file;
pub mod cli;
pub mod config;
pub mod cosignature;
pub mod cosigned;
pub mod entry;
pub mod error;
pub mod export;
mod files;
pub mod frontier;
#[cfg(test)]
mod live_memory_tests;
pub mod log;
pub mod merkle;
pub mod note;
pub mod proof;
pub mod publish;
#[cfg(test)]
mod queue_limit_tests;
pub mod reader;
pub mod recover;
pub mod render;
pub mod segment;
mod syncer;
#[cfg(test)]
mod test_support;
pub mod tree;
pub mod trust;
pub mod verify;
mod verify_checkpoints;
pub mod witness;
pub mod witness_key;
mod writer;

pub use checkpoint::{read_verifier_key, unseal_checkpoint_signer, Checkpoint};
pub use cli::{
    export_cmd, key_cmd, proof_consistency_cmd, proof_inclusion_cmd, show_cmd, tail_cmd,
    verify_cmd, AuditCliError, VerifyArgs,
};
pub use config::{AuditConfig, DurabilityMode, WitnessEndpoint};
pub use cosignature::{CosignatureVerifier, Cosigner};
pub use entry::{BodyCapture, LeafEntry, Sensitive};
pub use error::AuditError;
pub use export::{export, to_ocsf, ExportFormat};
pub use frontier::Frontier;
pub use log::{audit_dir, AuditLog};
pub use merkle::{Hash, ProofError};
pub use note::{NoteError, NoteSignature, NoteSigner, NoteVerifier, SignedNote};
pub use proof::{ConsistencyProof, InclusionProof};
pub use publish::{
    LagReport, PublishError, Publisher, RoundReport, WitnessStatus, WitnessTransport,
};
pub use reader::{LogReader, ShownEntry};
pub use trust::{verify_with_trust, OutsideTrust, TrustReport};
pub use verify::{verify, EntryProblem, TrustedCheckpoint, VerifyError, VerifyReport};
pub use witness::{AddCheckpoint, AddError, Witness};
pub use witness_key::{init_witness_key, load_witness_key};
