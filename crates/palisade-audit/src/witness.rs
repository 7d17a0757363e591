//! The witness of C2SP tlog-witness (https://c2sp.org/tlog-witness), without HTTP: parses an
//! `add-checkpoint` body (`old <size>` line, up to 63 base64 consistency proof lines, an empty
//! line, the signed checkpoint), checks it against the latest checkpoint it cosigned for that
//! origin, persists the new one and returns its cosignature line. Every refusal carries the
//! HTTP status the spec assigns ([`AddError::status`]), so the server in the binary only maps
//! bytes. The check and the persist happen under one lock (the spec's rollback race), and the
//! state is one file per origin replaced atomically (temp + fsync + rename + dir fsync).

use crate::checkpoint::Checkpoint;
use crate::cosignature::Cosigner;
use crate::files;
use crate::merkle::{verify_consistency, Hash};
use crate::note::{NoteVerifier, SignedNote};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Most consistency proof lines a request may carry (the spec's limit).
pub const MAX_PROOF_LINES: usize = 63;
/// Content type of the 409 body.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// Why an add-checkpoint request was refused.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// Malformed body, or old size larger than the checkpoint size (400).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// No log with this origin is configured (404).
    #[error("unknown log origin {0:?}")]
    UnknownOrigin(String),
    /// No signature verifies against the log's key (403).
    #[error("no valid signature from the log's key")]
    Forbidden,
    /// The old size is not the latest cosigned size, or a same-size checkpoint has another
    /// root (409); `size` is the witness's latest cosigned size (the body).
    #[error("conflict: the witness's latest checkpoint has size {size}{}", if *.fork { " and another root (fork)" } else { "" })]
    Conflict {
        /// Latest cosigned size.
        size: u64,
        /// The root differs at the same size: evidence of a fork.
        fork: bool,
    },
    /// The consistency proof does not verify (422).
    #[error("consistency proof from {old} to {new} does not verify: {reason}")]
    BadProof {
        /// Old size.
        old: u64,
        /// New size.
        new: u64,
        /// Why.
        reason: String,
    },
    /// The witness could not read or persist its state (500).
    #[error("witness storage: {0}")]
    Storage(String),
}

impl AddError {
    /// The HTTP status the spec assigns to this refusal.
    pub fn status(&self) -> u16 {
        match self {
            AddError::BadRequest(_) => 400,
            AddError::UnknownOrigin(_) => 404,
            AddError::Forbidden => 403,
            AddError::Conflict { .. } => 409,
            AddError::BadProof { .. } => 422,
            AddError::Storage(_) => 500,
        }
    }

    /// The response body: the latest size for 409 (`text/x.tlog.size`), else the message.
    pub fn body(&self) -> String {
        match self {
            AddError::Conflict { size, .. } => format!("{size}\n"),
            other => format!("{other}\n"),
        }
    }
}

/// A parsed add-checkpoint request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint<'a> {
    /// The `old` size.
    pub old: u64,
    /// Consistency proof from `old` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub note: &'a str,
}

fn canonical_decimal(s: &str) -> Option<u64> {
    let ok = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s.len() == 1 || !s.starts_with('0'));
    ok.then(|| s.parse().ok()).flatten()
}

impl<'a> AddCheckpoint<'a> {
    /// Parses the request body.
    pub fn parse(body: &'a str) -> Result<Self, AddError> {
        let bad = |m: &str| AddError::BadRequest(m.to_string());
        let (head, note) = body
            .split_once("\n\n")
            .ok_or_else(|| bad("no empty line before the checkpoint"))?;
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .and_then(canonical_decimal)
            .ok_or_else(|| bad("first line must be `old <size>` in canonical decimal"))?;
        let mut proof = Vec::new();
        for line in lines {
            if proof.len() == MAX_PROOF_LINES {
                return Err(bad("more than 63 consistency proof lines"));
            }
            let h = STANDARD
                .decode(line)
                .ok()
                .and_then(|v| Hash::try_from(v.as_slice()).ok())
                .ok_or_else(|| bad("a proof line is not base64 of 32 bytes"))?;
            proof.push(h);
        }
        Ok(AddCheckpoint { old, proof, note })
    }

