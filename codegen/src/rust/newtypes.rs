//! Constraint-checked newtypes over a string or an integer.

use handoff_schema::{NewtypeDef, Primitive, TypeDef};
use proc_macro2::TokenStream;
use quote::quote;

use super::common::{constant_schema_impl, type_doc, type_ident};

pub(super) fn newtype_tokens(def: &TypeDef, n: &NewtypeDef) -> TokenStream {
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
    // The schema's own constraints, so `schema_for!` agrees with the canonical def.
    let schema_impl = constant_schema_impl(&name, &def.name, &serde_json::Value::Object(schema).to_string());
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

        #schema_impl
    }
}
