//! The inspection engine: loads every detector once (rules, EDM index, canaries, protected
//! documents from the data dir), scans each leaf's normalized layers, maps hits back to the
//! original bytes, hashes values under the deployment key and applies the configured action
//! per data class. The gateway (inline) and `palisade inspect` (offline) share this one engine.

use crate::config::InspectConfig;
use crate::detect::canary::{load_canaries, CanarySet};
use crate::detect::combined::{CombinedPass, PassHits};
use crate::detect::edm::EdmMatcher;
use crate::detect::injection::InjectionScanner;
use crate::detect::markers::MarkerScanner;
use crate::detect::pii::PiiScanner;
use crate::detect::secrets::SecretScanner;
use crate::docs::{load_docs, DocIndex, DocMatchKind, UnitPrints};
use crate::hash::Keyed;
use crate::normalize::{unicode, Layers, TextMasks};
use crate::redact::decide;
use crate::InspectError;
use palisade_core::{
    Confidence, DataClass, Exchange, Finding, Inspection, Inspector, LeafKind, Severity,
    StreamScanner, TextLeaf,
};
use std::path::Path;
use std::sync::Arc;

/// The loaded engine; cheap to clone (shared state behind an `Arc`).
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) cfg: InspectConfig,
    pub(crate) keyed: Keyed,
    secrets: SecretScanner,
    pii: PiiScanner,
    edm: Option<EdmMatcher>,
    markers: Option<MarkerScanner>,
    canaries: CanarySet,
    docs: DocIndex,
    injection: Option<InjectionScanner>,
    /// One walk for keywords, markers and canaries (`None`: each scanner walks on its own).
    combined: Option<CombinedPass>,
    /// The same plus the injection phrases, for the leaf kinds injection applies to (a
    /// separate automaton so the others walk a smaller, more cache-friendly table).
    combined_injection: Option<CombinedPass>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.stats();
        f.debug_struct("Engine")
            .field("secret_rules", &s.secret_rules)
            .field("canaries", &s.canaries)
            .field("protected_documents", &s.protected_documents)
            .field("edm_rows", &s.edm_rows)
            .finish()
    }
}

/// What the engine loaded (for `palisade inspect --stats` and startup logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineStats {
    /// Active secret rules.
    pub secret_rules: usize,
    /// Recorded canaries.
    pub canaries: usize,
    /// Protected documents.
    pub protected_documents: usize,
    /// Exact-data-match rows.
    pub edm_rows: usize,
}

/// The detector of a readable encoded run left undecoded by the nesting or size budget.
pub const DECODE_BUDGET_EXHAUSTED: &str = "decode-budget-exhausted";

/// A finding before its path is attached.
struct Raw {
    detector: String,
    class: DataClass,
    layer: usize,
    start: usize,
    end: usize,
    confidence: Confidence,
    severity: Severity,
}

