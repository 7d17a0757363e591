//! The shipped Cedar schema and the names it defines (entity types, actions), parsed once so
//! building a request costs no string parsing on the hot path.

use crate::error::PolicyError;
use cedar_policy::{EntityId, EntityTypeName, EntityUid, Schema};
use std::str::FromStr;

/// The Cedar schema source shipped with Palisade (cedarschema syntax).
pub const SCHEMA_SRC: &str = include_str!("../schema/palisade.cedarschema");

/// Actions the schema defines, in a stable order.
pub const ACTIONS: [&str; 9] = [
    "invoke_model",
    "embed",
    "list_models",
    "call_tool",
    "list_tools",
    "read_resource",
    "get_prompt",
    "enroll",
    "admin",
];

/// The attributes of the schema's `RequestContext`; [`crate::context_use`] tracks which of them
/// the loaded policies read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContextAttr {
    DataClasses,
    Destination,
    AnomalyScore,
    AnomalyThreshold,
    SteppedDown,
    TokenAgeSecs,
    AttestationKinds,
    RequestBytes,
    Streaming,
    HourOfDay,
}

impl ContextAttr {
    /// Every attribute, in the order the request builder writes them.
    pub(crate) const ALL: [Self; 10] = [
        Self::DataClasses,
        Self::Destination,
        Self::AnomalyScore,
        Self::AnomalyThreshold,
        Self::SteppedDown,
        Self::TokenAgeSecs,
        Self::AttestationKinds,
        Self::RequestBytes,
        Self::Streaming,
        Self::HourOfDay,
    ];

    /// The attribute's name in the schema.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::DataClasses => "data_classes",
            Self::Destination => "destination",
            Self::AnomalyScore => "anomaly_score",
            Self::AnomalyThreshold => "anomaly_threshold",
            Self::SteppedDown => "stepped_down",
            Self::TokenAgeSecs => "token_age_secs",
            Self::AttestationKinds => "attestation_kinds",
            Self::RequestBytes => "request_bytes",
            Self::Streaming => "streaming",
            Self::HourOfDay => "hour_of_day",
        }
    }
}

/// Which entity type an action addresses as its resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResourceKind {
    Model,
    Tool,
    McpServer,
    Segment,
}

/// Parsed schema plus pre-built type names and action uids.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    pub(crate) schema: Schema,
    pub(crate) identity: EntityTypeName,
    pub(crate) segment: EntityTypeName,
    pub(crate) upstream: EntityTypeName,
    pub(crate) model: EntityTypeName,
    pub(crate) tool: EntityTypeName,
    pub(crate) mcp_server: EntityTypeName,
    actions: Vec<(&'static str, EntityUid, ResourceKind)>,
}

fn type_name(s: &str) -> Result<EntityTypeName, PolicyError> {
    EntityTypeName::from_str(s).map_err(|e| PolicyError::Schema(format!("type `{s}`: {e}")))
}

impl Vocabulary {
    /// Parses the shipped schema. Fails only if the shipped schema is broken.
    pub fn new() -> Result<Self, PolicyError> {
        let (schema, warnings) = Schema::from_cedarschema_str(SCHEMA_SRC)
            .map_err(|e| PolicyError::Schema(e.to_string()))?;
        // Warnings (shadowed names) would make policies ambiguous to read: treat as defects.
        if let Some(w) = warnings.into_iter().next() {
            return Err(PolicyError::Schema(w.to_string()));
        }
        let action_type = type_name("Palisade::Action")?;
        let mut actions = Vec::with_capacity(ACTIONS.len());
        for name in ACTIONS {
            let kind = match name {
                "call_tool" => ResourceKind::Tool,
                "list_tools" | "read_resource" | "get_prompt" => ResourceKind::McpServer,
                "enroll" | "admin" => ResourceKind::Segment,
                _ => ResourceKind::Model,
            };
            let uid = EntityUid::from_type_name_and_id(action_type.clone(), EntityId::new(name));
            actions.push((name, uid, kind));
        }
        Ok(Self {
            schema,
            identity: type_name("Palisade::Identity")?,
            segment: type_name("Palisade::Segment")?,
            upstream: type_name("Palisade::Upstream")?,
            model: type_name("Palisade::Model")?,
            tool: type_name("Palisade::Tool")?,
            mcp_server: type_name("Palisade::McpServer")?,
            actions,
        })
    }

    /// The parsed schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub(crate) fn action(&self, name: &str) -> Option<(&'static str, &EntityUid, ResourceKind)> {
        self.actions
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(n, uid, kind)| (*n, uid, *kind))
    }

    pub(crate) fn uid(&self, ty: &EntityTypeName, id: &str) -> EntityUid {
        EntityUid::from_type_name_and_id(ty.clone(), EntityId::new(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_schema_parses_and_knows_every_action() {
        let v = Vocabulary::new().unwrap();
        for a in ACTIONS {
            assert!(v.action(a).is_some(), "{a}");
        }
        assert!(v.action("delete_everything").is_none());
        assert_eq!(v.action("call_tool").unwrap().2, ResourceKind::Tool);
        assert_eq!(v.action("enroll").unwrap().2, ResourceKind::Segment);
        for a in ["list_tools", "read_resource", "get_prompt"] {
            assert_eq!(v.action(a).unwrap().2, ResourceKind::McpServer, "{a}");
        }
    }
}
