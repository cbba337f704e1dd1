//! The fast path for the high-volume frames of a capture.
//!
//! Most of a real capture is `item/agentMessage/delta` notifications, realtime audio deltas and the handoff's own
//! requests and answers. Building a `serde_json::Value` (an `IndexMap` per object) and running the JSON Schema engine
//! on each of them costs several times the parse. This module reads a frame once, in place, into borrowed typed
//! structs and takes it only when it is sure what the slow path would make of it:
//!
//! - clean, nothing for the flow rules ([`Fast::Clean`]): an `item/agentMessage/delta` notification holding exactly
//!   `{method, params:{threadId, turnId, itemId, delta}}` with string members and a valid `ThreadId`, sent app-server
//!   → client (equal in meaning to `JsonRpcNotification` + `AgentMessageDeltaNotification`, checked against the IR
//!   at start-up by [`matches_contract`]); `turn/started` and `turn/completed` holding exactly `{method,
//!   params:{threadId, turn:{id, status?}}}` with a `TurnStatus` status; a realtime event whose `type` is not one of
//!   the function-call events (the slow path checks nothing in it; the 8 KB base64 `delta` is skipped with
//!   `IgnoredAny`, never decoded);
//! - a request whose envelope and params are clean ([`Fast::Request`]): `resolveHandoff` `{threadId,
//!   toolCallOutput}`, `finalizeHandoff` `{threadId}`, `thread/resume` `{threadId, excludeTurns?}` and `turn/start`
//!   `{threadId, input:[{type:"text", text}…]}`, with a string or int64 `id`, sent client → app-server. What is left
//!   (its id, the flow step) is done in capture order by the checker, without a `Value`;
//! - a response `{id, result}` ([`Fast::Response`]): the envelope is clean; the result is parsed as the slow path
//!   parses it and checked against the answered request's result def by the real validator.
//!
//! No other member anywhere, no duplicate key, no escaped key. The kinds beyond deltas and realtime events are only
//! taken while the defs they rely on are exactly what this module assumes ([`rpc_matches_contract`], descriptions
//! aside); any change to the contract there switches them off. Every other frame goes to the slow path, so
//! diagnostics are the slow path's by construction; `tests/fast_path.rs` checks both paths agree on every fixture
//! and on generated near-miss frames of every kind.

use std::borrow::Cow;
use std::fmt;

use codex_handoff_contract::ThreadId;
use codex_handoff_contract::methods;
use handoff_schema::{Direction, Ir, Presence, TypeKind, TypeRef};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use crate::check::REALTIME_SERVER_ID;
use crate::flow::FlowDirection;
use crate::requests::RequestId;

// Method names come from the generated method table, like everywhere else.
pub const DELTA_METHOD: &str = methods::ITEM_AGENT_MESSAGE_DELTA;
pub const RESOLVE_METHOD: &str = methods::THREAD_REALTIME_RESOLVE_HANDOFF;
pub const FINALIZE_METHOD: &str = methods::THREAD_REALTIME_FINALIZE_HANDOFF;
pub const RESUME_METHOD: &str = methods::THREAD_RESUME;
pub const TURN_START_METHOD: &str = methods::TURN_START;
pub const TURN_STARTED_METHOD: &str = methods::TURN_STARTED;
pub const TURN_COMPLETED_METHOD: &str = methods::TURN_COMPLETED;

/// `TurnStatus`.
const TURN_STATUSES: [&str; 4] = ["completed", "interrupted", "failed", "inProgress"];

/// True when the frame is certainly clean and no flow rule reads it; false sends it to the slow path.
pub fn is_clean(text: &str) -> bool {
    matches!(read(text, false), Some(Fast::Clean))
}

