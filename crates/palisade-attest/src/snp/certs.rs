//! AMD's certificate chain for SEV-SNP: the pinned ARK of each product, the ASK (VCEK issuer) and
//! ASVK (VLEK issuer) from the configured bundle, and the VCEK/VLEK's TCB and hwID extensions.

use super::report::{Product, SigningKey, Tcb};
use super::SnpError;
use crate::x509::{self, CertError};
use der::Decode;
use x509_cert::der::asn1::{ObjectIdentifier, OctetString};
use x509_cert::Certificate;

/// SHA-256 of the DER of AMD's root keys (ARK), from AMD KDS `cert_chain` as shipped in
/// virtee/sev. Pinned in code on purpose: configuration supplies the bundle, never the trust.
pub fn pinned_ark_sha256(product: Product) -> &'static str {
    match product {
        Product::Milan => "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd",
        Product::Genoa => "4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1",
        Product::Turin => "1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a",
    }
}

/// The AMD certificates of one product, checked against the pin at construction.
#[derive(Debug, Clone)]
pub struct ProductRoots {
    /// Product.
    pub product: Product,
    /// AMD Root Key (self-signed, pinned).
    pub ark: Certificate,
    /// AMD SEV Key, issuer of VCEKs.
    pub ask: Option<Certificate>,
    /// AMD SEV VLEK Key, issuer of VLEKs.
    pub asvk: Option<Certificate>,
}

impl ProductRoots {
    /// Sorts a PEM bundle (any order: ASK, ASVK, ARK) by common name and checks the ARK pin.
    pub fn from_pem(product: Product, pem: &str) -> Result<Self, SnpError> {
        let name = product.cert_name();
        let certs = x509::from_pem_chain(pem, &format!("{} amd bundle", name.to_lowercase()))?;
        let mut ark = None;
        let mut ask = None;
        let mut asvk = None;
        for cert in certs {
            let cn = x509::common_name(&cert.tbs_certificate.subject).unwrap_or_default();
            if cn == format!("ARK-{name}") {
                let fp = hex::encode(x509::fingerprint_sha256(&cert)?);
                if fp != pinned_ark_sha256(product) {
                    return Err(SnpError::UntrustedRoot(product.cert_name().to_lowercase()));
                }
                ark = Some(cert);
            } else if cn == format!("SEV-{name}") {
                ask = Some(cert);
            } else if cn == format!("SEV-VLEK-{name}") {
                asvk = Some(cert);
            } else {
                return Err(SnpError::Config(format!(
                    "unexpected certificate `{cn}` in the {} bundle",
                    name.to_lowercase()
                )));
            }
        }
        let ark = ark.ok_or_else(|| {
            SnpError::Config(format!("the {} bundle has no ARK", name.to_lowercase()))
        })?;
        if ask.is_none() && asvk.is_none() {
            return Err(SnpError::Config(format!(
                "the {} bundle has neither ASK nor ASVK",
                name.to_lowercase()
            )));
        }
        // ARK and ASK/ASVK are configuration, not evidence: their signatures are checked once
        // here (a bad bundle fails at startup); validity windows are still checked per call.
        x509::check_issuer_name(&ark, &ark, "ark", "ark")?;
        x509::verify_rsa_pss_sha384(&ark, &ark, "ark", "ark")?;
        for (cert, which) in [(&ask, "ask"), (&asvk, "asvk")] {
            if let Some(cert) = cert {
                x509::check_issuer_name(cert, &ark, which, "ark")?;
                x509::verify_rsa_pss_sha384(cert, &ark, which, "ark")?;
            }
        }
        Ok(Self {
            product,
            ark,
            ask,
            asvk,
        })
    }

