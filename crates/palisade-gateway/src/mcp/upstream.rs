//! The client side of one MCP server (Streamable HTTP): the gateway's own session with the
//! server (initialize, `notifications/initialized`, `MCP-Session-Id`), requests built from
//! scratch so no caller header (its `Authorization`, its DPoP proof) can reach the server,
//! the vault credential as the only bearer, and JSON or SSE answers read strictly.

use crate::pipeline::Permitted;
use crate::upstream::{UpstreamClient, UpstreamFailure, UpstreamRequest};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use http_body_util::{BodyExt, Limited};
use palisade_config::McpServerConfig;
use palisade_mcp::jsonrpc::{message_from_value, ErrorCode, Message, RequestId, RpcError};
use palisade_mcp::strict_json;
use palisade_mcp::version::ProtocolVersion;
use parking_lot::Mutex;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicI64, Ordering};

/// The revision the gateway asks its servers for.
const UPSTREAM_VERSION: ProtocolVersion = ProtocolVersion::LATEST_SESSIONS;

/// The gateway's session with a server.
#[derive(Debug, Clone)]
struct UpstreamSession {
    id: Option<String>,
    version: String,
}

/// One configured MCP server and the gateway's connection to it.
pub(crate) struct McpServerClient {
    pub config: McpServerConfig,
    client: UpstreamClient,
    uri: http::Uri,
    credential: Option<SecretString>,
    session: Mutex<Option<UpstreamSession>>,
    next_id: AtomicI64,
}

fn unavailable() -> RpcError {
    RpcError::new(
        ErrorCode::InternalError,
        "the MCP server is unavailable",
        502,
    )
}

fn upstream_error() -> RpcError {
    RpcError::new(
        ErrorCode::InternalError,
        "the MCP server answered with an error",
        502,
    )
}

impl McpServerClient {
    pub(crate) fn new(
        config: McpServerConfig,
        client: UpstreamClient,
        credential: Option<SecretString>,
    ) -> Result<Self, http::uri::InvalidUri> {
        let uri = config.url.parse()?;
        Ok(Self {
            config,
            client,
            uri,
            credential,
            session: Mutex::new(None),
            next_id: AtomicI64::new(1),
        })
    }

    /// Sends `method` with `params` under `proof` and returns the `result` of the answer.
    /// Opens the gateway's session with the server first when there is none.
    pub(crate) async fn call<T>(
        &self,
        proof: &Permitted<T>,
        method: &str,
        params: Value,
    ) -> Result<Value, RpcError> {
        let cached = self.session.lock().clone();
        let session = match cached {
            Some(s) => s,
            None => self.open(proof).await?,
        };
        let (status, result) = self
            .exchange(proof, Some(&session), method, params, true)
            .await?;
        if status == 404 {
            // The server forgot the session: the next call opens a new one.
            *self.session.lock() = None;
            return Err(unavailable());
        }
        result.ok_or_else(upstream_error)
    }

    async fn open<T>(&self, proof: &Permitted<T>) -> Result<UpstreamSession, RpcError> {
        let params = json!({
            "protocolVersion": UPSTREAM_VERSION.as_str(),
            "capabilities": {},
            "clientInfo": {"name": "palisade", "version": env!("CARGO_PKG_VERSION")},
        });
        let resp = self
            .send(proof, None, self.body("initialize", params, true))
            .await?;
        let id = resp
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (status, result) = self.read(resp, Some(RequestId::Number(0))).await?;
        let version = result
            .as_ref()
            .and_then(|r| r.get("protocolVersion"))
            .and_then(Value::as_str)
            .and_then(ProtocolVersion::parse)
            .filter(|_| status == 200)
            .ok_or_else(upstream_error)?;
        let session = UpstreamSession {
            id,
            version: version.as_str().to_owned(),
        };
        let note = self.body("notifications/initialized", json!({}), false);
        let resp = self.send(proof, Some(&session), note).await?;
        if !resp.status().is_success() {
            return Err(upstream_error());
        }
        *self.session.lock() = Some(session.clone());
        Ok(session)
    }