/// What the fast path made of a frame it is sure about.
#[derive(Debug)]
pub enum Fast {
    /// Nothing to report and nothing for the flow rules.
    Clean,
    /// A `resolveHandoff` or `finalizeHandoff` request whose envelope and params are clean: only its id (request
    /// tracking) and its voice thread (flow rules) are left to check, in capture order. `direction` is `None` for
    /// a bare message (inferred from the method table); `server_id` is empty then.
    Request {
        server_id: String,
        direction: Option<FlowDirection>,
        id: RequestId,
        method: &'static str,
        thread: ThreadId,
    },
    /// A response `{id, result}` with exactly those members: the envelope is clean. The result is parsed as the
    /// slow path parses it; the result def of the request it answers is checked on it in capture order.
    Response { server_id: String, direction: Option<FlowDirection>, id: RequestId, result: Value },
}

/// Reads a frame; `None` sends it to the slow path. Request and response kinds only with `rpc` (their defs
/// still mean what this module assumes, see [`rpc_matches_contract`]).
pub fn read(text: &str, rpc: bool) -> Option<Fast> {
    // Read in place: the structs are a few hundred bytes, and moving them around per frame shows in a profile.
    let mut top = Obj::default();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer.deserialize_any(TopVisitor(&mut top)).ok()?;
    deserializer.end().ok()?;
    let Obj { entry, message } = top;
    if entry.has_json && entry.dir.is_some() {
        let direction = match entry.dir? {
            Dir::In => FlowDirection::ServerToClient,
            Dir::Out => FlowDirection::ClientToServer,
            Dir::Other => return None,
        };
        let server_id = entry.server_id?;
        let message = entry.json;
        if &*server_id == REALTIME_SERVER_ID {
            let function_call_event = message.kind?;
            let plain = message.method.is_none() && message.id.is_none() && message.params.is_none();
            return (plain && !function_call_event).then_some(Fast::Clean);
        }
        app_server(message, Some(direction), server_id, rpc)
    } else if !entry.has_json && entry.dir.is_none() && !entry.ts_ms && entry.server_id.is_none() {
        app_server(message, None, Str(Cow::Borrowed("")), rpc)
    } else {
        None
    }
}

/// An app-server message with exactly the contract's members, of a kind the fast path takes.
fn app_server(message: Msg<'_>, direction: Option<FlowDirection>, server_id: Str<'_>, rpc: bool) -> Option<Fast> {
    let Msg { method, params, id, result, other, kind } = message;
    if other || kind.is_some() {
        return None;
    }
    match (method, id, result.is_some(), params) {
        (Some(DELTA_METHOD), None, false, Some(params)) => {
            let sent_right = direction != Some(FlowDirection::ClientToServer);
            (sent_right && params.is(&[DELTA_MEMBERS]) && is_thread_id(params.thread_id.as_deref()?))
                .then_some(Fast::Clean)
        }
        (Some(TURN_STARTED_METHOD | TURN_COMPLETED_METHOD), None, false, Some(params)) if rpc => {
            // Not a flow step (the flow rules read no turn notification): clean is all there is to know.
            let sent_right = direction != Some(FlowDirection::ClientToServer);
            (sent_right && params.is(&[TURN_MEMBERS]) && is_thread_id(params.thread_id.as_deref()?))
                .then_some(Fast::Clean)
        }
        (
            Some(method @ (RESOLVE_METHOD | FINALIZE_METHOD | RESUME_METHOD | TURN_START_METHOD)),
            Some(id),
            false,
            Some(params),
        ) if rpc => {
            let members: &[u8] = match method {
                RESOLVE_METHOD => &[RESOLVE_MEMBERS],
                FINALIZE_METHOD => &[THREAD_ONLY],
                RESUME_METHOD => &[THREAD_ONLY, THREAD_ID | EXCLUDE_TURNS],
                _ => &[THREAD_ID | INPUT],
            };
            let thread = params.thread_id.as_deref()?;
            if direction == Some(FlowDirection::ServerToClient) || !params.is(members) || !is_thread_id(thread) {
                return None;
            }
            // The flow reads the thread as the router's type; one it does not take is the slow path's.
            let thread = ThreadId::new(thread).ok()?;
            let server_id = server_id.0.into_owned();
            Some(Fast::Request { server_id, direction, id: id.0, method, thread })
        }
        (None, Some(id), true, None) if rpc => {
            let result = result?;
            Some(Fast::Response { server_id: server_id.0.into_owned(), direction, id: id.0, result })
        }
        _ => None,
    }
}

