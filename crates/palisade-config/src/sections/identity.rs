//! The `[identity]` section: settings of the identity stage. Empty until that stage's issue fills it;
//! fields added here need no change in the root config.

use serde::Deserialize;

/// Raw and validated `[identity]` settings (strict: unknown fields are refused).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentitySection {}
