//! The Swift backend's pieces on small hand-built IRs: keyword escaping, open enums with their `unknown`
//! case, legacy aliases, null handling per presence, union fallbacks, and the errors for IRs it cannot
//! render. Every rendered file must also parse.

mod swift_common;

use std::collections::BTreeMap;

use handoff_codegen::{CodegenError, Output, swift};
use handoff_schema::{
    Constraints, EnumOrigin, EnumValue, Field, Ir, NewtypeDef, Presence, Primitive, StringEnumDef, StructDef,
    TaggedUnionDef, TaggedVariant, TypeDef, TypeKind, TypeRef, UntaggedUnionDef, UntaggedVariant,
};
use proptest::strategy::Strategy;
use swift_common::{structs, swift_files, syntax_problems};

fn ir(types: Vec<TypeDef>) -> Ir {
    Ir {
        title: "Test contract".to_owned(),
        description: "A hand-built IR.".to_owned(),
        version: "0.0.1".to_owned(),
        types: types.into_iter().map(|t| (t.name.clone(), t)).collect::<BTreeMap<_, _>>(),
        methods: Vec::new(),
        realtime_tools: Vec::new(),
    }
}

fn def(name: &str, kind: TypeKind) -> TypeDef {
    TypeDef {
        name: name.to_owned(),
        doc: format!("The {name} type."),
        pointer: format!("/$defs/{name}"),
        synthesized: false,
        group: handoff_schema::Group::Common,
        kind,
    }
}

fn field(wire: &str, name: &str, ty: TypeRef, presence: Presence) -> Field {
    Field {
        wire_name: wire.to_owned(),
        name: name.to_owned(),
        doc: format!("The {wire} member."),
        ty,
        presence,
        default: None,
        aliases: Vec::new(),
        pointer: format!("/$defs/X/properties/{wire}"),
    }
}

fn object(fields: Vec<Field>, closed: bool) -> TypeKind {
    TypeKind::Struct(StructDef { fields, closed })
}

fn string_enum(values: &[&str], origin: EnumOrigin) -> TypeKind {
    let values = values.iter().map(|v| EnumValue { wire: (*v).to_owned(), name: v.to_lowercase() }).collect();
    // Listed enums are open, as the canonical schema's decoded enums are; tags are closed.
    let openness =
        if origin == EnumOrigin::Enum { handoff_schema::Openness::Open } else { handoff_schema::Openness::Closed };
    TypeKind::StringEnum(StringEnumDef { values, origin, openness })
}

