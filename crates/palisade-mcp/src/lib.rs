//! The MCP protocol core of Palisade, free of HTTP: strict JSON-RPC 2.0 messages, the session
//! layer of the sessions-based revisions (2025-06-18, 2025-11-25) and the header checks of the
//! stateless one (2026-07-28), federation of many servers behind one endpoint, pinned tool
//! definitions (RFC 8785 canonical JSON, SHA-256), the inputs Cedar decides on, and the taint
//! a session carries. The gateway crate wires these into its request path (DESIGN.md §2) and
//! implements [`inspect::ValueInspector`] with its one string-leaf walker.

pub mod canonical;
pub mod catalog;
pub mod cedar_inputs;
pub mod federation;
pub mod headers;
pub mod inspect;
pub mod jsonrpc;
pub mod lifecycle;
pub mod pin;
pub mod session;
pub mod strict_json;
pub mod taint;
pub mod version;
