//! A model of what the generated Swift decoders do, run over the shared message fixtures, since no Swift
//! compiler runs here. The model follows the IR with the rules the backend renders (and `swift_units` pins
//! line by line): presence decides absent/null handling, closed objects reject unknown members, aliases are
//! read and clash with the canonical name, open enums keep unknown values, newtypes check their constraints,
//! tagged unions dispatch on the tag. It answers two questions before anyone runs `swift test` on a Mac:
//! does every valid fixture decode and re-encode to its canonical form, and is every invalid fixture that
//! decodes covered by one of the two leniencies the XCTests allow (a null member, an unknown enum value)?

use std::collections::BTreeMap;
use std::path::Path;

use handoff_schema::{Contract, EnumOrigin, Ir, Presence, Primitive, TypeKind, TypeRef};
use regex::Regex;
use serde_json::{Map, Value};

/// What decoding met along the way that the schema would reject but Swift keeps.
#[derive(Default)]
struct Leniency {
    unknown_enum_value: bool,
}

type Decoded = Result<Value, String>;

/// The generated Swift's decoding of `value` as `ty`, re-encoded as `JSONEncoder` would write it.
fn decode(ir: &Ir, ty: &TypeRef, value: &Value, leniency: &mut Leniency) -> Decoded {
    match ty {
        TypeRef::String => {
            value.as_str().map(|s| Value::String(s.to_owned())).ok_or_else(|| expected("a string", value))
        }
        TypeRef::Integer => integer(value).map(Value::from).ok_or_else(|| expected("an Int64", value)),
        TypeRef::Number => value.as_f64().map(Value::from).ok_or_else(|| expected("a number", value)),
        TypeRef::Boolean => value.as_bool().map(Value::Bool).ok_or_else(|| expected("a boolean", value)),
        TypeRef::Any => Ok(json_value(value)),
        TypeRef::Array(item) => {
            let items = value.as_array().ok_or_else(|| expected("an array", value))?;
            items.iter().map(|v| decode(ir, item, v, leniency)).collect::<Result<Vec<_>, _>>().map(Value::Array)
        }
        TypeRef::Map(item) => {
            let members = value.as_object().ok_or_else(|| expected("an object", value))?;
            let mut out = Map::new();
            for (key, v) in members {
                out.insert(key.clone(), decode(ir, item, v, leniency)?);
            }
            Ok(Value::Object(out))
        }
        TypeRef::Named(name) => decode_named(ir, name, value, leniency),
    }
}

/// `JSONValue`: integers stay integers (also when written `2.0`), other numbers become doubles.
fn json_value(value: &Value) -> Value {
    match value {
        Value::Number(_) => integer(value).map(Value::from).unwrap_or_else(|| value.clone()),
        Value::Array(items) => Value::Array(items.iter().map(json_value).collect()),
        Value::Object(members) => Value::Object(members.iter().map(|(k, v)| (k.clone(), json_value(v))).collect()),
        other => other.clone(),
    }
}

/// `JSONDecoder` reads an `Int64` from a JSON number with no fractional part that fits.
fn integer(value: &Value) -> Option<i64> {
    if let Some(i) = value.as_i64() {
        return Some(i);
    }
    let f = value.as_f64()?;
    (f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64).then_some(f as i64)
}

fn expected(what: &str, value: &Value) -> String {
    format!("expected {what}, found {value}")
}

