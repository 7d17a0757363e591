//! An API's envelope: the exact path patterns of its protocol structure (exempt strings,
//! embedded payloads, provider-fetched URLs), compiled once into a trie so the walker looks a
//! step up in constant time instead of matching every pattern at every member.

use super::walk::Seg;
use palisade_core::LeafKind;
use serde_json::Value;
use std::sync::OnceLock;

/// What one API's envelope looks like, as exact path patterns: `/`-separated member names
/// from the root, `*` for one array index (never for a member name).
pub(crate) struct Envelope {
    /// String values that are protocol structure (roles, part types, enumerations), not text.
    /// Exempt only when the value is a short identifier token: free text in such a position
    /// is inspected anyway.
    pub exempt: &'static [&'static str],
    /// Embedded payloads (`data:` URL or bare base64), with the media type assumed when the
    /// payload does not claim one (`None`: sniff for text).
    pub payloads: &'static [(&'static str, Option<&'static str>)],
    /// URLs the provider fetches itself: inspected as text and signalled as provider egress.
    pub remote: &'static [&'static str],
    /// The role of the text at a path.
    pub kind: fn(&Value, &[Seg<'_>]) -> LeafKind,
    trie: OnceLock<Node>,
}

/// One position of the envelope: what a string there is, and the positions below it.
#[derive(Debug, Default)]
pub(crate) struct Node {
    keys: Vec<(&'static str, Node)>,
    star: Option<Box<Node>>,
    /// A string here is structure (if it is a token).
    pub exempt: bool,
    /// A string here is an embedded payload, with its assumed media type.
    pub payload: Option<Option<&'static str>>,
    /// A string here is a URL the provider fetches.
    pub remote: bool,
}

impl Node {
    /// The position one step below, if the envelope has one there.
    pub(crate) fn step(&self, seg: Seg<'_>) -> Option<&Node> {
        match seg {
            Seg::Key(k) => self.keys.iter().find(|(n, _)| *n == k).map(|(_, n)| n),
            Seg::Idx(_) => self.star.as_deref(),
        }
    }

    fn insert(&mut self, pattern: &'static str) -> &mut Node {
        pattern.split('/').skip(1).fold(self, |node, tok| {
            if tok == "*" {
                node.star.get_or_insert_with(Box::default)
            } else {
                let at = match node.keys.iter().position(|(n, _)| *n == tok) {
                    Some(i) => i,
                    None => {
                        node.keys.push((tok, Node::default()));
                        node.keys.len() - 1
                    }
                };
                &mut node.keys[at].1
            }
        })
    }
}

impl Envelope {
    /// An envelope from its tables.
    pub(crate) const fn new(
        exempt: &'static [&'static str],
        payloads: &'static [(&'static str, Option<&'static str>)],
        remote: &'static [&'static str],
        kind: fn(&Value, &[Seg<'_>]) -> LeafKind,
    ) -> Self {
        Self {
            exempt,
            payloads,
            remote,
            kind,
            trie: OnceLock::new(),
        }
    }

    /// The root of the compiled trie.
    pub(crate) fn root(&self) -> &Node {
        self.trie.get_or_init(|| {
            let mut root = Node::default();
            for p in self.exempt {
                root.insert(p).exempt = true;
            }
            for (p, media) in self.payloads {
                root.insert(p).payload = Some(*media);
            }
            for p in self.remote {
                root.insert(p).remote = true;
            }
            root
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn other(_: &Value, _: &[Seg<'_>]) -> LeafKind {
        LeafKind::Other
    }

    #[test]
    fn patterns_are_exact_and_star_is_an_index() {
        static ENV: Envelope = Envelope::new(&["/items/*/type"], &[], &["/u"], other);
        let root = ENV.root();
        let items = root.step(Seg::Key("items")).unwrap();
        assert!(
            items.step(Seg::Key("0")).is_none(),
            "`*` is not a member name"
        );
        let item = items.step(Seg::Idx(3)).unwrap();
        assert!(!item.exempt);
        let ty = item.step(Seg::Key("type")).unwrap();
        assert!(ty.exempt && !ty.remote && ty.payload.is_none());
        assert!(ty.step(Seg::Key("x")).is_none());
        assert!(root.step(Seg::Key("u")).unwrap().remote);
        assert!(root.step(Seg::Key("type")).is_none());
    }
}
