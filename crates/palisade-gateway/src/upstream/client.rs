//! One pooled HTTP/1.1 client per upstream over rustls (TLS 1.2+ to providers; system roots or
//! the configured CA), plain HTTP only where config validation allowed it (loopback).

use super::UpstreamRequest;
use crate::pipeline::Permitted;
use crate::tls::TlsError;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use palisade_config::UpstreamConfig;
use std::sync::Arc;

/// Why an upstream call failed (mapped to 502/504 by the forward stage).
#[derive(Debug)]
pub(crate) enum UpstreamFailure {
    /// Connection refused, TLS failure, reset before headers.
    Unavailable,
    /// No response headers within the request timeout.
    Timeout,
}

/// The client of one upstream.
pub(crate) struct UpstreamClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl UpstreamClient {
    /// Builds the client with the upstream's trust roots and timeouts.
    pub(crate) fn new(cfg: &UpstreamConfig) -> Result<Self, TlsError> {
        Self::connect(
            &cfg.name,
            &cfg.base_url,
            cfg.ca_file.as_deref(),
            cfg.connect_timeout,
        )
    }

    /// Builds a client for `base_url` (an upstream or an MCP server) with its trust roots.
    pub(crate) fn connect(
        name: &str,
        base_url: &str,
        ca_file: Option<&std::path::Path>,
        connect_timeout: std::time::Duration,
    ) -> Result<Self, TlsError> {
        // Config validation already enforces this; checked again because `Config` is a plain
        // struct a caller could build by hand, and plain HTTP would carry the provider key.
        if let Some(rest) = base_url.strip_prefix("http://") {
            let authority = rest.split('/').next().unwrap_or("");
            let host = match authority.strip_prefix('[') {
                Some(v6) => v6.split(']').next().unwrap_or(""),
                None => authority.split(':').next().unwrap_or(""),
            };
            let loopback = host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !loopback {
                return Err(TlsError::Rustls(format!(
                    "upstream `{name}`: plain http is only allowed to loopback"
                )));
            }
        }
        let mut roots = rustls::RootCertStore::empty();
        match ca_file {
            Some(ca) => {
                for c in crate::tls::load_certs_pub(ca)? {
                    roots.add(c).map_err(|e| TlsError::Rustls(e.to_string()))?;
                }
            }
            None => {
                let native = rustls_native_certs::load_native_certs();
                for c in native.certs {
                    // A malformed system root is skipped, not fatal; a host with none fails below.
                    let _ = roots.add(c);
                }
                if roots.is_empty() && base_url.starts_with("https://") {
                    return Err(TlsError::Rustls(format!(
                        "no system root certificates found for upstream `{name}`"
                    )));
                }
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Rustls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(connect_timeout));
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(std::time::Duration::from_secs(90))
            .build(connector);
        Ok(Self { client })
    }

    /// Sends a permitted request and waits for the response head. Dropping the returned body
    /// (client disconnect) closes the upstream connection, which cancels the upstream work.
    pub(crate) async fn send(
        &self,
        req: Permitted<UpstreamRequest>,
    ) -> Result<http::Response<Incoming>, UpstreamFailure> {
        self.dispatch(req.into_inner()).await
    }

    /// Sends `req` under the permission `proof` (an MCP exchange sends its handshake and its
    /// call under the one decision that allowed the call).
    pub(crate) async fn send_under<T>(
        &self,
        proof: &Permitted<T>,
        req: UpstreamRequest,
    ) -> Result<http::Response<Incoming>, UpstreamFailure> {
        let _ = proof.decision();
        self.dispatch(req).await
    }

    async fn dispatch(
        &self,
        req: UpstreamRequest,
    ) -> Result<http::Response<Incoming>, UpstreamFailure> {
        let build = || {
            let mut builder = http::Request::post(req.uri.clone());
            if let Some(h) = builder.headers_mut() {
                *h = req.headers.clone();
            }
            builder
                .body(Full::new(req.body.clone()))
                .map_err(|_| UpstreamFailure::Unavailable)
        };
        let attempt = async {
            // No retry: a POST the upstream may have processed is never sent twice.
            self.client.request(build()?).await.map_err(Attempt::from)
        };
        match tokio::time::timeout(req.timeout, attempt).await {
            Err(_) => Err(UpstreamFailure::Timeout),
            Ok(Err(Attempt::Build(f))) => Err(f),
            Ok(Err(Attempt::Http(e))) => {
                if is_connect_timeout(&e) {
                    return Err(UpstreamFailure::Timeout);
                }
                tracing::warn!(upstream = %req.upstream, error = %e, "upstream request failed");
                Err(UpstreamFailure::Unavailable)
            }
            Ok(Ok(resp)) => Ok(resp),
        }
    }
}

enum Attempt {
    Build(UpstreamFailure),
    Http(hyper_util::client::legacy::Error),
}

impl From<UpstreamFailure> for Attempt {
    fn from(f: UpstreamFailure) -> Self {
        Attempt::Build(f)
    }
}

impl From<hyper_util::client::legacy::Error> for Attempt {
    fn from(e: hyper_util::client::legacy::Error) -> Self {
        Attempt::Http(e)
    }
}

fn is_connect_timeout(e: &hyper_util::client::legacy::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return true;
            }
        }
        src = s.source();
    }
    false
}
