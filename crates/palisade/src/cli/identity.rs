//! `palisade identity create|list|show|suspend|quarantine|release|revoke|join-token|baseline`:
//! the identity registry in the data dir's store (palisade_identity::cli) and the learned
//! behaviour baselines (palisade_behavior::cli).
//!
//! These commands write the store directly. A running gateway notices registry status changes
//! on its next request (SQLite `data_version`), but NOT an offline behaviour release: while the
//! gateway runs, lift a behaviour quarantine through its admin API, or the gateway's in-memory
//! baseline overwrites the offline release at its next snapshot.

use super::location::{Location, Resolved};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use palisade_behavior::{BehaviorConfig, BehaviorError};
use palisade_core::{Clock, IdentityKind, SystemClock};
use palisade_identity::cli::{self as handlers, CreateArgs};
use palisade_identity::record::parse_kind;
use palisade_identity::{IdentityConfig, Registry, StatusAction};
use palisade_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// `palisade identity ...`
#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Register a new, active identity.
    Create(CreateCli),
    /// List every identity.
    List {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        at: Location,
    },
    /// Show one identity with its status history.
    Show {
        /// `segment/name` or a full SPIFFE id.
        name: String,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        at: Location,
    },
    /// Suspend (takes effect on the identity's next request).
    Suspend(StatusCli),
    /// Quarantine: deny everything until released.
    Quarantine(StatusCli),
    /// Return a suspended or quarantined identity to active, and lift a behaviour quarantine
    /// offline (while the gateway runs, use its admin API for the behaviour part).
    Release(StatusCli),
    /// Revoke for good.
    Revoke(StatusCli),
    /// Mint a one-time bootstrap token for enrollment (printed once).
    JoinToken {
        /// `segment/name` or a full SPIFFE id.
        name: String,
        /// Lifetime, e.g. `10m`.
        #[arg(long, value_parser = parse_duration, default_value = "10m")]
        ttl: Duration,
        #[command(flatten)]
        at: Location,
    },
    /// The learned behaviour baseline and recent deviations.
    Baseline {
        /// Identity name or full SPIFFE id.
        name: String,
        /// JSON (as the admin API returns it) instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        at: Location,
    },
}

/// Arguments of `identity create`.
#[derive(Debug, Args)]
pub struct CreateCli {
    /// `segment/name` or a full SPIFFE id.
    pub name: String,
    /// agent, workload or vendor.
    #[arg(long, value_parser = parse_kind_arg)]
    pub kind: IdentityKind,
    /// Accountable person or team.
    #[arg(long)]
    pub owner: String,
    /// A model or tool it may ask for (repeat).
    #[arg(long = "scope")]
    pub scopes: Vec<String>,
    /// Longest credential lifetime, e.g. `15m` (at most 24h).
    #[arg(long, value_parser = parse_duration, default_value = "1h")]
    pub max_ttl: Duration,
    /// Evidence kind required to enroll (repeat; default `join_token`).
    #[arg(long = "require")]
    pub requirements: Vec<String>,
    /// Accept unbound bearer tokens (migration only; every such call is marked).
    #[arg(long)]
    pub legacy_bearer: bool,
    #[command(flatten)]
    pub at: Location,
}

/// Arguments of a status change.
#[derive(Debug, Args)]
pub struct StatusCli {
    /// `segment/name` or a full SPIFFE id.
    pub name: String,
    /// Why (kept in the identity's history).
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub at: Location,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("`{s}`: {e}"))
}

fn parse_kind_arg(s: &str) -> Result<IdentityKind, String> {
    parse_kind(s).ok_or_else(|| format!("`{s}` is not agent, workload or vendor"))
}

/// Who made a change, for the status history.
fn actor() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

/// The identity settings: the config's `[identity]`, else the defaults (as the gateway does).
fn identity_config(r: &Resolved) -> IdentityConfig {
    r.config
        .as_ref()
        .and_then(|c| c.identity.clone())
        .unwrap_or_default()
}

/// The resolved location, its store and the registry on it.
fn registry(at: &Location) -> Result<(Resolved, Arc<Store>, Registry)> {
    let r = at.resolve()?;
    let store = r.open_store()?;
    let cfg = identity_config(&r);
    let reg = Registry::open(store.clone(), &cfg.trust_domain, Arc::new(SystemClock))
        .context("opening the identity registry")?;
    Ok((r, store, reg))
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    Ok(serde_json::to_string_pretty(v)? + "\n")
}

