//! Lowering, one construct at a time, on small hand-written schemas; and the errors for what the IR cannot hold.

use handoff_schema::{
    Contract, Direction, EnumOrigin, Openness, Presence, Primitive, SchemaError, ToolDeclarer, TypeKind, TypeRef,
};
use serde_json::{Value, json};

/// A minimal valid document around `defs`, with one method whose params are `Params` when that def exists.
fn document(defs: Value) -> Value {
    let mut rpc = json!({"thread/resume": {"direction": "client_request"}});
    if defs.get("Params").is_some() {
        rpc["thread/resume"]["params"] = json!("#/$defs/Params");
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "t",
        "description": "d",
        "x-version": "1.0.0",
        "x-realtime-tools": [],
        "x-rpc": rpc,
        "$defs": defs,
    })
}

fn lower(defs: Value) -> Result<Contract, SchemaError> {
    Contract::from_value(document(defs))
}

fn unsupported_at(defs: Value) -> (String, String) {
    match lower(defs) {
        Err(SchemaError::Unsupported { pointer, reason }) => (pointer, reason),
        other => panic!("expected an unsupported-construct error, got {other:?}"),
    }
}

#[test]
fn struct_fields_get_all_four_presence_states() {
    let contract = lower(json!({"Params": {
        "description": "p", "type": "object",
        "properties": {
            "threadId": {"description": "a", "type": "string"},
            "model": {"description": "b", "type": "string"},
            "effort": {"description": "c", "type": ["string", "null"]},
            "cwd": {"description": "d", "type": ["null", "string"]}
        },
        "required": ["threadId", "effort"]
    }}))
    .unwrap();
    let TypeKind::Struct(s) = &contract.ir.type_def("Params").kind else { panic!() };
    let presence: Vec<_> = s.fields.iter().map(|f| (f.wire_name.as_str(), f.name.as_str(), f.presence)).collect();
    assert_eq!(
        presence,
        [
            ("threadId", "thread_id", Presence::Required),
            ("model", "model", Presence::Optional),
            ("effort", "effort", Presence::RequiredNullable),
            ("cwd", "cwd", Presence::OptionalNullable),
        ]
    );
    assert!(!s.closed, "objects without additionalProperties: false are open");
    let resume = contract.ir.method("thread/resume").unwrap();
    assert_eq!(resume.params.as_deref(), Some("Params"));
    assert_eq!(resume.direction, Direction::ClientRequest);
}

#[test]
fn refs_arrays_maps_any_and_nullable_refs() {
    let contract = lower(json!({
        "Id": {"description": "id", "type": "string", "minLength": 1, "maxLength": 8, "pattern": "^[a-z]+$"},
        "Holder": {
            "description": "h", "type": "object", "additionalProperties": false,
            "properties": {
                "id": {"description": "x", "$ref": "#/$defs/Id"},
                "maybe": {"description": "x", "anyOf": [{"$ref": "#/$defs/Id"}, {"type": "null"}]},
                "list": {"description": "x", "type": "array", "items": {"$ref": "#/$defs/Id"}},
                "anyList": {"description": "x", "type": "array", "items": true},
                "config": {"description": "x", "type": "object", "additionalProperties": true},
                "counts": {"description": "x", "type": "object", "additionalProperties": {"type": "integer"}},
                "blob": {"description": "x"}
            }
        }
    }))
    .unwrap();
    let TypeKind::Struct(s) = &contract.ir.type_def("Holder").kind else { panic!() };
    assert!(s.closed);
    let types: Vec<_> = s.fields.iter().map(|f| (f.wire_name.as_str(), f.ty.clone(), f.presence)).collect();
    let id = || TypeRef::Named("Id".into());
    assert_eq!(
        types,
        [
            ("id", id(), Presence::Optional),
            ("maybe", id(), Presence::OptionalNullable),
            ("list", TypeRef::Array(Box::new(id())), Presence::Optional),
            ("anyList", TypeRef::Array(Box::new(TypeRef::Any)), Presence::Optional),
            ("config", TypeRef::Map(Box::new(TypeRef::Any)), Presence::Optional),
            ("counts", TypeRef::Map(Box::new(TypeRef::Integer)), Presence::Optional),
            ("blob", TypeRef::Any, Presence::Optional),
        ]
    );
    let TypeKind::Newtype(n) = &contract.ir.type_def("Id").kind else { panic!() };
    assert_eq!(n.base, Primitive::String);
    assert_eq!((n.constraints.min_length, n.constraints.max_length), (Some(1), Some(8)));
    assert_eq!(n.constraints.pattern.as_deref(), Some("^[a-z]+$"));
}

