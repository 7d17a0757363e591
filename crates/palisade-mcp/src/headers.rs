//! The MCP headers of Streamable HTTP, held to the body. Sessions-based revisions carry
//! `MCP-Session-Id` and `MCP-Protocol-Version` (which must equal the negotiated revision);
//! 2026-07-28 mirrors `method`, `params.name`/`params.uri`, the `_meta` protocol version and
//! `x-mcp-header` arguments into `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*`. A load balancer may
//! route on the header while the server executes the body, so any disagreement, a missing
//! required header, a malformed value or a repeated header is refused with -32020.
//! HTTP-free: the gateway passes the request's header pairs in.

use crate::jsonrpc::{ErrorCode, Request, RpcError};
use crate::version::{supported_json, Era, ProtocolVersion};
use base64::Engine as _;
use serde_json::{json, Value};

/// `_meta` key of the per-request protocol version (2026-07-28).
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";

const PARAM_PREFIX: &str = "mcp-param-";

/// The MCP headers of one request, names compared case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct McpHeaders {
    /// `MCP-Protocol-Version`.
    pub protocol_version: Option<String>,
    /// `MCP-Session-Id`.
    pub session_id: Option<String>,
    /// `Mcp-Method`.
    pub method: Option<String>,
    /// `Mcp-Name` (still encoded).
    pub name: Option<String>,
    /// `Mcp-Param-{Name}` pairs: lowercased name part, encoded value.
    pub params: Vec<(String, String)>,
    /// A header repeated or with bytes outside visible ASCII, space and tab.
    pub malformed: bool,
}

fn valid_value(v: &[u8]) -> bool {
    v.iter()
        .all(|b| (0x21..=0x7e).contains(b) || *b == b' ' || *b == b'\t')
}

impl McpHeaders {
    /// Collects the MCP headers from `(name, value)` pairs; other headers are ignored.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Self {
        let mut h = Self::default();
        for (name, value) in pairs {
            let lname = name.to_ascii_lowercase();
            let slot = match lname.as_str() {
                "mcp-protocol-version" => &mut h.protocol_version,
                "mcp-session-id" => &mut h.session_id,
                "mcp-method" => &mut h.method,
                "mcp-name" => &mut h.name,
                n if n.starts_with(PARAM_PREFIX) => {
                    let key = n[PARAM_PREFIX.len()..].to_owned();
                    if h.params.iter().any(|(k, _)| *k == key) || !valid_value(value) {
                        h.malformed = true;
                    }
                    h.params
                        .push((key, String::from_utf8_lossy(value).into_owned()));
                    continue;
                }
                _ => continue,
            };
            if slot.is_some() || !valid_value(value) {
                h.malformed = true;
            }
            // Valid values are ASCII, so the lossy conversion changes nothing that is kept.
            *slot = Some(String::from_utf8_lossy(value).into_owned());
        }
        h
    }
}

/// Decodes a header value that may use the `=?base64?...?=` sentinel of 2026-07-28.
pub fn decode_header_value(v: &str) -> Option<String> {
    match v
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    {
        Some(b64) => {
            let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
            String::from_utf8(bytes).ok()
        }
        None => Some(v.to_owned()),
    }
}

/// Which era a request belongs to: `initialize` and sessions-era version headers (or a session
/// id without a version) are sessions-based; everything else is stateless.
pub fn era_of(headers: &McpHeaders, method: &str) -> Era {
    if method == "initialize" {
        return Era::Sessions;
    }
    match headers
        .protocol_version
        .as_deref()
        .map(ProtocolVersion::parse)
    {
        Some(Some(v)) => v.era(),
        None if headers.session_id.is_some() => Era::Sessions,
        _ => Era::Stateless,
    }
}

/// The body value `Mcp-Name` must mirror for `method`, if the method has one.
fn name_source(req: &Request) -> Option<Option<&str>> {
    match req.method.as_str() {
        "tools/call" | "prompts/get" => Some(req.param_str("name")),
        "resources/read" => Some(req.param_str("uri")),
        _ => None,
    }
}

