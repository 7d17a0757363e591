//! Protected documents: `palisade protect add FILE...` stores each document's winnowed
//! fingerprints and salient terms (hashes only, no text) in the data dir; the index then
//! reports inspected text that is contained in a protected document (verbatim excerpts,
//! reformatting, reordering, light paraphrase) and summaries by salient-term overlap.

pub mod fingerprint;
pub mod words;

use crate::hash::Keyed;
use crate::state::{inspect_dir, read_json, write_json};
use crate::InspectError;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A stored protected document (hashes only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProtectedDoc {
    /// Stable id (keyed hash prefix of the content).
    pub id: String,
    /// File name it was added from.
    pub name: String,
    /// Number of words.
    pub words: usize,
    /// Winnowed fingerprint hashes.
    pub prints: Vec<u64>,
    /// Salient terms (hash, weight).
    pub salient: Vec<(u64, f32)>,
    /// Every `EXPOSURE_K`-word shingle hash in document order (shingle i covers content words
    /// i..i+EXPOSURE_K), for cumulative exposure. Empty for documents added before exposure
    /// tracking (re-add them).
    #[serde(default)]
    pub shingles: Vec<u64>,
}

impl ProtectedDoc {
    /// Content words the shingles cover: the denominator of an exposed share.
    pub fn content_words(&self) -> usize {
        if self.shingles.is_empty() {
            0
        } else {
            self.shingles.len() + fingerprint::EXPOSURE_K - 1
        }
    }
}

fn docs_dir(data_dir: &Path) -> PathBuf {
    inspect_dir(data_dir).join("protected")
}

/// `palisade protect add FILE...`: fingerprints each file and records it. Returns the docs.
pub fn protect_add(
    data_dir: &Path,
    paths: &[PathBuf],
    hash_key: [u8; 32],
) -> Result<Vec<ProtectedDoc>, InspectError> {
    let keyed = Keyed::new(hash_key);
    let mut out = Vec::new();
    for p in paths {
        let raw = std::fs::read_to_string(p).map_err(|e| InspectError::io(p, e))?;
        // Fingerprint what the inspector will see: inspected text is normalized (NFKC,
        // invisible characters stripped, confusables folded), so the document must be too.
        let text = crate::normalize::unicode::normalize(&raw).text;
        let n_words = words::words(&text).len();
        if n_words < 20 {
            return Err(InspectError::DocumentTooShort(p.clone()));
        }
        let content = fingerprint::content_words(&text);
        let shingles = fingerprint::shingles(&content, fingerprint::EXPOSURE_K, &keyed);
        let mut prints: Vec<u64> =
            fingerprint::winnow_shingles(&fingerprint::shingles(&content, fingerprint::K, &keyed))
                .into_iter()
                .map(|x| x.hash)
                .collect();
        prints.sort_unstable();
        prints.dedup();
        let id = keyed
            .value_hash(raw.as_bytes())
            .chars()
            .take(16)
            .collect::<String>();
        let doc = ProtectedDoc {
            id: format!("doc_{id}"),
            name: p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            words: n_words,
            prints,
            salient: fingerprint::salient_terms(&text, &keyed, 40),
            shingles: shingles.into_iter().map(|x| x.hash).collect(),
        };
        write_json(&docs_dir(data_dir).join(format!("{}.json", doc.id)), &doc)?;
        out.push(doc);
    }
    Ok(out)
}

/// Loads every protected document of the data dir.
pub fn load_docs(data_dir: &Path) -> Result<Vec<ProtectedDoc>, InspectError> {
    let dir = docs_dir(data_dir);
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(InspectError::io(&dir, e)),
    };
    let mut docs = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| InspectError::io(&dir, e))?;
        let p = entry.path();
        if p.extension().is_some_and(|x| x == "json") {
            if let Some(d) = read_json::<ProtectedDoc>(&p)? {
                docs.push(d);
            }
        }
    }
    docs.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(docs)
}

/// What was inspected, per text unit (a layer of a leaf), for matching across units.
#[derive(Debug, Clone, Default)]
pub struct UnitPrints {
    prints: Vec<fingerprint::Print>,
    terms: Vec<(u64, usize, usize)>,
    shingles: Vec<u64>,
}

impl UnitPrints {
    /// Fingerprints, every shingle and terms of one text.
    pub fn of(text: &str, keyed: &Keyed) -> Self {
        let content = fingerprint::content_words(text);
        let k = fingerprint::shingles(&content, fingerprint::K, keyed);
        Self {
            prints: fingerprint::winnow_shingles(&k),
            terms: fingerprint::term_hashes(text, keyed),
            shingles: fingerprint::shingles(&content, fingerprint::EXPOSURE_K, keyed)
                .into_iter()
                .map(|p| p.hash)
                .collect(),
        }
    }
}

