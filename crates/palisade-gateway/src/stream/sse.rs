//! Incremental SSE framing: bytes in, complete events (`event:` name and joined `data:`) out.
//! Events are split on a blank line (`\n\n` or `\r\n\r\n`) as the HTML spec defines.

/// One complete event as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field, if any.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The raw bytes of the event including its terminating blank line (re-emitted unchanged
    /// when nothing in it needs rewriting).
    pub raw: Vec<u8>,
}

/// Accumulates bytes and yields complete events.
#[derive(Debug, Default)]
pub(crate) struct SseFramer {
    buf: Vec<u8>,
}

impl SseFramer {
    /// Adds bytes; returns the events completed by them.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some((end, sep)) = find_boundary(&self.buf) {
            let raw: Vec<u8> = self.buf.drain(..end + sep).collect();
            out.push(parse(raw));
        }
        out
    }

    /// End of input: whatever is left, as a final event if non-empty.
    pub(crate) fn finish(&mut self) -> Option<SseEvent> {
        if self.buf.iter().all(|b| b.is_ascii_whitespace()) {
            return None;
        }
        let mut raw = std::mem::take(&mut self.buf);
        raw.extend_from_slice(b"\n\n");
        Some(parse(raw))
    }
}

fn find_boundary(buf: &[u8]) -> Option<(usize, usize)> {
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2));
    let crlf = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| (p, 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

fn parse(raw: Vec<u8>) -> SseEvent {
    let text = String::from_utf8_lossy(&raw);
    let mut event = None;
    let mut data: Vec<&str> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(v) = line.strip_prefix("event:") {
            event = Some(v.trim_start().to_owned());
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push(v.strip_prefix(' ').unwrap_or(v));
        }
    }
    let data = data.join("\n");
    SseEvent { event, data, raw }
}

/// Serializes an event.
pub(crate) fn render(event: Option<&str>, data: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 32);
    if let Some(e) = event {
        out.extend_from_slice(format!("event: {e}\n").as_bytes());
    }
    for line in data.split('\n') {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_across_chunk_boundaries() {
        let mut f = SseFramer::default();
        assert!(f.push(b"event: message_start\ndata: {\"a\"").is_empty());
        let evs = f.push(b":1}\n\ndata: [DONE]\r\n\r\ndata: x");
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].event.as_deref(), Some("message_start"));
        assert_eq!(evs[0].data, "{\"a\":1}");
        assert_eq!(evs[1].data, "[DONE]");
        assert_eq!(f.finish().unwrap().data, "x");
        assert_eq!(render(Some("e"), "a\nb"), b"event: e\ndata: a\ndata: b\n\n");
    }
}