#[test]
fn string_enums_and_integer_newtypes() {
    let contract = lower(json!({
        "Status": {"description": "s", "type": "string", "enum": ["completed", "inProgress"]},
        "Limit": {"description": "l", "type": "integer", "minimum": 1, "maximum": 40}
    }))
    .unwrap();
    let TypeKind::StringEnum(e) = &contract.ir.type_def("Status").kind else { panic!() };
    assert_eq!(e.origin, EnumOrigin::Enum);
    let values: Vec<_> = e.values.iter().map(|v| (v.wire.as_str(), v.name.as_str())).collect();
    assert_eq!(values, [("completed", "completed"), ("inProgress", "in_progress")]);
    let TypeKind::Newtype(n) = &contract.ir.type_def("Limit").kind else { panic!() };
    assert_eq!((n.base, n.constraints.minimum, n.constraints.maximum), (Primitive::Integer, Some(1), Some(40)));
}

fn tagged_defs() -> Value {
    json!({
        "Text": {"description": "t", "type": "object", "required": ["type", "text"], "properties": {
            "type": {"description": "tag", "const": "text"}, "text": {"description": "x", "type": "string"}}},
        "Image": {"description": "i", "type": "object", "required": ["type"], "properties": {
            "type": {"description": "tag", "const": "image"}}},
        "Other": {"description": "o", "type": "object", "required": ["type"], "properties": {
            "type": {"description": "tag", "type": "string", "not": {"enum": ["text", "image"]}}}},
        "Input": {"description": "u", "oneOf": [
            {"$ref": "#/$defs/Text"}, {"$ref": "#/$defs/Image"}, {"$ref": "#/$defs/Other"}]}
    })
}

#[test]
fn tagged_unions_with_const_tags_and_a_fallback() {
    let contract = lower(tagged_defs()).unwrap();
    let TypeKind::TaggedUnion(u) = &contract.ir.type_def("Input").kind else { panic!() };
    assert_eq!(u.tag, "type");
    let variants: Vec<_> = u.variants.iter().map(|v| (v.tag_value.as_str(), v.type_name.as_str())).collect();
    assert_eq!(variants, [("text", "Text"), ("image", "Image")]);
    assert_eq!(u.fallback.as_deref(), Some("Other"));
    // The const tag becomes a synthesized one-value enum; the fallback tag a newtype excluding the others.
    let tag = contract.ir.type_def("TextType");
    assert!(tag.synthesized);
    assert!(
        matches!(&tag.kind, TypeKind::StringEnum(e) if e.origin == EnumOrigin::Const && e.values[0].wire == "text")
    );
    let TypeKind::Newtype(other) = &contract.ir.type_def("OtherType").kind else { panic!() };
    assert_eq!(other.constraints.excluded, ["text", "image"]);
}

#[test]
fn a_const_value_without_a_name_in_code_is_an_error_at_it() {
    // Tags and fixed members become enum variants in every language: `""` or punctuation gives no name (found by
    // the mutated-schema property test, which once saw an empty identifier panic in the Rust backend).
    for value in ["", "-", "#/"] {
        let mut defs = tagged_defs();
        defs["Text"]["properties"]["type"]["const"] = json!(value);
        match lower(defs) {
            Err(SchemaError::Invalid { pointer, reason }) => {
                assert_eq!(pointer, "/$defs/Text/properties/type/const", "{value:?}");
                assert!(reason.contains("empty name in code"), "{reason}");
            }
            other => panic!("expected an invalid-schema error for const {value:?}, got {other:?}"),
        }
    }
}

