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

    /// The tools the contract offers to the voice model ([`RealtimeTool::offered`]), in schema order.
    pub fn offered_tools(&self) -> impl Iterator<Item = &RealtimeTool> {
        self.realtime_tools.iter().filter(|t| t.offered())
    }

    /// The area of every type, by type name (each def's [`TypeDef::group`]).
    pub fn groups(&self) -> BTreeMap<String, Group> {
        self.types.values().map(|def| (def.name.clone(), def.group)).collect()
    }

    /// The types of one area, in name order.
    pub fn types_in(&self, group: Group) -> impl Iterator<Item = &TypeDef> {
        self.types.values().filter(move |def| def.group == group)
    }

    /// The directions every def travels in, seen from the client: the method table's params and results and the
    /// realtime tools' arguments, followed through type references. Defs nothing reaches are absent.
    pub fn usage(&self) -> BTreeMap<String, Usage> {
        let mut usage: BTreeMap<String, Usage> = BTreeMap::new();
        let mut roots: Vec<(&str, Usage)> = Vec::new();
        for method in &self.methods {
            if let Some(params) = &method.params {
                roots.push((params, Usage::of_params(method.direction)));
            }
            if let Some(result) = &method.result {
                roots.push((result, Usage::of_result(method.direction)));
            }
        }
        for tool in &self.realtime_tools {
            // Written by the voice model, decoded by the client.
            roots.push((&tool.arguments, Usage::DECODED));
        }
        for (root, direction) in roots {
            let mut stack = vec![root];
            while let Some(name) = stack.pop() {
                let entry = usage.entry(name.to_owned()).or_default();
                let merged = entry.or(direction);
                // Already marked with this direction: its references are marked too (this also ends cycles).
                if merged == *entry && *entry != Usage::default() {
                    continue;
                }
                *entry = merged;
                if let Some(def) = self.types.get(name) {
                    stack.extend(def.kind.references());
                }
            }
        }
        usage
    }
}

/// The directions messages holding a def travel in, seen from the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// The client decodes it: responses to client requests, server notifications, server requests' params, realtime
    /// items, and tool arguments (written by the model, decoded by the client).
    pub decoded: bool,
    /// The client encodes it and the app-server decodes it: client requests' params, client notifications,
    /// results of server requests.
    pub encoded: bool,
}

impl Usage {
    pub const DECODED: Usage = Usage { decoded: true, encoded: false };
    pub const ENCODED: Usage = Usage { decoded: false, encoded: true };

    pub fn or(self, other: Usage) -> Usage {
        Usage { decoded: self.decoded || other.decoded, encoded: self.encoded || other.encoded }
    }

    /// Human words for the usage, e.g. "decoded by the client".
    pub fn describe(self) -> &'static str {
        match (self.decoded, self.encoded) {
            (true, true) => "decoded and encoded by the client",
            (true, false) => "decoded by the client",
            (false, true) => "encoded by the client",
            (false, false) => "used by no method or tool",
        }
    }

    /// The usage of a method's params: the client encodes what it sends and decodes what it receives.
    pub fn of_params(direction: Direction) -> Usage {
        match direction.sender() {
            Peer::Client => Usage::ENCODED,
            Peer::AppServer => Usage::DECODED,
        }
    }

    /// The usage of a request's result: it travels the other way from the params.
    pub fn of_result(direction: Direction) -> Usage {
        match direction.sender() {
            Peer::Client => Usage::DECODED,
            Peer::AppServer => Usage::ENCODED,
        }
    }
}

/// The protocol area a type belongs to: one source file per area in every language, so the handoff item sits next
/// to the realtime messages and the tool arguments together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    ToolArguments,
    HandoffItems,
    ThreadsAndTurns,
    DynamicTools,
    JsonRpc,
    Common,
}

impl Group {
    /// In the order files are written.
    pub const ALL: [Group; 6] = [
        Group::ToolArguments,
        Group::HandoffItems,
        Group::ThreadsAndTurns,
        Group::DynamicTools,
        Group::JsonRpc,
        Group::Common,
    ];

