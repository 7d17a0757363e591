//! One Aho-Corasick DFA over every literal the engine looks for — the secret rules' keywords,
//! classification markers and code names, and canary tokens — walked once per layer by a plain
//! loop. The separate scanners each made their own pass (overlapping keywords, leftmost-longest
//! markers, case-sensitive canaries); here one overlapping, ASCII-case-insensitive walk finds
//! every occurrence (of each literal's first bytes, the rest compared at the hit) and each
//! scanner's own semantics are rebuilt from that set exactly:
//! overlapping keyword hits as they are, leftmost-longest selection for markers, and
//! leftmost-longest over exact (case-sensitive) matches for canaries.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, StartKind};

/// Occurrences of one kind of literal: (index within its list, start, end).
pub type Occurrences = Vec<(usize, usize, usize)>;

/// What one walk found, split by kind.
#[derive(Debug, Default)]
pub struct PassHits {
    /// Secret keyword occurrences, overlapping (keyword index in the secret scanner).
    pub keywords: Occurrences,
    /// Marker/code-name occurrences, overlapping and unfiltered (index in markers ++ code names).
    pub markers: Occurrences,
    /// Canary token occurrences, case-insensitive and overlapping (index in the token list).
    pub canaries: Occurrences,
    /// Injection phrase occurrences, overlapping (index in the phrase list).
    pub phrases: Occurrences,
}

/// How many leading bytes of each literal the automaton holds. The rest is compared at each
/// prefix hit: full literals made a ~1 MiB table that no longer fit the core's caches; their
/// 4-byte prefixes make one several times smaller, and a hit costs a short comparison.
const PREFIX: usize = 6;

/// The combined automaton.
pub struct CombinedPass {
    dfa: DFA,
    start: StateID,
    n_keywords: usize,
    n_markers: usize,
    n_canaries: usize,
    /// Every literal (keywords, markers, canaries, phrases in that order).
    literals: Vec<Vec<u8>>,
    /// Automaton pattern id (a distinct lowercase prefix) -> literal ids starting with it.
    by_prefix: Vec<Vec<usize>>,
    /// Length of the longest automaton pattern.
    max_len: usize,
}

impl std::fmt::Debug for CombinedPass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CombinedPass({} patterns, {} KiB)",
            self.dfa.patterns_len(),
            self.dfa.memory_usage() / 1024
        )
    }
}

impl CombinedPass {
    /// Builds the DFA; `None` when it cannot be built (the engine then keeps the separate
    /// scanners, which give the same results, only slower) or when a literal is empty.
    pub fn new(
        keywords: &[&str],
        markers: &[&str],
        canaries: &[&str],
        phrases: &[&str],
    ) -> Option<Self> {
        let all: Vec<&str> = keywords
            .iter()
            .chain(markers)
            .chain(canaries)
            .chain(phrases)
            .copied()
            .collect();
        if all.iter().any(|p| p.is_empty()) {
            return None;
        }
        let mut prefix_id: std::collections::HashMap<Vec<u8>, usize> = Default::default();
        let mut prefixes: Vec<Vec<u8>> = Vec::new();
        let mut by_prefix: Vec<Vec<usize>> = Vec::new();
        for (li, lit) in all.iter().enumerate() {
            let p = lit
                .as_bytes()
                .get(..PREFIX.min(lit.len()))?
                .to_ascii_lowercase();
            let id = *prefix_id.entry(p.clone()).or_insert_with(|| {
                prefixes.push(p);
                by_prefix.push(Vec::new());
                prefixes.len() - 1
            });
            by_prefix.get_mut(id)?.push(li);
        }
        let dfa = aho_corasick::dfa::Builder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            // The walk below never skips ahead, so start states need not be special.
            .prefilter(false)
            .build(&prefixes)
            .ok()?;
        let start = dfa.start_state(Anchored::No).ok()?;
        Some(Self {
            dfa,
            start,
            n_keywords: keywords.len(),
            n_markers: markers.len(),
            n_canaries: canaries.len(),
            literals: all.iter().map(|l| l.as_bytes().to_vec()).collect(),
            by_prefix,
            max_len: prefixes.iter().map(Vec::len).max().unwrap_or(0),
        })
    }

