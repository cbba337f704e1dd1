//! A hand-edited schema is the toolkit's main input: whatever an edit does to it, loading and generating
//! either work or fail with a located error — never a panic. Mutations of the canonical schema replace,
//! delete or retype one node at a random place, then the whole pipeline runs. A failure must be located where
//! the edit is (or at the def that refers to the edited one) and its message must start with that location.

use handoff_schema::{Contract, SCHEMA_JSON, SchemaError};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Every JSON pointer into `value`, parents before children.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                pointers(child, format!("{at}/{}", handoff_schema::escape_pointer_token(key)), out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{index}"), out);
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(Value),
    Delete,
}

fn replacement() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z#/$_ -]{0,12}".prop_map(Value::from),
        Just(json!({})),
        Just(json!([])),
        Just(json!({"type": "object", "properties": {"x": {"type": "string"}}})),
        Just(json!({"$ref": "#/$defs/Nope"})),
        Just(json!({"oneOf": [{"type": "string"}]})),
        Just(json!(["string", "null", "integer"])),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![replacement().prop_map(Mutation::Replace), Just(Mutation::Delete)]
}

fn apply(document: &mut Value, pointer: &str, mutation: &Mutation) {
    match mutation {
        Mutation::Replace(value) => {
            if let Some(slot) = document.pointer_mut(pointer) {
                *slot = value.clone();
            }
        }
        Mutation::Delete => {
            let Some((parent, last)) = pointer.rsplit_once('/') else { return };
            let key = last.replace("~1", "/").replace("~0", "~");
            match document.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.shift_remove(&key);
                }
                Some(Value::Array(items)) => {
                    if let Ok(index) = key.parse::<usize>()
                        && index < items.len()
                    {
                        items.remove(index);
                    }
                }
                _ => {}
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_single_edit_loads_and_generates_or_fails_with_a_located_error(
        choice in any::<prop::sample::Index>(),
        mutation in mutation(),
    ) {
        let original: Value = serde_json::from_str(SCHEMA_JSON).unwrap();
        let mut all = Vec::new();
        pointers(&original, String::new(), &mut all);
        // Leave out the root itself: replacing the whole document is covered by the JSON-level tests.
        let pointer = &all[1 + choice.index(all.len() - 1)];
        let mut document = original.clone();
        apply(&mut document, pointer, &mutation);
        match Contract::from_value(document.clone()) {
            Ok(contract) => {
                // A schema that lowers must render in every backend or give a backend error, not panic.
                let _ = handoff_codegen::generate_all(&contract.ir);
            }
            Err(error) => {
                let is_json_error = matches!(error, SchemaError::Json { .. });
                prop_assert!(!is_json_error, "a Value cannot fail to parse");
                let Some(at) = error.pointer() else {
                    return Err(TestCaseError::fail(format!("no location for an edit at {pointer}: {error}")));
                };
                let message = error.to_string();
                prop_assert!(
                    message.starts_with(&format!("{at}: ")) && message.len() > at.len() + 2,
                    "the message must start with its location and say what is wrong: {message}"
                );
                // The location is the edited node, inside it or around it, or in the same def; or the edit broke
                // a def that the located def refers to, and the message or the reference names it.
                let edited_def = def_root(pointer);
                let near = at.starts_with(pointer.as_str()) || pointer.starts_with(at) || def_root(at) == edited_def;
                let via_reference = edited_def.strip_prefix("/$defs/").is_some_and(|name| {
                    message.contains(name) || refers_to(&original, &def_root(at), name)
                });
                prop_assert!(near || via_reference, "an edit at {pointer} is reported at an unrelated place: {message}");
                prop_assert!(
                    document.pointer(at).is_some() || pointer.starts_with(at) || at.starts_with(pointer.as_str()),
                    "the location {at} is not in the edited document: {message}"
                );
            }
        }
    }
}

/// The def (or `x-rpc` entry) a pointer is in: its first two tokens, `/$defs/ThreadId`.
fn def_root(pointer: &str) -> String {
    pointer.split('/').take(3).collect::<Vec<_>>().join("/")
}

/// Whether the node at `from` refers to def `name` with a `$ref`.
fn refers_to(document: &Value, from: &str, name: &str) -> bool {
    document.pointer(from).is_some_and(|node| node.to_string().contains(&format!("\"#/$defs/{name}\"")))
}
