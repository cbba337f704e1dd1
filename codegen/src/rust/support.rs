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
            use ::serde::de::{DeserializeSeed, Error as _, MapAccess, Visitor};

            /// A union of object types told apart by a string member. [`deserialize_tagged`] finds the tag and hands
            /// the object's members, the tag among them, to the variant it selects.
            pub trait TaggedUnion<'de>: Sized {
                /// Wire name of the tag member.
                const TAG: &'static str;
                /// What a value of the union is, for "expected …" messages.
                const EXPECTING: &'static str;

                /// Decodes the variant `tag` selects from all members of the object.
                fn from_members<M: MapAccess<'de>>(tag: &str, members: M) -> ::std::result::Result<Self, M::Error>;
            }

            /// Decodes a tagged union straight from the input: members are read until the tag, and the selected
            /// variant reads the rest from the input itself, so its errors keep their position. Members before the
            /// tag are held as JSON values and replayed first; writers put the tag first, so usually only the tag is.
            pub fn deserialize_tagged<'de, D, T>(deserializer: D) -> ::std::result::Result<T, D::Error>
            where
                D: ::serde::Deserializer<'de>,
                T: TaggedUnion<'de>,
            {
                struct UnionVisitor<T>(::std::marker::PhantomData<T>);

                impl<'de, T: TaggedUnion<'de>> Visitor<'de> for UnionVisitor<T> {
                    type Value = T;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(T::EXPECTING)
                    }

                    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> ::std::result::Result<T, M::Error> {
                        let mut before = ::std::vec::Vec::new();
                        while let Some(key) = map.next_key::<::std::string::String>()? {
                            if key == T::TAG {
                                let tag = map.next_value_seed(TagSeed(T::TAG))?;
                                before.insert(0, (key, ::serde_json::Value::String(tag.clone())));
                                let members = Replay { held: before.into_iter(), value: None, rest: map };
                                return T::from_members(&tag, members);
                            }
                            before.push((key, map.next_value()?));
                        }
                        Err(M::Error::custom(format!("missing string member `{}`", T::TAG)))
                    }
                }

                deserializer.deserialize_map(UnionVisitor(::std::marker::PhantomData))
            }

            /// The tag's value, which must be a string.
            struct TagSeed(&'static str);

            impl<'de> DeserializeSeed<'de> for TagSeed {
                type Value = ::std::string::String;

                fn deserialize<D: ::serde::Deserializer<'de>>(self, deserializer: D) -> ::std::result::Result<Self::Value, D::Error> {
                    deserializer.deserialize_str(self)
                }
            }

            impl Visitor<'_> for TagSeed {
                type Value = ::std::string::String;

                fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    write!(f, "a string in member `{}`", self.0)
                }

                fn visit_str<E: ::serde::de::Error>(self, tag: &str) -> ::std::result::Result<Self::Value, E> {
                    Ok(tag.to_owned())
                }
            }

            /// The members held while looking for the tag, then the rest of the input.
            struct Replay<M> {
                held: ::std::vec::IntoIter<(::std::string::String, ::serde_json::Value)>,
                value: ::std::option::Option<::serde_json::Value>,
                rest: M,
            }

            impl<'de, M: MapAccess<'de>> MapAccess<'de> for Replay<M> {
                type Error = M::Error;

                fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> ::std::result::Result<::std::option::Option<K::Value>, M::Error> {
                    match self.held.next() {
                        Some((key, value)) => {
                            self.value = Some(value);
                            seed.deserialize(::serde::de::value::StringDeserializer::<M::Error>::new(key)).map(Some)
                        }
                        None => self.rest.next_key_seed(seed),
                    }
                }

                fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> ::std::result::Result<V::Value, M::Error> {
                    match self.value.take() {
                        Some(value) => seed.deserialize(value).map_err(M::Error::custom),
                        None => self.rest.next_value_seed(seed),
                    }
                }
            }

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
