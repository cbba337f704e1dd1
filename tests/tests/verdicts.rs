//! The generated Rust crate's verdict on every fixture case, in the cross-language format of `cargo xtask
//! verdicts`: each message decoded and re-encoded by its generated type (`registry::round_trip`), each realtime
//! tool call through `realtime::parse_tool_call`. The verdicts are checked against the fixtures here too; with
//! `CONTRACT_VERDICTS_DIR` set they are also written to `<dir>/rust.jsonl`.

use codex_handoff_contract::{realtime, registry};
use contract_tests::{load_all, open_policy_validator, workspace_root};
use handoff_schema::Contract;
use serde_json::{Value, json};

/// What a decoder must write for an `invalid` value: nothing, unless only an open enum's unlisted value makes it
/// invalid; then the value unchanged.
fn keep<'v>(open_policy: &jsonschema::Validator, value: &'v Value) -> Option<&'v Value> {
    open_policy.is_valid(value).then_some(value)
}

fn message_verdicts() -> (Vec<Value>, Vec<String>) {
    let contract = Contract::canonical().unwrap();
    let mut lines = Vec::new();
    let mut failures = Vec::new();
    for (def, fixtures) in load_all() {
        let entry = registry::find(&def).unwrap_or_else(|| panic!("no generated Rust type for def {def}"));
        let open_policy = open_policy_validator(&contract, &def);
        let sections = [
            (
                "valid",
                fixtures.valid.iter().map(|c| (&c.case, &c.value, Some(c.expected_round_trip()))).collect::<Vec<_>>(),
            ),
            ("aliased", fixtures.aliased.iter().map(|c| (&c.case, &c.value, c.canonical.as_ref())).collect()),
            ("invalid", fixtures.invalid.iter().map(|c| (&c.case, &c.value, keep(&open_policy, &c.value))).collect()),
        ];
        for (section, cases) in sections {
            for (case, value, expected) in cases {
                let written = (entry.round_trip)(value.clone()).ok();
                if written.as_ref() != expected {
                    failures.push(format!("{def} / {section} / {case}: wrote {written:?}, expected {expected:?}"));
                }
                lines.push(json!({
                    "suite": "messages", "def": def, "section": section, "case": case,
                    "accepted": written.is_some(), "canonical": written,
                }));
            }
        }
    }
    (lines, failures)
}

fn tool_call_verdicts() -> (Vec<Value>, Vec<String>) {
    let path = workspace_root().join("tests/fixtures/realtime/tool_calls.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut lines = Vec::new();
    let mut failures = Vec::new();
    for (index, call) in fixture["calls"].as_array().expect("calls").iter().enumerate() {
        let (name, arguments) = (call["name"].as_str().unwrap(), call["arguments"].as_str().unwrap());
        let (tool, kind) = match realtime::parse_tool_call(name, arguments) {
            Ok(parsed) => (Some(parsed.name()), None),
            Err(error) => (None, Some(error.kind())),
        };
        let expect = call["expect"].as_str().unwrap();
        let matches = if expect == "ok" { tool == call["tool"].as_str() } else { kind == Some(expect) };
        if !matches {
            failures.push(format!("call {index} {name} {arguments}: got {tool:?} {kind:?}, expected {expect}"));
        }
        lines.push(json!({
            "suite": "tool_calls", "case": index.to_string(), "accepted": tool.is_some(), "tool": tool, "error_kind": kind,
        }));
    }
    (lines, failures)
}

#[test]
fn every_fixture_gets_the_expected_rust_verdict_and_is_written_when_asked() {
    let (mut lines, mut failures) = message_verdicts();
    let (calls, call_failures) = tool_call_verdicts();
    assert!(!lines.is_empty() && !calls.is_empty());
    lines.extend(calls);
    failures.extend(call_failures);
    if let Some(dir) = std::env::var_os("CONTRACT_VERDICTS_DIR").filter(|d| !d.is_empty()) {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let path = dir.join("rust.jsonl");
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}
