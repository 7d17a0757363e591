//! Handlers behind `palisade identity create|list|show|suspend|quarantine|release|revoke|
//! join-token`: each takes parsed arguments, returns data, and has a plain-text renderer.

use crate::join_token::JoinToken;
use crate::record::{IdentityRecord, NewIdentity, StatusAction};
use crate::registry::{Registry, RegistryError};
use palisade_core::IdentityKind;

/// Arguments of `identity create`.
#[derive(Debug, Clone)]
pub struct CreateArgs {
    /// `segment/name` or a full SPIFFE id.
    pub name: String,
    /// Kind.
    pub kind: IdentityKind,
    /// Owner.
    pub owner: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Maximum credential lifetime, seconds.
    pub max_ttl_secs: u64,
    /// Required evidence kinds (empty: `join_token`).
    pub requirements: Vec<String>,
    /// Legacy bearer switch.
    pub legacy_bearer: bool,
}

/// `identity create`.
pub fn create(
    reg: &Registry,
    args: CreateArgs,
    actor: &str,
) -> Result<IdentityRecord, RegistryError> {
    let id = reg.resolve(&args.name)?;
    let requirements = if args.requirements.is_empty() {
        vec!["join_token".to_owned()]
    } else {
        args.requirements
    };
    reg.create(
        NewIdentity {
            id,
            kind: args.kind,
            owner: args.owner,
            scopes: args.scopes,
            max_ttl_secs: args.max_ttl_secs,
            requirements,
            legacy_bearer: args.legacy_bearer,
        },
        actor,
    )
}

/// `identity list`.
pub fn list(reg: &Registry) -> Result<Vec<IdentityRecord>, RegistryError> {
    reg.list()
}

/// `identity show NAME`.
pub fn show(reg: &Registry, name: &str) -> Result<IdentityRecord, RegistryError> {
    reg.show(&reg.resolve(name)?)
}

/// `identity suspend|quarantine|release|revoke NAME --reason R`.
pub fn set_status(
    reg: &Registry,
    name: &str,
    action: StatusAction,
    actor: &str,
    reason: &str,
) -> Result<IdentityRecord, RegistryError> {
    reg.set_status(&reg.resolve(name)?, action, actor, reason)
}

/// `identity join-token NAME --ttl SECS`.
pub fn join_token(reg: &Registry, name: &str, ttl_secs: u64) -> Result<JoinToken, RegistryError> {
    reg.join_token(&reg.resolve(name)?, ttl_secs)
}

fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let s: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        s.join("  ").trim_end().to_owned() + "\n"
    };
    let mut out = line(headers.iter().map(|h| (*h).to_owned()).collect());
    for r in rows {
        out.push_str(&line(r.clone()));
    }
    out
}

/// A table of identities (for `list`).
pub fn render_identities(records: &[IdentityRecord]) -> String {
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.kind.as_str().to_owned(),
                r.owner.clone(),
                r.status.as_str().to_owned(),
                r.max_ttl_secs.to_string(),
                r.requirements.join(","),
                if r.legacy_bearer {
                    "yes".into()
                } else {
                    "no".into()
                },
            ]
        })
        .collect();
    table(
        &[
            "ID",
            "KIND",
            "OWNER",
            "STATUS",
            "MAX_TTL",
            "REQUIRES",
            "LEGACY_BEARER",
        ],
        &rows,
    )
}

/// One identity with its history (for `show` and status commands).
pub fn render_identity(r: &IdentityRecord) -> String {
    let mut out = format!(
        "id:            {}\nkind:          {}\nowner:         {}\nsegment:       {}\nscopes:        {}\nmax ttl:       {} s\nrequires:      {}\nlegacy bearer: {}\nstatus:        {}\n",
        r.id,
        r.kind.as_str(),
        r.owner,
        r.segment,
        r.scopes.join(","),
        r.max_ttl_secs,
        r.requirements.join(","),
        r.legacy_bearer,
        r.status.as_str()
    );
    if !r.history.is_empty() {
        out.push_str("history:\n");
        let rows: Vec<Vec<String>> = r
            .history
            .iter()
            .map(|h| {
                vec![
                    h.at_ms.to_string(),
                    h.status.as_str().to_owned(),
                    h.actor.clone(),
                    h.reason.clone(),
                ]
            })
            .collect();
        out.push_str(&table(&["AT_MS", "STATUS", "BY", "WHY"], &rows));
    }
    out
}

/// The join token, shown once.
pub fn render_join_token(t: &JoinToken) -> String {
    format!(
        "identity:   {}\njoin token: {}\nexpires at: {} (ms since epoch); single use\n",
        t.identity, t.token, t.expires_at_ms
    )
}
