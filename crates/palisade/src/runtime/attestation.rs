//! Evidence kinds as the policy pack names them. Enrollment records the verifier kinds
//! (`dsse_provenance`, `sigstore_bundle`, ...) in the token; the default pack speaks of the
//! evidence families (`dsse`, `sigstore`, `sev_snp`), e.g. `vendor-needs-provenance`. Without
//! this mapping a vendor enrolled with valid DSSE provenance would still be refused by that
//! rule, so the authenticator adds the family name next to each verifier kind.

use palisade_core::{AuthFailure, Authenticator, Identity, RequestCredentials};
use std::sync::Arc;

/// Verifier kind -> evidence family used by policies.
const FAMILIES: [(&str, &str); 2] = [("dsse_provenance", "dsse"), ("sigstore_bundle", "sigstore")];

/// Adds the policy family of every verifier kind present (the verifier kind is kept).
pub fn add_policy_families(kinds: &mut Vec<String>) {
    for (kind, family) in FAMILIES {
        if kinds.iter().any(|k| k == kind) && !kinds.iter().any(|k| k == family) {
            kinds.push(family.to_owned());
        }
    }
}

/// Wraps the identity authenticator so later stages see the policy family names too.
pub struct PolicyFamilies(pub Arc<dyn Authenticator>);

impl Authenticator for PolicyFamilies {
    fn authenticate(&self, creds: &RequestCredentials<'_>) -> Result<Identity, AuthFailure> {
        let mut identity = self.0.authenticate(creds)?;
        add_policy_families(&mut identity.attestation_kinds);
        Ok(identity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_added_once_and_kinds_kept() {
        let mut k = vec!["join_token".to_owned(), "dsse_provenance".to_owned()];
        add_policy_families(&mut k);
        add_policy_families(&mut k);
        assert_eq!(k, ["join_token", "dsse_provenance", "dsse"]);
        let mut none = vec!["sample_tee".to_owned()];
        add_policy_families(&mut none);
        assert_eq!(none, ["sample_tee"]);
    }
}
