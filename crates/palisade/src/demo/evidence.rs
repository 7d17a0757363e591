//! The demo's evidence material, in the real formats: a builder key that signs DSSE/in-toto
//! SLSA v1 provenance for the workloads' artifacts, a scanner key that signs `palisade scan`
//! verdicts, and sample TEE reports (the `sample-tee` build feature) binding the enrollment
//! nonce and DPoP key. Keys are generated at start and live only in this run's data dir.

use anyhow::{Context, Result};
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::EncodePublicKey;
use ed25519_dalek::{Signer, SigningKey};
use palisade_core::dsse::{pae, Envelope, IN_TOTO_PAYLOAD_TYPE};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The builder id the config trusts.
pub const BUILDER_ID: &str = "https://builder.lab.example/ci@v1";
/// The source repository the config trusts.
pub const SOURCE_REPO: &str = "https://git.lab.example/platform/agents";
/// The reference measurement of the lab's confidential VMs (sample TEE).
pub const MEASUREMENT: &str = "6c61622d636f6e666964656e7469616c2d766d2d696d6167652d7631000000aa";

/// Key material of one demo run.
pub struct DemoKeys {
    builder: SigningKey,
    scanner: SigningKey,
}

impl DemoKeys {
    /// Fresh keys.
    pub fn generate() -> Self {
        Self {
            builder: SigningKey::from_bytes(&rand::random::<[u8; 32]>()),
            scanner: SigningKey::from_bytes(&rand::random::<[u8; 32]>()),
        }
    }

    /// The builder's public key (SPKI PEM) for `[attest.provenance]`.
    pub fn builder_pem(&self) -> Result<String> {
        self.builder
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .context("encoding the builder key")
    }

    /// The scanner's public key (SPKI PEM) for `[attest.scan]`.
    pub fn scanner_pem(&self) -> Result<String> {
        palisade_scan::verifying_key_pem(&self.scanner.verifying_key())
            .context("encoding the scanner key")
    }

    /// The scanner key as palisade-scan's signing type.
    pub fn scanner(&self) -> palisade_scan::AttestKey {
        palisade_scan::AttestKey::from_signing_key(self.scanner.clone())
    }

    /// Signed SLSA v1 provenance for `artifact` (its bytes give the subject digest).
    pub fn provenance(&self, artifact: &str) -> Envelope {
        let payload = statement(artifact, &digest_of(artifact)).to_string();
        let mut env = Envelope::new(IN_TOTO_PAYLOAD_TYPE, payload.as_bytes());
        let sig = self
            .builder
            .sign(&pae(IN_TOTO_PAYLOAD_TYPE, payload.as_bytes()));
        env.push_signature("demo-builder", &sig.to_bytes());
        env
    }
}

/// `sha256:<hex>` of an artifact name (stands for the workload image digest).
pub fn digest_of(artifact: &str) -> String {
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(artifact.as_bytes()))
    )
}

fn statement(artifact: &str, digest: &str) -> Value {
    let hex = digest.trim_start_matches("sha256:");
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": artifact, "digest": {"sha256": hex}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://builder.lab.example/container@v1",
                "externalParameters": {"source": {"uri": format!("git+{SOURCE_REPO}@refs/heads/main")}},
            },
            "runDetails": {"builder": {"id": BUILDER_ID}},
        },
    })
}

/// The provenance evidence item for `artifact`.
pub fn provenance_item(env: &Envelope, artifact: &str) -> Value {
    json!({"kind": "dsse_provenance", "envelope": env, "artifact_digest": digest_of(artifact)})
}

/// The same envelope with its payload swapped for a statement about another artifact: the
/// signature still names the builder, but it no longer covers what the envelope says.
pub fn tampered(env: &Envelope, artifact: &str, swapped_in: &str) -> Envelope {
    let payload = statement(artifact, &digest_of(swapped_in)).to_string();
    let mut t = Envelope::new(IN_TOTO_PAYLOAD_TYPE, payload.as_bytes());
    t.signatures = env.signatures.clone();
    t
}

/// A sample TEE report over `binding`.
pub fn sample_tee(binding: &[u8; 32], debug: bool) -> Value {
    json!({
        "kind": "sample_tee",
        "measurement": MEASUREMENT,
        "debug": debug,
        "report_data": hex::encode(binding),
    })
}

/// A join token evidence item.
pub fn join_token(token: &str) -> Value {
    json!({"kind": "join_token", "token": token})
}

/// A signed scan verdict evidence item.
pub fn scan_item(env: &Envelope) -> Value {
    json!({"kind": "scan_attestation", "envelope": env})
}
