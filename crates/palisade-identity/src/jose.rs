//! JOSE primitives done by hand on RustCrypto: base64url, compact JWS splitting, public JWKs
//! (EC P-256, OKP Ed25519, RSA for Kubernetes), RFC 7638 thumbprints and signature checks
//! where the algorithm is pinned by the caller, never chosen by the token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Why a JWS or JWK was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    /// Structure or encoding is wrong.
    #[error("malformed jws: {0}")]
    Malformed(&'static str),
    /// `alg` is not the one pinned for this use (covers `none` and `HS256`).
    #[error("algorithm `{0}` is not accepted here")]
    Alg(String),
    /// The signature does not verify under the key.
    #[error("signature does not verify")]
    BadSignature,
    /// The key is not a supported public JWK.
    #[error("unsupported or invalid jwk: {0}")]
    Jwk(&'static str),
}

/// base64url without padding.
pub fn b64e(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict base64url decoding (no padding, canonical trailing bits).
pub fn b64d(s: &str) -> Result<Vec<u8>, JoseError> {
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| JoseError::Malformed("invalid base64url"))
}

/// SHA-256 of `data`, base64url-encoded (`ath`, `x5t#S256`, thumbprints).
pub fn sha256_b64(data: &[u8]) -> String {
    b64e(&Sha256::digest(data))
}

/// The protected header fields Palisade reads.
#[derive(Debug, Clone, Deserialize)]
pub struct JwsHeader {
    /// Signature algorithm claimed by the token (checked against the pinned one).
    pub alg: String,
    /// Media type (`dpop+jwt`, `at+jwt`).
    #[serde(default)]
    pub typ: Option<String>,
    /// Key id.
    #[serde(default)]
    pub kid: Option<String>,
    /// Embedded public key (DPoP proofs).
    #[serde(default)]
    pub jwk: Option<Value>,
    /// Critical extensions: none are understood, so any presence is refused.
    #[serde(default)]
    pub crit: Option<Value>,
}

/// A compact JWS split into its parts. The payload is decoded but not interpreted.
#[derive(Debug, Clone)]
pub struct CompactJws<'a> {
    /// Decoded protected header.
    pub header: JwsHeader,
    /// Decoded payload bytes.
    pub payload: Vec<u8>,
    /// `b64(header) "." b64(payload)`: what the signature covers.
    pub signing_input: &'a str,
    /// Decoded signature bytes.
    pub signature: Vec<u8>,
}

impl<'a> CompactJws<'a> {
    /// Splits and decodes `compact`. Refuses `crit` and anything that is not three parts.
    pub fn parse(compact: &'a str) -> Result<Self, JoseError> {
        if compact.len() > 16 * 1024 {
            return Err(JoseError::Malformed("too long"));
        }
        let (signing_input, sig) = compact
            .rsplit_once('.')
            .ok_or(JoseError::Malformed("expected three dot-separated parts"))?;
        let (h, p) = signing_input
            .split_once('.')
            .ok_or(JoseError::Malformed("expected three dot-separated parts"))?;
        if p.contains('.') {
            return Err(JoseError::Malformed("expected three dot-separated parts"));
        }
        let header: JwsHeader = serde_json::from_slice(&b64d(h)?)
            .map_err(|_| JoseError::Malformed("header is not a json object with alg"))?;
        if header.crit.is_some() {
            return Err(JoseError::Malformed("crit header is not supported"));
        }
        Ok(Self {
            header,
            payload: b64d(p)?,
            signing_input,
            signature: b64d(sig)?,
        })
    }
}

/// A public key from a JWK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicJwk {
    /// EC P-256 (ES256).
    P256(p256::ecdsa::VerifyingKey),
    /// OKP Ed25519 (EdDSA / Ed25519).
    Ed25519(ed25519_dalek::VerifyingKey),
    /// RSA (RS256), only for external issuers such as Kubernetes.
    Rsa(rsa::RsaPublicKey),
}

fn field<'v>(v: &'v Value, name: &'static str) -> Result<&'v str, JoseError> {
    v.get(name)
        .and_then(Value::as_str)
        .ok_or(JoseError::Jwk(name))
}

