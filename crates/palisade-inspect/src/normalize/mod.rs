//! Normalization of one text leaf into layers: the NFKC/stripped/folded text itself (layer 0)
//! plus the readable text of every base64/hex/percent run and escaped JSON string, decoded
//! recursively within bounds; what the bounds leave undecoded is recorded, never dropped.
//! Detectors run on every layer; `Layers::to_orig` maps a hit back to bytes of the original
//! leaf (a hit inside base64/hex/percent text maps to the whole encoded run, the only thing
//! that can be redacted; inside JSON escapes, to the escaped bytes themselves).

pub mod confusables;
pub mod decode;
pub mod masks;
pub mod offsets;
pub mod runs;
pub mod unicode;

pub use masks::TextMasks;
pub use offsets::OffsetMap;

/// One scannable text derived from a leaf.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The text detectors see.
    pub text: String,
    /// Map from `text` to what it was normalized from (the leaf for layer 0, the decoded
    /// bytes for the others).
    map: OffsetMap,
    /// For decoded layers: parent layer and the encoded run's range in it.
    parent: Option<(usize, usize, usize)>,
    /// For decodings that keep positions (JSON escapes): decoded bytes to the run, relative
    /// to its start. `None`: a hit anywhere maps to the whole run.
    decode_map: Option<OffsetMap>,
    /// Decoding depth (0 for the leaf itself).
    pub depth: u8,
    /// Class masks of `text`, kept from decoding for the detectors.
    masks: Option<TextMasks>,
}

impl Layer {
    /// The class masks of `text`, when decoding computed them.
    pub fn masks(&self) -> Option<&TextMasks> {
        self.masks.as_ref()
    }
}

/// Why a readable encoded run was left undecoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exhausted {
    /// It sits at the nesting limit (`max_decode_depth`).
    Depth,
    /// Its decoded text no longer fit the leaf's `max_decoded_bytes`.
    Size,
}

/// A readable encoded run that was not decoded: its text was not inspected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skipped {
    /// Which budget ran out.
    pub why: Exhausted,
    /// The layer holding the run.
    pub layer: usize,
    /// The run's range in that layer.
    pub start: usize,
    /// End of the run (exclusive).
    pub end: usize,
}

/// Skipped runs recorded per leaf: each becomes a finding, and one is enough to refuse the
/// leaf, so a text of thousands of runs does not make thousands of findings.
const MAX_SKIPPED: usize = 4;

/// All layers of one leaf.
#[derive(Debug, Clone)]
pub struct Layers {
    /// Layer 0 is the normalized leaf; the rest are decoded runs.
    pub layers: Vec<Layer>,
    /// Invisible characters removed from the leaf (hidden-text signal).
    pub invisible: usize,
    /// Readable runs left undecoded because a budget ran out (at most `MAX_SKIPPED`).
    pub skipped: Vec<Skipped>,
}

/// Every readable encoded run of `text`.
fn decodings(text: &str, masks: &TextMasks) -> Vec<decode::Decoded> {
    let mut found = Vec::new();
    decode::encoded_runs(text, masks, &mut found);
    decode::percent_runs(text, &mut found);
    decode::json_runs(text, &mut found);
    found
}

impl Layers {
    /// Normalizes `text` and decodes encoded runs up to `max_depth` levels and `max_bytes` total.
    /// A readable run that either limit leaves undecoded is recorded in `skipped`, never
    /// dropped silently; within a layer the shortest runs are decoded first, so one large blob
    /// cannot spend the budget that a short secret behind it needs.
    pub fn build(text: &str, max_depth: u8, max_bytes: usize) -> Self {
        let n = unicode::normalize(text);
        let mut layers = vec![Layer {
            text: n.text,
            map: n.map,
            parent: None,
            decode_map: None,
            depth: 0,
            masks: None,
        }];
        let mut skipped = Vec::new();
        let mut skip = |why, layer, d: &decode::Decoded| {
            if skipped.len() < MAX_SKIPPED {
                skipped.push(Skipped {
                    why,
                    layer,
                    start: d.start,
                    end: d.end,
                });
            }
        };
        let mut budget = max_bytes;
        let mut i = 0;
        while let Some(l) = layers.get_mut(i) {
            let depth = l.depth;
            let masks = TextMasks::new(l.text.as_bytes());
            let mut found = decodings(&l.text, &masks);
            l.masks = Some(masks);
            found.sort_by_key(|d| d.text.len());
            for d in found {
                if depth >= max_depth {
                    skip(Exhausted::Depth, i, &d);
                    continue;
                }
                if d.text.len() > budget {
                    skip(Exhausted::Size, i, &d);
                    continue;
                }
                budget -= d.text.len();
                let norm = unicode::normalize(&d.text);
                layers.push(Layer {
                    text: norm.text,
                    map: norm.map,
                    parent: Some((i, d.start, d.end)),
                    decode_map: d.map,
                    depth: depth + 1,
                    masks: None,
                });
            }
            i += 1;
        }
        Self {
            layers,
            invisible: n.invisible,
            skipped,
        }
    }

    /// Maps a range of layer `layer` to a range of the original leaf.
    pub fn to_orig(&self, layer: usize, start: usize, end: usize) -> (usize, usize) {
        let mut cur = layer;
        let (mut s, mut e) = (start, end);
        // Walk up the decode chain; bounded by the number of layers.
        for _ in 0..=self.layers.len() {
            let Some(l) = self.layers.get(cur) else {
                break;
            };
            let Some((p, ps, pe)) = l.parent else {
                return l.map.to_orig(s, e);
            };
            (s, e) = match &l.decode_map {
                Some(dm) => {
                    let (a, b) = l.map.to_orig(s, e);
                    let (a, b) = dm.to_orig(a, b);
                    ((ps + a).min(pe), (ps + b).min(pe))
                }
                None => (ps, pe),
            };
            cur = p;
        }
        (0, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn nested_encodings_map_back_to_the_outer_run() {
        let inner = base64::engine::general_purpose::STANDARD.encode("token AKIAQWERTYUIOPASDFGH");
        let outer = hex::encode(format!("payload {inner}"));
        let text = format!("see {outer} end");
        let l = Layers::build(&text, 3, 1 << 20);
        let deepest = l
            .layers
            .iter()
            .position(|x| x.text.contains("AKIAQWERTY"))
            .unwrap();
        assert_eq!(l.layers[deepest].depth, 2);
        let (s, e) = l.to_orig(deepest, 6, 10);
        assert_eq!(&text[s..e], outer);
        let shallow = Layers::build(&text, 1, 1 << 20);
        assert!(!shallow.layers.iter().any(|x| x.text.contains("AKIA")));
    }
}
