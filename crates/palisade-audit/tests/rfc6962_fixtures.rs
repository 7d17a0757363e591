//! RFC 6962 / 9162 conformance against the transparency-dev/merkle vectors and the reference
//! 8-leaf tree: every `wantErr:false` verifies, every `wantErr:true` is rejected, and the
//! proofs our tree generates for the reference leaves are the ones the vectors hold.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use palisade_audit::merkle::{leaf_hash, verify_consistency, verify_inclusion};
use palisade_audit::tree::MerkleTree;
use palisade_core::fixtures::fixture;
use serde_json::Value;
use std::path::Path;

fn b64(v: &Value) -> Vec<u8> {
    v.as_str()
        .map(|s| STANDARD.decode(s).unwrap())
        .unwrap_or_default()
}

fn b64_list(v: &Value) -> Vec<Vec<u8>> {
    v.as_array()
        .map(|a| a.iter().map(b64).collect())
        .unwrap_or_default()
}

fn json_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(json_files(&p));
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn reference_tree() -> (MerkleTree, Value) {
    let v: Value = serde_json::from_slice(
        &std::fs::read(fixture("rfc6962/DERIVED-reference-tree-8-leaves.json")).unwrap(),
    )
    .unwrap();
    let mut t = MerkleTree::new();
    for leaf in v["leaf_inputs_hex"].as_array().unwrap() {
        t.push(leaf_hash(&hex::decode(leaf.as_str().unwrap()).unwrap()));
    }
    (t, v)
}

#[test]
fn reference_roots_for_sizes_0_to_8() {
    let (t, v) = reference_tree();
    for size in 0..=8u64 {
        let want = v["root_hash_by_tree_size_hex"][size.to_string()]
            .as_str()
            .unwrap();
        assert_eq!(hex::encode(t.root(size).unwrap()), want, "size {size}");
    }
    for (i, want) in v["leaf_hashes_hex"].as_array().unwrap().iter().enumerate() {
        assert_eq!(
            hex::encode(t.leaf(i as u64).unwrap()),
            want.as_str().unwrap()
        );
    }
    assert!(t.root(9).is_none());
}

#[test]
fn transparency_dev_inclusion_vectors() {
    let files = json_files(&fixture("rfc6962/transparency-dev-merkle/inclusion"));
    assert!(
        files.len() > 20,
        "expected the inclusion vectors, found {}",
        files.len()
    );
    let (mut ok, mut rejected) = (0, 0);
    for f in files {
        let v: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        let r = verify_inclusion(
            v["leafIdx"].as_u64().unwrap_or(u64::MAX),
            v["treeSize"].as_u64().unwrap_or(0),
            &b64(&v["leafHash"]),
            &b64_list(&v["proof"]),
            &b64(&v["root"]),
        );
        if v["wantErr"].as_bool().unwrap() {
            assert!(r.is_err(), "{} must be rejected", f.display());
            rejected += 1;
        } else {
            assert!(r.is_ok(), "{} must verify: {r:?}", f.display());
            ok += 1;
        }
    }
    assert!(ok > 0 && rejected > 0);
}

#[test]
fn transparency_dev_consistency_vectors() {
    let files = json_files(&fixture("rfc6962/transparency-dev-merkle/consistency"));
    assert!(files.len() > 20);
    let (mut ok, mut rejected) = (0, 0);
    for f in files {
        let v: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        let r = verify_consistency(
            v["size1"].as_u64().unwrap(),
            v["size2"].as_u64().unwrap(),
            &b64(&v["root1"]),
            &b64(&v["root2"]),
            &b64_list(&v["proof"]),
        );
        if v["wantErr"].as_bool().unwrap() {
            assert!(r.is_err(), "{} must be rejected", f.display());
            rejected += 1;
        } else {
            assert!(r.is_ok(), "{} must verify: {r:?}", f.display());
            ok += 1;
        }
    }
    assert!(ok > 0 && rejected > 0);
}

#[test]
fn generated_proofs_equal_the_happy_path_vectors() {
    let (t, _) = reference_tree();
    let mut checked = 0;
    for f in json_files(&fixture("rfc6962/transparency-dev-merkle/inclusion")) {
        let v: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        if v["wantErr"].as_bool().unwrap() || v["treeSize"].as_u64().unwrap() > 8 {
            continue;
        }
        let (i, n) = (
            v["leafIdx"].as_u64().unwrap(),
            v["treeSize"].as_u64().unwrap(),
        );
        if b64(&v["leafHash"]) != t.leaf(i).unwrap().to_vec() {
            continue; // a vector over other leaves
        }
        let ours: Vec<Vec<u8>> = t
            .inclusion_proof(i, n)
            .unwrap()
            .iter()
            .map(|h| h.to_vec())
            .collect();
        assert_eq!(ours, b64_list(&v["proof"]), "{}", f.display());
        checked += 1;
    }
    for f in json_files(&fixture("rfc6962/transparency-dev-merkle/consistency")) {
        let v: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        let (a, b) = (v["size1"].as_u64().unwrap(), v["size2"].as_u64().unwrap());
        if v["wantErr"].as_bool().unwrap()
            || a == 0
            || b > 8
            || b64(&v["root2"]) != t.root(b).unwrap().to_vec()
        {
            continue;
        }
        let ours: Vec<Vec<u8>> = t
            .consistency_proof(a, b)
            .unwrap()
            .iter()
            .map(|h| h.to_vec())
            .collect();
        assert_eq!(ours, b64_list(&v["proof"]), "{}", f.display());
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} vectors compared");
}

#[test]
fn non_32_byte_hashes_are_rejected() {
    let (t, _) = reference_tree();
    let root = t.root(8).unwrap();
    let proof: Vec<Vec<u8>> = t
        .inclusion_proof(3, 8)
        .unwrap()
        .iter()
        .map(|h| h.to_vec())
        .collect();
    let leaf = t.leaf(3).unwrap();
    assert!(verify_inclusion(3, 8, &leaf, &proof, &root).is_ok());
    assert!(verify_inclusion(3, 8, &leaf[..31], &proof, &root).is_err());
    assert!(verify_inclusion(3, 8, &leaf, &proof, &[root.as_slice(), &[0]].concat()).is_err());
    let mut short = proof.clone();
    short[1].pop();
    assert!(verify_inclusion(3, 8, &leaf, &short, &root).is_err());
    assert!(verify_consistency(0, 0, &[], &[], &[]).is_err());
}
