//! One endpoint, many servers: every server's tools are exposed as `{server}__{tool}` (the
//! double underscore keeps the name inside the tool-name alphabet of MCP 2025-11-25 —
//! `A-Z a-z 0-9 _ - .`, at most 128 characters — and server names may not contain `_`, so a
//! split is never ambiguous). Names that collide, even only by letter case, are refused on
//! both sides: a shadowing tool must not win by arriving first or last. A `tools/call` is
//! routed to its server with the prefix stripped; an unknown name is -32602 as the spec says.

use crate::jsonrpc::{Request, RpcError};
use serde_json::Value;
use std::collections::HashMap;

/// Between server and tool in an exposed name.
pub const NAMESPACE_SEPARATOR: &str = "__";
/// Longest tool name (MCP 2025-11-25 tool-name guidance).
pub const MAX_TOOL_NAME: usize = 128;
/// Longest server name.
pub const MAX_SERVER_NAME: usize = 32;

/// A server name as the config may give it: lowercase letters, digits and `-`.
pub fn valid_server_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SERVER_NAME
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A tool name within the spec's alphabet and length.
pub fn valid_tool_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_TOOL_NAME
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

/// How names are exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// `POST /mcp`: every server, names prefixed.
    Federated,
    /// `POST /mcp/{server}`: one server, its own names.
    Single,
}

/// Why a tool is not exposed (recorded for the operator and the audit log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The server name is not valid.
    #[error("server name `{0}` is not valid")]
    ServerName(String),
    /// The definition has no valid `name`.
    #[error("server `{server}` lists a tool without a valid name")]
    ToolName {
        /// The server.
        server: String,
    },
    /// Two tools would be exposed under names equal up to letter case.
    #[error("tool name `{exposed}` collides with another tool (servers `{first}` and `{second}`)")]
    Collision {
        /// The exposed name (of the later one).
        exposed: String,
        /// Server of the earlier tool.
        first: String,
        /// Server of the later tool.
        second: String,
    },
}

/// One exposed tool.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolEntry {
    /// The server it belongs to.
    pub server: String,
    /// Its name on that server.
    pub name: String,
    /// The name the caller sees.
    pub exposed: String,
    /// The definition as the server sent it.
    pub definition: Value,
}

impl ToolEntry {
    /// The definition as listed to the caller: the server's, under the exposed name.
    pub fn listed(&self) -> Value {
        let mut d = self.definition.clone();
        if let Some(o) = d.as_object_mut() {
            o.insert("name".into(), Value::String(self.exposed.clone()));
        }
        d
    }
}

/// The tools of the servers an identity may see, indexed by exposed name.
#[derive(Debug, Clone, Default)]
pub struct Federation {
    entries: Vec<ToolEntry>,
    by_name: HashMap<String, usize>,
    refused: Vec<Refusal>,
}

/// A `tools/call` routed to its server.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutedCall<'a> {
    /// The tool it addresses.
    pub entry: &'a ToolEntry,
    /// The request to forward: `params.name` is the server's own name.
    pub request: Request,
}

