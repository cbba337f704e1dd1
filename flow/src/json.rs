//! What the flow rules read of a message given as JSON text ([`crate::FlowMessage::Json`]), read typed and borrowed
//! instead of through a `serde_json::Value`.
//!
//! Every read here answers exactly what the same read of the text parsed into a `Value` answers: members are looked
//! up by their unescaped names, the last of duplicate members counts (as in a `Value`), and a member of the wrong
//! JSON kind reads as absent. The generated contract types are decoded from the text; where that fails (a
//! duplicate member the `Value` would have collapsed, or a real error whose message the flow keeps) the text is
//! parsed into a `Value` and decoded from that, so errors, and what succeeds, are the `Value` route's.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

/// A JSON value the flow reads from: parsed, or the text of one (a span of a message's text).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Json<'a> {
    Value(&'a Value),
    Text(&'a RawValue),
}

static NULL: Value = Value::Null;

impl<'a> Json<'a> {
    /// `null`, what an absent member reads as.
    pub(crate) fn null() -> Json<'static> {
        Json::Value(&NULL)
    }

    /// Members `names` of an object, as far as the flow reads them (all absent when this is not an object).
    pub(crate) fn members<const N: usize>(self, names: [&str; N]) -> [Scalar<'a>; N] {
        match self {
            Json::Value(value) => names.map(|name| Scalar::of(value.get(name), Cow::Borrowed)),
            Json::Text(text) => members(text.get(), names).unwrap_or_else(|_| {
                let value = reparse(text);
                names.map(|name| Scalar::of(value.get(name), |s| Cow::Owned(s.to_owned())))
            }),
        }
    }

    /// String member `name` of an object (`None` when absent, not a string, or this is not an object).
    pub(crate) fn str_member(self, name: &str) -> Option<Cow<'a, str>> {
        let [member] = self.members([name]);
        member.into_str()
    }

    /// The value decoded as `T` through its `Deserialize` impl, as `T::deserialize(&value)` would.
    pub(crate) fn decode<T: DeserializeOwned>(self) -> Result<T, serde_json::Error> {
        match self {
            Json::Value(value) => T::deserialize(value),
            Json::Text(text) => serde_json::from_str(text.get()).or_else(|_| T::deserialize(&reparse(text))),
        }
    }

    /// The value as `serde_json` writes it (`1` and `"1"` differ), the same for both forms.
    pub(crate) fn to_json_text(self) -> String {
        match self {
            Json::Value(value) => value.to_string(),
            Json::Text(text) => reparse(text).to_string(),
        }
    }

    /// The value parsed (a clone for a parsed one): for the rare reads that need the `Value` route's own results.
    pub(crate) fn to_value(self) -> Value {
        match self {
            Json::Value(value) => value.clone(),
            Json::Text(text) => reparse(text),
        }
    }
}

/// A `RawValue` holds JSON that parsed once, so it parses again; `null` stands in should it not.
fn reparse(text: &RawValue) -> Value {
    serde_json::from_str(text.get()).unwrap_or(Value::Null)
}

/// A member's value as far as the flow reads it.
#[derive(Debug)]
pub(crate) enum Scalar<'a> {
    Absent,
    Str(Cow<'a, str>),
    Bool(bool),
    Other,
}

impl<'a> Scalar<'a> {
    fn of<'v>(value: Option<&'v Value>, text: impl FnOnce(&'v str) -> Cow<'a, str>) -> Scalar<'a> {
        match value {
            None => Scalar::Absent,
            Some(Value::String(s)) => Scalar::Str(text(s)),
            Some(Value::Bool(b)) => Scalar::Bool(*b),
            Some(_) => Scalar::Other,
        }
    }

    pub(crate) fn into_str(self) -> Option<Cow<'a, str>> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `true` only for the boolean `true`.
    pub(crate) fn is_true(&self) -> bool {
        matches!(self, Scalar::Bool(true))
    }
}

/// Members `names` of the object in `text` (each `Absent` when `text` holds no object).
fn members<'a, const N: usize>(text: &'a str, names: [&str; N]) -> Result<[Scalar<'a>; N], serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let read = deserializer.deserialize_any(MembersVisitor { names })?;
    deserializer.end()?;
    Ok(read)
}

