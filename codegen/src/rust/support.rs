//! The support module of the generated crate: what the generated types share.

use handoff_schema::Ir;
use proc_macro2::TokenStream;
use quote::quote;

pub(super) fn support_rs(ir: &Ir) -> TokenStream {
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
