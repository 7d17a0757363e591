//! A canary at every path (issue 13 proof, request side, adapter level): for realistic request
//! shapes of the four APIs, a canary placed at every string position, in an unknown field
//! added to every object, as a new object key and as a new array element is handed to
//! inspection, or the request is refused as malformed, or it carries a data class that policy
//! decides on at that very path. The only positions where a canary token is not inspected are
//! the envelope paths listed here, and there even a canary that is prose is inspected.
//! A property test adds arbitrary nested values (keys drawn from the envelope vocabulary) to
//! arbitrary objects of the shapes.

#![recursion_limit = "512"]

mod shapes;

use palisade_core::ApiKind;
use palisade_gateway::protocol::{parse_request, Request};
use proptest::prelude::*;
use serde_json::{json, Value};

const TOKEN: &str = "pcan-7f3a9c1e";
const PROSE: &str = "roadmap pcan-7f3a9c1e acquire";

/// Whether the canary would leave uninspected: not refused as malformed, not in any leaf,
/// and no signal at `at`.
fn escapes(api: ApiKind, v: &Value, at: &str) -> bool {
    let req: Request = match parse_request(api, v.to_string().as_bytes()) {
        Ok((_, r)) => r,
        Err(_) => return false,
    };
    let inspected = req.exchange.leaves.iter().any(|l| l.text.contains(TOKEN));
    let signalled = req.signals.iter().any(|s| s.path == at);
    !(inspected || signalled)
}

fn exempt_positions(api: ApiKind, shape: &Value) -> Vec<String> {
    let mut exempt = Vec::new();
    for p in shapes::string_paths(shape) {
        for canary in [TOKEN, PROSE] {
            let mut v = shape.clone();
            *v.pointer_mut(&p).unwrap() = json!(canary);
            if escapes(api, &v, &p) {
                assert_eq!(canary, TOKEN, "{api:?}: prose canary at {p} not inspected");
                exempt.push(p.clone());
            }
        }
    }
    exempt
}

#[test]
fn a_canary_at_every_string_position_is_inspected_but_at_envelope_paths() {
    let want: [(ApiKind, &[&str]); 4] = [
        (
            ApiKind::OpenAiChat,
            &[
                "/audio/format",
                "/audio/voice",
                "/messages/0/role",
                "/messages/1/content/0/type",
                "/messages/1/role",
                "/messages/2/content/0/type",
                "/messages/2/content/1/image_url/detail",
                "/messages/2/content/1/type",
                "/messages/2/content/2/type",
                "/messages/2/content/3/type",
                "/messages/2/content/4/input_audio/format",
                "/messages/2/content/4/type",
                "/messages/2/role",
                "/messages/3/role",
                "/messages/3/tool_calls/0/type",
                "/messages/3/tool_calls/1/type",
                "/messages/4/content/0/type",
                "/messages/4/role",
                "/messages/5/content/0/type",
                "/messages/5/role",
                "/messages/6/role",
                "/messages/7/role",
                "/modalities/0",
                "/model",
                "/reasoning_effort",
                "/response_format/type",
                "/service_tier",
                "/tool_choice/type",
                "/verbosity",
            ],
        ),
        (
            ApiKind::OpenAiResponses,
            &[
                "/include/0",
                "/input/0/role",
                "/input/1/content/0/type",
                "/input/1/content/1/detail",
                "/input/1/content/1/type",
                "/input/1/content/2/type",
                "/input/1/content/3/type",
                "/input/1/role",
                "/input/1/type",
                "/input/2/type",
                "/input/3/status",
                "/input/3/type",
                "/input/4/type",
                "/input/5/type",
                "/input/6/type",
                "/input/7/content/0/type",
                "/input/7/content/1/type",
                "/input/7/role",
                "/input/7/status",
                "/input/7/type",
                "/input/8/type",
                "/model",
                "/reasoning/effort",
                "/reasoning/summary",
                "/service_tier",
                "/text/format/type",
                "/text/verbosity",
                "/tool_choice/type",
                "/truncation",
            ],
        ),
        (ApiKind::OpenAiEmbeddings, &["/encoding_format", "/model"]),
        (
            ApiKind::AnthropicMessages,
            &[
                "/messages/0/role",
                "/messages/1/content/0/cache_control/type",
                "/messages/1/content/0/type",
                "/messages/1/content/1/source/media_type",
                "/messages/1/content/1/source/type",
                "/messages/1/content/1/type",
                "/messages/1/content/2/source/media_type",
                "/messages/1/content/2/source/type",
                "/messages/1/content/2/type",
                "/messages/1/content/3/source/media_type",
                "/messages/1/content/3/source/type",
                "/messages/1/content/3/type",
                "/messages/1/content/4/source/content/0/type",
                "/messages/1/content/4/source/type",
                "/messages/1/content/4/type",
                "/messages/1/content/5/source/type",
                "/messages/1/content/5/type",
                "/messages/1/role",
                "/messages/2/content/0/type",
                "/messages/2/content/1/type",
                "/messages/2/content/2/type",
                "/messages/2/content/3/type",
                "/messages/2/role",
                "/messages/3/content/0/content/0/type",
                "/messages/3/content/0/content/1/source/media_type",
                "/messages/3/content/0/content/1/source/type",
                "/messages/3/content/0/content/1/type",
                "/messages/3/content/0/content/2/source/media_type",
                "/messages/3/content/0/content/2/source/type",
                "/messages/3/content/0/content/2/type",
                "/messages/3/content/0/type",
                "/messages/3/content/1/type",
                "/messages/3/role",
                "/model",
                "/service_tier",
                "/system/0/cache_control/ttl",
                "/system/0/cache_control/type",
                "/system/0/type",
                "/thinking/type",
                "/tool_choice/type",
                "/tools/0/cache_control/type",
            ],
        ),
    ];
    for (api, shape) in shapes::all() {
        let mut got = exempt_positions(api, &shape);
        got.sort();
        let expected = want.iter().find(|(a, _)| *a == api).unwrap().1;
        assert_eq!(got, expected, "{api:?}");
    }
}