#[test]
fn a_fallback_must_exclude_exactly_the_other_tags() {
    let mut defs = tagged_defs();
    defs["Other"]["properties"]["type"]["not"] = json!({"enum": ["text"]});
    let (pointer, reason) = unsupported_at(defs);
    assert_eq!(pointer, "/$defs/Input/oneOf");
    assert!(reason.contains("exclude exactly"), "{reason}");
}

#[test]
fn untagged_unions_of_primitives() {
    let contract =
        lower(json!({"Id": {"description": "i", "anyOf": [{"type": "string"}, {"type": "integer"}]}})).unwrap();
    let TypeKind::UntaggedUnion(u) = &contract.ir.type_def("Id").kind else { panic!() };
    let variants: Vec<_> = u.variants.iter().map(|v| (v.name.as_str(), v.ty.clone())).collect();
    assert_eq!(variants, [("string", TypeRef::String), ("integer", TypeRef::Integer)]);
}

#[test]
fn unsupported_constructs_are_errors_at_their_pointer() {
    let object =
        |properties: Value| json!({"Params": {"description": "p", "type": "object", "properties": properties}});
    let member = "/$defs/Params/properties/a";
    let cases = [
        (
            object(json!({"a": {"description": "x", "type": "object", "properties": {}}})),
            member.to_owned(),
            "inline object",
        ),
        (object(json!({"a": {"description": "x", "type": "string", "enum": ["a"]}})), member.to_owned(), "inline enum"),
        (
            object(json!({"a": {"description": "x", "type": "string", "maxLength": 3}})),
            member.to_owned(),
            "constrained string",
        ),
        (
            object(json!({"a": {"description": "x", "type": "string", "patternProperties": {}}})),
            format!("{member}/patternProperties"),
            "patternProperties",
        ),
        (
            object(json!({"a": {"description": "x", "anyOf": [{"type": "string"}, {"type": "integer"}]}})),
            format!("{member}/anyOf"),
            "anyOf",
        ),
        (
            object(json!({"a": {"description": "x", "type": ["string", "integer"]}})),
            format!("{member}/type"),
            "type list",
        ),
        (
            object(json!({"a": {"description": "x", "$ref": "https://example.invalid/x.json"}})),
            format!("{member}/$ref"),
            "only local",
        ),
        (
            json!({"Params": {"description": "p", "type": "string", "pattern": "[a-z]+"}}),
            "/$defs/Params/pattern".into(),
            "anchored",
        ),
        (json!({"Params": {"description": "p", "allOf": [{"type": "string"}]}}), "/$defs/Params/allOf".into(), "allOf"),
        (
            json!({"Params": {"description": "p", "oneOf": [{"type": "string"}]}}),
            "/$defs/Params/oneOf/0/type".into(),
            "type",
        ),
        (
            json!({"Params": {"description": "p", "oneOf": [{}]}}),
            "/$defs/Params/oneOf".into(),
            "branch 0 is not a `$ref`",
        ),
    ];
    for (defs, want_pointer, want_reason) in cases {
        let (pointer, reason) = unsupported_at(defs.clone());
        assert_eq!(pointer, want_pointer, "for {defs}");
        assert!(reason.contains(want_reason), "reason {reason:?} should mention {want_reason:?} for {defs}");
    }
}

#[test]
fn invalid_documents_are_errors_at_their_pointer() {
    let cases = [
        (json!({"Params": {"type": "object", "properties": {}}}), "/$defs/Params", "description"),
        (
            json!({"Params": {"description": "p", "type": "object", "properties": {"a": {"type": "string"}}}}),
            "/$defs/Params/properties/a",
            "description",
        ),
        (
            json!({"Params": {"description": "p", "type": "object", "properties": {}, "required": ["a"]}}),
            "/$defs/Params/required",
            "not declared",
        ),
        (
            json!({"Params": {"description": "p", "type": "object", "properties": {"a": {"description": "x", "$ref": "#/$defs/Nope"}}}}),
            "/$defs/Params/properties/a/$ref",
            "names no def",
        ),
        (
            json!({"Params": {"description": "p", "type": "object", "properties": {
                "threadId": {"description": "x", "type": "string"}, "thread_id": {"description": "y", "type": "string"}}}}),
            "/$defs/Params/properties/thread_id",
            "same name",
        ),
        (json!({"params": {"description": "p", "type": "string"}}), "/$defs/params", "UpperCamelCase"),
    ];
    for (defs, want_pointer, want_reason) in cases {
        match lower(defs.clone()) {
            Err(SchemaError::Invalid { pointer, reason }) => {
                assert_eq!(pointer, want_pointer, "for {defs}");
                assert!(reason.contains(want_reason), "reason {reason:?} should mention {want_reason:?}");
            }
            other => panic!("expected an invalid-schema error for {defs}, got {other:?}"),
        }
    }
}

