//! Strict JSON reading for untrusted MCP bodies: a size cap before parsing, serde_json's nesting
//! limit, and duplicate object keys refused. Duplicates matter because serde_json keeps the last
//! value while other parsers keep the first: a body read one way here and another way upstream
//! would let an inspected value differ from the executed one (DESIGN.md §7.1).

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Largest MCP message body read by default (a tool call or a tools/list page).
pub const DEFAULT_MAX_BODY: usize = 4 * 1024 * 1024;

/// Why a body is not acceptable JSON. Messages are fixed: they never echo the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// The body is larger than the configured cap.
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    /// An object has the same key twice.
    #[error("duplicate object key")]
    DuplicateKey,
    /// Not JSON (syntax, trailing data, nesting beyond the limit, number out of range).
    #[error("malformed json")]
    Malformed,
}

/// Parses `bytes` as one JSON value, refusing bodies over `max` bytes and duplicate keys.
pub fn parse(bytes: &[u8], max: usize) -> Result<Value, JsonError> {
    if bytes.len() > max {
        return Err(JsonError::TooLarge(max));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue.deserialize(&mut de).map_err(classify)?;
    de.end().map_err(|_| JsonError::Malformed)?;
    Ok(value)
}

const DUPLICATE: &str = "palisade: duplicate object key";

fn classify(e: serde_json::Error) -> JsonError {
    if e.to_string().starts_with(DUPLICATE) {
        JsonError::DuplicateKey
    } else {
        JsonError::Malformed
    }
}

struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(DUPLICATE));
            }
            let v = map.next_value_seed(StrictValue)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_key_smuggling_refused() {
        // First-wins and last-wins parsers would disagree on which tool runs.
        let body = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read","name":"delete"}}"#;
        assert_eq!(parse(body, DEFAULT_MAX_BODY), Err(JsonError::DuplicateKey));
        // Same key in sibling objects is fine.
        let ok = br#"{"a":{"k":1},"b":{"k":2}}"#;
        assert!(parse(ok, DEFAULT_MAX_BODY).is_ok());
    }

    #[test]
    fn oversized_and_malformed_bodies_refused() {
        assert_eq!(parse(b"{}", 1), Err(JsonError::TooLarge(1)));
        assert_eq!(parse(b"{} {}", 100), Err(JsonError::Malformed));
        assert_eq!(parse(b"{\"a\":", 100), Err(JsonError::Malformed));
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(parse(deep.as_bytes(), 10_000), Err(JsonError::Malformed));
        assert_eq!(parse(b"1e400", 100), Err(JsonError::Malformed));
    }
}
