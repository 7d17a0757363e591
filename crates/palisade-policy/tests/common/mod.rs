//! Shared builders for the integration tests: identities, resources, contexts and the path of
//! the shipped default pack.
#![allow(dead_code)]

use palisade_core::{
    AuthzContext, DataClass, DestinationClass, Identity, IdentityKind, IdentityStatus, ResourceRef,
};
use palisade_policy::{PolicyConfig, PolicyEngine};
use std::path::PathBuf;

pub fn pack_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies")
}

pub fn engine() -> PolicyEngine {
    PolicyEngine::load(&PolicyConfig::for_dir(pack_dir())).expect("default pack loads")
}

pub fn who(segment: &str, name: &str, kind: IdentityKind, attest: &[&str]) -> Identity {
    Identity {
        id: format!("spiffe://lab.example/{segment}/{name}")
            .parse()
            .unwrap(),
        kind,
        owner: "team".into(),
        segment: segment.into(),
        scopes: vec![],
        status: IdentityStatus::Active,
        attestation_kinds: attest.iter().map(|s| s.to_string()).collect(),
        token_age_secs: 30,
    }
}

pub fn research_agent() -> Identity {
    who(
        "research",
        "summariser",
        IdentityKind::Agent,
        &["join_token", "sev_snp"],
    )
}

pub fn labeling_vendor() -> Identity {
    who(
        "labeling",
        "cleaner",
        IdentityKind::Vendor,
        &["join_token", "dsse_provenance"],
    )
}

pub fn model(name: &str, segment: &str, dest: DestinationClass) -> ResourceRef {
    ResourceRef {
        name: name.into(),
        upstream: format!("{name}-upstream"),
        segment: segment.into(),
        destination: dest,
    }
}

pub fn quiet() -> AuthzContext {
    AuthzContext {
        data_classes: vec![],
        anomaly_score: 0.0,
        stepped_down: false,
        token_age_secs: 30,
        request_bytes: 256,
        streaming: false,
        hour_of_day: 10,
    }
}

pub fn with_classes(classes: &[DataClass]) -> AuthzContext {
    AuthzContext {
        data_classes: classes.to_vec(),
        ..quiet()
    }
}
