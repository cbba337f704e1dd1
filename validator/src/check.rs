//! Per-capture checking: classify each frame, check it against its def, track request ids, feed the flow rules.
//!
//! One [`CaptureCheck`] per input file, fed frames in capture order. Everything it keeps between frames is
//! bounded by what is open in the capture (unanswered requests, open handoffs), not by the capture's size.

use std::borrow::Cow;
use std::collections::BTreeMap;

use codex_handoff_contract::ThreadId;
use handoff_schema::{Direction, RpcMethod};
use serde_json::{Map, Value};

use crate::compiled::NodeId;
use crate::flow::{FlowCheck, FlowDirection, FlowFinding, FlowFrame, FlowId, FlowMessage, ReadMessage};
use crate::frame::{Cleared, Text};
use crate::report::{Diagnostic, Severity};
use crate::requests::{Answer, Pending, RequestId, RequestTable, ResultDef};
use crate::schemas::{self, Schemas, UnknownDef};
use crate::strict;

/// Server id of realtime API events in a capture.
pub const REALTIME_SERVER_ID: &str = "realtime";

/// Realtime events that carry a function call item, and the one that carries the call at top level.
/// `conversation.item.done` is the one upstream's app-server acts on (it turns the call into a handoff).
pub(crate) const ITEM_EVENTS: [&str; 3] =
    ["conversation.item.created", "conversation.item.done", "response.output_item.done"];
pub(crate) const ARGUMENTS_DONE_EVENT: &str = "response.function_call_arguments.done";

/// Whether a realtime event of type `kind` can carry a function call (and so is checked).
pub fn is_call_event(kind: &str) -> bool {
    ITEM_EVENTS.contains(&kind) || kind == ARGUMENTS_DONE_EVENT
}

pub mod rule {
    pub const PARSE: &str = "parse";
    pub const SCHEMA: &str = "schema";
    pub const UNKNOWN_METHOD: &str = "rpc/unknown-method";
    pub const ORPHAN_RESPONSE: &str = "rpc/orphan-response";
    pub const DUPLICATE_ID: &str = "rpc/duplicate-id";
    pub const UNKNOWN_MEMBER: &str = "strict/unknown-member";
}

/// How the checker runs. `fast_path` is the compiled check ([`crate::compiled`], [`crate::frame`]); switched
/// off, every frame takes the `Value` path and every def check goes to `jsonschema`, to prove it changes nothing.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    pub strict: bool,
    pub fast_path: bool,
}

/// Where a frame sits in its capture.
#[derive(Debug, Clone, Copy)]
pub struct Location {
    pub line: u64,
    pub index: Option<u64>,
}

impl Location {
    /// The opaque flow position: line in the high 32 bits, element index (or all ones) in the low 32.
    fn position(self) -> u64 {
        let line = self.line.min(u64::from(u32::MAX));
        let index = self.index.map_or(u64::from(u32::MAX), |i| i.min(u64::from(u32::MAX) - 1));
        (line << 32) | index
    }

    fn from_position(position: u64) -> Location {
        let index = position & u64::from(u32::MAX);
        Location { line: position >> 32, index: (index != u64::from(u32::MAX)).then_some(index) }
    }
}

/// The order-independent half of checking a frame, which runs on any thread: UTF-8, the compiled one-pass check,
/// JSON parsing. [`Text`] values are spans of the frame's bytes, handed to [`CaptureCheck::apply`] with it.
pub enum Prepared {
    /// The compiled check cleared the frame: nothing to report, nothing for the request table or the flow rules
    /// (which only count its app-server, `server_id`, as seen; `None` for a realtime event).
    Clean { server_id: Option<ShortText> },
    /// A clean request: its id is left to track, and for a flow step (`thread` set) the flow rules. `method`
    /// indexes `ir.methods`.
    Request { server_id: ShortText, direction: FlowDirection, id: RequestId, method: usize, thread: Option<ThreadId> },
    /// A clean message the flow rules read as a `Value` (`method` indexes `ir.methods`; `id` for a request): its id
    /// is left to track, and the frame is parsed for the flow rules in capture order, only if they read it.
    FlowValue { server_id: ShortText, direction: FlowDirection, id: Option<RequestId>, method: usize },
    /// A response whose envelope is clean: the request table, the answered method's result def (on `result`, the
    /// result's JSON text; `None` for an error response) and the flow rules are left.
    Response { server_id: ShortText, direction: Option<FlowDirection>, id: RequestId, result: Option<ShortText> },
    /// Not UTF-8 or not JSON: the `parse` message.
    Unparsable(String),
    /// Boxed, as the next one: rare, and the common variants stay small to move.
    Parsed(Box<Value>),
    /// A well-formed entry, read without building a map for the entry itself (the common case).
    Entry(Box<EntryParts>),
}

/// A frame's server id or a response's result text as [`CaptureCheck::apply`] reads it. Up to [`ShortText::INLINE`]
/// bytes are held whole, so that the capture-order half compares a server id with the server seen last (most
/// frames) and checks a short result (`{}`, the most common) without reading the frame's bytes again: on that thread
/// they are no longer in the cache. A longer text stays a span of the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShortText {
    /// The id's bytes, zero after `len`.
    Inline {
        len: u8,
        bytes: [u8; ShortText::INLINE],
    },
    Text(Text),
}

impl ShortText {
    pub const INLINE: usize = 22;

    /// `text`, read from `frame`.
    pub fn new(frame: &[u8], text: Text) -> ShortText {
        ShortText::inline(text.bytes(frame)).unwrap_or(ShortText::Text(text))
    }

    fn inline(text: &[u8]) -> Option<ShortText> {
        let mut bytes = [0; ShortText::INLINE];
        bytes.get_mut(..text.len())?.copy_from_slice(text);
        Some(ShortText::Inline { len: text.len() as u8, bytes })
    }

