//! The secret scanner: one Aho-Corasick pass over all rule keywords (ASCII case-insensitive),
//! then each triggered rule's ASCII-only regex runs only in the merged windows around its
//! keyword hits, and entropy, validator and placeholder allowlist filter what it finds.

use crate::rules::{all_rules, entropy, is_placeholder, Family, SecretRule};
use crate::InspectError;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex_automata::{meta, util::syntax, Input};
use std::collections::HashMap;
use std::sync::OnceLock;

/// A rule hit: the rule and the byte range of the secret value (and of the whole match).
#[derive(Debug, Clone, Copy)]
pub struct SecretHit {
    /// The rule that matched.
    pub rule: &'static SecretRule,
    /// Start of the secret value.
    pub start: usize,
    /// End of the secret value (exclusive).
    pub end: usize,
}

/// Compiles an ASCII-only pattern (`(?-u)` semantics for the whole pattern).
pub(crate) fn compile_ascii(id: &str, pattern: &str) -> Result<meta::Regex, InspectError> {
    meta::Regex::builder()
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .configure(meta::Config::new().utf8_empty(false))
        .build(pattern)
        .map_err(|e| InspectError::Pattern {
            id: id.to_owned(),
            message: e.to_string(),
        })
}

type Compiled = Vec<(&'static SecretRule, meta::Regex)>;

/// All built-in rules compiled once per process (compilation is the slow part of loading).
fn compiled() -> Result<&'static Compiled, InspectError> {
    static CELL: OnceLock<Result<Compiled, String>> = OnceLock::new();
    let r = CELL.get_or_init(|| {
        all_rules()
            .into_iter()
            .map(|r| compile_ascii(r.id, r.pattern).map(|re| (r, re)))
            .collect::<Result<Compiled, _>>()
            .map_err(|e| e.to_string())
    });
    r.as_ref().map_err(|m| InspectError::Pattern {
        id: "builtin".into(),
        message: m.clone(),
    })
}

/// The compiled secret scanner for a set of enabled families.
pub struct SecretScanner {
    rules: Vec<&'static (&'static SecretRule, meta::Regex)>,
    keywords: AhoCorasick,
    /// The keywords, in pattern-id order (for the engine's combined pass).
    keyword_list: Vec<&'static str>,
    /// Keyword pattern id -> indices into `rules`.
    by_keyword: Vec<Vec<usize>>,
    generic_floor: f64,
    max_fwd: usize,
}

impl std::fmt::Debug for SecretScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretScanner({} rules)", self.rules.len())
    }
}

impl SecretScanner {
    /// Builds the scanner over the rules of `families`.
    pub fn new(families: &[Family], generic_floor: f64) -> Result<Self, InspectError> {
        let rules: Vec<_> = compiled()?
            .iter()
            .filter(|(r, _)| families.contains(&r.family))
            .collect();
        let mut kw_index: HashMap<&'static str, usize> = HashMap::new();
        let mut kws: Vec<&'static str> = Vec::new();
        let mut by_keyword: Vec<Vec<usize>> = Vec::new();
        for (i, (r, _)) in rules.iter().enumerate() {
            for k in r.keywords {
                let id = *kw_index.entry(k).or_insert_with(|| {
                    kws.push(k);
                    by_keyword.push(Vec::new());
                    kws.len() - 1
                });
                if let Some(v) = by_keyword.get_mut(id) {
                    v.push(i);
                }
            }
        }
        let keywords = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            // A full DFA: one table lookup per byte, several times faster than the NFA.
            .kind(Some(AhoCorasickKind::DFA))
            .match_kind(MatchKind::Standard)
            .build(&kws)
            .map_err(|e| InspectError::Pattern {
                id: "keywords".into(),
                message: e.to_string(),
            })?;
        let max_fwd = rules
            .iter()
            .map(|(r, _)| usize::from(r.fwd) + usize::from(r.back))
            .max()
            .unwrap_or(0);
        Ok(Self {
            rules,
            keywords,
            keyword_list: kws,
            by_keyword,
            generic_floor,
            max_fwd,
        })
    }

