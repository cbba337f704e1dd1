//! IR → the `codex-handoff-contract` crate under `generated/rust`: serde + schemars types, constraint-checked
//! newtypes, a typed JSON-RPC method table and a registry of every type. Tokens are built with `quote` and
//! printed with `prettyplease`, so the output is formatted without a rustfmt binary.

use handoff_schema::{
    Direction, EnumOrigin, Field, Ir, NewtypeDef, Presence, Primitive, StringEnumDef, StructDef, TaggedUnionDef,
    TypeDef, TypeKind, TypeRef, UNKNOWN_CASE, UntaggedUnionDef,
};
use heck::{ToShoutySnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::{CodegenError, Output, header};

const BACKEND: &str = "rust";
pub const ROOT: &str = "generated/rust";
pub const CRATE_NAME: &str = "codex-handoff-contract";
/// Name of the member that keeps unknown members of open objects.
const EXTRA_FIELD: &str = "extra";

pub fn generate(ir: &Ir) -> Result<Output, CodegenError> {
    let mut output = Output::new(ROOT);
    output.add("Cargo.toml", cargo_toml(ir));
    output.add("src/lib.rs", render(lib_rs(ir))?);
    output.add("src/types.rs", render(types_rs(ir)?)?);
    output.add("src/methods.rs", render(methods_rs(ir))?);
    output.add("src/realtime.rs", render(crate::realtime::rust_module(ir)?)?);
    output.add("src/registry.rs", render(registry_rs(ir))?);
    output.add("src/support.rs", render(support_rs(ir))?);
    Ok(output)
}

fn render(tokens: TokenStream) -> Result<String, CodegenError> {
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| CodegenError::Render { backend: BACKEND, reason: e.to_string() })?;
    Ok(format!("{}\n{}", header("//"), space_items(&prettyplease::unparse(&file))))
}

/// prettyplease puts top-level items on consecutive lines; a blank line after each closing brace or
/// top-level statement makes the output read like hand-formatted Rust.
fn space_items(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + source.len() / 16);
    let mut lines = source.lines().peekable();
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let ends_item =
            line == "}" || line == "];" || (!line.starts_with(' ') && !line.starts_with("//") && line.ends_with(';'));
        if ends_item && lines.peek().is_some_and(|next| !next.is_empty() && *next != "}") {
            out.push('\n');
        }
    }
    out
}

fn cargo_toml(ir: &Ir) -> String {
    // Self-contained (no workspace inheritance) so an app can depend on this directory alone.
    format!(
        r#"{header}
[package]
name = "{CRATE_NAME}"
version = "{version}"
edition = "2021"
rust-version = "1.80"
description = "Generated Rust types of the Codex realtime handoff contract."
license = "Apache-2.0"
publish = false

[lib]
path = "src/lib.rs"

[dependencies]
regex = {{ version = "1", default-features = false, features = ["std", "perf"] }}
schemars = {{ version = "1", default-features = false, features = ["derive", "std"] }}
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"
"#,
        header = header("#"),
        version = ir.version,
    )
}

fn lib_rs(ir: &Ir) -> TokenStream {
    let title = inner_doc_lines(&format!(
        "{}\n\n{}\n\nContract version {}. Every type derives `serde` and `schemars::JsonSchema` and uses the exact \
         wire names; open objects keep unknown members in `extra`, closed ones reject them.",
        ir.title, ir.description, ir.version
    ));
    // `rustfmt::skip` on each module: these files are formatted by prettyplease, and the workspace's
    // `cargo fmt --check` must not fight the generator over them.
    quote! {
        #title

        #[rustfmt::skip]
        pub mod methods;
        #[rustfmt::skip]
        pub mod realtime;
        #[rustfmt::skip]
        pub mod registry;
        #[rustfmt::skip]
        mod support;
        #[rustfmt::skip]
        mod types;

        pub use support::*;
        pub use types::*;
    }
}

