//! The compiled check against `jsonschema`, def by def: instances generated from the IR (valid ones, and single
//! mutations of them: a member dropped, added or retyped, an enum value changed, a constraint broken, a tag changed)
//! get the same verdict from both, read from a `Value` and from JSON text alike; and under `--strict` what the
//! compiled check clears holds no member the strict walk would name.

use std::collections::BTreeSet;

use handoff_schema::{Contract, Ir, Primitive, TypeKind, TypeRef};
use handoff_validator::compiled::Compiled;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};

/// Deep enough to reach every def from the envelopes; deeper optional members are left out, arrays left empty.
const MAX_DEPTH: u32 = 6;

fn gen_ref(ir: &Ir, ty: &TypeRef, depth: u32) -> BoxedStrategy<Value> {
    match ty {
        TypeRef::Named(name) => gen_named(ir, name, depth),
        TypeRef::String => prop_oneof![
            Just(json!("")),
            "[a-z]{1,6}".prop_map(Value::from),
            Just(json!("caf\u{e9} \"q\" \\ /")),
            Just(json!("\u{1F600}")),
        ]
        .boxed(),
        TypeRef::Integer => prop_oneof![-1000i64..1000, Just(i64::MAX), Just(i64::MIN)].prop_map(Value::from).boxed(),
        TypeRef::Number => {
            prop_oneof![(-1000i64..1000).prop_map(Value::from), Just(json!(2.5)), Just(json!(-1e10))].boxed()
        }
        TypeRef::Boolean => any::<bool>().prop_map(Value::from).boxed(),
        TypeRef::Array(item) if depth < MAX_DEPTH => {
            proptest::collection::vec(gen_ref(ir, item, depth + 1), 0..3).prop_map(Value::from).boxed()
        }
        TypeRef::Array(_) => Just(json!([])).boxed(),
        TypeRef::Map(item) if depth < MAX_DEPTH => {
            proptest::collection::btree_map("[a-z]{1,4}", gen_ref(ir, item, depth + 1), 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect()))
                .boxed()
        }
        TypeRef::Map(_) => Just(json!({})).boxed(),
        TypeRef::Any => prop_oneof![
            Just(Value::Null),
            Just(json!(1.5)),
            Just(json!("x")),
            Just(json!([1, {"a": null}])),
            Just(json!({"k": [true]})),
            Just(json!(18446744073709551615u64)),
        ]
        .boxed(),
    }
}

