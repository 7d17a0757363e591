//! The `[inspect]` section: the inspection engine's own strict config type
//! (`palisade_inspect::InspectConfig`), defined once in that crate.

pub use palisade_inspect::InspectConfig as InspectSection;