    /// The bytes, `frame` being the frame the pass read.
    pub fn bytes<'a>(&'a self, frame: &'a [u8]) -> &'a [u8] {
        match self {
            ShortText::Inline { len, bytes } => &bytes[..usize::from(*len)],
            ShortText::Text(text) => text.bytes(frame),
        }
    }

    /// The text (spans are UTF-8 text of the frame, as [`Text::str`] says; inline text was one).
    pub fn str<'a>(&'a self, frame: &'a [u8]) -> &'a str {
        match self {
            ShortText::Inline { .. } => std::str::from_utf8(self.bytes(frame)).unwrap_or_default(),
            ShortText::Text(text) => text.str(frame),
        }
    }
}

/// A well-formed entry's parts (see [`Prepared::Entry`]).
pub struct EntryParts {
    pub direction: FlowDirection,
    pub server_id: String,
    pub message: Map<String, Value>,
}

/// The members of a capture entry the checks use, the message parsed in the same pass.
#[derive(serde::Deserialize)]
struct EntryFrame<'a> {
    #[serde(borrow)]
    dir: Cow<'a, str>,
    #[serde(borrow)]
    server_id: Cow<'a, str>,
    json: EntryMessage,
}

/// The entry's message object, written inline or as a string holding it. Anything else fails the typed read.
struct EntryMessage(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for EntryMessage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MessageVisitor;
        impl<'de> serde::de::Visitor<'de> for MessageVisitor {
            type Value = EntryMessage;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a message object or a string holding one")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<EntryMessage, A::Error> {
                use serde::Deserialize;
                Map::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(EntryMessage)
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<EntryMessage, E> {
                serde_json::from_str::<Map<String, Value>>(text).map(EntryMessage).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(MessageVisitor)
    }
}

/// Reads a well-formed entry whose message is an object (inline or as a string). Anything else (a missing or
/// odd member, a duplicate, a message that is not an object) returns `None` and takes the `Value` path, which
/// owns every diagnostic about entries.
fn read_entry(text: &str) -> Option<Prepared> {
    let entry: EntryFrame<'_> = serde_json::from_str(text).ok()?;
    let direction = match &*entry.dir {
        "out" => FlowDirection::ClientToServer,
        "in" => FlowDirection::ServerToClient,
        _ => return None,
    };
    Some(Prepared::Entry(Box::new(EntryParts {
        direction,
        server_id: entry.server_id.into_owned(),
        message: entry.json.0,
    })))
}

pub fn prepare(schemas: &Schemas, options: CheckOptions, bytes: &[u8], last_unterminated: bool) -> Prepared {
    match std::str::from_utf8(bytes) {
        Ok(text) => prepare_text(schemas, options, text, last_unterminated),
        Err(error) => {
            let offset = error.valid_up_to();
            Prepared::Unparsable(format!("not valid UTF-8: invalid byte at offset {offset} of the frame"))
        }
    }
}

/// [`prepare`] for a frame already known to be UTF-8 (a batch of frames is checked as a whole).
pub fn prepare_text(schemas: &Schemas, options: CheckOptions, text: &str, last_unterminated: bool) -> Prepared {
    let bytes = text.as_bytes();
    // Every frame first goes through the compiled check, one streaming pass. What it clears needs nothing more
    // than its id tracked (requests) or its result checked once the answered method is known (responses); the
    // flow rules read none of it (`flow::reads_method`) but responses. Everything else (not clean, a flow step, a
    // realtime function call) takes the `Value` path below, whose def checks are compiled first too.
    // `tests/fast_path.rs` proves the diagnostics equal those of the `Value` path with `jsonschema` alone.
    if options.fast_path
        && let Some(frames) = &schemas.frames
        && let Ok(cleared) = frames.read(&schemas.compiled, options.strict, text)
    {
        match cleared {
            Cleared::Clean { server_id } => {
                return Prepared::Clean { server_id: server_id.map(|id| ShortText::new(bytes, id)) };
            }
            Cleared::Request { server_id, direction, id, method, thread } => {
                // The flow rules read the thread as the router's type; one it does not take is the `Value` path's.
                if let Ok(thread) = thread.map(|thread| thread_id(thread.str(bytes))).transpose() {
                    let server_id = ShortText::new(bytes, server_id);
                    return Prepared::Request { server_id, direction, id, method, thread };
                }
            }
            Cleared::FlowValue { server_id, direction, id, method } => {
                return Prepared::FlowValue { server_id: ShortText::new(bytes, server_id), direction, id, method };
            }
            Cleared::Response { server_id, direction, id, result } => {
                let (server_id, result) = (ShortText::new(bytes, server_id), result.map(|r| ShortText::new(bytes, r)));
                return Prepared::Response { server_id, direction, id, result };
            }
        }
    }
    // Entries are by far the most common frame; reading them typed saves building a map per frame.
    if options.fast_path
        && memchr::memmem::find(bytes, b"\"json\"").is_some()
        && let Some(prepared) = read_entry(text)
    {
        return prepared;
    }
    match serde_json::from_str(text) {
        Ok(value) => Prepared::Parsed(Box::new(value)),
        Err(error) if last_unterminated && error.is_eof() => {
            Prepared::Unparsable(format!("truncated last line (no newline at the end of the file): {error}"))
        }
        Err(error) => Prepared::Unparsable(format!("not JSON: {error}")),
    }
}

/// The router's [`ThreadId`] of a flow step's thread. Consecutive flow steps mostly name the same thread, so the
/// last one made on this thread is reused (a clone, as `ThreadId::new` of equal text is equal) instead of checking
/// the text against the id's pattern again.
fn thread_id(text: &str) -> Result<ThreadId, codex_handoff_contract::ConstraintError> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<ThreadId>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some(id) if id.as_str() == text => Ok(id.clone()),
        _ => {
            let id = ThreadId::new(text)?;
            *last = Some(id.clone());
            Ok(id)
        }
    })
}

/// Diagnostics listed per file; the rest are counted per rule.
pub const MAX_LISTED: usize = 100_000;