/// Which params members a frame carries, as bits.
const THREAD_ID: u8 = 1;
const TURN_ID: u8 = 2;
const ITEM_ID: u8 = 4;
const DELTA: u8 = 8;
const TOOL_CALL_OUTPUT: u8 = 16;
/// `turn`: a `Turn` with a string `id` and, optionally, a `TurnStatus` `status`, nothing else.
const TURN: u8 = 32;
/// `excludeTurns`: a boolean or null.
const EXCLUDE_TURNS: u8 = 64;
/// `input`: an array of text inputs `{type:"text", text}`, nothing else.
const INPUT: u8 = 128;
const DELTA_MEMBERS: u8 = THREAD_ID | TURN_ID | ITEM_ID | DELTA;
const RESOLVE_MEMBERS: u8 = THREAD_ID | TOOL_CALL_OUTPUT;
const THREAD_ONLY: u8 = THREAD_ID;
const TURN_MEMBERS: u8 = THREAD_ID | TURN;

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

/// True when the envelopes, `RequestId`, `ThreadId`, the params defs of the fast requests and turn notifications
/// (with `Turn`, `TurnStatus` and `UserInput`) and their x-rpc entries are exactly what the fast kinds beyond deltas
/// assume (descriptions aside). Any change to them switches those kinds off; results are checked by the real
/// validators.
pub fn rpc_matches_contract(document: &Value) -> bool {
    let def = |name: &str| document.get("$defs").and_then(|defs| defs.get(name)).map(without_descriptions);
    let expected = serde_json::json!({
        "JsonRpcRequest": {"type": "object", "properties": {"id": {"$ref": "#/$defs/RequestId"},
            "method": {"type": "string"}, "params": {},
            "trace": {"anyOf": [{"$ref": "#/$defs/TraceContext"}, {"type": "null"}]}}, "required": ["id", "method"]},
        "JsonRpcResponse": {"type": "object", "properties": {"id": {"$ref": "#/$defs/RequestId"}, "result": {}},
            "required": ["id", "result"]},
        "RequestId": {"anyOf": [{"type": "string"}, {"type": "integer", "format": "int64"}]},
        "ThreadId": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[A-Za-z0-9][A-Za-z0-9_.:-]*$"},
        "ThreadRealtimeResolveHandoffParams": {"type": "object", "properties": {"threadId": {"$ref": "#/$defs/ThreadId"},
            "toolCallOutput": {"type": "string"}}, "required": ["threadId", "toolCallOutput"]},
        "ThreadRealtimeFinalizeHandoffParams": {"type": "object",
            "properties": {"threadId": {"$ref": "#/$defs/ThreadId"}}, "required": ["threadId"]},
        "JsonRpcNotification": {"type": "object", "properties": {"method": {"type": "string"}, "params": {}},
            "required": ["method"]},
        "TurnStartedNotification": {"type": "object", "properties": {"threadId": {"$ref": "#/$defs/ThreadId"},
            "turn": {"$ref": "#/$defs/Turn"}}, "required": ["threadId", "turn"]},
        "TurnCompletedNotification": {"type": "object", "properties": {"threadId": {"$ref": "#/$defs/ThreadId"},
            "turn": {"$ref": "#/$defs/Turn"}}, "required": ["threadId", "turn"]},
        "Turn": {"type": "object", "properties": {"id": {"type": "string"}, "status": {"$ref": "#/$defs/TurnStatus"},
            "items": {"type": "array", "items": true}, "error": {}}, "required": ["id"]},
        "TurnStatus": {"type": "string", "enum": TURN_STATUSES},
        "UserInput": {"oneOf": [{"$ref": "#/$defs/TextUserInput"}, {"$ref": "#/$defs/OtherUserInput"}]},
        "TextUserInput": {"type": "object", "properties": {"type": {"const": "text"}, "text": {"type": "string"}},
            "required": ["type", "text"]},
        "OtherUserInput": {"type": "object", "properties": {"type": {"type": "string", "not": {"enum": ["text"]}}},
            "required": ["type"]},
    });
    let defs_ok =
        expected.as_object().is_some_and(|defs| defs.iter().all(|(name, want)| def(name).as_ref() == Some(want)));
    let rpc = |method: &str, direction: &str, params: &str| {
        document.get("x-rpc").and_then(|table| table.get(method)).is_some_and(|entry| {
            entry.get("direction").and_then(Value::as_str) == Some(direction)
                && entry.get("params").and_then(Value::as_str) == Some(params)
        })
    };
    defs_ok
        && rpc(RESOLVE_METHOD, "client_request", "#/$defs/ThreadRealtimeResolveHandoffParams")
        && rpc(FINALIZE_METHOD, "client_request", "#/$defs/ThreadRealtimeFinalizeHandoffParams")
        && rpc(RESUME_METHOD, "client_request", "#/$defs/ThreadResumeParams")
        && rpc(TURN_START_METHOD, "client_request", "#/$defs/TurnStartParams")
        && object_def_takes(
            document,
            "ThreadResumeParams",
            &["threadId"],
            &[
                ("threadId", serde_json::json!({"$ref": "#/$defs/ThreadId"})),
                ("excludeTurns", serde_json::json!({"type": ["boolean", "null"]})),
            ],
        )
        && object_def_takes(
            document,
            "TurnStartParams",
            &["threadId", "input"],
            &[
                ("threadId", serde_json::json!({"$ref": "#/$defs/ThreadId"})),
                ("input", serde_json::json!({"type": "array", "items": {"$ref": "#/$defs/UserInput"}})),
            ],
        )
        && rpc(TURN_STARTED_METHOD, "server_notification", "#/$defs/TurnStartedNotification")
        && rpc(TURN_COMPLETED_METHOD, "server_notification", "#/$defs/TurnCompletedNotification")
}

