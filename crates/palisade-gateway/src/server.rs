//! Stage 1 — accept — and the gateway's lifecycle: bind, TLS 1.3 handshake (with a timeout, so
//! a silent client cannot hold a slot), HTTP/1.1 with a header-read timeout, and graceful
//! shutdown that stops accepting and drains in-flight requests and streams up to a deadline.

use crate::conn_limit::{ConnLimits, ConnPermit};
use crate::credentials::{CredentialError, CredentialSource};
use crate::mcp::upstream::McpServerClient;
use crate::mcp::McpState;
use crate::metrics::Metrics;
use crate::pipeline::{ConnInfo, Shared};
use crate::stages::Stages;
use crate::tls::dev_ca::{ensure_dev_ca, DevCa};
use crate::tls::{server_config, TlsError};
use crate::upstream::UpstreamClient;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use palisade_config::Config;
use palisade_mcp::pin::MemoryPinStore;
use palisade_mcp::session::{SessionConfig, SessionTable};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// Why the gateway could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// TLS material could not be loaded or generated.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// A provider credential named by the config is missing from the vault.
    #[error(transparent)]
    Credential(#[from] CredentialError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// OS error.
        reason: String,
    },
}

/// A configured gateway, ready to bind.
pub struct Gateway {
    shared: Arc<Shared>,
    tls: Arc<rustls::ServerConfig>,
    dev_ca: Option<DevCa>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("listen", &self.shared.config.server.listen)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Loads TLS (generating the dev CA when no certificate is configured), builds one client per
    /// upstream, and reads every configured provider key once into memory (as `SecretString`).
    /// Missing keys fail here, at startup, not on the first request.
    pub fn new(
        config: Config,
        stages: Stages,
        credentials: &dyn CredentialSource,
    ) -> Result<Self, GatewayError> {
        let (cert, key, dev_ca) = match &config.server.tls {
            Some(t) => (t.cert.clone(), t.key.clone(), None),
            None => {
                let ca = ensure_dev_ca(&config.server.data_dir)?;
                (ca.server_cert.clone(), ca.server_key.clone(), Some(ca))
            }
        };
        let tls = Arc::new(server_config(
            &cert,
            &key,
            config.server.request_client_cert,
        )?);
        let mut upstreams = HashMap::new();
        let mut keys = HashMap::new();
        for u in &config.upstreams {
            upstreams.insert(u.name.clone(), UpstreamClient::new(u)?);
            if let Some(c) = &u.credential {
                if !keys.contains_key(c) {
                    keys.insert(c.clone(), credentials.get(c)?);
                }
            }
        }
        let mut servers = Vec::with_capacity(config.mcp_servers.len());
        for m in &config.mcp_servers {
            let client =
                UpstreamClient::connect(&m.name, &m.url, m.ca_file.as_deref(), m.connect_timeout)?;
            let credential = match &m.credential {
                Some(c) => Some(credentials.get(c)?),
                None => None,
            };
            let server = McpServerClient::new(m.clone(), client, credential)
                .map_err(|_| TlsError::Rustls(format!("MCP server `{}`: invalid url", m.name)))?;
            servers.push(server);
        }
        let mcp = McpState {
            servers,
            sessions: SessionTable::new(stages.clock.clone(), SessionConfig::default()),
            // In memory for this slice: approvals do not survive a restart yet.
            pins: Arc::new(MemoryPinStore::default()),
        };
        let shared = Arc::new(Shared {
            config: Arc::new(config),
            stages,
            upstreams,
            keys,
            metrics: Metrics::default(),
            witness: std::sync::OnceLock::new(),
            mcp,
        });
        Ok(Self {
            shared,
            tls,
            dev_ca,
        })
    }

    /// The generated development CA, when no certificate was configured.
    pub fn dev_ca(&self) -> Option<&DevCa> {
        self.dev_ca.as_ref()
    }

    /// Reports witness lag on `/readyz` and refuses calls that need `sync` audit past
    /// `[audit] max_witness_lag` (see [`crate::witness_client`]). Set once; later calls are
    /// ignored.
    pub fn with_witness_status(self, status: Arc<palisade_audit::WitnessStatus>) -> Self {
        let _ = self.shared.witness.set(status);
        self
    }

    /// The metrics registry (also served at `/metrics`).
    pub fn metrics(&self) -> Metrics {
        self.shared.metrics.clone()
    }

    /// Binds the configured listen address (port 0 picks a free port).
    pub async fn bind(self) -> Result<BoundGateway, GatewayError> {
        let addr = self.shared.config.server.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| GatewayError::Bind {
                addr,
                reason: e.to_string(),
            })?;
        let local = listener.local_addr().map_err(|e| GatewayError::Bind {
            addr,
            reason: e.to_string(),
        })?;
        Ok(BoundGateway {
            gw: self,
            listener,
            local,
        })
    }
}

/// A gateway bound to its socket.
#[derive(Debug)]
pub struct BoundGateway {
    gw: Gateway,
    listener: TcpListener,
    local: SocketAddr,
}

