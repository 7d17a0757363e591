//! Adapts palisade-attest's verifiers to the identity crate's `EvidenceVerifier` seam, and builds
//! the set enrollment accepts from `[attest]`. The attest crate stays free of identity types;
//! this is the one place the two meet.

use anyhow::{Context, Result};
use palisade_config::sections::AttestSection;
use palisade_identity::{Appraisal, EvidenceError, EvidenceVerifier};
use serde_json::Value;
use std::sync::Arc;

/// One attest verifier behind the identity seam.
struct Adapter<F> {
    kind: String,
    verify: F,
}

impl<F> EvidenceVerifier for Adapter<F>
where
    F: Fn(&Value, &[u8; 32], u64) -> Result<palisade_attest::Appraisal, String> + Send + Sync,
{
    fn kind(&self) -> &str {
        &self.kind
    }

    fn verify(
        &self,
        evidence: &Value,
        binding: &[u8; 32],
        now_ms: u64,
    ) -> Result<Appraisal, EvidenceError> {
        // Enrollment hands over the whole item; the attest verifiers parse their own fields
        // strictly (unknown fields refused), so the routing member `kind` is removed first.
        let mut item = evidence.clone();
        if let Value::Object(map) = &mut item {
            map.remove("kind");
        }
        let a = (self.verify)(&item, binding, now_ms)
            .map_err(|msg| EvidenceError::new(&self.kind, "evidence_rejected", msg))?;
        Ok(Appraisal {
            kind: a.kind,
            expires_at_ms: a.expires_at_ms,
            claims: a
                .claims
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        })
    }
}

fn adapter<F>(kind: &'static str, verify: F) -> Arc<dyn EvidenceVerifier>
where
    F: Fn(&Value, &[u8; 32], u64) -> Result<palisade_attest::Appraisal, String>
        + Send
        + Sync
        + 'static,
{
    Arc::new(Adapter {
        kind: kind.to_owned(),
        verify,
    })
}

/// Any palisade-attest verifier behind the identity seam.
fn attested(v: impl palisade_attest::Verifier + 'static) -> Arc<dyn EvidenceVerifier> {
    let kind = v.kind().to_owned();
    Arc::new(Adapter {
        kind,
        verify: move |e: &Value, b: &[u8; 32], now: u64| {
            v.verify(e, b, now).map_err(|e| e.to_string())
        },
    })
}

/// The verifiers `[attest]` enables, ready for `IdentityService::add_verifier`.
pub fn verifiers(section: &AttestSection) -> Result<Vec<Arc<dyn EvidenceVerifier>>> {
    use palisade_attest::{provenance, sigstore, snp};
    let mut out = Vec::new();
    if let Some(s) = &section.sev_snp {
        let mut chains = std::collections::BTreeMap::new();
        for (product, file) in &s.amd_chain_files {
            let pem = std::fs::read_to_string(file)
                .with_context(|| format!("reading AMD chain {}", file.display()))?;
            chains.insert(product.clone(), pem);
        }
        let v = snp::SnpVerifier::new(snp::SnpConfig {
            amd_chains: chains,
            policy: s.policy.clone(),
        })
        .context("[attest.sev_snp]")?;
        out.push(attested(v));
    }
    if let Some(p) = &section.provenance {
        let v = provenance::ProvenanceVerifier::new(p.clone()).context("[attest.provenance]")?;
        out.push(attested(v));
    }
    if let Some(s) = &section.sigstore {
        let root = std::fs::read_to_string(&s.trusted_root_file)
            .with_context(|| format!("reading {}", s.trusted_root_file.display()))?;
        let v = sigstore::SigstoreVerifier::new(sigstore::SigstoreConfig {
            trusted_root_json: root,
            identities: s.identities.clone(),
            managed_keys: s.managed_keys.clone(),
            appraisal_ttl_secs: s.appraisal_ttl_secs,
        })
        .context("[attest.sigstore]")?;
        out.push(attested(v));
    }
    if let Some(s) = &section.sample_tee {
        out.push(sample_tee(s)?);
    }
    if let Some(s) = &section.scan {
        out.push(scan_attestation(s)?);
    }
    Ok(out)
}

#[cfg(feature = "sample-tee")]
fn sample_tee(
    s: &palisade_config::sections::attest::SampleTeeSection,
) -> Result<Arc<dyn EvidenceVerifier>> {
    use palisade_attest::sample_tee::{SampleTeeConfig, SampleTeeVerifier};
    let v = SampleTeeVerifier::new(SampleTeeConfig {
        enabled: true,
        reference_measurements: s.reference_measurements.clone(),
        allow_debug: s.allow_debug,
        appraisal_ttl_secs: s.appraisal_ttl_secs,
    });
    Ok(attested(v))
}

#[cfg(not(feature = "sample-tee"))]
fn sample_tee(
    _s: &palisade_config::sections::attest::SampleTeeSection,
) -> Result<Arc<dyn EvidenceVerifier>> {
    anyhow::bail!("[attest.sample_tee] is for tests and demos only; this build does not include the `sample-tee` feature")
}

/// A signed `palisade scan` verdict as enrollment evidence (`{"envelope": {...DSSE...}}`):
/// fresh, signed by a trusted scanner key, and with no finding above the allowed severity.
/// It attests the vendor's environment, not a running instance, so it carries no nonce binding;
/// enrollment pairs it with bound evidence (join token, TEE) through the identity's requirements.
fn scan_attestation(
    s: &palisade_config::sections::attest::ScanAttestSection,
) -> Result<Arc<dyn EvidenceVerifier>> {
    let keys = s
        .trusted_key_files
        .iter()
        .map(|f| {
            palisade_scan::load_verifying_key(f)
                .with_context(|| format!("[attest.scan] trusted key {}", f.display()))
        })
        .collect::<Result<Vec<_>>>()?;
    let max_severity =
        palisade_scan::parse_severity(&s.max_severity).context("[attest.scan] max_severity")?;
    let max_age = s.max_age_secs;
    Ok(adapter("scan_attestation", move |e, _binding, now| {
        let env = e
            .get("envelope")
            .ok_or_else(|| "scan attestation evidence needs an `envelope`".to_owned())?;
        let summary = palisade_scan::verify_scan_attestation(
            &env.to_string(),
            &keys,
            max_age,
            max_severity,
            now,
        )
        .map_err(|e| e.to_string())?;
        let mut claims = std::collections::BTreeMap::new();
        claims.insert("tree_digest".to_owned(), summary.tree_digest.clone());
        claims.insert("signer".to_owned(), summary.signer_keyid.clone());
        Ok(palisade_attest::Appraisal {
            kind: "scan_attestation".into(),
            expires_at_ms: summary.time_ms.saturating_add(max_age.saturating_mul(1000)),
            claims,
        })
    }))
}
