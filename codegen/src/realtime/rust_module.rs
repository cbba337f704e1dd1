//! The `realtime` module of the generated Rust crate: the tools JSON and instructions template as constants,
//! the server list renderer, and a parser of the model's function-call arguments.
//!
//! The parser works from a table of each tool's members (wire name, accepted aliases, presence, JSON kind,
//! constraint check) so every way the model can get a call wrong is its own error variant: serde's derive
//! would fold them into one message string, and would let one of two alias spellings win silently.

use handoff_schema::{Field, Ir, Primitive, RealtimeTool, TypeKind, TypeRef};
use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use super::{BACKEND, NO_SERVERS_LINE, SERVERS_SLOT, instructions_template, tools_json};
use crate::CodegenError;

/// The module's tokens; the Rust backend prints them as `src/realtime.rs`.
pub fn rust_module(ir: &Ir) -> Result<TokenStream, CodegenError> {
    let tools_json = tools_json(ir)?;
    let template = instructions_template(ir)?;
    let tools = ir.realtime_tools.iter().map(|tool| ToolTokens::new(ir, tool)).collect::<Result<Vec<_>, _>>()?;

    let name_consts = tools.iter().map(|t| {
        let (constant, name) = (&t.constant, &t.tool.name);
        let doc = format!(" `{name}`");
        quote!(#[doc = #doc] pub const #constant: &str = #name;)
    });
    let infos = tools.iter().map(|t| {
        let (constant, aliases, arguments, offered) =
            (&t.constant, &t.tool.aliases, &t.tool.arguments, t.tool.offered());
        quote!(ToolInfo { name: tool_names::#constant, aliases: &[#(#aliases),*], arguments: #arguments, offered: #offered },)
    });
    let variants = tools.iter().map(|t| {
        let (variant, ty) = (&t.variant, &t.arguments_type);
        let doc = format!(" A `{}` call.", t.tool.name);
        quote!(#[doc = #doc] #variant(crate::#ty),)
    });
    let name_arms = tools.iter().map(|t| {
        let (variant, constant) = (&t.variant, &t.constant);
        quote!(Self::#variant(_) => tool_names::#constant,)
    });
    let dispatch_arms = tools.iter().map(|t| {
        let (variant, parse_fn) = (&t.variant, &t.parse_fn);
        let names = std::iter::once(&t.tool.name).chain(&t.tool.aliases);
        quote!(#(#names)|* => #parse_fn(arguments).map(ToolCall::#variant),)
    });
    let known_names = ir.realtime_tools.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ");
    let unknown_tool = format!("unknown realtime tool `{{name}}`; the contract declares {known_names}");
    let parsers = tools.iter().map(|t| t.parser(ir)).collect::<Result<Vec<_>, _>>()?;
    // Only the kinds some member needs: a fixed set would leave unused variants, and generated code carries no
    // lint allowances.
    let used_kinds = used_json_kinds(ir, &tools)?;
    let kinds = JSON_KINDS.iter().filter(|kind| used_kinds.contains(kind.name)).collect::<Vec<_>>();
    let kind_variants = kinds.iter().map(|kind| Ident::new(kind.name, Span::call_site()));
    let kind_tests = kinds.iter().map(|kind| {
        let (variant, test) = (Ident::new(kind.name, Span::call_site()), kind.test());
        quote!(Self::#variant => #test,)
    });
    let kind_wording = kinds.iter().map(|kind| {
        let (variant, wording) = (Ident::new(kind.name, Span::call_site()), kind.expected);
        quote!(Self::#variant => #wording,)
    });

    Ok(quote! {
        //! The realtime voice model's side of the contract: the function tools to declare in `session.update`,
        //! the prompt guidance to send as its `instructions`, and a parser of the calls the model makes.

        use crate::ConstraintError;
        use ::serde_json::Value;

        /// The `tools` array of a realtime `session.update`, as JSON text (`generated/realtime/tools.json`).
        pub const TOOLS_JSON: &str = #tools_json;

        /// Prompt guidance for the voice model with [`SERVERS_SLOT`] where the connected servers go
        /// (`generated/realtime/instructions.md` without its header). Send [`render_instructions`], not this.
        pub const INSTRUCTIONS_TEMPLATE: &str = #template;

        /// The placeholder in [`INSTRUCTIONS_TEMPLATE`] that [`render_instructions`] replaces.
        pub const SERVERS_SLOT: &str = #SERVERS_SLOT;

        /// A connected Codex server, as the voice model should know it.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
        pub struct ServerInfo {
            /// The name the user says and the model passes as `server`.
            pub name: ::std::string::String,
            /// The server's id; listed when it differs from the name.
            pub id: ::std::string::String,
            /// True for the server this voice session runs on (what "local" means).
            pub is_local: bool,
        }

        impl ServerInfo {
            /// A server that is not the local one.
            pub fn new(name: impl ::std::convert::Into<::std::string::String>, id: impl ::std::convert::Into<::std::string::String>) -> Self {
                Self { name: name.into(), id: id.into(), is_local: false }
            }
        }

        /// [`INSTRUCTIONS_TEMPLATE`] with the slot replaced by one line per server: `- name (id: id, local)`,
        /// the id only when it differs from the name, `local` only for the local server. Whitespace runs in
        /// names and ids (line breaks included) become one space, so a server name cannot add lines to the prompt.
        pub fn render_instructions(servers: &[ServerInfo]) -> ::std::string::String {
            INSTRUCTIONS_TEMPLATE.replace(SERVERS_SLOT, &server_list(servers))
        }

        fn server_list(servers: &[ServerInfo]) -> ::std::string::String {
            if servers.is_empty() {
                return #NO_SERVERS_LINE.to_owned();
            }
            let lines: ::std::vec::Vec<::std::string::String> = servers
                .iter()
                .map(|server| {
                    let name = one_line(&server.name);
                    let id = one_line(&server.id);
                    let mut notes = ::std::vec::Vec::new();
                    if !id.is_empty() && id != name {
                        notes.push(format!("id: {id}"));
                    }
                    if server.is_local {
                        notes.push("local".to_owned());
                    }
                    if notes.is_empty() { format!("- {name}") } else { format!("- {name} ({})", notes.join(", ")) }
                })
                .collect();
            lines.join("\n")
        }

        fn one_line(text: &str) -> ::std::string::String {
            text.split_whitespace().collect::<::std::vec::Vec<_>>().join(" ")
        }

        /// The canonical name of each tool.
        pub mod tool_names {
            #(#name_consts)*
        }

        /// One realtime tool of the contract.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct ToolInfo {
            /// The name declared to the model.
            pub name: &'static str,
            /// Other names recordings show for the same tool; calls under them parse as this tool.
            pub aliases: &'static [&'static str],
            /// The type of its arguments.
            pub arguments: &'static str,
            /// Whether the client offers it to the model ([`TOOLS_JSON`], the guidance). `false` for a tool the
            /// app-server declares itself (`background_agent`): its calls parse, but a client must not declare it.
            pub offered: bool,
        }

        /// Every tool the parser recognises, in schema order; the offered ones in the order `TOOLS_JSON` declares them.
        pub static TOOLS: &[ToolInfo] = &[ #(#infos)* ];

        /// A parsed function call of the voice model.
        #[derive(Debug, Clone, PartialEq)]
        pub enum ToolCall { #(#variants)* }

        impl ToolCall {
            /// The canonical tool name (also for a call made under an alias).
            pub fn name(&self) -> &'static str {
                match self { #(#name_arms)* }
            }
        }

        /// Why the arguments of a function call are not a valid call of the tool. `tool` is the canonical name.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum ToolCallError {
            /// The call names a tool the contract does not declare.
            UnknownTool { name: ::std::string::String },
            /// The `arguments` string is not JSON.
            InvalidJson { tool: &'static str, message: ::std::string::String },
            /// The arguments are JSON but not an object.
            NotAnObject { tool: &'static str, found: &'static str },
            /// A member the tool does not have (the arguments are a closed object).
            UnknownMember { tool: &'static str, member: ::std::string::String },
            /// One member given twice: the same name repeated, or two of its spellings (`server` and `server_hint`).
            DuplicateMember { tool: &'static str, member: &'static str, spellings: [::std::string::String; 2] },
            /// A required member is absent.
            MissingMember { tool: &'static str, member: &'static str },
            /// A member has the wrong JSON type.
            WrongType { tool: &'static str, member: &'static str, expected: &'static str, found: &'static str },
            /// A member has the right type but breaks its constraints (a `thread_id` with a slash, a limit of 0).
            InvalidValue { tool: &'static str, member: &'static str, error: ConstraintError },
            /// The members passed every check above but the arguments type still rejected them (a nested value).
            Decode { tool: &'static str, message: ::std::string::String },
        }

        impl ::std::fmt::Display for ToolCallError {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self {
                    Self::UnknownTool { name } => write!(f, #unknown_tool),
                    Self::InvalidJson { tool, message } => write!(f, "`{tool}` arguments are not valid JSON: {message}"),
                    Self::NotAnObject { tool, found } => write!(f, "`{tool}` arguments must be a JSON object, found {found}"),
                    Self::UnknownMember { tool, member } => write!(f, "`{tool}` arguments: unknown member `{member}`"),
                    Self::DuplicateMember { tool, member, spellings: [first, second] } if first == second => {
                        write!(f, "`{tool}` arguments: member `{member}` is given twice")
                    }
                    Self::DuplicateMember { tool, member, spellings: [first, second] } => {
                        write!(f, "`{tool}` arguments: member `{member}` is given twice, as `{first}` and as `{second}`")
                    }
                    Self::MissingMember { tool, member } => write!(f, "`{tool}` arguments: missing required member `{member}`"),
                    Self::WrongType { tool, member, expected, found } => {
                        write!(f, "`{tool}` arguments: member `{member}` must be {expected}, found {found}")
                    }
                    Self::InvalidValue { tool, member, error } => write!(f, "`{tool}` arguments: member `{member}`: {error}"),
                    Self::Decode { tool, message } => write!(f, "`{tool}` arguments: {message}"),
                }
            }
        }

        impl ToolCallError {
            /// A stable snake_case name of the variant, for reports and fixtures.
            pub fn kind(&self) -> &'static str {
                match self {
                    Self::UnknownTool { .. } => "unknown_tool",
                    Self::InvalidJson { .. } => "invalid_json",
                    Self::NotAnObject { .. } => "not_an_object",
                    Self::UnknownMember { .. } => "unknown_member",
                    Self::DuplicateMember { .. } => "duplicate_member",
                    Self::MissingMember { .. } => "missing_member",
                    Self::WrongType { .. } => "wrong_type",
                    Self::InvalidValue { .. } => "invalid_value",
                    Self::Decode { .. } => "decode",
                }
            }
        }

        impl ::std::error::Error for ToolCallError {}

        /// Parses a `function_call` item of the voice model: its `name` (a tool, offered or declared by the
        /// app-server such as `background_agent`, or one of a tool's aliases) and its `arguments` JSON string.
        pub fn parse_tool_call(name: &str, arguments: &str) -> ::std::result::Result<ToolCall, ToolCallError> {
            match name {
                #(#dispatch_arms)*
                other => Err(ToolCallError::UnknownTool { name: other.to_owned() }),
            }
        }

        #(#parsers)*

        /// The JSON type a member must have: the kinds the tools' members use.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum JsonKind { #(#kind_variants),* }

        impl JsonKind {
            fn matches(self, value: &Value) -> bool {
                match self { #(#kind_tests)* }
            }

            fn expected(self) -> &'static str {
                match self { #(#kind_wording)* }
            }
        }

        fn found(value: &Value) -> &'static str {
            match value {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(n) if n.is_i64() => "an integer",
                Value::Number(n) if n.is_u64() => "an integer beyond the 64-bit signed range",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                Value::Array(_) => "an array",
                Value::Object(_) => "an object",
            }
        }

        /// Checks a value of the right JSON kind against its type's constraints.
        type ConstraintCheck = fn(&Value) -> ::std::result::Result<(), ConstraintError>;

        /// One member of a tool's arguments.
        struct Member {
            wire: &'static str,
            aliases: &'static [&'static str],
            required: bool,
            nullable: bool,
            kind: JsonKind,
            /// The member type's constraints, for values of the right JSON kind.
            check: ::std::option::Option<ConstraintCheck>,
        }

        /// The arguments object with its members in order and repeats kept (a `Value` would keep the last).
        struct Members(::std::vec::Vec<(::std::string::String, Value)>);

        impl<'de> ::serde::Deserialize<'de> for Members {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct Visitor;
                impl<'de> ::serde::de::Visitor<'de> for Visitor {
                    type Value = Members;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a JSON object")
                    }
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> ::std::result::Result<Members, A::Error> {
                        let mut members = ::std::vec::Vec::new();
                        while let ::std::option::Option::Some(entry) = map.next_entry::<::std::string::String, Value>()? {
                            members.push(entry);
                        }
                        Ok(Members(members))
                    }
                }
                deserializer.deserialize_map(Visitor)
            }
        }

        /// Checks the arguments against the member table, renames alias spellings to the wire name, then decodes.
        fn parse_arguments<T: ::serde::de::DeserializeOwned>(
            tool: &'static str,
            table: &[Member],
            arguments: &str,
        ) -> ::std::result::Result<T, ToolCallError> {
            let value: Value = ::serde_json::from_str(arguments)
                .map_err(|e| ToolCallError::InvalidJson { tool, message: e.to_string() })?;
            if !value.is_object() {
                return Err(ToolCallError::NotAnObject { tool, found: found(&value) });
            }
            let Members(members) = ::serde_json::from_str(arguments)
                .map_err(|e| ToolCallError::InvalidJson { tool, message: e.to_string() })?;
            let mut seen: ::std::vec::Vec<::std::option::Option<::std::string::String>> = vec![None; table.len()];
            let mut object = ::serde_json::Map::new();
            for (key, value) in members {
                let Some(index) = table.iter().position(|m| m.wire == key || m.aliases.contains(&key.as_str())) else {
                    return Err(ToolCallError::UnknownMember { tool, member: key });
                };
                let member = &table[index];
                if let Some(first) = &seen[index] {
                    return Err(ToolCallError::DuplicateMember { tool, member: member.wire, spellings: [first.clone(), key] });
                }
                if !(value.is_null() && member.nullable) {
                    if !member.kind.matches(&value) {
                        return Err(ToolCallError::WrongType { tool, member: member.wire, expected: member.kind.expected(), found: found(&value) });
                    }
                    if let Some(check) = member.check {
                        check(&value).map_err(|error| ToolCallError::InvalidValue { tool, member: member.wire, error })?;
                    }
                }
                seen[index] = Some(key);
                object.insert(member.wire.to_owned(), value);
            }
            if let Some(missing) = table.iter().zip(&seen).find(|(m, s)| m.required && s.is_none()) {
                return Err(ToolCallError::MissingMember { tool, member: missing.0.wire });
            }
            ::serde_json::from_value(Value::Object(object)).map_err(|e| ToolCallError::Decode { tool, message: e.to_string() })
        }
    })
}

/// Names and types the generated items of one tool use.
struct ToolTokens<'a> {
    tool: &'a RealtimeTool,
    /// `CODEX` in `tool_names`.
    constant: Ident,
    /// `Codex` in `ToolCall`.
    variant: Ident,
    /// `parse_codex_arguments`.
    parse_fn: Ident,
    arguments_type: Ident,
}

impl<'a> ToolTokens<'a> {
    fn new(ir: &Ir, tool: &'a RealtimeTool) -> Result<Self, CodegenError> {
        let snake = tool.name.to_snake_case();
        if snake != tool.name || syn::parse_str::<Ident>(&snake).is_err() || tool.arguments.is_empty() {
            return Err(unsupported(
                &tool.name,
                "/x-realtime-tools",
                "realtime tool names must be snake_case identifiers (they become Rust function names)",
            ));
        }
        if !ir.types.contains_key(&tool.arguments) {
            return Err(unsupported(&tool.arguments, "/x-realtime-tools", "arguments type is not defined"));
        }
        Ok(ToolTokens {
            tool,
            constant: format_ident!("{}", tool.name.to_shouty_snake_case()),
            variant: format_ident!("{}", tool.name.to_upper_camel_case()),
            parse_fn: format_ident!("parse_{}_arguments", snake),
            arguments_type: Ident::new(&tool.arguments, Span::call_site()),
        })
    }

    /// `parse_<tool>_arguments` and the member table it checks against.
    fn parser(&self, ir: &Ir) -> Result<TokenStream, CodegenError> {
        let def = ir.type_def(&self.tool.arguments);
        let TypeKind::Struct(s) = &def.kind else {
            return Err(unsupported(
                &def.name,
                &def.pointer,
                "the arguments of a realtime tool must be an object type",
            ));
        };
        let members = s.fields.iter().map(|f| member_tokens(ir, f)).collect::<Result<Vec<_>, _>>()?;
        let (parse_fn, ty, constant) = (&self.parse_fn, &self.arguments_type, &self.constant);
        let table = format_ident!("{}_MEMBERS", self.constant);
        let aliases = if self.tool.aliases.is_empty() {
            String::new()
        } else {
            format!(" Also called `{}`.", self.tool.aliases.join("`, `"))
        };
        let declared = if self.tool.offered() {
            ""
        } else {
            " The app-server declares this tool to the model itself; it is not in `TOOLS_JSON`."
        };
        let doc = format!(" Parses the `arguments` string of a `{}` call.{aliases}{declared}", self.tool.name);
        Ok(quote! {
            static #table: &[Member] = &[ #(#members)* ];

            #[doc = #doc]
            pub fn #parse_fn(arguments: &str) -> ::std::result::Result<crate::#ty, ToolCallError> {
                parse_arguments(tool_names::#constant, #table, arguments)
            }
        })
    }
}

/// A JSON kind a tool member can require: its variant name in the generated `JsonKind`, the `serde_json::Value`
/// predicate that tests it (none: any value), and how a wrong value is told what was expected.
struct JsonKindSpec {
    name: &'static str,
    predicate: Option<&'static str>,
    expected: &'static str,
}

const JSON_KINDS: [JsonKindSpec; 7] = [
    JsonKindSpec { name: "String", predicate: Some("is_string"), expected: "a string" },
    JsonKindSpec { name: "Integer", predicate: Some("is_i64"), expected: "an integer" },
    JsonKindSpec { name: "Number", predicate: Some("is_number"), expected: "a number" },
    JsonKindSpec { name: "Boolean", predicate: Some("is_boolean"), expected: "a boolean" },
    JsonKindSpec { name: "Array", predicate: Some("is_array"), expected: "an array" },
    JsonKindSpec { name: "Object", predicate: Some("is_object"), expected: "an object" },
    JsonKindSpec { name: "Any", predicate: None, expected: "any JSON value" },
];

impl JsonKindSpec {
    /// The test of a `value: &Value` for this kind.
    fn test(&self) -> TokenStream {
        match self.predicate {
            Some(predicate) => {
                let predicate = Ident::new(predicate, Span::call_site());
                quote!(value.#predicate())
            }
            None => quote!(true),
        }
    }
}

/// The names of the JSON kinds the tools' members need (a tool whose arguments are not an object is refused by
/// its parser).
fn used_json_kinds(ir: &Ir, tools: &[ToolTokens<'_>]) -> Result<std::collections::BTreeSet<String>, CodegenError> {
    let mut used = std::collections::BTreeSet::new();
    for tool in tools {
        if let TypeKind::Struct(s) = &ir.type_def(&tool.tool.arguments).kind {
            for field in &s.fields {
                used.insert(kind_tokens(ir, field, &field.ty)?.0.to_string());
            }
        }
    }
    Ok(used)
}

fn member_tokens(ir: &Ir, field: &Field) -> Result<TokenStream, CodegenError> {
    let wire = &field.wire_name;
    let aliases = &field.aliases;
    let required = field.presence.is_required();
    let nullable = field.presence.is_nullable();
    let (kind, check) = kind_tokens(ir, field, &field.ty)?;
    let check = match check {
        Some(check) => quote!(::std::option::Option::Some(#check)),
        None => quote!(::std::option::Option::None),
    };
    Ok(quote! {
        Member { wire: #wire, aliases: &[#(#aliases),*], required: #required, nullable: #nullable, kind: JsonKind::#kind, check: #check },
    })
}

/// The JSON kind a member's type needs, and the check of its named type's constraints, if any.
fn kind_tokens(ir: &Ir, field: &Field, ty: &TypeRef) -> Result<(Ident, Option<TokenStream>), CodegenError> {
    let kind = |name: &str| Ident::new(name, Span::call_site());
    Ok(match ty {
        TypeRef::String => (kind("String"), None),
        TypeRef::Integer => (kind("Integer"), None),
        TypeRef::Number => (kind("Number"), None),
        TypeRef::Boolean => (kind("Boolean"), None),
        TypeRef::Array(_) => (kind("Array"), None),
        TypeRef::Map(_) => (kind("Object"), None),
        TypeRef::Any => (kind("Any"), None),
        TypeRef::Named(name) => {
            let Some(def) = ir.types.get(name) else {
                return Err(unsupported(name, &field.pointer, "member type is not defined"));
            };
            let ident = Ident::new(name, Span::call_site());
            match &def.kind {
                // The generated newtype's own constructor is the check, so the two cannot disagree.
                TypeKind::Newtype(n) => match n.base {
                    Primitive::String => (
                        kind("String"),
                        Some(quote!(|value| crate::#ident::new(value.as_str().unwrap_or_default()).map(|_| ()))),
                    ),
                    Primitive::Integer => (
                        kind("Integer"),
                        Some(quote!(|value| crate::#ident::new(value.as_i64().unwrap_or_default()).map(|_| ()))),
                    ),
                },
                TypeKind::StringEnum(e) => {
                    let values: Vec<&str> = e.values.iter().map(|v| v.wire.as_str()).collect();
                    let reason = format!("must be one of {}", values.join(", "));
                    let check = quote!(|value| {
                        let text = value.as_str().unwrap_or_default();
                        if [#(#values),*].contains(&text) {
                            Ok(())
                        } else {
                            Err(ConstraintError { type_name: #name, value: text.to_owned(), reason: #reason.to_owned() })
                        }
                    });
                    (kind("String"), Some(check))
                }
                TypeKind::Alias(inner) => kind_tokens(ir, field, inner)?,
                TypeKind::Struct(_) => (kind("Object"), None),
                TypeKind::TaggedUnion(_) | TypeKind::UntaggedUnion(_) => (kind("Any"), None),
            }
        }
    })
}

fn unsupported(type_name: &str, pointer: &str, reason: &str) -> CodegenError {
    CodegenError::Unsupported {
        backend: BACKEND,
        type_name: type_name.to_owned(),
        pointer: pointer.to_owned(),
        reason: reason.to_owned(),
    }
}
