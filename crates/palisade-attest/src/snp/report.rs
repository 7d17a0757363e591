//! The SEV-SNP ATTESTATION_REPORT byte layout (AMD SEV-SNP ABI spec, Table 22) and the TCB_VERSION
//! encodings of each product generation. Parsing is bounds-checked; nothing here trusts the bytes.

use super::SnpError;

/// Total size of a report.
pub const REPORT_LEN: usize = 1184;
/// The signature covers bytes `0..SIGNED_LEN`.
pub const SIGNED_LEN: usize = 0x2A0;

/// AMD product generations with known TCB layouts and roots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Product {
    /// EPYC 7003.
    Milan,
    /// EPYC 9004.
    Genoa,
    /// EPYC 9005.
    Turin,
}

impl Product {
    /// Parses `milan` / `genoa` / `turin` (case-insensitive).
    pub fn parse(s: &str) -> Result<Self, SnpError> {
        match s.to_ascii_lowercase().as_str() {
            "milan" => Ok(Self::Milan),
            "genoa" => Ok(Self::Genoa),
            "turin" => Ok(Self::Turin),
            _ => Err(SnpError::UnknownProduct(s.to_owned())),
        }
    }
    /// The name AMD uses in certificate common names (`ARK-Milan`, `SEV-Milan`).
    pub fn cert_name(self) -> &'static str {
        match self {
            Self::Milan => "Milan",
            Self::Genoa => "Genoa",
            Self::Turin => "Turin",
        }
    }
}

/// A decoded TCB_VERSION: security patch levels per firmware component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tcb {
    /// FMC SPL (Turin and later; 0 before).
    pub fmc: u8,
    /// Bootloader SPL.
    pub bootloader: u8,
    /// PSP OS (TEE) SPL.
    pub tee: u8,
    /// SNP firmware SPL.
    pub snp: u8,
    /// CPU microcode SPL.
    pub microcode: u8,
}

impl Tcb {
    /// Decodes the little-endian u64 with the product's layout. Milan/Genoa: byte 0 bootloader,
    /// 1 tee, 6 snp, 7 microcode. Turin: 0 fmc, 1 bootloader, 2 tee, 3 snp, 7 microcode.
    pub fn decode(raw: u64, product: Product) -> Self {
        let b = raw.to_le_bytes();
        match product {
            Product::Milan | Product::Genoa => Self {
                fmc: 0,
                bootloader: b[0],
                tee: b[1],
                snp: b[6],
                microcode: b[7],
            },
            Product::Turin => Self {
                fmc: b[0],
                bootloader: b[1],
                tee: b[2],
                snp: b[3],
                microcode: b[7],
            },
        }
    }
}

impl std::fmt::Display for Tcb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "fmc={} bootloader={} tee={} snp={} microcode={}",
            self.fmc, self.bootloader, self.tee, self.snp, self.microcode
        )
    }
}

/// Which key signed the report (KEY_INFO.SIGNING_KEY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningKey {
    /// Versioned Chip Endorsement Key.
    Vcek,
    /// Versioned Loaded Endorsement Key (cloud provider).
    Vlek,
}

/// The fields of a report the appraisal uses; `signed` keeps the exact bytes the signature covers.
#[derive(Debug, Clone)]
pub struct Report {
    /// Report format version (2..=5 accepted).
    pub version: u32,
    /// Guest SVN.
    pub guest_svn: u32,
    /// Guest policy bits.
    pub policy: u64,
    /// Family id.
    pub family_id: [u8; 16],
    /// Image id.
    pub image_id: [u8; 16],
    /// VMPL the report was requested from.
    pub vmpl: u32,
    /// Signature algorithm (1 = ECDSA P-384 with SHA-384).
    pub signature_algo: u32,
    /// Raw CURRENT_TCB.
    pub current_tcb: u64,
    /// PLATFORM_INFO bits.
    pub platform_info: u64,
    /// MASK_CHIP_ID: chip_id is zeroed in the report.
    pub mask_chip_id: bool,
    /// VCEK or VLEK.
    pub signing_key: SigningKey,
    /// Guest-chosen data (our binding goes in the first 32 bytes).
    pub report_data: [u8; 64],
    /// Launch measurement.
    pub measurement: [u8; 48],
    /// Host-provided data.
    pub host_data: [u8; 32],
    /// SHA-384 of the ID key, if an ID block was used.
    pub id_key_digest: [u8; 48],
    /// SHA-384 of the author key.
    pub author_key_digest: [u8; 48],
    /// Report id.
    pub report_id: [u8; 32],
    /// Raw REPORTED_TCB (the TCB the VCEK was derived for).
    pub reported_tcb: u64,
    /// Chip id (zero under VLEK or MASK_CHIP_ID).
    pub chip_id: [u8; 64],
    /// Raw COMMITTED_TCB.
    pub committed_tcb: u64,
    /// Raw LAUNCH_TCB.
    pub launch_tcb: u64,
    /// Signature R, big-endian, 48 bytes.
    pub sig_r: [u8; 48],
    /// Signature S, big-endian, 48 bytes.
    pub sig_s: [u8; 48],
    /// Bytes 0..0x2A0, the signed part.
    pub signed: Vec<u8>,
}

