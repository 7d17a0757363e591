//! Shared X.509 helpers for the verifiers: decoding, names, validity windows at a caller-given
//! time, fingerprints, and the signature algorithms AMD and Fulcio certificates use.

use der::{Decode, Encode};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pss::Pss;
use rsa::RsaPublicKey;
use sha2::{Digest, Sha256, Sha384};
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::name::Name;
use x509_cert::Certificate;

/// rsaEncryption.
pub const OID_RSA_ENCRYPTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// RSASSA-PSS.
pub const OID_RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
/// SHA-384.
pub const OID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
/// id-ecPublicKey.
pub const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// secp256r1.
pub const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// secp384r1.
pub const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// Ed25519.
pub const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// ecdsa-with-SHA256.
pub const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// ecdsa-with-SHA384.
pub const OID_ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
/// commonName.
const OID_CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// Why a certificate could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// Not DER / PEM of an X.509 certificate.
    #[error("{which} is not a valid x.509 certificate: {reason}")]
    Decode {
        /// Which certificate.
        which: String,
        /// Decoder message.
        reason: String,
    },
    /// `now` is before notBefore.
    #[error("{which} is not valid yet")]
    NotYetValid {
        /// Which certificate.
        which: String,
    },
    /// `now` is after notAfter.
    #[error("{which} has expired")]
    Expired {
        /// Which certificate.
        which: String,
    },
    /// Algorithm or key type is not the one this chain must use.
    #[error("{which} uses an unexpected algorithm or key type: {what}")]
    Algorithm {
        /// Which certificate.
        which: String,
        /// What was wrong.
        what: String,
    },
    /// The issuer's signature over the certificate does not verify.
    #[error("signature of {which} does not verify under {issuer}")]
    Signature {
        /// Which certificate.
        which: String,
        /// The issuer it was checked against.
        issuer: String,
    },
    /// The certificate's issuer name is not the subject name of its supposed issuer.
    #[error("{which} was not issued by {issuer} (name mismatch)")]
    IssuerName {
        /// Which certificate.
        which: String,
        /// The expected issuer.
        issuer: String,
    },
}

/// Decodes a DER certificate, naming it in the error.
pub fn from_der(bytes: &[u8], which: &str) -> Result<Certificate, CertError> {
    Certificate::from_der(bytes).map_err(|e| CertError::Decode {
        which: which.to_owned(),
        reason: e.to_string(),
    })
}

/// Decodes every certificate of a PEM bundle.
pub fn from_pem_chain(pem: &str, which: &str) -> Result<Vec<Certificate>, CertError> {
    Certificate::load_pem_chain(pem.as_bytes()).map_err(|e| CertError::Decode {
        which: which.to_owned(),
        reason: e.to_string(),
    })
}

/// The first commonName of a name, if it is a string.
pub fn common_name(name: &Name) -> Option<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == OID_CN)
        .and_then(|atv| std::str::from_utf8(atv.value.value()).ok())
        .map(str::to_owned)
}

/// SHA-256 over the certificate's DER.
pub fn fingerprint_sha256(cert: &Certificate) -> Result<[u8; 32], CertError> {
    let der = cert.to_der().map_err(|e| CertError::Decode {
        which: "certificate".into(),
        reason: e.to_string(),
    })?;
    Ok(Sha256::digest(der).into())
}

/// (notBefore, notAfter) in milliseconds since the epoch.
pub fn validity_ms(cert: &Certificate) -> (u64, u64) {
    let v = &cert.tbs_certificate.validity;
    let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    (
        ms(v.not_before.to_unix_duration()),
        ms(v.not_after.to_unix_duration()),
    )
}

/// Fails unless `now_ms` lies inside the certificate's validity window (inclusive).
pub fn check_validity(cert: &Certificate, now_ms: u64, which: &str) -> Result<(), CertError> {
    let (nb, na) = validity_ms(cert);
    if now_ms < nb {
        return Err(CertError::NotYetValid {
            which: which.to_owned(),
        });
    }
    if now_ms > na {
        return Err(CertError::Expired {
            which: which.to_owned(),
        });
    }
    Ok(())
}

/// The DER of the to-be-signed part, the bytes the issuer's signature covers.
pub fn tbs_der(cert: &Certificate, which: &str) -> Result<Vec<u8>, CertError> {
    cert.tbs_certificate
        .to_der()
        .map_err(|e| CertError::Decode {
            which: which.to_owned(),
            reason: e.to_string(),
        })
}

/// Checks the issuer name link `child.issuer == issuer.subject`.
pub fn check_issuer_name(
    child: &Certificate,
    issuer: &Certificate,
    which: &str,
    issuer_name: &str,
) -> Result<(), CertError> {
    if child.tbs_certificate.issuer != issuer.tbs_certificate.subject {
        return Err(CertError::IssuerName {
            which: which.to_owned(),
            issuer: issuer_name.to_owned(),
        });
    }
    Ok(())
}

/// Verifies an RSASSA-PSS/SHA-384 (salt 48) signature of `child` by `issuer`'s RSA key: the
/// only algorithm AMD's KDS uses for ARK, ASK, ASVK, VCEK and VLEK certificates.
pub fn verify_rsa_pss_sha384(
    child: &Certificate,
    issuer: &Certificate,
    which: &str,
    issuer_name: &str,
) -> Result<(), CertError> {
    let alg_err = |what: &str| CertError::Algorithm {
        which: which.to_owned(),
        what: what.to_owned(),
    };
    if child.signature_algorithm.oid != OID_RSASSA_PSS {
        return Err(alg_err("signature is not rsassa-pss"));
    }
    // The parameters are part of the signed TBS too, but we pin them rather than trust them.
    let params = child
        .signature_algorithm
        .parameters
        .as_ref()
        .ok_or_else(|| alg_err("rsassa-pss parameters missing"))?
        .decode_as::<rsa::pkcs1::RsaPssParams<'_>>()
        .map_err(|_| alg_err("rsassa-pss parameters malformed"))?;
    if params.hash.oid != OID_SHA384 || params.salt_len != 48 {
        return Err(alg_err("rsassa-pss must use sha-384 with a 48-byte salt"));
    }
    let key = rsa_key(issuer, issuer_name)?;
    let tbs = tbs_der(child, which)?;
    let hashed = Sha384::digest(&tbs);
    key.verify(Pss::new::<Sha384>(), &hashed, child.signature.raw_bytes())
        .map_err(|_| CertError::Signature {
            which: which.to_owned(),
            issuer: issuer_name.to_owned(),
        })
}

fn rsa_key(cert: &Certificate, which: &str) -> Result<RsaPublicKey, CertError> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    // AMD marks its RSA keys either rsaEncryption or RSASSA-PSS; both carry a PKCS#1 key.
    if spki.algorithm.oid != OID_RSA_ENCRYPTION && spki.algorithm.oid != OID_RSASSA_PSS {
        return Err(CertError::Algorithm {
            which: which.to_owned(),
            what: "key is not rsa".into(),
        });
    }
    RsaPublicKey::from_pkcs1_der(spki.subject_public_key.raw_bytes()).map_err(|e| {
        CertError::Decode {
            which: which.to_owned(),
            reason: format!("rsa key: {e}"),
        }
    })
}

/// The named curve of an EC key, if the certificate's key is an EC key.
pub fn ec_curve(cert: &Certificate) -> Option<ObjectIdentifier> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    if spki.algorithm.oid != OID_EC_PUBLIC_KEY {
        return None;
    }
    spki.algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
}
