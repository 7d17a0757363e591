//! The response body type used everywhere in the gateway, and small constructors.

use bytes::Bytes;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};

/// Errors inside a streamed body (the upstream dropped, the scanner cut): hyper then ends the
/// response, which the client sees as a truncated stream.
pub type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// Every response body: a full buffer or a stream of frames.
pub type GwBody = UnsyncBoxBody<Bytes, BodyError>;

/// A complete body.
pub fn full(b: impl Into<Bytes>) -> GwBody {
    Full::new(b.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}