fn arr<const N: usize>(b: &[u8], off: usize) -> Result<[u8; N], SnpError> {
    b.get(off..off + N)
        .and_then(|s| s.try_into().ok())
        .ok_or(SnpError::ReportLength(b.len()))
}

fn u32_at(b: &[u8], off: usize) -> Result<u32, SnpError> {
    Ok(u32::from_le_bytes(arr(b, off)?))
}

fn u64_at(b: &[u8], off: usize) -> Result<u64, SnpError> {
    Ok(u64::from_le_bytes(arr(b, off)?))
}

/// R and S are 72-byte little-endian fields; P-384 scalars use the low 48 bytes, the rest must
/// be zero (otherwise the value is out of range and we refuse rather than truncate).
fn scalar_be(b: &[u8], off: usize) -> Result<[u8; 48], SnpError> {
    let field: [u8; 72] = arr(b, off)?;
    if field[48..].iter().any(|&x| x != 0) {
        return Err(SnpError::ReportSignature);
    }
    let mut out = [0u8; 48];
    for (o, i) in out.iter_mut().zip(field[..48].iter().rev()) {
        *o = *i;
    }
    Ok(out)
}

impl Report {
    /// Parses a 1184-byte report.
    pub fn parse(b: &[u8]) -> Result<Self, SnpError> {
        if b.len() != REPORT_LEN {
            return Err(SnpError::ReportLength(b.len()));
        }
        let version = u32_at(b, 0x00)?;
        if !(2..=5).contains(&version) {
            return Err(SnpError::UnsupportedVersion(version));
        }
        let signature_algo = u32_at(b, 0x34)?;
        if signature_algo != 1 {
            return Err(SnpError::UnsupportedSignatureAlgo(signature_algo));
        }
        let key_info = u32_at(b, 0x48)?;
        let signing_key = match (key_info >> 2) & 0b111 {
            0 => SigningKey::Vcek,
            1 => SigningKey::Vlek,
            other => return Err(SnpError::UnsupportedSigningKey(other)),
        };
        Ok(Self {
            version,
            guest_svn: u32_at(b, 0x04)?,
            policy: u64_at(b, 0x08)?,
            family_id: arr(b, 0x10)?,
            image_id: arr(b, 0x20)?,
            vmpl: u32_at(b, 0x30)?,
            signature_algo,
            current_tcb: u64_at(b, 0x38)?,
            platform_info: u64_at(b, 0x40)?,
            mask_chip_id: key_info & 0b10 != 0,
            signing_key,
            report_data: arr(b, 0x50)?,
            measurement: arr(b, 0x90)?,
            host_data: arr(b, 0xC0)?,
            id_key_digest: arr(b, 0xE0)?,
            author_key_digest: arr(b, 0x110)?,
            report_id: arr(b, 0x140)?,
            reported_tcb: u64_at(b, 0x180)?,
            chip_id: arr(b, 0x1A0)?,
            committed_tcb: u64_at(b, 0x1E0)?,
            launch_tcb: u64_at(b, 0x1F0)?,
            sig_r: scalar_be(b, 0x2A0)?,
            sig_s: scalar_be(b, 0x2A0 + 72)?,
            signed: b.get(..SIGNED_LEN).unwrap_or_default().to_vec(),
        })
    }

    /// Policy bit 19: the guest allows the hypervisor to debug it (memory readable by the host).
    pub fn debug_allowed(&self) -> bool {
        self.policy & (1 << 19) != 0
    }
}
