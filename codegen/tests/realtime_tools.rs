//! `generated/realtime/tools.json`: its shape as the `tools` of a realtime `session.update`, the `codex`
//! parameters' verdicts on concrete calls, agreement with the canonical defs, and errors (not panics) for
//! IR shapes a realtime tool cannot express.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use handoff_codegen::realtime;
use handoff_schema::{Contract, Field, Ir, Presence, StructDef, TypeDef, TypeKind, TypeRef};
use serde_json::{Value, json};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("codegen sits in the workspace").to_path_buf()
}

fn contract() -> Contract {
    Contract::canonical().expect("the canonical schema loads")
}

fn tools() -> Vec<Value> {
    let text = realtime::tools_json(&contract().ir).expect("tools.json renders");
    match serde_json::from_str(&text).expect("tools.json is JSON") {
        Value::Array(tools) => tools,
        other => panic!("tools.json must be an array, found {other}"),
    }
}

fn tool(name: &str) -> Value {
    tools().into_iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("no tool `{name}` in tools.json"))
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::new(schema).unwrap_or_else(|e| panic!("not a valid JSON Schema: {e}\n{schema:#}"))
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

#[test]
fn committed_tools_json_is_what_the_generator_renders() {
    let on_disk = std::fs::read_to_string(workspace_root().join("generated/realtime/tools.json"))
        .expect("generated/realtime/tools.json exists; run `cargo xtask gen`");
    let rendered = realtime::tools_json(&contract().ir).unwrap();
    assert_eq!(on_disk.replace("\r\n", "\n"), rendered, "stale tools.json: run `cargo xtask gen`");
}

#[test]
fn tools_json_is_plain_pretty_deterministic_json() {
    let ir = contract().ir;
    let text = realtime::tools_json(&ir).unwrap();
    assert_eq!(text, realtime::tools_json(&ir).unwrap(), "two renders differ");
    assert!(text.starts_with('['), "no header or anything else before the JSON array");
    assert!(text.ends_with("]\n"), "ends with the array and one newline");
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(serde_json::to_string_pretty(&value).unwrap() + "\n", text, "not in pretty-printed form");
}

#[test]
fn tools_json_has_the_shape_of_session_update_tools() {
    let fixture =
        std::fs::read_to_string(workspace_root().join("tests/fixtures/realtime/session_update_tools.schema.json"))
            .expect("fixture exists");
    let schema: Value = serde_json::from_str(&fixture).expect("fixture is JSON");
    let tools = Value::Array(tools());
    let problems = errors(&validator(&schema), &tools);
    assert!(problems.is_empty(), "tools.json is not a valid session.update tools array:\n{}", problems.join("\n"));
}

#[test]
fn the_shape_check_rejects_what_the_realtime_api_would() {
    // The fixture is only worth something if it fails on the mistakes a generator could make.
    let fixture =
        std::fs::read_to_string(workspace_root().join("tests/fixtures/realtime/session_update_tools.schema.json"))
            .unwrap();
    let schema = validator(&serde_json::from_str(&fixture).unwrap());
    let good = json!({"type": "function", "name": "t", "description": "d",
        "parameters": {"type": "object", "properties": {"a": {"type": "string", "description": "a"}}}});
    assert!(schema.is_valid(&json!([good])));
    let mut with_ref = good.clone();
    with_ref["parameters"]["properties"]["a"] = json!({"$ref": "#/$defs/A", "description": "a"});
    let mut undescribed = good.clone();
    undescribed["parameters"]["properties"]["a"] = json!({"type": "string"});
    let mut wrong_type = good.clone();
    wrong_type["type"] = json!("mcp");
    let mut bad_name = good.clone();
    bad_name["name"] = json!("has space");
    let mut nested_ref = good.clone();
    nested_ref["parameters"]["properties"]["a"] =
        json!({"type": "array", "items": {"$ref": "#/x"}, "description": "a"});
    for (what, tool) in [
        ("$ref", with_ref),
        ("undescribed", undescribed),
        ("type", wrong_type),
        ("name", bad_name),
        ("nested $ref", nested_ref),
    ] {
        assert!(!schema.is_valid(&json!([tool])), "fixture accepted a tool with a bad {what}");
    }
}

