//! The registry of every generated type, by schema name.

use handoff_schema::Ir;
use proc_macro2::TokenStream;
use quote::quote;

use super::common::type_ident;

pub(super) fn registry_rs(ir: &Ir) -> TokenStream {
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
