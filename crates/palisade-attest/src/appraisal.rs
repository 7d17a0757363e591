//! The common result of every evidence verifier: which kind was appraised, until when the
//! appraisal may back a credential, and the verified claims (strings, for tokens and policy).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A successful appraisal. A credential issued on it must expire no later than `expires_at_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appraisal {
    /// Evidence kind (`sev_snp`, `dsse_provenance`, `sigstore_bundle`, `sample_tee`).
    pub kind: String,
    /// Milliseconds since the epoch after which the appraisal is stale.
    pub expires_at_ms: u64,
    /// Verified claims, e.g. `snp.measurement` or `provenance.builder_id`.
    pub claims: BTreeMap<String, String>,
}
