//! What Cedar decides an MCP call on, besides who asks: the tool or server as an entity with
//! attributes from its pinned definition and its config (destination, segment), and the call's
//! arguments as a bounded record of scalar leaves keyed by JSON Pointer, so a policy can say
//! "the recipient's domain must be ours" rather than only "this tool". This is policy input
//! only; inspection of the same arguments is the gateway's one string-leaf walker.
//!
//! Annotations are the server's claims (the spec calls them untrusted unless the server is):
//! absent hints take the spec's defaults, which are the cautious ones (destructive, open world).

use crate::canonical::{canonicalize, es_number};
use crate::catalog::PinnedTool;
use palisade_core::{DestinationClass, ResourceRef};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// One scalar argument as policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgValue {
    /// A string (possibly cut at [`ArgumentLimits::max_string`]; see `truncated`).
    String(String),
    /// An integer that fits Cedar's `Long`.
    Long(i64),
    /// A boolean.
    Bool(bool),
    /// Any other number, as its RFC 8785 text (Cedar has no floating point).
    Number(String),
    /// `null`.
    Null,
}

/// Bounds of the record (Cedar evaluation cost grows with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgumentLimits {
    /// Most leaves kept.
    pub max_leaves: usize,
    /// Deepest nesting followed.
    pub max_depth: usize,
    /// Longest string kept, in bytes (cut at a char boundary).
    pub max_string: usize,
}

impl Default for ArgumentLimits {
    fn default() -> Self {
        Self {
            max_leaves: 256,
            max_depth: 16,
            max_string: 4096,
        }
    }
}

/// The arguments of one call as scalar leaves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArgumentRecord {
    /// JSON Pointer (RFC 6901, relative to `arguments`) → value.
    pub leaves: BTreeMap<String, ArgValue>,
    /// Something was left out or cut: a policy that constrains arguments should refuse then,
    /// since it did not see everything it constrains.
    pub truncated: bool,
}

fn escape_token(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// Flattens `arguments` (a `tools/call` member) into scalar leaves.
pub fn argument_record(arguments: Option<&Value>, limits: ArgumentLimits) -> ArgumentRecord {
    let mut rec = ArgumentRecord::default();
    if let Some(v) = arguments {
        flatten(v, &mut String::new(), 0, limits, &mut rec);
    }
    rec
}

fn flatten(
    v: &Value,
    path: &mut String,
    depth: usize,
    lim: ArgumentLimits,
    rec: &mut ArgumentRecord,
) {
    let scalar = match v {
        Value::Object(m) => {
            if depth >= lim.max_depth {
                rec.truncated |= !m.is_empty();
                return;
            }
            for (k, x) in m {
                let len = path.len();
                path.push('/');
                path.push_str(&escape_token(k));
                flatten(x, path, depth + 1, lim, rec);
                path.truncate(len);
            }
            return;
        }
        Value::Array(a) => {
            if depth >= lim.max_depth {
                rec.truncated |= !a.is_empty();
                return;
            }
            for (i, x) in a.iter().enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                flatten(x, path, depth + 1, lim, rec);
                path.truncate(len);
            }
            return;
        }
        Value::Null => ArgValue::Null,
        Value::Bool(b) => ArgValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => ArgValue::Long(i),
            None => ArgValue::Number(es_number(n.as_f64().unwrap_or(0.0))),
        },
        Value::String(s) => {
            let mut end = s.len().min(lim.max_string);
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            rec.truncated |= end < s.len();
            ArgValue::String(s[..end].to_owned())
        }
    };
    if rec.leaves.len() >= lim.max_leaves {
        rec.truncated = true;
        return;
    }
    rec.leaves.insert(path.clone(), scalar);
}

/// SHA-256 (hex) of the arguments' RFC 8785 form: the audit digest, and the key that matches a
/// call to the model's tool call with the same canonical arguments.
pub fn arguments_digest(arguments: Option<&Value>) -> String {
    let canonical = canonicalize(arguments.unwrap_or(&Value::Object(Default::default())));
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// An MCP server as a policy resource (`list_tools`, `read_resource`, `get_prompt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpServerAttributes {
    /// Its configured name.
    pub name: String,
    /// Where it sits (configured).
    pub destination: DestinationClass,
    /// The segment that owns it (configured).
    pub segment: String,
}

impl McpServerAttributes {
    /// The server as the core's resource reference.
    pub fn resource_ref(&self) -> ResourceRef {
        ResourceRef {
            name: self.name.clone(),
            upstream: self.name.clone(),
            segment: self.segment.clone(),
            destination: self.destination,
        }
    }
}

/// A tool as a policy resource (`call_tool`), attributes from its pinned definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolAttributes {
    /// The exposed (namespaced) name.
    pub name: String,
    /// The server's own name for it.
    pub server_tool: String,
    /// The server.
    pub server: McpServerAttributes,
    /// `annotations.readOnlyHint` (default false).
    pub read_only: bool,
    /// `annotations.destructiveHint` (default true; meaningful when not read-only).
    pub destructive: bool,
    /// `annotations.idempotentHint` (default false).
    pub idempotent: bool,
    /// `annotations.openWorldHint` (default true).
    pub open_world: bool,
    /// Hex SHA-256 of the pinned definition.
    pub definition_sha256: String,
}

