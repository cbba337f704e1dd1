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


        /// A builder's `build` found a required member unset.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct MissingMember {
            /// The type being built.
            pub type_name: &'static str,
            /// The member's wire name.
            pub member: &'static str,
        }

        impl ::std::fmt::Display for MissingMember {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}: the required member `{}` was not set", self.type_name, self.member)
            }
        }

        impl ::std::error::Error for MissingMember {}

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
        }
    }
}

/// The support macro, as source text: prettyplease prints a `macro_rules!` body as one token run, so the macro
/// is kept formatted here and appended to the rendered module.
pub(super) const OBJECT_ONLY_MACRO: &str = r#"
/// Implements `Serialize` and `Deserialize` of a struct whose derives `#[serde(remote = "Self")]` turned into
/// inherent functions, so that the struct decodes from a JSON object only: serde's derived structs also accept an
/// array (members by position), which the schema does not allow. Everything else is the derives' work.
macro_rules! object_only {
    ($name:ident) => {
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                $name::serialize(self, serializer)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct Members;

                impl<'de> ::serde::de::Visitor<'de> for Members {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a JSON object")
                    }

                    fn visit_map<M: ::serde::de::MapAccess<'de>>(self, map: M) -> ::std::result::Result<$name, M::Error> {
                        $name::deserialize(::serde::de::value::MapAccessDeserializer::new(map))
                    }
                }

                deserializer.deserialize_map(Members)
            }
        }
    };
}

pub(crate) use object_only;
"#;
