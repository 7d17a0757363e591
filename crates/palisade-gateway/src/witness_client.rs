//! The gateway's submission of audit checkpoints to its witnesses (`[audit] witnesses`): a
//! background task that hands every new checkpoint to [`palisade_audit::Publisher`] (proofs,
//! 409 retries, cosignature checks, quorum, `cosigned.latest`) with a hyper client as its
//! transport, off the request path. At start one round runs before the gateway serves: a
//! witness holding a larger or different tree than this log (rollback, fork) refuses the start.
//! The lag it tracks feeds `/readyz` and the fail-closed gate of calls that need `sync` audit.

use crate::error::ApiError;
use crate::pipeline::Shared;
use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use palisade_audit::{AuditConfig, AuditLog, DurabilityMode, Publisher, WitnessStatus};
use palisade_audit::{PublishError, RoundReport, WitnessTransport};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the task looks for a new checkpoint (and retries one short of its quorum).
const POLL: Duration = Duration::from_millis(200);
/// Whole round trip to one witness.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest witness answer read (a few cosignature lines, or a size).
const MAX_ANSWER: usize = 16 * 1024;

/// Why witnessing could not start.
#[derive(Debug, thiserror::Error)]
pub enum WitnessStartError {
    /// The `[audit]` witness settings or the client could not be set up.
    #[error("witness setup: {0}")]
    Setup(String),
    /// A witness has seen another history of this log: refusing to serve on it.
    #[error("refusing to start: {0}")]
    Evidence(PublishError),
}

/// The hyper client behind [`WitnessTransport`]; called from a blocking thread.
struct HttpTransport {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    runtime: tokio::runtime::Handle,
}

impl HttpTransport {
    fn new() -> Result<Self, WitnessStartError> {
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_native_certs::load_native_certs().certs {
            // A malformed system root is skipped; https to a witness then fails to verify.
            let _ = roots.add(c);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| WitnessStartError::Setup(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(REQUEST_TIMEOUT));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(HttpTransport {
            client: Client::builder(TokioExecutor::new()).build(connector),
            runtime: tokio::runtime::Handle::current(),
        })
    }

    async fn post(&self, url: &str, body: &str) -> Result<(u16, String), String> {
        let req = http::Request::post(format!("{url}/add-checkpoint"))
            .header(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(Full::new(Bytes::from(body.to_owned())))
            .map_err(|e| format!("bad witness url: {e}"))?;
        let resp = self.client.request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let bytes = Limited::new(resp.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?
            .to_bytes();
        Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
    }
}

impl WitnessTransport for HttpTransport {
    fn add_checkpoint(&self, url: &str, body: &str) -> Result<(u16, String), String> {
        self.runtime.block_on(async {
            tokio::time::timeout(REQUEST_TIMEOUT, self.post(url, body))
                .await
                .unwrap_or_else(|_| Err("no answer in time".into()))
        })
    }
}

/// Starts witnessing for `log` when `cfg` names witnesses: runs the first round (refusing a
/// log a witness has seen longer or different), then submits every new checkpoint in the
/// background. Returns the lag tracker for [`crate::Gateway::with_witness_status`].
pub async fn start_witnessing(
    log: Arc<AuditLog>,
    data_dir: &Path,
    cfg: &AuditConfig,
) -> Result<Option<Arc<WitnessStatus>>, WitnessStartError> {
    if cfg.witnesses.is_empty() {
        return Ok(None);
    }
    let publisher =
        Publisher::new(data_dir, cfg).map_err(|e| WitnessStartError::Setup(e.to_string()))?;
    let status = publisher.status();
    let transport = Arc::new(HttpTransport::new()?);
    let state = Arc::new(parking_lot::Mutex::new((publisher, None::<u64>)));
    if let Some(report) = round(&log, &state, &transport, true).await {
        if let Some(e) = report.problems.into_iter().find(PublishError::is_evidence) {
            return Err(WitnessStartError::Evidence(e));
        }
    }
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(POLL).await;
            round(&log, &state, &transport, false).await;
        }
    });
    Ok(Some(status))
}

type State = Arc<parking_lot::Mutex<(Publisher, Option<u64>)>>;

/// Publishes the newest checkpoint unless it was already published; logs what went wrong.
async fn round(
    log: &Arc<AuditLog>,
    state: &State,
    transport: &Arc<HttpTransport>,
    first: bool,
) -> Option<RoundReport> {
    let (log, state, transport) = (log.clone(), state.clone(), transport.clone());
    let task = tokio::task::spawn_blocking(move || {
        let note = log.latest_checkpoint()?;
        let mut guard = state.lock();
        let (publisher, published) = &mut *guard;
        let size = palisade_audit::Checkpoint::parse_text(
            palisade_audit::SignedNote::parse(&note).ok()?.text,
        )
        .ok()?
        .size;
        if *published == Some(size) {
            return None;
        }
        match publisher.publish(&log, &note, transport.as_ref()) {
            Ok(report) => {
                if report.published {
                    *published = Some(size);
                }
                Some(report)
            }
            Err(e) => {
                tracing::error!(error = %e, "checkpoint publication failed");
                None
            }
        }
    });
    let report = task.await.ok().flatten()?;
    for p in &report.problems {
        if p.is_evidence() {
            tracing::error!(problem = %p, "a witness has seen another history of this audit log");
        } else if first || report.published {
            tracing::warn!(problem = %p, "witness did not cosign");
        } else {
            tracing::debug!(problem = %p, "witness did not cosign");
        }
    }
    if report.published {
        tracing::debug!(
            size = report.size,
            cosigned = report.cosigned,
            "checkpoint published"
        );
    }
    Some(report)
}

/// Whether the fail-closed gate applies: witnesses configured, `sync` audit and
/// `witness_lag_fail_closed`.
fn gate_applies(shared: &Shared) -> Option<&WitnessStatus> {
    let status = shared.witness.get()?;
    let cfg = shared.config.audit.as_ref()?;
    (cfg.mode == DurabilityMode::Sync && cfg.witness_lag_fail_closed).then_some(status.as_ref())
}

/// Refuses a call that needs `sync` audit while checkpoints have waited past
/// `max_witness_lag` for their quorum: nothing more is appended that nobody outside has seen.
pub(crate) fn gate(shared: &Shared) -> Result<(), ApiError> {
    let Some(status) = gate_applies(shared) else {
        return Ok(());
    };
    let r = status.report(Instant::now());
    if !r.exceeded {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "audit_unwitnessed",
        format!(
            "audit checkpoints have waited {}s for the witness quorum (checkpoint {}, witnessed {}); calls are refused until the witnesses cosign",
            r.lag.as_secs(),
            r.checkpoint_size,
            r.witnessed_size
        ),
    ))
}

/// The witness part of `/readyz`: whether the lag allows serving, and the lines to print.
pub(crate) fn readiness(shared: &Shared) -> Option<(bool, String)> {
    let status = shared.witness.get()?;
    let r = status.report(Instant::now());
    let mut text = format!(
        "witness_lag_ms {}\ncheckpoint_size {}\nwitnessed_size {}\n",
        r.lag.as_millis(),
        r.checkpoint_size,
        r.witnessed_size
    );
    for p in &r.problems {
        text.push_str(&format!("witness_problem {p}\n"));
    }
    Some((!(r.exceeded && gate_applies(shared).is_some()), text))
}
