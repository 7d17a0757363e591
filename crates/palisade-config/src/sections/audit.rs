//! The `[audit]` section: settings of the audit stage. Empty until that stage's issue fills it;
//! fields added here need no change in the root config.

use serde::Deserialize;

/// Raw and validated `[audit]` settings (strict: unknown fields are refused).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditSection {}
