//! Typed errors of the behaviour crate. Messages are lowercase, name the operation and never
//! carry webhook secrets or snapshot contents.

use palisade_store::StoreError;

/// Why a behaviour operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BehaviorError {
    /// The configuration is inconsistent.
    #[error("invalid behavior config: {0}")]
    Config(String),
    /// The webhook secret could not be obtained.
    #[error("webhook secret unavailable: {0}")]
    Secret(String),
    /// The state store failed.
    #[error("behavior store: {0}")]
    Store(#[from] StoreError),
    /// A snapshot could not be encoded.
    #[error("cannot encode baseline snapshot of `{identity}`: {message}")]
    Encode {
        /// The identity (or peer group) whose snapshot failed.
        identity: String,
        /// What went wrong.
        message: String,
    },
    /// A stored snapshot could not be decoded (corrupt or from an incompatible version).
    #[error("cannot decode baseline snapshot of `{identity}`: {message}")]
    Decode {
        /// The identity (or peer group) whose snapshot failed.
        identity: String,
        /// What went wrong.
        message: String,
    },
    /// No baseline exists for the identity asked about.
    #[error("no baseline for identity `{0}`")]
    UnknownIdentity(String),
    /// A name matched several identities.
    #[error("identity name `{0}` is ambiguous; give the full spiffe id")]
    Ambiguous(String),
    /// Starting a background thread failed.
    #[error("cannot start behavior worker thread: {0}")]
    Thread(String),
}