impl PublicJwk {
    /// Parses a public JWK. Private members (`d`, ...) are refused: a proof must never carry one.
    pub fn from_json(v: &Value) -> Result<Self, JoseError> {
        if v.get("d").is_some() || v.get("p").is_some() {
            return Err(JoseError::Jwk("private key material in a public jwk"));
        }
        match field(v, "kty")? {
            "EC" => {
                if field(v, "crv")? != "P-256" {
                    return Err(JoseError::Jwk("only crv P-256 is supported for EC"));
                }
                let x = b64d(field(v, "x")?)?;
                let y = b64d(field(v, "y")?)?;
                if x.len() != 32 || y.len() != 32 {
                    return Err(JoseError::Jwk("P-256 coordinates must be 32 bytes"));
                }
                let point = p256::EncodedPoint::from_affine_coordinates(
                    p256::FieldBytes::from_slice(&x),
                    p256::FieldBytes::from_slice(&y),
                    false,
                );
                p256::ecdsa::VerifyingKey::from_encoded_point(&point)
                    .map(PublicJwk::P256)
                    .map_err(|_| JoseError::Jwk("point is not on P-256"))
            }
            "OKP" => {
                if field(v, "crv")? != "Ed25519" {
                    return Err(JoseError::Jwk("only crv Ed25519 is supported for OKP"));
                }
                let x: [u8; 32] = b64d(field(v, "x")?)?
                    .try_into()
                    .map_err(|_| JoseError::Jwk("Ed25519 key must be 32 bytes"))?;
                ed25519_dalek::VerifyingKey::from_bytes(&x)
                    .map(PublicJwk::Ed25519)
                    .map_err(|_| JoseError::Jwk("invalid Ed25519 point"))
            }
            "RSA" => {
                let n = rsa::BigUint::from_bytes_be(&b64d(field(v, "n")?)?);
                let e = rsa::BigUint::from_bytes_be(&b64d(field(v, "e")?)?);
                let key =
                    rsa::RsaPublicKey::new(n, e).map_err(|_| JoseError::Jwk("bad rsa key"))?;
                if rsa::traits::PublicKeyParts::size(&key) < 256 {
                    return Err(JoseError::Jwk("rsa keys below 2048 bits are refused"));
                }
                Ok(PublicJwk::Rsa(key))
            }
            _ => Err(JoseError::Jwk("kty must be EC, OKP or RSA")),
        }
    }

    /// The canonical public JWK (required members only, RFC 7638 order).
    pub fn to_json(&self) -> Value {
        match self {
            PublicJwk::P256(k) => {
                let p = k.to_encoded_point(false);
                let x = p.x().map(|x| b64e(x)).unwrap_or_default();
                let y = p.y().map(|y| b64e(y)).unwrap_or_default();
                json!({"crv": "P-256", "kty": "EC", "x": x, "y": y})
            }
            PublicJwk::Ed25519(k) => {
                json!({"crv": "Ed25519", "kty": "OKP", "x": b64e(k.as_bytes())})
            }
            PublicJwk::Rsa(k) => {
                use rsa::traits::PublicKeyParts;
                json!({"e": b64e(&k.e().to_bytes_be()), "kty": "RSA", "n": b64e(&k.n().to_bytes_be())})
            }
        }
    }

    /// RFC 7638 JWK SHA-256 thumbprint, base64url. serde_json keeps keys sorted (no
    /// `preserve_order` feature here), which is exactly the lexicographic order 7638 asks for.
    pub fn thumbprint(&self) -> String {
        sha256_b64(self.to_json().to_string().as_bytes())
    }

