//! The HTTPS gateway: TLS, protocol adapters, the ordered request pipeline, upstream client, streaming.
//!
//! (Skeleton: filled in by its issue.)
