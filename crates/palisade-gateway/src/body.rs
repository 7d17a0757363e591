//! The response body type used everywhere in the gateway, and small constructors.

use bytes::Bytes;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};

/// Errors inside a streamed body (the upstream dropped, the scanner cut): hyper then ends the
/// response, which the client sees as a truncated stream.
pub type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// Every response body: a full buffer or a stream of frames.
pub type GwBody = UnsyncBoxBody<Bytes, BodyError>;

/// A complete JSON response with `status`.
pub fn json(status: http::StatusCode, b: impl Into<Bytes>) -> http::Response<GwBody> {
    let mut r = http::Response::new(full(b));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

/// A complete body.
pub fn full(b: impl Into<Bytes>) -> GwBody {
    Full::new(b.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}
