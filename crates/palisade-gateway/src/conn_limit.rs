//! The listener's connection budget: a total cap and a per-source-address cap, checked at
//! accept before the TLS handshake, so one source (or a crowd of half-sent requests) cannot
//! hold every slot or grow memory without bound. Exposes its gauges and refusal counters as a
//! [`MetricsSource`].

use crate::metrics::MetricsSource;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Why a connection was refused at accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The total cap is reached.
    Total,
    /// This source address holds its share already.
    PerSource,
}

#[derive(Debug, Default)]
struct State {
    open: usize,
    by_source: HashMap<IpAddr, usize>,
}

/// Counts open connections against the caps.
#[derive(Debug)]
pub struct ConnLimits {
    max_total: usize,
    max_per_source: usize,
    state: Mutex<State>,
    refused_total: AtomicU64,
    refused_source: AtomicU64,
}

/// Holds one connection's slot until dropped.
#[derive(Debug)]
pub struct ConnPermit {
    limits: Arc<ConnLimits>,
    source: IpAddr,
}

impl Drop for ConnPermit {
    fn drop(&mut self) {
        let mut s = self.limits.state.lock();
        s.open = s.open.saturating_sub(1);
        if let Some(n) = s.by_source.get_mut(&self.source) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                s.by_source.remove(&self.source);
            }
        }
    }
}

impl ConnLimits {
    /// Limits with these caps.
    pub fn new(max_total: usize, max_per_source: usize) -> Arc<Self> {
        Arc::new(Self {
            max_total,
            max_per_source,
            state: Mutex::default(),
            refused_total: AtomicU64::new(0),
            refused_source: AtomicU64::new(0),
        })
    }

    /// A slot for a connection from `source`, or why there is none.
    pub fn admit(self: &Arc<Self>, source: IpAddr) -> Result<ConnPermit, Refused> {
        let mut s = self.state.lock();
        if s.open >= self.max_total {
            self.refused_total.fetch_add(1, Ordering::Relaxed);
            return Err(Refused::Total);
        }
        let n = s.by_source.entry(source).or_insert(0);
        if *n >= self.max_per_source {
            self.refused_source.fetch_add(1, Ordering::Relaxed);
            return Err(Refused::PerSource);
        }
        *n += 1;
        s.open += 1;
        Ok(ConnPermit {
            limits: self.clone(),
            source,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.state.lock().open
    }
}

impl MetricsSource for ConnLimits {
    fn render(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP palisade_connections_open Connections open on the listener.\n\
             # TYPE palisade_connections_open gauge\n\
             palisade_connections_open {}\n\
             # HELP palisade_connections_refused_total Connections closed at accept by a cap.\n\
             # TYPE palisade_connections_refused_total counter\n\
             palisade_connections_refused_total{{reason=\"total\"}} {}\n\
             palisade_connections_refused_total{{reason=\"per_source\"}} {}",
            self.open(),
            self.refused_total.load(Ordering::Relaxed),
            self.refused_source.load(Ordering::Relaxed),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_and_slots_come_back() {
        let l = ConnLimits::new(3, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let p1 = l.admit(a).unwrap();
        let _p2 = l.admit(a).unwrap();
        assert_eq!(l.admit(a).unwrap_err(), Refused::PerSource);
        let _p3 = l.admit(b).unwrap();
        assert_eq!(l.admit(b).unwrap_err(), Refused::Total);
        drop(p1);
        let _p4 = l.admit(a).unwrap();
        let mut out = String::new();
        l.render(&mut out);
        assert!(out.contains("palisade_connections_open 3"), "{out}");
        assert!(out.contains("reason=\"per_source\"} 1"), "{out}");
        assert!(out.contains("reason=\"total\"} 1"), "{out}");
    }
}
