//! The hand-built IR the compiled-output tests share: every construct and presence state the backends render.

#![allow(dead_code)] // Each test crate that includes this module uses a different part of it.

use std::collections::BTreeMap;

use handoff_schema::{
    Constraints, Contract, EnumOrigin, EnumValue, Field, Group, Ir, NewtypeDef, Openness, Presence, Primitive,
    RealtimeTool, StringEnumDef, StructDef, TaggedUnionDef, TaggedVariant, ToolDeclarer, TypeDef, TypeKind, TypeRef,
    UntaggedUnionDef, UntaggedVariant,
};

pub fn def(name: &str, group: Group, kind: TypeKind) -> TypeDef {
    TypeDef {
        name: name.to_owned(),
        doc: format!("The {name} type."),
        pointer: format!("/$defs/{name}"),
        synthesized: false,
        group,
        kind,
    }
}

pub fn field(wire: &str, name: &str, ty: TypeRef, presence: Presence) -> Field {
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

pub fn named(name: &str) -> TypeRef {
    TypeRef::Named(name.to_owned())
}

pub fn object(fields: Vec<Field>, closed: bool) -> TypeKind {
    TypeKind::Struct(StructDef { fields, closed })
}

pub fn string_enum(values: &[&str], origin: EnumOrigin, openness: Openness) -> TypeKind {
    let values = values.iter().map(|v| EnumValue { wire: (*v).to_owned(), name: v.replace('-', "_") }).collect();
    TypeKind::StringEnum(StringEnumDef { values, origin, openness })
}

pub fn tag(value: &str) -> TypeKind {
    string_enum(&[value], EnumOrigin::Const, Openness::Closed)
}

pub fn newtype(base: Primitive, constraints: Constraints) -> TypeKind {
    TypeKind::Newtype(NewtypeDef { base, constraints })
}

pub fn variant(tag_value: &str, type_name: &str) -> TaggedVariant {
    TaggedVariant { tag_value: tag_value.to_owned(), name: tag_value.to_owned(), type_name: type_name.to_owned() }
}

/// Every construct the Rust backend renders, spread over two areas so cross-module imports are exercised.
pub fn every_construct() -> Vec<TypeDef> {
    use Group::{Common, ThreadsAndTurns as Main};
    use Presence::{Optional, OptionalNullable, Required, RequiredNullable};
    let mut record_match = field("match", "match", TypeRef::String, Optional);
    record_match.aliases = vec!["legacy_match".to_owned()];
    let mut closed_name = field("name", "name", TypeRef::String, Required);
    closed_name.aliases = vec!["legacy_name".to_owned()];
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
                    // Keywords in Swift (`default`, `in`) and in Rust (`in`).
                    field("default", "default", TypeRef::String, Optional),
                    field("in", "in", TypeRef::Integer, Optional),
                ],
                false,
            ),
        ),
        def("Closed", Main, object(vec![closed_name], true)),
        def("Empty", Main, object(Vec::new(), true)),
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
        def(
            "EveryKindArguments",
            Group::ToolArguments,
            object(
                vec![
                    field("text", "text", TypeRef::String, Required),
                    field("count", "count", TypeRef::Integer, Optional),
                    field("ratio", "ratio", TypeRef::Number, Optional),
                    field("flag", "flag", TypeRef::Boolean, Optional),
                    field("labels", "labels", TypeRef::Array(Box::new(TypeRef::String)), Optional),
                    field("extras", "extras", TypeRef::Map(Box::new(TypeRef::Any)), Optional),
                    field("payload", "payload", TypeRef::Any, Optional),
                ],
                true,
            ),
        ),
    ]
}

/// A realtime tool whose arguments have a member of every JSON kind a tool parser checks (the canonical tools use
/// strings and integers only).
pub fn every_kind_tool() -> RealtimeTool {
    RealtimeTool {
        name: "every_kind".to_owned(),
        aliases: Vec::new(),
        description: "A tool with a member of every JSON kind.".to_owned(),
        arguments: "EveryKindArguments".to_owned(),
        declared_by: ToolDeclarer::Client,
    }
}

/// The hand-built types, plus the canonical realtime tools and the types their arguments use: the generated
/// crate's `realtime` module (another backend's work, not exercised here) needs the tools its prompt names.
pub fn ir(types: Vec<TypeDef>) -> Ir {
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
        realtime_tools: canonical.realtime_tools.into_iter().chain([every_kind_tool()]).collect(),
    }
}