/// Renders `types` and returns the concatenated source files, after checking each parses.
fn render(types: Vec<TypeDef>) -> String {
    let output = swift::generate(&ir(types)).expect("renders");
    assert_parses(&output);
    swift_files(&output)
        .into_iter()
        .filter(|(path, _)| path.contains("/Sources/"))
        .map(|(_, source)| source)
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_parses(output: &Output) {
    for (path, source) in swift_files(output) {
        let problems = syntax_problems(source);
        assert!(problems.is_empty(), "{path}:\n{}", problems.join("\n"));
    }
}

fn render_error(types: Vec<TypeDef>) -> String {
    match swift::generate(&ir(types)) {
        Err(error @ CodegenError::Unsupported { .. }) => error.to_string(),
        Err(other) => panic!("expected an Unsupported error, got {other}"),
        Ok(_) => panic!("expected an error, the IR rendered"),
    }
}

#[test]
fn keywords_are_escaped_with_backticks() {
    let source = render(vec![def(
        "Sample",
        object(
            vec![
                field("default", "default", TypeRef::String, Presence::Required),
                field("in", "in", TypeRef::Integer, Presence::Optional),
                field("protocol_version", "protocol_version", TypeRef::Boolean, Presence::Required),
            ],
            true,
        ),
    )]);
    assert!(source.contains("public var `default`: String\n"), "{source}");
    assert!(source.contains("public var `in`: Int64?\n"));
    assert!(source.contains("public var protocolVersion: Bool\n"));
    assert!(source.contains("case `default` = \"default\"\n"));
    assert!(source.contains("case `in` = \"in\"\n"));
    assert!(source.contains("self.`default` = `default`\n"));
    assert!(source.contains("self.`in` = try container.decodeIfPresent(Int64.self, forKey: .`in`)\n"));
    // The parse tree sees the names without backticks, mapped to the exact wire names.
    let parsed = structs(&source);
    let sample = parsed.iter().find(|s| s.name == "Sample").expect("struct Sample");
    assert_eq!(
        sample.coding_keys,
        [("default", "default"), ("in", "in"), ("protocolVersion", "protocol_version")]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}

#[test]
fn string_enums_keep_unknown_values() {
    let source = render(vec![def("Status", string_enum(&["completed", "in_progress"], EnumOrigin::Enum))]);
    assert!(source.contains("public enum Status: OpenStringEnum, Codable, Sendable, Hashable {"));
    assert!(
        source
            .contains("        if case .unknown = self {\n            return true\n        }\n        return false\n")
    );
    assert!(source.contains("    case completed\n    /// `in_progress`\n    case inProgress\n"), "{source}");
    assert!(source.contains("    case unknown(String)\n"));
    assert!(source.contains("        case \"in_progress\":\n            self = .inProgress\n"));
    assert!(source.contains("        default:\n            self = .unknown(rawValue)\n"));
    assert!(source.contains("        case .unknown(let value):\n            return value\n"));
    // Equality by wire value, so an `unknown` spelling of a known value equals the case.
    assert!(source.contains("lhs.rawValue == rhs.rawValue"));
}

#[test]
fn const_tags_are_closed_raw_value_enums_with_a_default_in_the_initializer() {
    let source = render(vec![
        def("Item", object(vec![field("type", "type", TypeRef::Named("ItemType".into()), Presence::Required)], false)),
        def("ItemType", string_enum(&["handoff_request"], EnumOrigin::Const)),
    ]);
    assert!(source.contains("public enum ItemType: String, Codable, Sendable, Hashable, CaseIterable {"));
    assert!(source.contains("    case handoffRequest = \"handoff_request\"\n"), "{source}");
    assert!(!source.contains("case unknown(String)"), "a const tag takes no other value");
    assert!(source.contains("type: ItemType = .handoffRequest,\n"), "{source}");
}

#[test]
fn an_enum_value_named_unknown_is_refused() {
    let error = render_error(vec![def("Status", string_enum(&["ok", "unknown"], EnumOrigin::Enum))]);
    assert!(error.contains("Status") && error.contains("`unknown`"), "{error}");
}

#[test]
fn an_enum_value_named_like_an_enum_member_is_refused() {
    let error = render_error(vec![def("Status", string_enum(&["ok", "raw_value"], EnumOrigin::Enum))]);
    assert!(error.contains("Status") && error.contains("`rawValue`"), "{error}");
    let error = render_error(vec![def("Tag", string_enum(&["all_cases"], EnumOrigin::Const))]);
    assert!(error.contains("`allCases`"), "{error}");
}

#[test]
fn aliases_are_read_but_not_written() {
    let mut server = field("server", "server", TypeRef::String, Presence::Required);
    server.aliases = vec!["server_hint".to_owned(), "serverHint".to_owned()];
    let mut optional_server = field("server", "server", TypeRef::String, Presence::Optional);
    optional_server.aliases = vec!["server_id".to_owned()];
    let source = render(vec![
        def("Codex", object(vec![server, field("prompt", "prompt", TypeRef::String, Presence::Required)], true)),
        def("List", object(vec![optional_server], true)),
    ]);
    assert!(source.contains(
        "self.server = try container.decode(String.self, forKey: .server, aliases: [\"server_hint\", \"serverHint\"], decoder: decoder)"
    ));
    assert!(source.contains(
        "self.server = try container.decodeIfPresent(String.self, forKey: .server, aliases: [\"server_id\"], decoder: decoder)"
    ));
    // A closed object accepts the aliases as members…
    assert!(
        source.contains(
            "static let knownMembers: Set<String> = [\"prompt\", \"server\", \"serverHint\", \"server_hint\"]"
        )
    );
    // …but CodingKeys (and so the encoder) only knows the canonical name.
    let parsed = structs(&source);
    let codex = parsed.iter().find(|s| s.name == "Codex").expect("struct Codex");
    let raw: Vec<&str> = codex.coding_keys.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(raw, ["server", "prompt"]);
    assert!(source.contains("try container.encode(self.server, forKey: .server)"));
}

#[test]
fn presence_decides_decoding_and_encoding() {
    let source = render(vec![def(
        "Mixed",
        object(
            vec![
                field("a", "a", TypeRef::String, Presence::Required),
                field("b", "b", TypeRef::String, Presence::Optional),
                field("c", "c", TypeRef::String, Presence::RequiredNullable),
                field("d", "d", TypeRef::String, Presence::OptionalNullable),
                field("e", "e", TypeRef::Any, Presence::Optional),
                field("f", "f", TypeRef::Any, Presence::Required),
            ],
            false,
        ),
    )]);
    for line in [
        "public var a: String\n",
        "public var b: String?\n",
        "public var c: String?\n",
        "public var d: String?\n",
        "public var e: JSONValue?\n",
        "public var f: JSONValue\n",
        "self.a = try container.decode(String.self, forKey: .a)\n",
        "self.b = try container.decodeIfPresent(String.self, forKey: .b)\n",
        // Required but nullable: a missing key is an error, null is nil, and nil is written as null.
        "self.c = try container.decode(String?.self, forKey: .c)\n",
        "try container.encodeNil(forKey: .c)\n",
        "self.d = try container.decodeIfPresent(String.self, forKey: .d)\n",
        "try container.encodeIfPresent(self.d, forKey: .d)\n",
        // Any JSON keeps an explicit null.
        "self.e = try container.decodeJSONIfPresent(forKey: .e)\n",
        "self.f = try container.decode(JSONValue.self, forKey: .f)\n",
        "self.extra = try decoder.unknownMembers(known: Self.knownMembers)\n",
        "try encoder.encodeUnknownMembers(self.extra, known: Self.knownMembers)\n",
        "b: String? = nil,\n",
        "extra: [String: JSONValue] = [:]\n",
    ] {
        assert!(source.contains(line), "missing `{}` in\n{source}", line.trim_end());
    }
}

#[test]
fn closed_objects_reject_unknown_members_and_open_ones_keep_them() {
    let source = render(vec![
        def("Closed", object(vec![field("x", "x", TypeRef::String, Presence::Required)], true)),
        def("Empty", object(Vec::new(), true)),
    ]);
    assert!(source.contains("try decoder.rejectUnknownMembers(known: Self.knownMembers, typeName: \"Closed\")"));
    assert!(!source.contains("public var extra"));
    // An empty object has no CodingKeys (an enum without cases cannot have a raw type) but still encodes `{}`.
    assert!(source.contains("public init() {}"));
    assert!(source.contains("_ = encoder.container(keyedBy: AnyCodingKey.self)"));
}

#[test]
fn an_open_object_member_named_extra_is_refused() {
    let error =
        render_error(vec![def("Bag", object(vec![field("extra", "extra", TypeRef::Any, Presence::Optional)], false))]);
    assert!(error.contains("Bag") && error.contains("extra") && error.contains("/$defs/X/properties/extra"), "{error}");
}

#[test]
fn a_def_named_like_a_swift_type_the_package_uses_is_refused() {
    let error = render_error(vec![def("String", object(Vec::new(), false))]);
    assert!(error.contains("`String`"), "{error}");
}

#[test]
fn tagged_unions_dispatch_on_the_tag_with_or_without_a_fallback() {
    let variant = |name: &str, tag: &str| TaggedVariant {
        tag_value: tag.to_owned(),
        name: tag.to_owned(),
        type_name: name.to_owned(),
    };
    let tag_field = |tag_type: &str| field("kind", "kind", TypeRef::Named(tag_type.to_owned()), Presence::Required);
    let source = render(vec![
        def("Circle", object(vec![tag_field("CircleKind")], false)),
        def("CircleKind", string_enum(&["circle"], EnumOrigin::Const)),
        def("Square", object(vec![tag_field("SquareKind")], false)),
        def("SquareKind", string_enum(&["square"], EnumOrigin::Const)),
        def("OtherShape", object(vec![field("kind", "kind", TypeRef::String, Presence::Required)], false)),
        def(
            "Shape",
            TypeKind::TaggedUnion(TaggedUnionDef {
                tag: "kind".to_owned(),
                variants: vec![variant("Circle", "circle"), variant("Square", "square")],
                fallback: Some("OtherShape".to_owned()),
            }),
        ),
        def(
            "ClosedShape",
            TypeKind::TaggedUnion(TaggedUnionDef {
                tag: "kind".to_owned(),
                variants: vec![variant("Circle", "circle")],
                fallback: None,
            }),
        ),
    ]);
    assert!(source.contains("case tag = \"kind\""));
    assert!(source.contains("        case \"circle\":\n            self = try .circle(Circle(from: decoder))\n"));
    assert!(source.contains("        default:\n            self = try .unknown(OtherShape(from: decoder))\n"));
    assert!(source.contains("    case unknown(OtherShape)\n"));
    // Without a fallback an unlisted tag is an error that names the tag and the expected ones.
    assert!(
        source.contains("debugDescription: \"unknown `kind` \\(String(reflecting: tag)), expected one of `circle`\""),
        "{source}"
    );
}

#[test]
fn newtypes_check_their_constraints_and_name_the_value() {
    let constraints = Constraints {
        min_length: Some(1),
        max_length: Some(128),
        pattern: Some("^[A-Za-z0-9][A-Za-z0-9_.:-]*$".to_owned()),
        excluded: vec!["text".to_owned()],
        ..Constraints::default()
    };
    let source = render(vec![
        def("ThreadId", TypeKind::Newtype(NewtypeDef { base: Primitive::String, constraints })),
        def(
            "Limit",
            TypeKind::Newtype(NewtypeDef {
                base: Primitive::Integer,
                constraints: Constraints { minimum: Some(1), maximum: Some(40), ..Constraints::default() },
            }),
        ),
    ]);
    for line in [
        "public init(_ value: String) throws {\n",
        "public init?(rawValue: String) {\n",
        "let length = value.unicodeScalars.count\n",
        "if length < 1 || length > 128 {\n",
        "if !value.matchesWhole(pattern: \"^[A-Za-z0-9][A-Za-z0-9_.:-]*$\") {\n",
        "if [\"text\"].contains(value) {\n",
        "debugDescription: \"invalid ThreadId \\(String(reflecting: value)): \\(reason)\"\n",
        "if value < 1 || value > 40 {\n",
        "return \"must be between 1 and 40\"\n",
        "throw ContractConstraintError(typeName: \"Limit\", value: String(value), reason: reason)\n",
    ] {
        assert!(source.contains(line), "missing `{}` in\n{source}", line.trim_end());
    }
}

#[test]
fn aliases_become_typealiases_and_untagged_unions_try_each_kind_in_order() {
    let source = render(vec![
        def("Items", TypeKind::Alias(TypeRef::Array(Box::new(TypeRef::Any)))),
        def("Settings", TypeKind::Alias(TypeRef::Map(Box::new(TypeRef::Number)))),
        def(
            "Id",
            TypeKind::UntaggedUnion(UntaggedUnionDef {
                variants: vec![
                    UntaggedVariant { name: "string".to_owned(), ty: TypeRef::String },
                    UntaggedVariant { name: "integer".to_owned(), ty: TypeRef::Integer },
                ],
            }),
        ),
    ]);
    assert!(source.contains("public typealias Items = [JSONValue]\n"));
    assert!(source.contains("public typealias Settings = [String: Double]\n"));
    assert!(source.contains("    case string(String)\n    case integer(Int64)\n"), "{source}");
    let string_attempt = source.find("if let value = try? String(from: decoder) {").expect("string attempt");
    let integer_attempt = source.find("if let value = try? Int64(from: decoder) {").expect("integer attempt");
    assert!(string_attempt < integer_attempt, "variants are tried in the schema's order");
    assert!(source.contains("debugDescription: \"Id must be a string or an integer\""));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Whatever text the schema holds (descriptions, wire names, tag values, patterns), the Swift parses and
    /// the wire names come back exactly.
    #[test]
    fn arbitrary_schema_text_renders_to_valid_swift(
        doc in "\\PC{0,40}(\n\\PC{0,20})?",
        wires in proptest::collection::btree_set("[\\PC\"\\\\\n\t\u{1}]{1,12}", 1..5),
        tag in "[a-z\"\\\\ ]{1,8}",
        pattern in "\\^[a-z\\\\.\"\\[\\]+*]{0,10}\\$",
    ) {
        let fields: Vec<Field> = wires
            .iter()
            .enumerate()
            .map(|(index, wire)| {
                let mut f = field(wire, &format!("field_{index}"), TypeRef::String, Presence::Optional);
                f.doc = doc.clone();
                f
            })
            .collect();
        let mut sample = def("Sample", object(fields, false));
        sample.doc = doc.clone();
        let constraints = Constraints { pattern: Some(pattern.clone()), excluded: vec![tag.clone()], ..Constraints::default() };
        let output = swift::generate(&ir(vec![
            sample,
            def("Tag", TypeKind::Newtype(NewtypeDef { base: Primitive::String, constraints })),
            def("Kind", string_enum(&["a"], EnumOrigin::Enum)),
        ]))
        .expect("renders");
        for (path, source) in swift_files(&output) {
            let problems = syntax_problems(source);
            proptest::prop_assert!(problems.is_empty(), "{path}:\n{}\n{source}", problems.join("\n"));
        }
        let source: String = swift_files(&output).into_iter().map(|(_, s)| s).collect();
        let parsed = structs(&source);
        let sample = parsed.iter().find(|s| s.name == "Sample").expect("struct Sample");
        let raw: Vec<String> = sample.coding_keys.iter().map(|(_, raw)| raw.clone()).collect();
        let expected: Vec<String> = wires.iter().cloned().collect();
        proptest::prop_assert_eq!(raw, expected);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Member and enum value names from arbitrary wire names, keywords included, give valid Swift, or a
    /// located error when two of them map to one Swift name.
    #[test]
    fn arbitrary_names_render_to_valid_swift_or_a_clear_error(
        wires in proptest::collection::btree_set(
            proptest::prop_oneof![
                "[a-zA-Z0-9_ $-]{1,10}",
                proptest::sample::select(vec![
                    "default", "in", "self", "Self", "init", "Type", "protocol", "extension", "2fa", "$", "_", "type",
                ]).prop_map(str::to_owned),
            ],
            1..6,
        ),
    ) {
        let fields: Vec<Field> = wires
            .iter()
            .map(|wire| field(wire, &handoff_schema::names::neutral(wire), TypeRef::String, Presence::Required))
            .collect();
        let values: Vec<&str> = wires.iter().map(String::as_str).filter(|w| *w != "unknown").collect();
        let kind = TypeKind::StringEnum(StringEnumDef {
            values: values.iter().map(|w| EnumValue { wire: (*w).to_owned(), name: handoff_schema::names::neutral(w) }).collect(),
            origin: EnumOrigin::Enum,
            openness: handoff_schema::Openness::Open,
        });
        match swift::generate(&ir(vec![def("Sample", object(fields, true)), def("Kind", kind)])) {
            Ok(output) => {
                for (path, source) in swift_files(&output) {
                    let problems = syntax_problems(source);
                    proptest::prop_assert!(problems.is_empty(), "{path}:\n{}\n{source}", problems.join("\n"));
                }
            }
            Err(error) => {
                let message = error.to_string();
                proptest::prop_assert!(
                    message.contains("map to the Swift") || message.contains("`unknown`") || message.contains("enum member"),
                    "unexpected error: {message}"
                );
            }
        }
    }
}
