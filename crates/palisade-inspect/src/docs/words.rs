//! Word-level view of text for document fingerprints: lowercase alphanumeric words with their
//! byte spans, a stopword list (paraphrase mostly changes function words, so shingles are built
//! over content words only) and a common-word list that keeps salient terms rare.

/// A word and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Lowercased word.
    pub text: String,
    /// Start byte.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// Whether it was capitalized or contained a digit in the source (proper nouns, code names).
    pub marked: bool,
}

/// Splits text into words (runs of alphanumerics, with inner `-` and `'`).
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    let mut prev = ' ';
    let push = |s: usize, e: usize, out: &mut Vec<Word>| {
        if let Some(w) = text.get(s..e) {
            let w = w.trim_end_matches(['-', '\'']);
            if !w.is_empty() {
                out.push(Word {
                    text: w.to_lowercase(),
                    start: s,
                    end: s + w.len(),
                    marked: w.chars().next().is_some_and(char::is_uppercase)
                        || w.chars().any(|c| c.is_ascii_digit()),
                });
            }
        }
    };
    for (i, c) in text.char_indices() {
        let inner = (c == '-' || c == '\'') && prev.is_alphanumeric();
        if c.is_alphanumeric() || (inner && start.is_some()) {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            push(s, i, &mut out);
        }
        prev = c;
    }
    if let Some(s) = start {
        push(s, text.len(), &mut out);
    }
    out
}

const STOP: &[&str] = &[
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as",
    "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
    "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from",
    "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how",
    "i", "if", "in", "into", "is", "it", "its", "itself", "just", "may", "me", "might", "more",
    "most", "must", "my", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or",
    "other", "our", "ours", "out", "over", "own", "same", "shall", "she", "should", "so", "some",
    "such", "than", "that", "the", "their", "theirs", "them", "then", "there", "these", "they",
    "this", "those", "through", "to", "too", "under", "until", "up", "us", "very", "was", "we",
    "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
    "would", "you", "your", "yours", "s", "t", "will", "via", "per", "etc", "ie", "eg",
];

const COMMON: &[&str] = &[
    "able",
    "across",
    "already",
    "although",
    "always",
    "among",
    "another",
    "around",
    "based",
    "become",
    "best",
    "better",
    "big",
    "bring",
    "build",
    "built",
    "call",
    "case",
    "change",
    "clear",
    "come",
    "company",
    "complete",
    "current",
    "data",
    "day",
    "different",
    "done",
    "early",
    "end",
    "enough",
    "even",
    "every",
    "first",
    "following",
    "get",
    "give",
    "goal",
    "good",
    "great",
    "group",
    "help",
    "high",
    "however",
    "important",
    "include",
    "including",
    "increase",
    "keep",
    "key",
    "know",
    "large",
    "last",
    "later",
    "lead",
    "less",
    "like",
    "line",
    "long",
    "look",
    "low",
    "made",
    "main",
    "make",
    "many",
    "means",
    "much",
    "need",
    "new",
    "next",
    "number",
    "one",
    "part",
    "people",
    "place",
    "plan",
    "point",
    "possible",
    "process",
    "project",
    "provide",
    "put",
    "quarter",
    "question",
    "rather",
    "really",
    "result",
    "right",
    "run",
    "said",
    "say",
    "see",
    "set",
    "several",
    "show",
    "since",
    "small",
    "still",
    "support",
    "sure",
    "system",
    "take",
    "team",
    "thing",
    "think",
    "three",
    "time",
    "today",
    "two",
    "use",
    "used",
    "using",
    "want",
    "way",
    "week",
    "well",
    "within",
    "without",
    "work",
    "year",
    "years",
    "update",
    "review",
    "status",
    "summary",
    "note",
    "notes",
    "document",
    "section",
    "page",
];

/// Whether a word carries no content.
pub fn is_stop(w: &str) -> bool {
    w.len() < 2 || STOP.contains(&w)
}

/// Whether a word is too common to be a salient term.
pub fn is_common(w: &str) -> bool {
    w.len() < 4 || is_stop(w) || COMMON.contains(&w) || w.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_words_with_spans() {
        let t = "The Llama-5 plan's \"budget\": 12M.";
        let w = words(t);
        let texts: Vec<_> = w.iter().map(|x| x.text.as_str()).collect();
        assert_eq!(texts, ["the", "llama-5", "plan's", "budget", "12m"]);
        assert_eq!(&t[w[1].start..w[1].end], "Llama-5");
        assert!(w[1].marked && !w[3].marked);
        assert!(is_stop("the") && !is_stop("budget"));
        assert!(is_common("quarter") && !is_common("llama-5"));
    }
}
