//! Tagged and untagged unions.

use handoff_schema::{Ir, TaggedUnionDef, TypeDef, TypeRef, UNKNOWN_CASE, UntaggedUnionDef};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::BACKEND;
use super::common::{derives, rust_type, type_doc, type_ident, variant_ident};
use crate::CodegenError;

pub(super) fn tagged_union_tokens(ir: &Ir, def: &TypeDef, u: &TaggedUnionDef) -> Result<TokenStream, CodegenError> {
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

pub(super) fn untagged_union_tokens(ir: &Ir, def: &TypeDef, u: &UntaggedUnionDef) -> TokenStream {
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
