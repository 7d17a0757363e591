//! The upstream side: one HTTP client per configured upstream, which only accepts requests
//! wrapped in `Permitted`, and the provider credential injection.

mod client;
mod request;

pub(crate) use client::{UpstreamClient, UpstreamFailure};
pub(crate) use request::UpstreamRequest;