/// Checks `Mcp-Method` and `Mcp-Name` against the body (required when `required`).
fn check_method_and_name(h: &McpHeaders, req: &Request, required: bool) -> Result<(), RpcError> {
    match h.method.as_deref() {
        None if required => return Err(RpcError::header_mismatch("missing Mcp-Method header")),
        Some(m) if m != req.method => {
            return Err(RpcError::header_mismatch(
                "Mcp-Method header does not match the body",
            ))
        }
        _ => {}
    }
    match (name_source(req), h.name.as_deref()) {
        (Some(_), None) if required => Err(RpcError::header_mismatch("missing Mcp-Name header")),
        (Some(body), Some(header)) => {
            let decoded = decode_header_value(header)
                .ok_or_else(|| RpcError::header_mismatch("malformed Mcp-Name header"))?;
            if Some(decoded.as_str()) == body {
                Ok(())
            } else {
                Err(RpcError::header_mismatch(
                    "Mcp-Name header does not match the body",
                ))
            }
        }
        // A name header on a method without a name backs nothing in the body.
        (None, Some(_)) => Err(RpcError::header_mismatch(
            "Mcp-Name header on a method without a name",
        )),
        _ => Ok(()),
    }
}

/// The `requested` member of -32022: the client's own value, only if it looks like a revision.
fn requested(v: &str) -> Value {
    let looks = v.len() == 10 && v.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    if looks {
        Value::from(v)
    } else {
        Value::Null
    }
}

/// Validates a stateless (2026-07-28) request's headers against its body; returns its revision.
pub fn check_stateless(h: &McpHeaders, req: &Request) -> Result<ProtocolVersion, RpcError> {
    if h.malformed {
        return Err(RpcError::header_mismatch(
            "malformed or repeated MCP header",
        ));
    }
    let header = h
        .protocol_version
        .as_deref()
        .ok_or_else(|| RpcError::header_mismatch("missing MCP-Protocol-Version header"))?;
    let version = ProtocolVersion::parse(header)
        .filter(|v| v.era() == Era::Stateless)
        .ok_or_else(|| {
            RpcError::new(
                ErrorCode::UnsupportedProtocolVersion,
                "unsupported protocol version",
                400,
            )
            .with_data(json!({
                "supported": supported_json(None),
                "requested": requested(header),
            }))
        })?;
    let meta_version = req
        .params
        .as_ref()
        .and_then(|p| p.get("_meta"))
        .and_then(|m| m.get(META_PROTOCOL_VERSION))
        .and_then(Value::as_str);
    if meta_version != Some(header) {
        return Err(RpcError::header_mismatch(
            "MCP-Protocol-Version header does not match _meta",
        ));
    }
    check_method_and_name(h, req, true)?;
    Ok(version)
}

/// Validates a sessions-era request's headers: `MCP-Protocol-Version` must be the negotiated
/// revision (a missing header would mean 2025-03-26, which is not served), and mirrored
/// headers, when a client sends them, must agree with the body.
pub fn check_sessions(
    h: &McpHeaders,
    req: &Request,
    negotiated: ProtocolVersion,
) -> Result<(), RpcError> {
    if h.malformed {
        return Err(RpcError::invalid_request(
            "malformed or repeated MCP header",
        ));
    }
    match h.protocol_version.as_deref() {
        None => Err(RpcError::invalid_request(
            "missing MCP-Protocol-Version header",
        )),
        Some(v) if v != negotiated.as_str() => Err(RpcError::invalid_request(
            "MCP-Protocol-Version does not match the session",
        )),
        Some(_) => check_method_and_name(h, req, false),
    }
}

