//! SEV-SNP appraisal policy: reference measurements, debug, minimum TCB, VMPL, guest SVN, host
//! data and the nonce/key binding in REPORT_DATA. Strict serde types, checked after the signature.

use super::report::{Report, Tcb};
use super::SnpError;
use serde::{Deserialize, Serialize};

/// What bytes 32..64 of REPORT_DATA may hold. The first 32 bytes always carry the binding
/// `SHA-256(nonce || "." || JWK thumbprint)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportDataRest {
    /// Bytes 32..64 must be zero (default): nothing unbound rides along in signed data.
    #[default]
    Zero,
    /// Bytes 32..64 are ignored (for guests that put their own data there).
    Ignore,
}

/// Minimum security patch levels; each component of REPORTED_TCB must be at least this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinTcb {
    /// Bootloader SPL.
    #[serde(default)]
    pub bootloader: u8,
    /// TEE SPL.
    #[serde(default)]
    pub tee: u8,
    /// SNP firmware SPL.
    #[serde(default)]
    pub snp: u8,
    /// Microcode SPL.
    #[serde(default)]
    pub microcode: u8,
    /// FMC SPL (Turin; ignored as 0 before).
    #[serde(default)]
    pub fmc: u8,
}

fn default_vmpls() -> Vec<u32> {
    vec![0]
}

fn default_ttl() -> u64 {
    3600
}

/// The appraisal policy for SEV-SNP evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnpPolicy {
    /// Accepted launch measurements (hex, 48 bytes). Empty refuses everything.
    pub reference_measurements: Vec<String>,
    /// Accept guests whose policy allows debugging (bit 19). Off by default: a debuggable
    /// guest's memory is readable by the host, so its measurement proves nothing.
    #[serde(default)]
    pub allow_debug: bool,
    /// Minimum REPORTED_TCB per component.
    #[serde(default)]
    pub min_tcb: MinTcb,
    /// VMPLs the report may come from (default `[0]`).
    #[serde(default = "default_vmpls")]
    pub allowed_vmpls: Vec<u32>,
    /// Minimum guest SVN.
    #[serde(default)]
    pub min_guest_svn: u32,
    /// Required HOST_DATA (hex, 32 bytes), if any.
    #[serde(default)]
    pub host_data: Option<String>,
    /// What bytes 32..64 of REPORT_DATA may hold.
    #[serde(default)]
    pub report_data_rest: ReportDataRest,
    /// Lifetime of the appraisal in seconds (capped further by the certificates' notAfter).
    #[serde(default = "default_ttl")]
    pub appraisal_ttl_secs: u64,
}

/// A validated policy with decoded byte values.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    pub(crate) raw: SnpPolicy,
    measurements: Vec<[u8; 48]>,
    host_data: Option<[u8; 32]>,
}

fn hex_array<const N: usize>(s: &str, what: &str) -> Result<[u8; N], SnpError> {
    let v = hex::decode(s).map_err(|_| SnpError::Config(format!("{what} `{s}` is not hex")))?;
    v.try_into()
        .map_err(|_| SnpError::Config(format!("{what} `{s}` must be {N} bytes")))
}

impl CompiledPolicy {
    /// Decodes the hex values, failing on any malformed entry.
    pub fn new(raw: SnpPolicy) -> Result<Self, SnpError> {
        let measurements = raw
            .reference_measurements
            .iter()
            .map(|m| hex_array::<48>(m, "reference measurement"))
            .collect::<Result<Vec<_>, _>>()?;
        let host_data = raw
            .host_data
            .as_deref()
            .map(|h| hex_array::<32>(h, "host_data"))
            .transpose()?;
        Ok(Self {
            raw,
            measurements,
            host_data,
        })
    }

    /// Applies every rule to a report whose signature and chain already verified.
    pub fn appraise(&self, r: &Report, tcb: Tcb, binding: &[u8; 32]) -> Result<(), SnpError> {
        if !self.measurements.contains(&r.measurement) {
            return Err(SnpError::MeasurementNotAllowed(hex::encode(r.measurement)));
        }
        if r.debug_allowed() && !self.raw.allow_debug {
            return Err(SnpError::DebugNotAllowed);
        }
        let m = &self.raw.min_tcb;
        for (name, got, min) in [
            ("bootloader", tcb.bootloader, m.bootloader),
            ("tee", tcb.tee, m.tee),
            ("snp", tcb.snp, m.snp),
            ("microcode", tcb.microcode, m.microcode),
            ("fmc", tcb.fmc, m.fmc),
        ] {
            if got < min {
                return Err(SnpError::TcbTooLow {
                    component: name,
                    got,
                    min,
                });
            }
        }
        if !self.raw.allowed_vmpls.contains(&r.vmpl) {
            return Err(SnpError::VmplNotAllowed(r.vmpl));
        }
        if r.guest_svn < self.raw.min_guest_svn {
            return Err(SnpError::GuestSvnTooLow {
                got: r.guest_svn,
                min: self.raw.min_guest_svn,
            });
        }
        if let Some(h) = &self.host_data {
            if h != &r.host_data {
                return Err(SnpError::HostDataMismatch);
            }
        }
        let (bound, rest) = r.report_data.split_at(32);
        // Constant-time is not needed: the binding is public (nonce and key thumbprint).
        if bound != binding.as_slice() {
            return Err(SnpError::BindingMismatch);
        }
        if self.raw.report_data_rest == ReportDataRest::Zero && rest.iter().any(|&b| b != 0) {
            return Err(SnpError::ReportDataNotZero);
        }
        Ok(())
    }
}