    /// Number of active rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether no rule is active.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The longest window any rule looks at (a lower bound for stream hold-back).
    pub fn max_window(&self) -> usize {
        self.max_fwd
    }

    /// The keywords, indexed like the keyword ids `scan_keyword_hits` takes.
    pub fn keywords(&self) -> &[&'static str] {
        &self.keyword_list
    }

    /// Finds every secret in `text`, value ranges in `text` coordinates.
    pub fn scan(&self, text: &str) -> Vec<SecretHit> {
        let hits: Vec<(usize, usize, usize)> = self
            .keywords
            .find_overlapping_iter(text.as_bytes())
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect();
        self.scan_keyword_hits(text, &hits)
    }

    /// Same as `scan`, given every (overlapping) occurrence of the keywords in `text` as
    /// (keyword id, start, end), found by a pass shared with other detectors.
    pub fn scan_keyword_hits(&self, text: &str, hits: &[(usize, usize, usize)]) -> Vec<SecretHit> {
        let hay = text.as_bytes();
        let mut cands: Vec<(usize, usize, usize)> = Vec::new();
        for &(kw, m_start, m_end) in hits {
            let Some(list) = self.by_keyword.get(kw) else {
                continue;
            };
            for &ri in list {
                if let Some((r, _)) = self.rules.get(ri) {
                    let s = m_start.saturating_sub(usize::from(r.back));
                    let e = (m_end + usize::from(r.fwd)).min(hay.len());
                    cands.push((ri, s, e));
                }
            }
        }
        if cands.is_empty() {
            return Vec::new();
        }
        cands.sort_unstable();
        let mut hits = Vec::new();
        let mut i = 0;
        while let Some(&(ri, mut s0, mut e0)) = cands.get(i) {
            s0 = s0.min(e0);
            i += 1;
            // Merge overlapping windows of the same rule so each byte is searched once.
            while let Some(&(rj, s, e)) = cands.get(i) {
                if rj != ri || s > e0 {
                    break;
                }
                e0 = e0.max(e);
                i += 1;
            }
            if let Some(rr) = self.rules.get(ri) {
                self.run_rule(rr, hay, s0, e0, &mut hits);
            }
        }
        hits.sort_by_key(|h: &SecretHit| (h.start, h.end));
        hits.dedup_by(|a, b| a.rule.id == b.rule.id && a.start == b.start && a.end == b.end);
        hits
    }

    fn run_rule(
        &self,
        (rule, re): &(&'static SecretRule, meta::Regex),
        hay: &[u8],
        start: usize,
        end: usize,
        out: &mut Vec<SecretHit>,
    ) {
        let input = Input::new(hay).span(start..end);
        // Most keyword windows (`key`, `token`, `password` in code) hold no match: a plain
        // match test is cheaper than the capture iterator, which allocates its slots per
        // window. Windows that do match run the same capture search as before.
        if !re.is_match(input.clone()) {
            return;
        }
        for caps in re.captures_iter(input) {
            // The first group that took part in the match is the value (rules with quoted and
            // bare alternatives have one group per alternative); no group means the whole match.
            let group = (1..caps.group_len()).find_map(|g| caps.get_group(g));
            let Some(span) = group.or_else(|| caps.get_group(0)) else {
                continue;
            };
            let Some(value) = hay.get(span.start..span.end) else {
                continue;
            };
            if entropy(value) * 10.0 < f64::from(rule.min_entropy_x10) {
                continue;
            }
            if !rule.validator.accepts(value, self.generic_floor) || is_placeholder(value) {
                continue;
            }
            out.push(SecretHit {
                rule,
                start: span.start,
                end: span.end,
            });
        }
    }
}
