//! Detectors: each turns a layer of normalized text into raw hits (layer coordinates); the
//! engine maps them to the original leaf, hashes the values and applies actions.

pub mod canary;
pub mod edm;
pub mod injection;
pub mod markers;
pub mod pii;
pub mod secrets;