fn gen_named(ir: &Ir, name: &str, depth: u32) -> BoxedStrategy<Value> {
    let def = ir.type_def(name);
    match &def.kind {
        TypeKind::Struct(s) => {
            let mut members: Vec<BoxedStrategy<Option<(String, Value)>>> = Vec::new();
            for field in &s.fields {
                let wire = field.wire_name.clone();
                let value = if field.presence.is_nullable() {
                    prop_oneof![3 => gen_ref(ir, &field.ty, depth + 1), 1 => Just(Value::Null)].boxed()
                } else {
                    gen_ref(ir, &field.ty, depth + 1)
                };
                let present = value.prop_map(move |v| Some((wire.clone(), v)));
                members.push(if field.presence.is_required() {
                    present.boxed()
                } else if depth < MAX_DEPTH {
                    prop_oneof![Just(None), present].boxed()
                } else {
                    Just(None).boxed()
                });
            }
            members.prop_map(|members| Value::Object(members.into_iter().flatten().collect())).boxed()
        }
        TypeKind::StringEnum(e) => {
            let values: Vec<Value> = e.values.iter().map(|v| json!(v.wire)).collect();
            proptest::sample::select(values).boxed()
        }
        TypeKind::TaggedUnion(u) => {
            let tag = u.tag.clone();
            let mut variants: Vec<BoxedStrategy<Value>> =
                u.variants.iter().map(|v| gen_named(ir, &v.type_name, depth + 1)).collect();
            if let Some(fallback) = &u.fallback {
                let listed: Vec<String> = u.variants.iter().map(|v| v.tag_value.clone()).collect();
                let fallback = gen_named(ir, fallback, depth + 1);
                let t = tag.clone();
                variants.push(
                    (fallback, "[a-z_]{1,8}")
                        .prop_filter_map("a listed tag", move |(mut value, kind)| {
                            if listed.contains(&kind) {
                                return None;
                            }
                            value[&t] = json!(kind);
                            Some(value)
                        })
                        .boxed(),
                );
            }
            proptest::strategy::Union::new(variants).prop_map(move |value| tag_first(value, &tag)).boxed()
        }
        TypeKind::UntaggedUnion(u) => {
            proptest::strategy::Union::new(u.variants.iter().map(|v| gen_ref(ir, &v.ty, depth + 1))).boxed()
        }
        TypeKind::Newtype(n) => match n.base {
            Primitive::Integer => {
                let min = n.constraints.minimum.unwrap_or(-1000);
                let max = n.constraints.maximum.unwrap_or(1000);
                (min..=max).prop_map(Value::from).boxed()
            }
            Primitive::String => {
                let c = n.constraints.clone();
                let pattern = c.pattern.as_deref().map_or("[a-z]{0,12}".to_owned(), |p| {
                    let p = p.strip_prefix('^').unwrap_or(p);
                    let p = p.strip_suffix('$').unwrap_or(p);
                    p.replace('*', "{0,12}").replace('+', "{1,12}")
                });
                proptest::string::string_regex(&pattern)
                    .unwrap_or_else(|e| panic!("pattern {pattern} of {name}: {e}"))
                    .prop_filter("the length and excluded values", move |s| {
                        let chars = s.chars().count() as u64;
                        c.min_length.is_none_or(|m| chars >= m)
                            && c.max_length.is_none_or(|m| chars <= m)
                            && !c.excluded.contains(s)
                    })
                    .prop_map(Value::from)
                    .boxed()
            }
        },
        TypeKind::Alias(ty) => gen_ref(ir, ty, depth),
    }
}

/// The tag moved to the front of the object, as serializers write it (the compiled check needs it there).
fn tag_first(value: Value, tag: &str) -> Value {
    let Value::Object(mut map) = value else { return value };
    let mut out = Map::new();
    if let Some(t) = map.shift_remove(tag) {
        out.insert(tag.to_owned(), t);
    }
    out.extend(map);
    Value::Object(out)
}

