//! Exact data match for the organization's own records (payroll): the CSV is loaded as keyed
//! token hashes only — no plaintext is kept in memory or on disk. A hit needs a primary field
//! (employee id) plus corroborating fields (name, salary) within a window around it.

use crate::config::{ColumnRole, EdmConfig};
use crate::hash::Keyed;
use crate::state::{inspect_dir, read_json, write_json};
use crate::InspectError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// The persisted index: hashes only.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EdmIndex {
    /// Hash of a fixed string under the token key: detects a key mismatch at load.
    key_check: u64,
    /// Per row: primary hashes then corroborating hashes.
    rows: Vec<EdmRow>,
    /// Length bounds of normalized primary values (cheap filter before hashing a token).
    primary_min: usize,
    primary_max: usize,
    /// Whether every primary value contains a digit.
    primary_digit: bool,
    /// Longest corroborating value in words (n-gram size to try).
    max_words: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct EdmRow {
    p: Vec<u64>,
    c: Vec<u64>,
}

/// An EDM hit: span from primary to the farthest corroborating field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdmHit {
    /// Start.
    pub start: usize,
    /// End (exclusive).
    pub end: usize,
    /// Hash of the matched primary value (for the finding's value hash input).
    pub primary: u64,
    /// Corroborating fields found.
    pub corroborating: usize,
}

/// Loaded matcher.
#[derive(Debug)]
pub struct EdmMatcher {
    index: EdmIndex,
    primary: HashMap<u64, Vec<u32>>,
    min_corroborating: usize,
    window: usize,
}

/// Canonical form of a cell or token: lowercase, single spaces; numbers without `$ , _` and
/// without a zero fraction, so `$125,000.00` and `125000` agree.
pub fn normalize_value(s: &str) -> String {
    // Cells get the inspector's folding (NFKC, confusables) so they agree with inspected text.
    let folded;
    let s = if s.is_ascii() {
        s
    } else {
        folded = crate::normalize::unicode::normalize(s).text;
        folded.as_str()
    };
    let t = s.trim().trim_matches(|c: char| c == '"' || c == '\'');
    let numeric: String = t
        .chars()
        .filter(|c| !matches!(c, '$' | ',' | '_' | '€' | '£'))
        .collect();
    if !numeric.is_empty()
        && numeric.chars().all(|c| c.is_ascii_digit() || c == '.')
        && numeric.chars().filter(|c| *c == '.').count() <= 1
        && numeric.chars().any(|c| c.is_ascii_digit())
    {
        let n = numeric.trim_end_matches(".00").trim_end_matches(".0");
        let n = n.trim_start_matches('0');
        return if n.is_empty() {
            "0".into()
        } else {
            n.to_owned()
        };
    }
    t.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Minimal RFC 4180 CSV line splitter (quoted fields, doubled quotes).
pub fn split_csv_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn edm_file(data_dir: &Path) -> std::path::PathBuf {
    inspect_dir(data_dir).join("edm.json")
}

const KEY_CHECK: &[u8] = b"palisade-inspect/edm-key-check";

/// Builds the hashed index from the configured CSV (plaintext is dropped row by row).
pub fn build_index(cfg: &EdmConfig, keyed: &Keyed) -> Result<EdmIndex, InspectError> {
    let text = std::fs::read_to_string(&cfg.csv).map_err(|e| InspectError::io(&cfg.csv, e))?;
    let csv_err = |line: usize, m: &str| InspectError::EdmCsv {
        path: cfg.csv.clone(),
        line,
        message: m.to_owned(),
    };
    let mut lines = text.lines();
    let header = split_csv_line(lines.next().ok_or_else(|| csv_err(1, "empty file"))?);
    let roles: Vec<ColumnRole> = header
        .iter()
        .map(|h| {
            cfg.columns
                .get(h.trim())
                .copied()
                .unwrap_or(ColumnRole::Ignore)
        })
        .collect();
    for name in cfg.columns.keys() {
        if !header.iter().any(|h| h.trim() == name) {
            return Err(csv_err(1, &format!("column `{name}` not in header")));
        }
    }
    let mut idx = EdmIndex {
        key_check: keyed.token(KEY_CHECK),
        rows: Vec::new(),
        primary_min: usize::MAX,
        primary_max: 0,
        primary_digit: true,
        max_words: 1,
    };
    for (n, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let cells = split_csv_line(line);
        if cells.len() != header.len() {
            return Err(csv_err(n + 2, "wrong number of fields"));
        }
        let mut row = EdmRow {
            p: Vec::new(),
            c: Vec::new(),
        };
        for (cell, role) in cells.iter().zip(&roles) {
            // Tokenize cells exactly as scanned text is tokenized, so both sides agree.
            let v = tokens(cell, 0, cell.len())
                .into_iter()
                .map(|t| t.norm)
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            if v.is_empty() {
                continue;
            }
            match role {
                ColumnRole::Primary => {
                    idx.primary_min = idx.primary_min.min(v.len());
                    idx.primary_max = idx.primary_max.max(v.len());
                    idx.primary_digit &= v.bytes().any(|b| b.is_ascii_digit());
                    row.p.push(keyed.token(v.as_bytes()));
                }
                ColumnRole::Corroborating => {
                    idx.max_words = idx.max_words.max(v.split(' ').count().min(4));
                    row.c.push(keyed.token(v.as_bytes()));
                }
                ColumnRole::Ignore => {}
            }
        }
        if !row.p.is_empty() {
            idx.rows.push(row);
        }
    }
    if idx.rows.is_empty() {
        return Err(csv_err(1, "no rows with a primary field"));
    }
    Ok(idx)
}

/// `palisade inspect edm load`: hashes the CSV into `<data_dir>/inspect/edm.json`; returns rows.
pub fn edm_load(
    data_dir: &Path,
    cfg: &EdmConfig,
    hash_key: [u8; 32],
) -> Result<usize, InspectError> {
    let keyed = Keyed::new(hash_key);
    let idx = build_index(cfg, &keyed)?;
    write_json(&edm_file(data_dir), &idx)?;
    Ok(idx.rows.len())
}

struct Tok {
    start: usize,
    end: usize,
    norm: String,
}

fn tokens(text: &str, from: usize, to: usize) -> Vec<Tok> {
    let mut out = Vec::new();
    token_spans(text, from, to, &mut |s, e, t| {
        out.push(Tok {
            start: s,
            end: e,
            norm: normalize_value(t),
        })
    });
    out
}

/// Bytes that make up a token (plus the thousands separator in `125,000`).
pub(crate) fn is_token_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'@' | b'\'' | b'$') || c >= 0x80
}

