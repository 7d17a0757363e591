//! Shared test harness: a simulated upstream on 127.0.0.1:0, a gateway on 127.0.0.1:0 with a
//! generated dev CA in a temp dir, and an HTTPS client that trusts only that CA.
#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use palisade_gateway::dev::fake_upstream::FakeUpstream;
use palisade_gateway::dev::MemoryAuditSink;
use palisade_gateway::{Gateway, Stages, StaticCredentials};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

pub const OPENAI_KEY: &str = "sk-test-OPENAI-4f9a2c7e1d-SECRET";
pub const ANTHROPIC_KEY: &str = "sk-ant-test-ANTHROPIC-77b1e0-SECRET";

pub struct Harness {
    pub upstream: FakeUpstream,
    pub addr: SocketAddr,
    pub client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    pub ca_pem: std::path::PathBuf,
    pub metrics: palisade_gateway::metrics::Metrics,
    shutdown: Option<oneshot::Sender<()>>,
    pub done: Option<tokio::task::JoinHandle<()>>,
    pub _dir: tempfile::TempDir,
}

/// A free loopback port with nothing listening (connections are refused).
pub fn refused_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub fn config_text(up: SocketAddr, data_dir: &std::path::Path, extra_server: &str) -> String {
    let refused = refused_port();
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "{data}"
body_limit_bytes = 65536
header_timeout = "1s"
request_timeout = "5s"
shutdown_drain = "5s"
{extra_server}

[[upstreams]]
name = "openai"
kind = "openai"
base_url = "http://{up}"
credential = "openai-key"
destination = "external"
segment = "research"
request_timeout = "2s"

[[upstreams]]
name = "anthropic"
kind = "anthropic"
base_url = "http://{up}"
credential = "anthropic-key"
destination = "external"
segment = "research"
request_timeout = "2s"

[[upstreams]]
name = "down"
kind = "openai-compatible"
base_url = "http://127.0.0.1:{refused}"
destination = "internal"
segment = "research"

[[models]]
name = "gpt-4o-mini"
upstream = "openai"
rename = "fake-gpt"

[[models]]
name = "text-embedding-3-small"
upstream = "openai"

[[models]]
name = "slow-gpt"
upstream = "openai"

[[models]]
name = "hang-gpt"
upstream = "openai"

[[models]]
name = "break-gpt"
upstream = "openai"

[[models]]
name = "down-model"
upstream = "down"

[[models]]
name = "claude-sonnet-4-5"
upstream = "anthropic"

[[models]]
name = "break-claude"
upstream = "anthropic"

[auth]
mode = "none"
"#,
        data = data_dir.display()
    )
}

pub fn credentials() -> StaticCredentials {
    StaticCredentials::default()
        .with("openai-key", OPENAI_KEY)
        .with("anthropic-key", ANTHROPIC_KEY)
}

/// Starts upstream + gateway with the given stages (or the development ones).
pub async fn start_with(stages: Option<Stages>) -> Harness {
    start_full(stages, "").await
}

/// Starts with extra `[server]` lines.
pub async fn start_full(stages: Option<Stages>, extra_server: &str) -> Harness {
    let upstream = FakeUpstream::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(upstream.addr(), dir.path(), extra_server);
    start_config(upstream, dir, &text, stages).await
}

/// Starts a gateway on the config `text` (in `dir`) with the given stages (or the development
/// ones), next to an already started `upstream`.
pub async fn start_config(
    upstream: FakeUpstream,
    dir: tempfile::TempDir,
    text: &str,
    stages: Option<Stages>,
) -> Harness {
    let config = palisade_config::parse(text, "test.toml", dir.path()).unwrap();
    let stages = match stages {
        Some(s) => s,
        None => {
            palisade_gateway::dev::development_stages(&config)
                .unwrap()
                .0
        }
    };
    let gw = Gateway::new(config, stages, &credentials()).unwrap();
    serve_gateway(upstream, dir, gw).await
}

