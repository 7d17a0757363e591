//! C2SP signed notes (https://c2sp.org/signed-note): the algorithm-neutral note parser
//! ([`SignedNote`]), and Ed25519 verifier keys (`name+keyid+base64(0x01||pub)`), signer keys in
//! the Go `PRIVATE+KEY+...` form, signing and verification. Key id =
//! SHA-256(name || 0x0A || 0x01 || pub)[:4].

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Ed25519 algorithm byte of C2SP signed notes.
const ALG_ED25519: u8 = 0x01;
/// The em dash that starts each signature line.
pub(crate) const SIG_PREFIX: &str = "\u{2014} ";

/// Why a note or key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The verifier key string is malformed.
    #[error("malformed verifier key: {0}")]
    BadVerifierKey(String),
    /// The signer key string is malformed (the key itself is never quoted).
    #[error("malformed signer key: {0}")]
    BadSignerKey(String),
    /// The note text or signature block is malformed.
    #[error("malformed note: {0}")]
    Malformed(String),
    /// A signature from the known key is present but wrong.
    #[error("invalid signature from key {0:?}")]
    BadSignature(String),
    /// No signature line carries the known key's name and id.
    #[error("no signature from a known key (expected {0:?})")]
    UnknownKey(String),
}

/// Computes the C2SP key id of an Ed25519 key.
pub fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    key_id_for(name, ALG_ED25519, public)
}

/// The key id of signed-note keys: SHA-256(name || 0x0A || alg || public key)[:4]; `alg` is
/// 0x01 for Ed25519 note signatures and 0x04 for tlog-cosignature/v1 (see `witness.rs`).
pub(crate) fn key_id_for(name: &str, alg: u8, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0A, alg]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('+') && !name.chars().any(|c| c.is_whitespace())
}

/// Parses a signed-note style verifier key `name+hexid+base64(alg||pub)` whose type byte must
/// be `alg` (0x01 note keys, 0x04 cosignature keys) and whose id must match the key; `bad`
/// shapes each error, `wrong_alg` says what a key of another type is.
pub(crate) fn parse_vkey(
    vkey: &str,
    alg: u8,
    wrong_alg: &str,
    bad: impl Fn(&str) -> NoteError,
) -> Result<(String, [u8; 4], VerifyingKey), NoteError> {
    let mut parts = vkey.trim().splitn(3, '+');
    let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("expected name+keyid+key"));
    };
    if !valid_name(name) {
        return Err(bad("invalid key name"));
    }
    let id: [u8; 4] = hex::decode(id_hex)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| bad("key id is not 8 hex digits"))?;
    let raw = STANDARD
        .decode(key_b64)
        .map_err(|_| bad("key is not base64"))?;
    let (got, public) = raw.split_first().ok_or_else(|| bad("empty key"))?;
    if *got != alg {
        return Err(bad(wrong_alg));
    }
    let public: [u8; 32] = public
        .try_into()
        .map_err(|_| bad("Ed25519 key is not 32 bytes"))?;
    if key_id_for(name, alg, &public) != id {
        return Err(bad("key id does not match the key"));
    }
    let key = VerifyingKey::from_bytes(&public).map_err(|_| bad("not an Ed25519 point"))?;
    Ok((name.to_string(), id, key))
}

/// The verifier key string `name+hexid+base64(alg||pub)`.
pub(crate) fn format_vkey(name: &str, id: [u8; 4], alg: u8, key: &VerifyingKey) -> String {
    let mut raw = vec![alg];
    raw.extend_from_slice(key.as_bytes());
    format!("{name}+{}+{}", hex::encode(id), STANDARD.encode(raw))
}

/// A note verifier: name, key id and Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Parses `name+hexid+base64(0x01||pub)` and checks that the id matches the key.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let (name, id, key) = parse_vkey(
            vkey,
            ALG_ED25519,
            "unsupported algorithm (only Ed25519)",
            |m| NoteError::BadVerifierKey(m.to_string()),
        )?;
        Ok(NoteVerifier { name, id, key })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The verifier key string, e.g. `example.com/log+1a2b3c4d+AU...`.
    pub fn to_vkey(&self) -> String {
        format_vkey(&self.name, self.id, ALG_ED25519, &self.key)
    }

    /// Verifies `note` and returns its text (ending in a newline). Signatures from other keys
    /// are ignored, as the spec says; at least one from this key must be present and valid.
    pub fn verify<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        let note = SignedNote::parse(note)?;
        let mut found = false;
        for sig in note.signatures.iter() {
            if sig.name != self.name || sig.key_hint != self.id {
                continue;
            }
            let sig = ed25519_dalek::Signature::from_slice(&sig.signature)
                .map_err(|_| NoteError::BadSignature(self.name.clone()))?;
            self.key
                .verify(note.text.as_bytes(), &sig)
                .map_err(|_| NoteError::BadSignature(self.name.clone()))?;
            found = true;
        }
        if found {
            Ok(note.text)
        } else {
            Err(NoteError::UnknownKey(self.to_vkey()))
        }
    }
}

/// One signature line of a note, not yet checked: `— name base64(key_hint || signature)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature<'a> {
    /// The key name on the line.
    pub name: &'a str,
    /// The 4-byte key hint (C2SP key id for Ed25519; other algorithms define their own).
    pub key_hint: [u8; 4],
    /// The signature bytes after the hint.
    pub signature: Vec<u8>,
}

