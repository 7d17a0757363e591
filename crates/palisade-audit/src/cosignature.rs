//! C2SP tlog-cosignature v1 (Ed25519, https://c2sp.org/tlog-cosignature): witness keys
//! (vkey `name+keyid+base64(0x04||pub)`, key id = SHA-256(name || 0x0A || 0x04 || pub)[:4],
//! secret key `PRIVATE+KEY+name+keyid+base64(0x04||seed)`), the signed message
//! (`cosignature/v1\ntime <t>\n` followed by the whole checkpoint text) and the signature line
//! `— name base64(keyid || u64 BE timestamp || Ed25519 signature)`.

use crate::note::{
    format_vkey, key_id_for, parse_vkey, valid_name, NoteError, SignedNote, SIG_PREFIX,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use zeroize::Zeroizing;

/// Signature type byte of Ed25519 cosignature/v1 keys.
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

/// The message a cosignature signs over the checkpoint `text` (which ends in a newline).
pub fn cosigned_message(timestamp: u64, text: &str) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{text}")
}

/// A witness's public key, as log clients pin it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl CosignatureVerifier {
    /// Parses `name+hexid+base64(0x04||pub)` and checks the id.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let (name, id, key) = parse_vkey(
            vkey,
            ALG_COSIGNATURE_V1,
            "not a cosignature/v1 (0x04) key",
            |m| NoteError::BadVerifierKey(format!("witness key: {m}")),
        )?;
        Ok(CosignatureVerifier { name, id, key })
    }

    /// The witness name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The vkey string.
    pub fn to_vkey(&self) -> String {
        format_vkey(&self.name, self.id, ALG_COSIGNATURE_V1, &self.key)
    }

    /// Checks the cosignature of this witness on `note` and returns its timestamp. Lines of
    /// other keys are ignored, as the spec requires; a line with this name and key id that
    /// does not verify is an error, not skipped.
    pub fn verify(&self, note: &str) -> Result<u64, NoteError> {
        let parsed = SignedNote::parse(note)?;
        let mut newest = None;
        for sig in &parsed.signatures {
            if sig.name != self.name || sig.key_hint != self.id {
                continue;
            }
            let bad = || NoteError::BadSignature(self.name.clone());
            let (ts, sig_bytes) = sig.signature.split_first_chunk::<8>().ok_or_else(bad)?;
            let ts = u64::from_be_bytes(*ts);
            if ts > i64::MAX as u64 {
                return Err(bad());
            }
            let sig = ed25519_dalek::Signature::from_slice(sig_bytes).map_err(|_| bad())?;
            self.key
                .verify(cosigned_message(ts, parsed.text).as_bytes(), &sig)
                .map_err(|_| bad())?;
            newest = newest.max(Some(ts));
        }
        newest.ok_or_else(|| NoteError::UnknownKey(self.to_vkey()))
    }
}

/// A witness's private key. Debug never prints the key.
pub struct Cosigner {
    name: String,
    key: SigningKey,
}

impl std::fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cosigner")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Cosigner {
    /// A fresh key for the witness `name`.
    pub fn generate(name: &str) -> Result<Self, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::BadSignerKey("invalid key name".into()));
        }
        Ok(Cosigner {
            name: name.to_string(),
            key: SigningKey::generate(&mut rand_core::OsRng),
        })
    }

    /// Parses `PRIVATE+KEY+name+hexid+base64(0x04||seed)`.
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
        let seed: Zeroizing<[u8; 32]> =
            Zeroizing::new(seed.try_into().map_err(|_| bad("seed is not 32 bytes"))?);
        if *alg != ALG_COSIGNATURE_V1 || !valid_name(name) {
            return Err(bad("not a cosignature/v1 key or invalid name"));
        }
        let key = SigningKey::from_bytes(&seed);
        let id = key_id_for(name, ALG_COSIGNATURE_V1, key.verifying_key().as_bytes());
        if hex::encode(id) != id_hex {
            return Err(bad("key id does not match the key"));
        }
        Ok(Cosigner {
            name: name.to_string(),
            key,
        })
    }

    /// The secret key string (written only to a 0600 file of the witness).
    pub fn to_skey(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(vec![ALG_COSIGNATURE_V1]);
        raw.extend_from_slice(self.key.as_bytes());
        Zeroizing::new(format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            hex::encode(self.id()),
            STANDARD.encode(&*raw)
        ))
    }

    fn id(&self) -> [u8; 4] {
        key_id_for(
            &self.name,
            ALG_COSIGNATURE_V1,
            self.key.verifying_key().as_bytes(),
        )
    }

    /// The matching public key.
    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            name: self.name.clone(),
            id: self.id(),
            key: self.key.verifying_key(),
        }
    }

    /// The cosignature line (ending in a newline) over checkpoint `text` at `timestamp`.
    pub fn cosign(&self, text: &str, timestamp: u64) -> String {
        let sig = self
            .key
            .sign(cosigned_message(timestamp, text).as_bytes())
            .to_bytes();
        let mut raw = self.id().to_vec();
        raw.extend_from_slice(&timestamp.to_be_bytes());
        raw.extend_from_slice(&sig);
        format!("{SIG_PREFIX}{} {}\n", self.name, STANDARD.encode(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "example.com/log\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn cosignature_round_trips_and_binds_text_and_time() {
        let w = Cosigner::generate("witness.test/w1").unwrap();
        let v = CosignatureVerifier::parse(&w.verifier().to_vkey()).unwrap();
        let note = format!("{TEXT}\n{}", w.cosign(TEXT, 1_679_315_147));
        assert_eq!(v.verify(&note).unwrap(), 1_679_315_147);
        // The raw signature is keyid(4) || timestamp(8) || ed25519(64).
        let line = w.cosign(TEXT, 7);
        let b64 = line.trim_end().rsplit(' ').next().unwrap();
        assert_eq!(STANDARD.decode(b64).unwrap().len(), 76);
        let other = TEXT.replace('3', "4");
        let moved = format!("{other}\n{line}");
        assert!(matches!(v.verify(&moved), Err(NoteError::BadSignature(_))));
        let again = Cosigner::parse(&w.to_skey()).unwrap();
        assert_eq!(again.verifier(), w.verifier());
    }

    #[test]
    fn a_note_signature_key_is_not_a_cosignature_key() {
        let log = crate::note::NoteSigner::generate("witness.test/w1").unwrap();
        assert!(CosignatureVerifier::parse(&log.verifier().to_vkey()).is_err());
    }
}