/// What a finished capture check hands back.
pub struct Finished {
    pub diagnostics: Vec<Diagnostic>,
    pub notes: Vec<String>,
    /// Diagnostics past [`MAX_LISTED`], counted by severity and rule.
    pub omitted: BTreeMap<(Severity, String), u64>,
}

pub struct CaptureCheck<'s> {
    schemas: &'s Schemas,
    options: CheckOptions,
    requests: RequestTable<'s>,
    flow: FlowCheck,
    flow_findings: Vec<FlowFinding>,
    diagnostics: Vec<Diagnostic>,
    omitted: BTreeMap<(Severity, String), u64>,
    /// The app-server the flow rules last counted as seen (they keep every one), so a run of frames from one server
    /// is counted once.
    last_seen: String,
    /// Its [`ShortText`] (a span, never equal to an inline key, when it is too long to be inline).
    last_seen_key: ShortText,
    /// Compiled result defs by the address of their name in the contract (each method's own string).
    result_nodes: foldhash::HashMap<usize, Option<NodeId>>,
}

impl<'s> CaptureCheck<'s> {
    pub fn new(schemas: &'s Schemas, options: CheckOptions) -> CaptureCheck<'s> {
        CaptureCheck {
            schemas,
            options,
            requests: RequestTable::default(),
            flow: FlowCheck::new(),
            flow_findings: Vec::new(),
            diagnostics: Vec::new(),
            omitted: BTreeMap::new(),
            last_seen: String::new(),
            last_seen_key: ShortText::Text(Text::Span(0..0)),
            result_nodes: Default::default(),
        }
    }

    /// Diagnostics listed so far, in the order found (the tap prints the new ones after each frame).
    pub fn listed(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// App-servers by id and display name (the capture's `servers` header, `--server`), for the flow rules.
    pub fn add_servers(&mut self, servers: Vec<crate::flow::ServerInfo>) {
        self.flow.add_servers(servers);
    }

    /// A problem the reader found (over-long frame, broken array, bad UTF-8).
    pub fn parse_error(&mut self, at: Location, message: String) {
        self.push(at, rule::PARSE, None, String::new(), message, Severity::Error);
    }

    /// The order-dependent half of checking a frame: classification, schema checks, ids and flow rules. `frame` is
    /// the frame [`prepare`] read (its [`Text`] spans point into it).
    pub fn apply(&mut self, at: Location, frame: &[u8], prepared: Prepared) {
        let value = match prepared {
            Prepared::Clean { server_id } => {
                if let Some(server_id) = &server_id {
                    self.saw_server_key(server_id, frame);
                }
                return;
            }
            Prepared::Request { server_id, direction, id, method, thread } => {
                self.saw_server_key(&server_id, frame);
                let server_id = server_id.str(frame);
                let rpc = &self.schemas.ir.methods[method];
                let method = rpc.name.as_str();
                self.track_request(at, server_id, direction, method, Some(rpc), Some(&id));
                if let Some(thread) = &thread {
                    let message = FlowMessage::Request { id: flow_id(&id), method, thread };
                    self.observe_flow(at, server_id, direction, message);
                }
                return;
            }
            Prepared::FlowValue { server_id, direction, id, method } => {
                self.saw_server_key(&server_id, frame);
                let server_id = server_id.str(frame);
                let rpc = &self.schemas.ir.methods[method];
                let method = rpc.name.as_str();
                if let Some(id) = &id {
                    self.track_request(at, server_id, direction, method, Some(rpc), Some(id));
                }
                // Requests are flow steps; a notification is parsed only when the flow rules read its params now.
                if id.is_some() || self.flow.reads_notification(server_id, method) {
                    // The pass read this frame as JSON with an app-server message in it; the flow rules read what they
                    // need of the message's text, typed, with the findings of its `Value`.
                    match read_message(frame) {
                        Some(FrameMessage::Read(message)) => {
                            self.observe_flow(at, server_id, direction, FlowMessage::Read(&message));
                        }
                        Some(FrameMessage::Text(message)) => {
                            self.observe_flow(at, server_id, direction, FlowMessage::Json(&message));
                        }
                        None => {}
                    }
                }
                return;
            }
            Prepared::Response { server_id, direction, id, result } => {
                self.saw_server_key(&server_id, frame);
                let server_id = server_id.str(frame);
                self.cleared_response(at, server_id, direction, id, result.as_ref().map(|r| r.bytes(frame)));
                return;
            }
            Prepared::Unparsable(message) => {
                self.parse_error(at, message);
                return;
            }
            Prepared::Parsed(value) => *value,
            Prepared::Entry(entry) => {
                let EntryParts { direction, server_id, message } = *entry;
                self.message(at, &server_id, direction, message);
                return;
            }
        };
        let Value::Object(mut object) = value else {
            self.parse_error(at, format!("a frame must be a JSON object, found {}", kind(&value)));
            return;
        };
        if object.contains_key("json") && object.contains_key("dir") {
            self.entry(at, object);
        } else {
            self.app_server(at, "", None, Value::Object(std::mem::take(&mut object)));
        }
    }

    /// A capture entry `{ts_ms, dir, server_id, json}`.
    fn entry(&mut self, at: Location, mut entry: Map<String, Value>) {
        let direction = match entry.get("dir").and_then(Value::as_str) {
            Some("out") => FlowDirection::ClientToServer,
            Some("in") => FlowDirection::ServerToClient,
            _ => {
                let message = "entry `dir` must be \"in\" (app-server to client) or \"out\" (client to app-server)";
                self.push(at, rule::PARSE, None, "/dir".into(), message.into(), Severity::Error);
                return;
            }
        };
        let server_id = match entry.get("server_id") {
            Some(Value::String(s)) => s.clone(),
            _ => {
                let message = "entry `server_id` must be a string".to_owned();
                self.push(at, rule::PARSE, None, "/server_id".into(), message, Severity::Error);
                return;
            }
        };
        let message = match entry.remove("json") {
            Some(Value::Object(message)) => message,
            Some(Value::String(text)) => match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(message)) => message,
                Ok(other) => {
                    let message = format!("the entry's `json` string must hold a JSON object, found {}", kind(&other));
                    self.push(at, rule::PARSE, None, "/json".into(), message, Severity::Error);
                    return;
                }
                Err(error) => {
                    let message = format!("the entry's `json` string is not JSON: {error}");
                    self.push(at, rule::PARSE, None, "/json".into(), message, Severity::Error);
                    return;
                }
            },
            other => {
                let found = other.as_ref().map_or("nothing", kind);
                let message = format!("entry `json` must be a message object or a string holding one, found {found}");
                self.push(at, rule::PARSE, None, "/json".into(), message, Severity::Error);
                return;
            }
        };
        self.message(at, &server_id, direction, message);
    }