/// True when def `name` is an object def whose required members are exactly `required`, whose members `members`
/// have exactly the given schemas (descriptions aside), and which says nothing else that could reject a frame
/// holding only those members (its other members are optional and not looked at).
fn object_def_takes(document: &Value, name: &str, required: &[&str], members: &[(&str, Value)]) -> bool {
    let Some(Value::Object(def)) = document.get("$defs").and_then(|defs| defs.get(name)) else { return false };
    let known = ["type", "properties", "required", "additionalProperties", "description"];
    if !def.keys().all(|key| known.contains(&key.as_str())) || def.get("type") != Some(&Value::from("object")) {
        return false;
    }
    let required_ok = def.get("required").and_then(Value::as_array).is_some_and(|list| {
        list.len() == required.len() && list.iter().zip(required).all(|(a, b)| a.as_str() == Some(*b))
    });
    let properties = def.get("properties").and_then(Value::as_object);
    required_ok
        && members.iter().all(|(member, schema)| {
            properties.and_then(|p| p.get(*member)).map(without_descriptions).as_ref() == Some(schema)
        })
}

/// A schema without its `description` annotations (members named `description` are kept).
fn without_descriptions(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| key.as_str() != "description")
                .map(|(key, value)| {
                    let value = if key == "properties" {
                        match value {
                            Value::Object(members) => Value::Object(
                                members
                                    .iter()
                                    .map(|(name, member)| (name.clone(), without_descriptions(member)))
                                    .collect(),
                            ),
                            other => other.clone(),
                        }
                    } else {
                        without_descriptions(value)
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_descriptions).collect()),
        other => other.clone(),
    }
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

