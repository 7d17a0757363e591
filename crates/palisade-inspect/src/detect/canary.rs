//! Canary tokens: `palisade canary mint` creates unique values that look like real credentials,
//! links or document ids and records them; any sighting in any direction is a critical finding
//! naming the canary. Canaries are bait, not secrets, so they are stored as issued.

use crate::state::{inspect_dir, read_json, write_json};
use crate::InspectError;
use aho_corasick::{AhoCorasick, MatchKind};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What a canary imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CanaryKind {
    /// An AWS access key pair.
    AwsKey,
    /// A share link.
    Url,
    /// A document identifier.
    DocId,
}

impl std::str::FromStr for CanaryKind {
    type Err = InspectError;
    fn from_str(s: &str) -> Result<Self, InspectError> {
        match s {
            "aws-key" => Ok(CanaryKind::AwsKey),
            "url" => Ok(CanaryKind::Url),
            "doc-id" => Ok(CanaryKind::DocId),
            other => Err(InspectError::CanaryKind(other.to_owned())),
        }
    }
}

/// A recorded canary.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Canary {
    /// Stable id (`cnr_` + 12 hex), named in findings as `canary:<id>`.
    pub id: String,
    /// Kind.
    pub kind: CanaryKind,
    /// Operator's note (where it was planted).
    pub note: String,
    /// Unix seconds of minting.
    pub created: u64,
    /// The values whose sighting trips it (access key id and secret for `aws-key`).
    pub tokens: Vec<String>,
}

impl std::fmt::Debug for Canary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Canary")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("note", &self.note)
            .finish_non_exhaustive()
    }
}

/// What `canary_mint` returns to the CLI for printing.
pub type MintedCanary = Canary;

fn canary_file(data_dir: &Path) -> PathBuf {
    inspect_dir(data_dir).join("canaries.json")
}

fn random_from(rng: &mut impl Rng, alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| {
            char::from(
                alphabet
                    .get(rng.gen_range(0..alphabet.len()))
                    .copied()
                    .unwrap_or(b'A'),
            )
        })
        .collect()
}

/// Loads all recorded canaries (empty when none were minted).
pub fn load_canaries(data_dir: &Path) -> Result<Vec<Canary>, InspectError> {
    Ok(read_json(&canary_file(data_dir))?.unwrap_or_default())
}

/// `palisade canary mint --kind K --note N`: creates and records a canary. `url_base` is the
/// configured base of share links.
pub fn canary_mint(
    data_dir: &Path,
    kind: &str,
    note: &str,
    url_base: &str,
) -> Result<MintedCanary, InspectError> {
    let kind: CanaryKind = kind.parse()?;
    let mut rng = rand::rngs::OsRng;
    const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let tokens = match kind {
        CanaryKind::AwsKey => vec![
            format!("AKIA{}", random_from(&mut rng, B32, 16)),
            random_from(&mut rng, B64, 40),
        ],
        CanaryKind::Url => vec![format!("{url_base}{}", random_from(&mut rng, LOWER, 22))],
        CanaryKind::DocId => vec![format!(
            "DOC-{}-{}-{}",
            random_from(&mut rng, UPPER, 4),
            random_from(&mut rng, UPPER, 4),
            random_from(&mut rng, UPPER, 4)
        )],
    };
    let id = format!("cnr_{}", random_from(&mut rng, b"0123456789abcdef", 12));
    let created = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let canary = Canary {
        id,
        kind,
        note: note.to_owned(),
        created,
        tokens,
    };
    let mut all = load_canaries(data_dir)?;
    all.push(canary.clone());
    write_json(&canary_file(data_dir), &all)?;
    Ok(canary)
}

/// A sighting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanaryHit {
    /// Index into the canary list.
    pub canary: usize,
    /// Start.
    pub start: usize,
    /// End (exclusive).
    pub end: usize,
}