#[test]
fn an_unknown_field_key_or_element_anywhere_is_inspected() {
    for (api, shape) in shapes::all() {
        for p in shapes::container_paths(&shape) {
            let mut added = Vec::new();
            match shape.pointer(&p).unwrap() {
                Value::Object(_) => {
                    for (k, val) in [("x_future_field", json!(TOKEN)), (TOKEN, json!(1))] {
                        let mut v = shape.clone();
                        v.pointer_mut(&p)
                            .unwrap()
                            .as_object_mut()
                            .unwrap()
                            .insert(k.into(), val);
                        added.push((v, format!("{p}/{k}")));
                    }
                }
                Value::Array(a) => {
                    // Prose: an element added to an enumeration array (`/modalities/*`) is
                    // an envelope position, where only a token is exempt.
                    let mut v = shape.clone();
                    let at = format!("{p}/{}", a.len());
                    v.pointer_mut(&p)
                        .unwrap()
                        .as_array_mut()
                        .unwrap()
                        .push(json!(PROSE));
                    added.push((v, at));
                }
                _ => unreachable!(),
            }
            for (v, at) in added {
                assert!(!escapes(api, &v, &at), "{api:?}: canary added at {at}");
            }
        }
    }
}

/// Nested values whose member names are the words adapters used to skip by name.
fn nested() -> impl Strategy<Value = Value> {
    let key = prop::sample::select(vec![
        "type",
        "data",
        "id",
        "status",
        "role",
        "text",
        "file_data",
        "model",
        "source",
        "media_type",
        "signature",
        "cache_control",
        "input",
        "content",
        "x",
    ]);
    let leaf = prop_oneof![
        Just(json!(1)),
        Just(json!(true)),
        Just(json!(null)),
        "[a-z]{1,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..4).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

/// Puts the canary into `v`: as the first string leaf, else as a new member.
fn plant(v: &mut Value, as_key: bool) {
    fn first_string(v: &mut Value) -> Option<&mut Value> {
        match v {
            Value::String(_) => Some(v),
            Value::Array(a) => a.iter_mut().find_map(first_string),
            Value::Object(m) => m.values_mut().find_map(first_string),
            _ => None,
        }
    }
    if !as_key {
        if let Some(s) = first_string(v) {
            *s = json!(TOKEN);
            return;
        }
    }
    match v {
        Value::Object(m) => {
            m.insert(TOKEN.into(), json!(0));
        }
        Value::Array(a) => a.push(json!({TOKEN: 0})),
        other => *other = json!({"x": TOKEN}),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn arbitrary_values_in_arbitrary_objects_are_inspected(
        which in 0usize..4,
        at in any::<prop::sample::Index>(),
        key in prop::sample::select(vec!["type", "data", "id", "status", "metadata", "x_new"]),
        mut value in nested(),
        as_key in any::<bool>(),
    ) {
        let (api, mut shape) = shapes::all().swap_remove(which);
        plant(&mut value, as_key);
        let objects: Vec<String> = shapes::container_paths(&shape)
            .into_iter()
            .filter(|p| shape.pointer(p).is_some_and(Value::is_object))
            .collect();
        let p = at.get(&objects).clone();
        // A container value (never a bare string): an exempt envelope position holds only
        // a token string, so nothing under a container is ever exempt.
        let value = if value.is_string() { json!([value]) } else { value };
        let member = format!("{p}/{key}");
        shape.pointer_mut(&p).unwrap().as_object_mut().unwrap().insert(key.into(), value);
        prop_assert!(!escapes(api, &shape, &member) || {
            // A signal under the new member also counts (e.g. an undecodable `data`).
            let (_, r) = parse_request(api, shape.to_string().as_bytes()).unwrap();
            r.signals.iter().any(|s| s.path.starts_with(&member))
        }, "{:?} {}", api, member);
    }
}