impl ToolAttributes {
    /// Attributes of `tool` on `server`.
    pub fn of(tool: &PinnedTool, server: &McpServerAttributes) -> Self {
        let ann = tool.entry.definition.get("annotations");
        let hint = |k: &str, default: bool| {
            ann.and_then(|a| a.get(k))
                .and_then(Value::as_bool)
                .unwrap_or(default)
        };
        let read_only = hint("readOnlyHint", false);
        Self {
            name: tool.entry.exposed.clone(),
            server_tool: tool.entry.name.clone(),
            server: server.clone(),
            read_only,
            // The spec ignores destructiveHint for read-only tools.
            destructive: !read_only && hint("destructiveHint", true),
            idempotent: hint("idempotentHint", false),
            open_world: hint("openWorldHint", true),
            definition_sha256: tool.pin.hash.to_string(),
        }
    }

    /// The tool as the core's resource reference (what `Authorizer::authorize` takes today).
    pub fn resource_ref(&self) -> ResourceRef {
        ResourceRef {
            name: self.name.clone(),
            upstream: self.server.name.clone(),
            segment: self.server.segment.clone(),
            destination: self.server.destination,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::ToolEntry;
    use crate::pin::PinnedDefinition;
    use serde_json::json;

    #[test]
    fn argument_leaf_record() {
        let args = json!({
            "to": "cfo@partner.example",
            "cc": ["a@lab.example", "b@evil.example"],
            "attach": {"name": "roadmap.md", "size": 1234, "public": false, "ratio": 0.5},
            "a/b~c": null
        });
        let r = argument_record(Some(&args), ArgumentLimits::default());
        assert!(!r.truncated);
        let want: BTreeMap<String, ArgValue> = [
            ("/to", ArgValue::String("cfo@partner.example".into())),
            ("/cc/0", ArgValue::String("a@lab.example".into())),
            ("/cc/1", ArgValue::String("b@evil.example".into())),
            ("/attach/name", ArgValue::String("roadmap.md".into())),
            ("/attach/size", ArgValue::Long(1234)),
            ("/attach/public", ArgValue::Bool(false)),
            ("/attach/ratio", ArgValue::Number("0.5".into())),
            ("/a~1b~0c", ArgValue::Null),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        assert_eq!(r.leaves, want);
    }

    #[test]
    fn argument_record_bounded_and_says_so() {
        // A recipient hidden past the leaf budget must not look like a complete record.
        let many: Vec<Value> = (0..300).map(|i| json!(format!("r{i}@x.example"))).collect();
        let r = argument_record(Some(&json!({ "to": many })), ArgumentLimits::default());
        assert_eq!(r.leaves.len(), 256);
        assert!(r.truncated);
        let deep = json!({"a": {"b": {"c": "x"}}});
        let lim = ArgumentLimits {
            max_depth: 2,
            ..Default::default()
        };
        let r = argument_record(Some(&deep), lim);
        assert!(r.leaves.is_empty() && r.truncated);
        let lim = ArgumentLimits {
            max_string: 4,
            ..Default::default()
        };
        let r = argument_record(Some(&json!({"s": "ééé"})), lim);
        assert_eq!(r.leaves["/s"], ArgValue::String("éé".into()));
        assert!(r.truncated);
    }

    #[test]
    fn digest_is_canonical() {
        let a = json!({"b": 1, "a": [true, "x"]});
        let b: Value = serde_json::from_str(r#"{ "a":[true,"\u0078"], "b":1.0 }"#).unwrap();
        assert_eq!(arguments_digest(Some(&a)), arguments_digest(Some(&b)));
        assert_ne!(arguments_digest(Some(&a)), arguments_digest(None));
    }

    #[test]
    fn tool_attributes_from_pinned_definition_with_cautious_defaults() {
        let server = McpServerAttributes {
            name: "mail".into(),
            destination: DestinationClass::External,
            segment: "research".into(),
        };
        let mk = |def: Value| {
            let pin = PinnedDefinition::of(&def);
            PinnedTool {
                entry: ToolEntry {
                    server: "mail".into(),
                    name: "send".into(),
                    exposed: "mail__send".into(),
                    definition: def,
                },
                pin,
                verdict: None,
            }
        };
        let bare = ToolAttributes::of(&mk(json!({"name": "send"})), &server);
        assert!(bare.destructive && bare.open_world && !bare.read_only && !bare.idempotent);
        let ro = ToolAttributes::of(
            &mk(
                json!({"name": "send", "annotations": {"readOnlyHint": true, "destructiveHint": true}}),
            ),
            &server,
        );
        assert!(ro.read_only && !ro.destructive);
        assert_eq!(ro.definition_sha256.len(), 64);
        let r = ro.resource_ref();
        assert_eq!(
            (r.name.as_str(), r.upstream.as_str(), r.segment.as_str()),
            ("mail__send", "mail", "research")
        );
        assert_eq!(r.destination, DestinationClass::External);
    }
}