#[test]
fn documents_that_break_the_meta_schema_are_rejected_before_lowering() {
    let mut doc = document(json!({"Params": {"description": "p", "type": "object", "properties": {}}}));
    doc["$defs"]["Params"]["type"] = json!("objekt");
    match Contract::from_value(doc) {
        Err(SchemaError::MetaSchema { pointer, .. }) => assert_eq!(pointer, "/$defs/Params/type"),
        other => panic!("expected a meta-schema error, got {other:?}"),
    }
    assert!(matches!(Contract::from_str("{ not json", "broken.json"), Err(SchemaError::Json { .. })));
}

#[test]
fn the_rpc_table_and_tools_are_checked() {
    let args = json!({"Args": {"description": "a", "type": "object", "properties": {}, "additionalProperties": false}});
    let mut doc = document(args);
    let invalid_at = |doc: &Value| match Contract::from_value(doc.clone()) {
        Err(SchemaError::Invalid { pointer, .. }) => pointer,
        other => panic!("expected an invalid-schema error, got {other:?}"),
    };
    doc["x-rpc"]["thread/resume"]["direction"] = json!("sideways");
    assert_eq!(invalid_at(&doc), "/x-rpc/thread~1resume/direction");
    doc["x-rpc"]["thread/resume"] = json!({"direction": "server_notification", "result": "#/$defs/Args"});
    assert_eq!(invalid_at(&doc), "/x-rpc/thread~1resume/result");
    doc["x-rpc"]["thread/resume"] = json!({"direction": "client_request"});
    doc["x-realtime-tools"] = json!([
        {"name": "codex", "description": "d", "arguments": "#/$defs/Args", "aliases": ["background_agent"]},
        {"name": "background_agent", "description": "d", "arguments": "#/$defs/Args"}
    ]);
    assert_eq!(invalid_at(&doc), "/x-realtime-tools/1");
    doc["x-realtime-tools"] = json!([
        {"name": "codex", "description": "d", "arguments": "#/$defs/Args"},
        {"name": "background_agent", "description": "d", "arguments": "#/$defs/Args", "declared_by": "server"}
    ]);
    assert_eq!(invalid_at(&doc), "/x-realtime-tools/1/declared_by");
}

#[test]
fn the_canonical_schema_lowers_with_the_handoff_types() {
    let contract = Contract::canonical().unwrap();
    let ir = &contract.ir;
    // Codex 0.171.0 (upstream/codex-version): 189 client requests, 10 server requests, 87 server notifications and
    // 1 client notification; plus the fork's resolveHandoff and finalizeHandoff.
    assert_eq!(ir.methods.len(), 289, "every app-server method of the tracked Codex release, and the fork's two");
    assert!(ir.methods.windows(2).all(|w| w[0].name < w[1].name), "methods are sorted by wire name");
    let resume = ir.method("thread/resume").unwrap();
    assert_eq!(
        (resume.params.as_deref(), resume.result.as_deref()),
        (Some("ThreadResumeParams"), Some("ThreadResumeResponse"))
    );
    // The stock server's own tool is recognised with its own arguments, and never offered by the client.
    let background = ir.realtime_tool("background_agent").unwrap();
    assert_eq!(
        (background.name.as_str(), background.arguments.as_str()),
        ("background_agent", "BackgroundAgentArguments")
    );
    assert_eq!(background.declared_by, ToolDeclarer::AppServer);
    assert!(ir.realtime_tool("codex").unwrap().offered());
    let TypeKind::Struct(codex) = &ir.type_def("CodexToolArguments").kind else { panic!() };
    assert!(codex.closed);
    let server = codex.fields.iter().find(|f| f.wire_name == "server").unwrap();
    assert_eq!(server.aliases, ["server_hint", "serverHint"]);
    let thread_id = codex.fields.iter().find(|f| f.wire_name == "thread_id").unwrap();
    assert_eq!((thread_id.ty.clone(), thread_id.presence), (TypeRef::Named("ThreadId".into()), Presence::Optional));
    // Every thread id member uses ThreadId.
    for def in ir.types.values() {
        if let TypeKind::Struct(s) = &def.kind {
            for field in s.fields.iter().filter(|f| matches!(f.wire_name.as_str(), "threadId" | "thread_id")) {
                assert_eq!(field.ty, TypeRef::Named("ThreadId".into()), "{}", field.pointer);
            }
        }
    }
}

