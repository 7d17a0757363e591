//! The provider-neutral `Exchange`: one request (or response) of any supported API reduced to
//! what inspection, behaviour and policy need — the model or tool asked for, whether it
//! streams, and every text leaf with the JSON path it came from.

use serde::{Deserialize, Serialize};

/// Which wire API an exchange arrived on; errors are answered in the same format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiKind {
    /// OpenAI `POST /v1/chat/completions`.
    OpenAiChat,
    /// OpenAI `POST /v1/responses`.
    OpenAiResponses,
    /// OpenAI `POST /v1/embeddings`.
    OpenAiEmbeddings,
    /// OpenAI `GET /v1/models`.
    OpenAiModels,
    /// Anthropic `POST /v1/messages`.
    AnthropicMessages,
    /// MCP JSON-RPC.
    Mcp,
}

impl ApiKind {
    /// Whether errors for this API are rendered in Anthropic's format.
    pub fn is_anthropic(self) -> bool {
        matches!(self, ApiKind::AnthropicMessages)
    }
}

/// What role a piece of text plays in the exchange. Inspection weighs some roles differently
/// (for example injection indicators only matter in tool results and retrieved content).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeafKind {
    /// System or developer instructions.
    System,
    /// A user message (or embedding input).
    User,
    /// An assistant message (history in requests, or the response itself).
    Assistant,
    /// A tool's definition: name, description, JSON schema text.
    ToolDefinition,
    /// Arguments of a tool call the model made.
    ToolCallArguments,
    /// The result a tool returned.
    ToolResult,
    /// Any other string field (metadata, names).
    Other,
}

/// One string of the exchange and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextLeaf {
    /// JSON Pointer (RFC 6901) of the string in the original body, e.g. `/messages/2/content/0/text`.
    pub path: String,
    /// The role the text plays.
    pub kind: LeafKind,
    /// The text with JSON escapes undone (as serde_json decodes it).
    pub text: String,
}

impl TextLeaf {
    /// Builds a leaf.
    pub fn new(path: impl Into<String>, kind: LeafKind, text: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            kind,
            text: text.into(),
        }
    }
}

/// A request or response reduced to its provider-neutral content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// The API it arrived on.
    pub api: ApiKind,
    /// The model name the caller asked for (before any rename), or the MCP tool name.
    pub model: String,
    /// Whether the caller asked for a streamed response.
    pub stream: bool,
    /// Every text leaf, in document order.
    pub leaves: Vec<TextLeaf>,
    /// Names of tools defined or called in the exchange.
    pub tools: Vec<String>,
}

impl Exchange {
    /// Total bytes of text across all leaves (a cheap size feature for behaviour and policy).
    pub fn text_bytes(&self) -> usize {
        self.leaves.iter().map(|l| l.text.len()).sum()
    }
}
