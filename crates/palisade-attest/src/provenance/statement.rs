//! The in-toto Statement v1 and the parts of a SLSA Provenance v1 predicate the appraisal reads:
//! subjects (the reference digests), builder id, build type and source repository.

use super::ProvenanceError;
use serde::Deserialize;
use std::collections::BTreeMap;

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// `predicateType` of SLSA Provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";

/// One subject: a name and its digests by algorithm (`sha256` -> hex).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Subject {
    /// Artifact name (e.g. an image reference).
    #[serde(default)]
    pub name: String,
    /// Digests by algorithm.
    pub digest: BTreeMap<String, String>,
}

/// An in-toto Statement v1 (unknown fields are allowed: the format is extensible).
#[derive(Debug, Clone, Deserialize)]
pub struct Statement {
    /// Must be [`STATEMENT_V1`].
    #[serde(rename = "_type")]
    pub type_: String,
    /// The artifacts this statement is about.
    pub subject: Vec<Subject>,
    /// The predicate type URI.
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The predicate, parsed further per type.
    #[serde(default)]
    pub predicate: serde_json::Value,
}

/// The SLSA v1 fields the policy uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlsaSummary {
    /// `runDetails.builder.id`.
    pub builder_id: String,
    /// `buildDefinition.buildType`.
    pub build_type: String,
    /// The source repository, normalised (see [`normalize_repo`]).
    pub source_repository: String,
}

impl Statement {
    /// Parses and checks `_type` and that there is at least one subject with a digest.
    pub fn parse(payload: &[u8]) -> Result<Self, ProvenanceError> {
        let st: Statement = serde_json::from_slice(payload)
            .map_err(|e| ProvenanceError::Statement(e.to_string()))?;
        if st.type_ != STATEMENT_V1 {
            return Err(ProvenanceError::Statement(format!(
                "`_type` must be {STATEMENT_V1}, got `{}`",
                st.type_
            )));
        }
        if st.subject.is_empty() || st.subject.iter().any(|s| s.digest.is_empty()) {
            return Err(ProvenanceError::Statement(
                "every statement needs subjects with digests".into(),
            ));
        }
        Ok(st)
    }

    /// Reads the SLSA v1 predicate.
    pub fn slsa_v1(&self) -> Result<SlsaSummary, ProvenanceError> {
        let p = &self.predicate;
        let s = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        let builder_id = s(&p["runDetails"]["builder"]["id"])
            .ok_or_else(|| ProvenanceError::Statement("runDetails.builder.id missing".into()))?;
        let build_type = s(&p["buildDefinition"]["buildType"]).ok_or_else(|| {
            ProvenanceError::Statement("buildDefinition.buildType missing".into())
        })?;
        let ext = &p["buildDefinition"]["externalParameters"];
        // Build types name their source differently: GCB `buildConfigSource.repository`,
        // GitHub Actions `workflow.repository`, generic `source` (string or {uri}); fall back to
        // the first git dependency.
        let from_ext = [
            &ext["buildConfigSource"]["repository"],
            &ext["workflow"]["repository"],
            &ext["source"]["uri"],
            &ext["source"],
        ]
        .into_iter()
        .find_map(s);
        let from_deps = || {
            p["buildDefinition"]["resolvedDependencies"]
                .as_array()?
                .iter()
                .filter_map(|d| d["uri"].as_str())
                .find(|u| u.starts_with("git+"))
                .map(str::to_owned)
        };
        let source = from_ext
            .or_else(from_deps)
            .ok_or(ProvenanceError::SourceMissing)?;
        Ok(SlsaSummary {
            builder_id,
            build_type,
            source_repository: normalize_repo(&source),
        })
    }
}

/// `git+https://github.com/o/r.git@refs/heads/main` -> `https://github.com/o/r`: drops the VCS
/// prefix, a ref suffix and `.git`, so config can name a repository once.
pub fn normalize_repo(s: &str) -> String {
    let s = s.trim();
    let s = s.strip_prefix("git+").unwrap_or(s);
    let (scheme, rest) = match s.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, s),
    };
    // A ref after `@` only counts in the path, so `user@host` authorities survive.
    let rest = match rest.split_once('/') {
        Some((host, path)) => {
            let path = path.split('@').next().unwrap_or(path);
            format!("{host}/{path}")
        }
        None => rest.to_owned(),
    };
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    match scheme {
        Some(scheme) => format!("{scheme}://{rest}"),
        None => rest.to_owned(),
    }
}
