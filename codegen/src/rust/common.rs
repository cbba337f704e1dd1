//! Helpers every item renderer uses: Rust names and types of IR references, derive lists, doc comments.

use handoff_schema::{Ir, TypeDef, TypeKind, TypeRef};
use heck::ToUpperCamelCase;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// The derive list of a struct or union; `Eq` and `Hash` only where every member supports them.
pub(super) fn derives(ir: &Ir, ty: &TypeRef, skip: &[&str]) -> TokenStream {
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

pub(super) fn is_hashable(ir: &Ir, ty: &TypeRef) -> bool {
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

pub(super) fn rust_type(ty: &TypeRef) -> TokenStream {
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
        // serde_json's `Map` holds only JSON values (and keeps their order); typed values go in a `BTreeMap`.
        TypeRef::Map(value) if **value == TypeRef::Any => {
            quote!(::serde_json::Map<::std::string::String, ::serde_json::Value>)
        }
        TypeRef::Map(value) => {
            let value = rust_type(value);
            quote!(::std::collections::BTreeMap<::std::string::String, #value>)
        }
        TypeRef::Any => quote!(::serde_json::Value),
    }
}

pub(super) fn type_ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// snake_case member names, with a `_` suffix for Rust keywords (`type` → `type_`), as typify does.
pub(super) fn field_ident(name: &str) -> Ident {
    if syn::parse_str::<Ident>(name).is_ok() { Ident::new(name, Span::call_site()) } else { format_ident!("{name}_") }
}

pub(super) fn variant_ident(neutral: &str) -> Ident {
    format_ident!("{}", neutral.to_upper_camel_case())
}

pub(super) fn type_doc(def: &TypeDef) -> TokenStream {
    doc_lines(&format!("{}\n\nSchema: `{}`", def.doc, def.pointer))
}

/// One `#[doc]` attribute per line, which prettyplease prints as `///` lines (a single multi-line attribute
/// would come out as a `/** */` block).
pub(super) fn doc_lines(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| if line.is_empty() { String::new() } else { format!(" {line}") });
    quote!(#(#[doc = #lines])*)
}

pub(super) fn inner_doc_lines(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| if line.is_empty() { String::new() } else { format!(" {line}") });
    quote!(#(#![doc = #lines])*)
}

/// A `schemars::JsonSchema` impl returning a schema written out at generation time: for types whose wire form the
/// derive cannot describe (open enums, constrained newtypes), so `schema_for!` agrees with the canonical def.
pub(super) fn constant_schema_impl(name: &Ident, type_name: &str, schema_json: &str) -> TokenStream {
    quote! {
        impl ::schemars::JsonSchema for #name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> { #type_name.into() }
            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::serde_json::from_str::<::serde_json::Value>(#schema_json)
                    .expect("constant JSON")
                    .try_into()
                    .expect("an object schema")
            }
        }
    }
}
