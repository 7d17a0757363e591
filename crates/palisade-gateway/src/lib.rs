//! The HTTPS gateway: TLS, protocol adapters, the ordered request pipeline, upstream client,
//! streaming, and the HTTP side of the audit witnesses (serving one, submitting to them). The
//! only crate of the workspace that knows hyper.
//!
//! ```text
//! let stages = Stages { authenticator, inspector, behavior, authorizer, audit, clock, control };
//! let gw = Gateway::new(config, stages, &credentials)?.bind().await?;
//! gw.serve(shutdown_signal).await?;
//! ```

mod body;
mod conn_limit;
mod control;
mod credentials;
pub mod dev;
mod error;
mod mcp;
pub mod metrics;
mod pipeline;
pub mod protocol;
mod router;
mod server;
mod stages;
pub mod stream;
mod tls;
mod upstream;
pub mod witness_client;
pub mod witness_server;

pub use control::{ControlPlane, ControlRequest, ControlResponse};
pub use credentials::{CredentialError, CredentialSource, StaticCredentials};
pub use error::ApiError;
pub use server::{BoundGateway, Gateway, GatewayError};
pub use stages::Stages;
pub use tls::dev_ca::{ensure_dev_ca, DevCa};
pub use tls::TlsError;
pub use witness_client::{start_witnessing, WitnessStartError};
pub use witness_server::serve_witness;
