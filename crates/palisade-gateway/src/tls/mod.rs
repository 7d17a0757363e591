//! TLS for the listener: TLS 1.3 only with the ring provider, the configured certificate or a
//! generated local CA, and an optional client-certificate request for RFC 8705 binding.

mod client_cert;
pub mod dev_ca;
mod server_config;

pub(crate) use server_config::load_certs as load_certs_pub;
pub use server_config::{server_config, TlsError};