/// How a document matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocMatchKind {
    /// Shared fingerprints: excerpt, reformatting, reordering, light paraphrase.
    Copy,
    /// Only salient terms overlap: a summary.
    Summary,
}

/// A match, located in one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct DocHit {
    /// Index of the document.
    pub doc: usize,
    /// Index of the unit (as passed to `match_units`).
    pub unit: usize,
    /// Start in the unit's text.
    pub start: usize,
    /// End (exclusive).
    pub end: usize,
    /// Copy or summary.
    pub kind: DocMatchKind,
    /// Containment of the inspected text in the document (copy) or salient overlap (summary).
    pub score: f64,
}

/// In-memory index over the protected documents.
#[derive(Debug, Default)]
pub struct DocIndex {
    docs: Vec<ProtectedDoc>,
    /// Fingerprints shared by many protected documents: genre boilerplate, not content.
    common: HashSet<u64>,
    by_print: HashMap<u64, Vec<u32>>,
    by_term: HashMap<u64, Vec<(u32, f32)>>,
    /// Shingle -> (document, position): where a shared shingle sits, for exposure.
    by_shingle: HashMap<u64, Vec<(u32, u32)>>,
    containment: f64,
    salient_overlap: f64,
}

/// Shared fingerprints that mark an excerpt even inside a much longer text.
const MIN_SHARED_ABS: usize = 10;
/// Minimum shared fingerprints for a containment-based match.
const MIN_SHARED: usize = 3;
/// Minimum salient terms present for a summary match.
const MIN_TERMS: usize = 6;

