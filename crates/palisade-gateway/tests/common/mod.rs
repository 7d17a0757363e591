//! Shared test harness: a simulated upstream on 127.0.0.1:0, a gateway on 127.0.0.1:0 with a
//! generated dev CA in a temp dir, and an HTTPS client that trusts only that CA.
#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use palisade_gateway::dev::fake_upstream::FakeUpstream;
use palisade_gateway::{Gateway, Stages, StaticCredentials};
use std::net::SocketAddr;
use std::sync::Arc;
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
    let config = palisade_config::parse(&text, "test.toml", dir.path()).unwrap();
    let stages = match stages {
        Some(s) => s,
        None => {
            palisade_gateway::dev::development_stages(&config)
                .unwrap()
                .0
        }
    };
    let gw = Gateway::new(config, stages, &credentials()).unwrap();
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

pub fn client_trusting(
    ca_pem: &std::path::Path,
) -> Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>> {
    let pem = std::fs::read(ca_pem).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(c.unwrap()).unwrap();
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let conn = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .build();
    Client::builder(TokioExecutor::new()).build(conn)
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

/// The text of the SSE `data:` lines of a body.
pub fn sse_data(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(str::to_owned)
        .collect()
}