    /// Every occurrence of every literal in `hay` (all overlapping matches).
    ///
    /// A DFA walk is bound by the latency of one dependent table load per byte, so long texts
    /// are cut into `LANES` pieces walked in lockstep (independent loads overlap). Each piece
    /// after the first starts `max_len - 1` bytes early so that a literal crossing the cut is
    /// seen whole, and reports only occurrences ending after the cut (the previous piece
    /// reported the others).
    pub fn scan(&self, hay: &[u8], out: &mut PassHits) {
        const LANES: usize = 4;
        let n = hay.len();
        let overlap = self.max_len.saturating_sub(1);
        let chunk = n.div_ceil(LANES);
        if n < 4096 || chunk <= overlap {
            self.walk(hay, 0, n, 0, out);
            return;
        }
        let cut: [usize; LANES] = std::array::from_fn(|k| (k * chunk).min(n));
        let from: [usize; LANES] =
            std::array::from_fn(|k| cut[k].saturating_sub(if k == 0 { 0 } else { overlap }));
        let lanes: [&[u8]; LANES] = std::array::from_fn(|k| {
            let to = cut.get(k + 1).copied().unwrap_or(n);
            hay.get(from[k]..to).unwrap_or_default()
        });
        let common = lanes.iter().map(|l| l.len()).min().unwrap_or(0);
        let mut sid = [self.start; LANES];
        for i in 0..common {
            for k in 0..LANES {
                // `i < common <= lanes[k].len()`: the fallback byte is never used.
                let b = lanes[k].get(i).copied().unwrap_or(0);
                sid[k] = self.step(hay, sid[k], b, from[k] + i + 1, cut[k], out);
            }
        }
        for k in 0..LANES {
            let mut s = sid[k];
            for (i, &b) in lanes[k].iter().enumerate().skip(common) {
                s = self.step(hay, s, b, from[k] + i + 1, cut[k], out);
            }
        }
    }

    /// Walks `hay[from..to]` from the start state, reporting occurrences ending after `after`.
    fn walk(&self, hay: &[u8], from: usize, to: usize, after: usize, out: &mut PassHits) {
        let mut sid = self.start;
        for (i, &b) in hay.get(from..to).unwrap_or_default().iter().enumerate() {
            sid = self.step(hay, sid, b, from + i + 1, after, out);
        }
    }

    /// One transition; reports the occurrences whose prefix ends at `end` (exclusive) when
    /// `end > after`.
    #[inline(always)]
    fn step(
        &self,
        hay: &[u8],
        sid: StateID,
        b: u8,
        end: usize,
        after: usize,
        out: &mut PassHits,
    ) -> StateID {
        let dfa = &self.dfa;
        let next = dfa.next_state(Anchored::No, sid, b);
        // Dead states are unreachable in an unanchored standard automaton and never match.
        if dfa.is_special(next) && dfa.is_match(next) && end > after {
            self.report(hay, next, end, out);
        }
        next
    }

    /// Checks the literals behind each prefix ending at `end` and records those that occur.
    #[cold]
    fn report(&self, hay: &[u8], sid: StateID, end: usize, out: &mut PassHits) {
        let dfa = &self.dfa;
        for k in 0..dfa.match_len(sid) {
            let p = dfa.match_pattern(sid, k);
            let start = end.saturating_sub(dfa.pattern_len(p));
            for &li in self.by_prefix.get(p.as_usize()).into_iter().flatten() {
                let Some(lit) = self.literals.get(li) else {
                    continue;
                };
                let lit_end = start + lit.len();
                if !hay
                    .get(start..lit_end)
                    .is_some_and(|w| w.eq_ignore_ascii_case(lit))
                {
                    continue;
                }
                let occ = (start, lit_end);
                if li < self.n_keywords {
                    out.keywords.push((li, occ.0, occ.1));
                } else if li < self.n_keywords + self.n_markers {
                    out.markers.push((li - self.n_keywords, occ.0, occ.1));
                } else if li < self.n_keywords + self.n_markers + self.n_canaries {
                    let c = li - self.n_keywords - self.n_markers;
                    out.canaries.push((c, occ.0, occ.1));
                } else {
                    let c = li - self.n_keywords - self.n_markers - self.n_canaries;
                    out.phrases.push((c, occ.0, occ.1));
                }
            }
        }
    }
}