#[test]
fn tools_follow_the_ir_order_and_names_are_unique() {
    let ir = contract().ir;
    let names: Vec<String> = tools().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    let expected: Vec<String> = ir.offered_tools().map(|t| t.name.clone()).collect();
    assert_eq!(names, expected);
    // The stock app-server declares `background_agent` itself: the client must not declare it a second time.
    assert!(ir.realtime_tool("background_agent").is_some_and(|t| !t.offered()));
    assert!(!names.iter().any(|n| n == "background_agent"), "tools.json declares background_agent");
    let unique: BTreeSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "duplicate tool names: {names:?}");
    for name in ["codex", "list_servers", "list_sessions", "read_session", "run_on_server"] {
        assert!(names.iter().any(|n| n == name), "tool `{name}` missing");
    }
}

#[test]
fn every_property_is_described_and_required_members_exist() {
    fn walk(schema: &Value, path: &str) {
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                let description = property.get("description").and_then(Value::as_str).unwrap_or("");
                assert!(!description.trim().is_empty(), "{path}/{name} has no description");
                walk(property, &format!("{path}/{name}"));
            }
            for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                let required = required.as_str().unwrap();
                assert!(properties.contains_key(required), "{path}: required `{required}` is not a property");
            }
        }
        if let Some(items) = schema.get("items") {
            walk(items, &format!("{path}/items"));
        }
    }
    for tool in tools() {
        let name = tool["name"].as_str().unwrap();
        assert!(!tool["description"].as_str().unwrap().trim().is_empty(), "{name} has no description");
        assert!(!tool["parameters"].to_string().contains("$ref"), "{name} parameters are not self-contained");
        walk(&tool["parameters"], name);
    }
}

#[test]
fn codex_parameters_are_rendered_from_the_ir() {
    let parameters = &tool("codex")["parameters"];
    assert_eq!(parameters["type"], "object");
    assert_eq!(parameters["additionalProperties"], false);
    assert_eq!(parameters["required"], json!(["server", "prompt"]));
    assert_eq!(parameters["properties"]["server"]["type"], "string");
    assert_eq!(parameters["properties"]["prompt"]["type"], "string");
    let thread_id = &parameters["properties"]["thread_id"];
    assert_eq!(thread_id["type"], "string");
    // The ThreadId def's constraints, inlined.
    let ir = contract().ir;
    let TypeKind::Newtype(newtype) = &ir.type_def("ThreadId").kind else { panic!("ThreadId is a newtype") };
    let constraints = &newtype.constraints;
    assert_eq!(thread_id["pattern"].as_str(), constraints.pattern.as_deref());
    assert_eq!(thread_id["minLength"].as_u64(), constraints.min_length);
    assert_eq!(thread_id["maxLength"].as_u64(), constraints.max_length);
    // The member's description, not the type's.
    let TypeKind::Struct(codex) = &ir.type_def("CodexToolArguments").kind else { panic!("a struct") };
    let field = codex.fields.iter().find(|f| f.wire_name == "thread_id").unwrap();
    assert_eq!(thread_id["description"].as_str(), Some(field.doc.as_str()));
    // Legacy spellings are accepted by parsers, never offered to the model.
    assert!(parameters["properties"].get("server_hint").is_none());
}

