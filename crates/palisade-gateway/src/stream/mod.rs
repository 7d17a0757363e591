//! Response streaming: server-sent-event framing, and the filter that runs streamed text
//! through the inspector's `StreamScanner`s (stage 9) and re-emits what they release.

mod events;
mod filter;
mod sse;

pub(crate) use filter::SseFilter;
