//! Builds the listener's rustls config: TLS 1.3 only, ring provider, ALPN http/1.1, and either
//! no client certificate or an optional one (any self-signed certificate whose handshake
//! signature verifies; its thumbprint is what binds tokens, per RFC 8705).

use super::client_cert::AnyClientCert;
use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or written.
    #[error("cannot access `{path}`: {reason}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        reason: String,
    },
    /// A PEM file holds no usable certificate or key.
    #[error("`{0}` contains no usable PEM certificate or private key")]
    Pem(String),
    /// Certificate generation failed.
    #[error("cannot generate the development certificate: {0}")]
    Generate(String),
    /// rustls refused the configuration.
    #[error("invalid tls configuration: {0}")]
    Rustls(String),
}

impl TlsError {
    pub(crate) fn io(path: &Path, e: std::io::Error) -> Self {
        TlsError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        }
    }
}

/// Reads a PEM certificate chain.
pub(crate) fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = std::fs::read(path).map_err(|e| TlsError::io(path, e))?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut pem.as_slice())
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(TlsError::Pem(path.display().to_string()));
    }
    Ok(certs)
}

/// TLS 1.3 server config from a PEM chain and key.
pub fn server_config(
    cert: &Path,
    key: &Path,
    request_client_cert: bool,
) -> Result<ServerConfig, TlsError> {
    let certs = load_certs(cert)?;
    let pem = std::fs::read(key).map_err(|e| TlsError::io(key, e))?;
    let key_der: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut pem.as_slice())
        .ok()
        .flatten()
        .ok_or_else(|| TlsError::Pem(key.display().to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| TlsError::Rustls(e.to_string()))?;
    let builder = if request_client_cert {
        builder.with_client_cert_verifier(Arc::new(AnyClientCert::new(provider)))
    } else {
        builder.with_no_client_auth()
    };
    let mut cfg = builder
        .with_single_cert(certs, key_der)
        .map_err(|e| TlsError::Rustls(e.to_string()))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    // One resumption ticket per handshake instead of rustls' default two: TLS 1.3 tickets are
    // single-use, agents keep connections alive, and with the 256-entry session cache shared by
    // all connections a second ticket mostly evicts a first one before anyone uses it — while
    // costing a random draw, a cache insert under a lock and a record write per handshake.
    cfg.send_tls13_tickets = 1;
    Ok(cfg)
}