/// `defs` with `Params` sent by the client and `Result` decoded by it (the answer of `thread/resume`).
fn lower_with_result(defs: Value) -> Result<Contract, SchemaError> {
    let mut doc = document(defs);
    doc["x-rpc"]["thread/resume"]["result"] = json!("#/$defs/Result");
    Contract::from_value(doc)
}

#[test]
fn openness_follows_who_decodes_unless_the_schema_closes() {
    let status = |closed: bool| {
        let mut status = json!({"description": "s", "type": "string", "enum": ["done", "busy"]});
        if closed {
            status["x-closed"] = json!(true);
        }
        json!({
            "Params": {"description": "p", "type": "object", "properties": {"mode": {"description": "m", "$ref": "#/$defs/Mode"}}},
            "Mode": {"description": "m", "type": "string", "enum": ["fast", "slow"]},
            "Result": {"description": "r", "type": "object", "properties": {"status": {"description": "s", "$ref": "#/$defs/Status"}}},
            "Status": status,
        })
    };
    let openness = |contract: &Contract, name: &str| match &contract.ir.type_def(name).kind {
        TypeKind::StringEnum(e) => e.openness,
        other => panic!("{name} is not an enum: {other:?}"),
    };
    let open = lower_with_result(status(false)).unwrap();
    assert_eq!(openness(&open, "Status"), Openness::Open, "decoded by the client");
    assert_eq!(openness(&open, "Mode"), Openness::Closed, "written by the client");
    let closed = lower_with_result(status(true)).unwrap();
    assert_eq!(openness(&closed, "Status"), Openness::Closed, "closed by x-closed");

    // A listed value named like the case that keeps unlisted ones cannot be open.
    let mut clash = status(false);
    clash["Status"]["enum"] = json!(["done", "unknown"]);
    match lower_with_result(clash) {
        Err(SchemaError::Unsupported { pointer, reason }) => {
            assert_eq!(pointer, "/$defs/Status/enum");
            assert!(reason.contains("`unknown`"), "{reason}");
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn a_union_the_client_decodes_needs_a_fallback_or_x_closed() {
    let variant = |tag: &str| {
        json!({"description": "v", "type": "object", "additionalProperties": false,
            "properties": {"type": {"description": "t", "const": tag}}, "required": ["type"]})
    };
    let mut defs = json!({
        "Params": {"description": "p", "type": "object", "properties": {}},
        "Result": {"description": "r", "oneOf": [{"$ref": "#/$defs/A"}, {"$ref": "#/$defs/B"}]},
        "A": variant("a"),
        "B": variant("b"),
    });
    match lower_with_result(defs.clone()) {
        Err(SchemaError::Unsupported { pointer, reason }) => {
            assert_eq!(pointer, "/$defs/Result/oneOf");
            assert!(reason.contains("fallback branch"), "{reason}");
        }
        other => panic!("expected an error, got {other:?}"),
    }
    defs["Result"]["x-closed"] = json!(true);
    let contract = lower_with_result(defs).unwrap();
    match &contract.ir.type_def("Result").kind {
        TypeKind::TaggedUnion(u) => assert_eq!(u.openness(), Openness::Closed),
        other => panic!("not a union: {other:?}"),
    }
}
