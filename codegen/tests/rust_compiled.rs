//! Rust generated from a hand-built IR that holds every construct and presence state, compiled and run.
//!
//! The IR below has each presence state, members named like Rust keywords (`type`, `match`, `self`), open and
//! closed enums and unions, a tag value named like the fallback variant (in a closed union, where it is allowed),
//! newtypes with every constraint kind, maps, arrays, any-JSON, an untagged union, an alias and a struct big
//! enough to get a builder. The generated crate and `rust_compiled/checks.rs` (decode/encode expectations
//! written by hand) are built as one scratch workspace under the target dir with the workspace's `Cargo.lock`,
//! offline; `checks` exits non-zero naming every expectation that failed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use handoff_codegen::{CodegenError, rust};
use handoff_schema::{
    Constraints, Contract, EnumOrigin, EnumValue, Field, Group, Ir, NewtypeDef, Openness, Presence, Primitive,
    StringEnumDef, StructDef, TaggedUnionDef, TaggedVariant, TypeDef, TypeKind, TypeRef, UntaggedUnionDef,
    UntaggedVariant,
};

fn def(name: &str, group: Group, kind: TypeKind) -> TypeDef {
    TypeDef {
        name: name.to_owned(),
        doc: format!("The {name} type."),
        pointer: format!("/$defs/{name}"),
        synthesized: false,
        group,
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

fn named(name: &str) -> TypeRef {
    TypeRef::Named(name.to_owned())
}

fn object(fields: Vec<Field>, closed: bool) -> TypeKind {
    TypeKind::Struct(StructDef { fields, closed })
}

fn string_enum(values: &[&str], origin: EnumOrigin, openness: Openness) -> TypeKind {
    let values = values.iter().map(|v| EnumValue { wire: (*v).to_owned(), name: v.replace('-', "_") }).collect();
    TypeKind::StringEnum(StringEnumDef { values, origin, openness })
}

fn tag(value: &str) -> TypeKind {
    string_enum(&[value], EnumOrigin::Const, Openness::Closed)
}

fn newtype(base: Primitive, constraints: Constraints) -> TypeKind {
    TypeKind::Newtype(NewtypeDef { base, constraints })
}

fn variant(tag_value: &str, type_name: &str) -> TaggedVariant {
    TaggedVariant { tag_value: tag_value.to_owned(), name: tag_value.to_owned(), type_name: type_name.to_owned() }
}

/// Every construct the Rust backend renders, spread over two areas so cross-module imports are exercised.
fn every_construct() -> Vec<TypeDef> {
    use Group::{Common, ThreadsAndTurns as Main};
    use Presence::{Optional, OptionalNullable, Required, RequiredNullable};
    let mut record_match = field("match", "match", TypeRef::String, Optional);
    record_match.aliases = vec!["legacy_match".to_owned()];
    vec![
        def("Kind", Common, string_enum(&["alpha", "beta-gamma"], EnumOrigin::Enum, Openness::Closed)),
        def("Mood", Common, string_enum(&["happy", "sad"], EnumOrigin::Enum, Openness::Open)),
        def(
            "Label",
            Common,
            newtype(
                Primitive::String,
                Constraints {
                    min_length: Some(1),
                    max_length: Some(8),
                    pattern: Some("^[a-z]+$".to_owned()),
                    excluded: vec!["none".to_owned()],
                    ..Constraints::default()
                },
            ),
        ),
        def(
            "Count",
            Common,
            newtype(Primitive::Integer, Constraints { minimum: Some(1), maximum: Some(10), ..Constraints::default() }),
        ),
        def(
            "Record",
            Main,
            object(
                vec![
                    field("type", "type", named("Kind"), Required),
                    record_match,
                    field("self", "self", TypeRef::Integer, OptionalNullable),
                    field("requiredNullable", "required_nullable", TypeRef::String, RequiredNullable),
                    field("labels", "labels", TypeRef::Array(Box::new(named("Label"))), Optional),
                    field("scores", "scores", TypeRef::Map(Box::new(TypeRef::Integer)), Optional),
                    field("payload", "payload", TypeRef::Any, Optional),
                    field("mood", "mood", named("Mood"), Optional),
                    field("shape", "shape", named("Shape"), Optional),
                    field("count", "count", named("Count"), Optional),
                    field("idOrName", "id_or_name", named("IdOrName"), Optional),
                    field("flag", "flag", TypeRef::Boolean, Optional),
                ],
                false,
            ),
        ),
        def("Closed", Main, object(vec![field("name", "name", TypeRef::String, Required)], true)),
        def(
            "Big",
            Main,
            object(
                vec![
                    field("a", "a", TypeRef::String, Required),
                    field("b", "b", TypeRef::Integer, Required),
                    field("c", "c", named("Label"), Required),
                    field("d", "d", TypeRef::Boolean, Required),
                    field("e", "e", TypeRef::Number, Required),
                    field("note", "note", TypeRef::String, Optional),
                ],
                true,
            ),
        ),
        // An open union: unknown tags go to the fallback, which keeps the whole object.
        def(
            "Shape",
            Main,
            TypeKind::TaggedUnion(TaggedUnionDef {
                tag: "type".to_owned(),
                variants: vec![variant("circle", "Circle"), variant("square", "Square")],
                fallback: Some("OtherShape".to_owned()),
            }),
        ),
        def("CircleType", Main, tag("circle")),
        def(
            "Circle",
            Main,
            object(
                vec![
                    field("type", "type", named("CircleType"), Required),
                    field("radius", "radius", TypeRef::Number, Required),
                ],
                true,
            ),
        ),
        def("SquareType", Main, tag("square")),
        def(
            "Square",
            Main,
            object(
                vec![
                    field("type", "type", named("SquareType"), Required),
                    field("side", "side", named("Count"), Required),
                ],
                false,
            ),
        ),
        def(
            "OtherShapeType",
            Main,
            newtype(
                Primitive::String,
                Constraints { excluded: vec!["circle".to_owned(), "square".to_owned()], ..Constraints::default() },
            ),
        ),
        def("OtherShape", Main, object(vec![field("type", "type", named("OtherShapeType"), Required)], false)),
        // A closed union whose tag value is named like the fallback variant: closed, so there is no clash.
        def(
            "Command",
            Main,
            TypeKind::TaggedUnion(TaggedUnionDef {
                tag: "kind".to_owned(),
                variants: vec![variant("unknown", "UnknownCommand"), variant("run", "RunCommand")],
                fallback: None,
            }),
        ),
        def("UnknownCommandKind", Main, tag("unknown")),
        def("UnknownCommand", Main, object(vec![field("kind", "kind", named("UnknownCommandKind"), Required)], true)),
        def("RunCommandKind", Main, tag("run")),
        def(
            "RunCommand",
            Main,
            object(
                vec![
                    field("kind", "kind", named("RunCommandKind"), Required),
                    field("self", "self", TypeRef::String, Required),
                ],
                true,
            ),
        ),
        def(
            "IdOrName",
            Common,
            TypeKind::UntaggedUnion(UntaggedUnionDef {
                variants: vec![
                    UntaggedVariant { name: "id".to_owned(), ty: TypeRef::Integer },
                    UntaggedVariant { name: "name".to_owned(), ty: TypeRef::String },
                ],
            }),
        ),
        def("Labels", Common, TypeKind::Alias(TypeRef::Array(Box::new(named("Label"))))),
    ]
}

/// The hand-built types, plus the canonical realtime tools and the types their arguments use: the generated
/// crate's `realtime` module (another backend's work, not exercised here) needs the tools its prompt names.
fn ir(types: Vec<TypeDef>) -> Ir {
    let canonical = Contract::canonical().expect("the canonical schema loads").ir;
    let mut all: BTreeMap<String, TypeDef> = types.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut pending: Vec<&str> = canonical.realtime_tools.iter().map(|t| t.arguments.as_str()).collect();
    while let Some(name) = pending.pop() {
        let def = canonical.type_def(name);
        assert!(all.insert(name.to_owned(), def.clone()).is_none_or(|mine| mine == *def), "`{name}` is taken");
        pending.extend(def.kind.references());
    }
    Ir {
        title: "Every construct".to_owned(),
        description: "A hand-built IR for the Rust backend.".to_owned(),
        version: "0.0.1".to_owned(),
        types: all,
        methods: Vec::new(),
        realtime_tools: canonical.realtime_tools,
    }
}

/// Writes `contents` unless the file already holds it, so cargo's fingerprints stay put on re-runs.
fn write_if_changed(path: &Path, contents: &str) {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return;
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

const CHECKS_MANIFEST: &str = r#"[package]
name = "checks"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
codex-handoff-contract = { path = "../contract" }
serde = "1"
serde_json = "1"
"#;

#[test]
fn generated_rust_compiles_and_decodes_and_encodes_every_construct() {
    let output = rust::generate(&ir(every_construct())).expect("the Rust backend renders every construct");
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rust_compiled");
    let contract = scratch.join("contract");
    for file in &output.files {
        let relative = file.path.strip_prefix(&format!("{}/", rust::ROOT)).expect("under the backend's root");
        write_if_changed(&contract.join(relative), &file.contents);
    }
    // Its own workspace, so cargo does not take the scratch dir for a stray member of this one; the lock file
    // pins the versions this workspace already has, which is what makes `--offline` work.
    write_if_changed(
        &scratch.join("Cargo.toml"),
        "[workspace]\nmembers = [\"contract\", \"checks\"]\nresolver = \"2\"\n",
    );
    let lock = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock")).unwrap();
    if !scratch.join("Cargo.lock").exists() {
        write_if_changed(&scratch.join("Cargo.lock"), &lock);
    }
    write_if_changed(&scratch.join("checks/Cargo.toml"), CHECKS_MANIFEST);
    write_if_changed(&scratch.join("checks/src/main.rs"), include_str!("rust_compiled/checks.rs"));

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let run = Command::new(cargo)
        .args(["run", "--offline", "--quiet", "-p", "checks", "--manifest-path"])
        .arg(scratch.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(scratch.join("target"))
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "the checks failed ({}):\n{stdout}\n{stderr}", run.status);
    assert!(!stderr.contains("warning"), "the generated crate or the checks compile with warnings:\n{stderr}");
    // The checks print one line per expectation; a run that checked nothing must not pass.
    let passed = stdout.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(passed >= 30, "only {passed} checks ran:\n{stdout}");
}

fn unsupported(types: Vec<TypeDef>) -> (String, String, String) {
    match rust::generate(&ir(types)) {
        Err(CodegenError::Unsupported { type_name, pointer, reason, .. }) => (type_name, pointer, reason),
        other => panic!("expected an unsupported-IR error, got {other:?}"),
    }
}

#[test]
fn an_open_union_with_a_tag_named_like_its_fallback_is_refused_with_its_location() {
    let mut types = every_construct();
    let shape = types.iter_mut().find(|t| t.name == "Shape").unwrap();
    let TypeKind::TaggedUnion(union) = &mut shape.kind else { unreachable!() };
    union.variants[0].name = "unknown".to_owned();
    let (type_name, pointer, reason) = unsupported(types);
    assert_eq!((type_name.as_str(), pointer.as_str()), ("Shape", "/$defs/Shape"));
    assert!(reason.contains("`Unknown` clashes with the fallback variant"), "{reason}");
}

#[test]
fn an_open_enum_value_named_like_its_unknown_case_is_refused_with_its_location() {
    let mut types = every_construct();
    types.push(def("Weather", Group::Common, string_enum(&["sunny", "unknown"], EnumOrigin::Enum, Openness::Open)));
    let (type_name, pointer, reason) = unsupported(types);
    assert_eq!((type_name.as_str(), pointer.as_str()), ("Weather", "/$defs/Weather"));
    assert!(reason.contains("`unknown`"), "{reason}");
}

#[test]
fn an_open_object_member_named_extra_is_refused_with_its_location() {
    let mut types = every_construct();
    types.push(def(
        "Roomy",
        Group::Common,
        object(vec![field("extra", "extra", TypeRef::String, Presence::Required)], false),
    ));
    let (type_name, pointer, reason) = unsupported(types);
    assert_eq!((type_name.as_str(), pointer.as_str()), ("Roomy", "/$defs/X/properties/extra"));
    assert!(reason.contains("reserved for the unknown members"), "{reason}");
}