impl Federation {
    /// Builds the index from each server's `tools/list` definitions.
    pub fn build<'a>(
        exposure: Exposure,
        lists: impl IntoIterator<Item = (&'a str, &'a [Value])>,
    ) -> Self {
        let mut f = Self::default();
        let mut folded: HashMap<String, Option<usize>> = HashMap::new();
        let lists: Vec<_> = lists.into_iter().collect();
        if exposure == Exposure::Single && lists.len() > 1 {
            // One endpoint per server: a second server here is a wiring error, refuse all.
            for (server, _) in lists {
                f.refused.push(Refusal::ServerName(server.to_owned()));
            }
            return f;
        }
        for (server, tools) in lists {
            if !valid_server_name(server) {
                f.refused.push(Refusal::ServerName(server.to_owned()));
                continue;
            }
            for def in tools {
                let Some(name) = def
                    .get("name")
                    .and_then(Value::as_str)
                    .filter(|n| valid_tool_name(n))
                else {
                    f.refused.push(Refusal::ToolName {
                        server: server.to_owned(),
                    });
                    continue;
                };
                let exposed = match exposure {
                    Exposure::Federated => format!("{server}{NAMESPACE_SEPARATOR}{name}"),
                    Exposure::Single => name.to_owned(),
                };
                if exposed.len() > MAX_TOOL_NAME {
                    f.refused.push(Refusal::ToolName {
                        server: server.to_owned(),
                    });
                    continue;
                }
                let key = exposed.to_ascii_lowercase();
                match folded.get(&key) {
                    None => {
                        folded.insert(key, Some(f.entries.len()));
                        f.entries.push(ToolEntry {
                            server: server.to_owned(),
                            name: name.to_owned(),
                            exposed,
                            definition: def.clone(),
                        });
                    }
                    Some(prev) => {
                        let first = prev
                            .map(|i| f.entries[i].server.clone())
                            .unwrap_or_else(|| server.to_owned());
                        f.refused.push(Refusal::Collision {
                            exposed,
                            first,
                            second: server.to_owned(),
                        });
                        // The earlier tool goes too, and any third one with the same name.
                        folded.insert(key, None);
                    }
                }
            }
        }
        let keep: Vec<bool> = {
            let live: std::collections::HashSet<usize> =
                folded.values().filter_map(|i| *i).collect();
            (0..f.entries.len()).map(|i| live.contains(&i)).collect()
        };
        let mut i = 0;
        f.entries.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        f.by_name = f
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.exposed.clone(), i))
            .collect();
        f
    }

    /// The exposed tools, in server order.
    pub fn entries(&self) -> &[ToolEntry] {
        &self.entries
    }

    /// What was not exposed, and why.
    pub fn refused(&self) -> &[Refusal] {
        &self.refused
    }

    /// The tool exposed under `name` (exact, case-sensitive).
    pub fn get(&self, name: &str) -> Option<&ToolEntry> {
        self.by_name.get(name).map(|i| &self.entries[*i])
    }

    /// Routes a `tools/call`: finds the tool and rewrites `params.name` to the server's name.
    pub fn route_call(&self, req: &Request) -> Result<RoutedCall<'_>, RpcError> {
        let name = req
            .param_str("name")
            .ok_or_else(|| RpcError::invalid_params("tools/call needs a string name"))?;
        let entry = self
            .get(name)
            .ok_or_else(|| RpcError::invalid_params("unknown tool"))?;
        let mut request = req.clone();
        if let Some(p) = request.params.as_mut() {
            p.insert("name".into(), Value::String(entry.name.clone()));
        }
        Ok(RoutedCall { entry, request })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonrpc::{ErrorCode, RequestId};
    use serde_json::json;

    fn tool(name: &str) -> Value {
        json!({"name": name, "description": "d", "inputSchema": {"type": "object"}})
    }

    fn call(name: &str) -> Request {
        Request {
            id: RequestId::Number(1),
            method: "tools/call".into(),
            params: json!({"name": name, "arguments": {"q": "x"}})
                .as_object()
                .cloned(),
        }
    }

    #[test]
    fn tool_name_collision_refused() {
        // A second server (or the same one) offering a look-alike must not shadow the first.
        let docs = [tool("search"), tool("Search")];
        let mail = [tool("send")];
        let f = Federation::build(
            Exposure::Federated,
            [("docs", &docs[..]), ("mail", &mail[..])],
        );
        assert!(f.get("docs__search").is_none() && f.get("docs__Search").is_none());
        assert!(matches!(
            f.refused(),
            [Refusal::Collision { first, second, .. }] if first == "docs" && second == "docs"
        ));
        assert_eq!(f.entries().len(), 1);
        let e = f.route_call(&call("docs__search")).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidParams);
        // In single-server exposure, duplicate names are refused the same way.
        let dup = [tool("read"), tool("read"), tool("read")];
        let f = Federation::build(Exposure::Single, [("docs", &dup[..])]);
        assert!(f.entries().is_empty());
        assert_eq!(f.refused().len(), 2);
    }

    #[test]
    fn ambiguous_server_names_and_bad_tool_names_refused() {
        // `a__b` + `c` and `a` + `b__c` would both expose `a__b__c`.
        let t = [tool("b__c")];
        let u = [tool("c")];
        let f = Federation::build(Exposure::Federated, [("a", &t[..]), ("a__b", &u[..])]);
        assert_eq!(f.entries().len(), 1);
        assert_eq!(f.refused(), &[Refusal::ServerName("a__b".into())]);
        let bad = [
            tool("has space"),
            json!({"description": "no name"}),
            tool(&"x".repeat(126)),
        ];
        let f = Federation::build(Exposure::Federated, [("s", &bad[..])]);
        assert!(f.entries().is_empty());
        assert_eq!(f.refused().len(), 3);
    }

    #[test]
    fn call_routed_to_its_server_with_prefix_stripped() {
        let docs = [tool("read")];
        let mail = [tool("read")];
        let f = Federation::build(
            Exposure::Federated,
            [("docs", &docs[..]), ("mail", &mail[..])],
        );
        let r = f.route_call(&call("mail__read")).unwrap();
        assert_eq!(r.entry.server, "mail");
        assert_eq!(r.request.param_str("name"), Some("read"));
        assert_eq!(
            r.request.params.as_ref().unwrap()["arguments"],
            json!({"q": "x"})
        );
        assert_eq!(f.get("docs__read").unwrap().listed()["name"], "docs__read");
        // The bare server name is not a way around the prefix, nor is case.
        assert!(f.route_call(&call("read")).is_err());
        assert!(f.route_call(&call("MAIL__read")).is_err());
    }
}
