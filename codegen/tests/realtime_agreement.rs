//! The generated parser and the `parameters` schemas in tools.json must agree: a call the model makes from the
//! declared schema parses, and a call the schema rejects does not (legacy spellings aside, which only the
//! parser knows). Checked on generated calls, for every tool.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use codex_handoff_contract::realtime::parse_tool_call;
use handoff_codegen::realtime;
use handoff_schema::{Contract, TypeKind};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value, json};

/// Per tool: its name, the compiled `parameters` schema and its alias → wire name table.
struct Tool {
    name: String,
    schema: jsonschema::Validator,
    aliases: BTreeMap<String, String>,
    members: Vec<String>,
}

fn tools() -> Vec<Tool> {
    let contract = Contract::canonical().unwrap();
    let ir = &contract.ir;
    ir.realtime_tools
        .iter()
        .map(|tool| {
            let TypeKind::Struct(s) = &ir.type_def(&tool.arguments).kind else { panic!("arguments are structs") };
            let aliases =
                s.fields.iter().flat_map(|f| f.aliases.iter().map(move |a| (a.clone(), f.wire_name.clone()))).collect();
            let members =
                s.fields.iter().flat_map(|f| std::iter::once(&f.wire_name).chain(&f.aliases)).cloned().collect();
            let schema = jsonschema::draft202012::new(&realtime::parameters_schema(ir, tool).unwrap()).unwrap();
            Tool { name: tool.name.clone(), schema, aliases, members }
        })
        .collect()
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("bigpc")),
        Just(json!("thr_123")),
        Just(json!("0f8fad5b-d9cb-469f-a165-70867728950e")),
        Just(json!("../x")),
        Just(json!("")),
        Just(json!("a b")),
        "[a-z0-9_./ -]{0,12}".prop_map(Value::String),
        (-3i64..60).prop_map(Value::from),
        Just(json!(2.5)),
        Just(json!(null)),
        Just(json!(true)),
        Just(json!(["ls"])),
        Just(json!({})),
    ]
}

/// Arguments built from the tool's own member names and spellings, plus one it does not have.
fn arguments(members: Vec<String>) -> impl Strategy<Value = Map<String, Value>> {
    let mut keys = members;
    keys.push("unexpected".to_owned());
    proptest::collection::vec((proptest::sample::select(keys), value()), 0..5)
        .prop_map(|pairs| pairs.into_iter().collect::<Map<String, Value>>())
}

static TOOLS: LazyLock<Vec<Tool>> = LazyLock::new(tools);

/// A tool (by index) and arguments built from its member names.
fn tool_and_arguments() -> impl Strategy<Value = (usize, Map<String, Value>)> {
    let members: Vec<Vec<String>> = TOOLS.iter().map(|t| t.members.clone()).collect();
    (0..members.len()).prop_flat_map(move |index| (Just(index), arguments(members[index].clone())))
}

#[test]
fn parser_and_declared_schema_agree() {
    // No regression files: they would land in the source tree shared by everyone.
    let config = ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() };
    let (accepted, rejected) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let result = TestRunner::new(config).run(&tool_and_arguments(), |(index, object)| {
        let tool = &TOOLS[index];
        let parsed = parse_tool_call(&tool.name, &Value::Object(object.clone()).to_string());
        let counter = if parsed.is_ok() { &accepted } else { &rejected };
        counter.fetch_add(1, Ordering::Relaxed);

        // Rename legacy spellings the way the parser does.
        let mut canonical = Map::new();
        let mut duplicate = false;
        for (key, value) in &object {
            let wire = tool.aliases.get(key).cloned().unwrap_or_else(|| key.clone());
            duplicate |= canonical.insert(wire, value.clone()).is_some();
        }
        if duplicate {
            // Which error comes first depends on member order; any error will do, never "one spelling wins".
            prop_assert!(parsed.is_err(), "{:?}: {:?}", object, parsed);
        } else {
            let valid = tool.schema.is_valid(&Value::Object(canonical));
            prop_assert_eq!(valid, parsed.is_ok(), "tool `{}` on {:?}: parser says {:?}", tool.name, object, parsed);
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // Both verdicts must be exercised, or the agreement says little.
    let (accepted, rejected) = (accepted.into_inner(), rejected.into_inner());
    assert!(accepted >= 100 && rejected >= 100, "accepted {accepted}, rejected {rejected}");
}