/// The raw spans of `tokens` (before normalization, which allocates).
pub(crate) fn token_spans(
    text: &str,
    from: usize,
    to: usize,
    f: &mut dyn FnMut(usize, usize, &str),
) {
    let b = text.as_bytes();
    let mut i = from;
    let inner = is_token_byte;
    while i < to {
        if !b.get(i).copied().is_some_and(inner) {
            i += 1;
            continue;
        }
        let s = i;
        while i < to {
            match b.get(i).copied() {
                Some(c) if inner(c) => i += 1,
                // Thousands separator: `125,000`.
                Some(b',')
                    if b.get(i + 1..i + 4)
                        .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
                        && !b.get(i + 4).is_some_and(u8::is_ascii_digit)
                        && i > s
                        && b.get(i - 1).is_some_and(u8::is_ascii_digit) =>
                {
                    i += 1
                }
                _ => break,
            }
        }
        let mut e = i;
        while e > s && matches!(b.get(e - 1), Some(b'.' | b'-' | b'\'' | b'_')) {
            e -= 1;
        }
        if let Some(t) = text.get(s..e) {
            f(s, e, t);
        }
    }
}

impl EdmMatcher {
    /// Loads the index for `cfg`: from the data dir if `edm_load` ran, else hashed from the CSV.
    pub fn load(cfg: &EdmConfig, data_dir: &Path, keyed: &Keyed) -> Result<Self, InspectError> {
        let path = edm_file(data_dir);
        let index = match read_json::<EdmIndex>(&path)? {
            Some(i) if i.key_check == keyed.token(KEY_CHECK) => i,
            Some(_) => {
                return Err(InspectError::CorruptState {
                    path,
                    message: "edm index was built under a different hash key; run edm load again"
                        .into(),
                })
            }
            None => build_index(cfg, keyed)?,
        };
        let mut primary: HashMap<u64, Vec<u32>> = HashMap::new();
        for (i, r) in index.rows.iter().enumerate() {
            for p in &r.p {
                primary
                    .entry(*p)
                    .or_default()
                    .push(u32::try_from(i).unwrap_or(u32::MAX));
            }
        }
        Ok(Self {
            index,
            primary,
            min_corroborating: cfg.min_corroborating.max(1),
            window: cfg.window,
        })
    }

    /// Number of indexed rows.
    pub fn rows(&self) -> usize {
        self.index.rows.len()
    }

