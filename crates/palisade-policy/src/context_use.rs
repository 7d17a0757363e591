//! Which request-context attributes a policy reads, found by walking its Cedar JSON form (EST).
//! A policy that reads none decides the same for every context of a given principal, action
//! and resource, so its outcome can be memoized with the entities (see [`crate::slice`]); and a
//! call's context only needs the attributes some loaded policy reads.

use crate::vocab::ContextAttr;
use cedar_policy::Policy;
use serde_json::Value;

/// The context attributes a set of policies reads, as a bit mask over [`ContextAttr::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ContextUse(u32);

impl ContextUse {
    /// Reads nothing from the context.
    pub(crate) const NONE: Self = Self(0);
    /// Reads (or may read) every attribute.
    pub(crate) const ALL: Self = Self((1 << ContextAttr::ALL.len()) - 1);

    /// What `policy` reads. Anything this walk does not understand (the whole `context` record
    /// used as a value, an attribute outside the schema, a policy that cannot be rendered as
    /// JSON) counts as reading everything, so an unexpected form can only cost speed.
    pub(crate) fn of(policy: &Policy) -> Self {
        let Ok(est) = policy.to_json() else {
            return Self::ALL;
        };
        let mut used = Self::NONE;
        if let Some(conditions) = est.get("conditions") {
            walk(conditions, &mut used);
        }
        used
    }

    /// Whether no attribute is read.
    pub(crate) fn is_none(self) -> bool {
        self.0 == 0
    }

    /// Whether `attr` is read.
    pub(crate) fn reads(self, attr: ContextAttr) -> bool {
        self.0 & Self::bit(attr) != 0
    }

    fn bit(attr: ContextAttr) -> u32 {
        // Discriminants are 0..10, in `ALL` order (pinned by a test).
        1 << attr as u32
    }

    /// The attributes read by either.
    pub(crate) fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

fn is_context_var(v: &Value) -> bool {
    v.get("Var").and_then(Value::as_str) == Some("context")
}

fn walk(v: &Value, used: &mut ContextUse) {
    match v {
        Value::Object(map) => {
            // `context.attr` and `context has attr`: the only uses that name one attribute.
            for op in [".", "has"] {
                if let Some(node) = map.get(op) {
                    if let (Some(left), Some(attr)) = (node.get("left"), node.get("attr")) {
                        if is_context_var(left) {
                            *used = used.union(attr_use(attr.as_str()));
                            return;
                        }
                    }
                }
            }
            if is_context_var(v) {
                *used = ContextUse::ALL;
                return;
            }
            map.values().for_each(|child| walk(child, used));
        }
        Value::Array(items) => items.iter().for_each(|child| walk(child, used)),
        _ => {}
    }
}

fn attr_use(attr: Option<&str>) -> ContextUse {
    attr.and_then(|a| ContextAttr::ALL.into_iter().find(|known| known.name() == a))
        .map_or(ContextUse::ALL, |known| ContextUse(ContextUse::bit(known)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn use_of(text: &str) -> ContextUse {
        ContextUse::of(&Policy::from_str(text).unwrap())
    }

    fn attr(name: &str) -> ContextAttr {
        ContextAttr::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .unwrap()
    }

    #[test]
    fn bits_follow_the_attribute_list() {
        for (i, a) in ContextAttr::ALL.into_iter().enumerate() {
            assert_eq!(a as usize, i, "{a:?}");
        }
        assert_eq!(
            ContextUse::ALL.0.count_ones() as usize,
            ContextAttr::ALL.len()
        );
    }

    #[test]
    fn scope_and_entity_conditions_read_nothing() {
        let u = use_of(
            "forbid (principal in Palisade::Segment::\"labeling\", action, resource) \
             unless { principal.status == \"active\" && principal.segment == resource.segment };",
        );
        assert!(u.is_none(), "{u:?}");
    }

    #[test]
    fn attribute_reads_and_has_tests_are_found() {
        let u = use_of(
            "forbid (principal, action, resource) when { context.destination != \"internal\" \
             && context.data_classes.contains(\"secret\") } unless { context has streaming };",
        );
        for a in ["destination", "data_classes", "streaming"] {
            assert!(u.reads(attr(a)), "{a}: {u:?}");
        }
        assert!(!u.reads(attr("hour_of_day")), "{u:?}");
        assert!(!u.is_none());
    }

    #[test]
    fn the_whole_record_or_an_unknown_attribute_reads_everything() {
        let whole = use_of("permit (principal, action, resource) when { context == {} };");
        assert_eq!(whole, ContextUse::ALL);
        let unknown = use_of("permit (principal, action, resource) when { context.nope == 1 };");
        assert_eq!(unknown, ContextUse::ALL);
    }
}