#[test]
fn codex_parameters_accept_and_reject_the_right_calls() {
    let schema = validator(&tool("codex")["parameters"]);
    let accepted = [
        json!({"server": "bigpc", "prompt": "run the tests", "thread_id": "thr_123"}),
        json!({"server": "bigpc", "prompt": "run the tests"}),
        json!({"server": "local", "prompt": "p", "thread_id": "0f8fad5b-d9cb-469f-a165-70867728950e"}),
    ];
    for call in &accepted {
        let problems = errors(&schema, call);
        assert!(problems.is_empty(), "{call} rejected: {problems:?}");
    }
    let long = "a".repeat(129);
    let rejected = [
        ("missing prompt", json!({"server": "bigpc"})),
        ("missing server", json!({"prompt": "run the tests"})),
        ("extra property", json!({"server": "bigpc", "prompt": "p", "cwd": "/tmp"})),
        ("legacy spelling", json!({"server_hint": "bigpc", "prompt": "p"})),
        ("path thread id", json!({"server": "bigpc", "prompt": "p", "thread_id": "../x"})),
        ("empty thread id", json!({"server": "bigpc", "prompt": "p", "thread_id": ""})),
        ("spaced thread id", json!({"server": "bigpc", "prompt": "p", "thread_id": "thr 1"})),
        ("long thread id", json!({"server": "bigpc", "prompt": "p", "thread_id": long})),
        ("null thread id", json!({"server": "bigpc", "prompt": "p", "thread_id": null})),
        ("number prompt", json!({"server": "bigpc", "prompt": 7})),
    ];
    for (what, call) in &rejected {
        assert!(!schema.is_valid(call), "{what}: {call} accepted");
    }
}

#[test]
fn inlined_parameters_agree_with_the_canonical_defs() {
    // Same verdict from the tool's self-contained schema and from the def in the canonical schema.
    let contract = contract();
    let samples = [
        json!({}),
        json!({"server": "bigpc"}),
        json!({"server": "bigpc", "prompt": "p"}),
        json!({"prompt": "p"}),
        json!({"prompt": 7}),
        json!({"server": "bigpc", "prompt": "p", "thread_id": "thr_1"}),
        json!({"server": "bigpc", "prompt": "p", "thread_id": "a/b"}),
        json!({"server": "bigpc", "thread_id": "thr_1"}),
        json!({"server": "bigpc", "thread_id": "-x"}),
        json!({"server": "bigpc", "command": "ls"}),
        json!({"server": "bigpc", "command": ["ls"]}),
        json!({"limit": 1}),
        json!({"limit": 40}),
        json!({"limit": 0}),
        json!({"limit": 41}),
        json!({"limit": 2.5}),
        json!({"server": "bigpc", "limit": 10}),
        json!({"server_id": "bigpc"}),
        json!({"unknown": true}),
        json!([]),
        json!("server"),
    ];
    for tool in &contract.ir.realtime_tools {
        let inlined = validator(&realtime::parameters_schema(&contract.ir, tool).unwrap());
        let canonical = validator(&contract.def_schema(&tool.arguments).unwrap());
        for sample in &samples {
            assert_eq!(
                inlined.is_valid(sample),
                canonical.is_valid(sample),
                "tool `{}` and def `{}` disagree on {sample}",
                tool.name,
                tool.arguments
            );
        }
    }
}

/// A one-tool IR whose arguments have one member of type `ty`, plus the types in `extra`.
fn ir_with_member(ty: TypeRef, presence: Presence, extra: Vec<TypeDef>) -> Ir {
    let mut ir = contract().ir;
    let arguments = TypeDef {
        name: "ProbeArguments".into(),
        doc: "Probe.".into(),
        pointer: "/$defs/ProbeArguments".into(),
        synthesized: false,
        group: handoff_schema::Group::Common,
        kind: TypeKind::Struct(StructDef {
            fields: vec![Field {
                wire_name: "probe".into(),
                name: "probe".into(),
                doc: "A probe member.".into(),
                ty,
                presence,
                default: None,
                aliases: vec![],
                pointer: "/$defs/ProbeArguments/properties/probe".into(),
            }],
            closed: true,
        }),
    };
    let mut types: BTreeMap<String, TypeDef> = ir.types.clone();
    for def in extra.into_iter().chain([arguments]) {
        types.insert(def.name.clone(), def);
    }
    ir.types = types;
    let mut probe = ir.realtime_tools[0].clone();
    probe.name = "probe".into();
    probe.aliases = vec![];
    probe.arguments = "ProbeArguments".into();
    ir.realtime_tools.push(probe);
    ir
}