    /// The message of an entry: a realtime event or an app-server frame.
    fn message(&mut self, at: Location, server_id: &str, direction: FlowDirection, message: Map<String, Value>) {
        if server_id == REALTIME_SERVER_ID {
            self.realtime(at, &message);
        } else {
            self.app_server(at, server_id, Some(direction), Value::Object(message));
        }
    }

    /// A JSON-RPC frame on an app-server connection. `direction` is `None` for bare messages: inferred.
    fn app_server(&mut self, at: Location, server_id: &str, direction: Option<FlowDirection>, message: Value) {
        let object = message.as_object().expect("frames are objects here");
        let has_id = object.contains_key("id");
        let direction = match object.get("method") {
            Some(method) => {
                let method = method.as_str();
                let envelope = if has_id { schemas::REQUEST_DEF } else { schemas::NOTIFICATION_DEF };
                self.check_def(at, method, envelope, &message, "");
                match method {
                    Some(method) => self.call(at, server_id, direction, method, has_id, object),
                    None => direction.unwrap_or(FlowDirection::ClientToServer),
                }
            }
            None if has_id => {
                let id = object.get("id").and_then(RequestId::from_value);
                let body = if object.contains_key("error") { Body::Error } else { Body::Value(object.get("result")) };
                self.response(at, server_id, direction, id.as_ref(), body, Some(&message))
            }
            None => {
                let text = "not a JSON-RPC message: it has neither `method` nor `id`".to_owned();
                self.push(at, rule::SCHEMA, None, String::new(), text, Severity::Error);
                direction.unwrap_or(FlowDirection::ClientToServer)
            }
        };
        self.observe_flow(at, server_id, direction, FlowMessage::Value(&message));
    }

    /// A response the compiled check cleared (its envelope); `result` is the result's JSON text, `None` for an
    /// error. What [`Self::app_server`] does for it, in the same order, with a `Value` of the result only when the
    /// flow rules may read it or it is not clean.
    fn cleared_response(
        &mut self,
        at: Location,
        server_id: &str,
        direction: Option<FlowDirection>,
        id: RequestId,
        result: Option<&[u8]>,
    ) {
        let body = match result {
            Some(text) => Body::Text(text),
            None => Body::Error,
        };
        let direction = self.response(at, server_id, direction, Some(&id), body, None);
        // The flow rules read answers to the client's requests only.
        if direction != FlowDirection::ServerToClient {
            return;
        }
        match result {
            Some(text) => {
                // A result the flow rules do not read now is only "a response was recorded" to them: not parsed.
                let value = if self.flow.reads_result(server_id, flow_id(&id)) {
                    serde_json::from_slice(text).unwrap_or(Value::Null)
                } else {
                    Value::Null
                };
                let message = FlowMessage::Response { id: flow_id(&id), result: &value };
                self.observe_flow(at, server_id, direction, message);
            }
            None => {
                let id = match &id {
                    RequestId::Int(n) => Value::from(*n),
                    RequestId::Str(s) => Value::from(s.as_str()),
                };
                let message = Value::Object(Map::from_iter([("id".to_owned(), id), ("error".to_owned(), Value::Null)]));
                self.observe_flow(at, server_id, direction, FlowMessage::Value(&message));
            }
        }
    }

    /// A request (`has_id`) or notification; returns the direction it travelled.
    fn call(
        &mut self,
        at: Location,
        server_id: &str,
        direction: Option<FlowDirection>,
        method: &str,
        has_id: bool,
        object: &Map<String, Value>,
    ) -> FlowDirection {
        let schemas = self.schemas;
        let Some(rpc) = schemas.method(method) else {
            let text = format!("`{method}` is not a method of the contract's x-rpc table");
            self.push(at, rule::UNKNOWN_METHOD, Some(method), "/method".into(), text, Severity::Error);
            let direction = direction.unwrap_or(FlowDirection::ClientToServer);
            if has_id {
                let id = object.get("id").and_then(RequestId::from_value);
                self.track_request(at, server_id, direction, method, None, id.as_ref());
            }
            return direction;
        };
        let by_client = schemas::sent_by_client(rpc.direction);
        let expected = if by_client { FlowDirection::ClientToServer } else { FlowDirection::ServerToClient };
        let direction = direction.unwrap_or(expected);
        if direction != expected {
            let text =
                format!("`{method}` is {}, but this frame travels {}", describe(rpc.direction), arrow(direction));
            self.push(at, rule::SCHEMA, Some(method), "/method".into(), text, Severity::Error);
        }
        if has_id && !rpc.direction.is_request() {
            let text = format!("`{method}` is a notification and carries no `id`");
            self.push(at, rule::SCHEMA, Some(method), "/id".into(), text, Severity::Error);
        } else if !has_id && rpc.direction.is_request() {
            let text = format!("`{method}` is a request and needs an `id`");
            self.push(at, rule::SCHEMA, Some(method), String::new(), text, Severity::Error);
        }
        if let Some(def) = &rpc.params {
            match object.get("params") {
                Some(params) => self.check_def(at, Some(method), def, params, "/params"),
                None => {
                    let text = format!("`{method}` takes params ({def}) but the frame has no `params`");
                    self.push(at, rule::SCHEMA, Some(method), String::new(), text, Severity::Error);
                }
            }
        }
        if has_id {
            let id = object.get("id").and_then(RequestId::from_value);
            self.track_request(at, server_id, direction, method, Some(rpc), id.as_ref());
        }
        direction
    }

