//! The generated Swift agrees with the schema, read from the parse tree rather than from the text: every
//! object def is a struct whose `CodingKeys` raw values are the schema's member names in order, whose
//! optional members are Swift optionals and required ones are not, and which keeps unknown members
//! (`extra`) exactly when the object is open.

mod swift_common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use handoff_codegen::swift;
use handoff_schema::{Contract, Presence, TypeKind, TypeRef};
use serde_json::Value;
use swift_common::{SwiftStruct, structs, swift_files};

fn generated_structs() -> BTreeMap<String, SwiftStruct> {
    let contract = Contract::canonical().expect("canonical contract");
    let output = swift::generate(&contract.ir).expect("swift backend");
    let mut all = BTreeMap::new();
    for (path, source) in swift_files(&output) {
        if !path.contains("/Sources/") {
            continue;
        }
        for item in structs(source) {
            let name = item.name.clone();
            assert!(all.insert(name.clone(), item).is_none(), "struct {name} is declared twice");
        }
    }
    all
}

#[test]
fn structs_match_the_schema_members() {
    let contract = Contract::canonical().expect("canonical contract");
    let structs = generated_structs();
    let mut checked = 0;
    for def in contract.ir.types.values() {
        let TypeKind::Struct(s) = &def.kind else { continue };
        let name = &def.name;
        let swift = structs.get(name).unwrap_or_else(|| panic!("no Swift struct for object def {name}"));

        let raw_values: Vec<&str> = swift.coding_keys.iter().map(|(_, raw)| raw.as_str()).collect();
        let wire_names: Vec<&str> = s.fields.iter().map(|f| f.wire_name.as_str()).collect();
        assert_eq!(raw_values, wire_names, "{name}: CodingKeys raw values are not the schema's member names");
        assert_eq!(swift.has_coding_keys, !s.fields.is_empty(), "{name}: CodingKeys present iff it has members");

        for (field, (case, _)) in s.fields.iter().zip(&swift.coding_keys) {
            let (_, ty) = swift
                .properties
                .iter()
                .find(|(property, _)| property == case)
                .unwrap_or_else(|| panic!("{name}: CodingKeys case `{case}` has no property of that name"));
            let optional = ty.ends_with('?');
            assert_eq!(
                optional,
                field.presence.is_optional_in_code(),
                "{name}.{case} ({:?}) has Swift type `{ty}`",
                field.presence
            );
        }

        let extra = swift.properties.iter().find(|(property, _)| property == "extra");
        if s.closed {
            assert!(extra.is_none(), "{name} is closed but keeps unknown members");
            assert_eq!(swift.properties.len(), s.fields.len(), "{name}: properties beyond the schema's members");
        } else {
            assert_eq!(extra.map(|(_, ty)| ty.as_str()), Some("[String: JSONValue]"), "{name} is open: needs `extra`");
            assert_eq!(swift.properties.len(), s.fields.len() + 1, "{name}: properties beyond the members and `extra`");
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} object defs checked");
}

/// The schema document itself, not the IR, as a cross-check of the wire names the IR carries.
#[test]
fn coding_keys_use_the_wire_names_of_the_schema_document() {
    let contract = Contract::canonical().expect("canonical contract");
    let structs = generated_structs();
    let defs = contract.document["$defs"].as_object().expect("$defs");
    for (name, def) in defs {
        let Some(properties) = def.get("properties").and_then(Value::as_object) else { continue };
        let swift = structs.get(name).unwrap_or_else(|| panic!("no Swift struct for {name}"));
        let mut expected: Vec<&str> = properties.keys().map(String::as_str).collect();
        let mut actual: Vec<&str> = swift.coding_keys.iter().map(|(_, raw)| raw.as_str()).collect();
        expected.sort_unstable();
        actual.sort_unstable();
        assert_eq!(actual, expected, "{name}");
        let required: Vec<&str> =
            def.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        for (case, raw) in &swift.coding_keys {
            let (_, ty) = swift.properties.iter().find(|(p, _)| p == case).expect("property per case");
            let nullable = nullable_in_schema(&properties[raw.as_str()]);
            let must_have_value = required.contains(&raw.as_str()) && !nullable;
            assert_eq!(!ty.ends_with('?'), must_have_value, "{name}.{raw}: Swift type `{ty}`");
        }
    }
}

/// `type: [.., "null"]` or `anyOf: [.., {type: null}]`.
fn nullable_in_schema(member: &Value) -> bool {
    let type_has_null = member.get("type").and_then(Value::as_array).is_some_and(|t| t.iter().any(|v| v == "null"));
    let any_of_null = member
        .get("anyOf")
        .and_then(Value::as_array)
        .is_some_and(|variants| variants.iter().any(|v| v.get("type").is_some_and(|t| t == "null")));
    type_has_null || any_of_null
}

#[test]
fn the_handoff_item_reads_thread_id() {
    let structs = generated_structs();
    let item = &structs["RealtimeHandoffRequested"];
    assert!(item.coding_keys.contains(&("threadId".to_owned(), "thread_id".to_owned())));
    assert!(item.properties.contains(&("threadId".to_owned(), "ThreadId?".to_owned())));
    let params = &structs["ThreadResumeParams"];
    assert!(params.coding_keys.contains(&("threadId".to_owned(), "threadId".to_owned())));
    assert!(params.properties.contains(&("threadId".to_owned(), "ThreadId".to_owned())));
}

#[test]
fn method_constants_cover_the_rpc_table() {
    let contract = Contract::canonical().expect("canonical contract");
    let output = swift::generate(&contract.ir).expect("swift backend");
    let methods = swift_files(&output)
        .into_iter()
        .find(|(path, _)| path.ends_with("/Methods.swift"))
        .map(|(_, source)| source)
        .expect("Methods.swift");
    assert!(methods.contains("public static let threadResume = \"thread/resume\""));
    for method in &contract.ir.methods {
        let literal = format!(" = {}\n", serde_json::to_string(&method.name).expect("string"));
        assert!(methods.contains(&literal), "no constant for {}", method.name);
    }
    assert!(methods.contains("public enum ThreadResume: RPCRequest"));
    assert!(methods.contains("public typealias Params = CodexHandoffContract.ThreadResumeParams"));
    // `error` would give a nested `RPCMethod.Error` that shadows Swift's `Error`.
    assert!(methods.contains("public enum ErrorMethod: RPCNotification"));
    assert!(!methods.contains("public enum Error:"));
}

/// The XCTest target decodes every shared fixture file by its def name, and reads every section the files
/// have; a fixture file for a type the package lacks, or a new section, would go unchecked by `swift test`.
#[test]
fn the_xctest_target_covers_every_fixture_file() {
    let contract = Contract::canonical().expect("canonical contract");
    let output = swift::generate(&contract.ir).expect("swift backend");
    let tests = swift_files(&output)
        .into_iter()
        .find(|(path, _)| path.ends_with("/FixtureTests.swift"))
        .map(|(_, source)| source)
        .expect("FixtureTests.swift");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/messages");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap_or_else(|e| panic!("{}: {e}", fixtures.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures under {}", fixtures.display());
    for path in files {
        let name = path.file_stem().and_then(|s| s.to_str()).expect("UTF-8 file name");
        let codec = format!("\"{name}\": roundTrip(CodexHandoffContract.{name}.self),");
        assert!(tests.contains(&codec), "FixtureTests.swift has no codec for {name}.json");
        let text = std::fs::read_to_string(&path).expect("readable fixture");
        let document: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for section in document.as_object().expect("fixture file is an object").keys() {
            assert!(
                ["valid", "aliased", "invalid"].contains(&section.as_str()),
                "{}: section `{section}` is not read by FixtureTests.swift",
                path.display()
            );
        }
    }
}

