//! In-process pins (tests, single short-lived gateways): a map from (server, tool) to versions.

use super::{
    verdict_of, DefinitionHash, PinError, PinRecord, PinState, PinStore, PinnedDefinition, Verdict,
};
use parking_lot::Mutex;
use std::collections::HashMap;

/// Pins kept in memory.
#[derive(Debug, Default)]
pub struct MemoryPinStore {
    tools: Mutex<HashMap<(String, String), Vec<PinRecord>>>,
}

impl PinStore for MemoryPinStore {
    fn observe(
        &self,
        server: &str,
        tool: &str,
        def: &PinnedDefinition,
        now_ms: u64,
        auto_approve: bool,
    ) -> Result<Verdict, PinError> {
        let mut tools = self.tools.lock();
        let versions = tools
            .entry((server.to_owned(), tool.to_owned()))
            .or_default();
        if !versions.iter().any(|r| r.hash == def.hash) {
            let first = versions.is_empty();
            versions.push(PinRecord {
                server: server.to_owned(),
                tool: tool.to_owned(),
                hash: def.hash,
                canonical: def.canonical.clone(),
                state: if first && auto_approve {
                    PinState::Approved
                } else {
                    PinState::Pending
                },
                first_seen_ms: now_ms,
                decided_ms: (first && auto_approve).then_some(now_ms),
            });
        }
        Ok(verdict_of(versions, &def.hash))
    }

    fn decide(
        &self,
        server: &str,
        tool: &str,
        hash: &DefinitionHash,
        now_ms: u64,
        state: PinState,
    ) -> Result<(), PinError> {
        let mut tools = self.tools.lock();
        let versions = tools
            .get_mut(&(server.to_owned(), tool.to_owned()))
            .filter(|v| v.iter().any(|r| r.hash == *hash))
            .ok_or_else(|| PinError::Unknown {
                server: server.to_owned(),
                tool: tool.to_owned(),
                hash: hash.to_string(),
            })?;
        for r in versions.iter_mut() {
            if r.hash == *hash {
                r.state = state;
                r.decided_ms = Some(now_ms);
            } else if state == PinState::Approved && r.state == PinState::Approved {
                r.state = PinState::Superseded;
                r.decided_ms = Some(now_ms);
            }
        }
        Ok(())
    }

    fn versions(&self, server: &str, tool: &str) -> Result<Vec<PinRecord>, PinError> {
        Ok(self
            .tools
            .lock()
            .get(&(server.to_owned(), tool.to_owned()))
            .cloned()
            .unwrap_or_default())
    }
}