/// The params members the fast kinds use, all strings; any other member, a duplicate or another type fails the
/// read (the frame goes to the slow path).
#[derive(Default)]
struct Params<'a> {
    thread_id: Option<Str<'a>>,
    /// Bits of the members present.
    present: u8,
}

impl Params<'_> {
    /// True when exactly one of `shapes` is the set of members present.
    fn is(&self, shapes: &[u8]) -> bool {
        shapes.contains(&self.present)
    }
}

impl<'de> Deserialize<'de> for Params<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ParamsVisitor;
        impl<'de> Visitor<'de> for ParamsVisitor {
            type Value = Params<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("params")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Params<'de>, A::Error> {
                let mut params = Params::default();
                while let Some(key) = map.next_key::<&'de str>()? {
                    let bit = match key {
                        "threadId" => THREAD_ID,
                        "turnId" => TURN_ID,
                        "itemId" => ITEM_ID,
                        "delta" => DELTA,
                        "toolCallOutput" => TOOL_CALL_OUTPUT,
                        "turn" => TURN,
                        "excludeTurns" => EXCLUDE_TURNS,
                        "input" => INPUT,
                        _ => return Err(de::Error::custom("a member the fast path does not take")),
                    };
                    if params.present & bit != 0 {
                        return Err(duplicate(key));
                    }
                    params.present |= bit;
                    if bit == THREAD_ID {
                        params.thread_id = Some(map.next_value()?);
                    } else if bit == TURN {
                        map.next_value::<TurnObject>()?;
                    } else if bit == EXCLUDE_TURNS {
                        map.next_value::<Option<bool>>()?;
                    } else if bit == INPUT {
                        map.next_value::<TextInputs>()?;
                    } else {
                        map.next_value::<AnyStr>()?;
                    }
                }
                Ok(params)
            }
        }
        deserializer.deserialize_map(ParamsVisitor)
    }
}

/// A `Turn` as the fast path takes it: `{id, status?}`, `id` a string and `status` one of `TurnStatus`; anything
/// else (another member, a duplicate, another type or status) fails the read.
struct TurnObject;

impl<'de> Deserialize<'de> for TurnObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TurnVisitor;
        impl<'de> Visitor<'de> for TurnVisitor {
            type Value = TurnObject;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a turn")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TurnObject, A::Error> {
                let (mut id, mut status) = (false, false);
                while let Some(key) = map.next_key::<&'de str>()? {
                    match key {
                        "id" if !id => {
                            map.next_value::<AnyStr>()?;
                            id = true;
                        }
                        "status" if !status => {
                            let value: Str<'de> = map.next_value()?;
                            if !TURN_STATUSES.contains(&&*value) {
                                return Err(de::Error::custom("not a turn status"));
                            }
                            status = true;
                        }
                        _ => return Err(de::Error::custom("a member the fast path does not take")),
                    }
                }
                if id { Ok(TurnObject) } else { Err(de::Error::custom("a turn without an id")) }
            }
        }
        deserializer.deserialize_map(TurnVisitor)
    }
}

/// `turn/start` input as the fast path takes it: an array whose items are all exactly `{type:"text", text}` with a
/// string `text` (a `TextUserInput`; `OtherUserInput` excludes type "text", so `oneOf` holds).
struct TextInputs;

impl<'de> Deserialize<'de> for TextInputs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InputsVisitor;
        impl<'de> Visitor<'de> for InputsVisitor {
            type Value = TextInputs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("text inputs")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<TextInputs, A::Error> {
                while seq.next_element::<TextInput>()?.is_some() {}
                Ok(TextInputs)
            }
        }
        deserializer.deserialize_seq(InputsVisitor)
    }
}

struct TextInput;

