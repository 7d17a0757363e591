//! The MCP tool methods: `tools/list` fetched from the servers through the pins and filtered by
//! policy, and `tools/call` routed, its arguments inspected by the one walker and decided by
//! Cedar (`call_tool`), sent with the server's vault credential, and its result inspected
//! before it is relayed.

use super::audit::{AuditDraft, ResponseFacts};
use super::authorize::{permit, RequestFacts};
use super::mcp_call::{refused, result, Answer};
use super::{apply_redactions, Shared};
use crate::mcp::inspect::WalkInspector;
use crate::mcp::upstream::McpServerClient;
use palisade_core::{Finding, Identity, Inspection, LeafKind};
use palisade_mcp::catalog::Catalog;
use palisade_mcp::cedar_inputs::{arguments_digest, McpServerAttributes, ToolAttributes};
use palisade_mcp::federation::{Exposure, Federation, NAMESPACE_SEPARATOR};
use palisade_mcp::inspect::{definition_auto_approvable, ValueInspector};
use palisade_mcp::jsonrpc::{Request, RpcError};
use serde_json::{json, Value};

fn attributes(s: &McpServerClient) -> McpServerAttributes {
    McpServerAttributes {
        name: s.config.name.clone(),
        destination: s.config.destination,
        segment: s.config.segment.clone(),
    }
}

/// The servers a request addresses.
fn scope<'a>(shared: &'a Shared, server: Option<&str>) -> Vec<&'a McpServerClient> {
    match server {
        Some(n) => shared.mcp.server(n).into_iter().collect(),
        None => shared.mcp.servers.iter().collect(),
    }
}

fn exposure(server: Option<&str>) -> Exposure {
    if server.is_some() {
        Exposure::Single
    } else {
        Exposure::Federated
    }
}

/// Fetches the tool definitions of each server the identity may list (`list_tools`), under
/// that permission. A server that fails or refuses contributes nothing (fail closed).
async fn fetch_lists(
    shared: &Shared,
    identity: &Identity,
    servers: &[&McpServerClient],
) -> Vec<(String, Vec<Value>)> {
    let stages = &shared.stages;
    let mut lists = Vec::new();
    for s in servers {
        let resource = attributes(s).resource_ref();
        let Ok(proof) = permit(
            stages.authorizer.as_ref(),
            stages.clock.as_ref(),
            identity,
            "list_tools",
            &resource,
            RequestFacts::default(),
            (),
        ) else {
            continue;
        };
        match s.call(&proof, "tools/list", json!({})).await {
            Ok(r) => {
                let tools = r
                    .get("tools")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                lists.push((s.config.name.clone(), tools));
            }
            Err(_) => tracing::warn!(server = %s.config.name, "MCP server tools/list failed"),
        }
    }
    lists
}

/// The federation of `lists` seen through the pins; first sightings are auto-approved only
/// where the server allows it and the definition inspects clean.
fn catalog(shared: &Shared, lists: &[(String, Vec<Value>)], server: Option<&str>) -> Catalog {
    let walker = WalkInspector::new(shared.stages.inspector.clone());
    let federation = Federation::build(
        exposure(server),
        lists.iter().map(|(n, t)| (n.as_str(), &t[..])),
    );
    for r in federation.refused() {
        tracing::warn!(refusal = ?r, "MCP tool not exposed");
    }
    let c = Catalog::build(
        federation,
        shared.mcp.pins.as_ref(),
        shared.stages.clock.now_millis(),
        |e| {
            shared
                .mcp
                .server(&e.server)
                .is_some_and(|s| s.config.auto_approve)
                && definition_auto_approvable(&walker, &e.definition)
        },
    );
    for t in c.changed() {
        tracing::warn!(server = %t.entry.server, tool = %t.entry.name, "MCP tool definition changed since approval; hidden until re-approved");
    }
    c
}

pub(super) async fn list_tools(
    shared: &Shared,
    identity: &Identity,
    server: Option<&str>,
    req: &Request,
    draft: &mut AuditDraft,
) -> Result<Answer, RpcError> {
    draft.action = "list_tools";
    draft.resource = Some(server.unwrap_or("*").to_owned());
    let servers = scope(shared, server);
    let lists = fetch_lists(shared, identity, &servers).await;
    let catalog = catalog(shared, &lists, server);
    let stages = &shared.stages;
    // A tool no call could be permitted is not listed.
    let listed: Vec<Value> = catalog
        .listed()
        .into_iter()
        .filter(|t| {
            let Some(tool) = t
                .get("name")
                .and_then(Value::as_str)
                .and_then(|n| catalog.tool(n))
            else {
                return false;
            };
            let Some(s) = shared.mcp.server(&tool.entry.server) else {
                return false;
            };
            let attrs = ToolAttributes::of(tool, &attributes(s));
            permit(
                stages.authorizer.as_ref(),
                stages.clock.as_ref(),
                identity,
                "call_tool",
                &attrs.resource_ref(),
                RequestFacts::default(),
                (),
            )
            .is_ok()
        })
        .collect();
    let total: usize = lists.iter().map(|(_, t)| t.len()).sum();
    draft.detail = Some(format!("listed {} of {total} tools", listed.len()));
    Ok(result(&req.id, json!({ "tools": listed })))
}

