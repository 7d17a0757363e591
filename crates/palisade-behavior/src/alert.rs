//! Alerts: a JSON body signed with HMAC-SHA-256, queued without blocking the request path and
//! delivered by a background thread that retries with exponential back-off. The transport is a
//! trait; the built-in one speaks minimal HTTP/1.1 over `std::net::TcpStream` to `http://` URLs.

use crate::config::WebhookConfig;
use crate::error::BehaviorError;
use hmac::{Hmac, Mac};
use palisade_core::BehaviorAction;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use zeroize::Zeroizing;

/// Header carrying `sha256=<hex HMAC of the body>`.
pub const SIGNATURE_HEADER: &str = "X-Palisade-Signature";

/// The JSON body of an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertPayload {
    /// SPIFFE id of the identity.
    pub identity: String,
    /// Event time of the call.
    pub time_ms: u64,
    /// Score 0–100.
    pub score: f64,
    /// The automatic response taken.
    pub action: BehaviorAction,
    /// Top contributions.
    pub top_features: Vec<(String, f64)>,
    /// Human-readable reason.
    pub reason: String,
}

/// Why one delivery attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The URL is not usable by this transport.
    #[error("unsupported webhook url: {0}")]
    Url(String),
    /// Connecting, writing or reading failed.
    #[error("webhook i/o: {0}")]
    Io(String),
    /// The receiver answered with a non-2xx status.
    #[error("webhook answered http {0}")]
    Status(u16),
}

/// Delivers one signed alert.
pub trait AlertTransport: Send + Sync + 'static {
    /// Posts `body` with `headers` to `url`; Ok on a 2xx answer.
    fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<(), TransportError>;
}

/// Minimal HTTP/1.1 POST over a plain TCP socket (`http://host[:port]/path` only).
#[derive(Debug, Clone)]
pub struct HttpTransport {
    /// Connect/read/write timeout.
    pub timeout: Duration,
}

impl Default for HttpTransport {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
        }
    }
}

fn split_url(url: &str) -> Result<(String, String), TransportError> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        TransportError::Url(format!(
            "`{url}`: the built-in transport speaks http:// only; plug in an AlertTransport for tls"
        ))
    })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(TransportError::Url(format!("`{url}`: bad host")));
    }
    let authority = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Ok((authority, path.to_owned()))
}

impl AlertTransport for HttpTransport {
    fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<(), TransportError> {
        let (authority, path) = split_url(url)?;
        let io = |e: std::io::Error| TransportError::Io(e.to_string());
        let addr = authority
            .to_socket_addrs()
            .map_err(io)?
            .next()
            .ok_or_else(|| TransportError::Io(format!("`{authority}` did not resolve")))?;
        let mut s = TcpStream::connect_timeout(&addr, self.timeout).map_err(io)?;
        s.set_read_timeout(Some(self.timeout)).map_err(io)?;
        s.set_write_timeout(Some(self.timeout)).map_err(io)?;
        let host = authority.trim_end_matches(":80");
        let mut req = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).map_err(io)?;
        s.write_all(body).map_err(io)?;
        s.flush().map_err(io)?;
        // Only the status line matters; read a bounded prefix.
        let mut buf = [0u8; 256];
        let mut got = 0;
        while got < 12 {
            let n = s.read(buf.get_mut(got..).unwrap_or(&mut [])).map_err(io)?;
            if n == 0 {
                break;
            }
            got += n;
        }
        let head = String::from_utf8_lossy(buf.get(..got).unwrap_or(&[]));
        let status = head
            .strip_prefix("HTTP/1.")
            .and_then(|r| r.get(2..5))
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or_else(|| TransportError::Io("malformed http status line".into()))?;
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(TransportError::Status(status))
        }
    }
}

