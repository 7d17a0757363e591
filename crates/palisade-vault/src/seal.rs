//! AES-256-GCM sealing with a random 96-bit nonce and domain-separated associated data, so a
//! ciphertext sealed for one purpose (an entry name, the key-encryption key, a wrap label)
//! cannot be replayed as another.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use zeroize::Zeroizing;

/// Nonce length of AES-GCM (96 bits).
pub(crate) const NONCE_LEN: usize = 12;

/// What a ciphertext is bound to.
pub(crate) enum Purpose<'a> {
    /// A vault entry, bound to its name.
    Entry(&'a str),
    /// The key-encryption key used by `wrap_key`.
    Kek,
    /// A key wrapped for another component, bound to its label.
    Wrap(&'a str),
}

impl Purpose<'_> {
    fn aad(&self) -> Vec<u8> {
        let (tag, name): (&[u8], &str) = match self {
            Purpose::Entry(n) => (b"palisade-vault/entry/v1\0", n),
            Purpose::Kek => (b"palisade-vault/kek/v1\0", ""),
            Purpose::Wrap(l) => (b"palisade-vault/wrap/v1\0", l),
        };
        let mut aad = tag.to_vec();
        aad.extend_from_slice(name.as_bytes());
        aad
    }
}

/// Seals `plaintext`; returns (nonce, ciphertext-with-tag).
pub(crate) fn seal(key: &[u8; 32], purpose: Purpose<'_>, plaintext: &[u8]) -> ([u8; 12], Vec<u8>) {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let aad = purpose.aad();
    // Encryption with a valid key and in-memory buffers cannot fail short of a length overflow
    // (> 64 GiB); an empty ciphertext would then fail authentication on open, never leak.
    let ct = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .unwrap_or_default();
    let mut n = [0u8; NONCE_LEN];
    n.copy_from_slice(nonce.as_slice());
    (n, ct)
}

/// Opens a sealed value; `None` when authentication fails.
pub(crate) fn open(
    key: &[u8; 32],
    purpose: Purpose<'_>,
    nonce: &[u8],
    ciphertext: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    if nonce.len() != NONCE_LEN {
        return None;
    }
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    let aad = purpose.aad();
    cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .ok()
        .map(Zeroizing::new)
}