fn decode_named(ir: &Ir, name: &str, value: &Value, leniency: &mut Leniency) -> Decoded {
    let def = ir.type_def(name);
    match &def.kind {
        TypeKind::Alias(ty) => decode(ir, ty, value, leniency),
        TypeKind::StringEnum(e) => {
            let text = value.as_str().ok_or_else(|| expected(&format!("a {name} string"), value))?;
            let listed = e.values.iter().any(|v| v.wire == text);
            match e.origin {
                // A raw-value enum: any other value is a DecodingError.
                EnumOrigin::Const if !listed => Err(format!("{name}: invalid value {text:?}")),
                EnumOrigin::Const => Ok(value.clone()),
                // `unknown(String)` keeps it.
                EnumOrigin::Enum => {
                    leniency.unknown_enum_value |= !listed;
                    Ok(value.clone())
                }
            }
        }
        TypeKind::Newtype(n) => {
            let c = &n.constraints;
            match n.base {
                Primitive::String => {
                    let text = value.as_str().ok_or_else(|| expected(&format!("a {name} string"), value))?;
                    let length = text.chars().count() as u64;
                    if c.min_length.is_some_and(|min| length < min) || c.max_length.is_some_and(|max| length > max) {
                        return Err(format!("{name}: length {length}"));
                    }
                    if let Some(pattern) = &c.pattern {
                        // `matchesWhole`: the match must span the whole string.
                        let regex = Regex::new(pattern).expect("schema pattern compiles");
                        if !regex.find(text).is_some_and(|m| m.start() == 0 && m.end() == text.len()) {
                            return Err(format!("{name}: {text:?} does not match {pattern}"));
                        }
                    }
                    if c.excluded.iter().any(|x| x == text) {
                        return Err(format!("{name}: {text:?} is excluded"));
                    }
                    Ok(value.clone())
                }
                Primitive::Integer => {
                    let number = integer(value).ok_or_else(|| expected(&format!("a {name} integer"), value))?;
                    if c.minimum.is_some_and(|min| number < min) || c.maximum.is_some_and(|max| number > max) {
                        return Err(format!("{name}: {number} out of range"));
                    }
                    Ok(Value::from(number))
                }
            }
        }
        TypeKind::UntaggedUnion(u) => {
            for variant in &u.variants {
                let mut attempt = Leniency::default();
                if let Ok(decoded) = decode(ir, &variant.ty, value, &mut attempt) {
                    leniency.unknown_enum_value |= attempt.unknown_enum_value;
                    return Ok(decoded);
                }
            }
            Err(format!("{name}: no variant matches {value}"))
        }
        TypeKind::TaggedUnion(u) => {
            let members = value.as_object().ok_or_else(|| expected(&format!("a {name} object"), value))?;
            let tag =
                members.get(&u.tag).and_then(Value::as_str).ok_or_else(|| format!("{name}: no string `{}`", u.tag))?;
            let target = match u.variants.iter().find(|v| v.tag_value == tag) {
                Some(variant) => &variant.type_name,
                None => u.fallback.as_ref().ok_or_else(|| format!("{name}: unknown tag {tag:?}"))?,
            };
            decode_named(ir, target, value, leniency)
        }
        TypeKind::Struct(s) => {
            let members = value.as_object().ok_or_else(|| expected(&format!("a {name} object"), value))?;
            let known: Vec<&str> = s
                .fields
                .iter()
                .flat_map(|f| std::iter::once(f.wire_name.as_str()).chain(f.aliases.iter().map(String::as_str)))
                .collect();
            if s.closed
                && let Some(unknown) = members.keys().find(|k| !known.contains(&k.as_str()))
            {
                return Err(format!("{name}: unknown member `{unknown}`"));
            }
            let mut out = Map::new();
            for field in &s.fields {
                let spellings: Vec<&str> = std::iter::once(field.wire_name.as_str())
                    .chain(field.aliases.iter().map(String::as_str))
                    .filter(|spelling| members.contains_key(*spelling))
                    .collect();
                if spellings.len() > 1 {
                    return Err(format!("{name}: `{}` given twice", field.wire_name));
                }
                let present = spellings.first().map(|spelling| &members[*spelling]);
                let keeps_null = field.ty == TypeRef::Any && field.aliases.is_empty();
                let decoded = match (field.presence, present) {
                    (Presence::Required | Presence::RequiredNullable, None) => {
                        return Err(format!("{name}: missing `{}`", field.wire_name));
                    }
                    // `decode(T?.self)`: null is nil, written back as null.
                    (Presence::RequiredNullable, Some(Value::Null)) => Some(Value::Null),
                    // Non-optional: only `JSONValue` takes a null.
                    (Presence::Required, Some(Value::Null)) if field.ty != TypeRef::Any => {
                        return Err(format!("{name}: `{}` is null", field.wire_name));
                    }
                    (Presence::Required | Presence::RequiredNullable, Some(v)) => {
                        Some(decode(ir, &field.ty, v, leniency)?)
                    }
                    (Presence::Optional | Presence::OptionalNullable, None) => None,
                    // `decodeJSONIfPresent` keeps an explicit null; `decodeIfPresent` reads it as absent.
                    (Presence::Optional | Presence::OptionalNullable, Some(Value::Null)) => {
                        keeps_null.then_some(Value::Null)
                    }
                    (Presence::Optional | Presence::OptionalNullable, Some(v)) => {
                        Some(decode(ir, &field.ty, v, leniency)?)
                    }
                };
                if let Some(decoded) = decoded {
                    out.insert(field.wire_name.clone(), decoded);
                }
            }
            if !s.closed {
                for (key, v) in members {
                    if !known.contains(&key.as_str()) {
                        out.insert(key.clone(), json_value(v));
                    }
                }
            }
            Ok(Value::Object(out))
        }
    }
}

