//! JSON-RPC 2.0 as MCP speaks it: strict message parsing and the error answers.

mod error;
mod message;

pub use error::{ErrorCode, RpcError};
pub use message::{
    message_from_value, parse_message, Message, Notification, ParseFailure, Request, RequestId,
    Response,
};
