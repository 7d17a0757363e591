//! Public keys given as PEM SubjectPublicKeyInfo (builder keys, managed Sigstore keys, Rekor log
//! keys): ECDSA P-256/P-384 with SHA-256/SHA-384 and Ed25519, each verifying raw message bytes.

use der::{Decode, DecodePem};
use sha2::{Digest, Sha256};
use signature::Verifier as _;
use spki::SubjectPublicKeyInfoOwned;

use crate::x509::{OID_EC_PUBLIC_KEY, OID_ED25519, OID_P256, OID_P384};

/// Why a key could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not a PEM/DER SPKI.
    #[error("key `{0}` is not a pem/der subject public key info")]
    Encoding(String),
    /// Unsupported algorithm or curve.
    #[error("key `{0}` uses an unsupported algorithm (need ecdsa p-256/p-384 or ed25519)")]
    Algorithm(String),
    /// The point or key bytes are invalid.
    #[error("key `{0}` has invalid key material")]
    Material(String),
}

#[derive(Clone)]
enum Inner {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

/// A trusted public key with the operator's name for it.
#[derive(Clone)]
pub struct PublicKey {
    id: String,
    inner: Inner,
    spki_der: Vec<u8>,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey")
            .field("id", &self.id)
            .field("alg", &self.algorithm())
            .finish()
    }
}

impl PublicKey {
    /// Loads a PEM `PUBLIC KEY` block.
    pub fn from_pem(id: &str, pem: &str) -> Result<Self, KeyError> {
        let spki = SubjectPublicKeyInfoOwned::from_pem(pem.trim())
            .map_err(|_| KeyError::Encoding(id.to_owned()))?;
        Self::from_spki(id, spki)
    }

    /// Loads a DER SPKI.
    pub fn from_der(id: &str, der: &[u8]) -> Result<Self, KeyError> {
        let spki = SubjectPublicKeyInfoOwned::from_der(der)
            .map_err(|_| KeyError::Encoding(id.to_owned()))?;
        Self::from_spki(id, spki)
    }

    /// Builds from a decoded SPKI (also used for certificate keys).
    pub fn from_spki(id: &str, spki: SubjectPublicKeyInfoOwned) -> Result<Self, KeyError> {
        let bits = spki.subject_public_key.raw_bytes();
        let material = || KeyError::Material(id.to_owned());
        let inner = if spki.algorithm.oid == OID_ED25519 {
            let raw: [u8; 32] = bits.try_into().map_err(|_| material())?;
            Inner::Ed25519(ed25519_dalek::VerifyingKey::from_bytes(&raw).map_err(|_| material())?)
        } else if spki.algorithm.oid == OID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<der::asn1::ObjectIdentifier>().ok());
            match curve {
                Some(c) if c == OID_P256 => Inner::P256(
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(bits).map_err(|_| material())?,
                ),
                Some(c) if c == OID_P384 => Inner::P384(
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(bits).map_err(|_| material())?,
                ),
                _ => return Err(KeyError::Algorithm(id.to_owned())),
            }
        } else {
            return Err(KeyError::Algorithm(id.to_owned()));
        };
        let spki_der = der::Encode::to_der(&spki).map_err(|_| material())?;
        Ok(Self {
            id: id.to_owned(),
            inner,
            spki_der,
        })
    }

    /// The operator's name for this key.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `ecdsa-p256`, `ecdsa-p384` or `ed25519`.
    pub fn algorithm(&self) -> &'static str {
        match self.inner {
            Inner::P256(_) => "ecdsa-p256",
            Inner::P384(_) => "ecdsa-p384",
            Inner::Ed25519(_) => "ed25519",
        }
    }

    /// SHA-256 of the DER SPKI (Sigstore log ids and key hints are this value).
    pub fn spki_sha256(&self) -> [u8; 32] {
        Sha256::digest(&self.spki_der).into()
    }

    /// True when `sig` is a valid signature of `msg`. ECDSA signatures may be ASN.1 DER (what
    /// KMS and Sigstore emit) or fixed-size r||s; Ed25519 uses strict verification.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match &self.inner {
            Inner::P256(k) => p256::ecdsa::Signature::from_der(sig)
                .or_else(|_| p256::ecdsa::Signature::from_slice(sig))
                .map(|s| k.verify(msg, &s).is_ok())
                .unwrap_or(false),
            Inner::P384(k) => p384::ecdsa::Signature::from_der(sig)
                .or_else(|_| p384::ecdsa::Signature::from_slice(sig))
                .map(|s| k.verify(msg, &s).is_ok())
                .unwrap_or(false),
            Inner::Ed25519(k) => ed25519_dalek::Signature::from_slice(sig)
                .map(|s| k.verify_strict(msg, &s).is_ok())
                .unwrap_or(false),
        }
    }

    /// The DER SPKI, for comparing with keys embedded in log entries.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// True when `sig` (ASN.1 DER) is an ECDSA signature over an already computed digest
    /// (Sigstore hashedrekord signs the artifact digest; X.509 picks the hash by OID, not by
    /// curve). Ed25519 has no prehash form here.
    pub fn verify_prehash(&self, digest: &[u8], sig: &[u8]) -> bool {
        use signature::hazmat::PrehashVerifier as _;
        match &self.inner {
            Inner::P256(k) => p256::ecdsa::Signature::from_der(sig)
                .map(|s| k.verify_prehash(digest, &s).is_ok())
                .unwrap_or(false),
            Inner::P384(k) => p384::ecdsa::Signature::from_der(sig)
                .map(|s| k.verify_prehash(digest, &s).is_ok())
                .unwrap_or(false),
            Inner::Ed25519(_) => false,
        }
    }
}