/// A signed note split into its text and signature lines, with no signature checked. Kept apart
/// from [`NoteVerifier`] so verifiers of other algorithms (Rekor's ECDSA P-256 checkpoints in
/// palisade-attest) share this one parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote<'a> {
    /// The signed text, ending in a newline.
    pub text: &'a str,
    /// Every signature line, in order.
    pub signatures: Vec<NoteSignature<'a>>,
}

impl<'a> SignedNote<'a> {
    /// Splits `note` at its last blank line and parses each signature line; any malformed
    /// line refuses the whole note (as the Go `note` package does).
    pub fn parse(note: &'a str) -> Result<Self, NoteError> {
        let (text, sigs) = split_note(note)?;
        let signatures = sigs
            .lines()
            .map(parse_signature_line)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SignedNote { text, signatures })
    }
}

fn parse_signature_line(line: &str) -> Result<NoteSignature<'_>, NoteError> {
    let rest = line
        .strip_prefix(SIG_PREFIX)
        .ok_or_else(|| NoteError::Malformed("signature line without em dash".into()))?;
    let (name, sig_b64) = rest
        .split_once(' ')
        .ok_or_else(|| NoteError::Malformed("signature line without signature".into()))?;
    let raw = STANDARD
        .decode(sig_b64)
        .map_err(|_| NoteError::Malformed("signature is not base64".into()))?;
    let (hint, signature) = raw
        .split_first_chunk::<4>()
        .ok_or_else(|| NoteError::Malformed("signature shorter than its key hint".into()))?;
    Ok(NoteSignature {
        name,
        key_hint: *hint,
        signature: signature.to_vec(),
    })
}

/// Splits a note into its text (with trailing newline) and signature block.
fn split_note(note: &str) -> Result<(&str, &str), NoteError> {
    let idx = note
        .rfind("\n\n")
        .ok_or_else(|| NoteError::Malformed("no blank line before signatures".into()))?;
    let text = &note[..idx + 1];
    let sigs = &note[idx + 2..];
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(NoteError::Malformed(
            "signature block must end with a newline".into(),
        ));
    }
    Ok((text, sigs))
}

/// A note signer: name and Ed25519 private key. Debug never prints the key.
pub struct NoteSigner {
    name: String,
    key: SigningKey,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// A fresh signer for `name`.
    pub fn generate(name: &str) -> Result<Self, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::BadSignerKey("invalid key name".into()));
        }
        let key = SigningKey::generate(&mut rand_core::OsRng);
        Ok(NoteSigner {
            name: name.to_string(),
            key,
        })
    }

    /// A signer for `name` from a 32-byte Ed25519 seed (as unsealed from the vault).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::BadSignerKey("invalid key name".into()));
        }
        Ok(NoteSigner {
            name: name.to_string(),
            key: SigningKey::from_bytes(seed),
        })
    }

    /// The 32-byte Ed25519 seed (secret: only ever handed to the vault to be sealed).
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.key.to_bytes())
    }

    /// Parses `PRIVATE+KEY+name+hexid+base64(0x01||seed)` (the Go `note` signer format).
    pub fn parse(skey: &str) -> Result<Self, NoteError> {
        let bad = |m: &str| NoteError::BadSignerKey(m.to_string());
        let rest = skey
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("missing PRIVATE+KEY+ prefix"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected name+keyid+key"));
        };
        let raw = Zeroizing::new(
            STANDARD
                .decode(key_b64)
                .map_err(|_| bad("key is not base64"))?,
        );
        let (alg, seed) = raw.split_first().ok_or_else(|| bad("empty key"))?;
        let seed: [u8; 32] = seed.try_into().map_err(|_| bad("seed is not 32 bytes"))?;
        let seed = Zeroizing::new(seed);
        if *alg != ALG_ED25519 || !valid_name(name) {
            return Err(bad("unsupported algorithm or invalid name"));
        }
        let key = SigningKey::from_bytes(&seed);
        if hex::encode(key_id(name, key.verifying_key().as_bytes())) != id_hex {
            return Err(bad("key id does not match the key"));
        }
        Ok(NoteSigner {
            name: name.to_string(),
            key,
        })
    }

    /// The signer key string (secret: for operators who export it; the log seals its own key
    /// in the vault instead).
    pub fn to_skey(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(vec![ALG_ED25519]);
        raw.extend_from_slice(self.key.as_bytes());
        let id = key_id(&self.name, self.key.verifying_key().as_bytes());
        Zeroizing::new(format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            hex::encode(id),
            STANDARD.encode(&*raw)
        ))
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        let key = self.key.verifying_key();
        NoteVerifier {
            name: self.name.clone(),
            id: key_id(&self.name, key.as_bytes()),
            key,
        }
    }

    /// Signs `text` (must end with a newline) and returns the complete note.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        if !text.ends_with('\n') || text.contains("\n\n") {
            return Err(NoteError::Malformed(
                "note text must end with one newline and have no blank line".into(),
            ));
        }
        let sig = self.key.sign(text.as_bytes());
        let mut raw = key_id(&self.name, self.key.verifying_key().as_bytes()).to_vec();
        raw.extend_from_slice(&sig.to_bytes());
        Ok(format!(
            "{text}\n{SIG_PREFIX}{} {}\n",
            self.name,
            STANDARD.encode(raw)
        ))
    }
}