/// A place in a generated instance and the type the IR gives it there.
struct Site {
    path: Vec<Step>,
    ty: TypeRef,
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every typed place in `value`, walking it along `ty`.
fn sites(ir: &Ir, ty: &TypeRef, value: &Value, path: &mut Vec<Step>, out: &mut Vec<Site>) {
    out.push(Site { path: path.clone(), ty: ty.clone() });
    let mut descend = |path: &mut Vec<Step>, step: Step, ty: &TypeRef, value: &Value| {
        path.push(step);
        sites(ir, ty, value, path, out);
        path.pop();
    };
    match (ty, value) {
        (TypeRef::Array(item), Value::Array(items)) => {
            for (i, v) in items.iter().enumerate() {
                descend(path, Step::Index(i), item, v);
            }
        }
        (TypeRef::Map(item), Value::Object(map)) => {
            for (k, v) in map {
                descend(path, Step::Key(k.clone()), item, v);
            }
        }
        (TypeRef::Named(name), _) => match &ir.type_def(name).kind {
            TypeKind::Struct(s) => {
                if let Value::Object(map) = value {
                    for f in &s.fields {
                        if let Some(v) = map.get(&f.wire_name)
                            && !v.is_null()
                        {
                            descend(path, Step::Key(f.wire_name.clone()), &f.ty, v);
                        }
                    }
                }
            }
            TypeKind::TaggedUnion(u) => {
                let tag = value.get(&u.tag).and_then(Value::as_str);
                let variant = u.variants.iter().find(|v| Some(v.tag_value.as_str()) == tag).map(|v| &v.type_name);
                if let Some(name) = variant.or(u.fallback.as_ref()) {
                    // The variant's own members, not the union itself again.
                    let mut inner = Vec::new();
                    sites(ir, &TypeRef::Named(name.clone()), value, path, &mut inner);
                    out.extend(inner.into_iter().skip(1));
                }
            }
            TypeKind::UntaggedUnion(u) => {
                let kind_fits = |t: &TypeRef| match t {
                    TypeRef::Named(n) => matches!(ir.type_def(n).kind, TypeKind::Struct(_)) == value.is_object(),
                    TypeRef::String => value.is_string(),
                    TypeRef::Integer => value.is_i64(),
                    _ => false,
                };
                if let Some(v) = u.variants.iter().find(|v| kind_fits(&v.ty)) {
                    let mut inner = Vec::new();
                    sites(ir, &v.ty, value, path, &mut inner);
                    out.extend(inner.into_iter().skip(1));
                }
            }
            TypeKind::Alias(t) => {
                let mut inner = Vec::new();
                sites(ir, t, value, path, &mut inner);
                out.extend(inner.into_iter().skip(1));
            }
            TypeKind::StringEnum(_) | TypeKind::Newtype(_) => {}
        },
        _ => {}
    }
}

fn at_mut<'v>(value: &'v mut Value, path: &[Step]) -> &'v mut Value {
    path.iter().fold(value, |v, step| match step {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

/// One mutation of `value` at one of its sites, chosen by `pick` and `how`; describes what it did.
fn mutate(ir: &Ir, root: &TypeRef, value: &mut Value, pick: usize, how: usize) -> String {
    let mut all = Vec::new();
    sites(ir, root, value, &mut Vec::new(), &mut all);
    let site = &all[pick % all.len()];
    let target = at_mut(value, &site.path);
    let named = match &site.ty {
        TypeRef::Named(n) => Some(ir.type_def(n)),
        _ => None,
    };
    match (how % 4, named.map(|d| &d.kind), &*target) {
        (0, Some(TypeKind::Struct(s)), Value::Object(map)) if !map.is_empty() => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = &keys[pick % keys.len()];
            target.as_object_mut().unwrap().shift_remove(key);
            return format!("dropped {key} (closed: {})", s.closed);
        }
        (1, Some(TypeKind::Struct(_) | TypeKind::TaggedUnion(_)), Value::Object(_)) => {
            target.as_object_mut().unwrap().insert("zz_extra".into(), json!(1));
            return "added zz_extra".into();
        }
        (2, Some(TypeKind::StringEnum(_)), _) => {
            *target = json!("zz_not_listed");
            return "enum value changed".into();
        }
        (2, Some(TypeKind::TaggedUnion(u)), Value::Object(_)) => {
            target[u.tag.as_str()] = json!("zz_unknown_kind");
            return "tag changed".into();
        }
        (2, Some(TypeKind::Newtype(n)), _) => {
            let c = &n.constraints;
            *target = match n.base {
                Primitive::Integer => json!(c.maximum.map_or(-1_000_000, |m| m + 1)),
                Primitive::String => match (c.max_length, c.min_length, &c.pattern) {
                    (Some(max), _, _) if how.is_multiple_of(3) => json!("a".repeat(max as usize + 1)),
                    (_, Some(min), _) if min > 0 && how % 3 == 1 => json!(""),
                    (_, _, Some(_)) => json!("bad id!"),
                    _ => json!(c.excluded.first().cloned().unwrap_or_else(|| "x".into())),
                },
            };
            return "constraint broken".into();
        }
        _ => {}
    }
    *target = match &*target {
        Value::String(_) => json!(7),
        Value::Number(_) | Value::Bool(_) | Value::Null => json!("x"),
        Value::Array(_) => json!({}),
        Value::Object(_) => json!([]),
    };
    "retyped".into()
}

fn jsonschema_validators(contract: &Contract) -> Vec<(String, jsonschema::Validator)> {
    contract
        .ir
        .types
        .values()
        .filter(|t| !t.synthesized)
        .map(|t| {
            let schema = contract.def_schema(&t.name).unwrap_or_else(|| panic!("{} is a $defs entry", t.name));
            (t.name.clone(), jsonschema::validator_for(&schema).unwrap())
        })
        .collect()
}

fn for_every_def(
    cases: u32,
    check: impl Fn(&Contract, &Compiled, &str, &jsonschema::Validator, Value, usize, usize) -> Result<(), TestCaseError>,
) {
    let contract = Contract::canonical().unwrap();
    let compiled = Compiled::new(&contract.ir);
    let validators = jsonschema_validators(&contract);
    assert!(validators.len() >= 40, "every def is covered");
    for (name, validator) in &validators {
        let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
        let strategy = (gen_named(&contract.ir, name, 0), any::<usize>(), any::<usize>());
        runner
            .run(&strategy, |(value, pick, how)| check(&contract, &compiled, name, validator, value, pick, how))
            .unwrap_or_else(|e| panic!("def {name}: {e}"));
    }
}

/// The compiled verdict on `value`, from the `Value` and from its text; both must agree.
fn compiled_verdict(compiled: &Compiled, name: &str, value: &Value, strict: bool) -> Result<bool, TestCaseError> {
    let def = compiled.def(name).unwrap();
    let from_value = compiled.value_is_clean(def, strict, value);
    let from_text = compiled.text_is_clean(def, strict, &value.to_string());
    prop_assert_eq!(from_value, from_text, "value and text verdicts differ on {}", value);
    Ok(from_value)
}

#[test]
fn generated_instances_are_clean_to_both() {
    for_every_def(48, |_, compiled, name, validator, value, _, _| {
        prop_assert!(validator.is_valid(&value), "the generator made an invalid {}: {}", name, value);
        prop_assert!(
            compiled_verdict(compiled, name, &value, false)?,
            "compiled check refuses a valid {}: {}",
            name,
            value
        );
        Ok(())
    });
}

#[test]
fn single_mutations_get_the_same_verdict_from_both() {
    let seen = std::sync::Mutex::new(BTreeSet::new());
    for_every_def(96, |contract, compiled, name, validator, mut value, pick, how| {
        let root = TypeRef::Named(name.to_owned());
        let what = mutate(&contract.ir, &root, &mut value, pick, how);
        let expected = validator.is_valid(&value);
        let got = compiled_verdict(compiled, name, &value, false)?;
        prop_assert_eq!(got, expected, "{} after {}: {}", name, what, value);
        seen.lock().unwrap().insert((what.split(' ').next().unwrap_or_default().to_owned(), expected));
        Ok(())
    });
    // The mutations reached both verdicts for each kind that can go either way.
    let seen = seen.into_inner().unwrap();
    for kind in ["dropped", "added", "retyped", "constraint", "enum", "tag"] {
        assert!(seen.iter().any(|(k, valid)| k == kind && !valid), "no {kind} mutation made an invalid instance");
    }
}

#[test]
fn strict_clean_means_no_unknown_member_and_valid() {
    for_every_def(48, |contract, compiled, name, validator, mut value, pick, how| {
        let root = TypeRef::Named(name.to_owned());
        if how.is_multiple_of(2) {
            mutate(&contract.ir, &root, &mut value, pick, how / 2);
        }
        if compiled_verdict(compiled, name, &value, true)? {
            prop_assert!(validator.is_valid(&value));
            let unknown = handoff_validator::strict_unknown_members(&contract.ir, name, &value).unwrap();
            prop_assert!(
                unknown.is_empty(),
                "{} cleared under --strict with unknown members {:?}: {}",
                name,
                unknown,
                value
            );
        }
        Ok(())
    });
}

#[test]
fn what_the_compiled_check_does_not_judge_goes_to_jsonschema() {
    let contract = Contract::canonical().unwrap();
    let compiled = Compiled::new(&contract.ir);
    let clean = |name: &str, text: &str| compiled.text_is_clean(compiled.def(name).unwrap(), false, text);
    // A duplicate member, an integer written as a float or beyond int64, a tag that is not first.
    assert!(!clean("Turn", r#"{"id":"a","id":"b"}"#));
    assert!(clean("Turn", r#"{"id":"a"}"#));
    assert!(!clean("SessionListLimit", "5.0"));
    assert!(clean("SessionListLimit", "5"));
    assert!(!clean("JsonRpcErrorObject", r#"{"code":9223372036854775808,"message":"m"}"#));
    assert!(!clean("UserInput", r#"{"text":"hi","type":"text"}"#));
    assert!(clean("UserInput", r#"{"type":"text","text":"hi"}"#));
    // Unknown def names are refused where they are looked up.
    assert!(compiled.def("NoSuchDef").is_none());
    let schemas = handoff_validator::Schemas::canonical().unwrap();
    assert!(schemas.check("NoSuchDef", &json!({})).is_err());
    assert!(schemas.is_clean("NoSuchDef", &json!({}), false).is_err());
    assert!(schemas.member_aliases("NoSuchDef").is_err());
    // The engine's validators are compiled on first use; every def the validator checks against must compile.
    schemas.compile_all().unwrap();
}

/// The checker asks the deserializer for the one JSON kind a type takes (a string, an enum value, a constrained
/// string, an object, a nullable string): every other kind is "not clean", from text and from a `Value` alike, and
/// jsonschema agrees; the right kinds (and `null` where nullable) stay clean.
#[test]
fn typed_reads_refuse_every_other_kind() {
    let contract = Contract::canonical().unwrap();
    let compiled = Compiled::new(&contract.ir);
    let validators: std::collections::BTreeMap<String, jsonschema::Validator> =
        jsonschema_validators(&contract).into_iter().collect();
    let others =
        [json!(null), json!(true), json!(7), json!(-7), json!(1.5), json!("x"), json!([]), json!({}), json!(["x"])];
    // (def, a member whose type is read typed, values of the right kind)
    let cases = [
        ("Turn", "id", vec![json!("turn_1"), json!("")]),
        ("Turn", "status", vec![json!("completed"), json!("inProgress")]),
        ("TurnStartedNotification", "threadId", vec![json!("thr_1"), json!("01a2412a-30df-7f40-8304-177b11a0f9a3")]),
        ("Thread", "preview", vec![json!("hi"), json!(null)]),
    ];
    for (def, member, good) in cases {
        let base = match def {
            "Turn" => json!({"id": "t", "status": "completed"}),
            "TurnStartedNotification" => json!({"threadId": "thr_1", "turn": {"id": "t", "status": "completed"}}),
            "Thread" => json!({"id": "thr_1", "preview": "p"}),
            _ => unreachable!(),
        };
        let validator = &validators[def];
        let mut refused = 0;
        for value in good.iter().chain(&others) {
            let mut instance = base.clone();
            instance[member] = value.clone();
            let expected = validator.is_valid(&instance);
            assert!(expected || !good.contains(value), "{def}.{member} = {value} is valid to the schema");
            let got = compiled_verdict(&compiled, def, &instance, false).unwrap();
            assert_eq!(got, expected, "{def}.{member} = {value}");
            refused += usize::from(!got);
        }
        assert!(refused >= others.len() - 2, "{def}.{member}: most other kinds are invalid");
        // The whole object in the wrong kind, too.
        for value in &others {
            if !value.is_object() {
                assert!(!compiled_verdict(&compiled, def, value, false).unwrap(), "{def} = {value}");
            }
        }
    }
}
