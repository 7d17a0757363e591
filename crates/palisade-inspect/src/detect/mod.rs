//! Detectors: each turns a layer of normalized text into raw hits (layer coordinates); the
//! engine maps them to the original leaf, hashes the values and applies actions.

pub mod canary;
pub mod combined;
#[cfg(test)]
mod combined_equivalence;
pub mod edm;
mod edm_digits;
mod iban;
pub mod injection;
mod ip_addr;
pub mod markers;
mod phone;
pub mod pii;
pub mod secrets;
