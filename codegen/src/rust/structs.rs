//! Structs: members with their presence states, and constructors.

use handoff_schema::{EnumOrigin, Field, Ir, Presence, StructDef, TypeDef, TypeKind, TypeRef};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::BACKEND;
use super::common::{derives, doc_lines, field_ident, rust_type, type_doc, type_ident};
use crate::CodegenError;

/// Name of the member that keeps unknown members of open objects.
const EXTRA_FIELD: &str = "extra";

pub(super) fn struct_tokens(ir: &Ir, def: &TypeDef, s: &StructDef) -> Result<TokenStream, CodegenError> {
    let doc = type_doc(def);
    let name = type_ident(&def.name);
    let derives = derives(ir, &TypeRef::Named(def.name.clone()), &[]);
    let deny = s.closed.then(|| quote!(#[serde(deny_unknown_fields)]));
    // `remote = "Self"` turns the derives into inherent functions that `support::object_only!` wraps: serde's
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
    let constructor = constructor_tokens(ir, def, &name, s)?;
    Ok(quote! {
        #doc
        #derives
        #container_attrs
        pub struct #name {
            #(#fields)*
            #extra
        }

        #constructor

        crate::support::object_only!(#name);
    })
}

/// Most required members a `new` takes positionally; a struct with more gets a builder that names each one
/// (clippy's `too_many_arguments` starts at eight, but past four positional arguments are easy to swap).
const MAX_NEW_ARGUMENTS: usize = 4;

/// `new(required members…)`, or `builder()` when there are more than [`MAX_NEW_ARGUMENTS`]: optional and
/// nullable members start absent, `extra` empty, tags at their one value.
fn constructor_tokens(ir: &Ir, def: &TypeDef, name: &Ident, s: &StructDef) -> Result<TokenStream, CodegenError> {
    let arguments: Vec<&Field> =
        s.fields.iter().filter(|f| f.presence == Presence::Required && !is_tag_field(ir, f)).collect();
    let extra = (!s.closed).then(|| quote!(extra: ::serde_json::Map::new(),));
    let fill = |required: &dyn Fn(&Ident, &Field) -> TokenStream| {
        let inits = s.fields.iter().map(|f| {
            let ident = field_ident(&f.name);
            if is_tag_field(ir, f) {
                quote!(#ident: ::std::default::Default::default())
            } else if f.presence == Presence::Required {
                required(&ident, f)
            } else {
                quote!(#ident: ::std::option::Option::None)
            }
        });
        quote!(#name { #(#inits,)* #extra })
    };
    if arguments.len() <= MAX_NEW_ARGUMENTS {
        let params = arguments.iter().map(|f| {
            let ident = field_ident(&f.name);
            let ty = rust_type(&f.ty);
            quote!(#ident: #ty)
        });
        let value = fill(&|ident, _| quote!(#ident));
        let default = arguments.is_empty().then(|| {
            quote! {
                impl ::std::default::Default for #name {
                    fn default() -> Self { Self::new() }
                }
            }
        });
        return Ok(quote! {
            #default

            impl #name {
                /// A value with the required members; optional members absent.
                pub fn new(#(#params),*) -> Self {
                    #value
                }
            }
        });
    }
    let builder = format_ident!("{name}Builder");
    let clash = if ir.types.contains_key(&builder.to_string()) {
        Some(format!("the builder's name `{builder}` is a schema type"))
    } else {
        arguments
            .iter()
            .find(|f| f.name == "build")
            .map(|_| "a required member named `build` clashes with the builder's `build`".to_owned())
    };
    if let Some(reason) = clash {
        return Err(CodegenError::Unsupported {
            backend: BACKEND,
            type_name: def.name.clone(),
            pointer: def.pointer.clone(),
            reason,
        });
    }
    let slots = arguments.iter().map(|f| {
        let ident = field_ident(&f.name);
        let ty = rust_type(&f.ty);
        quote!(#ident: ::std::option::Option<#ty>,)
    });
    let setters = arguments.iter().map(|f| {
        let ident = field_ident(&f.name);
        let ty = rust_type(&f.ty);
        let doc = format!(" Sets the required member `{}`.", f.wire_name);
        quote! {
            #[doc = #doc]
            pub fn #ident(mut self, value: #ty) -> Self {
                self.#ident = ::std::option::Option::Some(value);
                self
            }
        }
    });
    let type_name = &def.name;
    let value = fill(&|ident, f| {
        let wire = &f.wire_name;
        quote!(#ident: self.#ident.ok_or(crate::MissingMember { type_name: #type_name, member: #wire })?)
    });
    let builder_doc = format!(" Builds a [`{name}`] from its {} required members, each set by name.", arguments.len());
    Ok(quote! {
        impl #name {
            /// A builder that takes the required members by name; optional members start absent.
            pub fn builder() -> #builder {
                #builder::default()
            }
        }

        #[doc = #builder_doc]
        #[derive(Debug, Clone, Default)]
        pub struct #builder { #(#slots)* }

        impl #builder {
            #(#setters)*

            /// The value, with optional members absent; the error names the first required member left unset.
            pub fn build(self) -> ::std::result::Result<#name, crate::MissingMember> {
                Ok(#value)
            }
        }
    })
}

/// Union variant tags are synthesized one-value enums; constructors fill them in.
pub(super) fn is_tag_field(ir: &Ir, field: &Field) -> bool {
    matches!(&field.ty, TypeRef::Named(n)
        if matches!(&ir.type_def(n).kind, TypeKind::StringEnum(e) if e.origin == EnumOrigin::Const))
}

pub(super) fn field_tokens(field: &Field) -> TokenStream {
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