    /// The file stem in UpperCamelCase (`ToolArguments`); each backend recases it for its conventions.
    pub fn stem(self) -> &'static str {
        match self {
            Group::ToolArguments => "ToolArguments",
            Group::HandoffItems => "HandoffItems",
            Group::ThreadsAndTurns => "ThreadsAndTurns",
            Group::DynamicTools => "DynamicTools",
            Group::JsonRpc => "JsonRpc",
            Group::Common => "CommonTypes",
        }
    }

    /// What the area's file holds, for its opening comment.
    pub fn summary(self) -> &'static str {
        match self {
            Group::ToolArguments => {
                "Arguments of the realtime voice model's function tools (`codex`, `list_sessions`, ...)."
            }
            Group::HandoffItems => {
                "Realtime conversation items (the `handoff_request` item) and the `thread/realtime/*` messages that carry a handoff."
            }
            Group::ThreadsAndTurns => {
                "Threads, turns and the app-server requests and notifications that create and run them."
            }
            Group::DynamicTools => "Dynamic tools: the client-side tool calls the app-server sends and their answers.",
            Group::JsonRpc => "The JSON-RPC envelope of the app-server connection (no `jsonrpc` member on this wire).",
            Group::Common => "Types several areas of the protocol share, such as `ThreadId`.",
        }
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
    /// The protocol area (source file) the type is written to in every language.
    pub group: Group,
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

impl TypeKind {
    /// Every type name the definition refers to directly, in declaration order (repeats kept): member types,
    /// union variants and fallback, alias targets.
    pub fn references(&self) -> Vec<&str> {
        let mut refs = Vec::new();
        match self {
            TypeKind::Struct(s) => s.fields.iter().for_each(|f| f.ty.collect_named(&mut refs)),
            TypeKind::TaggedUnion(u) => {
                refs.extend(u.variants.iter().map(|v| v.type_name.as_str()));
                refs.extend(u.fallback.as_deref());
            }
            TypeKind::UntaggedUnion(u) => u.variants.iter().for_each(|v| v.ty.collect_named(&mut refs)),
            TypeKind::Alias(ty) => ty.collect_named(&mut refs),
            TypeKind::StringEnum(_) | TypeKind::Newtype(_) => {}
        }
        refs
    }
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

impl TypeRef {
    /// The named types inside this reference (through arrays and maps), appended to `out`.
    pub fn collect_named<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            TypeRef::Named(name) => out.push(name),
            TypeRef::Array(item) | TypeRef::Map(item) => item.collect_named(out),
            TypeRef::String | TypeRef::Integer | TypeRef::Number | TypeRef::Boolean | TypeRef::Any => {}
        }
    }
}

/// A string with a fixed set of values.
#[derive(Debug, Clone, PartialEq)]
pub struct StringEnumDef {
    pub values: Vec<EnumValue>,
    /// `Const` marks a one-value enum made from a `const` member: the tag of a union variant.
    pub origin: EnumOrigin,
    /// What a decoder does with a value the enum does not list. Every backend renders this one field.
    pub openness: Openness,
}

/// What decoders do with a string enum value or union tag the contract does not list.
///
/// The policy, decided at lowering: what the client decodes from the app-server (or the voice model) is open, so a
/// newer server's value never breaks an older app; what the client writes stays closed, so it cannot send a value
/// the contract does not have; a def marked `"x-closed": true` in the schema is closed either way. Union tags
/// (`const` enums) are always closed: the union's fallback variant is what takes other tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Openness {
    /// Unlisted values are decode errors.
    Closed,
    /// Unlisted values decode into the [`UNKNOWN_CASE`] case (enums) or the fallback variant (tagged unions),
    /// and are written back unchanged.
    Open,
}

impl Openness {
    pub fn is_open(self) -> bool {
        self == Openness::Open
    }
}

/// Language-neutral name (snake_case) of the case that keeps unlisted values of open enums and tagged unions;
/// backends recase it (`Unknown` in Rust and Kotlin, `unknown` in Swift). Lowering rejects a listed value or tag
/// whose name in code would be the same.
pub const UNKNOWN_CASE: &str = "unknown";

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
    /// The variant that takes every tag value not listed in `variants`: present exactly when the union is open
    /// ([`TaggedUnionDef::openness`]); backends name its case [`UNKNOWN_CASE`].
    pub fallback: Option<String>,
}

impl TaggedUnionDef {
    /// Open when the schema gives a fallback branch; lowering requires one on every union the client decodes
    /// unless the schema closes it (`"x-closed": true`).
    pub fn openness(&self) -> Openness {
        if self.fallback.is_some() { Openness::Open } else { Openness::Closed }
    }
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

