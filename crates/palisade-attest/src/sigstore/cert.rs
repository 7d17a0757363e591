//! Fulcio certificates: chain the short-lived leaf to a CA of the trusted root at the signing
//! time (not "now": the leaf lives ten minutes), and read its identity (SAN URI or e-mail) and
//! OIDC issuer (extension 1.3.6.1.4.1.57264.1.8, or the legacy raw 1.1).

use super::trusted_root::TrustedRoot;
use super::SigstoreError;
use crate::keys::PublicKey;
use crate::x509;
use der::asn1::{ObjectIdentifier, Utf8StringRef};
use der::Decode;
use sha2::{Digest, Sha256, Sha384};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectAltName};
use x509_cert::Certificate;

const OID_ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
const OID_ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
const OID_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const OID_CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");

/// Fulcio leaves are issued for code signing; any other certificate that happens to chain to
/// the CA must not sign artifacts.
fn check_code_signing(leaf: &Certificate) -> Result<(), SigstoreError> {
    let ok = leaf
        .tbs_certificate
        .extensions
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find(|e| e.extn_id == OID_EKU)
        .and_then(|e| ExtendedKeyUsage::from_der(e.extn_value.as_bytes()).ok())
        .is_some_and(|eku| eku.0.contains(&OID_CODE_SIGNING));
    if !ok {
        return Err(SigstoreError::Certificate(
            "leaf certificate is not valid for code signing".into(),
        ));
    }
    Ok(())
}

/// The public key of a certificate.
pub fn cert_key(cert: &Certificate, which: &str) -> Result<PublicKey, SigstoreError> {
    PublicKey::from_spki(which, cert.tbs_certificate.subject_public_key_info.clone())
        .map_err(|e| SigstoreError::Certificate(e.to_string()))
}

fn is_self_signed(cert: &Certificate) -> bool {
    cert.tbs_certificate.issuer == cert.tbs_certificate.subject
}

/// Rejects chains that carry a root: trust comes from the pinned root only, and a bundle that
/// ships its own root is malformed (conformance `bundle-with-root-cert_fail`).
pub fn check_bundle_chain(extra: &[Certificate]) -> Result<(), SigstoreError> {
    if extra.iter().any(is_self_signed) {
        return Err(SigstoreError::Certificate(
            "bundle certificate chain contains a root certificate".into(),
        ));
    }
    Ok(())
}

/// Verifies an ECDSA X.509 signature of `child` by `issuer`.
fn verify_ecdsa(child: &Certificate, issuer: &Certificate) -> Result<(), SigstoreError> {
    let tbs = x509::tbs_der(child, "certificate")?;
    let digest: Vec<u8> = match child.signature_algorithm.oid {
        o if o == x509::OID_ECDSA_SHA256 => Sha256::digest(&tbs).to_vec(),
        o if o == x509::OID_ECDSA_SHA384 => Sha384::digest(&tbs).to_vec(),
        _ => {
            return Err(SigstoreError::Certificate(
                "certificate signature algorithm is not ecdsa-sha256/384".into(),
            ))
        }
    };
    let key = cert_key(issuer, "issuer")?;
    if !key.verify_prehash(&digest, child.signature.raw_bytes()) {
        return Err(SigstoreError::Certificate(
            "certificate signature does not verify under its issuer".into(),
        ));
    }
    Ok(())
}

/// Chains `leaf` to one of the trusted CAs valid at `at_ms`, checking every certificate's
/// validity at `at_ms`. Returns the CA certificate that issued the leaf (its key hash is part
/// of what the leaf's SCTs sign).
pub fn verify_chain<'a>(
    leaf: &Certificate,
    root: &'a TrustedRoot,
    at_ms: u64,
) -> Result<&'a Certificate, SigstoreError> {
    check_code_signing(leaf)?;
    x509::check_validity(leaf, at_ms, "fulcio leaf certificate")
        .map_err(|e| SigstoreError::CertificateTime(e.to_string()))?;
    let mut last =
        SigstoreError::Certificate("no certificate authority in the trusted root".into());
    for ca in &root.cas {
        if !ca.valid_for.contains(at_ms) {
            last = SigstoreError::CertificateTime(
                "signing time is outside the certificate authority's validity".into(),
            );
            continue;
        }
        match (verify_against(leaf, &ca.chain, at_ms), ca.chain.first()) {
            (Ok(()), Some(issuer)) => return Ok(issuer),
            (Ok(()), None) => {}
            (Err(e), _) => last = e,
        }
    }
    Err(last)
}

/// Verifies `leaf` up `chain` (issuer first, self-signed root last) at `at_ms`.
pub(crate) fn verify_against(
    leaf: &Certificate,
    chain: &[Certificate],
    at_ms: u64,
) -> Result<(), SigstoreError> {
    let mut child = leaf;
    for issuer in chain {
        x509::check_issuer_name(child, issuer, "certificate", "ca")?;
        verify_ecdsa(child, issuer)?;
        x509::check_validity(issuer, at_ms, "ca certificate")
            .map_err(|e| SigstoreError::CertificateTime(e.to_string()))?;
        child = issuer;
    }
    // The last certificate must be the self-signed root itself.
    if !is_self_signed(child) {
        return Err(SigstoreError::Certificate(
            "ca chain does not end in a root".into(),
        ));
    }
    verify_ecdsa(child, child)
}

/// The identity (SAN URIs and e-mails) and OIDC issuer of a Fulcio leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafIdentity {
    /// SAN URI / rfc822 values.
    pub subjects: Vec<String>,
    /// OIDC issuer, if present.
    pub issuer: Option<String>,
}

/// Reads SAN and issuer extensions.
pub fn leaf_identity(leaf: &Certificate) -> LeafIdentity {
    let exts = leaf
        .tbs_certificate
        .extensions
        .as_deref()
        .unwrap_or_default();
    let mut subjects = Vec::new();
    if let Some(san) = exts.iter().find(|e| e.extn_id == OID_SAN) {
        if let Ok(names) = SubjectAltName::from_der(san.extn_value.as_bytes()) {
            for n in names.0 {
                match n {
                    GeneralName::UniformResourceIdentifier(s) | GeneralName::Rfc822Name(s) => {
                        subjects.push(s.to_string())
                    }
                    _ => {}
                }
            }
        }
    }
    let v2 = exts
        .iter()
        .find(|e| e.extn_id == OID_ISSUER_V2)
        .and_then(|e| Utf8StringRef::from_der(e.extn_value.as_bytes()).ok())
        .map(|s| s.as_str().to_owned());
    // The legacy extension holds the raw issuer bytes without a DER string header.
    let v1 = || {
        exts.iter()
            .find(|e| e.extn_id == OID_ISSUER_V1)
            .and_then(|e| std::str::from_utf8(e.extn_value.as_bytes()).ok())
            .map(str::to_owned)
    };
    LeafIdentity {
        subjects,
        issuer: v2.or_else(v1),
    }
}