    /// A request (`with_id`) or notification body.
    fn body(&self, method: &str, params: Value, with_id: bool) -> Value {
        let mut v = json!({"jsonrpc": "2.0", "method": method, "params": params});
        if with_id {
            // The handshake uses 0; calls count from 1.
            let id = if method == "initialize" {
                0
            } else {
                self.next_id.fetch_add(1, Ordering::Relaxed)
            };
            v["id"] = json!(id);
        }
        v
    }

    async fn exchange<T>(
        &self,
        proof: &Permitted<T>,
        session: Option<&UpstreamSession>,
        method: &str,
        params: Value,
        with_id: bool,
    ) -> Result<(u16, Option<Value>), RpcError> {
        let body = self.body(method, params, with_id);
        let id = body
            .get("id")
            .and_then(Value::as_i64)
            .map(RequestId::Number);
        let resp = self.send(proof, session, body).await?;
        self.read(resp, id).await
    }

    async fn send<T>(
        &self,
        proof: &Permitted<T>,
        session: Option<&UpstreamSession>,
        body: Value,
    ) -> Result<http::Response<hyper::body::Incoming>, RpcError> {
        // Built from nothing: the caller's headers are never copied, so its token and DPoP
        // proof cannot reach the server.
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json, text/event-stream"),
        );
        if let Some(s) = session {
            if let Ok(v) = HeaderValue::from_str(&s.version) {
                headers.insert("mcp-protocol-version", v);
            }
            if let Some(v) = s.id.as_deref().and_then(|i| HeaderValue::from_str(i).ok()) {
                headers.insert("mcp-session-id", v);
            }
        }
        if let Some(c) = &self.credential {
            let mut v = HeaderValue::from_str(&format!("Bearer {}", c.expose_secret()))
                .map_err(|_| RpcError::internal())?;
            v.set_sensitive(true);
            headers.insert(http::header::AUTHORIZATION, v);
        }
        let req = UpstreamRequest {
            upstream: self.config.name.clone(),
            uri: self.uri.clone(),
            headers,
            body: Bytes::from(body.to_string()),
            timeout: self.config.timeout,
        };
        self.client
            .send_under(proof, req)
            .await
            .map_err(|f| match f {
                UpstreamFailure::Timeout => {
                    RpcError::new(ErrorCode::InternalError, "the MCP server timed out", 504)
                }
                UpstreamFailure::Unavailable => unavailable(),
            })
    }

    /// Reads the answer to request `id` (JSON, or the matching event of an SSE stream).
    async fn read(
        &self,
        resp: http::Response<hyper::body::Incoming>,
        id: Option<RequestId>,
    ) -> Result<(u16, Option<Value>), RpcError> {
        let status = resp.status().as_u16();
        let sse = resp
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let limited = Limited::new(resp.into_body(), strict_json::DEFAULT_MAX_BODY);
        let bytes = tokio::time::timeout(self.config.timeout, limited.collect())
            .await
            .map_err(|_| RpcError::new(ErrorCode::InternalError, "the MCP server timed out", 504))?
            .map_err(|_| unavailable())?
            .to_bytes();
        let Some(id) = id else {
            return Ok((status, None));
        };
        if status == 404 || bytes.is_empty() {
            return Ok((status, None));
        }
        let messages: Vec<&[u8]> = if sse {
            bytes
                .split(|b| *b == b'\n')
                .filter_map(|l| l.strip_prefix(b"data:"))
                .collect()
        } else {
            vec![&bytes[..]]
        };
        for m in messages {
            let value = strict_json::parse(m, strict_json::DEFAULT_MAX_BODY)
                .map_err(|_| upstream_error())?;
            if let Ok(Message::Response(r)) = message_from_value(value) {
                if r.id == id {
                    return Ok((status, r.outcome.ok()));
                }
            }
        }
        Err(upstream_error())
    }
}
