//! DSSE + in-toto v1 + SLSA Provenance v1 evidence: the envelope must be signed by configured
//! builder keys (threshold), the builder id and source repository must be allowed, and the
//! workload's artifact digest must be one of the statement's subject digests (the reference
//! value). Provenance attests an artifact, not a live instance: it carries no nonce, so the
//! binding is not checked here and enrollment must pair it with a binding evidence kind.

pub mod envelope;
pub mod statement;

use crate::appraisal::Appraisal;
use crate::keys::{KeyError, PublicKey};
use palisade_core::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub use envelope::{verify_envelope, VerifiedEnvelope};
pub use statement::{normalize_repo, SlsaSummary, Statement, Subject, SLSA_PROVENANCE_V1};

/// Evidence kind name.
pub const KIND: &str = "dsse_provenance";

/// Why provenance evidence was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProvenanceError {
    /// The evidence JSON does not have the expected shape.
    #[error("malformed provenance evidence: {0}")]
    Evidence(String),
    /// Invalid configuration.
    #[error("invalid provenance configuration: {0}")]
    Config(String),
    /// A configured key could not be loaded.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The envelope could not be decoded.
    #[error("malformed dsse envelope: {0}")]
    Envelope(String),
    /// payloadType not accepted.
    #[error("dsse payload type `{0}` is not accepted")]
    PayloadType(String),
    /// The envelope has no signatures.
    #[error("dsse envelope has no signatures")]
    NoSignatures,
    /// Too few trusted keys verified.
    #[error("{verified} trusted key(s) verified the envelope, {threshold} required")]
    Threshold {
        /// Distinct trusted keys that verified.
        verified: usize,
        /// Required.
        threshold: usize,
    },
    /// The statement is malformed.
    #[error("invalid in-toto statement: {0}")]
    Statement(String),
    /// predicateType not accepted.
    #[error("predicate type `{0}` is not accepted")]
    PredicateType(String),
    /// Builder id not allowed.
    #[error("builder id `{0}` is not allowed")]
    BuilderNotAllowed(String),
    /// The provenance names no source repository.
    #[error("provenance names no source repository")]
    SourceMissing,
    /// Source repository not allowed.
    #[error("source repository `{0}` is not allowed")]
    SourceNotAllowed(String),
    /// The artifact digest is not a subject of the statement.
    #[error("artifact digest `{0}` is not a subject of the provenance")]
    SubjectMismatch(String),
}

/// A builder key: an operator-chosen id and a PEM SPKI (ECDSA P-256/P-384 or Ed25519).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuilderKeyConfig {
    /// Name used in claims and errors.
    pub id: String,
    /// `-----BEGIN PUBLIC KEY-----` PEM.
    pub public_key_pem: String,
}

fn one() -> usize {
    1
}
fn default_ttl() -> u64 {
    3600
}

/// Provenance verifier configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvenanceConfig {
    /// Trusted builder keys.
    pub builder_keys: Vec<BuilderKeyConfig>,
    /// Distinct trusted keys that must sign (default 1).
    #[serde(default = "one")]
    pub threshold: usize,
    /// Accepted `runDetails.builder.id` values (exact match).
    pub allowed_builder_ids: Vec<String>,
    /// Accepted source repositories (compared after [`normalize_repo`]).
    pub allowed_source_repositories: Vec<String>,
    /// Appraisal lifetime in seconds.
    #[serde(default = "default_ttl")]
    pub appraisal_ttl_secs: u64,
}

/// Evidence: `{"envelope": {...DSSE...}, "artifact_digest": "sha256:<hex>"}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvenanceEvidence {
    envelope: Envelope,
    artifact_digest: String,
}

/// A ready verifier.
#[derive(Debug, Clone)]
pub struct ProvenanceVerifier {
    keys: Vec<PublicKey>,
    config: ProvenanceConfig,
    sources: BTreeSet<String>,
}

