//! The fast path for the high-volume frames of a capture.
//!
//! Most of a real capture is `item/agentMessage/delta` notifications and realtime audio deltas. Building a
//! `serde_json::Value` and running the JSON Schema engine on each of them costs several times the parse. This module
//! reads a frame once into borrowed typed structs and answers one question: is this frame one the slow path would
//! find nothing wrong with? It only says yes when it is sure:
//!
//! - an entry or bare message holding exactly `{method:"item/agentMessage/delta", params:{threadId, turnId, itemId,
//!   delta}}` with string members, a valid `ThreadId`, no other member anywhere and no duplicate key, sent app-server
//!   → client. Equal in meaning to `JsonRpcNotification` + `AgentMessageDeltaNotification` (checked against the IR
//!   at start-up by [`matches_contract`]; the fast path switches itself off when the contract changes);
//! - a realtime event whose `type` is not one of the function-call events: the slow path checks nothing in it. Its
//!   other members (the 8 KB base64 `delta`) are skipped with `IgnoredAny`, never decoded into a string.
//!
//! Every other frame, and every frame this module cannot read (escaped keys, duplicates, odd shapes), goes to the
//! slow path, so diagnostics are the slow path's by construction. `tests/fast_path.rs` checks both paths agree.

use std::borrow::Cow;
use std::fmt;

use handoff_schema::{Direction, Ir, Presence, TypeKind, TypeRef};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::check::REALTIME_SERVER_ID;

pub const DELTA_METHOD: &str = "item/agentMessage/delta";

/// True when the frame is certainly clean and no flow rule reads it; false sends it to the slow path.
pub fn is_clean(text: &str) -> bool {
    probe(text).is_some()
}

fn probe(text: &str) -> Option<()> {
    let top: Obj<'_> = serde_json::from_str(text).ok()?;
    if top.json.is_some() && top.dir.is_some() {
        let direction = top.dir.as_deref()?;
        if direction != "in" && direction != "out" {
            return None;
        }
        let server_id = top.server_id?;
        let message = top.json?;
        if &*server_id == REALTIME_SERVER_ID {
            let kind = message.kind.as_deref()?;
            let checked =
                ["conversation.item.created", "response.output_item.done", "response.function_call_arguments.done"];
            return (!checked.contains(&kind)).then_some(());
        }
        if direction != "in" {
            return None;
        }
        delta(*message)
    } else if top.json.is_none() && top.dir.is_none() {
        delta(top)
    } else {
        None
    }
}

/// An agent-message delta with exactly the contract's members, sent app-server → client.
fn delta(message: Obj<'_>) -> Option<()> {
    let Obj { method, params, other, ts_ms, dir, server_id, json, kind } = message;
    if other || ts_ms || dir.is_some() || server_id.is_some() || json.is_some() || kind.is_some() {
        return None;
    }
    if method.as_deref()? != DELTA_METHOD {
        return None;
    }
    is_thread_id(&params?.thread_id).then_some(())
}

/// `ThreadId`: 1 to 128 characters, a letter or digit, then letters, digits and `_.:-` (all ASCII, so bytes =
/// characters once the pattern holds).
fn is_thread_id(s: &str) -> bool {
    let bytes = s.as_bytes();
    (1..=128).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes[1..].iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

/// True when the contract still defines the delta notification and `ThreadId` exactly as this module assumes.
pub fn matches_contract(ir: &Ir) -> bool {
    let Some(method) = ir.method(DELTA_METHOD) else { return false };
    if method.params.as_deref() != Some("AgentMessageDeltaNotification")
        || method.direction != Direction::ServerNotification
    {
        return false;
    }
    // The envelope: an open object whose only required member is the string `method`, `params` any JSON.
    let Some(TypeKind::Struct(envelope)) = ir.types.get("JsonRpcNotification").map(|t| &t.kind) else {
        return false;
    };
    let envelope_ok = !envelope.closed
        && envelope.fields.iter().all(|f| match f.wire_name.as_str() {
            "method" => f.ty == TypeRef::String,
            "params" => f.ty == TypeRef::Any && !f.presence.is_required(),
            _ => !f.presence.is_required(),
        });
    if !envelope_ok {
        return false;
    }
    let Some(TypeKind::Struct(params)) = ir.types.get("AgentMessageDeltaNotification").map(|t| &t.kind) else {
        return false;
    };
    let mut fields: Vec<(&str, &TypeRef, Presence, usize)> =
        params.fields.iter().map(|f| (f.wire_name.as_str(), &f.ty, f.presence, f.aliases.len())).collect();
    fields.sort_by_key(|f| f.0);
    let thread_id = TypeRef::Named("ThreadId".into());
    let expected = [
        ("delta", &TypeRef::String, Presence::Required, 0),
        ("itemId", &TypeRef::String, Presence::Required, 0),
        ("threadId", &thread_id, Presence::Required, 0),
        ("turnId", &TypeRef::String, Presence::Required, 0),
    ];
    if fields != expected {
        return false;
    }
    let Some(TypeKind::Newtype(id)) = ir.types.get("ThreadId").map(|t| &t.kind) else { return false };
    let c = &id.constraints;
    c.min_length == Some(1)
        && c.max_length == Some(128)
        && c.pattern.as_deref() == Some("^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
        && c.minimum.is_none()
        && c.maximum.is_none()
        && c.excluded.is_empty()
}

/// A string borrowed from the input when it has no escapes, owned otherwise.
struct Str<'a>(Cow<'a, str>);

impl std::ops::Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
        }
        // `Str<'de>` shortens to `Str<'a>`: `Cow` is covariant.
        deserializer.deserialize_str(StrVisitor)
    }
}