/// Types sit in the file of their protocol area; helper types follow the one area that uses them, shared
/// ones go to CommonTypes.swift.
#[test]
fn types_are_grouped_by_protocol_area() {
    let contract = Contract::canonical().expect("canonical contract");
    let output = swift::generate(&contract.ir).expect("swift backend");
    let file_of = |name: &str| -> String {
        let declares = |source: &str| {
            ["struct", "enum"].iter().any(|keyword| {
                let start = format!("public {keyword} {name}");
                source.contains(&format!("{start}:")) || source.contains(&format!("{start} {{"))
            })
        };
        swift_files(&output)
            .into_iter()
            .find(|(_, source)| declares(source))
            .map(|(path, _)| path.rsplit('/').next().unwrap_or(path).to_owned())
            .unwrap_or_else(|| panic!("{name} is not declared"))
    };
    for (name, file) in [
        ("CodexToolArguments", "ToolArguments.swift"),
        ("SessionListLimit", "ToolArguments.swift"),
        ("RealtimeHandoffRequested", "HandoffItems.swift"),
        ("RealtimeHandoffRequestedType", "HandoffItems.swift"),
        ("TranscriptEntry", "HandoffItems.swift"),
        ("ThreadRealtimeItemAddedNotification", "HandoffItems.swift"),
        ("ThreadResumeParams", "ThreadsAndTurns.swift"),
        ("TurnStatus", "ThreadsAndTurns.swift"),
        ("JsonRpcRequest", "JSONRPC.swift"),
        ("RequestId", "JSONRPC.swift"),
        ("DynamicToolCallParams", "DynamicTools.swift"),
        ("ThreadId", "CommonTypes.swift"),
        ("RPCMethod", "Methods.swift"),
        ("JSONValue", "Support.swift"),
        ("Realtime", "Realtime.swift"),
    ] {
        assert_eq!(file_of(name), file, "{name}");
    }
}