impl ProvenanceVerifier {
    /// Loads keys and checks the configuration.
    pub fn new(config: ProvenanceConfig) -> Result<Self, ProvenanceError> {
        let keys = config
            .builder_keys
            .iter()
            .map(|k| PublicKey::from_pem(&k.id, &k.public_key_pem))
            .collect::<Result<Vec<_>, _>>()?;
        // The threshold counts distinct keys; the same key twice under two names would let
        // one signer meet a threshold of two.
        let distinct: BTreeSet<[u8; 32]> = keys.iter().map(PublicKey::spki_sha256).collect();
        if distinct.len() != keys.len() {
            return Err(ProvenanceError::Config(
                "a builder key is listed twice".into(),
            ));
        }
        if config.threshold == 0 || config.threshold > keys.len() {
            return Err(ProvenanceError::Config(format!(
                "threshold {} must be between 1 and the number of keys ({})",
                config.threshold,
                keys.len()
            )));
        }
        let sources = config
            .allowed_source_repositories
            .iter()
            .map(|s| normalize_repo(s))
            .collect();
        Ok(Self {
            keys,
            config,
            sources,
        })
    }

    /// The evidence kind (`dsse_provenance`).
    pub fn kind(&self) -> &str {
        KIND
    }

    /// Verifies JSON evidence. `binding` is unused (see module docs).
    pub fn verify(
        &self,
        evidence: &serde_json::Value,
        _binding: &[u8; 32],
        now_ms: u64,
    ) -> Result<Appraisal, ProvenanceError> {
        let ev = ProvenanceEvidence::deserialize(evidence)
            .map_err(|e| ProvenanceError::Evidence(e.to_string()))?;
        self.verify_envelope_for(&ev.envelope, &ev.artifact_digest, now_ms)
    }

    /// Verifies an envelope for an artifact digest `alg:hex`.
    pub fn verify_envelope_for(
        &self,
        env: &Envelope,
        artifact_digest: &str,
        now_ms: u64,
    ) -> Result<Appraisal, ProvenanceError> {
        let (alg, want) = artifact_digest
            .split_once(':')
            .ok_or_else(|| ProvenanceError::Evidence("artifact_digest must be `alg:hex`".into()))?;
        let verified = verify_envelope(
            env,
            &self.keys,
            self.config.threshold,
            &[IN_TOTO_PAYLOAD_TYPE],
        )?;
        let st = Statement::parse(&verified.payload)?;
        if st.predicate_type != SLSA_PROVENANCE_V1 {
            return Err(ProvenanceError::PredicateType(st.predicate_type));
        }
        let slsa = st.slsa_v1()?;
        if !self.config.allowed_builder_ids.contains(&slsa.builder_id) {
            return Err(ProvenanceError::BuilderNotAllowed(slsa.builder_id));
        }
        if !self.sources.contains(&slsa.source_repository) {
            return Err(ProvenanceError::SourceNotAllowed(slsa.source_repository));
        }
        let subject = st
            .subject
            .iter()
            .find(|s| {
                s.digest
                    .get(alg)
                    .is_some_and(|d| d.eq_ignore_ascii_case(want))
            })
            .ok_or_else(|| ProvenanceError::SubjectMismatch(artifact_digest.to_owned()))?;
        let claims: BTreeMap<String, String> = [
            ("provenance.builder_id", slsa.builder_id),
            ("provenance.build_type", slsa.build_type),
            ("provenance.source_repository", slsa.source_repository),
            ("provenance.predicate_type", st.predicate_type.clone()),
            ("provenance.subject_name", subject.name.clone()),
            (
                "provenance.subject_digest",
                format!("{alg}:{}", want.to_ascii_lowercase()),
            ),
            ("provenance.signed_by", verified.key_ids.join(",")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        Ok(Appraisal {
            kind: KIND.to_owned(),
            expires_at_ms: now_ms
                .saturating_add(self.config.appraisal_ttl_secs.saturating_mul(1000)),
            claims,
        })
    }
}
