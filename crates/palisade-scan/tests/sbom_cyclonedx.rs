//! `palisade scan --sbom cyclonedx`: the SBOM has CycloneDX 1.5's required fields, lists the
//! lockfile packages with the right purls and pinned digests, and the signed verdict names it.

mod support;

use palisade_scan::cli::{run_scan, ScanArgs};
use palisade_scan::{verify_scan_attestation, AttestKey, Severity};
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::write;

const NOW: u64 = 1_780_000_000_000;

fn component<'a>(bom: &'a Value, purl: &str) -> &'a Value {
    bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purl"] == purl)
        .unwrap_or_else(|| panic!("{purl} missing from {bom:#}"))
}

/// Checks what the CycloneDX 1.5 JSON schema requires (bomFormat, specVersion, and `type` and
/// `name` on every component), plus the shapes we fill in: a `urn:uuid` serial number,
/// purls, unique bom-refs, hash algorithms from the schema's enum with hex of the right length.
fn assert_cyclonedx_15(bom: &Value) {
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.5");
    assert!(bom["version"].as_u64().is_some_and(|v| v >= 1));
    let serial = bom["serialNumber"].as_str().unwrap();
    let re = regex::Regex::new(
        "^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
    )
    .unwrap();
    assert!(re.is_match(serial), "{serial}");
    let ts = bom["metadata"]["timestamp"].as_str().unwrap();
    time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).unwrap();
    let mut refs = std::collections::HashSet::new();
    for c in bom["components"].as_array().unwrap() {
        assert_eq!(c["type"], "library");
        assert!(c["name"].as_str().is_some_and(|n| !n.is_empty()));
        assert!(c["purl"].as_str().unwrap().starts_with("pkg:"));
        assert!(
            refs.insert(c["bom-ref"].as_str().unwrap().to_owned()),
            "duplicate bom-ref"
        );
        for h in c["hashes"].as_array().into_iter().flatten() {
            let len = match h["alg"].as_str().unwrap() {
                "SHA-256" => 64,
                "SHA-384" => 96,
                "SHA-512" => 128,
                other => panic!("unexpected alg {other}"),
            };
            let hex = h["content"].as_str().unwrap();
            assert_eq!(hex.len(), len);
            assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
}

#[test]
fn sbom_lists_lockfile_packages_with_purls_and_digests_and_the_verdict_names_it() {
    let d = tempfile::tempdir().unwrap();
    let sha = "9".repeat(64);
    write(
        d.path(),
        "Cargo.lock",
        format!("version = 4\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.228\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{sha}\"\n").as_bytes(),
    );
    write(
        d.path(),
        "requirements.txt",
        format!(
            "Typing_Extensions==4.12.2 --hash=sha256:{}\n",
            "a".repeat(64)
        )
        .as_bytes(),
    );
    // SRI of 64 bytes of 0xff: "/" repeated.
    let sri = format!("sha512-{}w==", "/".repeat(85));
    write(
        d.path(),
        "package-lock.json",
        format!(r#"{{"lockfileVersion":3,"packages":{{"":{{}},"node_modules/@ctrl/tinycolor":{{"version":"4.1.0","integrity":"{sri}"}}}}}}"#).as_bytes(),
    );
    let key_path = d.path().join("key");
    std::fs::write(&key_path, [3u8; 32]).unwrap();
    let mut args = ScanArgs::new(vec![d.path().to_path_buf()]);
    args.sbom_out = Some(d.path().join("sbom.json"));
    args.attest_key = Some(key_path.clone());
    args.attest_out = Some(d.path().join("att.json"));
    let mut out = Vec::new();
    run_scan(&args, None, NOW, &mut out).unwrap();
    // The SBOM file is written after the walk, so it is not part of what was scanned.
    let bytes = std::fs::read(d.path().join("sbom.json")).unwrap();
    let bom: Value = serde_json::from_slice(&bytes).unwrap();
    assert_cyclonedx_15(&bom);
    assert_eq!(bom["components"].as_array().unwrap().len(), 3);

    let serde = component(&bom, "pkg:cargo/serde@1.0.228");
    assert_eq!(serde["hashes"][0]["alg"], "SHA-256");
    assert_eq!(serde["hashes"][0]["content"], sha.as_str());
    let te = component(&bom, "pkg:pypi/typing-extensions@4.12.2");
    assert_eq!(te["name"], "Typing_Extensions");
    assert_eq!(te["hashes"][0]["content"], "a".repeat(64).as_str());
    let tc = component(&bom, "pkg:npm/%40ctrl/tinycolor@4.1.0");
    assert_eq!(tc["hashes"][0]["alg"], "SHA-512");
    assert_eq!(tc["hashes"][0]["content"], "f".repeat(128).as_str());
    assert!(tc["evidence"]["occurrences"][0]["location"]
        .as_str()
        .unwrap()
        .contains("package-lock.json"));

    let vk = AttestKey::load(&key_path).unwrap().verifying_key();
    let env = std::fs::read_to_string(d.path().join("att.json")).unwrap();
    let sum = verify_scan_attestation(&env, &[vk], 3600, Severity::High, NOW + 1).unwrap();
    assert_eq!(
        sum.sbom_sha256.as_deref(),
        Some(hex_of(&Sha256::digest(&bytes)).as_str()),
        "the signed verdict must carry the digest of the SBOM file as written"
    );
}

#[test]
fn sbom_of_this_repository_lock_has_every_crate_with_its_checksum() {
    let lock = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    let text = std::fs::read_to_string(&lock).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    let d = tempfile::tempdir().unwrap();
    let mut args = ScanArgs::new(vec![lock.clone()]);
    args.sbom_out = Some(d.path().join("sbom.json"));
    run_scan(&args, None, NOW, &mut Vec::new()).unwrap();
    let bom: Value =
        serde_json::from_slice(&std::fs::read(d.path().join("sbom.json")).unwrap()).unwrap();
    assert_cyclonedx_15(&bom);
    let pkgs = doc["package"].as_array().unwrap();
    assert_eq!(bom["components"].as_array().unwrap().len(), pkgs.len());
    let serde = pkgs
        .iter()
        .find(|p| p["name"].as_str() == Some("serde"))
        .unwrap();
    let c = component(
        &bom,
        &format!("pkg:cargo/serde@{}", serde["version"].as_str().unwrap()),
    );
    assert_eq!(
        c["hashes"][0]["content"].as_str(),
        serde["checksum"].as_str()
    );
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
