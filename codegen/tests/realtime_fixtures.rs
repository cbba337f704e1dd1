//! `tests/fixtures/realtime/tool_calls.json`: recorded-style function calls with the verdict a contract parser
//! must give, checked against the generated parser and against the tools.json parameter schemas.

use std::path::Path;

use codex_handoff_contract::realtime::parse_tool_call;
use handoff_codegen::realtime;
use handoff_schema::Contract;
use serde_json::Value;

fn fixture() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/realtime/tool_calls.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let document: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    document["calls"].as_array().expect("a `calls` array").clone()
}

#[test]
fn the_generated_parser_gives_each_fixture_its_verdict() {
    let calls = fixture();
    assert!(calls.len() >= 20);
    for call in &calls {
        let (name, arguments) = (call["name"].as_str().unwrap(), call["arguments"].as_str().unwrap());
        let expect = call["expect"].as_str().unwrap();
        match parse_tool_call(name, arguments) {
            Ok(parsed) => {
                assert_eq!(expect, "ok", "{name} {arguments}: parsed, expected {expect}");
                assert_eq!(Some(parsed.name()), call["tool"].as_str(), "{name} {arguments}");
            }
            Err(error) => assert_eq!(error.kind(), expect, "{name} {arguments}: {error}"),
        }
    }
}

#[test]
fn the_declared_parameter_schemas_give_the_recorded_schema_verdicts() {
    let contract = Contract::canonical().unwrap();
    for call in fixture() {
        let Some(verdict) = call["schema"].as_bool() else { continue };
        let tool = contract.ir.realtime_tool(call["tool"].as_str().unwrap()).expect("a declared tool");
        let schema = jsonschema::draft202012::new(&realtime::parameters_schema(&contract.ir, tool).unwrap()).unwrap();
        let arguments: Value = serde_json::from_str(call["arguments"].as_str().unwrap()).unwrap();
        assert_eq!(schema.is_valid(&arguments), verdict, "{} {arguments}", tool.name);
    }
}

#[test]
fn every_error_kind_the_model_can_cause_has_a_fixture() {
    let kinds: std::collections::BTreeSet<String> =
        fixture().iter().map(|c| c["expect"].as_str().unwrap().to_owned()).collect();
    for kind in [
        "ok",
        "unknown_tool",
        "invalid_json",
        "not_an_object",
        "unknown_member",
        "duplicate_member",
        "missing_member",
        "wrong_type",
        "invalid_value",
    ] {
        assert!(kinds.contains(kind), "no fixture expects `{kind}`");
    }
}
