//! Who holds the key: the few clients (source network, user agent, TLS fingerprint) that used
//! an identity's credential recently, and how many of them overlap in time. A stolen token and
//! key used from a second process shows up as a second client active alongside the first,
//! whatever its rate; while learning, the usual overlap is learned instead of judged.

use crate::sketch::hash64;
use palisade_core::ClientFacts;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Clients remembered per identity.
pub const TRACKED_CLIENTS: usize = 4;
/// Two clients active within this span of each other overlap.
pub const OVERLAP_MS: u64 = 10 * 60_000;

/// One client of the credential.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// Hash of network, user agent and TLS fingerprint (0 = unused).
    pub hash: u64,
    /// Last call.
    pub last_ms: u64,
}

/// The tracked clients and what is usual.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holders {
    /// Recent clients.
    pub clients: [Client; TRACKED_CLIENTS],
    /// Most clients seen overlapping while the identity learned (its usual fan-out).
    pub usual_overlap: u8,
    /// Most concurrent connections seen while learning.
    pub usual_connections: u32,
}

/// The network a source address belongs to (/24 for IPv4, /64 for IPv6): a host renumbered
/// within its network stays the same client.
fn network(ip: IpAddr) -> [u8; 8] {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            [4, o[0], o[1], o[2], 0, 0, 0, 0]
        }
        IpAddr::V6(v6) => {
            let o = v6.octets();
            [o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]]
        }
    }
}

/// The client hash of a call, or `None` when the connection told nothing.
pub fn client_hash(c: &ClientFacts<'_>) -> Option<u64> {
    if c.source.is_none() && c.user_agent.is_none() && c.tls_fingerprint.is_none() {
        return None;
    }
    let net = c.source.map(network).unwrap_or_default();
    Some(
        hash64(&[
            &net,
            c.user_agent.unwrap_or("").as_bytes(),
            c.tls_fingerprint.unwrap_or("").as_bytes(),
        ])
        .max(1),
    )
}

impl Holders {
    /// Records a call of client `h` at `t_ms`; returns how many distinct clients (this one
    /// included) were active within [`OVERLAP_MS`].
    pub fn record(&mut self, h: u64, t_ms: u64) -> u8 {
        let slot = match self.clients.iter().position(|c| c.hash == h) {
            Some(i) => i,
            None => self
                .clients
                .iter()
                .enumerate()
                .min_by_key(|(_, c)| c.last_ms)
                .map_or(0, |(i, _)| i),
        };
        if let Some(c) = self.clients.get_mut(slot) {
            c.hash = h;
            c.last_ms = c.last_ms.max(t_ms);
        }
        self.clients
            .iter()
            .filter(|c| c.hash != 0 && t_ms.saturating_sub(c.last_ms) < OVERLAP_MS)
            .count() as u8
    }

    /// Learns the usual overlap and connection count (while the identity learns).
    pub fn learn(&mut self, overlap: u8, connections: u32) {
        self.usual_overlap = self.usual_overlap.max(overlap);
        self.usual_connections = self.usual_connections.max(connections);
    }

    /// Forgets the clients (a release), keeping what is usual.
    pub fn clear_recent(&mut self) {
        self.clients = [Client::default(); TRACKED_CLIENTS];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(ip: &str, ua: &'static str) -> ClientFacts<'static> {
        ClientFacts {
            source: Some(ip.parse().unwrap()),
            user_agent: Some(ua),
            tls_fingerprint: None,
            concurrent_connections: 1,
        }
    }

    #[test]
    fn a_second_client_overlaps_and_a_renumbered_host_does_not() {
        let a = client_hash(&facts("10.0.1.5", "agent/1")).unwrap();
        assert_eq!(Some(a), client_hash(&facts("10.0.1.77", "agent/1")));
        let b = client_hash(&facts("10.0.9.7", "agent/1")).unwrap();
        assert_ne!(a, b);
        assert_eq!(client_hash(&ClientFacts::default()), None);
        let mut h = Holders::default();
        assert_eq!(h.record(a, 0), 1);
        assert_eq!(h.record(a, 60_000), 1);
        assert_eq!(h.record(b, 120_000), 2);
        // Long after, the first client alone again.
        assert_eq!(h.record(a, 120_000 + OVERLAP_MS), 1);
    }
}
