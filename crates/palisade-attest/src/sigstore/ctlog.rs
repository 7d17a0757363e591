//! Certificate Transparency logs of the trusted root (`ctlogs`): log id, key and validity
//! window, and the RFC 6962 `DigitallySigned` check of an SCT against the log's key. Sigstore's
//! CT logs sign with ECDSA P-256/SHA-256; the staging root also lists a retired RSA log
//! (PKCS#1 v1.5/SHA-256), so that is supported too. Any other key kind loads (so an unusual
//! root still parses) but refuses every SCT from that log with a precise error.

use super::trusted_root::Window;
use crate::keys::PublicKey;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;
use sha2::{Digest, Sha256};

/// TLS `HashAlgorithm.sha256` (RFC 5246 §7.4.1.4.1).
pub const HASH_SHA256: u8 = 4;
/// TLS `SignatureAlgorithm.rsa`.
pub const SIG_RSA: u8 = 1;
/// TLS `SignatureAlgorithm.ecdsa`.
pub const SIG_ECDSA: u8 = 3;

/// A CT log key, by the algorithm the trusted root declares for it.
#[derive(Clone)]
pub enum CtKey {
    /// ECDSA P-256 with SHA-256 (`PKIX_ECDSA_P256_SHA_256`).
    EcdsaP256(Box<PublicKey>),
    /// RSA PKCS#1 v1.5 with SHA-256 (`PKCS1_RSA_PKCS1V5`, `PKIX_RSA_PKCS1V15_*_SHA256`).
    RsaSha256(Box<RsaPublicKey>),
    /// A key kind this verifier does not support; names the trusted root's `keyDetails`.
    Unsupported(String),
}

impl std::fmt::Debug for CtKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CtKey::EcdsaP256(_) => f.write_str("EcdsaP256"),
            CtKey::RsaSha256(_) => f.write_str("RsaSha256"),
            CtKey::Unsupported(d) => write!(f, "Unsupported({d})"),
        }
    }
}

/// Why a CT log key could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ct log `{0}` key does not match its declared key details")]
pub struct CtKeyError(pub String);

impl CtKey {
    /// Loads `der` as the kind named by `key_details`.
    pub fn load(base_url: &str, key_details: &str, der: &[u8]) -> Result<Self, CtKeyError> {
        let bad = || CtKeyError(base_url.to_owned());
        Ok(match key_details {
            "PKIX_ECDSA_P256_SHA_256" => {
                let k = PublicKey::from_der(base_url, der).map_err(|_| bad())?;
                if k.algorithm() != "ecdsa-p256" {
                    return Err(bad());
                }
                CtKey::EcdsaP256(Box::new(k))
            }
            // Deprecated form: the raw bytes are a PKCS#1 RSAPublicKey, not an SPKI.
            "PKCS1_RSA_PKCS1V5" => CtKey::RsaSha256(Box::new(
                RsaPublicKey::from_pkcs1_der(der).map_err(|_| bad())?,
            )),
            "PKIX_RSA_PKCS1V15_2048_SHA256"
            | "PKIX_RSA_PKCS1V15_3072_SHA256"
            | "PKIX_RSA_PKCS1V15_4096_SHA256"
            | "PKIX_RSA_PKCS1V5" => CtKey::RsaSha256(Box::new(
                RsaPublicKey::from_public_key_der(der).map_err(|_| bad())?,
            )),
            other => CtKey::Unsupported(other.to_owned()),
        })
    }

    /// The `(hash, signature)` TLS algorithm pair an SCT from this key must declare.
    pub fn algorithms(&self) -> Option<(u8, u8)> {
        match self {
            CtKey::EcdsaP256(_) => Some((HASH_SHA256, SIG_ECDSA)),
            CtKey::RsaSha256(_) => Some((HASH_SHA256, SIG_RSA)),
            CtKey::Unsupported(_) => None,
        }
    }

    /// True when `sig` signs `msg` (ECDSA signatures must be DER, as RFC 6962 requires).
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let digest = Sha256::digest(msg);
        match self {
            CtKey::EcdsaP256(k) => k.verify_prehash(&digest, sig),
            CtKey::RsaSha256(k) => k
                .verify(Pkcs1v15Sign::new::<Sha256>(), &digest, sig)
                .is_ok(),
            CtKey::Unsupported(_) => false,
        }
    }
}

/// A trusted CT log.
#[derive(Debug, Clone)]
pub struct CtLog {
    /// Base URL, for claims and errors.
    pub base_url: String,
    /// The RFC 6962 log id SCTs name (the trusted root's `logId.keyId`).
    pub log_id: Vec<u8>,
    /// The log's key.
    pub key: CtKey,
    /// When SCTs from this log are acceptable.
    pub valid_for: Window,
}