    fn track_request(
        &mut self,
        at: Location,
        server_id: &str,
        direction: FlowDirection,
        method: &str,
        rpc: Option<&'s RpcMethod>,
        id: Option<&RequestId>,
    ) {
        // An id that is neither a string nor an int64 was reported by the envelope check; it cannot be answered.
        let Some(id) = id else { return };
        let method_name = match rpc {
            Some(rpc) => Cow::Borrowed(rpc.name.as_str()),
            None => Cow::Owned(method.to_owned()),
        };
        let result_def = rpc.and_then(|rpc| self.result_def(rpc));
        let by_client = direction == FlowDirection::ClientToServer;
        if let Err(first) = self.requests.insert(server_id, by_client, id.clone(), method_name, result_def, at.line) {
            let text = format!(
                "request id {} is already used by the unanswered `{}` request on line {}",
                id.show(),
                first.method,
                first.line
            );
            self.push(at, rule::DUPLICATE_ID, Some(method), "/id".into(), text, Severity::Error);
        }
    }

    /// A response or error; returns the direction it travelled and whether the flow rules may read its result
    /// (it answers a request of a method they read, or no known request). `message` is the whole frame for the
    /// envelope check, `None` when the compiled check found the envelope clean.
    fn response(
        &mut self,
        at: Location,
        server_id: &str,
        direction: Option<FlowDirection>,
        id: Option<&RequestId>,
        body: Body<'_>,
        message: Option<&Value>,
    ) -> FlowDirection {
        // A response travels against the request it answers; bare captures try both directions.
        let candidates: &[FlowDirection] = match direction {
            Some(FlowDirection::ServerToClient) => &[FlowDirection::ClientToServer],
            Some(FlowDirection::ClientToServer) => &[FlowDirection::ServerToClient],
            None => &[FlowDirection::ClientToServer, FlowDirection::ServerToClient],
        };
        let mut answered: Option<(FlowDirection, Pending<'s>)> = None;
        let mut unknown = false;
        if let Some(id) = id {
            for &request_direction in candidates {
                let by_client = request_direction == FlowDirection::ClientToServer;
                match self.requests.answer(server_id, by_client, id) {
                    Answer::Request(pending) => {
                        answered = Some((request_direction, pending));
                        break;
                    }
                    Answer::Unknown => unknown = true,
                    Answer::Orphan => {}
                }
            }
        }
        let method = answered.as_ref().map(|(_, pending)| pending.method.as_ref());
        if let Some(message) = message {
            let envelope = if matches!(body, Body::Error) { schemas::ERROR_DEF } else { schemas::RESPONSE_DEF };
            self.check_def(at, method, envelope, message, "");
        }
        match &answered {
            Some((request_direction, pending)) => {
                let method = pending.method.as_ref();
                if let Some(def) = pending.result_def {
                    match body {
                        Body::Value(Some(result)) => self.check_def(at, Some(method), def.name, result, "/result"),
                        Body::Text(text) => self.check_result_text(at, method, def, text),
                        Body::Value(None) | Body::Error => {}
                    }
                }
                opposite(*request_direction)
            }
            None => {
                // `unknown`: the request may be one the table had to forget (see `requests.rs`); not reported.
                if let (Some(id), false) = (id, unknown) {
                    let scope = match direction {
                        Some(d) => format!(", {}", arrow(d)),
                        None => String::new(),
                    };
                    let server = if server_id.is_empty() { String::new() } else { format!(" on server `{server_id}`") };
                    let text =
                        format!("answers no unanswered request: no request with id {}{server}{scope}", id.show());
                    self.push(at, rule::ORPHAN_RESPONSE, None, "/id".into(), text, Severity::Error);
                }
                direction.unwrap_or(FlowDirection::ServerToClient)
            }
        }
    }

    /// A result given as JSON text (a span of a frame, so UTF-8): the compiled check in one pass, and only if that
    /// finds it not clean, the `Value` and `jsonschema` for the located diagnostics.
    fn check_result_text(&mut self, at: Location, method: &str, def: ResultDef<'_>, text: &[u8]) {
        let clean = match def.node {
            Some(node) => Ok(self.schemas.compiled.bytes_are_clean(node, self.options.strict, text)),
            None => self.schemas.bytes_are_clean(def.name, text, self.options.strict),
        };
        let def = def.name;
        match clean {
            Ok(true) => {}
            Ok(false) => match serde_json::from_slice::<Value>(text) {
                Ok(result) => self.check_def(at, Some(method), def, &result, "/result"),
                Err(error) => {
                    let text = format!("the result is not JSON: {error}");
                    self.push(at, rule::PARSE, Some(method), "/result".into(), text, Severity::Error);
                }
            },
            Err(unknown) => self.unknown_def(at, Some(method), "/result", unknown),
        }
    }

    /// A realtime API event: only function calls are checked, their arguments against the tool's def.
    fn realtime(&mut self, at: Location, event: &Map<String, Value>) {
        let Some(kind) = event.get("type").and_then(Value::as_str) else {
            let text = "a realtime event needs a string `type`".to_owned();
            self.push(at, rule::SCHEMA, None, "/type".into(), text, Severity::Error);
            return;
        };
        if ITEM_EVENTS.contains(&kind) {
            let Some(item) = event.get("item") else { return };
            if item.get("type").and_then(Value::as_str) != Some("function_call") {
                return;
            }
            let before = self.diagnostics.len();
            self.check_def(at, Some(kind), schemas::FUNCTION_CALL_DEF, item, "/item");
            if self.diagnostics[before..].iter().any(|d| d.severity == Severity::Error) {
                return;
            }
            let name = item["name"].as_str().unwrap_or_default();
            let arguments = item["arguments"].as_str().unwrap_or_default();
            self.tool_call(at, kind, name, arguments, "/item");
        } else if kind == ARGUMENTS_DONE_EVENT {
            let mut complete = true;
            for member in ["name", "arguments"] {
                if !event.get(member).is_some_and(Value::is_string) {
                    let text = format!("`{kind}` needs a string `{member}`");
                    self.push(at, rule::SCHEMA, Some(kind), format!("/{member}"), text, Severity::Error);
                    complete = false;
                }
            }
            if complete {
                let name = event["name"].as_str().unwrap_or_default();
                let arguments = event["arguments"].as_str().unwrap_or_default();
                self.tool_call(at, kind, name, arguments, "");
            }
        }
    }

    /// Checks a function call's JSON-string arguments against its tool's def; pointers continue into the string.
    fn tool_call(&mut self, at: Location, event: &str, name: &str, arguments: &str, prefix: &str) {
        let schemas = self.schemas;
        let Some(tool) = schemas.tool(name) else {
            let known: Vec<&str> = schemas.ir.realtime_tools.iter().map(|t| t.name.as_str()).collect();
            let text = format!("`{name}` is not a realtime tool of the contract (tools: {})", known.join(", "));
            self.push(at, rule::SCHEMA, Some(event), format!("{prefix}/name"), text, Severity::Error);
            return;
        };
        let mut value: Value = match serde_json::from_str(arguments) {
            Ok(value) => value,
            Err(error) => {
                let text = format!("the `{name}` call's arguments are not JSON: {error}");
                self.push(at, rule::SCHEMA, Some(event), format!("{prefix}/arguments"), text, Severity::Error);
                return;
            }
        };
        // Legacy member names (`server_hint`) stand for the current one; pointers keep the name the model used.
        let mut renamed = Vec::new();
        if let Value::Object(object) = &mut value {
            let aliases = match schemas.member_aliases(&tool.arguments) {
                Ok(aliases) => aliases,
                Err(unknown) => {
                    self.unknown_def(at, Some(event), &format!("{prefix}/arguments"), unknown);
                    return;
                }
            };
            for (alias, wire) in aliases {
                if !object.contains_key(&wire)
                    && let Some(member) = object.remove(&alias)
                {
                    object.insert(wire.clone(), member);
                    renamed.push((wire, alias));
                }
            }
        }
        let base = format!("{prefix}/arguments");
        if self.compiled_clean(&tool.arguments, &value) {
            return;
        }
        let violations = match schemas.check(&tool.arguments, &value) {
            Ok(violations) => violations,
            Err(unknown) => return self.unknown_def(at, Some(event), &base, unknown),
        };
        for violation in violations {
            let pointer = restore_alias(&violation.pointer, &renamed);
            self.push(at, rule::SCHEMA, Some(event), format!("{base}{pointer}"), violation.message, Severity::Error);
        }
        if self.options.strict {
            let unknown = match strict::unknown_members(&schemas.ir, &tool.arguments, &value) {
                Ok(unknown) => unknown,
                Err(unknown) => return self.unknown_def(at, Some(event), &base, unknown),
            };
            for pointer in unknown {
                let pointer = restore_alias(&pointer, &renamed);
                let text = format!("`{name}` arguments: member unknown to {}", tool.arguments);
                self.push(at, rule::UNKNOWN_MEMBER, Some(event), format!("{base}{pointer}"), text, Severity::Warning);
            }
        }
    }

    /// Whether the compiled check clears `value` against `def` (never with the compiled check switched off; an
    /// unknown def is not clean, and the `jsonschema` check that follows reports it).
    fn compiled_clean(&self, def: &str, value: &Value) -> bool {
        self.options.fast_path && self.schemas.is_clean(def, value, self.options.strict).unwrap_or(false)
    }

    /// A def name the contract lacks: the validator's own bug, reported at the frame rather than passed silently.
    fn unknown_def(&mut self, at: Location, method: Option<&str>, pointer: &str, unknown: UnknownDef) {
        let text = format!("internal error: {unknown}; this frame was not checked against it");
        self.push(at, rule::SCHEMA, method, pointer.to_owned(), text, Severity::Error);
    }

    /// Schema violations of `value` against `def` (and, with --strict, its unknown members), under `prefix`.
    /// The compiled check first; `jsonschema` (and the strict walk) only for what it does not clear.
    fn check_def(&mut self, at: Location, method: Option<&str>, def: &str, value: &Value, prefix: &str) {
        if self.compiled_clean(def, value) {
            return;
        }
        let violations = match self.schemas.check(def, value) {
            Ok(violations) => violations,
            Err(unknown) => return self.unknown_def(at, method, prefix, unknown),
        };
        for violation in violations {
            let pointer = format!("{prefix}{}", violation.pointer);
            self.push(at, rule::SCHEMA, method, pointer, violation.message, Severity::Error);
        }
        if self.options.strict {
            let unknown = match strict::unknown_members(&self.schemas.ir, def, value) {
                Ok(unknown) => unknown,
                Err(unknown) => return self.unknown_def(at, method, prefix, unknown),
            };
            for pointer in unknown {
                let text = format!("member unknown to {def}");
                self.push(at, rule::UNKNOWN_MEMBER, method, format!("{prefix}{pointer}"), text, Severity::Warning);
            }
        }
    }

    /// The result def of a method of the contract, its compiled node looked up once per method.
    fn result_def(&mut self, rpc: &'s RpcMethod) -> Option<ResultDef<'s>> {
        let name = rpc.result.as_deref()?;
        let compiled = &self.schemas.compiled;
        let node = *self.result_nodes.entry(name.as_ptr() as usize).or_insert_with(|| compiled.def(name));
        Some(ResultDef { name, node })
    }

    /// [`Self::saw_server`] of a frame's server id. Most frames come from the server seen last: compared without
    /// reading the frame again (and without reading the id as text).
    fn saw_server_key(&mut self, server_id: &ShortText, frame: &[u8]) {
        let seen = match server_id {
            ShortText::Inline { .. } => *server_id == self.last_seen_key,
            ShortText::Text(text) => text.bytes(frame) == self.last_seen.as_bytes(),
        };
        if !seen {
            self.saw_server(server_id.str(frame));
        }
    }

    /// The flow rules count every app-server whose frames they are shown as seen; a frame they have nothing else to
    /// read from is shown as nothing (`null`).
    fn saw_server(&mut self, server_id: &str) {
        if server_id.is_empty() || self.last_seen == server_id {
            return;
        }
        let frame = FlowFrame {
            server_id,
            direction: FlowDirection::ServerToClient,
            message: FlowMessage::Value(&Value::Null),
            position: 0,
        };
        self.flow.observe(&frame, &mut self.flow_findings);
        self.drain_flow();
        server_id.clone_into(&mut self.last_seen);
        self.last_seen_key = ShortText::inline(server_id.as_bytes()).unwrap_or(ShortText::Text(Text::Span(0..0)));
    }

    fn observe_flow(&mut self, at: Location, server_id: &str, direction: FlowDirection, message: FlowMessage<'_>) {
        let frame = FlowFrame { server_id, direction, message, position: at.position() };
        self.flow.observe(&frame, &mut self.flow_findings);
        self.drain_flow();
    }

    fn drain_flow(&mut self) {
        if self.flow_findings.is_empty() {
            return;
        }
        let mut findings = std::mem::take(&mut self.flow_findings);
        for finding in findings.drain(..) {
            let at = Location::from_position(finding.position);
            self.record(Diagnostic {
                line: at.line,
                index: at.index,
                rule: finding.rule.to_owned(),
                method: finding.method,
                pointer: finding.pointer,
                message: finding.message,
                severity: match finding.severity {
                    crate::flow::FlowSeverity::Error => Severity::Error,
                    crate::flow::FlowSeverity::Warning => Severity::Warning,
                },
            });
        }
        self.flow_findings = findings;
    }

    fn push(
        &mut self,
        at: Location,
        rule: &str,
        method: Option<&str>,
        pointer: String,
        message: String,
        severity: Severity,
    ) {
        self.record(Diagnostic {
            line: at.line,
            index: at.index,
            rule: rule.to_owned(),
            method: method.map(str::to_owned),
            pointer,
            message,
            severity,
        });
    }

    /// Lists a diagnostic, or only counts it once the file has [`MAX_LISTED`]: a capture of garbage must not
    /// take memory (and output) in proportion to its size.
    fn record(&mut self, diagnostic: Diagnostic) {
        if self.diagnostics.len() < MAX_LISTED {
            self.diagnostics.push(diagnostic);
        } else {
            *self.omitted.entry((diagnostic.severity, diagnostic.rule)).or_default() += 1;
        }
    }

    /// End of capture: the flow rules' end checks.
    pub fn finish(mut self) -> Finished {
        let flow = std::mem::replace(&mut self.flow, FlowCheck::new());
        let mut notes = flow.finish(&mut self.flow_findings);
        notes.extend(self.requests.notes());
        self.drain_flow();
        // Flow findings can name an earlier frame (a handoff still open at the end, a finding held back until the
        // server's responses showed up): a stable sort restores capture order and keeps each frame's own order.
        self.diagnostics.sort_by_key(|d| (d.line, d.index));
        let omitted_total: u64 = self.omitted.values().sum();
        if omitted_total > 0 {
            notes.push(format!("{omitted_total} more diagnostic(s) not listed: at most {MAX_LISTED} per file"));
        }
        Finished { diagnostics: self.diagnostics, notes, omitted: self.omitted }
    }
}

/// A response's result as the checks see it.
#[derive(Clone, Copy)]
enum Body<'a> {
    /// An error response: no result.
    Error,
    /// A parsed frame's `result` member (`None` when it has none; the envelope check reports that).
    Value(Option<&'a Value>),
    /// The result's JSON text, from a frame the compiled check cleared.
    Text(&'a [u8]),
}

fn restore_alias(pointer: &str, renamed: &[(String, String)]) -> String {
    for (wire, alias) in renamed {
        let token = format!("/{}", handoff_schema::escape_pointer_token(wire));
        if let Some(rest) = pointer.strip_prefix(&token)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            return format!("/{}{rest}", handoff_schema::escape_pointer_token(alias));
        }
    }
    pointer.to_owned()
}

/// The app-server message of a frame, for the flow rules: the entry's `json` (an object, or a string holding one)
/// or the bare message. An inline message is read in the same pass as the entry, without building a `Value`;
/// `None` where the frame is not JSON or not an object (never so for a frame the compiled check cleared).
enum FrameMessage<'a> {
    /// Read in the entry's pass (`None` inside when `json` is no object).
    Read(ReadMessage<'a>),
    /// The message's JSON text, which the flow rules read: an entry's `json` string, or a bare message.
    Text(Cow<'a, str>),
}

fn read_message(frame: &[u8]) -> Option<FrameMessage<'_>> {
    // Read from the bytes: only the spans kept are checked to be UTF-8 (as serde_json does for every string it
    // reads), not the whole frame.
    let mut deserializer = serde_json::Deserializer::from_slice(frame);
    let entry = serde::Deserializer::deserialize_map(&mut deserializer, EntryMembers::default()).ok()?;
    deserializer.end().ok()?;
    // As the `Value` route: an object with both `json` and `dir` is an entry, anything else a bare message.
    match entry {
        EntryMembers { dir: true, json: Some(EntryJson::Read(message)) } => Some(FrameMessage::Read(message)),
        // Not checked to be JSON here: the flow rules take text that is not JSON for no message, as the `Value`
        // route takes no message, and its server was counted as seen before either.
        EntryMembers { dir: true, json: Some(EntryJson::Text(message)) } => {
            Some(FrameMessage::Text(Cow::Owned(message)))
        }
        _ => std::str::from_utf8(frame).ok().map(|text| FrameMessage::Text(Cow::Borrowed(text))),
    }
}

/// What [`read_message`] reads of a frame: whether it has a `dir`, and its `json` (the last of duplicates, as in a
/// `Value`), names compared unescaped.
#[derive(Default)]
struct EntryMembers<'a> {
    dir: bool,
    json: Option<EntryJson<'a>>,
}

/// An entry's `json` member: a message read in place (any JSON but a string; only an object is a message), or a
/// string holding one.
enum EntryJson<'a> {
    Read(ReadMessage<'a>),
    Text(String),
}

impl<'de> serde::Deserialize<'de> for EntryJson<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EntryJsonVisitor)
    }
}