/// Checks `Mcp-Param-*` headers against the arguments for the `x-mcp-header` annotations of a
/// tool's `inputSchema` (only properties reachable through `properties` chains count).
pub fn check_param_headers(
    h: &McpHeaders,
    input_schema: &Value,
    arguments: Option<&Value>,
) -> Result<(), RpcError> {
    let mut annotated = Vec::new();
    collect_annotations(input_schema, &mut Vec::new(), &mut annotated, 0);
    for (header, path) in annotated {
        let mut v = arguments;
        for key in &path {
            v = v.and_then(|a| a.get(key));
        }
        let want = match v {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
            Some(_) => {
                return Err(RpcError::header_mismatch(
                    "annotated argument is not a primitive",
                ))
            }
        };
        let got = h
            .params
            .iter()
            .find(|(k, _)| *k == header.to_ascii_lowercase())
            .map(|(_, v)| decode_header_value(v));
        let same = match (&want, got) {
            (None, None) => true,
            (Some(w), Some(Some(g))) => *w == g || numeric_equal(w, &g),
            _ => false,
        };
        if !same {
            return Err(RpcError::header_mismatch(
                "Mcp-Param header does not match the arguments",
            ));
        }
    }
    Ok(())
}

fn numeric_equal(a: &str, b: &str) -> bool {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => a.parse::<i64>().is_ok() && x == y,
        _ => false,
    }
}

/// Deep schemas are not followed; annotations below this depth are not honoured.
const MAX_SCHEMA_DEPTH: usize = 32;