    /// Verifies the leaf under ASK|ASVK and the validity of ARK, intermediate and leaf at
    /// `now_ms` (ARK -> ASK|ASVK signatures were verified at construction); returns the
    /// earliest notAfter.
    pub fn verify_chain(
        &self,
        leaf: &Certificate,
        key: SigningKey,
        now_ms: u64,
    ) -> Result<u64, SnpError> {
        let (inter, inter_name, leaf_name) = match key {
            SigningKey::Vcek => (self.ask.as_ref(), "ask", "vcek"),
            SigningKey::Vlek => (self.asvk.as_ref(), "asvk", "vlek"),
        };
        let inter = inter.ok_or_else(|| {
            SnpError::Config(format!("no {inter_name} configured for this product"))
        })?;
        x509::check_validity(&self.ark, now_ms, "ark")?;
        x509::check_validity(inter, now_ms, inter_name)?;
        x509::check_validity(leaf, now_ms, leaf_name)?;
        x509::check_issuer_name(leaf, inter, leaf_name, inter_name)?;
        x509::verify_rsa_pss_sha384(leaf, inter, leaf_name, inter_name)?;
        let earliest = [&self.ark, inter, leaf]
            .iter()
            .map(|c| x509::validity_ms(c).1)
            .min()
            .unwrap_or(0);
        Ok(earliest)
    }
}

/// The P-384 report-signing key of a VCEK/VLEK certificate.
pub fn leaf_key(leaf: &Certificate) -> Result<p384::ecdsa::VerifyingKey, SnpError> {
    if x509::ec_curve(leaf) != Some(x509::OID_P384) {
        return Err(CertError::Algorithm {
            which: "vcek".into(),
            what: "key is not ecdsa p-384".into(),
        }
        .into());
    }
    let bits = leaf
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    p384::ecdsa::VerifyingKey::from_sec1_bytes(bits).map_err(|_| {
        CertError::Decode {
            which: "vcek".into(),
            reason: "p-384 point is invalid".into(),
        }
        .into()
    })
}

const AMD_ARC: &str = "1.3.6.1.4.1.3704.1";

fn ext_value<'a>(leaf: &'a Certificate, oid: &str) -> Option<&'a [u8]> {
    let oid = ObjectIdentifier::new(&format!("{AMD_ARC}.{oid}")).ok()?;
    leaf.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == oid)
        .map(|e| e.extn_value.as_bytes())
}

fn spl(leaf: &Certificate, oid: &'static str, name: &'static str) -> Result<u8, SnpError> {
    let raw = ext_value(leaf, oid).ok_or(SnpError::VcekExtension(name))?;
    u8::from_der(raw).map_err(|_| SnpError::VcekExtension(name))
}

/// Checks that the leaf certificate was issued for the report's REPORTED_TCB (and, for a VCEK,
/// for its chip): AMD derives the VCEK from exactly these values, so a mismatch means the report
/// was edited or signed by another chip's key.
pub fn check_leaf_matches(
    leaf: &Certificate,
    product: Product,
    key: SigningKey,
    reported: Tcb,
    chip_id: &[u8; 64],
    mask_chip_id: bool,
) -> Result<(), SnpError> {
    let mut checks = vec![
        ("bootloader", "3.1", reported.bootloader),
        ("tee", "3.2", reported.tee),
        ("snp", "3.3", reported.snp),
        ("microcode", "3.8", reported.microcode),
    ];
    if product == Product::Turin {
        checks.push(("fmc", "3.9", reported.fmc));
    }
    for (name, oid, want) in checks {
        let got = spl(leaf, oid, name)?;
        if got != want {
            return Err(SnpError::VcekTcbMismatch {
                component: name,
                report: want,
                cert: got,
            });
        }
    }
    if key == SigningKey::Vcek && !mask_chip_id {
        let raw = ext_value(leaf, "4").ok_or(SnpError::VcekExtension("hwid"))?;
        // Older VCEKs carry the 64 raw bytes; newer ones wrap them in an OCTET STRING.
        let hwid = if raw.len() == 64 {
            raw.to_vec()
        } else {
            OctetString::from_der(raw)
                .map_err(|_| SnpError::VcekExtension("hwid"))?
                .into_bytes()
        };
        // Turin VCEKs carry an 8-byte hwID; the report pads the chip id with zeros to 64.
        let matches = !hwid.is_empty()
            && chip_id.starts_with(&hwid)
            && chip_id.iter().skip(hwid.len()).all(|&b| b == 0);
        if !matches {
            return Err(SnpError::ChipIdMismatch);
        }
    }
    Ok(())
}