struct MembersVisitor<'n, const N: usize> {
    names: [&'n str; N],
}

impl<const N: usize> MembersVisitor<'_, N> {
    fn absent<'a>(&self) -> [Scalar<'a>; N] {
        std::array::from_fn(|_| Scalar::Absent)
    }
}

impl<'de, const N: usize> Visitor<'de> for MembersVisitor<'_, N> {
    type Value = [Scalar<'de>; N];

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut read = self.absent();
        while let Some(key) = map.next_key_seed(KeyIndex(&self.names))? {
            match key {
                // The last of duplicate members counts, as in a `Value`.
                Some(index) => read[index] = map.next_value_seed(ScalarSeed)?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(read)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(self.absent())
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(self.absent())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(self.absent())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(self.absent())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(self.absent())
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(self.absent())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(self.absent())
    }
}

/// A member name, as the index of the wanted name it equals (after unescaping), or `None`.
struct KeyIndex<'n>(&'n [&'n str]);

impl<'de> DeserializeSeed<'de> for KeyIndex<'_> {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeyIndex<'_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|name| *name == key))
    }
}

/// A member's value: a string (borrowed when it has no escapes), a boolean, or anything else (skipped).
struct ScalarSeed;

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = Scalar<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Scalar<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(s.to_owned())))
    }
    fn visit_string<E>(self, s: String) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(s)))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Bool(b))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other)
    }
    fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar<'de>, A::Error> {
        IgnoredAny.visit_map(map).map(|_| Scalar::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scalar<'de>, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| Scalar::Other)
    }
}

/// The JSON-RPC members of a message's text, each a span of it: what [`crate::check`] classifies a message by.
#[derive(Debug, Default)]
pub(crate) struct MessageView<'a> {
    pub(crate) id: Option<&'a RawValue>,
    /// `method` when it is a string (`Some(None)`: present, not a string).
    pub(crate) method: Option<Option<Cow<'a, str>>>,
    pub(crate) params: Option<&'a RawValue>,
    pub(crate) result: Option<&'a RawValue>,
    pub(crate) error: bool,
}

impl<'a> MessageView<'a> {
    /// Reads the message's members in one pass. `Ok(None)`: JSON, but not an object. `Err`: not JSON.
    pub(crate) fn read(text: &'a str) -> Result<Option<MessageView<'a>>, serde_json::Error> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let view = deserializer.deserialize_any(ViewVisitor)?;
        deserializer.end()?;
        Ok(view)
    }
}

/// A message read as [`crate::FlowMessage::Json`] reads its text, but in the pass of whoever deserializes it (the
/// validator reads it while reading its capture entry): its JSON-RPC members as spans of the input, or nothing when
/// the JSON value is not an object. Hand it over as [`crate::FlowMessage::Read`].
#[derive(Debug)]
pub struct ReadMessage<'a>(pub(crate) Option<MessageView<'a>>);

impl ReadMessage<'_> {
    /// What a JSON value that is not an object reads as.
    pub fn not_an_object() -> ReadMessage<'static> {
        ReadMessage(None)
    }
}

impl<'de> serde::Deserialize<'de> for ReadMessage<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ViewVisitor).map(ReadMessage)
    }
}

const MESSAGE_MEMBERS: [&str; 5] = ["id", "method", "params", "result", "error"];

struct ViewVisitor;

impl<'de> Visitor<'de> for ViewVisitor {
    type Value = Option<MessageView<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut view = MessageView::default();
        // The last of duplicate members counts, as in a `Value`.
        while let Some(key) = map.next_key_seed(KeyIndex(&MESSAGE_MEMBERS))? {
            match key {
                Some(0) => view.id = Some(map.next_value()?),
                Some(1) => {
                    view.method = Some(match map.next_value_seed(ScalarSeed)? {
                        Scalar::Str(method) => Some(method),
                        _ => None,
                    })
                }
                Some(2) => view.params = Some(map.next_value()?),
                Some(3) => view.result = Some(map.next_value()?),
                Some(_) => {
                    map.next_value::<IgnoredAny>()?;
                    view.error = true;
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(view))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}
