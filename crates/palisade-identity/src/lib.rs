//! Identity registry, enrollment, short-lived sender-bound access tokens (JWT + DPoP/mTLS), revocation and quarantine.
//!
//! (Skeleton: filled in by its issue.)
