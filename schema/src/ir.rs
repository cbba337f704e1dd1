//! The intermediate representation every backend renders.
//!
//! It is plain data: names are fixed once here (def key, or `<Parent><Field>` for types the lowering
//! synthesizes), wire names sit beside them, and every container is ordered so output is deterministic.
//! Backends never look at the schema JSON; everything they need is in these structs.

use std::collections::BTreeMap;

use serde_json::Value;

/// The whole contract, lowered.
#[derive(Debug, Clone, PartialEq)]
pub struct Ir {
    pub title: String,
    pub description: String,
    /// The schema's `x-version` (semver); its major number is raised for breaking changes.
    pub version: String,
    /// Every named type, keyed by its type name (the `$defs` key or a synthesized name).
    pub types: BTreeMap<String, TypeDef>,
    /// Every JSON-RPC method of the app-server protocol, sorted by wire name.
    pub methods: Vec<RpcMethod>,
    /// The voice model's function tools, in the order the schema lists them (the order the model sees).
    pub realtime_tools: Vec<RealtimeTool>,
}

impl Ir {
    /// The type named `name`. Lowering guarantees every [`TypeRef::Named`] resolves, so a miss is a bug.
    pub fn type_def(&self, name: &str) -> &TypeDef {
        self.types.get(name).unwrap_or_else(|| panic!("IR invariant: type `{name}` is referenced but not defined"))
    }

    /// The method with wire name `name`, if the contract lists it.
    pub fn method(&self, name: &str) -> Option<&RpcMethod> {
        self.methods.binary_search_by(|m| m.name.as_str().cmp(name)).ok().map(|i| &self.methods[i])
    }

    /// The realtime tool called `name`, also under one of its legacy aliases.
    pub fn realtime_tool(&self, name: &str) -> Option<&RealtimeTool> {
        self.realtime_tools.iter().find(|t| t.name == name || t.aliases.iter().any(|a| a == name))
    }
}

/// One named type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    /// Type name in UpperCamelCase, unique in the IR.
    pub name: String,
    /// The schema description; becomes the doc comment in every language.
    pub doc: String,
    /// JSON pointer of the schema node the type comes from, e.g. `/$defs/ThreadId`.
    pub pointer: String,
    /// Set when lowering made this type up for an inline construct (a `const` tag, an excluded tag).
    pub synthesized: bool,
    pub kind: TypeKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    Struct(StructDef),
    StringEnum(StringEnumDef),
    TaggedUnion(TaggedUnionDef),
    UntaggedUnion(UntaggedUnionDef),
    Newtype(NewtypeDef),
    /// A named array, map or any-JSON type.
    Alias(TypeRef),
}

/// An object with named members.
#[derive(Debug, Clone, PartialEq)]
pub struct StructDef {
    pub fields: Vec<Field>,
    /// Closed objects (`additionalProperties: false`) reject unknown members. Open objects keep them:
    /// the app-server adds members over time and a client must not lose them on a round trip.
    pub closed: bool,
}

/// One member of a struct.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The member name on the wire (`threadId`, `thread_id`).
    pub wire_name: String,
    /// Language-neutral name in snake_case; backends recase it.
    pub name: String,
    pub doc: String,
    pub ty: TypeRef,
    pub presence: Presence,
    /// The schema's `default`, when it gives one.
    pub default: Option<Value>,
    /// Other wire names accepted when decoding (`x-aliases`), e.g. legacy `server_hint`. Never emitted.
    pub aliases: Vec<String>,
    pub pointer: String,
}

/// Whether a member may be absent and whether it may be `null`: the four states are distinct on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Presence {
    /// Must be present, never null.
    Required,
    /// May be absent, never null.
    Optional,
    /// Must be present, may be null.
    RequiredNullable,
    /// May be absent or null; both mean "no value".
    OptionalNullable,
}

impl Presence {
    pub fn is_required(self) -> bool {
        matches!(self, Presence::Required | Presence::RequiredNullable)
    }
    pub fn is_nullable(self) -> bool {
        matches!(self, Presence::RequiredNullable | Presence::OptionalNullable)
    }
    /// True when the target language needs an optional type for the member.
    pub fn is_optional_in_code(self) -> bool {
        self != Presence::Required
    }
}