    /// The request body for this submission (what a log sends).
    pub fn to_body(old: u64, proof: &[Hash], note: &str) -> String {
        let mut s = format!("old {old}\n");
        for h in proof {
            s.push_str(&STANDARD.encode(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(note);
        s
    }
}

/// A witness: its key, the logs it follows, and its state directory.
#[derive(Debug)]
pub struct Witness {
    dir: PathBuf,
    key: Cosigner,
    logs: HashMap<String, NoteVerifier>,
    /// Serialises check-and-persist (see the module docs).
    lock: Mutex<()>,
}

impl Witness {
    /// A witness keeping its state in `dir`, cosigning for the logs whose keys are given.
    pub fn open(dir: &Path, key: Cosigner, logs: Vec<NoteVerifier>) -> Result<Self, AddError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| AddError::Storage(format!("{}: {e}", dir.display())))?;
        Ok(Witness {
            dir: dir.to_path_buf(),
            key,
            logs: logs
                .into_iter()
                .map(|v| (v.name().to_string(), v))
                .collect(),
            lock: Mutex::new(()),
        })
    }

    fn state_path(&self, origin: &str) -> PathBuf {
        let h = Sha256::digest(origin.as_bytes());
        self.dir
            .join(format!("log-{}.checkpoint", hex::encode(&h[..16])))
    }

    /// The latest checkpoint this witness cosigned for `origin`: the log's note with the
    /// witness's cosignature appended (a witnessed checkpoint a verifier can be handed).
    pub fn latest(&self, origin: &str) -> Result<Option<String>, AddError> {
        let path = self.state_path(origin);
        match std::fs::read_to_string(&path) {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(AddError::Storage(format!("{}: {e}", path.display()))),
        }
    }

    /// Handles one add-checkpoint body at time `now` (POSIX seconds); returns the response
    /// body (one cosignature line).
    pub fn add_checkpoint(&self, body: &str, now: u64) -> Result<String, AddError> {
        let req = AddCheckpoint::parse(body)?;
        let signed = SignedNote::parse(req.note)
            .map_err(|e| AddError::BadRequest(format!("checkpoint: {e}")))?;
        let unverified =
            Checkpoint::parse_text(signed.text).map_err(|e| AddError::BadRequest(e.to_string()))?;
        let verifier = self
            .logs
            .get(&unverified.origin)
            .ok_or_else(|| AddError::UnknownOrigin(unverified.origin.clone()))?;
        let cp = Checkpoint::verify_note(req.note, verifier).map_err(|_| AddError::Forbidden)?;
        if req.old > cp.size {
            return Err(AddError::BadRequest(format!(
                "old size {} is larger than the checkpoint size {}",
                req.old, cp.size
            )));
        }
        let _guard = self.lock.lock();
        let stored = match self.latest(&cp.origin)? {
            Some(note) => Some(
                Checkpoint::verify_note(&note, verifier)
                    .map_err(|e| AddError::Storage(format!("stored checkpoint: {e}")))?,
            ),
            None => None,
        };
        let stored_size = stored.as_ref().map_or(0, |c| c.size);
        if req.old != stored_size {
            return Err(AddError::Conflict {
                size: stored_size,
                fork: false,
            });
        }
        match &stored {
            None => {
                if !req.proof.is_empty() {
                    return Err(AddError::BadRequest(
                        "the proof must be empty when the old size is 0".into(),
                    ));
                }
            }
            Some(prev) if prev.size == cp.size => {
                if prev.root != cp.root {
                    return Err(AddError::Conflict {
                        size: prev.size,
                        fork: true,
                    });
                }
                if !req.proof.is_empty() {
                    return Err(AddError::BadProof {
                        old: prev.size,
                        new: cp.size,
                        reason: "a proof between equal sizes must be empty".into(),
                    });
                }
            }
            Some(prev) => {
                let proof: Vec<Vec<u8>> = req.proof.iter().map(|h| h.to_vec()).collect();
                verify_consistency(prev.size, cp.size, &prev.root, &cp.root, &proof).map_err(
                    |e| AddError::BadProof {
                        old: prev.size,
                        new: cp.size,
                        reason: e.to_string(),
                    },
                )?;
            }
        }
        let cosig = self.key.cosign(signed.text, now);
        // Stored as the log's note plus this cosignature: the witness's own record of what it
        // attested, and a witnessed checkpoint to hand to verifiers.
        let record = format!("{}{cosig}", req.note);
        files::write_atomic(&self.state_path(&cp.origin), record.as_bytes())
            .map_err(|e| AddError::Storage(e.to_string()))?;
        Ok(cosig)
    }
}
