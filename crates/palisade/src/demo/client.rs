//! The agent side of the demo: an HTTPS client that trusts only the gateway's generated CA
//! (TLS 1.3, rustls), holds an Ed25519 DPoP key, and signs an RFC 9449 proof for every call
//! with the JOSE helpers of palisade-identity (base64url, JWK, thumbprint, `ath`), so the
//! proofs are exactly what the gateway's verifier expects from a real agent.

use anyhow::{Context, Result};
use bytes::Bytes;
use ed25519_dalek::{Signer, SigningKey};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use palisade_identity::jose::{b64e, sha256_b64, PublicJwk};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// An HTTP answer as the agent sees it.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Body as text.
    pub body: String,
    /// `x-request-id` of the gateway (maps the call to its audit entry).
    pub request_id: Option<String>,
    /// `DPoP-Nonce` the gateway handed out (RFC 9449 §8), for the next proof.
    pub dpop_nonce: Option<String>,
}

impl Answer {
    /// The body as JSON (Null when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// `error.code` of an OpenAI-style error body. The gateway answers authentication
    /// failures with a generic code and the identity stage's message; the message is mapped
    /// back to that stage's own code so the report names the precise check.
    pub fn code(&self) -> String {
        let v = self.json();
        let code = v["error"]["code"].as_str().unwrap_or("");
        let message = v["error"]["message"].as_str().unwrap_or("");
        if matches!(code, "unauthenticated" | "forbidden") {
            if let Some(c) = auth_code(message) {
                return c.to_owned();
            }
        }
        code.to_owned()
    }

    /// `error.policy_ids` of a denial.
    pub fn policy_ids(&self) -> Vec<String> {
        self.json()["error"]["policy_ids"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The identity stage's code for an authentication failure message.
fn auth_code(message: &str) -> Option<&'static str> {
    use palisade_core::IdentityStatus;
    use palisade_identity::AuthError::*;
    [
        StaticApiKey,
        MissingCredential,
        DpopScheme,
        DpopMissing,
        DpopKeyMismatch,
        DpopBadSignature,
        DpopAthMismatch,
        Unbound,
        Disabled(IdentityStatus::Quarantined),
        Disabled(IdentityStatus::Suspended),
        Disabled(IdentityStatus::Revoked),
    ]
    .into_iter()
    .find(|e| e.to_string() == message)
    .map(|e| e.code())
}

/// A TLS client for the gateway, shared by every agent.
#[derive(Clone)]
pub struct Transport {
    client: Client<Https, Full<Bytes>>,
    base: String,
}

impl Transport {
    /// Trusts `ca_pem` only and targets `https://<addr>`.
    pub fn new(ca_pem: &Path, addr: std::net::SocketAddr) -> Result<Self> {
        let mut roots = rustls::RootCertStore::empty();
        let pem = std::fs::read(ca_pem).with_context(|| format!("reading {}", ca_pem.display()))?;
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            roots.add(cert.context("parsing the dev CA")?)?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_only()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(https);
        Ok(Self {
            client,
            base: format!("https://{addr}"),
        })
    }

    /// The URL of `path` (also the DPoP `htu`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends one request and reads the whole answer (streams included).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Answer> {
        let mut req = http::Request::builder().method(method).uri(self.url(path));
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let bytes = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Bytes::from(serde_json::to_vec(b)?)
            }
            None => Bytes::new(),
        };
        let resp = self.client.request(req.body(Full::new(bytes))?).await?;
        let status = resp.status().as_u16();
        let request_id = resp
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let dpop_nonce = resp
            .headers()
            .get("dpop-nonce")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp.into_body().collect().await?.to_bytes();
        Ok(Answer {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
            request_id,
            dpop_nonce,
        })
    }
}

/// A DPoP key pair (Ed25519, EdDSA proofs).
pub struct DpopKey {
    key: SigningKey,
    jwk: Value,
    /// RFC 7638 thumbprint (what `cnf.jkt` and the enrollment binding name).
    pub jkt: String,
}

impl DpopKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let key = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
        let public = PublicJwk::Ed25519(key.verifying_key());
        Self {
            jwk: public.to_json(),
            jkt: public.thumbprint(),
            key,
        }
    }

    /// The public JWK.
    pub fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// A `dpop+jwt` for `method url`, bound to `access_token` (`ath`) and carrying `nonce`.
    pub fn proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        nonce: Option<&str>,
    ) -> String {
        let header = json!({"typ": "dpop+jwt", "alg": "EdDSA", "jwk": self.jwk});
        let iat = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut claims = json!({
            "jti": b64e(&rand::random::<[u8; 16]>()),
            "htm": method,
            "htu": url,
            "iat": iat,
        });
        if let Some(t) = access_token {
            claims["ath"] = json!(sha256_b64(t.as_bytes()));
        }
        if let Some(n) = nonce {
            claims["nonce"] = json!(n);
        }
        let input = format!(
            "{}.{}",
            b64e(header.to_string().as_bytes()),
            b64e(claims.to_string().as_bytes())
        );
        let sig = self.key.sign(input.as_bytes());
        format!("{input}.{}", b64e(&sig.to_bytes()))
    }
}

/// An enrolled agent: transport, DPoP key and access token.
pub struct Agent {
    /// The transport.
    pub transport: Transport,
    /// Its DPoP key.
    pub key: DpopKey,
    /// Its access token (after enrollment).
    pub token: String,
    /// The latest server nonce the gateway handed out (RFC 9449 §8).
    pub dpop_nonce: std::sync::Mutex<Option<String>>,
}

impl Agent {
    /// An OpenAI chat completion through the gateway, with a fresh DPoP proof.
    pub async fn chat(&self, model: &str, prompt: &str, stream: bool) -> Result<Answer> {
        let body = json!({
            "model": model,
            "stream": stream,
            "messages": [{"role": "user", "content": prompt}],
        });
        self.call("POST", "/v1/chat/completions", &body).await
    }

    /// A DPoP-authenticated call carrying the latest server nonce; a `use_dpop_nonce` 401 with
    /// a new nonce is retried once with it (RFC 9449 §8.1).
    pub async fn call(&self, method: &str, path: &str, body: &Value) -> Result<Answer> {
        let mut retried = false;
        loop {
            let nonce = self.nonce();
            let answer = self.send_once(method, path, body, nonce.as_deref()).await?;
            if let Some(n) = &answer.dpop_nonce {
                *self.dpop_nonce.lock().unwrap_or_else(|e| e.into_inner()) = Some(n.clone());
            }
            let fresh = answer.dpop_nonce.is_some() && answer.dpop_nonce != nonce;
            if answer.status == 401 && fresh && !retried {
                retried = true;
                continue;
            }
            return Ok(answer);
        }
    }

    fn nonce(&self) -> Option<String> {
        self.dpop_nonce
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    async fn send_once(
        &self,
        method: &str,
        path: &str,
        body: &Value,
        nonce: Option<&str>,
    ) -> Result<Answer> {
        let url = self.transport.url(path);
        let proof = self.key.proof(method, &url, Some(&self.token), nonce);
        let headers = [
            ("authorization", format!("DPoP {}", self.token)),
            ("dpop", proof),
        ];
        self.transport
            .send(method, path, &headers, Some(body))
            .await
    }
}
