//! The JSON-RPC method table.

use handoff_schema::{Direction, Ir};
use heck::{ToShoutySnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::common::{doc_lines, type_ident};

pub(super) fn methods_rs(ir: &Ir) -> TokenStream {
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

pub(super) fn direction_ident(direction: Direction) -> Ident {
    format_ident!("{}", direction.wire().to_upper_camel_case())
}

pub(super) fn option_str(value: Option<&str>) -> TokenStream {
    match value {
        Some(v) => quote!(::std::option::Option::Some(#v)),
        None => quote!(::std::option::Option::None),
    }
}

pub(super) fn typed_or_value(type_name: Option<&str>) -> TokenStream {
    match type_name {
        Some(name) => {
            let ty = type_ident(name);
            quote!(crate::#ty)
        }
        None => quote!(::serde_json::Value),
    }
}