/// `sha256=<hex>` HMAC-SHA-256 of `body` under `key`.
pub fn sign(key: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Counters of alert delivery.
#[derive(Debug, Default)]
pub struct AlertStats {
    /// Delivered.
    pub sent: AtomicU64,
    /// Given up after all attempts.
    pub failed: AtomicU64,
    /// Dropped because the queue was full.
    pub dropped: AtomicU64,
}

/// The queue in front of the delivery thread.
pub struct AlertSender {
    tx: Option<SyncSender<AlertPayload>>,
    worker: Option<JoinHandle<()>>,
    stats: Arc<AlertStats>,
}

impl std::fmt::Debug for AlertSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertSender")
            .field("stats", &self.stats)
            .finish()
    }
}

/// Reads the webhook key from the config (env var preferred).
pub fn webhook_key(cfg: &WebhookConfig) -> Result<Zeroizing<Vec<u8>>, BehaviorError> {
    match (&cfg.secret_env, &cfg.secret) {
        (Some(var), _) => std::env::var(var)
            .map(|v| Zeroizing::new(v.into_bytes()))
            .map_err(|_| BehaviorError::Secret(format!("environment variable `{var}` is not set"))),
        (None, Some(s)) => Ok(Zeroizing::new(s.as_bytes().to_vec())),
        (None, None) => Err(BehaviorError::Secret("no secret configured".into())),
    }
}

impl AlertSender {
    /// Starts the delivery thread.
    pub fn start(
        cfg: &WebhookConfig,
        key: Zeroizing<Vec<u8>>,
        transport: Arc<dyn AlertTransport>,
    ) -> Result<Self, BehaviorError> {
        let (tx, rx) = sync_channel(cfg.queue_capacity);
        let stats = Arc::new(AlertStats::default());
        let worker_stats = Arc::clone(&stats);
        let url = cfg.url.clone();
        let attempts = cfg.max_attempts;
        let backoff = Duration::from_millis(cfg.initial_backoff_ms);
        let worker = std::thread::Builder::new()
            .name("palisade-behavior-alerts".into())
            .spawn(move || {
                deliver_loop(
                    rx,
                    &url,
                    &key,
                    attempts,
                    backoff,
                    &*transport,
                    &worker_stats,
                )
            })
            .map_err(|e| BehaviorError::Thread(e.to_string()))?;
        Ok(Self {
            tx: Some(tx),
            worker: Some(worker),
            stats,
        })
    }

    /// Queues an alert; never blocks. Returns false if it was dropped (queue full).
    pub fn send(&self, alert: AlertPayload) -> bool {
        match self.tx.as_ref().map(|tx| tx.try_send(alert)) {
            Some(Ok(())) => true,
            Some(Err(TrySendError::Full(_) | TrySendError::Disconnected(_))) | None => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// Delivery counters.
    pub fn stats(&self) -> &AlertStats {
        &self.stats
    }
}

impl Drop for AlertSender {
    fn drop(&mut self) {
        // Closing the channel lets the worker finish what is queued and exit.
        self.tx.take();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

fn deliver_loop(
    rx: Receiver<AlertPayload>,
    url: &str,
    key: &[u8],
    attempts: u32,
    backoff: Duration,
    transport: &dyn AlertTransport,
    stats: &AlertStats,
) {
    while let Ok(alert) = rx.recv() {
        let Ok(body) = serde_json::to_vec(&alert) else {
            stats.failed.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let headers = [(SIGNATURE_HEADER, sign(key, &body))];
        let mut delay = backoff;
        let mut delivered = false;
        for attempt in 1..=attempts {
            match transport.post(url, &headers, &body) {
                Ok(()) => {
                    delivered = true;
                    break;
                }
                Err(e) => {
                    tracing::warn!(attempt, error = %e, "behavior alert delivery failed");
                    if attempt < attempts {
                        std::thread::sleep(delay);
                        delay = delay.saturating_mul(2);
                    }
                }
            }
        }
        let counter = if delivered {
            &stats.sent
        } else {
            &stats.failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