impl BoundGateway {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The generated development CA, if any.
    pub fn dev_ca(&self) -> Option<&DevCa> {
        self.gw.dev_ca.as_ref()
    }

    /// Serves until `shutdown` completes, then stops accepting and waits for in-flight
    /// connections (including streams) up to the configured drain deadline.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Result<(), GatewayError> {
        let shared = self.gw.shared.clone();
        let acceptor = TlsAcceptor::from(self.gw.tls.clone());
        let ready = Arc::new(AtomicBool::new(true));
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let server_cfg = shared.config.server.clone();
        let header_timeout = server_cfg.header_timeout;
        let origins: Arc<[String]> = if server_cfg.public_origins.is_empty() {
            // Default: the bound address itself, as clients on this host address it; on
            // loopback also `localhost`, the name the generated local CA certifies.
            let mut v = vec![format!("https://{}", self.local)];
            if self.local.ip().is_loopback() {
                v.push(format!("https://localhost:{}", self.local.port()));
            }
            Arc::from(v)
        } else {
            Arc::from(server_cfg.public_origins.clone())
        };
        let limits = ConnLimits::new(
            server_cfg.max_connections,
            server_cfg.max_connections_per_source,
        );
        shared.metrics.add_source(limits.clone());
        tokio::pin!(shutdown);
        tracing::info!(addr = %self.local, "gateway listening");
        loop {
            let (tcp, peer) = tokio::select! {
                _ = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and similar: back off briefly, keep serving.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            // Over a cap: close at once, before the handshake costs anything.
            let permit = match limits.admit(peer.ip()) {
                Ok(p) => p,
                Err(why) => {
                    tracing::debug!(%peer, ?why, "connection refused by the listener cap");
                    drop(tcp);
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let conn = Connection {
                acceptor: acceptor.clone(),
                shared: shared.clone(),
                ready: ready.clone(),
                origins: origins.clone(),
                header_timeout,
                _permit: permit,
            };
            let watcher = graceful.watcher();
            tokio::spawn(conn.run(tcp, peer, watcher));
        }
        ready.store(false, Ordering::Relaxed);
        drop(self.listener);
        tracing::info!(
            deadline_s = server_cfg.shutdown_drain.as_secs(),
            "shutting down: draining in-flight requests"
        );
        tokio::select! {
            _ = graceful.shutdown() => tracing::info!("drained"),
            _ = tokio::time::sleep(server_cfg.shutdown_drain) => tracing::warn!("drain deadline reached; closing remaining connections"),
        }
        Ok(())
    }
}

/// Upper bound of hyper's per-connection read buffer. hyper starts every connection with 8 KiB
/// and grows the buffer adaptively up to this bound for large bodies; the default (about
/// 400 KiB) lets one large upload pin that much memory on a connection for as long as it stays
/// open. 64 KiB still reads a body in few syscalls and bounds request heads at 64 KiB.
const MAX_CONN_BUF: usize = 64 * 1024;

/// What one accepted connection needs. Kept small on purpose: it lives as long as the
/// connection (idle keep-alive connections included), once per connection.
struct Connection {
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    ready: Arc<AtomicBool>,
    origins: Arc<[String]>,
    header_timeout: std::time::Duration,
    /// The connection's slot under the listener caps, released when the connection ends.
    _permit: ConnPermit,
}

impl Connection {
    /// TLS handshake (under the header timeout), then HTTP/1.1 until the peer leaves or the
    /// gateway shuts down.
    async fn run(
        self,
        tcp: tokio::net::TcpStream,
        peer: SocketAddr,
        watcher: hyper_util::server::graceful::Watcher,
    ) {
        let tls = match tokio::time::timeout(self.header_timeout, self.acceptor.accept(tcp)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                tracing::debug!(%peer, error = %e, "tls handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!(%peer, "tls handshake timed out");
                return;
            }
        };
        let client_cert_sha256 = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first())
            .map(|c| Sha256::digest(c.as_ref()).into());
        let conn = Arc::new(ConnInfo {
            client_cert_sha256,
            origins: self.origins.clone(),
            peer: peer.ip(),
        });
        let shared = self.shared;
        let ready = self.ready;
        let svc = service_fn(move |req| {
            let shared = shared.clone();
            let conn = conn.clone();
            let ready = ready.clone();
            // hyper keeps one slot per connection as large as this future, allocated when the
            // connection opens and kept while it idles; boxing the request handling here
            // makes that slot a pointer and allocates the (large) pipeline future per request.
            let handling =
                Box::pin(async move { crate::router::handle(&shared, &conn, &ready, req).await });
            async move { Ok::<_, std::convert::Infallible>(handling.await) }
        });
        let http = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_timeout)
            .max_buf_size(MAX_CONN_BUF)
            .keep_alive(true)
            .serve_connection(TokioIo::new(tls), svc);
        if let Err(e) = watcher.watch(http).await {
            tracing::debug!(%peer, error = %e, "connection ended with an error");
        }
        drop(self._permit);
    }
}
