//! Which detection layer a rule belongs to (`vendor_format`, `keyword_context`, ...), so a
//! finding's detector id names its family as well as its rule, in reports and evaluations.

use serde::Serialize;

/// The detection layer of a secret rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An exact vendor format (prefix, length, checksum where one exists).
    VendorFormat,
    /// A service name or key name near a credential-shaped value.
    KeywordContext,
    /// A secret-named key assigned in code, config, env, XML or INI.
    PasswordAssignment,
    /// Credentials inside a URI, DSN or connection string.
    ConnectionString,
    /// Credentials given to a command or in a URL query string or header.
    CommandLine,
    /// Password hashes and Kerberos/NTLM material.
    Hash,
    /// Webhook URLs that are their own credential.
    Webhook,
    /// Private keys in any encoding, service-account key files.
    PrivateKey,
    /// The generic fallbacks (`key = <high-entropy value>`).
    Generic,
}

impl Kind {
    /// The snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::VendorFormat => "vendor_format",
            Kind::KeywordContext => "keyword_context",
            Kind::PasswordAssignment => "password_assignment",
            Kind::ConnectionString => "connection_string",
            Kind::CommandLine => "command_line",
            Kind::Hash => "hash",
            Kind::Webhook => "webhook",
            Kind::PrivateKey => "private_key",
            Kind::Generic => "generic",
        }
    }
}

/// The layer of the built-in rule `id` (`None` for ids that are no secret rule).
pub fn kind_of(id: &str) -> Option<Kind> {
    let in_table = |t: &[super::SecretRule]| t.iter().any(|r| r.id == id);
    let has = |p: &[&str]| p.iter().any(|p| id.contains(p));
    if in_table(super::services::RULES) {
        return Some(Kind::KeywordContext);
    }
    if in_table(super::generic::RULES) {
        return Some(Kind::Generic);
    }
    if !super::all_rules().iter().any(|r| r.id == id) {
        return None;
    }
    Some(if has(&["webhook"]) {
        Kind::Webhook
    } else if has(&["hash-", "htpasswd"]) {
        Kind::Hash
    } else if has(&[
        "private-key",
        "pkcs12",
        "putty",
        "service-account-json",
        "client-key-data",
    ]) {
        Kind::PrivateKey
    } else if has(&[
        "uri-",
        "connection-string",
        "jdbc",
        "userinfo",
        "ldap-bind",
        "snowflake-password",
    ]) {
        Kind::ConnectionString
    } else if has(&[
        "cli-",
        "curl-",
        "net-use",
        "powershell",
        "url-query",
        "authorization-header",
    ]) {
        Kind::CommandLine
    } else if has(&["password-", "secret-assignment", "secret-xml", "netrc"]) {
        Kind::PasswordAssignment
    } else {
        Kind::VendorFormat
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_layer_and_structural_rules_are_not_vendor_formats() {
        for r in super::super::all_rules() {
            let k = kind_of(r.id).unwrap();
            if super::super::structural::RULES.iter().any(|s| s.id == r.id) {
                assert_ne!(k, Kind::VendorFormat, "{}", r.id);
            }
        }
        assert_eq!(kind_of("github-pat"), Some(Kind::VendorFormat));
        assert_eq!(kind_of("hash-bcrypt"), Some(Kind::Hash));
        assert_eq!(
            kind_of("service-context-credential"),
            Some(Kind::KeywordContext)
        );
        assert_eq!(kind_of("pii-email"), None);
    }
}
