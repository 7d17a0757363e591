//! Behavioural baselines per identity, anomaly scores with explanations, automatic responses
//! (stage 6 of the request path, DESIGN.md §2).
//!
//! `Baselines` implements `palisade_core::BehaviorScorer`: each call is scored 0–100 against the
//! identity's own learned baseline (or its peers' while its history is short), with the top
//! contributing features and a sentence a human can read. Responses — record, alert (signed
//! webhook, off the request path), step-down, quarantine — follow the configured thresholds and
//! feature rules. Time comes only from the observation's event time, so replays are exact.

pub mod alert;
pub mod baselines;
pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod exposure;
pub mod features;
pub mod fixed;
pub mod holder;
pub mod persist;
pub mod profile;
pub mod sketch;
pub mod sliding;
pub mod state;
pub mod stats;
pub mod view;
pub mod window;

pub use alert::{
    AlertPayload, AlertStats, AlertTransport, HttpTransport, TransportError, SIGNATURE_HEADER,
};
pub use baselines::Baselines;
pub use config::{BehaviorConfig, FeatureRule, WebhookConfig};
pub use error::BehaviorError;
pub use features::FeatureId;
pub use view::{BaselineView, DeviationView, LearnedBaseline};
