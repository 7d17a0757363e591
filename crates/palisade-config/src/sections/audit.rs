//! The `[audit]` section: the audit log's own strict config type (`palisade_audit::AuditConfig`),
//! so the file format and the log's defaults are defined in exactly one place.

pub use palisade_audit::AuditConfig as AuditSection;
