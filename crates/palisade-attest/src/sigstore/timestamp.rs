//! RFC 3161 signed timestamps in Sigstore bundles (how Rekor v2 bundles prove the signing time):
//! the TSTInfo must imprint the hash of the bundle signature, the CMS signer's signed
//! attributes must carry the TSTInfo digest, and the signature must verify under a timestamp
//! authority of the trusted root whose chain was valid at `genTime`.

use super::cert::verify_against;
use super::trusted_root::TrustedRoot;
use super::SigstoreError;
use crate::x509;
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::asn1::{Any, ObjectIdentifier, OctetString};
use der::{Decode, Encode, Reader, SliceReader};
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::AlgorithmIdentifierOwned;

const OID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const OID_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const OID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const OID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

fn bad(m: &str) -> SigstoreError {
    SigstoreError::Timestamp(m.to_owned())
}

/// Hash by digest OID (SHA-256/384/512).
fn hash(alg: &ObjectIdentifier, data: &[u8]) -> Result<Vec<u8>, SigstoreError> {
    Ok(match *alg {
        o if o == OID_SHA256 => Sha256::digest(data).to_vec(),
        o if o == x509::OID_SHA384 => Sha384::digest(data).to_vec(),
        o if o == OID_SHA512 => Sha512::digest(data).to_vec(),
        _ => return Err(bad("unsupported digest algorithm")),
    })
}

#[derive(der::Sequence)]
struct MessageImprint {
    hash_algorithm: AlgorithmIdentifierOwned,
    hashed_message: OctetString,
}

/// `YYYYMMDDHHMMSS[.f*]Z` -> ms. Parsed by hand because DER GeneralizedTime in `der` refuses
/// the fractional seconds TSAs commonly emit.
fn generalized_time_ms(raw: &[u8]) -> Result<u64, SigstoreError> {
    let s = std::str::from_utf8(raw).map_err(|_| bad("gentime is not ascii"))?;
    let s = s
        .strip_suffix('Z')
        .ok_or_else(|| bad("gentime is not utc"))?;
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let num = |r: std::ops::Range<usize>| -> Result<u32, SigstoreError> {
        whole
            .get(r)
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| bad("gentime malformed"))
    };
    if whole.len() != 14 {
        return Err(bad("gentime malformed"));
    }
    let month = time::Month::try_from(u8::try_from(num(4..6)?).unwrap_or(0))
        .map_err(|_| bad("gentime month"))?;
    let date = time::Date::from_calendar_date(num(0..4)? as i32, month, num(6..8)? as u8)
        .map_err(|_| bad("gentime date"))?;
    let t = time::Time::from_hms(num(8..10)? as u8, num(10..12)? as u8, num(12..14)? as u8)
        .map_err(|_| bad("gentime time"))?;
    let secs = date.with_time(t).assume_utc().unix_timestamp();
    let ms_frac: u64 = format!("{frac:0<3}")
        .get(..3)
        .and_then(|f| f.parse().ok())
        .ok_or_else(|| bad("gentime fraction"))?;
    u64::try_from(secs)
        .map(|s| s * 1000 + ms_frac)
        .map_err(|_| bad("gentime before 1970"))
}

/// (imprint, genTime ms) from TSTInfo; later optional fields are skipped.
fn parse_tst_info(der_bytes: &[u8]) -> Result<(MessageImprint, u64), SigstoreError> {
    let err = |_| bad("tstinfo malformed");
    let mut r = SliceReader::new(der_bytes).map_err(err)?;
    r.sequence(|r| {
        let _version: u8 = r.decode()?;
        let _policy: ObjectIdentifier = r.decode()?;
        let imprint: MessageImprint = r.decode()?;
        let _serial: der::asn1::Int = r.decode()?;
        let gen: Any = r.decode()?;
        while !r.is_finished() {
            let _: Any = r.decode()?;
        }
        Ok((imprint, gen))
    })
    .map_err(err)
    .and_then(|(imprint, gen)| Ok((imprint, generalized_time_ms(gen.value())?)))
}