fn contains_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().any(contains_null),
        Value::Object(members) => members.values().any(contains_null),
        _ => false,
    }
}

fn fixture_files() -> BTreeMap<String, Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/messages");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let name = path.file_stem().and_then(|s| s.to_str()).expect("UTF-8 name").to_owned();
            let text = std::fs::read_to_string(&path).expect("readable fixture");
            (name, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        })
        .collect()
}

fn cases<'a>(file: &'a Value, section: &str) -> impl Iterator<Item = (&'a str, &'a Value, Option<&'a Value>)> {
    file.get(section)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|case| (case["case"].as_str().unwrap_or("?"), &case["value"], case.get("canonical")))
}

#[test]
fn valid_and_aliased_fixtures_decode_and_reencode_canonically() {
    let ir = Contract::canonical().expect("canonical contract").ir;
    let mut failures = Vec::new();
    let mut checked = 0;
    for (type_name, file) in fixture_files() {
        let ty = TypeRef::Named(type_name.clone());
        for (case, value, canonical) in cases(&file, "valid").chain(cases(&file, "aliased")) {
            checked += 1;
            match decode(&ir, &ty, value, &mut Leniency::default()) {
                Err(reason) => failures.push(format!("{type_name}.json \"{case}\" does not decode: {reason}")),
                Ok(encoded) => {
                    let expected = json_value(canonical.unwrap_or(value));
                    if encoded != expected {
                        failures.push(format!("{type_name}.json \"{case}\" re-encodes as {encoded}, not {expected}"));
                    }
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn invalid_fixtures_are_rejected_or_covered_by_a_documented_leniency() {
    let ir = Contract::canonical().expect("canonical contract").ir;
    let mut failures = Vec::new();
    let mut tolerated = Vec::new();
    for (type_name, file) in fixture_files() {
        let ty = TypeRef::Named(type_name.clone());
        for (case, value, _) in cases(&file, "invalid") {
            let mut leniency = Leniency::default();
            if decode(&ir, &ty, value, &mut leniency).is_err() {
                continue;
            }
            let label = format!("{type_name}.json \"{case}\"");
            if contains_null(value) || leniency.unknown_enum_value {
                tolerated.push(label);
            } else {
                failures.push(label);
            }
        }
    }
    assert!(failures.is_empty(), "invalid fixtures the Swift decoders accept:\n{}", failures.join("\n"));
    // The leniencies are the design (null optionals read as absent, open enums), and they stay few.
    assert!(tolerated.len() <= 8, "the leniencies cover many invalid cases:\n{}", tolerated.join("\n"));
}

/// The model must be able to fail, or the two tests above prove nothing.
#[test]
fn the_model_rejects_what_the_swift_decoders_reject() {
    let ir = Contract::canonical().expect("canonical contract").ir;
    let codex = TypeRef::Named("CodexToolArguments".to_owned());
    let decode_codex = |value: Value| decode(&ir, &codex, &value, &mut Leniency::default());
    assert!(decode_codex(serde_json::json!({"server": "a", "prompt": "p"})).is_ok());
    assert!(decode_codex(serde_json::json!({"server": "a", "prompt": "p", "x": 1})).is_err(), "closed object");
    assert!(decode_codex(serde_json::json!({"server": "a", "prompt": "p", "thread_id": "thr\n"})).is_err());
    assert!(decode_codex(serde_json::json!({"server": "a", "server_hint": "b", "prompt": "p"})).is_err());
    assert_eq!(
        decode_codex(serde_json::json!({"serverHint": "a", "prompt": "p"})),
        Ok(serde_json::json!({"server": "a", "prompt": "p"}))
    );
    let mut leniency = Leniency::default();
    let status = decode(&ir, &TypeRef::Named("TurnStatus".to_owned()), &serde_json::json!("paused"), &mut leniency);
    assert_eq!(status, Ok(serde_json::json!("paused")));
    assert!(leniency.unknown_enum_value);
}
