//! What the gateway answers itself: `initialize` negotiation (sessions-based revisions),
//! `server/discover` (2026-07-28), and the table of methods it serves with the Cedar action
//! each one is decided under. The gateway speaks for the federation with its own
//! capabilities and identity; upstream `instructions` are not relayed (free text from a server
//! straight into the model's context is an injection channel).

use crate::jsonrpc::{Request, RpcError};
use crate::version::{supported_json, Era, ProtocolVersion};
use serde_json::{json, Map, Value};

/// The capabilities the gateway declares for the servers behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatewayCapabilities {
    /// Tools are offered (`tools/list`, `tools/call`).
    pub tools: bool,
    /// Resources are offered (`resources/list`, `resources/read`).
    pub resources: bool,
    /// Prompts are offered (`prompts/list`, `prompts/get`).
    pub prompts: bool,
    /// `notifications/*/list_changed` are relayed.
    pub list_changed: bool,
}

impl Default for GatewayCapabilities {
    fn default() -> Self {
        Self {
            tools: true,
            resources: true,
            prompts: true,
            list_changed: true,
        }
    }
}

impl GatewayCapabilities {
    /// The `capabilities` object.
    pub fn to_json(self) -> Value {
        let mut caps = Map::new();
        let lc = json!({ "listChanged": self.list_changed });
        if self.tools {
            caps.insert("tools".into(), lc.clone());
        }
        if self.resources {
            caps.insert("resources".into(), lc.clone());
        }
        if self.prompts {
            caps.insert("prompts".into(), lc);
        }
        Value::Object(caps)
    }
}

/// The gateway's `serverInfo`.
fn server_info() -> Value {
    json!({ "name": "palisade", "version": env!("CARGO_PKG_VERSION") })
}

/// The outcome of `initialize`: the revision to open the session with and the result to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Initialized {
    /// The negotiated revision.
    pub version: ProtocolVersion,
    /// The `InitializeResult`.
    pub result: Value,
}

/// Negotiates `initialize`: a supported sessions-based revision is echoed; any other request
/// gets the newest sessions-based revision the gateway serves (the client decides whether to
/// continue), as the lifecycle prescribes.
pub fn initialize(req: &Request, caps: GatewayCapabilities) -> Result<Initialized, RpcError> {
    let params = req
        .params
        .as_ref()
        .ok_or_else(|| RpcError::invalid_params("initialize needs params"))?;
    let requested = params
        .get("protocolVersion")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params("protocolVersion must be a string"))?;
    if !params.get("capabilities").is_some_and(Value::is_object) {
        return Err(RpcError::invalid_params("capabilities must be an object"));
    }
    if !params.get("clientInfo").is_some_and(Value::is_object) {
        return Err(RpcError::invalid_params("clientInfo must be an object"));
    }
    let version = ProtocolVersion::parse(requested)
        .filter(|v| v.era() == Era::Sessions)
        .unwrap_or(ProtocolVersion::LATEST_SESSIONS);
    Ok(Initialized {
        version,
        result: json!({
            "protocolVersion": version.as_str(),
            "capabilities": caps.to_json(),
            "serverInfo": server_info(),
        }),
    })
}

/// How long a client may cache `server/discover`.
pub const DISCOVER_TTL_MS: u64 = 5 * 60 * 1000;

/// The `DiscoverResult` of 2026-07-28. The cache scope is `private`: what a caller may see
/// of the federation depends on its identity.
pub fn discover(caps: GatewayCapabilities) -> Value {
    json!({
        "resultType": "complete",
        "supportedVersions": supported_json(None),
        "capabilities": caps.to_json(),
        "ttlMs": DISCOVER_TTL_MS,
        "cacheScope": "private",
        "_meta": { "io.modelcontextprotocol/serverInfo": server_info() },
    })
}

/// What the gateway does with a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodKind {
    /// Answered by the gateway itself (`initialize`, `ping`, `server/discover`).
    Local,
    /// Forwarded to a server after Cedar permits this action.
    Upstream(&'static str),
}

/// The methods the gateway serves. Anything else is -32601: an unknown method is not forwarded
/// unread to a server that might implement it.
pub fn method_kind(method: &str) -> Option<MethodKind> {
    Some(match method {
        "initialize" | "ping" | "server/discover" => MethodKind::Local,
        "tools/list" => MethodKind::Upstream("list_tools"),
        "tools/call" => MethodKind::Upstream("call_tool"),
        "resources/list" | "resources/templates/list" | "resources/read" => {
            MethodKind::Upstream("read_resource")
        }
        "prompts/list" | "prompts/get" => MethodKind::Upstream("get_prompt"),
        _ => return None,
    })
}

/// Before `notifications/initialized` only `ping` may be sent (lifecycle, initialization phase).
pub fn allowed_before_initialized(method: &str) -> bool {
    method == "ping"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonrpc::{ErrorCode, RequestId};

    fn init(params: Value) -> Request {
        Request {
            id: RequestId::Number(1),
            method: "initialize".into(),
            params: params.as_object().cloned(),
        }
    }

    fn params(v: &str) -> Value {
        json!({"protocolVersion": v, "capabilities": {}, "clientInfo": {"name":"c","version":"1"}})
    }

    #[test]
    fn initialize_negotiates_supported_sessions_versions() {
        let caps = GatewayCapabilities::default();
        let r = initialize(&init(params("2025-06-18")), caps).unwrap();
        assert_eq!(r.version, ProtocolVersion::V2025_06_18);
        assert_eq!(r.result["protocolVersion"], "2025-06-18");
        assert_eq!(r.result["capabilities"]["tools"]["listChanged"], true);
        assert_eq!(r.result["serverInfo"]["name"], "palisade");
        assert!(r.result.get("instructions").is_none());
        // Unknown or stateless revisions get the newest sessions-based one back.
        for v in ["2024-11-05", "2026-07-28", "banana"] {
            let r = initialize(&init(params(v)), caps).unwrap();
            assert_eq!(r.version, ProtocolVersion::LATEST_SESSIONS, "{v}");
        }
    }

    #[test]
    fn malformed_initialize_is_invalid_params() {
        let caps = GatewayCapabilities::default();
        for p in [
            json!({}),
            json!({"protocolVersion": 1, "capabilities": {}, "clientInfo": {}}),
            json!({"protocolVersion": "2025-11-25", "clientInfo": {}}),
        ] {
            let e = initialize(&init(p), caps).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidParams);
        }
        let e = initialize(
            &Request {
                params: None,
                ..init(json!({}))
            },
            caps,
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidParams);
    }

    #[test]
    fn discover_lists_versions_privately() {
        let d = discover(GatewayCapabilities {
            prompts: false,
            ..Default::default()
        });
        assert_eq!(d["resultType"], "complete");
        assert_eq!(d["cacheScope"], "private");
        assert_eq!(d["supportedVersions"][0], "2026-07-28");
        assert!(d["capabilities"].get("prompts").is_none());
    }

    #[test]
    fn unknown_methods_are_not_forwarded() {
        assert_eq!(
            method_kind("tools/call"),
            Some(MethodKind::Upstream("call_tool"))
        );
        assert_eq!(
            method_kind("prompts/get"),
            Some(MethodKind::Upstream("get_prompt"))
        );
        assert_eq!(method_kind("server/discover"), Some(MethodKind::Local));
        assert_eq!(method_kind("tools/delete_everything"), None);
        assert!(allowed_before_initialized("ping"));
        assert!(!allowed_before_initialized("tools/call"));
    }
}
