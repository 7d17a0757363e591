//! The second audit event of a streamed response. A stream's decision is recorded (durably)
//! before its first byte; its size, hash and response-side findings are only known at its end,
//! so the relay appends a `response_complete` event with the same request id when the stream
//! ends — completed, cut by inspection, broken upstream, or abandoned by the client. The end of
//! the body (the last filtered bytes and the end-of-body marker) is released only after that
//! event is durable, and withheld (the transfer is aborted) when the append fails.

use palisade_core::{AuditEvent, AuditOutcome, AuditSink, Effect, Finding, SharedClock};
use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Instant;

/// Filled by the audit stage with the durable head event (and the call's start), which the
/// stream's end event copies its identity, decision and request facts from.
pub(crate) type TailSlot = Arc<Mutex<Option<(AuditEvent, Instant)>>>;

/// How a stream ended (the `detail` of its `response_complete` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamEnd {
    /// The upstream finished and everything was relayed.
    Completed,
    /// Response inspection cut the stream (a blocked class was seen).
    Cut,
    /// The client went away before the end.
    ClientDisconnected,
    /// The upstream body broke mid-stream.
    UpstreamError,
}

impl StreamEnd {
    /// The `detail` string of the event.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StreamEnd::Completed => "completed",
            StreamEnd::Cut => "cut",
            StreamEnd::ClientDisconnected => "client_disconnected",
            StreamEnd::UpstreamError => "upstream_error",
        }
    }

    fn outcome(self) -> AuditOutcome {
        match self {
            StreamEnd::Completed => AuditOutcome::Completed,
            StreamEnd::Cut => AuditOutcome::Denied,
            StreamEnd::ClientDisconnected | StreamEnd::UpstreamError => AuditOutcome::Error,
        }
    }
}

/// Counts and hashes what is relayed to the client and collects response findings.
pub(crate) struct StreamRecorder {
    sink: Arc<dyn AuditSink>,
    clock: SharedClock,
    slot: TailSlot,
    hasher: Sha256,
    bytes: u64,
    findings: Vec<Finding>,
    done: bool,
}

impl StreamRecorder {
    /// A recorder and the slot the audit stage fills with the head event.
    pub(crate) fn new(sink: Arc<dyn AuditSink>, clock: SharedClock) -> (Self, TailSlot) {
        let slot: TailSlot = Arc::new(Mutex::new(None));
        let rec = Self {
            sink,
            clock,
            slot: slot.clone(),
            hasher: Sha256::new(),
            bytes: 0,
            findings: Vec::new(),
            done: false,
        };
        (rec, slot)
    }

    /// Bytes handed to the client.
    pub(crate) fn sent(&mut self, data: &[u8]) {
        self.bytes += data.len() as u64;
        self.hasher.update(data);
    }

    /// Findings of response inspection (metadata only).
    pub(crate) fn found(&mut self, findings: Vec<Finding>) {
        self.findings.extend(findings);
    }

    /// Builds the end event once; `None` when already recorded or the head was never recorded
    /// (then the response was replaced and nothing of this stream reached the client).
    fn end_event(&mut self, end: StreamEnd) -> Option<AuditEvent> {
        if self.done {
            return None;
        }
        self.done = true;
        let (mut ev, started) = self.slot.lock().take()?;
        let hasher = std::mem::take(&mut self.hasher);
        ev.time_ms = self.clock.now_millis();
        ev.event_type = "response_complete".into();
        ev.findings = std::mem::take(&mut self.findings);
        ev.bytes_out = self.bytes;
        ev.response_sha256 = Some(hex::encode(hasher.finalize()));
        ev.latency_us = started.elapsed().as_micros() as u64;
        ev.outcome = end.outcome();
        if end == StreamEnd::Cut {
            ev.decision = Effect::Deny;
        }
        ev.detail = Some(end.as_str().into());
        Some(ev)
    }

    /// Appends the end event and waits until it is durable. `Err` means the end of the body
    /// must be withheld.
    pub(crate) async fn finish(&mut self, end: StreamEnd) -> Result<(), ()> {
        let Some(ev) = self.end_event(end) else {
            tracing::error!("stream end without a recorded head event; withholding the end");
            return Err(());
        };
        super::audit::append_durable(self.sink.as_ref(), ev)
            .await
            .map(|_| ())
            .map_err(|_| ())
    }
}

impl Drop for StreamRecorder {
    /// The body was dropped before its end: the client went away. Nothing can be awaited here,
    /// so the event is appended without waiting; a failure is logged.
    fn drop(&mut self) {
        if let Some(ev) = self.end_event(StreamEnd::ClientDisconnected) {
            let request_id = ev.request_id.clone();
            self.sink.append(
                ev,
                Box::new(move |r| {
                    if let Err(e) = r {
                        tracing::error!(request_id = %request_id, error = %e, "audit append of an abandoned stream failed");
                    }
                }),
            );
        }
    }
}
