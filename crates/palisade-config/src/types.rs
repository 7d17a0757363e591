//! The validated configuration the gateway runs on. Every value here has been checked; the
//! gateway never re-validates.

use crate::sections::{
    AttestSection, AuditSection, BehaviorSection, IdentitySection, InspectSection, PolicySection,
};
use palisade_core::DestinationClass;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The whole validated config.
#[derive(Debug, Clone)]
pub struct Config {
    /// `[server]`.
    pub server: ServerConfig,
    /// Upstreams by declaration order (names unique).
    pub upstreams: Vec<UpstreamConfig>,
    /// Model routes (names unique, each upstream exists).
    pub models: Vec<ModelRoute>,
    /// MCP servers, in file order.
    pub mcp_servers: Vec<McpServerConfig>,
    /// `[auth]`.
    pub auth: AuthConfig,
    /// `[identity]`, as written.
    pub identity: Option<IdentitySection>,
    /// `[policy]`, as written.
    pub policy: Option<PolicySection>,
    /// `[inspect]`, as written.
    pub inspect: Option<InspectSection>,
    /// `[behavior]`, as written.
    pub behavior: Option<BehaviorSection>,
    /// `[audit]`, as written.
    pub audit: Option<AuditSection>,
    /// `[attest]`, as written.
    pub attest: Option<AttestSection>,
}

impl Config {
    /// The upstream with this name.
    pub fn upstream(&self, name: &str) -> Option<&UpstreamConfig> {
        self.upstreams.iter().find(|u| u.name == name)
    }
    /// The route for a model name as callers use it.
    pub fn model(&self, name: &str) -> Option<&ModelRoute> {
        self.models.iter().find(|m| m.name == name)
    }
}

/// Certificate and key files for the listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM chain.
    pub cert: PathBuf,
    /// PEM key.
    pub key: PathBuf,
}

/// `[server]`, validated.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Listen address.
    pub listen: SocketAddr,
    /// Data directory (absolute or relative to the config file's directory).
    pub data_dir: PathBuf,
    /// Configured certificate, or `None` to use/generate the local dev CA.
    pub tls: Option<TlsFiles>,
    /// Request a client certificate (optional for the client).
    pub request_client_cert: bool,
    /// Largest request body (default 4 MiB).
    pub body_limit_bytes: u64,
    /// Header read timeout (default 10 s).
    pub header_timeout: Duration,
    /// Keep-alive idle timeout (default 60 s).
    pub idle_timeout: Duration,
    /// Request body read timeout (default 30 s).
    pub request_timeout: Duration,
    /// Shutdown drain deadline (default 30 s).
    pub shutdown_drain: Duration,
    /// Normalized public origins (`https://host[:port]`, default port dropped) that DPoP `htu`
    /// is compared with. Empty: the gateway derives `https://<bound address>` at bind time.
    pub public_origins: Vec<String>,
    /// Largest control-plane request body (default 64 KiB), read before anything else.
    pub control_body_limit_bytes: u64,
    /// Connections open at once (default 4096).
    pub max_connections: usize,
    /// Connections open at once from one source address (default 256).
    pub max_connections_per_source: usize,
    /// `/metrics` requires the admin credential (default false).
    pub metrics_require_admin: bool,
}

/// Wire protocol of an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamKind {
    /// api.openai.com.
    OpenAi,
    /// api.anthropic.com.
    Anthropic,
    /// Any server speaking the OpenAI API (vLLM, llama.cpp, ...).
    OpenAiCompatible,
}

impl UpstreamKind {
    /// Whether it speaks the OpenAI wire API.
    pub fn speaks_openai(self) -> bool {
        matches!(self, UpstreamKind::OpenAi | UpstreamKind::OpenAiCompatible)
    }
}

/// One upstream, validated.
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    /// Unique name.
    pub name: String,
    /// Protocol.
    pub kind: UpstreamKind,
    /// Base URL without trailing slash: `https://host[:port][/prefix]`, or `http://` to loopback only.
    pub base_url: String,
    /// Vault entry of the provider key.
    pub credential: Option<String>,
    /// Destination class.
    pub destination: DestinationClass,
    /// Owning segment.
    pub segment: String,
    /// CA bundle to trust instead of system roots.
    pub ca_file: Option<PathBuf>,
    /// Connect timeout (default 5 s).
    pub connect_timeout: Duration,
    /// Time to response headers (default 60 s).
    pub request_timeout: Duration,
}

/// One MCP server, validated.
#[derive(Debug, Clone)]
pub struct McpServerConfig {
    /// Unique name (`[a-z0-9-]`, at most 32 characters).
    pub name: String,
    /// Streamable HTTP endpoint: `https://`, or `http://` to loopback only.
    pub url: String,
    /// Destination class.
    pub destination: DestinationClass,
    /// Owning segment.
    pub segment: String,
    /// Vault entry of the credential sent to the server.
    pub credential: Option<String>,
    /// CA bundle to trust instead of system roots.
    pub ca_file: Option<PathBuf>,
    /// Whether first-seen tool definitions that inspect clean are approved automatically.
    pub auto_approve: bool,
    /// Connect timeout (default 5 s).
    pub connect_timeout: Duration,
    /// Time to the server's complete answer (default 30 s).
    pub timeout: Duration,
}

/// A model name routed to an upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRoute {
    /// Name callers use.
    pub name: String,
    /// Upstream name.
    pub upstream: String,
    /// Name sent upstream (equal to `name` when not renamed).
    pub upstream_model: String,
}

/// How callers authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// No authentication: development only, must be written explicitly as `mode = "none"`.
    None,
    /// Attested non-human identities with short-lived sender-bound tokens (`[identity]`).
    Identity,
}

/// `[auth]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// The mode.
    pub mode: AuthMode,
}
