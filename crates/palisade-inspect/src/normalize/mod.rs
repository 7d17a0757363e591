//! Normalization of one text leaf into layers: the NFKC/stripped text itself (layer 0) plus the
//! readable text of every base64/hex/percent run, decoded recursively within bounds. Detectors
//! run on every layer; `Layers::to_orig` maps a hit back to bytes of the original leaf (a hit
//! inside decoded text maps to the whole encoded run, the only thing that can be redacted).

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
    /// For layer 0: map to the original leaf.
    map: OffsetMap,
    /// For decoded layers: parent layer and the encoded run's range in it.
    parent: Option<(usize, usize, usize)>,
    /// Decoding depth (0 for the leaf itself).
    pub depth: u8,
    /// Class masks of `text`, kept from decoding for the detectors (none when the layer was
    /// not decoded because it is at the depth limit).
    masks: Option<TextMasks>,
}

impl Layer {
    /// The class masks of `text`, when decoding computed them.
    pub fn masks(&self) -> Option<&TextMasks> {
        self.masks.as_ref()
    }
}

/// All layers of one leaf.
#[derive(Debug, Clone)]
pub struct Layers {
    /// Layer 0 is the normalized leaf; the rest are decoded runs.
    pub layers: Vec<Layer>,
    /// Invisible characters removed from the leaf (hidden-text signal).
    pub invisible: usize,
}

impl Layers {
    /// Normalizes `text` and decodes encoded runs up to `max_depth` levels and `max_bytes` total.
    pub fn build(text: &str, max_depth: u8, max_bytes: usize) -> Self {
        let n = unicode::normalize(text);
        let mut layers = vec![Layer {
            text: n.text,
            map: n.map,
            parent: None,
            depth: 0,
            masks: None,
        }];
        let mut budget = max_bytes;
        let mut i = 0;
        while i < layers.len() {
            let depth = layers.get(i).map_or(u8::MAX, |l| l.depth);
            if depth >= max_depth {
                i += 1;
                continue;
            }
            let mut found = Vec::new();
            if let Some(l) = layers.get_mut(i) {
                let masks = TextMasks::new(l.text.as_bytes());
                decode::encoded_runs(&l.text, &masks, &mut found);
                decode::percent_runs(&l.text, &mut found);
                l.masks = Some(masks);
            }
            for d in found {
                if d.text.len() > budget {
                    // Out of budget: stop decoding rather than scan a truncated prefix.
                    budget = 0;
                    break;
                }
                budget -= d.text.len();
                let norm = unicode::normalize(&d.text);
                layers.push(Layer {
                    text: norm.text,
                    map: OffsetMap::default(),
                    parent: Some((i, d.start, d.end)),
                    depth: depth + 1,
                    masks: None,
                });
            }
            i += 1;
        }
        Self {
            layers,
            invisible: n.invisible,
        }
    }

    /// Maps a range of layer `layer` to a range of the original leaf.
    pub fn to_orig(&self, layer: usize, start: usize, end: usize) -> (usize, usize) {
        let mut cur = layer;
        let (mut s, mut e) = (start, end);
        // Walk up the decode chain; bounded by the number of layers.
        for _ in 0..=self.layers.len() {
            match self.layers.get(cur) {
                Some(Layer {
                    parent: Some((p, ps, pe)),
                    ..
                }) => {
                    cur = *p;
                    s = *ps;
                    e = *pe;
                }
                Some(l) => return l.map.to_orig(s, e),
                None => break,
            }
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
