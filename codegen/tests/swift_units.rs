//! The Swift backend on small hand-built IRs: the located errors for IRs it cannot render, and arbitrary schema
//! text and names rendering to Swift that parses. What the rendered Swift does (keyword members, open enums, aliases,
//! presence, unions, newtypes, empty objects) is checked by compiling and running it: `swift_compiled.rs` writes
//! the hand-built IR's package and `.ci/swift` builds it with the real compiler and runs its expectations.

mod hand_built;
mod swift_common;

use std::collections::BTreeMap;

use hand_built::{field, object};
use handoff_codegen::{CodegenError, swift};
use handoff_schema::{
    Constraints, EnumOrigin, EnumValue, Field, Group, Ir, NewtypeDef, Openness, Presence, Primitive, StringEnumDef,
    TypeDef, TypeKind, TypeRef,
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
    hand_built::def(name, Group::Common, kind)
}

fn string_enum(values: &[&str], origin: EnumOrigin) -> TypeKind {
    // Listed enums are open, as the canonical schema's decoded enums are; tags are closed.
    let openness = if origin == EnumOrigin::Enum { Openness::Open } else { Openness::Closed };
    hand_built::string_enum(values, origin, openness)
}

fn render_error(types: Vec<TypeDef>) -> String {
    match swift::generate(&ir(types)) {
        Err(error @ CodegenError::Unsupported { .. }) => error.to_string(),
        Err(other) => panic!("expected an Unsupported error, got {other}"),
        Ok(_) => panic!("expected an error, the IR rendered"),
    }
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
