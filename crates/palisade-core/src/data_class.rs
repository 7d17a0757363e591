//! Data classes (what inspection found) and destination classes (where a call would send data):
//! the two axes on which egress policy decides.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What kind of sensitive content a finding represents. Policy decides per class × destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    /// Credentials, API keys, private keys, tokens.
    Secret,
    /// Personal data: e-mail, phone, SSN, payment card, IBAN.
    Pii,
    /// The organization's own employee/payroll records (exact data match).
    Payroll,
    /// Classification markers and code names (`CONFIDENTIAL`, project names).
    Confidential,
    /// Content of a registered protected document (fingerprint match).
    ProtectedDocument,
    /// A planted canary token: any sighting is critical.
    Canary,
    /// Instructions aimed at the model inside tool results or retrieved content.
    Injection,
    /// Content that cannot be read as text (images, PDFs, audio, token-id arrays): forwarded
    /// uninspected, so policy decides where it may go.
    OpaqueAttachment,
    /// Text that inspection could not finish (decode budget of nesting or size exhausted):
    /// what was not seen is treated as what policy must decide on.
    Uninspected,
    /// The call asks the provider to reach out on its own (server tools such as web fetch or
    /// MCP, remote image/file URLs, beta feature headers): egress the gateway cannot see.
    ProviderEgress,
}

impl DataClass {
    /// Every class, in a stable order.
    pub const ALL: [DataClass; 10] = [
        DataClass::Secret,
        DataClass::Pii,
        DataClass::Payroll,
        DataClass::Confidential,
        DataClass::ProtectedDocument,
        DataClass::Canary,
        DataClass::Injection,
        DataClass::OpaqueAttachment,
        DataClass::Uninspected,
        DataClass::ProviderEgress,
    ];

    /// The classes a detector finds in text (the rest describe what could not be inspected or
    /// what the provider would fetch itself). Behaviour baselines count these per class.
    pub const CONTENT: [DataClass; 7] = [
        DataClass::Secret,
        DataClass::Pii,
        DataClass::Payroll,
        DataClass::Confidential,
        DataClass::ProtectedDocument,
        DataClass::Canary,
        DataClass::Injection,
    ];

    /// The stable lowercase name used in config, policy context and audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            DataClass::Secret => "secret",
            DataClass::Pii => "pii",
            DataClass::Payroll => "payroll",
            DataClass::Confidential => "confidential",
            DataClass::ProtectedDocument => "protected_document",
            DataClass::Canary => "canary",
            DataClass::Injection => "injection",
            DataClass::OpaqueAttachment => "opaque_attachment",
            DataClass::Uninspected => "uninspected",
            DataClass::ProviderEgress => "provider_egress",
        }
    }
}

impl fmt::Display for DataClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a known data class.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown data class `{0}` (expected one of: secret, pii, payroll, confidential, protected_document, canary, injection, opaque_attachment, uninspected, provider_egress)")]
pub struct UnknownDataClass(pub String);

impl FromStr for DataClass {
    type Err = UnknownDataClass;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DataClass::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownDataClass(s.to_owned()))
    }
}

/// Where an upstream sits relative to the organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationClass {
    /// The organization's own models and services.
    Internal,
    /// A third-party provider outside the organization.
    External,
    /// A vendor integration with a contract but outside the trust boundary.
    Vendor,
}

impl DestinationClass {
    /// The stable lowercase name used in config and policy.
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationClass::Internal => "internal",
            DestinationClass::External => "external",
            DestinationClass::Vendor => "vendor",
        }
    }
}

impl fmt::Display for DestinationClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_class_names_round_trip() {
        for c in DataClass::ALL {
            assert_eq!(c.as_str().parse::<DataClass>().unwrap(), c);
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
        assert!("SECRET".parse::<DataClass>().is_err());
    }
}