fn collect_annotations(
    schema: &Value,
    path: &mut Vec<String>,
    out: &mut Vec<(String, Vec<String>)>,
    depth: usize,
) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (k, sub) in props {
        path.push(k.clone());
        if let Some(name) = sub.get("x-mcp-header").and_then(Value::as_str) {
            out.push((name.to_owned(), path.clone()));
        }
        collect_annotations(sub, path, out, depth + 1);
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonrpc::{parse_message, Message};

    fn req(body: Value) -> Request {
        match parse_message(body.to_string().as_bytes(), 1 << 20).unwrap() {
            Message::Request(r) => r,
            _ => panic!("not a request"),
        }
    }

    fn call(name: &str) -> Request {
        req(
            json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{
            "name": name, "arguments": {"region": "us-west1", "n": 42},
            "_meta": {META_PROTOCOL_VERSION: "2026-07-28"}}}),
        )
    }

    fn headers(pairs: &[(&str, &str)]) -> McpHeaders {
        McpHeaders::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_bytes())))
    }

    const OK: [(&str, &str); 3] = [
        ("MCP-Protocol-Version", "2026-07-28"),
        ("mcp-method", "tools/call"),
        ("Mcp-Name", "search"),
    ];

    #[test]
    fn header_body_mismatch_32020() {
        assert_eq!(
            check_stateless(&headers(&OK), &call("search")),
            Ok(ProtocolVersion::V2026_07_28)
        );
        // The balancer routes on `search`, the server would run `delete_all`.
        let e = check_stateless(&headers(&OK), &call("delete_all")).unwrap_err();
        assert_eq!((e.code.code(), e.http_status), (-32020, 400));
        let mut wrong_method = OK;
        wrong_method[1] = ("Mcp-Method", "tools/list");
        assert_eq!(
            check_stateless(&headers(&wrong_method), &call("search"))
                .unwrap_err()
                .code
                .code(),
            -32020
        );
        for (missing, skipped) in OK.iter().enumerate() {
            let pairs: Vec<_> = OK
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != missing)
                .map(|(_, p)| *p)
                .collect();
            let e = check_stateless(&headers(&pairs), &call("search")).unwrap_err();
            assert_eq!(e.code, ErrorCode::HeaderMismatch, "without {skipped:?}");
        }
        // A repeated header is not resolved by picking one.
        let mut twice = OK.to_vec();
        twice.push(("mcp-name", "delete_all"));
        assert_eq!(
            check_stateless(&headers(&twice), &call("search"))
                .unwrap_err()
                .code
                .code(),
            -32020
        );
    }

    #[test]
    fn meta_version_and_unsupported_version() {
        let mut r = call("search");
        r.params.as_mut().unwrap().remove("_meta");
        assert_eq!(
            check_stateless(&headers(&OK), &r).unwrap_err().code.code(),
            -32020
        );
        let mut old = OK;
        old[0] = ("MCP-Protocol-Version", "1900-01-01");
        let e = check_stateless(&headers(&old), &call("search")).unwrap_err();
        assert_eq!(e.code.code(), -32022);
        assert_eq!(e.data.as_ref().unwrap()["requested"], "1900-01-01");
        assert!(e.data.as_ref().unwrap()["supported"]
            .as_array()
            .unwrap()
            .contains(&json!("2026-07-28")));
        // A version that is not a revision string is not echoed back.
        old[0] = ("MCP-Protocol-Version", "<script>");
        let e = check_stateless(&headers(&old), &call("search")).unwrap_err();
        assert_eq!(e.data.unwrap()["requested"], Value::Null);
    }

    #[test]
    fn base64_sentinel_name_decoded_before_compare() {
        let name = "wetter_über";
        let enc = format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode(name)
        );
        let mut pairs = OK;
        pairs[2] = ("Mcp-Name", enc.as_str());
        assert!(check_stateless(&headers(&pairs), &call(name)).is_ok());
        pairs[2] = ("Mcp-Name", "=?base64?not base64?=");
        assert!(check_stateless(&headers(&pairs), &call(name)).is_err());
        // Non-ASCII raw bytes in a header value are malformed.
        let h = McpHeaders::from_pairs([("mcp-name", name.as_bytes())]);
        assert!(h.malformed);
    }

    #[test]
    fn name_header_on_nameless_method_refused() {
        let r = req(
            json!({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{META_PROTOCOL_VERSION:"2026-07-28"}}}),
        );
        let h = headers(&[
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/list"),
        ]);
        assert!(check_stateless(&h, &r).is_ok());
        let h = headers(&[
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/list"),
            ("Mcp-Name", "x"),
        ]);
        assert_eq!(check_stateless(&h, &r).unwrap_err().code.code(), -32020);
    }

    #[test]
    fn sessions_version_header_must_match_negotiated() {
        let r = call("search");
        let v = ProtocolVersion::V2025_11_25;
        assert!(check_sessions(&headers(&[("MCP-Protocol-Version", "2025-11-25")]), &r, v).is_ok());
        for h in [
            headers(&[]),
            headers(&[("MCP-Protocol-Version", "2025-06-18")]),
        ] {
            let e = check_sessions(&h, &r, v).unwrap_err();
            assert_eq!((e.code, e.http_status), (ErrorCode::InvalidRequest, 400));
        }
        // Mirrored headers sent anyway must still agree.
        let h = headers(&[
            ("MCP-Protocol-Version", "2025-11-25"),
            ("Mcp-Name", "other"),
        ]);
        assert!(check_sessions(&h, &r, v).is_err());
        assert_eq!(era_of(&headers(&[]), "initialize"), Era::Sessions);
        assert_eq!(
            era_of(&headers(&[("mcp-session-id", "x")]), "tools/list"),
            Era::Sessions
        );
        assert_eq!(era_of(&headers(&[]), "tools/list"), Era::Stateless);
    }

    #[test]
    fn param_header_mismatch_32020() {
        let schema = json!({"type":"object","properties":{
            "region":{"type":"string","x-mcp-header":"Region"},
            "n":{"type":"integer","x-mcp-header":"N"},
            "opt":{"type":"string","x-mcp-header":"Opt"}}});
        let args = json!({"region":"us-west1","n":42});
        let ok = headers(&[("Mcp-Param-Region", "us-west1"), ("mcp-param-n", "42")]);
        assert!(check_param_headers(&ok, &schema, Some(&args)).is_ok());
        let lie = headers(&[("Mcp-Param-Region", "eu-west1"), ("mcp-param-n", "42")]);
        assert_eq!(
            check_param_headers(&lie, &schema, Some(&args))
                .unwrap_err()
                .code
                .code(),
            -32020
        );
        let omitted = headers(&[("mcp-param-n", "42")]);
        assert!(check_param_headers(&omitted, &schema, Some(&args)).is_err());
        // A header for an argument that is absent from the body backs nothing.
        let extra = headers(&[
            ("Mcp-Param-Region", "us-west1"),
            ("mcp-param-n", "42"),
            ("mcp-param-opt", "x"),
        ]);
        assert!(check_param_headers(&extra, &schema, Some(&args)).is_err());
    }
}
