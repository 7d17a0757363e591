//! Prometheus metrics in the text exposition format, kept in-process without an exporter
//! dependency: requests by route/status/upstream, latency histograms by route, upstream errors
//! by kind, and in-flight requests. Labels come from configured names and fixed route names only,
//! never from caller input, so cardinality is bounded and nothing secret can appear. Components
//! behind the stages (policy, behaviour, audit) add their own families through
//! [`MetricsSource`], so the gateway stays independent of them.

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Histogram bucket upper bounds in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(&'static str, u16, String), u64>,
    latency: BTreeMap<&'static str, Histogram>,
    upstream_errors: BTreeMap<(String, &'static str), u64>,
}

/// A component that writes its own metric families (with `# HELP`/`# TYPE` lines) into the
/// exposition text. Called on every scrape, so it should only read counters.
pub trait MetricsSource: Send + Sync {
    /// Appends this component's families to `out`.
    fn render(&self, out: &mut String);
}

/// The gateway's metrics registry.
#[derive(Default, Clone)]
pub struct Metrics {
    inner: Arc<Mutex<Inner>>,
    in_flight: Arc<AtomicI64>,
    sources: Arc<Mutex<Vec<Arc<dyn MetricsSource>>>>,
}

/// Decrements the in-flight gauge when the request (including a streamed body) is over.
pub struct InFlight(Arc<AtomicI64>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// Counts a request as in flight until the guard drops.
    pub fn in_flight(&self) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.in_flight.clone())
    }

    /// Records a finished request (for streams: when the response head is sent).
    pub fn record(
        &self,
        route: &'static str,
        status: u16,
        upstream: Option<&str>,
        latency: Duration,
    ) {
        let mut inner = self.inner.lock();
        *inner
            .requests
            .entry((route, status, upstream.unwrap_or("").to_owned()))
            .or_default() += 1;
        let h = inner.latency.entry(route).or_default();
        let secs = latency.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                if let Some(c) = h.counts.get_mut(i) {
                    *c += 1;
                }
            }
        }
        h.sum += secs;
        h.count += 1;
    }

    /// Counts an upstream failure of `kind` (`connect`, `timeout`, `stream`).
    pub fn upstream_error(&self, upstream: &str, kind: &'static str) {
        *self
            .inner
            .lock()
            .upstream_errors
            .entry((upstream.to_owned(), kind))
            .or_default() += 1;
    }

    /// Adds a component's families to every later scrape.
    pub fn add_source(&self, source: Arc<dyn MetricsSource>) {
        self.sources.lock().push(source);
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = self.render_own();
        // Cloned out of the lock so a slow source never holds up request recording.
        let sources = self.sources.lock().clone();
        for source in sources {
            source.render(&mut out);
        }
        out
    }

    fn render_own(&self) -> String {
        let inner = self.inner.lock();
        let mut out = String::new();
        out.push_str("# HELP palisade_requests_total Requests handled, by route, status and upstream.\n# TYPE palisade_requests_total counter\n");
        for ((route, status, upstream), n) in &inner.requests {
            let _ = writeln!(out, "palisade_requests_total{{route=\"{route}\",status=\"{status}\",upstream=\"{}\"}} {n}", esc(upstream));
        }
        out.push_str("# HELP palisade_request_duration_seconds Time to response head, by route.\n# TYPE palisade_request_duration_seconds histogram\n");
        for (route, h) in &inner.latency {
            for (b, c) in BUCKETS.iter().zip(h.counts.iter()) {
                let _ = writeln!(
                    out,
                    "palisade_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {c}"
                );
            }
            let _ = writeln!(
                out,
                "palisade_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "palisade_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "palisade_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        out.push_str("# HELP palisade_upstream_errors_total Upstream failures, by upstream and kind.\n# TYPE palisade_upstream_errors_total counter\n");
        for ((upstream, kind), n) in &inner.upstream_errors {
            let _ = writeln!(
                out,
                "palisade_upstream_errors_total{{upstream=\"{}\",kind=\"{kind}\"}} {n}",
                esc(upstream)
            );
        }
        out.push_str("# HELP palisade_in_flight_requests Requests (and streams) in progress.\n# TYPE palisade_in_flight_requests gauge\n");
        let _ = writeln!(
            out,
            "palisade_in_flight_requests {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        out
    }
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_buckets_and_gauge() {
        let m = Metrics::default();
        let g = m.in_flight();
        m.record(
            "chat_completions",
            200,
            Some("openai"),
            Duration::from_millis(3),
        );
        m.record(
            "chat_completions",
            200,
            Some("openai"),
            Duration::from_millis(30),
        );
        m.upstream_error("openai", "timeout");
        let text = m.render();
        assert!(text.contains("palisade_requests_total{route=\"chat_completions\",status=\"200\",upstream=\"openai\"} 2"));
        assert!(text.contains(
            "palisade_request_duration_seconds_bucket{route=\"chat_completions\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "palisade_request_duration_seconds_bucket{route=\"chat_completions\",le=\"0.05\"} 2"
        ));
        assert!(
            text.contains("palisade_upstream_errors_total{upstream=\"openai\",kind=\"timeout\"} 1")
        );
        assert!(text.contains("palisade_in_flight_requests 1"));
        drop(g);
        assert!(m.render().contains("palisade_in_flight_requests 0"));
    }

    #[test]
    fn sources_are_appended_to_every_scrape() {
        struct Fixed(&'static str);
        impl MetricsSource for Fixed {
            fn render(&self, out: &mut String) {
                out.push_str(self.0);
            }
        }
        let m = Metrics::default();
        assert!(!m.render().contains("palisade_test_total"));
        m.add_source(Arc::new(Fixed("palisade_test_total 7\n")));
        let text = m.render();
        assert!(text.ends_with("palisade_test_total 7\n"), "{text}");
        assert!(text.contains("palisade_in_flight_requests 0"));
    }
}