    /// The JOSE algorithm this key verifies. One key, one algorithm: the token cannot pick.
    pub fn alg(&self) -> &'static str {
        match self {
            PublicJwk::P256(_) => "ES256",
            PublicJwk::Ed25519(_) => "EdDSA",
            PublicJwk::Rsa(_) => "RS256",
        }
    }

    /// Verifies `sig` over `input` if `alg` is this key's algorithm (`Ed25519`, the RFC 9864
    /// name, is accepted as an alias of `EdDSA`).
    pub fn verify(&self, alg: &str, input: &[u8], sig: &[u8]) -> Result<(), JoseError> {
        let alg_ok =
            alg == self.alg() || (alg == "Ed25519" && matches!(self, PublicJwk::Ed25519(_)));
        if !alg_ok {
            return Err(JoseError::Alg(alg.chars().take(16).collect()));
        }
        match self {
            PublicJwk::P256(k) => {
                // ring checks the same ECDSA equation as p256 (fixed r||s encoding), faster.
                let point = k.to_encoded_point(false);
                ring::signature::UnparsedPublicKey::new(
                    &ring::signature::ECDSA_P256_SHA256_FIXED,
                    point.as_bytes(),
                )
                .verify(input, sig)
                .map_err(|_| JoseError::BadSignature)
            }
            PublicJwk::Ed25519(k) => {
                let s: [u8; 64] = sig.try_into().map_err(|_| JoseError::BadSignature)?;
                k.verify_strict(input, &ed25519_dalek::Signature::from_bytes(&s))
                    .map_err(|_| JoseError::BadSignature)
            }
            PublicJwk::Rsa(k) => {
                use rsa::signature::Verifier;
                let vk = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(k.clone());
                let s =
                    rsa::pkcs1v15::Signature::try_from(sig).map_err(|_| JoseError::BadSignature)?;
                vk.verify(input, &s).map_err(|_| JoseError::BadSignature)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::fixtures::fixture;

    fn load(name: &str) -> Value {
        serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
    }

    #[test]
    fn rfc8037_ed25519_jws_and_thumbprint() {
        let f = load("jwt-dpop/rfc8037-ed25519-jws-examples.json");
        let key = PublicJwk::from_json(&f["public_jwk"]).unwrap();
        assert_eq!(
            key.thumbprint(),
            f["jwk_thumbprint_rfc7638_sha256"].as_str().unwrap()
        );
        let jws = CompactJws::parse(f["jws_compact"].as_str().unwrap()).unwrap();
        key.verify(
            &jws.header.alg,
            jws.signing_input.as_bytes(),
            &jws.signature,
        )
        .unwrap();
        assert_eq!(jws.payload, b"Example of Ed25519 signing");
    }

    #[test]
    fn rfc8037_derived_negatives_reject() {
        let f = load("jwt-dpop/rfc8037-ed25519-jws-examples.json");
        let key = PublicJwk::from_json(&f["public_jwk"]).unwrap();
        for neg in f["DERIVED_negative_vectors_not_in_rfc"].as_array().unwrap() {
            let compact = neg["jws_compact"].as_str().unwrap();
            let r = CompactJws::parse(compact)
                .and_then(|j| key.verify(&j.header.alg, j.signing_input.as_bytes(), &j.signature));
            assert!(r.is_err(), "{} must reject", neg["id"]);
        }
    }

    #[test]
    fn rfc9449_thumbprint() {
        let f = load("jwt-dpop/rfc9449-dpop-examples.json");
        let key = PublicJwk::from_json(&f["public_jwk"]).unwrap();
        assert_eq!(
            key.thumbprint(),
            f["jwk_thumbprint_rfc7638_sha256"].as_str().unwrap()
        );
    }

    #[test]
    fn private_jwk_and_wrong_alg_refused() {
        let f = load("jwt-dpop/rfc8037-ed25519-jws-examples.json");
        assert!(PublicJwk::from_json(&f["private_jwk"]).is_err());
        let key = PublicJwk::from_json(&f["public_jwk"]).unwrap();
        assert!(matches!(
            key.verify("ES256", b"x", &[0; 64]),
            Err(JoseError::Alg(_))
        ));
        assert!(matches!(
            key.verify("HS256", b"x", &[0; 32]),
            Err(JoseError::Alg(_))
        ));
        assert!(matches!(
            key.verify("none", b"x", &[]),
            Err(JoseError::Alg(_))
        ));
    }
}