/// A reference to a type from a field, an array, a map or a union.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TypeRef {
    Named(String),
    String,
    /// A 64-bit signed integer.
    Integer,
    Number,
    Boolean,
    Array(Box<TypeRef>),
    /// An object with arbitrary keys and values of one type.
    Map(Box<TypeRef>),
    /// Any JSON value: members whose shape the app-server owns and the handoff flow does not use.
    Any,
}

/// A string with a fixed set of values.
#[derive(Debug, Clone, PartialEq)]
pub struct StringEnumDef {
    pub values: Vec<EnumValue>,
    /// `Const` marks a one-value enum made from a `const` member: the tag of a union variant.
    pub origin: EnumOrigin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumOrigin {
    Enum,
    Const,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumValue {
    pub wire: String,
    /// Language-neutral name in snake_case.
    pub name: String,
}

/// A union of object types told apart by a string member (`type`).
#[derive(Debug, Clone, PartialEq)]
pub struct TaggedUnionDef {
    /// Wire name of the tag member.
    pub tag: String,
    pub variants: Vec<TaggedVariant>,
    /// The variant that takes every tag value not listed in `variants`, when the union is open.
    pub fallback: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaggedVariant {
    /// The tag value that selects this variant.
    pub tag_value: String,
    /// Language-neutral variant name in snake_case, from the tag value.
    pub name: String,
    /// The struct type that holds the variant's members (tag included).
    pub type_name: String,
}

/// A union told apart by the JSON kind of the value (string vs integer), tried in order.
#[derive(Debug, Clone, PartialEq)]
pub struct UntaggedUnionDef {
    pub variants: Vec<UntaggedVariant>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UntaggedVariant {
    /// Language-neutral variant name in snake_case.
    pub name: String,
    pub ty: TypeRef,
}

/// A primitive with constraints checked on decode.
#[derive(Debug, Clone, PartialEq)]
pub struct NewtypeDef {
    pub base: Primitive,
    pub constraints: Constraints,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Primitive {
    String,
    Integer,
}

/// Value constraints of a newtype. Lengths count Unicode scalar values, as JSON Schema does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraints {
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    /// An anchored regular expression in the common subset of ECMA-262, Rust `regex`, Swift and Kotlin.
    pub pattern: Option<String>,
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
    /// Values the string must not take: the tags of the other variants, for a union's fallback variant.
    pub excluded: Vec<String>,
}

/// Who sends a method and whether it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// Client → app-server request.
    ClientRequest,
    /// App-server → client request.
    ServerRequest,
    /// App-server → client notification.
    ServerNotification,
    /// Client → app-server notification.
    ClientNotification,
}

impl Direction {
    pub const ALL: [Direction; 4] = [
        Direction::ClientRequest,
        Direction::ServerRequest,
        Direction::ServerNotification,
        Direction::ClientNotification,
    ];

    /// The spelling used in the schema's `x-rpc` table.
    pub fn wire(self) -> &'static str {
        match self {
            Direction::ClientRequest => "client_request",
            Direction::ServerRequest => "server_request",
            Direction::ServerNotification => "server_notification",
            Direction::ClientNotification => "client_notification",
        }
    }

    pub fn from_wire(s: &str) -> Option<Direction> {
        Direction::ALL.into_iter().find(|d| d.wire() == s)
    }

    pub fn is_request(self) -> bool {
        matches!(self, Direction::ClientRequest | Direction::ServerRequest)
    }

    /// Who sends it and what it is, for doc comments in every language.
    pub fn describe(self) -> &'static str {
        match self {
            Direction::ClientRequest => "client → app-server request",
            Direction::ServerRequest => "app-server → client request",
            Direction::ServerNotification => "app-server → client notification",
            Direction::ClientNotification => "client → app-server notification",
        }
    }
}

/// One JSON-RPC method of the `x-rpc` table.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcMethod {
    /// Wire name, e.g. `thread/resume`.
    pub name: String,
    /// Language-neutral snake_case name, e.g. `thread_resume`; unique.
    pub ident: String,
    pub direction: Direction,
    /// Params type; `None` means the params are left open (any JSON).
    pub params: Option<String>,
    /// Result type of a request; `None` means open.
    pub result: Option<String>,
}

/// One function tool of the voice model.
#[derive(Debug, Clone, PartialEq)]
pub struct RealtimeTool {
    pub name: String,
    /// Other names recordings may show for the same tool (`background_agent`).
    pub aliases: Vec<String>,
    pub description: String,
    /// The struct type of its arguments.
    pub arguments: String,
}