    /// Finds records in `text`.
    pub fn scan(&self, text: &str, keyed: &Keyed) -> Vec<EdmHit> {
        let ix = &self.index;
        let mut out: Vec<EdmHit> = Vec::new();
        // A normalized token has an ASCII digit exactly when the raw token has one
        // (`normalize_value` only strips symbols, leading zeros and zero fractions, keeping at
        // least one digit, or lowercases), so digit-less tokens skip the allocation.
        let mut primary_toks = Vec::new();
        let spans = if ix.primary_digit {
            super::edm_digits::digit_token_spans
        } else {
            token_spans
        };
        spans(text, 0, text.len(), &mut |s, e, t| {
            // For an ASCII token the normalized form is never longer than the token.
            let too_short = t.is_ascii() && t.len() < ix.primary_min;
            if !too_short && (!ix.primary_digit || t.bytes().any(|b| b.is_ascii_digit())) {
                primary_toks.push(Tok {
                    start: s,
                    end: e,
                    norm: normalize_value(t),
                });
            }
        });
        for t in primary_toks {
            let n = &t.norm;
            if n.len() < ix.primary_min || n.len() > ix.primary_max {
                continue;
            }
            if ix.primary_digit && !n.bytes().any(|b| b.is_ascii_digit()) {
                continue;
            }
            let h = keyed.token(n.as_bytes());
            let Some(rows) = self.primary.get(&h) else {
                continue;
            };
            if out.iter().any(|o| o.start <= t.start && t.end <= o.end) {
                continue;
            }
            let (ws, we) = (
                t.start.saturating_sub(self.window),
                (t.end + self.window).min(text.len()),
            );
            let near = tokens(text, ws, we);
            // Candidate hashes: single tokens and n-grams (names span several words).
            let mut cands: Vec<(u64, usize, usize)> = Vec::new();
            for i in 0..near.len() {
                let mut joined = String::new();
                for j in i..(i + ix.max_words).min(near.len()) {
                    let (Some(first), Some(cur)) = (near.get(i), near.get(j)) else {
                        break;
                    };
                    if j > i {
                        joined.push(' ');
                    }
                    joined.push_str(&cur.norm);
                    cands.push((keyed.token(joined.as_bytes()), first.start, cur.end));
                }
            }
            for &ri in rows {
                let Some(row) = ix.rows.get(ri as usize) else {
                    continue;
                };
                let mut found = 0;
                let (mut s, mut e) = (t.start, t.end);
                for c in &row.c {
                    if let Some(&(_, cs, ce)) = cands.iter().find(|(h, _, _)| h == c) {
                        found += 1;
                        s = s.min(cs);
                        e = e.max(ce);
                    }
                }
                if found >= self.min_corroborating {
                    out.push(EdmHit {
                        start: s,
                        end: e,
                        primary: h,
                        corroborating: found,
                    });
                    break;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn cfg(dir: &Path) -> EdmConfig {
        let csv = dir.join("emp.csv");
        std::fs::write(
            &csv,
            "employee_id,name,salary,dept\nE100234,Jane Q. Smith,\"$125,000\",R&D\nE100235,Bob Lee,98000,Ops\n",
        )
        .unwrap();
        EdmConfig {
            csv,
            columns: BTreeMap::from([
                ("employee_id".into(), ColumnRole::Primary),
                ("name".into(), ColumnRole::Corroborating),
                ("salary".into(), ColumnRole::Corroborating),
            ]),
            min_corroborating: 1,
            window: 200,
        }
    }

    #[test]
    fn needs_primary_plus_corroboration_and_keeps_no_plaintext() {
        let dir = tempfile::tempdir().unwrap();
        let c = cfg(dir.path());
        let keyed = Keyed::new([7; 32]);
        assert_eq!(edm_load(dir.path(), &c, [7; 32]).unwrap(), 2);
        let stored = std::fs::read_to_string(dir.path().join("inspect/edm.json")).unwrap();
        assert!(
            !stored.contains("Smith") && !stored.contains("E100234") && !stored.contains("125")
        );
        let m = EdmMatcher::load(&c, dir.path(), &keyed).unwrap();
        let hits = m.scan("row: E100234 | Jane Q. Smith | 125,000.00 | R&D", &keyed);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].corroborating, 2);
        assert!(m.scan("ticket E100234 was closed", &keyed).is_empty());
        assert!(m.scan("Jane Q. Smith earns 125000", &keyed).is_empty());
        assert_eq!(m.scan("E100235,Bob Lee,98000,Ops", &keyed).len(), 1);
        // A different key cannot use the stored index.
        assert!(EdmMatcher::load(&c, dir.path(), &Keyed::new([8; 32])).is_err());
    }
}