impl DocIndex {
    /// Builds the index.
    pub fn new(docs: Vec<ProtectedDoc>, containment: f64, salient_overlap: f64) -> Self {
        let mut by_print: HashMap<u64, Vec<u32>> = HashMap::new();
        let mut by_term: HashMap<u64, Vec<(u32, f32)>> = HashMap::new();
        // A fingerprint in more than max(2, 10%) of the documents is the genre's boilerplate
        // ("pending board approval"): it says nothing about which document leaked.
        let max_df = (docs.len() / 10).max(2);
        let mut df: HashMap<u64, usize> = HashMap::new();
        for d in &docs {
            for p in &d.prints {
                *df.entry(*p).or_default() += 1;
            }
        }
        let common: HashSet<u64> = df
            .into_iter()
            .filter(|(_, n)| *n > max_df)
            .map(|(h, _)| h)
            .collect();
        // The same for salient terms: a term most documents share is the genre's vocabulary.
        let mut tdf: HashMap<u64, usize> = HashMap::new();
        for d in &docs {
            for (t, _) in &d.salient {
                *tdf.entry(*t).or_default() += 1;
            }
        }
        let mut docs = docs;
        for d in &mut docs {
            d.salient
                .retain(|(t, _)| tdf.get(t).copied().unwrap_or(0) <= max_df);
        }
        // Shingles shared by many documents are boilerplate for exposure too.
        let mut sdf: HashMap<u64, usize> = HashMap::new();
        for d in &docs {
            let distinct: HashSet<u64> = d.shingles.iter().copied().collect();
            for s in distinct {
                *sdf.entry(s).or_default() += 1;
            }
        }
        let mut by_shingle: HashMap<u64, Vec<(u32, u32)>> = HashMap::new();
        for (i, d) in docs.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            for (pos, s) in d.shingles.iter().enumerate() {
                if sdf.get(s).copied().unwrap_or(0) <= max_df {
                    let pos = u32::try_from(pos).unwrap_or(u32::MAX);
                    by_shingle.entry(*s).or_default().push((i, pos));
                }
            }
        }
        for (i, d) in docs.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            for p in d.prints.iter().filter(|p| !common.contains(p)) {
                by_print.entry(*p).or_default().push(i);
            }
            for (t, w) in &d.salient {
                by_term.entry(*t).or_default().push((i, *w));
            }
        }
        Self {
            docs,
            common,
            by_print,
            by_term,
            by_shingle,
            containment,
            salient_overlap,
        }
    }

    /// The documents.
    pub fn docs(&self) -> &[ProtectedDoc] {
        &self.docs
    }

    /// Whether no document is protected.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Matches all units together (a document split across two messages still matches) and
    /// reports, per matched document, each unit that contributed.
    pub fn match_units(&self, units: &[UnitPrints]) -> Vec<DocHit> {
        if self.docs.is_empty() {
            return Vec::new();
        }
        let total: HashSet<u64> = units
            .iter()
            .flat_map(|u| u.prints.iter().map(|p| p.hash))
            .filter(|h| !self.common.contains(h))
            .collect();
        // doc -> shared distinct prints
        let mut shared: HashMap<u32, HashSet<u64>> = HashMap::new();
        for h in &total {
            for d in self.by_print.get(h).into_iter().flatten() {
                shared.entry(*d).or_default().insert(*h);
            }
        }
        let mut out = Vec::new();
        let mut copied: HashSet<u32> = HashSet::new();
        for (d, hs) in &shared {
            let containment = hs.len() as f64 / total.len().max(1) as f64;
            let ok = hs.len() >= MIN_SHARED_ABS
                || (hs.len() >= MIN_SHARED && containment >= self.containment);
            if !ok {
                continue;
            }
            copied.insert(*d);
            for (ui, u) in units.iter().enumerate() {
                let spans: Vec<_> = u.prints.iter().filter(|p| hs.contains(&p.hash)).collect();
                if let (Some(s), Some(e)) = (
                    spans.iter().map(|p| p.start).min(),
                    spans.iter().map(|p| p.end).max(),
                ) {
                    out.push(DocHit {
                        doc: *d as usize,
                        unit: ui,
                        start: s,
                        end: e,
                        kind: DocMatchKind::Copy,
                        score: containment,
                    });
                }
            }
        }
        self.summaries(units, &copied, &mut out);
        out.sort_by_key(|h| (h.doc, h.unit, h.start));
        out
    }

    /// Per document, the content-word positions the units' exposure shingles cover, however
    /// few: one 6-word chunk is no finding, but the chunks of a day add up (the gateway
    /// accumulates them).
    pub fn exposure(&self, units: &[UnitPrints]) -> Vec<palisade_core::DocExposure> {
        let mut covered: HashMap<u32, HashSet<u32>> = HashMap::new();
        let shared = units.iter().flat_map(|u| u.shingles.iter());
        for h in shared {
            for (d, pos) in self.by_shingle.get(h).into_iter().flatten() {
                let words = covered.entry(*d).or_default();
                // A shingle reveals each of its content words.
                for k in 0..fingerprint::EXPOSURE_K {
                    words.insert(pos.saturating_add(u32::try_from(k).unwrap_or(0)));
                }
            }
        }
        let mut out: Vec<palisade_core::DocExposure> = covered
            .into_iter()
            .filter_map(|(d, words)| {
                let doc = self.docs.get(d as usize)?;
                let mut covered: Vec<u32> = words.into_iter().collect();
                covered.sort_unstable();
                Some(palisade_core::DocExposure {
                    doc: doc.id.clone(),
                    covered,
                    total: u32::try_from(doc.content_words()).unwrap_or(u32::MAX),
                })
            })
            .collect();
        out.sort_by(|a, b| a.doc.cmp(&b.doc));
        out
    }

    fn summaries(&self, units: &[UnitPrints], copied: &HashSet<u32>, out: &mut Vec<DocHit>) {
        let mut present: HashMap<u32, HashSet<u64>> = HashMap::new();
        for u in units {
            for (t, _, _) in &u.terms {
                for (d, _) in self.by_term.get(t).into_iter().flatten() {
                    present.entry(*d).or_default().insert(*t);
                }
            }
        }
        for (d, terms) in present {
            let Some(doc) = self.docs.get(d as usize) else {
                continue;
            };
            if copied.contains(&d) || terms.len() < MIN_TERMS {
                continue;
            }
            let total: f32 = doc.salient.iter().map(|(_, w)| w).sum();
            let got: f32 = doc
                .salient
                .iter()
                .filter(|(t, _)| terms.contains(t))
                .map(|(_, w)| w)
                .sum();
            let score = f64::from(got / total.max(f32::EPSILON));
            if score < self.salient_overlap {
                continue;
            }
            for (ui, u) in units.iter().enumerate() {
                let hits: Vec<_> = u
                    .terms
                    .iter()
                    .filter(|(t, _, _)| terms.contains(t))
                    .collect();
                if let (Some(s), Some(e)) = (
                    hits.iter().map(|x| x.1).min(),
                    hits.iter().map(|x| x.2).max(),
                ) {
                    out.push(DocHit {
                        doc: d as usize,
                        unit: ui,
                        start: s,
                        end: e,
                        kind: DocMatchKind::Summary,
                        score,
                    });
                }
            }
        }
    }
}
