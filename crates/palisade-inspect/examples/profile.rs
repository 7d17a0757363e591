//! Per-component timing of the engine on the mixed corpus (a diagnostic companion to the
//! criterion bench): normalization, secret rules, PII, whole engine.

use palisade_inspect::detect::pii::PiiScanner;
use palisade_inspect::detect::secrets::SecretScanner;
use palisade_inspect::normalize::Layers;
use palisade_inspect::RuleFamily;
use std::time::Instant;

#[path = "support/corpus.rs"]
mod corpus;

fn main() {
    let code: String = corpus::registry_sources(4 << 20)
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let mb = code.len() as f64 / 1e6;
    let time = |name: &str, f: &dyn Fn() -> usize| {
        let t = Instant::now();
        let n = f();
        let s = t.elapsed().as_secs_f64();
        println!("{name:<24} {:>8.1} MB/s  ({n})", mb / s);
    };
    time("layers", &|| Layers::build(&code, 3, 1 << 20).layers.len());
    time("unicode", &|| {
        palisade_inspect::normalize::unicode::normalize(&code)
            .text
            .len()
    });
    time("base64", &|| {
        let mut v = Vec::new();
        palisade_inspect::normalize::decode::base64_runs(&code, &mut v);
        v.len()
    });
    time("hex", &|| {
        let mut v = Vec::new();
        palisade_inspect::normalize::decode::hex_runs(&code, &mut v);
        v.len()
    });
    time("encoded(b64+hex)", &|| {
        let mut v = Vec::new();
        let masks = palisade_inspect::normalize::TextMasks::new(code.as_bytes());
        palisade_inspect::normalize::decode::encoded_runs(&code, &masks, &mut v);
        v.len()
    });
    time("percent", &|| {
        let mut v = Vec::new();
        palisade_inspect::normalize::decode::percent_runs(&code, &mut v);
        v.len()
    });
    let sec = SecretScanner::new(&RuleFamily::ALL, 3.5).unwrap();
    time("secrets(all)", &|| sec.scan(&code).len());
    for fam in RuleFamily::ALL {
        let s = SecretScanner::new(&[fam], 3.5).unwrap();
        time(&format!("secrets({fam:?})"), &|| s.scan(&code).len());
    }
    let pii = PiiScanner::new().unwrap();
    time("pii", &|| pii.scan(&code).len());
    let dir = std::env::temp_dir().join("palisade-profile");
    let e = palisade_inspect::Engine::load(&Default::default(), &dir, [1; 32]).unwrap();
    time("engine", &|| {
        e.scan_text("/p", palisade_core::LeafKind::User, &code)
            .len()
    });
}