/// The server a `tools/call` addresses, from its exposed name.
fn target<'a>(
    shared: &'a Shared,
    server: Option<&str>,
    req: &Request,
) -> Result<&'a McpServerClient, RpcError> {
    let name = req
        .param_str("name")
        .ok_or_else(|| RpcError::invalid_params("tools/call needs a string name"))?;
    let server = match server {
        Some(s) => s,
        None => name
            .split_once(NAMESPACE_SEPARATOR)
            .map(|(s, _)| s)
            .ok_or_else(|| RpcError::invalid_params("unknown tool"))?,
    };
    shared
        .mcp
        .server(server)
        .ok_or_else(|| RpcError::invalid_params("unknown tool"))
}

/// Inspects `value` in place: refuses blocked content, applies redactions.
fn inspect(
    walker: &WalkInspector,
    value: &mut Value,
    role: LeafKind,
    found: &mut Vec<Finding>,
    blocked: &'static str,
) -> Result<Inspection, RpcError> {
    let inspection = walker.inspect_value(value, role);
    found.extend(inspection.findings.iter().cloned());
    if inspection.block || apply_redactions(value, &inspection.redactions).is_err() {
        return Err(refused(blocked));
    }
    Ok(inspection)
}

pub(super) async fn call_tool(
    shared: &Shared,
    identity: &Identity,
    server: Option<&str>,
    req: Request,
    draft: &mut AuditDraft,
) -> Result<Answer, RpcError> {
    draft.action = "call_tool";
    draft.resource = req.param_str("name").map(|n| n.chars().take(128).collect());
    let stages = &shared.stages;
    let s = target(shared, server, &req)?;
    draft.upstream = Some(s.config.name.clone());
    draft.destination = Some(s.config.destination.as_str().to_owned());
    // The definitions are read fresh, so a rug pull since the last listing is caught here.
    let lists = fetch_lists(shared, identity, &[s]).await;
    if lists.is_empty() {
        return Err(refused("tool not available"));
    }
    let catalog = catalog(shared, &lists, server);
    let approved = catalog.admit_call(&req)?;
    let tool = catalog
        .tool(&approved.routed.entry.exposed)
        .ok_or_else(RpcError::internal)?;
    let attrs = ToolAttributes::of(tool, &attributes(s));
    let mut params = approved.routed.request.params.clone().unwrap_or_default();
    let walker = WalkInspector::new(stages.inspector.clone());
    let mut findings = Vec::new();
    let mut arguments = params.remove("arguments").unwrap_or(json!({}));
    let found = inspect(
        &walker,
        &mut arguments,
        LeafKind::ToolCallArguments,
        &mut findings,
        "arguments refused by inspection",
    );
    draft.findings = findings.clone();
    let inspection = found?;
    draft.detail = Some(format!(
        "definition sha256 {}; arguments sha256 {}",
        approved.definition_hash,
        arguments_digest(Some(&arguments))
    ));
    let facts = RequestFacts {
        data_classes: inspection.data_classes(),
        score: None,
        request_bytes: draft.bytes_in,
        streaming: false,
    };
    params.insert("arguments".into(), arguments);
    let proof = permit(
        stages.authorizer.as_ref(),
        stages.clock.as_ref(),
        identity,
        "call_tool",
        &attrs.resource_ref(),
        facts,
        (),
    )
    .map_err(|d| {
        draft.decision = Some(d);
        refused("refused by policy")
    })?;
    draft.decision = Some(proof.decision().clone());
    let mut out = s.call(&proof, "tools/call", Value::Object(params)).await?;
    let mut result_findings = Vec::new();
    let relayed = inspect(
        &walker,
        &mut out,
        LeafKind::ToolResult,
        &mut result_findings,
        "tool result withheld by inspection",
    );
    let answer = relayed.map(|_| result(&req.id, out));
    let body = answer
        .as_ref()
        .ok()
        .and_then(|a| a.body.as_ref())
        .map(|b| b.to_string())
        .unwrap_or_default();
    draft.response = Some(ResponseFacts::of(body.as_bytes(), result_findings));
    answer
}
