//! Verification with trust from outside the audit directory (`palisade audit verify` without
//! `--self-consistency-only`): a pinned log key, plus checkpoints obtained elsewhere (trusted
//! files, e.g. the witness's latest record) and/or witness cosignatures with a quorum. Catches
//! what self-consistency cannot: rollback (an outside checkpoint larger than the log, which
//! also covers tail truncation) and forks (an outside checkpoint whose root differs from the
//! log's tree at its size: the log was rewritten and re-signed, even with the real key).
//!
//! Checkpoints the gateway stored with their cosignatures (`cosigned.latest`, see
//! [`crate::cosigned`]) are read too: they sit on the gateway's disk, so an attacker can delete
//! them, but never forge a cosignature; deleting them only makes entries count as unwitnessed.

use crate::checkpoint::Checkpoint;
use crate::cosignature::CosignatureVerifier;
use crate::note::NoteVerifier;
use crate::verify::{check_against, verify_with_roots_at, VerifyError, VerifyReport};
use std::path::Path;

/// What the verifier trusts, all from outside the directory.
#[derive(Debug, Clone, Default)]
pub struct OutsideTrust {
    /// The log's pinned verifier key (C2SP vkey).
    pub verifier_key: String,
    /// Signed checkpoint notes obtained out of band (they may carry cosignatures).
    pub checkpoints: Vec<String>,
    /// Witness keys (cosignature/v1 vkeys).
    pub witnesses: Vec<String>,
    /// Cosignatures needed for a checkpoint to count as witnessed (with `witnesses`).
    pub quorum: usize,
}

/// What verification with outside trust established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustReport {
    /// The whole-log check.
    pub log: VerifyReport,
    /// Largest outside checkpoint the log was proven to extend.
    pub trusted_size: Option<u64>,
    /// Largest checkpoint with a quorum of cosignatures (when witnesses were given).
    pub witnessed_size: Option<u64>,
    /// Entries after the largest trusted or witnessed checkpoint: nobody outside has seen them.
    pub unwitnessed: u64,
}

/// Verifies the log in `<data_dir>/audit` against `trust`; fails on rollback, fork, bad
/// outside checkpoints, and (with witnesses) when no checkpoint reaches the quorum.
pub fn verify_with_trust(
    data_dir: &Path,
    trust: &OutsideTrust,
) -> Result<TrustReport, VerifyError> {
    let key = |e: String| VerifyError::Key(e);
    let verifier = NoteVerifier::parse(&trust.verifier_key).map_err(|e| key(e.to_string()))?;
    let witnesses = trust
        .witnesses
        .iter()
        .map(|w| CosignatureVerifier::parse(w).map_err(|e| key(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    if !witnesses.is_empty() && (trust.quorum == 0 || trust.quorum > witnesses.len()) {
        return Err(key(format!(
            "quorum must be between 1 and the {} witness key(s) given",
            witnesses.len()
        )));
    }
    if witnesses.is_empty() && trust.checkpoints.is_empty() {
        return Err(key(
            "no outside trust: give a trusted checkpoint or witness keys".into(),
        ));
    }
    let stored = crate::cosigned::read_all(&crate::audit_dir(data_dir))
        .map_err(|e| VerifyError::Unreadable(e.to_string()))?;
    // (checkpoint, counts as trusted by the operator, witnessed by a quorum)
    let mut outside: Vec<(Checkpoint, bool, bool)> = Vec::new();
    for note in &trust.checkpoints {
        let cp = Checkpoint::verify_note(note, &verifier)
            .map_err(|e| VerifyError::Trusted(e.to_string()))?;
        let witnessed = quorum_met(note, &witnesses, trust.quorum);
        // With witness keys, a file counts only through its cosignatures.
        outside.push((cp, witnesses.is_empty(), witnessed));
    }
    for note in &stored {
        let Ok(cp) = Checkpoint::verify_note(note, &verifier) else {
            continue;
        };
        if !witnesses.is_empty() && quorum_met(note, &witnesses, trust.quorum) {
            outside.push((cp, false, true));
        }
    }
    let sizes: Vec<u64> = outside.iter().map(|(c, _, _)| c.size).collect();
    let (log, roots) = verify_with_roots_at(data_dir, &verifier, &sizes)?;
    // Forks first (the stronger finding), then rollback: sizes within the log, then above.
    let mut ordered: Vec<&(Checkpoint, bool, bool)> = outside.iter().collect();
    ordered.sort_by_key(|(c, _, _)| c.size);
    for (cp, trusted, witnessed) in ordered {
        if !trusted && !witnessed {
            continue;
        }
        let what = if *witnessed {
            "witnessed checkpoint"
        } else {
            "trusted checkpoint"
        };
        check_against(cp, log.entries, &roots, what)?;
    }
    let witnessed_size = outside
        .iter()
        .filter(|(_, _, w)| *w)
        .map(|(c, _, _)| c.size)
        .max();
    if !witnesses.is_empty() && witnessed_size.is_none() {
        return Err(VerifyError::NotWitnessed {
            quorum: trust.quorum,
        });
    }
    let trusted_size = outside
        .iter()
        .filter(|(_, t, w)| *t || *w)
        .map(|(c, _, _)| c.size)
        .max();
    Ok(TrustReport {
        unwitnessed: log.entries - trusted_size.unwrap_or(0),
        log,
        trusted_size,
        witnessed_size,
    })
}

/// Whether `note` carries valid cosignatures from at least `quorum` distinct witnesses.
pub fn quorum_met(note: &str, witnesses: &[CosignatureVerifier], quorum: usize) -> bool {
    witnesses.iter().filter(|w| w.verify(note).is_ok()).count() >= quorum
}
