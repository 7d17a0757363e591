//! Behavioural baselines per identity, anomaly scores with explanations, automatic responses.
//!
//! (Skeleton: filled in by its issue.)
