//! Incremental `text/event-stream` parsing exactly as the WHATWG HTML standard defines it
//! (§9.2.6 "Interpreting an event stream"): lines end in CRLF, LF or CR (a CR at the end of one
//! chunk and an LF at the start of the next are one line end), a leading BOM is dropped, `:`
//! lines are comments, a field's value loses one leading space, `data` lines are joined with LF,
//! and a blank line dispatches the event (none when the data buffer is empty). The buffer is
//! bounded and bytes that are not UTF-8 are an error: the relay fails closed on both. The
//! filter re-renders every event it relays (`render`), so nothing upstream-framed passes raw.

/// The largest event (its lines and joined data) accepted; a larger one fails the stream.
pub(crate) const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field, if one was set (`None` means the default type `message`).
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// Why the byte stream is not an event stream the gateway may relay.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SseError {
    /// One event grew past `MAX_EVENT_BYTES`.
    #[error("an event exceeds {MAX_EVENT_BYTES} bytes")]
    TooLarge,
    /// A line is not valid UTF-8.
    #[error("an event line is not UTF-8")]
    NotUtf8,
}

/// Accumulates bytes and yields dispatched events.
#[derive(Debug, Default)]
pub(crate) struct SseFramer {
    /// The current, unterminated line.
    line: Vec<u8>,
    /// The previous byte was a CR: an LF now completes the same line end.
    after_cr: bool,
    /// The first line was seen (the BOM is only dropped there).
    started: bool,
    event: Option<String>,
    data: String,
    /// Bytes taken by the event being built (lines included), for the bound.
    size: usize,
}

impl SseFramer {
    /// Adds bytes; returns the events they complete, or the error that ends the stream.
    #[cfg(test)]
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        let mut out = Vec::new();
        self.push_into(bytes, &mut out)?;
        Ok(out)
    }

    /// Adds bytes, appending the events they complete to `out`. On an error, `out` keeps the
    /// events completed before it: what a stream yields before its first bad byte must not
    /// depend on how the bytes were chunked (the filter relays those, inspected, then cuts).
    pub(crate) fn push_into(
        &mut self,
        bytes: &[u8],
        out: &mut Vec<SseEvent>,
    ) -> Result<(), SseError> {
        for &b in bytes {
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(out)?;
                }
                b'\n' => self.end_line(out)?,
                _ => {
                    self.size += 1;
                    if self.size > MAX_EVENT_BYTES {
                        return Err(SseError::TooLarge);
                    }
                    self.line.push(b);
                }
            }
        }
        Ok(())
    }

    /// End of input. An event without its terminating blank line is discarded, as the
    /// standard says (a conforming client would never see it either).
    pub(crate) fn finish(&mut self) {
        self.line.clear();
        self.event = None;
        self.data.clear();
        self.size = 0;
    }

    fn end_line(&mut self, out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        let raw = std::mem::take(&mut self.line);
        let mut line = String::from_utf8(raw).map_err(|_| SseError::NotUtf8)?;
        if !self.started {
            self.started = true;
            if let Some(rest) = line.strip_prefix('\u{feff}') {
                line = rest.to_owned();
            }
        }
        if line.is_empty() {
            self.dispatch(out);
            return Ok(());
        }
        if line.starts_with(':') {
            return Ok(());
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_str(), ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            // `id` and `retry` only steer reconnection, which these POST streams never do;
            // they are parsed (so a stream using them is understood) and not relayed, so no
            // upstream-chosen string reaches the caller uninspected. Other fields are ignored
            // by the standard.
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        self.size = 0;
        let event = self.event.take();
        if self.data.is_empty() {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop();
        out.push(SseEvent { event, data });
    }
}

/// Serializes an event (`event:` only when set; one `data:` line per data line).
pub(crate) fn render(event: Option<&str>, data: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 32);
    if let Some(e) = event {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(e.as_bytes());
        out.push(b'\n');
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

    fn all(bytes: &[u8]) -> Vec<SseEvent> {
        SseFramer::default().push(bytes).unwrap()
    }

    fn ev(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: event.map(str::to_owned),
            data: data.into(),
        }
    }

    #[test]
    fn frames_across_chunk_boundaries() {
        let mut f = SseFramer::default();
        assert!(f
            .push(b"event: message_start\ndata: {\"a\"")
            .unwrap()
            .is_empty());
        let evs = f.push(b":1}\n\ndata: [DONE]\r\n\r\ndata: x").unwrap();
        assert_eq!(
            evs,
            vec![ev(Some("message_start"), "{\"a\":1}"), ev(None, "[DONE]")]
        );
        f.finish();
        assert_eq!(render(Some("e"), "a\nb"), b"event: e\ndata: a\ndata: b\n\n");
    }

    #[test]
    fn cr_framed_sse_is_split_on_bare_cr() {
        assert_eq!(
            all(b"data: one\r\rdata: two\r\r"),
            vec![ev(None, "one"), ev(None, "two")]
        );
    }

    #[test]
    fn cr_then_lf_in_the_next_chunk_is_one_line_end() {
        let mut f = SseFramer::default();
        assert!(f.push(b"data: a\r").unwrap().is_empty());
        // The LF completes the CR's line end; the next CR ends the event.
        assert_eq!(f.push(b"\n\r").unwrap(), vec![ev(None, "a")]);
    }

    #[test]
    fn whatwg_field_rules() {
        let evs = all(
            b"\xef\xbb\xbfdata:no-space\ndata:  two-spaces\n: comment\nid: 7\nretry: 10\nfoo: bar\nevent:x\n\n\
              data\n\n\
              event: only\n\n\
              data:\n\n",
        );
        assert_eq!(
            evs,
            vec![
                ev(Some("x"), "no-space\n two-spaces"),
                ev(None, ""),
                // `event: only` had no data: not dispatched, and its type does not leak on.
                ev(None, ""),
            ]
        );
    }

    #[test]
    fn unterminated_event_at_the_end_is_discarded() {
        let mut f = SseFramer::default();
        assert!(f.push(b"data: partial").unwrap().is_empty());
        f.finish();
        assert!(f.push(b"\n\n").unwrap().is_empty());
    }

    #[test]
    fn oversized_event_and_bad_utf8_fail() {
        let mut f = SseFramer::default();
        let big = vec![b'a'; MAX_EVENT_BYTES + 1];
        assert_eq!(f.push(&big), Err(SseError::TooLarge));
        assert_eq!(
            SseFramer::default().push(b"data: \xff\n\n"),
            Err(SseError::NotUtf8)
        );
    }
}