/// Each member of the canonical schema is decoded the way its presence asks: `decode` when required,
/// `decode(T?.self)` when required but nullable, `decodeIfPresent` when optional (`decodeJSONIfPresent` for
/// any-JSON members, which keep an explicit null), with the `aliases:` the schema lists, and encoded with
/// `encodeIfPresent` exactly when it is optional.
#[test]
fn members_decode_and_encode_as_their_presence_asks() {
    let contract = Contract::canonical().expect("canonical contract");
    let output = swift::generate(&contract.ir).expect("swift backend");
    let sources: String = swift_files(&output).into_iter().map(|(_, source)| source).collect();
    let structs = generated_structs();
    let mut checked = 0;
    for def in contract.ir.types.values() {
        let TypeKind::Struct(s) = &def.kind else { continue };
        let start = sources.find(&format!("public struct {}: ", def.name)).expect("struct declared");
        let body = &sources[start..start + sources[start..].find("\n}\n").expect("struct ends")];
        let swift = &structs[&def.name];
        for (field, (case, _)) in s.fields.iter().zip(&swift.coding_keys) {
            let ident =
                if body.contains(&format!("public var `{case}`:")) { format!("`{case}`") } else { case.clone() };
            let decode_line = body
                .lines()
                .map(str::trim)
                .find(|line| line.starts_with(&format!("self.{ident} = try ")))
                .unwrap_or_else(|| panic!("{}.{case}: no decoding line", def.name));
            let expected_call = match field.presence {
                Presence::Required => "container.decode(",
                Presence::RequiredNullable => "container.decode(",
                Presence::Optional | Presence::OptionalNullable
                    if field.ty == TypeRef::Any && field.aliases.is_empty() =>
                {
                    "container.decodeJSONIfPresent("
                }
                Presence::Optional | Presence::OptionalNullable => "container.decodeIfPresent(",
            };
            assert!(decode_line.contains(expected_call), "{}.{case} ({:?}): {decode_line}", def.name, field.presence);
            assert_eq!(
                decode_line.contains("?.self"),
                field.presence == Presence::RequiredNullable,
                "{}.{case}: {decode_line}",
                def.name
            );
            for alias in &field.aliases {
                assert!(
                    decode_line.contains(&format!("\"{alias}\"")),
                    "{}.{case} does not read alias {alias}",
                    def.name
                );
            }
            let encodes_if_present =
                body.contains(&format!("try container.encodeIfPresent(self.{ident}, forKey: .{ident})"));
            assert_eq!(
                encodes_if_present,
                matches!(field.presence, Presence::Optional | Presence::OptionalNullable),
                "{}.{case}: optional members, and only they, are left out when nil",
                def.name
            );
            checked += 1;
        }
    }
    assert!(checked >= 100, "only {checked} members checked");
}