struct EntryJsonVisitor;

impl<'de> serde::de::Visitor<'de> for EntryJsonVisitor {
    type Value = EntryJson<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(EntryJson::Text(text.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<Self::Value, E> {
        Ok(EntryJson::Text(text))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        use serde::Deserialize;
        ReadMessage::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(EntryJson::Read)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        use serde::Deserialize;
        ReadMessage::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(EntryJson::Read)
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(EntryJson::Read(ReadMessage::not_an_object()))
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(EntryJson::Read(ReadMessage::not_an_object()))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(EntryJson::Read(ReadMessage::not_an_object()))
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(EntryJson::Read(ReadMessage::not_an_object()))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(EntryJson::Read(ReadMessage::not_an_object()))
    }
}

impl<'de> serde::de::Visitor<'de> for EntryMembers<'de> {
    type Value = EntryMembers<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, mut map: A) -> Result<Self::Value, A::Error> {
        while let Some(key) = map.next_key::<EntryKey>()? {
            match key {
                EntryKey::Json => self.json = Some(map.next_value()?),
                EntryKey::Dir | EntryKey::Other => {
                    self.dir |= key == EntryKey::Dir;
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(self)
    }
}

/// A frame member's name, as far as [`read_message`] cares.
#[derive(PartialEq)]
enum EntryKey {
    Json,
    Dir,
    Other,
}

impl<'de> serde::Deserialize<'de> for EntryKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl serde::de::Visitor<'_> for KeyVisitor {
            type Value = EntryKey;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E>(self, key: &str) -> Result<EntryKey, E> {
                Ok(match key {
                    "json" => EntryKey::Json,
                    "dir" => EntryKey::Dir,
                    _ => EntryKey::Other,
                })
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

fn flow_id(id: &RequestId) -> FlowId<'_> {
    match id {
        RequestId::Int(n) => FlowId::Int(*n),
        RequestId::Str(s) => FlowId::Str(s),
    }
}

fn opposite(direction: FlowDirection) -> FlowDirection {
    match direction {
        FlowDirection::ClientToServer => FlowDirection::ServerToClient,
        FlowDirection::ServerToClient => FlowDirection::ClientToServer,
    }
}

fn arrow(direction: FlowDirection) -> &'static str {
    match direction {
        FlowDirection::ClientToServer => "client → app-server",
        FlowDirection::ServerToClient => "app-server → client",
    }
}

/// The IR's wording of a direction, with its article ("a client → …", "an app-server → …").
fn describe(direction: Direction) -> String {
    let text = direction.describe();
    let article = if text.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {text}")
}

pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_ids_reused_only_for_the_same_text() {
        for text in ["thr_1", "thr_1", "thr_2", "thr_1", "bad id!", "thr_1", "", "thr_1"] {
            let expected = ThreadId::new(text);
            match (thread_id(text), expected) {
                (Ok(got), Ok(expected)) => assert_eq!(got, expected, "{text:?}"),
                (Err(_), Err(_)) => {}
                (got, expected) => panic!("{text:?}: {got:?} against {expected:?}"),
            }
        }
    }

    #[test]
    fn directions_read_with_their_article() {
        assert_eq!(describe(Direction::ClientRequest), "a client → app-server request");
        assert_eq!(describe(Direction::ServerRequest), "an app-server → client request");
        assert_eq!(describe(Direction::ServerNotification), "an app-server → client notification");
        assert_eq!(describe(Direction::ClientNotification), "a client → app-server notification");
    }

    #[test]
    fn positions_round_trip() {
        for at in [(1, None), (7, Some(0)), (123_456, Some(99_999)), (u64::from(u32::MAX), None)] {
            let loc = Location { line: at.0, index: at.1 };
            let back = Location::from_position(loc.position());
            assert_eq!((back.line, back.index), at);
        }
    }

    #[test]
    fn server_keys_hold_short_ids_whole_and_read_back() {
        let frame = br#"{"server_id":"local","other":"a-server-id-longer-than-22-bytes"}"#;
        let short = ShortText::new(frame, Text::Span(14..19));
        assert!(matches!(short, ShortText::Inline { len: 5, .. }));
        assert_eq!(short.str(frame), "local");
        assert_eq!(short, ShortText::inline(b"local").unwrap());
        assert_ne!(short, ShortText::inline(b"loca").unwrap());
        let long = ShortText::new(frame, Text::Span(30..62));
        assert_eq!(long, ShortText::Text(Text::Span(30..62)));
        assert_eq!(long.str(frame), "a-server-id-longer-than-22-bytes");
        // An escaped id is an owned copy; short, it is inline too.
        let unescaped = ShortText::new(frame, Text::Owned("bigpc".into()));
        assert_eq!((unescaped.str(frame), matches!(unescaped, ShortText::Inline { .. })), ("bigpc", true));
        assert_eq!(
            ShortText::inline(&[b'x'; ShortText::INLINE]).map(|key| key.str(b"").len()),
            Some(ShortText::INLINE)
        );
        assert_eq!(ShortText::inline(&[b'x'; ShortText::INLINE + 1]), None);
    }

    #[test]
    fn alias_pointers_keep_the_models_name() {
        let renamed = vec![("server".to_owned(), "server_hint".to_owned())];
        assert_eq!(restore_alias("/server", &renamed), "/server_hint");
        assert_eq!(restore_alias("/serverX", &renamed), "/serverX");
        assert_eq!(restore_alias("", &renamed), "");
    }
}