/// Binds and serves an already built gateway next to `upstream`.
pub async fn serve_gateway(upstream: FakeUpstream, dir: tempfile::TempDir, gw: Gateway) -> Harness {
    let metrics = gw.metrics();
    let bound = gw.bind().await.unwrap();
    let addr = bound.local_addr();
    let ca_pem = bound.dev_ca().unwrap().ca_cert.clone();
    let (tx, rx) = oneshot::channel::<()>();
    let done = tokio::spawn(async move {
        bound
            .serve(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    let client = client_trusting(&ca_pem);
    Harness {
        upstream,
        addr,
        client,
        ca_pem,
        metrics,
        shutdown: Some(tx),
        done: Some(done),
        _dir: dir,
    }
}

pub async fn start() -> Harness {
    start_with(None).await
}

/// The certificates of a PEM file as a root store (the gateway's generated dev CA).
pub fn roots_from(ca_pem: &std::path::Path) -> rustls::RootCertStore {
    let pem = std::fs::read(ca_pem).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(c.unwrap()).unwrap();
    }
    roots
}

/// A TLS 1.3-only client configuration trusting `ca_pem`, still to choose its client auth.
pub fn tls13_trusting(
    ca_pem: &std::path::Path,
) -> rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert> {
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots_from(ca_pem))
}

/// An HTTPS-only HTTP/1 client over the given TLS configuration.
pub fn https_client(
    tls: rustls::ClientConfig,
) -> Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>> {
    let conn = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .build();
    Client::builder(TokioExecutor::new()).build(conn)
}

pub fn client_trusting(
    ca_pem: &std::path::Path,
) -> Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>> {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots_from(ca_pem))
    .with_no_client_auth();
    https_client(tls)
}

/// Development stages from the standard auth=none config, for tests that swap one stage in.
/// Keeps the config's temp dir alive as long as the stages.
pub struct DevStages {
    pub cfg: palisade_config::Config,
    pub stages: Stages,
    pub audit: Arc<MemoryAuditSink>,
    _dir: tempfile::TempDir,
}

pub fn dev_stages() -> DevStages {
    let dir = tempfile::tempdir().unwrap();
    let cfg = palisade_config::parse(
        &config_text("127.0.0.1:1".parse().unwrap(), dir.path(), ""),
        "t.toml",
        dir.path(),
    )
    .unwrap();
    let (stages, audit) = palisade_gateway::dev::development_stages(&cfg).unwrap();
    DevStages {
        cfg,
        stages,
        audit,
        _dir: dir,
    }
}

/// Starts a gateway on the development stages after `edit` swapped the stage under test in.
pub async fn start_edited(edit: impl FnOnce(&mut Stages)) -> (Harness, Arc<MemoryAuditSink>) {
    let mut d = dev_stages();
    edit(&mut d.stages);
    (start_with(Some(d.stages)).await, d.audit)
}

/// A log writer that keeps everything written to it in memory.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    /// Installs the global JSON TRACE subscriber writing into a new capture (once per binary).
    pub fn install() -> Capture {
        let cap = Capture::default();
        let writer = cap.clone();
        tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .init();
        cap
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> http::Response<Incoming> {
        let mut b = http::Request::builder().method(method).uri(self.url(path));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b.body(Full::new(body.into())).unwrap();
        self.client.request(req).await.unwrap()
    }

    /// POSTs `body` as `content-type: application/json` and returns the streaming response.
    pub async fn post_raw(&self, path: &str, body: impl Into<Bytes>) -> http::Response<Incoming> {
        self.send("POST", path, &[("content-type", "application/json")], body)
            .await
    }

    pub async fn post_json(
        &self,
        path: &str,
        v: serde_json::Value,
    ) -> (u16, http::HeaderMap, String) {
        let resp = self
            .send(
                "POST",
                path,
                &[
                    ("content-type", "application/json"),
                    ("authorization", "Bearer caller-token"),
                ],
                v.to_string(),
            )
            .await;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8(body.to_vec()).unwrap())
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let resp = self.send("GET", path, &[], Bytes::new()).await;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(d) = self.done.take() {
            d.await.unwrap();
        }
    }
}

/// The model ids of an OpenAI `GET /v1/models` list body, in order.
pub fn model_ids(body: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["object"], "list", "{body}");
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The text of the SSE `data:` lines of a body.
pub fn sse_data(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(str::to_owned)
        .collect()
}

/// A finding as a test stage reports it: whole-leaf offsets, placeholder hash, high confidence.
pub fn test_finding(
    path: &str,
    class: palisade_core::DataClass,
    severity: palisade_core::Severity,
    detector: &str,
) -> palisade_core::Finding {
    palisade_core::Finding {
        detector: detector.into(),
        data_class: class,
        path: path.into(),
        start: 0,
        end: 0,
        value_hash: "00".into(),
        confidence: palisade_core::Confidence::High,
        severity,
    }
}

/// A stream scanner that releases every delta as it comes, for tests whose subject is not
/// the stream filter.
pub struct PassThroughScanner;

impl palisade_core::StreamScanner for PassThroughScanner {
    fn push(&mut self, delta: &str) -> palisade_core::StreamRelease {
        palisade_core::StreamRelease {
            text: delta.to_owned(),
            ..Default::default()
        }
    }
    fn finish(&mut self) -> palisade_core::StreamRelease {
        palisade_core::StreamRelease::default()
    }
}