/// Any JSON string, checked and dropped.
struct AnyStr;

impl<'de> Deserialize<'de> for AnyStr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AnyStrVisitor;
        impl Visitor<'_> for AnyStrVisitor {
            type Value = AnyStr;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E>(self, _: &str) -> Result<AnyStr, E> {
                Ok(AnyStr)
            }
        }
        deserializer.deserialize_str(AnyStrVisitor)
    }
}

/// `AgentMessageDeltaNotification`: four required strings, nothing else (serde rejects unknown and duplicate
/// members).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeltaParams<'a> {
    #[serde(rename = "threadId", borrow)]
    thread_id: Str<'a>,
    #[serde(rename = "turnId")]
    #[allow(dead_code)]
    turn_id: AnyStr,
    #[serde(rename = "itemId")]
    #[allow(dead_code)]
    item_id: AnyStr,
    #[allow(dead_code)]
    delta: AnyStr,
}

/// The members of an entry or a message the fast path looks at; `other` records that any other member exists.
#[derive(Default)]
struct Obj<'a> {
    ts_ms: bool,
    dir: Option<Str<'a>>,
    server_id: Option<Str<'a>>,
    json: Option<Box<Obj<'a>>>,
    method: Option<Str<'a>>,
    params: Option<DeltaParams<'a>>,
    kind: Option<Str<'a>>,
    other: bool,
}

/// A duplicate key makes the frame the slow path's business (it keeps the last value; we do not guess).
fn duplicate<E: de::Error>(key: &str) -> E {
    E::custom(format_args!("duplicate key `{key}`"))
}

impl<'de> Deserialize<'de> for Obj<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ObjVisitor)
    }
}

struct ObjVisitor;

impl<'de> Visitor<'de> for ObjVisitor {
    type Value = Obj<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object, or a string holding one")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Obj<'de>, A::Error> {
        let mut obj = Obj::default();
        let mut seen_other: Vec<&'de str> = Vec::new();
        // Keys with escapes are not `&'de str`: the error sends the frame to the slow path.
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "ts_ms" => {
                    if obj.ts_ms {
                        return Err(duplicate(key));
                    }
                    obj.ts_ms = true;
                    map.next_value::<IgnoredAny>()?;
                }
                "dir" => set(&mut obj.dir, map.next_value()?, key)?,
                "server_id" => set(&mut obj.server_id, map.next_value()?, key)?,
                "json" => set(&mut obj.json, Box::new(map.next_value::<Json<'de>>()?.0), key)?,
                "method" => {
                    let method: Str<'de> = map.next_value()?;
                    // Any other method is the slow path's: stop reading now rather than at the end.
                    if &*method != DELTA_METHOD {
                        return Err(de::Error::custom("not a delta"));
                    }
                    set(&mut obj.method, method, key)?;
                }
                // Requests and responses are the slow path's too (realtime events carry no `id`).
                "id" | "result" | "error" => return Err(de::Error::custom("not a notification")),
                "params" => set(&mut obj.params, map.next_value()?, key)?,
                "type" => set(&mut obj.kind, map.next_value()?, key)?,
                _ => {
                    if seen_other.contains(&key) {
                        return Err(duplicate(key));
                    }
                    // Few members per frame: a linear scan beats hashing.
                    seen_other.push(key);
                    obj.other = true;
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(obj)
    }
}

fn set<T, E: de::Error>(slot: &mut Option<T>, value: T, key: &str) -> Result<(), E> {
    if slot.is_some() {
        return Err(duplicate(key));
    }
    *slot = Some(value);
    Ok(())
}

/// The `json` member: the message object itself, or a string holding it (the recorder's dump).
struct Json<'a>(Obj<'a>);

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct JsonVisitor;
        impl<'de> Visitor<'de> for JsonVisitor {
            type Value = Json<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a message object or a string holding one")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Json<'de>, A::Error> {
                ObjVisitor.visit_map(map).map(Json)
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Json<'de>, E> {
                serde_json::from_str::<Obj<'de>>(v).map(Json).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Json<'de>, E> {
                let inner = serde_json::from_str::<Obj<'_>>(v).map_err(E::custom)?;
                Ok(Json(inner.into_owned()))
            }
        }
        deserializer.deserialize_any(JsonVisitor)
    }
}

