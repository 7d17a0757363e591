//! The `[behavior]` section: behaviour analysis's own strict config type
//! (`palisade_behavior::BehaviorConfig`), defined once in that crate.

pub use palisade_behavior::BehaviorConfig as BehaviorSection;