    /// The side that sends messages of this direction (requests' params, notifications).
    pub fn sender(self) -> Peer {
        match self {
            Direction::ClientRequest | Direction::ClientNotification => Peer::Client,
            Direction::ServerRequest | Direction::ServerNotification => Peer::AppServer,
        }
    }

    /// The direction of a request or notification `sender` sends.
    pub fn of(sender: Peer, request: bool) -> Direction {
        match (sender, request) {
            (Peer::Client, true) => Direction::ClientRequest,
            (Peer::Client, false) => Direction::ClientNotification,
            (Peer::AppServer, true) => Direction::ServerRequest,
            (Peer::AppServer, false) => Direction::ServerNotification,
        }
    }

    /// Who sends it and what it is, for doc comments in every language: "client → app-server request".
    pub fn describe(self) -> &'static str {
        match self {
            Direction::ClientRequest => "client → app-server request",
            Direction::ServerRequest => "app-server → client request",
            Direction::ServerNotification => "app-server → client notification",
            Direction::ClientNotification => "client → app-server notification",
        }
    }

    /// [`describe`](Self::describe) with its article, for sentences: "an app-server → client request".
    pub fn describe_with_article(self) -> &'static str {
        match self {
            Direction::ClientRequest => "a client → app-server request",
            Direction::ServerRequest => "an app-server → client request",
            Direction::ServerNotification => "an app-server → client notification",
            Direction::ClientNotification => "a client → app-server notification",
        }
    }
}

/// One end of the app-server connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Peer {
    Client,
    AppServer,
}

impl Peer {
    /// Its name in messages: `client`, `app-server`.
    pub fn name(self) -> &'static str {
        match self {
            Peer::Client => "client",
            Peer::AppServer => "app-server",
        }
    }

    /// The other end.
    pub fn other(self) -> Peer {
        match self {
            Peer::Client => Peer::AppServer,
            Peer::AppServer => Peer::Client,
        }
    }

    /// The path of a message this side sends: "client → app-server".
    pub fn route(self) -> &'static str {
        match self {
            Peer::Client => "client → app-server",
            Peer::AppServer => "app-server → client",
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
    /// Other names recordings may show for the same tool; calls under them are calls of this tool.
    pub aliases: Vec<String>,
    pub description: String,
    /// The struct type of its arguments.
    pub arguments: String,
    /// Who declares it to the voice model (the entry's `declared_by`).
    pub declared_by: ToolDeclarer,
}

impl RealtimeTool {
    /// Whether the contract offers it to the voice model: in `tools.json` and the prompt guidance. A tool the
    /// app-server declares itself is only recognised (parsers, validator), never offered.
    pub fn offered(&self) -> bool {
        self.declared_by == ToolDeclarer::Client
    }
}

/// Who declares a realtime tool to the voice model: `declared_by` of an `x-realtime-tools` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ToolDeclarer {
    /// The client app, in the `session.update` it sends (`tools.json`) and the guidance: the default.
    #[default]
    Client,
    /// The app-server, on its own (the stock server's `background_agent`). The contract describes the tool so
    /// its calls in recordings are recognised and checked; a client that declared it too would offer it twice.
    AppServer,
}

impl ToolDeclarer {
    pub const ALL: [ToolDeclarer; 2] = [ToolDeclarer::Client, ToolDeclarer::AppServer];

    /// The value of `declared_by` in the schema.
    pub fn wire(self) -> &'static str {
        match self {
            ToolDeclarer::Client => "client",
            ToolDeclarer::AppServer => "app-server",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_wording_follows_its_sender() {
        for direction in Direction::ALL {
            let kind = if direction.is_request() { "request" } else { "notification" };
            assert_eq!(direction.describe(), format!("{} {kind}", direction.sender().route()));
            assert!(direction.describe_with_article().ends_with(direction.describe()));
            assert_eq!(Direction::of(direction.sender(), direction.is_request()), direction);
        }
        assert_eq!(Direction::ServerRequest.describe_with_article(), "an app-server → client request");
        assert_eq!(Peer::Client.other(), Peer::AppServer);
    }

    #[test]
    fn usage_follows_the_sender() {
        assert_eq!(Usage::of_params(Direction::ClientRequest), Usage::ENCODED);
        assert_eq!(Usage::of_result(Direction::ClientRequest), Usage::DECODED);
        assert_eq!(Usage::of_params(Direction::ServerNotification), Usage::DECODED);
        assert_eq!(Usage::of_result(Direction::ServerRequest), Usage::ENCODED);
    }
}