impl Obj<'_> {
    fn into_owned(self) -> Obj<'static> {
        let own = |s: Str<'_>| Str(Cow::Owned(s.0.into_owned()));
        Obj {
            ts_ms: self.ts_ms,
            dir: self.dir.map(own),
            server_id: self.server_id.map(own),
            json: self.json.map(|j| Box::new(j.into_owned())),
            method: self.method.map(own),
            params: self.params.map(|p| DeltaParams {
                thread_id: own(p.thread_id),
                turn_id: p.turn_id,
                item_id: p.item_id,
                delta: p.delta,
            }),
            kind: self.kind.map(own),
            other: self.other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(text: &str) -> &'static str {
        if is_clean(text) { "fast" } else { "slow" }
    }

    #[test]
    fn the_canonical_contract_allows_the_fast_path() {
        let contract = handoff_schema::Contract::canonical().unwrap();
        assert!(matches_contract(&contract.ir));
    }

    #[test]
    fn a_changed_contract_switches_the_fast_path_off() {
        let canonical = handoff_schema::Contract::canonical().unwrap().document;
        let edits: [(&str, serde_json::Value); 3] = [
            ("/$defs/ThreadId/maxLength", serde_json::json!(64)),
            ("/$defs/AgentMessageDeltaNotification/properties/delta/type", serde_json::json!("integer")),
            ("/x-rpc/item~1agentMessage~1delta/direction", serde_json::json!("client_notification")),
        ];
        for (pointer, value) in edits {
            let mut document = canonical.clone();
            *document.pointer_mut(pointer).unwrap() = value;
            let contract = handoff_schema::Contract::from_value(document).unwrap();
            assert!(!matches_contract(&contract.ir), "{pointer}");
        }
    }

    #[test]
    fn takes_only_frames_it_is_sure_of() {
        let params = r#"{"threadId":"thr_1","turnId":"t","itemId":"i","delta":"hi"}"#;
        let entry = |dir: &str, sid: &str, json: &str| {
            format!(r#"{{"ts_ms":1,"dir":"{dir}","server_id":"{sid}","json":{json}}}"#)
        };
        let message = format!(r#"{{"method":"item/agentMessage/delta","params":{params}}}"#);
        assert_eq!(decided(&entry("in", "bigpc", &message)), "fast");
        assert_eq!(decided(&message), "fast");
        assert_eq!(decided(&entry("in", "bigpc", &serde_json::to_string(&message).unwrap())), "fast");
        // Sent the wrong way, extra members, a bad thread id, another method, duplicates: the slow path decides.
        assert_eq!(decided(&entry("out", "bigpc", &message)), "slow");
        assert_eq!(decided(&message.replace("\"params\"", "\"id\":1,\"params\"")), "slow");
        assert_eq!(decided(&message.replace("thr_1", "thr 1")), "slow");
        assert_eq!(decided(&message.replace("agentMessage", "plan")), "slow");
        assert_eq!(decided(&message.replace("\"delta\":\"hi\"", "\"delta\":\"hi\",\"delta\":\"x\"")), "slow");
        assert_eq!(decided(&message.replace("\"hi\"", "7")), "slow");
        let audio = r#"{"type":"response.output_audio.delta","event_id":"e","delta":"AAAA"}"#;
        assert_eq!(decided(&entry("in", "realtime", audio)), "fast");
        assert_eq!(decided(&entry("sideways", "realtime", audio)), "slow");
        let call = r#"{"type":"response.function_call_arguments.done","name":"codex","arguments":"{}"}"#;
        assert_eq!(decided(&entry("in", "realtime", call)), "slow");
        assert_eq!(decided(audio), "slow");
    }
}