/// Leftmost-longest selection over a set of (possibly overlapping) occurrences: what an
/// Aho-Corasick `LeftmostLongest` search reports, where the earliest-added pattern wins a tie.
pub fn leftmost_longest(mut occ: Occurrences) -> Occurrences {
    occ.sort_unstable_by_key(|&(p, s, e)| (s, std::cmp::Reverse(e), p));
    let mut out: Occurrences = Vec::new();
    let mut next = 0;
    for o in occ {
        if o.1 >= next {
            next = o.2;
            out.push(o);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_overlapping_occurrence_by_kind() {
        let p = CombinedPass::new(
            &["sk-", "sk-proj-"],
            &["CONFIDENTIAL"],
            &["AKIAxyz"],
            &["z"],
        )
        .unwrap();
        let mut h = PassHits::default();
        p.scan(b"key sk-proj-1 is Confidential; akiaXYZ AKIAxyz", &mut h);
        assert_eq!(h.phrases, vec![(0, 37, 38), (0, 45, 46)]);
        assert_eq!(h.keywords, vec![(0, 4, 7), (1, 4, 12)]);
        assert_eq!(h.markers, vec![(0, 17, 29)]);
        assert_eq!(h.canaries, vec![(0, 31, 38), (0, 39, 46)]);
        assert!(CombinedPass::new(&[""], &[], &[], &[]).is_none());
    }

    #[test]
    fn lanes_report_exactly_what_one_walk_reports() {
        let kws = ["sk-", "ghp_", "password", "key"];
        let p = CombinedPass::new(&kws, &["confidential"], &["AKIA1234567890ABCDEF"], &[]).unwrap();
        let unit = "xx password=abc sk-1 Confidential ghp_ AKIA1234567890ABCDEF key ";
        for reps in [1usize, 100, 173, 400] {
            let hay = unit.repeat(reps);
            // Shift by one byte so literals straddle the lane cuts at varying offsets.
            for shift in 0..unit.len() {
                let h = hay.get(shift..).unwrap().as_bytes();
                let mut lanes = PassHits::default();
                p.scan(h, &mut lanes);
                let mut one = PassHits::default();
                p.walk(h, 0, h.len(), 0, &mut one);
                for (a, b) in [
                    (&mut lanes.phrases, &mut one.phrases),
                    (&mut lanes.keywords, &mut one.keywords),
                    (&mut lanes.markers, &mut one.markers),
                    (&mut lanes.canaries, &mut one.canaries),
                ] {
                    a.sort_unstable();
                    b.sort_unstable();
                    assert_eq!(a, b, "reps {reps} shift {shift}");
                }
                let ac = aho_corasick::AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(kws)
                    .unwrap();
                assert_eq!(one.keywords.len(), ac.find_overlapping_iter(h).count());
            }
        }
    }

    #[test]
    fn leftmost_longest_matches_aho_corasick() {
        let pats = ["internal", "internal only", "only x", "y"];
        let hay = "internal only x internal y";
        let p = CombinedPass::new(&[], &pats, &[], &[]).unwrap();
        let mut h = PassHits::default();
        p.scan(hay.as_bytes(), &mut h);
        let ours = leftmost_longest(h.markers);
        let ac = aho_corasick::AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(pats)
            .unwrap();
        let theirs: Vec<_> = ac
            .find_iter(hay)
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect();
        assert_eq!(ours, theirs);
    }
}
