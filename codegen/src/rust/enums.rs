//! String enums, closed and open.

use crate::CodegenError;
use handoff_schema::{EnumOrigin, StringEnumDef, TypeDef, UNKNOWN_CASE};
use proc_macro2::TokenStream;
use quote::quote;

use super::BACKEND;
use super::common::{constant_schema_impl, type_doc, type_ident, variant_ident};

pub(super) fn enum_tokens(def: &TypeDef, e: &StringEnumDef) -> Result<TokenStream, CodegenError> {
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
    Ok(quote! {
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
    })
}

/// An enum the client decodes: values this contract version does not list are kept in `Unknown`, so a newer
/// app-server never makes a message unreadable, and written back unchanged.
pub(super) fn open_enum_tokens(def: &TypeDef, e: &StringEnumDef) -> Result<TokenStream, CodegenError> {
    let doc = type_doc(def);
    let name = type_ident(&def.name);
    let unknown = variant_ident(UNKNOWN_CASE);
    // Lowering refuses such a value; a hand-built IR could still hold one.
    if let Some(value) = e.values.iter().find(|v| variant_ident(&v.name) == unknown) {
        return Err(CodegenError::Unsupported {
            backend: BACKEND,
            type_name: def.name.clone(),
            pointer: def.pointer.clone(),
            reason: format!("the value `{}` clashes with the `{unknown}` case that keeps unlisted values", value.wire),
        });
    }
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
    // The contract's listed values: what a conforming app-server sends, though decoding keeps others.
    let schema_json = serde_json::json!({ "type": "string", "enum": wires, "description": def.doc }).to_string();
    let schema_impl = constant_schema_impl(&name, &def.name, &schema_json);
    Ok(quote! {
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

        #schema_impl
    })
}
