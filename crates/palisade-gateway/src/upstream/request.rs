//! A request ready for an upstream: URL, body (model renamed) and headers with the provider
//! credential. Built only from a `Permitted` call, so an unauthorized request has no way to
//! become one.

use bytes::Bytes;
use http::HeaderMap;
use std::time::Duration;

/// What the upstream client sends.
pub(crate) struct UpstreamRequest {
    /// Upstream name (metrics, errors).
    pub upstream: String,
    /// Full URL.
    pub uri: http::Uri,
    /// Headers including the injected credential.
    pub headers: HeaderMap,
    /// JSON body.
    pub body: Bytes,
    /// Time allowed until response headers.
    pub timeout: Duration,
}

impl std::fmt::Debug for UpstreamRequest {
    // Headers hold the provider key: never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamRequest")
            .field("upstream", &self.upstream)
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}