fn support_rs(ir: &Ir) -> TokenStream {
    let version = &ir.version;
    quote! {
        //! Items the generated types share.

        /// Version of the contract schema these types were generated from (`x-version`).
        pub const CONTRACT_VERSION: &str = #version;

        /// A value broke a constraint of its schema type (pattern, length, range, excluded value).
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct ConstraintError {
            /// The schema type whose constraint failed.
            pub type_name: &'static str,
            /// The offending value, as text.
            pub value: String,
            /// What the value must be.
            pub reason: String,
        }

        impl ::std::fmt::Display for ConstraintError {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "invalid {} {:?}: {}", self.type_name, self.value, self.reason)
            }
        }

        impl ::std::error::Error for ConstraintError {}

        /// Serde helpers the generated types refer to.
        #[doc(hidden)]
        pub mod __private {
            /// Deserializes a member that may be absent but not null: `null` is an error, as in the schema.
            pub fn non_null<'de, D, T>(deserializer: D) -> ::std::result::Result<::std::option::Option<T>, D::Error>
            where
                D: ::serde::Deserializer<'de>,
                T: ::serde::Deserialize<'de>,
            {
                T::deserialize(deserializer).map(::std::option::Option::Some)
            }

            /// A struct decoded from the members of a JSON object (never from an array).
            pub trait DeserializeObject<'de>: Sized {
                fn deserialize_members<M: ::serde::de::MapAccess<'de>>(map: M) -> ::std::result::Result<Self, M::Error>;
            }

            /// Decodes `T` from a JSON object only.
            pub fn deserialize_object<'de, D, T>(deserializer: D) -> ::std::result::Result<T, D::Error>
            where
                D: ::serde::Deserializer<'de>,
                T: DeserializeObject<'de>,
            {
                struct ObjectVisitor<T>(::std::marker::PhantomData<T>);

                impl<'de, T: DeserializeObject<'de>> ::serde::de::Visitor<'de> for ObjectVisitor<T> {
                    type Value = T;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a JSON object")
                    }

                    fn visit_map<M: ::serde::de::MapAccess<'de>>(self, map: M) -> ::std::result::Result<T, M::Error> {
                        T::deserialize_members(map)
                    }
                }

                deserializer.deserialize_map(ObjectVisitor(::std::marker::PhantomData))
            }
        }
    }
}

fn types_rs(ir: &Ir) -> Result<TokenStream, CodegenError> {
    let mut items = Vec::new();
    for def in ir.types.values() {
        let tokens = match &def.kind {
            TypeKind::Struct(s) => struct_tokens(ir, def, s)?,
            TypeKind::StringEnum(e) => enum_tokens(def, e),
            TypeKind::TaggedUnion(u) => tagged_union_tokens(ir, def, u)?,
            TypeKind::UntaggedUnion(u) => untagged_union_tokens(ir, def, u),
            TypeKind::Newtype(n) => newtype_tokens(def, n),
            TypeKind::Alias(ty) => {
                let doc = type_doc(def);
                let name = type_ident(&def.name);
                let ty = rust_type(ty);
                quote! { #doc pub type #name = #ty; }
            }
        };
        items.push(tokens);
    }
    Ok(quote! {
        //! The contract's types, one per schema def.
        use crate::ConstraintError;
        #(#items)*
    })
}

fn struct_tokens(ir: &Ir, def: &TypeDef, s: &StructDef) -> Result<TokenStream, CodegenError> {
    let doc = type_doc(def);
    let name = type_ident(&def.name);
    let derives = derives(ir, &TypeRef::Named(def.name.clone()), &[]);
    let deny = s.closed.then(|| quote!(#[serde(deny_unknown_fields)]));
    // `remote = "Self"` turns the derives into inherent functions that the trait impls below wrap: serde's
    // derived structs also accept a JSON array (fields by position), which the schema does not allow.
    let container_attrs = quote!(#[serde(remote = "Self")] #deny);
    let mut fields = Vec::new();
    for field in &s.fields {
        if field.name == EXTRA_FIELD && !s.closed {
            return Err(CodegenError::Unsupported {
                backend: BACKEND,
                type_name: def.name.clone(),
                pointer: field.pointer.clone(),
                reason: format!("member name `{EXTRA_FIELD}` is reserved for the unknown members of open objects"),
            });
        }
        fields.push(field_tokens(field));
    }
    let extra = (!s.closed).then(|| {
        quote! {
            /// Members this contract version does not model, kept so a round trip loses nothing.
            #[serde(flatten)]
            pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
        }
    });
    let constructor = constructor_tokens(ir, &name, s);
    Ok(quote! {
        #doc
        #derives
        #container_attrs
        pub struct #name {
            #(#fields)*
            #extra
        }

        #constructor

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                #name::serialize(self, serializer)
            }
        }

        impl<'de> crate::__private::DeserializeObject<'de> for #name {
            fn deserialize_members<M: ::serde::de::MapAccess<'de>>(map: M) -> ::std::result::Result<Self, M::Error> {
                #name::deserialize(::serde::de::value::MapAccessDeserializer::new(map))
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                crate::__private::deserialize_object(deserializer)
            }
        }
    })
}