/// A token may come bare (ContentInfo) or inside a TimeStampResp {status, token}.
fn content_info(bytes: &[u8]) -> Result<ContentInfo, SigstoreError> {
    if let Ok(ci) = ContentInfo::from_der(bytes) {
        return Ok(ci);
    }
    let mut r = SliceReader::new(bytes).map_err(|_| bad("not der"))?;
    r.sequence(|r| {
        let _status: Any = r.decode()?;
        r.decode::<ContentInfo>()
    })
    .map_err(|_| bad("neither a timestamp token nor a response"))
}

/// Verifies one timestamp over `signature`; returns the verified genTime in ms.
pub fn verify_timestamp(
    token_der: &[u8],
    signature: &[u8],
    root: &TrustedRoot,
) -> Result<u64, SigstoreError> {
    let ci = content_info(token_der)?;
    if ci.content_type != OID_SIGNED_DATA {
        return Err(bad("token is not signed data"));
    }
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|_| bad("signed data malformed"))?;
    if sd.encap_content_info.econtent_type != OID_TST_INFO {
        return Err(bad("token does not carry a tstinfo"));
    }
    let tst_der = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| bad("tstinfo missing"))?
        .decode_as::<OctetString>()
        .map_err(|_| bad("tstinfo not an octet string"))?
        .into_bytes();
    let (imprint, gen_ms) = parse_tst_info(&tst_der)?;
    if hash(&imprint.hash_algorithm.oid, signature)? != imprint.hashed_message.as_bytes() {
        return Err(bad("timestamp is not over this signature"));
    }
    let [si] = sd.signer_infos.0.as_slice() else {
        return Err(bad("expected exactly one signer"));
    };
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| bad("no signed attributes"))?;
    let attr = |oid: ObjectIdentifier| {
        attrs
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.iter().next())
            .ok_or_else(|| bad("signed attribute missing"))
    };
    if attr(OID_CONTENT_TYPE)?.decode_as::<ObjectIdentifier>().ok() != Some(OID_TST_INFO) {
        return Err(bad("content type attribute is not tstinfo"));
    }
    let md = attr(OID_MESSAGE_DIGEST)?
        .decode_as::<OctetString>()
        .map_err(|_| bad("message digest attribute malformed"))?;
    if hash(&si.digest_alg.oid, &tst_der)? != md.as_bytes() {
        return Err(bad("message digest attribute does not match tstinfo"));
    }
    // The signature covers the DER of the attributes as a SET OF (tag 0x31).
    let signed = attrs.to_der().map_err(|_| bad("signed attributes"))?;
    let digest = match si.signature_algorithm.oid {
        o if o == x509::OID_ECDSA_SHA256 => Sha256::digest(&signed).to_vec(),
        o if o == x509::OID_ECDSA_SHA384 => Sha384::digest(&signed).to_vec(),
        o if o == x509::OID_EC_PUBLIC_KEY => hash(&si.digest_alg.oid, &signed)?,
        _ => return Err(bad("unsupported timestamp signature algorithm")),
    };
    for tsa in root.tsas.iter().filter(|t| t.valid_for.contains(gen_ms)) {
        let Some((leaf, rest)) = tsa.chain.split_first() else {
            continue;
        };
        let Ok(key) = super::cert::cert_key(leaf, "tsa") else {
            continue;
        };
        if !key.verify_prehash(&digest, si.signature.as_bytes()) {
            continue;
        }
        x509::check_validity(leaf, gen_ms, "tsa certificate")
            .map_err(|e| SigstoreError::Timestamp(e.to_string()))?;
        verify_against(leaf, rest, gen_ms)?;
        return Ok(gen_ms);
    }
    Err(bad("no trusted timestamp authority verifies the token"))
}
