//! The gateway's [`ValueInspector`]: MCP values (arguments, tool results, definitions) go
//! through the one request walker (`protocol/walk.rs`) and the configured content inspector,
//! exactly as model bodies do, so MCP adds no second way to find text.

use crate::pipeline::signal_finding;
use crate::protocol::walk::{walk, Envelope, Seg};
use palisade_core::{ApiKind, Exchange, Inspection, Inspector, LeafKind};
use palisade_mcp::inspect::ValueInspector;
use serde_json::Value;
use std::sync::Arc;

fn arguments(_: &Value, _: &[Seg<'_>]) -> LeafKind {
    LeafKind::ToolCallArguments
}
fn result(_: &Value, _: &[Seg<'_>]) -> LeafKind {
    LeafKind::ToolResult
}
fn definition(_: &Value, _: &[Seg<'_>]) -> LeafKind {
    LeafKind::ToolDefinition
}

/// Arguments have no protocol structure of their own: every leaf is the caller's data.
static ARGUMENTS: Envelope = Envelope::new(&[], &[], &[], arguments);
/// A `CallToolResult`: content part types and media types are structure; image, audio and
/// blob data are embedded payloads (decoded when text, an opaque attachment otherwise).
static RESULT: Envelope = Envelope::new(
    &[
        "/content/*/type",
        "/content/*/mimeType",
        "/content/*/resource/mimeType",
    ],
    &[
        ("/content/*/data", None),
        ("/content/*/resource/blob", None),
    ],
    &[],
    result,
);
/// A tool definition: all of it reaches the model, so all of it is text.
static DEFINITION: Envelope = Envelope::new(&[], &[], &[], definition);

/// The walker plus the configured content inspector (`None`: only the walker's signals).
#[derive(Clone)]
pub(crate) struct WalkInspector {
    inspector: Option<Arc<dyn Inspector>>,
}

impl WalkInspector {
    pub(crate) fn new(inspector: Option<Arc<dyn Inspector>>) -> Self {
        Self { inspector }
    }
}

impl ValueInspector for WalkInspector {
    fn inspect_value(&self, value: &Value, role: LeafKind) -> Inspection {
        let env = match role {
            LeafKind::ToolResult => &RESULT,
            LeafKind::ToolDefinition => &DEFINITION,
            _ => &ARGUMENTS,
        };
        let walked = walk(value, env);
        let exchange = Exchange {
            api: ApiKind::Mcp,
            model: String::new(),
            stream: false,
            leaves: walked.leaves,
            tools: Vec::new(),
        };
        let mut inspection = match &self.inspector {
            Some(i) => i.inspect(&exchange),
            None => Inspection::default(),
        };
        inspection
            .findings
            .extend(walked.signals.iter().map(signal_finding));
        // A decoded payload or an object key cannot be redacted in place: block instead of
        // relaying the original.
        if inspection
            .redactions
            .iter()
            .any(|r| walked.derived.contains(&r.path))
        {
            inspection.block = true;
        }
        inspection
    }
}