/// Exact matcher over every canary token.
#[derive(Debug)]
pub struct CanarySet {
    canaries: Vec<Canary>,
    owner: Vec<usize>,
    /// Every token, owner-aligned.
    pats: Vec<String>,
    ac: Option<AhoCorasick>,
}

impl CanarySet {
    /// Builds the matcher.
    pub fn new(canaries: Vec<Canary>) -> Result<Self, InspectError> {
        let mut pats = Vec::new();
        let mut owner = Vec::new();
        for (i, c) in canaries.iter().enumerate() {
            for t in &c.tokens {
                pats.push(t.clone());
                owner.push(i);
            }
        }
        let ac = if pats.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&pats)
                    .map_err(|e| InspectError::Pattern {
                        id: "canaries".into(),
                        message: e.to_string(),
                    })?,
            )
        };
        Ok(Self {
            canaries,
            owner,
            pats,
            ac,
        })
    }

    /// The canary at `i`.
    pub fn get(&self, i: usize) -> Option<&Canary> {
        self.canaries.get(i)
    }

    /// Number of canaries.
    pub fn len(&self) -> usize {
        self.canaries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.canaries.is_empty()
    }

    /// Every token, in the order `scan_occurrences` indexes them.
    pub fn tokens(&self) -> &[String] {
        &self.pats
    }

    /// Same as `scan`, given every case-insensitive (overlapping) occurrence of the tokens as
    /// (token index, start, end), found by a pass shared with other detectors: keeps exact
    /// matches, then selects leftmost-longest like the case-sensitive automaton.
    pub fn scan_occurrences(&self, text: &str, occ: Vec<(usize, usize, usize)>) -> Vec<CanaryHit> {
        let b = text.as_bytes();
        let exact: Vec<(usize, usize, usize)> = occ
            .into_iter()
            .filter(|&(t, s, e)| {
                self.pats
                    .get(t)
                    .is_some_and(|tok| b.get(s..e) == Some(tok.as_bytes()))
            })
            .collect();
        crate::detect::combined::leftmost_longest(exact)
            .into_iter()
            .filter_map(|(t, start, end)| {
                Some(CanaryHit {
                    canary: *self.owner.get(t)?,
                    start,
                    end,
                })
            })
            .collect()
    }

    /// Sightings in `text`.
    pub fn scan(&self, text: &str) -> Vec<CanaryHit> {
        let Some(ac) = &self.ac else {
            return Vec::new();
        };
        ac.find_iter(text.as_bytes())
            .filter_map(|m| {
                Some(CanaryHit {
                    canary: *self.owner.get(m.pattern().as_usize())?,
                    start: m.start(),
                    end: m.end(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mint_records_and_detects_each_kind() {
        let dir = tempfile::tempdir().unwrap();
        let a = canary_mint(
            dir.path(),
            "aws-key",
            "planted in vendor env",
            "https://s.corp/x/",
        )
        .unwrap();
        let u = canary_mint(dir.path(), "url", "wiki", "https://s.corp/x/").unwrap();
        let d = canary_mint(dir.path(), "doc-id", "roadmap", "https://s.corp/x/").unwrap();
        assert!(a.tokens[0].starts_with("AKIA") && a.tokens[0].len() == 20);
        assert!(u.tokens[0].starts_with("https://s.corp/x/"));
        assert!(d.tokens[0].starts_with("DOC-"));
        assert!(canary_mint(dir.path(), "bogus", "", "").is_err());
        let set = CanarySet::new(load_canaries(dir.path()).unwrap()).unwrap();
        assert_eq!(set.len(), 3);
        let text = format!(
            "keys {} and {} see {}",
            a.tokens[1], u.tokens[0], d.tokens[0]
        );
        let hits = set.scan(&text);
        let ids: Vec<_> = hits
            .iter()
            .map(|h| set.get(h.canary).unwrap().id.clone())
            .collect();
        assert_eq!(ids, vec![a.id.clone(), u.id.clone(), d.id.clone()]);
        assert!(!format!("{a:?}").contains(&a.tokens[0]));
    }
}