impl<'de> Deserialize<'de> for TextInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InputVisitor;
        impl<'de> Visitor<'de> for InputVisitor {
            type Value = TextInput;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a text input")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TextInput, A::Error> {
                let (mut kind, mut text) = (false, false);
                while let Some(key) = map.next_key::<&'de str>()? {
                    match key {
                        "type" if !kind => {
                            let value: Str<'de> = map.next_value()?;
                            if &*value != "text" {
                                return Err(de::Error::custom("not a text input"));
                            }
                            kind = true;
                        }
                        "text" if !text => {
                            map.next_value::<AnyStr>()?;
                            text = true;
                        }
                        _ => return Err(de::Error::custom("a member the fast path does not take")),
                    }
                }
                if kind && text { Ok(TextInput) } else { Err(de::Error::custom("an incomplete text input")) }
            }
        }
        deserializer.deserialize_map(InputVisitor)
    }
}

/// A request id as the contract's `RequestId` takes it: a string or an integer that fits an `i64`. Floats (even
/// `1.0`) and bigger integers fail the read and go to the slow path.
struct Id(RequestId);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a 64-bit integer")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Id, E> {
                Ok(Id(RequestId::Int(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                i64::try_from(v).map(|v| Id(RequestId::Int(v))).map_err(E::custom)
            }
            fn visit_str<E>(self, v: &str) -> Result<Id, E> {
                Ok(Id(RequestId::Str(v.to_owned())))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

/// The members of an entry the fast path looks at, and those of the message when the frame is a bare message.
#[derive(Default)]
struct Obj<'a> {
    entry: EntryPart<'a>,
    message: Msg<'a>,
}

/// The entry members: `ts_ms`, `dir`, `server_id` and the message in `json`.
#[derive(Default)]
struct EntryPart<'a> {
    ts_ms: bool,
    dir: Option<Dir>,
    server_id: Option<Str<'a>>,
    has_json: bool,
    json: Msg<'a>,
}

/// The members of a message the fast path looks at; `other` records that any other member exists.
#[derive(Default)]
struct Msg<'a> {
    /// One of the fast path's methods (any other fails the read).
    method: Option<&'static str>,
    id: Option<Id>,
    /// `result`, parsed as the slow path parses it.
    result: Option<Value>,
    params: Option<Params<'a>>,
    /// `type`: whether it names a realtime event that carries a function call (the slow path checks those).
    kind: Option<bool>,
    other: bool,
}

/// An entry's `dir`.
#[derive(Clone, Copy)]
enum Dir {
    In,
    Out,
    Other,
}

/// Realtime events that carry a function call: the slow path checks them.
const FUNCTION_CALL_EVENTS: [&str; 3] =
    ["conversation.item.created", "response.output_item.done", "response.function_call_arguments.done"];

/// A duplicate key makes the frame the slow path's business (it keeps the last value; we do not guess).
fn duplicate<E: de::Error>(key: &str) -> E {
    E::custom(format_args!("duplicate key `{key}`"))
}

/// The top-level object of a frame, read into the `Obj` in place.
struct TopVisitor<'m, 'a>(&'m mut Obj<'a>);

impl<'de> Visitor<'de> for TopVisitor<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Obj { entry, message } = self.0;
        read_members(&mut map, Some(entry), message)
    }
}