#[test]
fn nullable_members_and_arrays_render_as_json_schema() {
    let ir =
        ir_with_member(TypeRef::Array(Box::new(TypeRef::Named("ThreadId".into()))), Presence::OptionalNullable, vec![]);
    let probe = ir.realtime_tools.last().unwrap();
    let schema = realtime::parameters_schema(&ir, probe).unwrap();
    let member = &schema["properties"]["probe"];
    assert_eq!(member["type"], json!(["array", "null"]));
    assert_eq!(member["items"]["pattern"], "^[A-Za-z0-9][A-Za-z0-9_.:-]*$");
    assert_eq!(member["description"], "A probe member.");
    let check = validator(&schema);
    assert!(check.is_valid(&json!({"probe": null})));
    assert!(check.is_valid(&json!({"probe": ["thr_1"]})));
    assert!(!check.is_valid(&json!({"probe": ["a b"]})));
}

#[test]
fn unions_in_tool_parameters_are_an_error_not_a_panic() {
    let ir = ir_with_member(TypeRef::Named("RequestId".into()), Presence::Required, vec![]);
    let error = realtime::tools_json(&ir).expect_err("a union member cannot be a realtime parameter");
    let message = error.to_string();
    assert!(message.contains("RequestId") && message.contains("unions"), "unclear error: {message}");
    // Every entry point that embeds the tools fails the same way.
    assert!(realtime::swift_source(&ir).is_err());
    assert!(realtime::rust_module(&ir).is_err());
}

#[test]
fn recursive_types_are_an_error_not_a_panic() {
    let node = TypeDef {
        name: "Node".into(),
        doc: "A node.".into(),
        pointer: "/$defs/Node".into(),
        synthesized: false,
        group: handoff_schema::Group::Common,
        kind: TypeKind::Struct(StructDef {
            fields: vec![Field {
                wire_name: "child".into(),
                name: "child".into(),
                doc: "The child.".into(),
                ty: TypeRef::Named("Node".into()),
                presence: Presence::Optional,
                default: None,
                aliases: vec![],
                pointer: "/$defs/Node/properties/child".into(),
            }],
            closed: true,
        }),
    };
    let ir = ir_with_member(TypeRef::Named("Node".into()), Presence::Required, vec![node]);
    let message = realtime::tools_json(&ir).expect_err("recursion cannot be inlined").to_string();
    assert!(message.contains("Node") && message.contains("recursive"), "unclear error: {message}");
}

#[test]
fn the_readme_session_update_carries_valid_tools_and_filled_instructions() {
    use codex_handoff_contract::realtime::{self as generated, ServerInfo};
    // The client code of the README's "Realtime tools" section.
    fn session_update(servers: &[ServerInfo]) -> Value {
        let tools: Value = serde_json::from_str(generated::TOOLS_JSON).expect("generated JSON");
        json!({
            "type": "session.update",
            "session": {
                "type": "realtime",
                "instructions": generated::render_instructions(servers),
                "tools": tools,
                "tool_choice": "auto",
            },
        })
    }
    let servers =
        [ServerInfo::new("bigpc", "srv_1"), ServerInfo { is_local: true, ..ServerInfo::new("laptop", "laptop") }];
    let event = session_update(&servers);
    let fixture =
        std::fs::read_to_string(workspace_root().join("tests/fixtures/realtime/session_update_tools.schema.json"))
            .unwrap();
    let problems = errors(&validator(&serde_json::from_str(&fixture).unwrap()), &event["session"]["tools"]);
    assert!(problems.is_empty(), "{problems:?}");
    let instructions = event["session"]["instructions"].as_str().unwrap();
    assert!(instructions.contains("- bigpc (id: srv_1)\n- laptop (local)\n"), "{instructions}");
}