/// `new(required members…)`: optional members start absent, `extra` empty, tags at their one value.
fn constructor_tokens(ir: &Ir, name: &Ident, s: &StructDef) -> TokenStream {
    let required: Vec<&Field> = s.fields.iter().filter(|f| f.presence == Presence::Required).collect();
    let params = required.iter().filter(|f| !is_tag_field(ir, f)).map(|f| {
        let ident = field_ident(&f.name);
        let ty = rust_type(&f.ty);
        quote!(#ident: #ty)
    });
    let inits = s.fields.iter().map(|f| {
        let ident = field_ident(&f.name);
        if is_tag_field(ir, f) {
            quote!(#ident: ::std::default::Default::default())
        } else if f.presence == Presence::Required {
            quote!(#ident)
        } else {
            quote!(#ident: ::std::option::Option::None)
        }
    });
    let extra = (!s.closed).then(|| quote!(extra: ::serde_json::Map::new(),));
    let default = required.iter().all(|f| is_tag_field(ir, f)).then(|| {
        quote! {
            impl ::std::default::Default for #name {
                fn default() -> Self { Self::new() }
            }
        }
    });
    quote! {
        #default

        impl #name {
            /// A value with the required members; optional members absent.
            #[allow(clippy::too_many_arguments)]
            pub fn new(#(#params),*) -> Self {
                Self { #(#inits,)* #extra }
            }
        }
    }
}

/// Union variant tags are synthesized one-value enums; constructors fill them in.
fn is_tag_field(ir: &Ir, field: &Field) -> bool {
    matches!(&field.ty, TypeRef::Named(n)
        if matches!(&ir.type_def(n).kind, TypeKind::StringEnum(e) if e.origin == EnumOrigin::Const))
}

fn field_tokens(field: &Field) -> TokenStream {
    let doc = doc_lines(&format!("{}\n\nSchema: `{}`", field.doc, field.pointer));
    let ident = field_ident(&field.name);
    let inner = rust_type(&field.ty);
    let rename = (ident != field.wire_name).then(|| {
        let wire = &field.wire_name;
        quote!(#[serde(rename = #wire)])
    });
    let aliases = field.aliases.iter().map(|alias| quote!(#[serde(alias = #alias)]));
    let (ty, presence_attrs) = match field.presence {
        Presence::Required => (quote!(#inner), quote!()),
        // Absent is allowed, null is not: `non_null` rejects null, and the schema is `T`, not `T | null`.
        Presence::Optional => {
            let with_type = inner.to_string().replace(' ', "");
            (
                quote!(::std::option::Option<#inner>),
                quote! {
                    #[serde(default, skip_serializing_if = "::std::option::Option::is_none", deserialize_with = "crate::__private::non_null")]
                    #[schemars(with = #with_type)]
                },
            )
        }
        // Must be present; `deserialize_with` turns off serde's "missing Option means None".
        Presence::RequiredNullable => (
            quote!(::std::option::Option<#inner>),
            quote! {
                #[serde(deserialize_with = "::serde::Deserialize::deserialize")]
                #[schemars(required)]
            },
        ),
        // Absent and null both mean "no value"; it is written back as absent.
        Presence::OptionalNullable => (
            quote!(::std::option::Option<#inner>),
            quote!(#[serde(default, skip_serializing_if = "::std::option::Option::is_none")]),
        ),
    };
    quote! {
        #doc
        #rename
        #(#aliases)*
        #presence_attrs
        pub #ident: #ty,
    }
}

fn enum_tokens(def: &TypeDef, e: &StringEnumDef) -> TokenStream {
    if e.openness.is_open() {
        return open_enum_tokens(def, e);
    }
    let doc = type_doc(def);
    let name = type_ident(&def.name);
    let is_tag = e.origin == EnumOrigin::Const;
    let variants = e.values.iter().enumerate().map(|(index, value)| {
        let variant = variant_ident(&value.name);
        let wire = &value.wire;
        let value_doc = format!(" `{wire}`");
        let default = (is_tag && index == 0).then(|| quote!(#[default]));
        quote! { #[doc = #value_doc] #default #[serde(rename = #wire)] #variant, }
    });
    let arms = e.values.iter().map(|value| {
        let variant = variant_ident(&value.name);
        let wire = &value.wire;
        quote!(Self::#variant => #wire,)
    });
    let default_derive = is_tag.then(|| quote!(Default,));
    quote! {
        #doc
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, #default_derive ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
        pub enum #name { #(#variants)* }

        impl #name {
            /// The wire value.
            pub fn as_str(self) -> &'static str {
                match self { #(#arms)* }
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    }
}

/// An enum the client decodes: values this contract version does not list are kept in `Unknown`, so a newer
/// app-server never makes a message unreadable, and written back unchanged.
fn open_enum_tokens(def: &TypeDef, e: &StringEnumDef) -> TokenStream {
    let doc = type_doc(def);
    let name = type_ident(&def.name);
    let unknown = variant_ident(UNKNOWN_CASE);
    let variants = e.values.iter().map(|value| {
        let variant = variant_ident(&value.name);
        let value_doc = format!(" `{}`", value.wire);
        quote! { #[doc = #value_doc] #variant, }
    });
    let to_wire = e.values.iter().map(|value| {
        let variant = variant_ident(&value.name);
        let wire = &value.wire;
        quote!(Self::#variant => #wire,)
    });
    let from_wire = e.values.iter().map(|value| {
        let variant = variant_ident(&value.name);
        let wire = &value.wire;
        quote!(#wire => Self::#variant,)
    });
    let expecting = format!("a {} string", def.name);
    let wires: Vec<&str> = e.values.iter().map(|v| v.wire.as_str()).collect();
    let schema_json = serde_json::json!({ "type": "string", "enum": wires, "description": def.doc }).to_string();
    let type_name = &def.name;
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #name {
            #(#variants)*
            /// A value this contract version does not list, kept as sent. [`Self::from_wire`] never puts a listed
            /// value here.
            #unknown(::std::string::String),
        }

        impl #name {
            /// The case of a wire value; values the contract does not list become `Unknown`.
            pub fn from_wire(wire: &str) -> Self {
                match wire {
                    #(#from_wire)*
                    other => Self::#unknown(other.to_owned()),
                }
            }

            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#to_wire)*
                    Self::#unknown(wire) => wire,
                }
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct WireVisitor;

                impl ::serde::de::Visitor<'_> for WireVisitor {
                    type Value = #name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(#expecting)
                    }

                    fn visit_str<E: ::serde::de::Error>(self, wire: &str) -> ::std::result::Result<#name, E> {
                        Ok(#name::from_wire(wire))
                    }
                }

                deserializer.deserialize_str(WireVisitor)
            }
        }

        impl ::schemars::JsonSchema for #name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> { #type_name.into() }
            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                // The contract's listed values: what a conforming app-server sends, though decoding keeps others.
                ::serde_json::from_str::<::serde_json::Value>(#schema_json)
                    .expect("constant JSON")
                    .try_into()
                    .expect("an object schema")
            }
        }
    }
}

fn tagged_union_tokens(ir: &Ir, def: &TypeDef, u: &TaggedUnionDef) -> Result<TokenStream, CodegenError> {
    let doc = type_doc(def);
    let name = type_ident(&def.name);
    let tag = &u.tag;
    let mut variants: Vec<(Ident, Ident)> =
        u.variants.iter().map(|v| (variant_ident(&v.name), type_ident(&v.type_name))).collect();
    let unknown = variant_ident(UNKNOWN_CASE);
    if variants.iter().any(|(v, _)| *v == unknown) && u.fallback.is_some() {
        return Err(CodegenError::Unsupported {
            backend: BACKEND,
            type_name: def.name.clone(),
            pointer: def.pointer.clone(),
            reason: format!("a tag value named `{unknown}` clashes with the fallback variant"),
        });
    }
    let known_arms = u
        .variants
        .iter()
        .zip(&variants)
        .map(|(v, (variant, _))| {
            let wire = &v.tag_value;
            quote!(#wire => ::serde_json::from_value(value).map(Self::#variant).map_err(D::Error::custom),)
        })
        .collect::<Vec<_>>();
    let other_arm = match &u.fallback {
        Some(fallback) => {
            let fallback_ty = type_ident(fallback);
            let arm = quote!(_ => ::serde_json::from_value(value).map(Self::#unknown).map_err(D::Error::custom),);
            variants.push((unknown.clone(), fallback_ty));
            arm
        }
        None => {
            let expected: Vec<_> = u.variants.iter().map(|v| format!("`{}`", v.tag_value)).collect();
            let message = format!("unknown `{tag}` {{other:?}}, expected one of {}", expected.join(", "));
            quote!(other => Err(D::Error::custom(format!(#message))),)
        }
    };
    let variant_decls = variants.iter().map(|(variant, ty)| quote!(#variant(#ty),));
    let serialize_arms =
        variants.iter().map(|(variant, _)| quote!(Self::#variant(value) => value.serialize(serializer),));
    let derives = derives(ir, &TypeRef::Named(def.name.clone()), &["Serialize", "Deserialize"]);
    let missing_tag = format!("missing string member `{tag}`");
    Ok(quote! {
        #doc
        #derives
        #[schemars(untagged)]
        pub enum #name { #(#variant_decls)* }

        // Hand-written dispatch on the tag: serde's internally tagged enums cannot keep the tag inside the
        // variant structs, nor route unknown tags to a fallback that keeps the whole object.
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self { #(#serialize_arms)* }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                use ::serde::de::Error as _;
                let value = ::serde_json::Value::deserialize(deserializer)?;
                let tag = value.get(#tag).and_then(::serde_json::Value::as_str).ok_or_else(|| D::Error::custom(#missing_tag))?;
                match tag {
                    #(#known_arms)*
                    #other_arm
                }
            }
        }
    })
}

fn untagged_union_tokens(ir: &Ir, def: &TypeDef, u: &UntaggedUnionDef) -> TokenStream {
    let doc = type_doc(def);
    let name = type_ident(&def.name);
    let derives = derives(ir, &TypeRef::Named(def.name.clone()), &[]);
    let variants = u.variants.iter().map(|v| {
        let variant = variant_ident(&v.name);
        let ty = rust_type(&v.ty);
        quote!(#variant(#ty),)
    });
    quote! {
        #doc
        #derives
        #[serde(untagged)]
        pub enum #name { #(#variants)* }
    }
}

fn newtype_tokens(def: &TypeDef, n: &NewtypeDef) -> TokenStream {
    let doc = type_doc(def);
    let name = type_ident(&def.name);
    let type_name = &def.name;
    let c = &n.constraints;
    let mut checks = Vec::new();
    let mut schema = serde_json::Map::new();
    let (inner, borrowed, inner_str) = match n.base {
        Primitive::String => (quote!(::std::string::String), quote!(str), "::std::string::String"),
        Primitive::Integer => (quote!(i64), quote!(i64), "i64"),
    };
    match n.base {
        Primitive::String => {
            schema.insert("type".into(), "string".into());
            if c.min_length.is_some() || c.max_length.is_some() {
                let min = c.min_length.unwrap_or(0) as usize;
                let max = c.max_length.map(|m| m as usize).unwrap_or(usize::MAX);
                let reason = match c.max_length {
                    Some(max) => format!("must be {min} to {max} characters long"),
                    None => format!("must be at least {min} characters long"),
                };
                checks.push(quote! {
                    let length = value.chars().count();
                    if !(#min..=#max).contains(&length) { return Err(#reason.to_owned()); }
                });
            }
            if let Some(min) = c.min_length {
                schema.insert("minLength".into(), min.into());
            }
            if let Some(max) = c.max_length {
                schema.insert("maxLength".into(), max.into());
            }
            if let Some(pattern) = &c.pattern {
                let reason = format!("must match {pattern}");
                checks.push(quote! {
                    static PATTERN: ::std::sync::LazyLock<::regex::Regex> = ::std::sync::LazyLock::new(|| {
                        ::regex::Regex::new(#pattern).expect("the schema's pattern is a valid regex")
                    });
                    if !PATTERN.is_match(value) { return Err(#reason.to_owned()); }
                });
                schema.insert("pattern".into(), pattern.clone().into());
            }
            if !c.excluded.is_empty() {
                let excluded = &c.excluded;
                let reason = format!("must not be one of {}", excluded.join(", "));
                checks.push(quote! {
                    if [#(#excluded),*].contains(&value) { return Err(#reason.to_owned()); }
                });
                schema.insert("not".into(), serde_json::json!({ "enum": excluded }));
            }
        }
        Primitive::Integer => {
            schema.insert("type".into(), "integer".into());
            schema.insert("format".into(), "int64".into());
            let min = c.minimum.unwrap_or(i64::MIN);
            let max = c.maximum.unwrap_or(i64::MAX);
            let reason = format!("must be between {min} and {max}");
            checks.push(quote! {
                if !(#min..=#max).contains(value) { return Err(#reason.to_owned()); }
            });
            if let Some(min) = c.minimum {
                schema.insert("minimum".into(), min.into());
            }
            if let Some(max) = c.maximum {
                schema.insert("maximum".into(), max.into());
            }
        }
    }
    schema.insert("description".into(), def.doc.clone().into());
    let schema_json = serde_json::Value::Object(schema).to_string();
    let (as_fn, display_value) = match n.base {
        Primitive::String => (
            quote! {
                /// The value as a string slice.
                pub fn as_str(&self) -> &str { &self.0 }
            },
            quote!(self.0.as_str()),
        ),
        Primitive::Integer => (
            quote! {
                /// The value.
                pub fn get(&self) -> i64 { self.0 }
            },
            quote!(&self.0),
        ),
    };
    let extra_impls = match n.base {
        Primitive::String => quote! {
            impl ::std::convert::AsRef<str> for #name {
                fn as_ref(&self) -> &str { &self.0 }
            }
            impl ::std::str::FromStr for #name {
                type Err = ConstraintError;
                fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> { Self::new(value.to_owned()) }
            }
            impl ::std::convert::TryFrom<&str> for #name {
                type Error = ConstraintError;
                fn try_from(value: &str) -> ::std::result::Result<Self, Self::Error> { Self::new(value.to_owned()) }
            }
        },
        Primitive::Integer => quote!(),
    };
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(try_from = #inner_str, into = #inner_str)]
        pub struct #name(#inner);

        impl #name {
            /// Checks `value` against the schema's constraints.
            pub fn new(value: impl ::std::convert::Into<#inner>) -> ::std::result::Result<Self, ConstraintError> {
                let value = value.into();
                match Self::check(&value) {
                    Ok(()) => Ok(Self(value)),
                    Err(reason) => Err(ConstraintError { type_name: #type_name, value: value.to_string(), reason }),
                }
            }

            fn check(value: &#borrowed) -> ::std::result::Result<(), ::std::string::String> {
                #(#checks)*
                Ok(())
            }

            #as_fn

            /// The wrapped value.
            pub fn into_inner(self) -> #inner { self.0 }
        }

        impl ::std::convert::TryFrom<#inner> for #name {
            type Error = ConstraintError;
            fn try_from(value: #inner) -> ::std::result::Result<Self, Self::Error> { Self::new(value) }
        }

        impl ::std::convert::From<#name> for #inner {
            fn from(value: #name) -> Self { value.0 }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(#display_value, f)
            }
        }

        #extra_impls

        impl ::schemars::JsonSchema for #name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> { #type_name.into() }
            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                // The schema's own constraints, so `schema_for!` agrees with the canonical def.
                ::serde_json::from_str::<::serde_json::Value>(#schema_json)
                    .expect("constant JSON")
                    .try_into()
                    .expect("an object schema")
            }
        }
    }
}

fn methods_rs(ir: &Ir) -> TokenStream {
    let constants = ir.methods.iter().map(|m| {
        let constant = format_ident!("{}", m.ident.to_shouty_snake_case());
        let wire = &m.name;
        let doc = doc_lines(&format!("`{wire}` ({}).", m.direction.describe()));
        quote!(#doc pub const #constant: &str = #wire;)
    });
    let infos = ir.methods.iter().map(|m| {
        let constant = format_ident!("{}", m.ident.to_shouty_snake_case());
        let direction = direction_ident(m.direction);
        let params = option_str(m.params.as_deref());
        let result = option_str(m.result.as_deref());
        quote!(MethodInfo { name: #constant, direction: Direction::#direction, params: #params, result: #result },)
    });
    let typed = ir.methods.iter().filter(|m| m.params.is_some() || m.result.is_some()).map(|m| {
        let marker = format_ident!("{}", m.ident.to_upper_camel_case());
        let constant = format_ident!("{}", m.ident.to_shouty_snake_case());
        let doc =
            doc_lines(&format!("Marker type of `{}`: ties the method name to its params and result types.", m.name));
        let params = typed_or_value(m.params.as_deref());
        if m.direction.is_request() {
            let result = typed_or_value(m.result.as_deref());
            quote! {
                #doc
                #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
                pub struct #marker;
                impl Request for #marker {
                    const METHOD: &'static str = #constant;
                    type Params = #params;
                    type Result = #result;
                }
            }
        } else {
            quote! {
                #doc
                #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
                pub struct #marker;
                impl Notification for #marker {
                    const METHOD: &'static str = #constant;
                    type Params = #params;
                }
            }
        }
    });
    let direction_variants = Direction::ALL.iter().map(|d| {
        let variant = direction_ident(*d);
        let doc = doc_lines(&format!("{}.", d.describe()));
        quote!(#doc #variant,)
    });
    quote! {
        //! The JSON-RPC method table of the app-server protocol: a constant per method name, a lookup table with
        //! direction and types, and marker types that tie the handoff-flow methods to their params and results.
        //! Code that sends or matches a method uses these, never a string literal.

        /// Who sends a method, and whether it is answered.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Direction { #(#direction_variants)* }

        impl Direction {
            /// True for requests (answered by a response or an error).
            pub fn is_request(self) -> bool {
                matches!(self, Direction::ClientRequest | Direction::ServerRequest)
            }
        }

        /// One row of the method table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct MethodInfo {
            /// The wire name.
            pub name: &'static str,
            pub direction: Direction,
            /// Params type name, or `None` when the params are any JSON.
            pub params: ::std::option::Option<&'static str>,
            /// Result type name, or `None` when the result is any JSON (or for notifications).
            pub result: ::std::option::Option<&'static str>,
        }

        /// A request method with typed params and result.
        pub trait Request {
            const METHOD: &'static str;
            type Params: ::serde::Serialize + ::serde::de::DeserializeOwned;
            type Result: ::serde::Serialize + ::serde::de::DeserializeOwned;
        }

        /// A notification method with typed params.
        pub trait Notification {
            const METHOD: &'static str;
            type Params: ::serde::Serialize + ::serde::de::DeserializeOwned;
        }

        #(#constants)*

        /// Every method, sorted by name.
        pub static ALL: &[MethodInfo] = &[ #(#infos)* ];

        /// The table row of `name`, or `None` for a method the protocol does not have.
        pub fn lookup(name: &str) -> ::std::option::Option<&'static MethodInfo> {
            ALL.binary_search_by(|m| m.name.cmp(name)).ok().map(|i| &ALL[i])
        }

        #(#typed)*
    }
}

fn registry_rs(ir: &Ir) -> TokenStream {
    let entries = ir.types.values().map(|def| {
        let name = &def.name;
        let ty = type_ident(name);
        quote! {
            TypeEntry {
                name: #name,
                json_schema: || ::schemars::schema_for!(crate::#ty),
                round_trip: round_trip::<crate::#ty>,
            },
        }
    });
    quote! {
        //! Every generated type by its schema name, for tools that pick a type at run time (contract tests,
        //! validators, debugging consoles).

        /// One generated type.
        #[derive(Debug, Clone, Copy)]
        pub struct TypeEntry {
            /// The schema def name, which is also the Rust type name.
            pub name: &'static str,
            /// The JSON Schema `schemars` derives for the type.
            pub json_schema: fn() -> ::schemars::Schema,
            /// Decodes a value as the type and encodes it again; the error says why decoding failed.
            pub round_trip: fn(::serde_json::Value) -> ::std::result::Result<::serde_json::Value, ::serde_json::Error>,
        }

        fn round_trip<T: ::serde::Serialize + ::serde::de::DeserializeOwned>(
            value: ::serde_json::Value,
        ) -> ::std::result::Result<::serde_json::Value, ::serde_json::Error> {
            ::serde_json::to_value(::serde_json::from_value::<T>(value)?)
        }

        /// Every generated type, sorted by name.
        pub static TYPES: &[TypeEntry] = &[ #(#entries)* ];

        /// The entry of the type called `name`.
        pub fn find(name: &str) -> ::std::option::Option<&'static TypeEntry> {
            TYPES.binary_search_by(|t| t.name.cmp(name)).ok().map(|i| &TYPES[i])
        }
    }
}

fn direction_ident(direction: Direction) -> Ident {
    format_ident!("{}", direction.wire().to_upper_camel_case())
}

fn option_str(value: Option<&str>) -> TokenStream {
    match value {
        Some(v) => quote!(::std::option::Option::Some(#v)),
        None => quote!(::std::option::Option::None),
    }
}

fn typed_or_value(type_name: Option<&str>) -> TokenStream {
    match type_name {
        Some(name) => {
            let ty = type_ident(name);
            quote!(crate::#ty)
        }
        None => quote!(::serde_json::Value),
    }
}

/// The derive list of a struct or union; `Eq` and `Hash` only where every member supports them.
fn derives(ir: &Ir, ty: &TypeRef, skip: &[&str]) -> TokenStream {
    let mut list = vec![quote!(Debug), quote!(Clone), quote!(PartialEq)];
    if is_hashable(ir, ty) {
        list.push(quote!(Eq));
        list.push(quote!(Hash));
    }
    for serde_trait in ["Serialize", "Deserialize"] {
        if !skip.contains(&serde_trait) {
            let ident = format_ident!("{serde_trait}");
            list.push(quote!(::serde::#ident));
        }
    }
    list.push(quote!(::schemars::JsonSchema));
    quote!(#[derive(#(#list),*)])
}

fn is_hashable(ir: &Ir, ty: &TypeRef) -> bool {
    match ty {
        TypeRef::String | TypeRef::Integer | TypeRef::Boolean => true,
        TypeRef::Number | TypeRef::Map(_) | TypeRef::Any => false,
        TypeRef::Array(item) => is_hashable(ir, item),
        TypeRef::Named(name) => match &ir.type_def(name).kind {
            // Open structs carry a JSON map of unknown members.
            TypeKind::Struct(s) => s.closed && s.fields.iter().all(|f| is_hashable(ir, &f.ty)),
            TypeKind::StringEnum(_) | TypeKind::Newtype(_) => true,
            TypeKind::TaggedUnion(u) => u
                .variants
                .iter()
                .map(|v| &v.type_name)
                .chain(&u.fallback)
                .all(|t| is_hashable(ir, &TypeRef::Named(t.clone()))),
            TypeKind::UntaggedUnion(u) => u.variants.iter().all(|v| is_hashable(ir, &v.ty)),
            TypeKind::Alias(inner) => is_hashable(ir, inner),
        },
    }
}

fn rust_type(ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::Named(name) => {
            let ident = type_ident(name);
            quote!(#ident)
        }
        TypeRef::String => quote!(::std::string::String),
        TypeRef::Integer => quote!(i64),
        TypeRef::Number => quote!(f64),
        TypeRef::Boolean => quote!(bool),
        TypeRef::Array(item) => {
            let item = rust_type(item);
            quote!(::std::vec::Vec<#item>)
        }
        TypeRef::Map(value) => {
            let value = rust_type(value);
            quote!(::serde_json::Map<::std::string::String, #value>)
        }
        TypeRef::Any => quote!(::serde_json::Value),
    }
}

fn type_ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// snake_case member names, with a `_` suffix for Rust keywords (`type` → `type_`), as typify does.
fn field_ident(name: &str) -> Ident {
    if syn::parse_str::<Ident>(name).is_ok() { Ident::new(name, Span::call_site()) } else { format_ident!("{name}_") }
}

fn variant_ident(neutral: &str) -> Ident {
    format_ident!("{}", neutral.to_upper_camel_case())
}

fn type_doc(def: &TypeDef) -> TokenStream {
    doc_lines(&format!("{}\n\nSchema: `{}`", def.doc, def.pointer))
}

/// One `#[doc]` attribute per line, which prettyplease prints as `///` lines (a single multi-line attribute
/// would come out as a `/** */` block).
fn doc_lines(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| if line.is_empty() { String::new() } else { format!(" {line}") });
    quote!(#(#[doc = #lines])*)
}

fn inner_doc_lines(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| if line.is_empty() { String::new() } else { format!(" {line}") });
    quote!(#(#![doc = #lines])*)
}
