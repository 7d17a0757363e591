//! Handlers for the `palisade` binary that read the store directly (no running gateway needed):
//! `palisade identity baseline NAME [--json]` and an offline release. While a gateway is
//! running, release through its admin API (`Baselines::release`) instead: the gateway's
//! in-memory state would otherwise overwrite an offline release at its next snapshot.

use crate::config::BehaviorConfig;
use crate::engine::{peer_key, Rules};
use crate::error::BehaviorError;
use crate::persist;
use crate::state::{encode, IdentityState};
use crate::view::BaselineView;
use palisade_core::SpiffeId;
use palisade_store::Store;

fn find(store: &Store, name: &str) -> Result<(SpiffeId, IdentityState), BehaviorError> {
    persist::migrate(store)?;
    let loaded = persist::load(store)?;
    let mut hits = loaded.identities.into_iter().filter_map(|(k, s)| {
        let id: SpiffeId = k.parse().ok()?;
        (k == name || id.name() == name).then_some((id, s))
    });
    let first = hits
        .next()
        .ok_or_else(|| BehaviorError::UnknownIdentity(name.to_owned()))?;
    if hits.next().is_some() {
        return Err(BehaviorError::Ambiguous(name.to_owned()));
    }
    Ok(first)
}

/// `palisade identity baseline NAME`: the table (or JSON with `json`).
pub fn identity_baseline(
    store: &Store,
    config: &BehaviorConfig,
    name: &str,
    json: bool,
) -> Result<String, BehaviorError> {
    config.validate()?;
    let (id, s) = find(store, name)?;
    let rules = Rules::new(config.clone());
    let view = BaselineView::build(&id.to_string(), &peer_key(id.segment(), s.kind), &s, &rules);
    Ok(if json {
        view.to_json()
    } else {
        view.render_table()
    })
}

/// Offline `palisade identity release NAME` (gateway stopped). Returns whether it was
/// quarantined.
pub fn identity_release_offline(
    store: &Store,
    name: &str,
    now_ms: u64,
) -> Result<bool, BehaviorError> {
    let (id, mut s) = find(store, name)?;
    let was = s.quarantine.is_some();
    let at = now_ms.max(s.last_ms);
    crate::engine::release(&mut s, at);
    let key = id.to_string();
    persist::write(store, &[(key.clone(), encode(&key, &s)?)], &[], now_ms)?;
    Ok(was)
}
