//! OpenAI `POST /v1/embeddings` request -> `Request`: `input` as a string or an array of
//! strings is text; token-id arrays are not text the gateway can read, so they are an opaque
//! attachment that policy decides on.

use super::walk::{self, Envelope, Seg, Signal};
use super::{model_of, ParseError, Request};
use palisade_core::{ApiKind, LeafKind};
use serde_json::Value;

/// Protocol structure of an embeddings request, by exact path. Everything else is inspected.
pub(crate) static ENVELOPE: Envelope =
    Envelope::new(&["/model", "/encoding_format"], &[], &[], kind);

fn kind(_: &Value, segs: &[Seg<'_>]) -> LeafKind {
    match walk::key_at(segs, 0) {
        Some("input") => LeafKind::User,
        _ => LeafKind::Other,
    }
}

/// Whether `v` holds a number anywhere (a token id, or an array of them).
fn has_tokens(v: &Value) -> bool {
    match v {
        Value::Number(_) => true,
        Value::Array(items) => items.iter().any(has_tokens),
        _ => false,
    }
}

/// Parses an embeddings request.
pub fn parse(v: &Value) -> Result<Request, ParseError> {
    let model = model_of(v)?;
    let input = v
        .get("input")
        .ok_or_else(|| ParseError::Shape("missing required field `input`".into()))?;
    if !(input.is_string() || input.is_array()) {
        return Err(ParseError::Shape(
            "`input` must be a string or an array".into(),
        ));
    }
    let mut walked = walk::walk(v, &ENVELOPE);
    // Token ids decode to text only with the model's tokenizer, which the gateway does not
    // have: what they say is unknown.
    if has_tokens(input) {
        walked.signals.push(Signal::opaque("/input", "token-ids"));
    }
    Ok(Request::new(
        ApiKind::OpenAiEmbeddings,
        model,
        false,
        walked,
        Vec::new(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::DataClass;
    use serde_json::json;

    #[test]
    fn envelope_exempts_exactly_these_paths() {
        assert_eq!(ENVELOPE.exempt, ["/model", "/encoding_format"]);
    }

    #[test]
    fn string_and_array_inputs() {
        let req =
            parse(&json!({"model": "text-embedding-3-small", "input": "The food was delicious"}))
                .unwrap();
        let paths: Vec<_> = req
            .exchange
            .leaves
            .iter()
            .map(|l| l.path.as_str())
            .collect();
        // The member name `input` is a key leaf like any other.
        assert_eq!(paths, ["/input~key", "/input"]);
        let req =
            parse(&json!({"model": "e", "input": ["a", "b"], "encoding_format": "float"})).unwrap();
        let paths: Vec<_> = req
            .exchange
            .leaves
            .iter()
            .map(|l| l.path.as_str())
            .collect();
        assert_eq!(paths, ["/input~key", "/input/0", "/input/1"]);
        assert!(req.signals.is_empty());
        assert!(parse(&json!({"model": "e", "input": 5})).is_err());
        assert!(parse(&json!({"model": "e"})).is_err());
    }

    #[test]
    fn token_id_embeddings_are_an_opaque_attachment() {
        for input in [json!([1, 2, 3]), json!([[1, 2, 3], [4]]), json!(["a", [5]])] {
            let req = parse(&json!({"model": "e", "input": input})).unwrap();
            assert_eq!(req.signals.len(), 1, "{input}");
            assert_eq!(req.signals[0].class, DataClass::OpaqueAttachment);
        }
    }
}
