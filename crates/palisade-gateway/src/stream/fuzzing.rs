//! Entry points into the response stream machinery for the fuzz targets (`fuzz/`) and their
//! stable corpus replay: the SSE framer and the stream filter stay crate-private, so these are
//! the smallest public doors onto them, with the fuzzers' oracles built in.

use super::scrub::KeyScrubber;
use super::sse::SseFramer;
use super::SseFilter;
use palisade_core::ApiKind;

/// A provider key the filter must never relay, planted so that scrubbing is exercised.
const PLANTED_KEY: &str = "sk-fuzz-PLANTED-KEY-0000000000000000";

/// Splits `data` at the cut points its first bytes choose (so one input explores one body
/// under one chunking): byte 0 picks the API, byte 1 how many cuts, the next bytes where.
fn body_and_cuts(data: &[u8]) -> Option<(ApiKind, &[u8], Vec<usize>)> {
    let (&api, rest) = data.split_first()?;
    let (&n, rest) = rest.split_first()?;
    let n = usize::from(n % 16).min(rest.len());
    let (cut_bytes, body) = rest.split_at(n);
    let api = match api % 3 {
        0 => ApiKind::OpenAiChat,
        1 => ApiKind::OpenAiResponses,
        _ => ApiKind::AnthropicMessages,
    };
    let mut cuts: Vec<usize> = cut_bytes
        .iter()
        .map(|&c| {
            if body.is_empty() {
                0
            } else {
                usize::from(c) * body.len() / 256
            }
        })
        .collect();
    cuts.sort_unstable();
    Some((api, body, cuts))
}

fn chunks<'a>(body: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut at = 0;
    for &c in cuts {
        out.push(&body[at..c]);
        at = c;
    }
    out.push(&body[at..]);
    out
}

/// The WHATWG framer: never panics, and framing the chunks yields the same events, and the
/// same refusal after them, as framing the whole body.
pub fn sse_framer(data: &[u8]) {
    let Some((_, body, cuts)) = body_and_cuts(data) else {
        return;
    };
    let frame = |parts: &[&[u8]]| {
        let mut f = SseFramer::default();
        let mut events = Vec::new();
        let mut failed = false;
        for p in parts {
            if f.push_into(p, &mut events).is_err() {
                failed = true;
                break;
            }
        }
        f.finish();
        let events: Vec<_> = events.into_iter().map(|e| (e.event, e.data)).collect();
        (events, failed)
    };
    let whole = frame(&[body]);
    let parts = chunks(body, &cuts);
    assert_eq!(frame(&parts), whole, "framing depends on chunk boundaries");
}

/// The stream filter without a content inspector (framing, event rules, log-probability
/// stripping, key scrubbing): its output for any chunking equals its output for the whole
/// body, and the planted provider key never leaves.
pub fn stream_filter(data: &[u8]) {
    let Some((api, body, cuts)) = body_and_cuts(data) else {
        return;
    };
    let run = |parts: &[&[u8]]| {
        let keys = KeyScrubber::new([PLANTED_KEY.to_owned()]);
        let mut f = SseFilter::new(api, None, keys).expect("a streaming API");
        let mut out = Vec::new();
        for p in parts {
            out.extend(f.push(p));
        }
        out.extend(f.finish());
        out
    };
    let whole = run(&[body]);
    let chunked = run(&chunks(body, &cuts));
    assert_eq!(
        String::from_utf8_lossy(&chunked),
        String::from_utf8_lossy(&whole),
        "filter output depends on chunk boundaries"
    );
    assert!(
        !whole
            .windows(PLANTED_KEY.len())
            .any(|w| w == PLANTED_KEY.as_bytes()),
        "the planted provider key was relayed"
    );
}
