//! Response streaming: server-sent-event framing (WHATWG), the filter that inspects every
//! string of every streamed event before it leaves (stage 9), the exact-path walker over
//! response values, and the scrubbing of provider keys from everything relayed.

mod events;
mod filter;
pub mod fuzzing;
mod leaves;
mod scrub;
mod sse;

pub(crate) use filter::SseFilter;
pub(crate) use leaves::{response_envelope, string_leaves, strip_logprobs};
pub(crate) use scrub::KeyScrubber;
