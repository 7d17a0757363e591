//! Raw serde types, exactly as written in the TOML file. Every table refuses unknown fields, and
//! values that later validation may reject are `Spanned` so the error can point at their line.

use crate::sections::{
    AttestSection, AuditSection, BehaviorSection, IdentitySection, InspectSection, PolicySection,
};
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// `[server]`.
    pub server: RawServer,
    /// `[[upstreams]]`.
    #[serde(default)]
    pub upstreams: Vec<RawUpstream>,
    /// `[[models]]`.
    #[serde(default)]
    pub models: Vec<RawModel>,
    /// `[[mcp_servers]]`: MCP servers behind `/mcp`.
    #[serde(default)]
    pub mcp_servers: Vec<RawMcpServer>,
    /// `[auth]`: required, so that running without authentication is always an explicit choice.
    pub auth: RawAuth,
    /// `[identity]`.
    pub identity: Option<IdentitySection>,
    /// `[policy]`.
    pub policy: Option<PolicySection>,
    /// `[inspect]`.
    pub inspect: Option<InspectSection>,
    /// `[behavior]`.
    pub behavior: Option<BehaviorSection>,
    /// `[audit]`.
    pub audit: Option<AuditSection>,
    /// `[attest]`.
    pub attest: Option<AttestSection>,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    /// `host:port` to listen on.
    pub listen: Spanned<String>,
    /// Directory for generated certificates, the vault and state.
    pub data_dir: Spanned<String>,
    /// PEM certificate chain; with `tls_key`, or neither (then a local CA is generated).
    pub tls_cert: Option<Spanned<String>>,
    /// PEM private key.
    pub tls_key: Option<Spanned<String>>,
    /// Ask clients for a certificate (RFC 8705 binding); not required to connect.
    #[serde(default)]
    pub request_client_cert: bool,
    /// Largest request body in bytes.
    pub body_limit_bytes: Option<Spanned<u64>>,
    /// Time allowed for a client to send the request headers.
    #[serde(default, with = "humantime_serde")]
    pub header_timeout: Option<Duration>,
    /// Keep-alive idle time before the connection is closed.
    #[serde(default, with = "humantime_serde")]
    pub idle_timeout: Option<Duration>,
    /// Time allowed for reading a request body.
    #[serde(default, with = "humantime_serde")]
    pub request_timeout: Option<Duration>,
    /// How long shutdown waits for in-flight requests and streams.
    #[serde(default, with = "humantime_serde")]
    pub shutdown_drain: Option<Duration>,
    /// Origins (`https://host[:port]`) clients address the gateway by; DPoP `htu` must name one.
    pub public_origins: Option<Vec<Spanned<String>>>,
    /// Largest control-plane (`/v1/enroll*`, `/admin/*`) request body in bytes.
    pub control_body_limit_bytes: Option<Spanned<u64>>,
    /// Connections open at once; past it new connections are closed at accept.
    pub max_connections: Option<Spanned<u64>>,
    /// Connections open at once from one source address.
    pub max_connections_per_source: Option<Spanned<u64>>,
    /// Whether `/metrics` requires the admin credential.
    #[serde(default)]
    pub metrics_require_admin: bool,
}

/// One `[[upstreams]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUpstream {
    /// Unique name, referenced by models.
    pub name: Spanned<String>,
    /// `openai`, `anthropic` or `openai-compatible`.
    pub kind: Spanned<String>,
    /// Base URL, e.g. `https://api.openai.com` (the API path `/v1/...` is appended).
    pub base_url: Spanned<String>,
    /// Vault entry holding the provider key; absent for keyless local upstreams.
    pub credential: Option<String>,
    /// `internal`, `external` or `vendor`.
    pub destination: Spanned<String>,
    /// Segment that owns the upstream.
    pub segment: String,
    /// PEM CA bundle to trust instead of the system roots.
    pub ca_file: Option<Spanned<String>>,
    /// TCP+TLS connect timeout.
    #[serde(default, with = "humantime_serde")]
    pub connect_timeout: Option<Duration>,
    /// Time until the upstream's response headers (streams may run longer).
    #[serde(default, with = "humantime_serde")]
    pub request_timeout: Option<Duration>,
}

/// One `[[mcp_servers]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMcpServer {
    /// Unique name, `[a-z0-9-]`, the prefix of its tools on `/mcp` and the `{server}` of
    /// `/mcp/{server}`.
    pub name: Spanned<String>,
    /// Streamable HTTP endpoint, e.g. `https://tools.lab.example/mcp`.
    pub url: Spanned<String>,
    /// `internal`, `external` or `vendor`.
    pub destination: Spanned<String>,
    /// Segment that owns the server.
    pub segment: String,
    /// Vault entry sent as the bearer credential to the server; absent sends none.
    pub credential: Option<String>,
    /// PEM CA bundle to trust instead of the system roots.
    pub ca_file: Option<Spanned<String>>,
    /// Approve a tool seen for the first time without an operator (its definition must still
    /// inspect clean).
    #[serde(default)]
    pub auto_approve: bool,
    /// TCP+TLS connect timeout.
    #[serde(default, with = "humantime_serde")]
    pub connect_timeout: Option<Duration>,
    /// Time until the server's complete answer.
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
}

/// One `[[models]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    /// The name callers use.
    pub name: Spanned<String>,
    /// The upstream that serves it.
    pub upstream: Spanned<String>,
    /// The name to send upstream, if different.
    pub rename: Option<String>,
}

/// `[auth]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuth {
    /// Only `none` (development) for now; `token` arrives with the identity stage.
    pub mode: Spanned<String>,
}