/// Reads an object's members: the entry members into `entry` when it is given (otherwise they are other members),
/// the message members into `message`. Keys with escapes are not `&'de str`: the error sends the frame to the slow
/// path, as do duplicates and every method the fast path does not take.
fn read_members<'de, A: MapAccess<'de>>(
    map: &mut A,
    mut entry: Option<&mut EntryPart<'de>>,
    message: &mut Msg<'de>,
) -> Result<(), A::Error> {
    let mut seen_other: Vec<&'de str> = Vec::new();
    while let Some(key) = map.next_key::<&'de str>()? {
        match (key, entry.as_deref_mut()) {
            ("ts_ms", Some(entry)) => {
                if entry.ts_ms {
                    return Err(duplicate(key));
                }
                entry.ts_ms = true;
                map.next_value::<IgnoredAny>()?;
            }
            ("dir", Some(entry)) => {
                let dir: Str<'de> = map.next_value()?;
                let dir = match &*dir {
                    "in" => Dir::In,
                    "out" => Dir::Out,
                    _ => Dir::Other,
                };
                set(&mut entry.dir, dir, key)?;
            }
            ("server_id", Some(entry)) => set(&mut entry.server_id, map.next_value()?, key)?,
            ("json", Some(entry)) => {
                if entry.has_json {
                    return Err(duplicate(key));
                }
                map.next_value_seed(JsonSeed(&mut entry.json))?;
                entry.has_json = true;
            }
            ("method", _) => {
                let method: Str<'de> = map.next_value()?;
                // Any other method is the slow path's: stop reading now rather than at the end.
                let method = match &*method {
                    DELTA_METHOD => DELTA_METHOD,
                    TURN_STARTED_METHOD => TURN_STARTED_METHOD,
                    TURN_COMPLETED_METHOD => TURN_COMPLETED_METHOD,
                    RESOLVE_METHOD => RESOLVE_METHOD,
                    FINALIZE_METHOD => FINALIZE_METHOD,
                    RESUME_METHOD => RESUME_METHOD,
                    TURN_START_METHOD => TURN_START_METHOD,
                    _ => return Err(de::Error::custom("not a fast-path method")),
                };
                set(&mut message.method, method, key)?;
            }
            ("id", _) => set(&mut message.id, map.next_value()?, key)?,
            ("result", _) => set(&mut message.result, map.next_value()?, key)?,
            // Error responses are the slow path's.
            ("error", _) => return Err(de::Error::custom("an error response")),
            ("params", _) => set(&mut message.params, map.next_value()?, key)?,
            ("type", _) => {
                let kind: Str<'de> = map.next_value()?;
                set(&mut message.kind, FUNCTION_CALL_EVENTS.contains(&&*kind), key)?;
            }
            _ => {
                if seen_other.contains(&key) {
                    return Err(duplicate(key));
                }
                // Few members per frame: a linear scan beats hashing.
                seen_other.push(key);
                message.other = true;
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(())
}

fn set<T, E: de::Error>(slot: &mut Option<T>, value: T, key: &str) -> Result<(), E> {
    if slot.is_some() {
        return Err(duplicate(key));
    }
    *slot = Some(value);
    Ok(())
}

/// The `json` member: the message object itself, or a string holding it (the recorder's dump), read into `.0`.
struct JsonSeed<'m, 'a>(&'m mut Msg<'a>);

impl<'de> DeserializeSeed<'de> for JsonSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a message object or a string holding one")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        read_members(&mut map, None, self.0)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        message_text(v, self.0).map_err(E::custom)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        // Escaped text: the strings read from it borrow from this temporary, so they are copied out.
        let mut message = Msg::default();
        message_text(v, &mut message).map_err(E::custom)?;
        *self.0 = message.into_owned();
        Ok(())
    }
}

/// A `json` string's content: a message object, nothing else.
fn message_text<'v>(text: &'v str, message: &mut Msg<'v>) -> Result<(), serde_json::Error> {
    struct ObjectOnly<'m, 'a>(&'m mut Msg<'a>);
    impl<'de> Visitor<'de> for ObjectOnly<'_, 'de> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a message object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            read_members(&mut map, None, self.0)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer.deserialize_any(ObjectOnly(message))?;
    deserializer.end()
}

impl Msg<'_> {
    fn into_owned(self) -> Msg<'static> {
        let own = |s: Str<'_>| Str(Cow::Owned(s.0.into_owned()));
        Msg {
            method: self.method,
            id: self.id,
            result: self.result,
            params: self.params.map(|p| Params { thread_id: p.thread_id.map(own), present: p.present }),
            kind: self.kind,
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
