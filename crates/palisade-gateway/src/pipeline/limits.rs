//! Stage 2 — limits. The cheapest refusals come first: a declared `Content-Length` over the limit
//! is refused before authentication does any crypto, and the body itself is read only after
//! authentication (so anonymous callers cannot make the gateway buffer megabytes), under the
//! same limit and a read timeout that cuts off slow senders.

use crate::error::ApiError;
use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use std::time::Duration;

/// Refuses a request whose declared length is over `limit`.
pub(crate) fn check_declared_length(headers: &http::HeaderMap, limit: u64) -> Result<(), ApiError> {
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > limit => Err(ApiError::too_large(limit)),
        _ => Ok(()),
    }
}

/// Reads the whole request body, at most `limit` bytes, within `timeout`.
pub(crate) async fn read_body(
    body: Incoming,
    limit: u64,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    let limited = Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX));
    match tokio::time::timeout(timeout, limited.collect()).await {
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "the request body was not received in time",
        )),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::too_large(limit)),
        Ok(Err(_)) => Err(ApiError::bad_request("the request body could not be read")),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}
