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
            quote!(#wire => ::serde::Deserialize::deserialize(members).map(Self::#variant),)
        })
        .collect::<Vec<_>>();
    let other_arm = match &u.fallback {
        Some(fallback) => {
            let fallback_ty = type_ident(fallback);
            let arm = quote!(_ => ::serde::Deserialize::deserialize(members).map(Self::#unknown),);
            variants.push((unknown.clone(), fallback_ty));
            arm
        }
        None => {
            let expected: Vec<_> = u.variants.iter().map(|v| format!("`{}`", v.tag_value)).collect();
            let message = format!("unknown `{tag}` {{other:?}}, expected one of {}", expected.join(", "));
            quote!(other => Err(::serde::de::Error::custom(format!(#message))),)
        }
    };
    let variant_decls = variants.iter().map(|(variant, ty)| quote!(#variant(#ty),));
    let serialize_arms =
        variants.iter().map(|(variant, _)| quote!(Self::#variant(value) => value.serialize(serializer),));
    let derives = derives(ir, &TypeRef::Named(def.name.clone()), &["Serialize", "Deserialize"]);
    let expecting = format!("a {} object", def.name);
    Ok(quote! {
        #doc
        #derives
        #[schemars(untagged)]
        pub enum #name { #(#variant_decls)* }

        // Dispatch on the tag by `deserialize_tagged`: serde's internally tagged enums take the tag out of the
        // members the variant struct sees (its tag member would be missing) and route unknown tags only to a unit
        // variant, which would lose the object an open union keeps.
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self { #(#serialize_arms)* }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                crate::__private::deserialize_tagged(deserializer)
            }
        }

        impl<'de> crate::__private::TaggedUnion<'de> for #name {
            const TAG: &'static str = #tag;
            const EXPECTING: &'static str = #expecting;

            fn from_members<M: ::serde::de::MapAccess<'de>>(tag: &str, members: M) -> ::std::result::Result<Self, M::Error> {
                let members = ::serde::de::value::MapAccessDeserializer::new(members);
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
