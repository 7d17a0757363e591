//! Embedded payloads inside a request string: `data:` URLs (RFC 2397) and bare base64, decoded
//! to bytes with the media type they claim, so text hidden behind an encoding is inspected and
//! what is not text is named as such.

use base64::Engine as _;

/// What an embedded payload string turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Payload {
    /// Decoded bytes and the media type the payload claims (lowercase, without parameters),
    /// if it claims one.
    Decoded {
        media: Option<String>,
        bytes: Vec<u8>,
    },
    /// A `data:` URL without `;base64`: its data is the (percent-encoded) text itself.
    Plain { media: String },
    /// Claims to be a payload but does not decode.
    Undecodable,
}

/// Parses `s` as a `data:` URL. `None` when `s` is not one (ordinary text that merely starts
/// with `data:` is not mistaken for one: the media type part must be well formed).
pub(crate) fn data_url(s: &str) -> Option<Payload> {
    let rest = s.get(..5).filter(|p| p.eq_ignore_ascii_case("data:"))?;
    let rest = &s[rest.len()..];
    let (head, data) = rest.split_once(',')?;
    let mut params = head.split(';');
    let media = params.next().unwrap_or("").trim().to_ascii_lowercase();
    if !media.is_empty() && !is_media_type(&media) {
        return None;
    }
    let mut base64 = false;
    for p in params {
        let p = p.trim();
        if p.eq_ignore_ascii_case("base64") {
            base64 = true;
        } else if !p.contains('=') {
            return None;
        }
    }
    // RFC 2397: an omitted media type means text/plain.
    let media = if media.is_empty() {
        "text/plain".to_owned()
    } else {
        media
    };
    if !base64 {
        return Some(Payload::Plain { media });
    }
    Some(match decode_base64(data) {
        Some(bytes) => Payload::Decoded {
            media: Some(media),
            bytes,
        },
        None => Payload::Undecodable,
    })
}

/// A payload field's value: a `data:` URL, else bare base64 with no claimed media type.
pub(crate) fn payload(s: &str) -> Payload {
    if let Some(p) = data_url(s) {
        return p;
    }
    match decode_base64(s) {
        Some(bytes) => Payload::Decoded { media: None, bytes },
        None => Payload::Undecodable,
    }
}

/// Standard or URL-safe alphabet, padding optional, whitespace (line-wrapped MIME) ignored.
pub(crate) fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let compact: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let trimmed = compact.trim_end_matches('=');
    let engines = [
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    engines.iter().find_map(|e| e.decode(trimmed).ok())
}

/// Whether a media type names content that is text (and so is inspected as text).
pub(crate) fn is_text_media(media: &str) -> bool {
    let media = media.split(';').next().unwrap_or("").trim();
    media.starts_with("text/")
        || media.ends_with("+json")
        || media.ends_with("+xml")
        || matches!(
            media,
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/x-ndjson"
                | "application/yaml"
                | "application/x-yaml"
        )
}

fn is_media_type(m: &str) -> bool {
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    matches!(m.split_once('/'), Some((a, b)) if token(a) && token(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_urls_per_rfc_2397() {
        assert_eq!(
            data_url("data:text/plain;base64,aGk="),
            Some(Payload::Decoded {
                media: Some("text/plain".into()),
                bytes: b"hi".to_vec()
            })
        );
        assert_eq!(
            data_url("data:,hello"),
            Some(Payload::Plain {
                media: "text/plain".into()
            })
        );
        assert_eq!(
            data_url("DATA:application/pdf;name=x.pdf;base64,%%%"),
            Some(Payload::Undecodable)
        );
        // Prose that starts with "data:" is prose.
        assert_eq!(data_url("data: {\"a\": 1}, more"), None);
        assert_eq!(data_url("database"), None);
        assert_eq!(data_url("datä:x"), None);
    }

    #[test]
    fn bare_base64_and_media_types() {
        assert_eq!(
            payload("aGVs\nbG8"),
            Payload::Decoded {
                media: None,
                bytes: b"hello".to_vec()
            }
        );
        assert_eq!(payload("not base64!"), Payload::Undecodable);
        assert!(is_text_media("text/markdown"));
        assert!(is_text_media("application/ld+json"));
        assert!(!is_text_media("application/pdf"));
        assert!(!is_text_media("image/png"));
    }
}
