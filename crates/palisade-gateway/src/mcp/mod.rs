//! MCP gateway state: the configured servers and the gateway's client for each, the sessions
//! bound to identities, the tool pins, and the walker-backed value inspector. The request path
//! itself is `pipeline/mcp_call.rs`.

pub(crate) mod inspect;
pub(crate) mod upstream;

use palisade_mcp::pin::PinStore;
use palisade_mcp::session::SessionTable;
use std::sync::Arc;
use upstream::McpServerClient;

/// Everything the `/mcp` routes share.
pub(crate) struct McpState {
    /// The servers, in config order.
    pub servers: Vec<McpServerClient>,
    /// Callers' sessions, each bound to the identity that opened it.
    pub sessions: SessionTable,
    /// Approved, pending and superseded tool definitions.
    pub pins: Arc<dyn PinStore>,
}

impl McpState {
    /// The server named `name`.
    pub(crate) fn server(&self, name: &str) -> Option<&McpServerClient> {
        self.servers.iter().find(|s| s.config.name == name)
    }
}
