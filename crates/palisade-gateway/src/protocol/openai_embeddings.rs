//! OpenAI `POST /v1/embeddings` request -> `Exchange`: `input` as a string or an array of
//! strings (token-id arrays carry no text to inspect).

use super::pointer::collect_strings;
use super::{model_of, ParseError};
use palisade_core::{ApiKind, Exchange, LeafKind};
use serde_json::Value;

/// Parses an embeddings request.
pub fn parse(v: &Value) -> Result<Exchange, ParseError> {
    let mut ex = Exchange {
        api: ApiKind::OpenAiEmbeddings,
        model: model_of(v)?,
        stream: false,
        leaves: Vec::new(),
        tools: Vec::new(),
    };
    let input = v
        .get("input")
        .ok_or_else(|| ParseError::Shape("missing required field `input`".into()))?;
    if !(input.is_string() || input.is_array()) {
        return Err(ParseError::Shape(
            "`input` must be a string or an array".into(),
        ));
    }
    collect_strings(input, "/input", LeafKind::User, &[], &mut ex.leaves);
    Ok(ex)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_and_array_inputs() {
        let ex =
            parse(&json!({"model": "text-embedding-3-small", "input": "The food was delicious"}))
                .unwrap();
        assert_eq!(ex.leaves.len(), 1);
        assert_eq!(ex.leaves[0].path, "/input");
        let ex =
            parse(&json!({"model": "e", "input": ["a", "b"], "encoding_format": "float"})).unwrap();
        let paths: Vec<_> = ex.leaves.iter().map(|l| l.path.as_str()).collect();
        assert_eq!(paths, ["/input/0", "/input/1"]);
        let ex = parse(&json!({"model": "e", "input": [[1, 2, 3]]})).unwrap();
        assert!(ex.leaves.is_empty());
        assert!(parse(&json!({"model": "e", "input": 5})).is_err());
        assert!(parse(&json!({"model": "e"})).is_err());
    }
}