impl Engine {
    /// Loads the engine: compiles rules, reads canaries, protected documents and the EDM index
    /// from `data_dir`, and keys all hashing with `hash_key` (the per-deployment key).
    pub fn load(
        config: &InspectConfig,
        data_dir: &Path,
        hash_key: [u8; 32],
    ) -> Result<Self, InspectError> {
        config.validate()?;
        let keyed = Keyed::new(hash_key);
        let edm = match &config.edm {
            Some(e) => Some(EdmMatcher::load(e, data_dir, &keyed)?),
            None => None,
        };
        let secrets = SecretScanner::new(&config.families, config.generic_min_entropy)?;
        // Inspected text is folded (NFKC, confusables), so the configured words must be too, or
        // a code name written in Cyrillic or Greek could never match.
        let fold = |v: &[String]| -> Vec<String> {
            v.iter().map(|m| unicode::normalize(m).text).collect()
        };
        let markers = MarkerScanner::new(&fold(&config.markers), &fold(&config.code_names))?;
        let canaries = CanarySet::new(load_canaries(data_dir)?)?;
        let marker_pats: Vec<&str> = markers
            .as_ref()
            .map(|m| m.patterns().iter().map(String::as_str).collect())
            .unwrap_or_default();
        let canary_pats: Vec<&str> = canaries.tokens().iter().map(String::as_str).collect();
        let combined = CombinedPass::new(secrets.keywords(), &marker_pats, &canary_pats, &[]);
        let combined_injection = if config.injection {
            CombinedPass::new(
                secrets.keywords(),
                &marker_pats,
                &canary_pats,
                InjectionScanner::phrases(),
            )
        } else {
            None
        };
        let inner = Inner {
            secrets,
            pii: PiiScanner::new()?,
            edm,
            markers,
            canaries,
            combined,
            combined_injection,
            docs: DocIndex::new(
                load_docs(data_dir)?,
                config.doc_containment,
                config.doc_salient_overlap,
            ),
            injection: if config.injection {
                Some(InjectionScanner::new()?)
            } else {
                None
            },
            cfg: config.clone(),
            keyed,
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The configuration the engine was loaded with.
    pub fn config(&self) -> &InspectConfig {
        &self.inner.cfg
    }

    /// What was loaded.
    pub fn stats(&self) -> EngineStats {
        let i = &self.inner;
        EngineStats {
            secret_rules: i.secrets.len(),
            canaries: i.canaries.len(),
            protected_documents: i.docs.docs().len(),
            edm_rows: i.edm.as_ref().map_or(0, EdmMatcher::rows),
        }
    }

    fn raw_layer(
        &self,
        kind: LeafKind,
        li: usize,
        text: &str,
        masks: Option<&TextMasks>,
        out: &mut Vec<Raw>,
    ) {
        let i = &self.inner;
        let mut push = |detector: String, class, start, end, confidence, severity| {
            out.push(Raw {
                detector,
                class,
                layer: li,
                start,
                end,
                confidence,
                severity,
            });
        };
        let mut pass = PassHits::default();
        let injection_kind = matches!(
            kind,
            LeafKind::ToolResult | LeafKind::ToolDefinition | LeafKind::Other
        );
        let injection_kind = injection_kind && i.injection.is_some();
        let pass_for_kind = if injection_kind {
            &i.combined_injection
        } else {
            &i.combined
        };
        let (canary_hits, secret_hits, marker_hits, injection_hits) = match pass_for_kind {
            Some(c) => {
                c.scan(text.as_bytes(), &mut pass);
                (
                    i.canaries.scan_occurrences(text, pass.canaries),
                    i.secrets.scan_keyword_hits(text, &pass.keywords),
                    i.markers
                        .as_ref()
                        .map(|m| m.scan_occurrences(text, pass.markers)),
                    i.injection
                        .as_ref()
                        .filter(|_| injection_kind)
                        .map(|_| InjectionScanner::scan_occurrences(pass.phrases)),
                )
            }
            None => (
                i.canaries.scan(text),
                i.secrets.scan(text),
                i.markers.as_ref().map(|m| m.scan(text)),
                i.injection
                    .as_ref()
                    .filter(|_| injection_kind)
                    .map(|inj| inj.scan(text)),
            ),
        };
        for h in canary_hits {
            if let Some(c) = i.canaries.get(h.canary) {
                let id = format!("canary:{}", c.id);
                push(
                    id,
                    DataClass::Canary,
                    h.start,
                    h.end,
                    Confidence::High,
                    Severity::Critical,
                );
            }
        }
        for h in secret_hits {
            let r = h.rule;
            push(
                r.id.to_owned(),
                DataClass::Secret,
                h.start,
                h.end,
                r.confidence,
                r.severity,
            );
        }
        for h in i.pii.scan_with_masks(text, masks) {
            push(
                h.id.to_owned(),
                DataClass::Pii,
                h.start,
                h.end,
                h.confidence,
                h.severity,
            );
        }
        if let Some(edm) = &i.edm {
            for h in edm.scan(text, &i.keyed) {
                let conf = if h.corroborating >= 2 {
                    Confidence::High
                } else {
                    Confidence::Medium
                };
                push(
                    "edm-record".into(),
                    DataClass::Payroll,
                    h.start,
                    h.end,
                    conf,
                    Severity::High,
                );
            }
        }
        if let Some(marker_hits) = marker_hits {
            for h in marker_hits {
                let id = if h.code_name {
                    "code-name"
                } else {
                    "classification-marker"
                };
                push(
                    id.into(),
                    DataClass::Confidential,
                    h.start,
                    h.end,
                    Confidence::High,
                    Severity::Medium,
                );
            }
        }
        if let Some(injection_hits) = injection_hits {
            for h in injection_hits {
                let sev = if h.confidence == Confidence::High {
                    Severity::High
                } else {
                    Severity::Medium
                };
                push(
                    h.id.into(),
                    DataClass::Injection,
                    h.start,
                    h.end,
                    h.confidence,
                    sev,
                );
            }
        }
    }

    /// Scans one leaf (all normalized and decoded layers); returns findings with `path` and
    /// original-byte spans, plus the leaf's document fingerprints when documents are protected.
    fn leaf(
        &self,
        path: &str,
        kind: LeafKind,
        text: &str,
    ) -> (Vec<Finding>, Vec<UnitPrints>, Layers) {
        let i = &self.inner;
        let layers = Layers::build(text, i.cfg.max_decode_depth, i.cfg.max_decoded_bytes);
        let mut raws = Vec::new();
        let mut units = Vec::new();
        for (li, layer) in layers.layers.iter().enumerate() {
            self.raw_layer(kind, li, &layer.text, layer.masks(), &mut raws);
            if !i.docs.is_empty() {
                units.push(UnitPrints::of(&layer.text, &i.keyed));
            }
        }
        // What a decode budget left unread was not inspected: a finding of its own that
        // policy refuses for non-internal destinations, never a silent stop (issue 13).
        raws.extend(layers.skipped.iter().map(|sk| Raw {
            detector: DECODE_BUDGET_EXHAUSTED.into(),
            class: DataClass::Uninspected,
            layer: sk.layer,
            start: sk.start,
            end: sk.end,
            confidence: Confidence::High,
            severity: Severity::High,
        }));
        let mut findings: Vec<Finding> = raws
            .into_iter()
            .map(|r| self.finish(path, &layers, r))
            .collect();
        if i.injection.is_some()
            && matches!(
                kind,
                LeafKind::ToolResult | LeafKind::ToolDefinition | LeafKind::Other
            )
        {
            if let Some(h) = InjectionScanner::hidden(text) {
                findings.push(Finding {
                    detector: h.id.into(),
                    data_class: DataClass::Injection,
                    path: path.to_owned(),
                    start: h.start,
                    end: h.end,
                    value_hash: i
                        .keyed
                        .value_hash(text.get(h.start..h.end).unwrap_or("").as_bytes()),
                    confidence: h.confidence,
                    severity: Severity::High,
                });
            }
        }
        (dedupe(findings), units, layers)
    }

    fn finish(&self, path: &str, layers: &Layers, r: Raw) -> Finding {
        let value = layers
            .layers
            .get(r.layer)
            .and_then(|l| l.text.get(r.start..r.end))
            .unwrap_or("");
        let (start, end) = layers.to_orig(r.layer, r.start, r.end);
        Finding {
            value_hash: self.inner.keyed.value_hash(value.as_bytes()),
            detector: r.detector,
            data_class: r.class,
            path: path.to_owned(),
            start,
            end,
            confidence: r.confidence,
            severity: r.severity,
        }
    }

    /// Findings of one text (no cross-leaf document matching); used by the stream scanner.
    pub fn scan_text(&self, path: &str, kind: LeafKind, text: &str) -> Vec<Finding> {
        self.leaf(path, kind, text).0
    }

    /// Findings of one text including protected-document matching within it (offline scans).
    pub fn scan_document(&self, path: &str, kind: LeafKind, text: &str) -> Vec<Finding> {
        if self.inner.docs.is_empty() {
            // No protected documents: exactly `findings_of` on one leaf, without copying the
            // text into a `TextLeaf`.
            return self.leaf(path, kind, text).0;
        }
        let leaf = TextLeaf::new(path, kind, text);
        self.findings_of(std::slice::from_ref(&leaf))
    }

    /// Every finding of a set of leaves, including documents matched across leaves.
    pub fn findings_of(&self, leaves: &[TextLeaf]) -> Vec<Finding> {
        self.findings_and_exposure(leaves).0
    }

    /// Findings plus what the leaves share with each protected document below the match
    /// threshold (see [`crate::docs::DocIndex::exposure`]).
    fn findings_and_exposure(
        &self,
        leaves: &[TextLeaf],
    ) -> (Vec<Finding>, Vec<palisade_core::DocExposure>) {
        let mut findings = Vec::new();
        let mut all_units = Vec::new();
        let mut owners = Vec::new();
        for (idx, leaf) in leaves.iter().enumerate() {
            let (f, units, layers) = self.leaf(&leaf.path, leaf.kind, &leaf.text);
            findings.extend(f);
            for (li, u) in units.into_iter().enumerate() {
                all_units.push(u);
                owners.push((idx, li));
            }
            drop(layers);
        }
        let mut exposure = Vec::new();
        if !self.inner.docs.is_empty() {
            findings.extend(self.doc_findings(leaves, &all_units, &owners));
            exposure = self.inner.docs.exposure(&all_units);
        }
        (findings, exposure)
    }

    fn doc_findings(
        &self,
        leaves: &[TextLeaf],
        units: &[UnitPrints],
        owners: &[(usize, usize)],
    ) -> Vec<Finding> {
        let i = &self.inner;
        let mut out = Vec::new();
        for h in i.docs.match_units(units) {
            let (Some(&(leaf_idx, li)), Some(doc)) = (owners.get(h.unit), i.docs.docs().get(h.doc))
            else {
                continue;
            };
            let Some(leaf) = leaves.get(leaf_idx) else {
                continue;
            };
            // Rebuilding layers is cheap relative to matching and keeps memory flat.
            let layers = Layers::build(&leaf.text, i.cfg.max_decode_depth, i.cfg.max_decoded_bytes);
            let (start, end) = layers.to_orig(li, h.start, h.end);
            let (detector, confidence, severity) = match h.kind {
                DocMatchKind::Copy => (
                    format!("protected-document:{}", doc.id),
                    Confidence::High,
                    Severity::High,
                ),
                DocMatchKind::Summary => (
                    format!("protected-document-summary:{}", doc.id),
                    Confidence::Medium,
                    Severity::Medium,
                ),
            };
            out.push(Finding {
                detector,
                data_class: DataClass::ProtectedDocument,
                path: leaf.path.clone(),
                start,
                end,
                value_hash: i.keyed.value_hash(doc.id.as_bytes()),
                confidence,
                severity,
            });
        }
        // One finding per (leaf, document), spanning every layer's hit in that leaf.
        out.sort_by(|a, b| (&a.path, &a.detector, a.start).cmp(&(&b.path, &b.detector, b.start)));
        let mut merged: Vec<Finding> = Vec::new();
        for f in out {
            match merged.last_mut() {
                Some(m) if m.path == f.path && m.detector == f.detector => {
                    m.start = m.start.min(f.start);
                    m.end = m.end.max(f.end);
                }
                _ => merged.push(f),
            }
        }
        merged
    }

    /// Inspects leaves: findings plus the configured actions (redactions, block).
    pub fn inspect_leaves(&self, leaves: &[TextLeaf]) -> Inspection {
        let (findings, exposure) = self.findings_and_exposure(leaves);
        let mut inspection = decide(&self.inner.cfg, findings);
        inspection.doc_exposure = exposure;
        inspection
    }
}

/// Drops findings contained in a finding of the same class that came first (specific rules
/// precede generic ones), and PII contained in a secret or canary (digits inside a token).
fn dedupe(mut v: Vec<Finding>) -> Vec<Finding> {
    let order: Vec<usize> = (0..v.len()).collect();
    let mut idx: Vec<(usize, Finding)> = order.into_iter().zip(v.drain(..)).collect();
    idx.sort_by(|(ia, a), (ib, b)| {
        (a.start, std::cmp::Reverse(a.end), *ia).cmp(&(b.start, std::cmp::Reverse(b.end), *ib))
    });
    let mut kept: Vec<Finding> = Vec::new();
    for (_, f) in idx {
        let covered = kept.iter().any(|k| {
            k.start <= f.start
                && f.end <= k.end
                && (k.data_class == f.data_class
                    || (f.data_class == DataClass::Pii
                        && matches!(k.data_class, DataClass::Secret | DataClass::Canary)))
        });
        if !covered {
            kept.push(f);
        }
    }
    kept
}

impl Inspector for Engine {
    fn inspect(&self, exchange: &Exchange) -> Inspection {
        self.inspect_leaves(&exchange.leaves)
    }

    fn stream_scanner(&self, path: &str) -> Box<dyn StreamScanner> {
        Box::new(crate::stream::EngineStream::new(self.clone(), path))
    }
}
