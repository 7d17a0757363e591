//! Detectors: each turns a layer of normalized text into raw hits (layer coordinates); the
//! engine maps them to the original leaf, hashes the values and applies actions.

pub mod secrets;
pub mod pii;
pub mod markers;
pub mod edm;
pub mod canary;
pub mod injection;