fn status(args: StatusCli, action: StatusAction) -> Result<()> {
    let (_, store, reg) = registry(&args.at)?;
    let rec = handlers::set_status(&reg, &args.name, action, &actor(), &args.reason)?;
    print!("{}", handlers::render_identity(&rec));
    if action == StatusAction::Release {
        let now = SystemClock.now_millis();
        match palisade_behavior::cli::identity_release_offline(&store, &rec.id.to_string(), now) {
            Ok(true) => println!("behaviour quarantine lifted (offline)"),
            Ok(false) => println!("no behaviour quarantine was in force"),
            // An identity that never sent traffic has no baseline: nothing to lift.
            Err(BehaviorError::UnknownIdentity(_)) => println!("no behaviour baseline recorded"),
            Err(e) => return Err(e).context("lifting the behaviour quarantine"),
        }
        // The registry change reaches a running gateway at once; the behaviour release does
        // not (its in-memory baseline wins at the next snapshot), hence the admin API.
        eprintln!(
            "note: this release works offline; while the gateway runs, release through its \
             admin API instead (POST /admin/v1/identities/{}/{}/release), which lifts the \
             in-memory behaviour quarantine too",
            rec.id.segment(),
            rec.id.name()
        );
    }
    Ok(())
}

/// Runs an identity subcommand.
pub fn run(cmd: IdentityCommand) -> Result<()> {
    match cmd {
        IdentityCommand::Create(c) => {
            let (_, _, reg) = registry(&c.at)?;
            let rec = handlers::create(
                &reg,
                CreateArgs {
                    name: c.name,
                    kind: c.kind,
                    owner: c.owner,
                    scopes: c.scopes,
                    max_ttl_secs: c.max_ttl.as_secs(),
                    requirements: c.requirements,
                    legacy_bearer: c.legacy_bearer,
                },
                &actor(),
            )?;
            print!("{}", handlers::render_identity(&rec));
        }
        IdentityCommand::List { json: as_json, at } => {
            let (_, _, reg) = registry(&at)?;
            let list = handlers::list(&reg)?;
            if as_json {
                print!("{}", json(&list)?);
            } else {
                print!("{}", handlers::render_identities(&list));
            }
        }
        IdentityCommand::Show {
            name,
            json: as_json,
            at,
        } => {
            let (_, _, reg) = registry(&at)?;
            let rec = handlers::show(&reg, &name)?;
            if as_json {
                print!("{}", json(&rec)?);
            } else {
                print!("{}", handlers::render_identity(&rec));
            }
        }
        IdentityCommand::Suspend(a) => status(a, StatusAction::Suspend)?,
        IdentityCommand::Quarantine(a) => status(a, StatusAction::Quarantine)?,
        IdentityCommand::Release(a) => status(a, StatusAction::Release)?,
        IdentityCommand::Revoke(a) => status(a, StatusAction::Revoke)?,
        IdentityCommand::JoinToken { name, ttl, at } => {
            if ttl.as_secs() == 0 {
                bail!("--ttl must be at least one second");
            }
            let (_, _, reg) = registry(&at)?;
            let t = handlers::join_token(&reg, &name, ttl.as_secs())?;
            print!("{}", handlers::render_join_token(&t));
        }
        IdentityCommand::Baseline {
            name,
            json: as_json,
            at,
        } => {
            let (r, store, reg) = registry(&at)?;
            // `segment/name` is completed to the full id; a bare name is matched by the
            // behaviour crate against the last path segment.
            let key = if name.contains('/') {
                reg.resolve(&name)?.to_string()
            } else {
                name
            };
            let cfg = behavior_config(&r);
            print!(
                "{}",
                palisade_behavior::cli::identity_baseline(&store, &cfg, &key, as_json)?
            );
        }
    }
    Ok(())
}

/// The behaviour settings: the config's `[behavior]`, else the defaults.
fn behavior_config(r: &Resolved) -> BehaviorConfig {
    r.config
        .as_ref()
        .and_then(|c| c.behavior.clone())
        .unwrap_or_default()
}
