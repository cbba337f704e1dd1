//! One capture frame read in one streaming pass with the compiled contract ([`crate::compiled`]).
//!
//! The pass reads the entry (`{ts_ms, dir, server_id, json}`) or the bare message, checks the JSON-RPC envelope
//! against the envelope defs (`JsonRpcRequest`, `JsonRpcNotification`, `JsonRpcResponse`, `JsonRpcError`), looks
//! the method up in the `x-rpc` table, checks its direction and the params against the method's params def, and
//! gathers what the capture-order half of the check needs: the server, the direction, the request id and method,
//! a response's `result` text (its def depends on the request it answers, known only in capture order).
//! Realtime events are cleared when they carry no function call.
//!
//! Anything else is "not judged here" (`Err`) and takes the `Value` path, whose checks are the same compiled
//! checks first and `jsonschema` for diagnostics: a frame that is not clean, a frame the flow rules read (they
//! need its `Value`: see [`crate::flow::reads_method`]), a realtime function call, members in an order the pass
//! cannot follow (`params` before `method`, an entry's `json` before its `dir` and `server_id`), escaped entry keys.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::ops::Range;

use handoff_schema::Ir;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::check::{ARGUMENTS_DONE_EVENT, ITEM_EVENTS, REALTIME_SERVER_ID, is_call_event};
use crate::compiled::{Compiled, Cx, Expect, FieldNode, IsKey, Keep, Keeping, KeyTable, NodeId, Ty, refuse};
use crate::flow::{self, FlowDirection};
use crate::requests::RequestId;
use crate::schemas;

/// A string the pass kept: a span of the frame's bytes (no allocation), or, for a message written as a JSON string
/// (read from its unescaped copy) or a string with escapes, an owned copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    Span(Range<usize>),
    Owned(Box<str>),
}

impl Text {
    /// `s`, as a span when it lies inside `frame`.
    pub(crate) fn of(frame: &str, s: &str) -> Text {
        let base = frame.as_ptr() as usize;
        let at = s.as_ptr() as usize;
        if at >= base && at + s.len() <= base + frame.len() {
            Text::Span(at - base..at - base + s.len())
        } else {
            Text::Owned(s.into())
        }
    }

    /// The bytes, `frame` being the frame the pass read.
    pub fn bytes<'a>(&'a self, frame: &'a [u8]) -> &'a [u8] {
        match self {
            Text::Span(range) => frame.get(range.clone()).unwrap_or_default(),
            Text::Owned(text) => text.as_bytes(),
        }
    }

    /// The text. Spans of a frame the pass read are UTF-8 (the pass read them as strings); anything else is empty.
    pub fn str<'a>(&'a self, frame: &'a [u8]) -> &'a str {
        std::str::from_utf8(self.bytes(frame)).unwrap_or_default()
    }
}

/// A frame the pass found clean, with what is left to check in capture order. Strings are [`Text`] of the frame.
#[derive(Debug)]
pub enum Cleared {
    /// Nothing to report, nothing for the request table; `server_id` is an app-server's id (`""` for a bare message;
    /// `None` for a realtime event), which the flow rules count as seen.
    Clean { server_id: Option<Text> },
    /// A request: its id is left (the request table), and for a flow step its `threadId` (the flow rules).
    Request { server_id: Text, direction: FlowDirection, id: RequestId, method: usize, thread: Option<Text> },
    /// A message of a method the flow rules read as a `Value` (`thread/realtime/itemAdded`, `thread/start`, …):
    /// `id` for a request. The frame is parsed into a `Value` in capture order, and only if the flow rules read it.
    FlowValue { server_id: Text, direction: FlowDirection, id: Option<RequestId>, method: usize },
    /// A response (`result` spans the result's JSON text) or an error response (`result` is `None`): the request
    /// table, the answered method's result def and the flow rules are left. `direction` is `None` for a bare one.
    Response { server_id: Text, direction: Option<FlowDirection>, id: RequestId, result: Option<Text> },
}

/// What kind of clean frame the pass read; the values it kept are in [`Gathered`].
#[derive(Clone, Copy, Default)]
enum Kind {
    #[default]
    Clean,
    Request {
        direction: FlowDirection,
        method: usize,
    },
    FlowValue {
        direction: FlowDirection,
        method: usize,
    },
    Response {
        direction: Option<FlowDirection>,
    },
}

/// The values the pass keeps, written where they are read and made into a [`Cleared`] once, at the end.
#[derive(Default)]
struct Gathered {
    kind: Kind,
    /// `None` for a realtime event, an empty span for a bare message.
    server_id: Option<Text>,
    id: Option<RequestId>,
    result: Option<Text>,
    thread: Option<Text>,
}

/// The envelopes and the method table, compiled for the pass.
pub struct FramePass {
    /// The members of the four envelopes (one entry per wire name).
    members: Vec<FieldNode>,
    member_keys: KeyTable,
    roles: Vec<Role>,
    /// The bits of `id`, `error` and `params` in [`FramePass::members`] (0 when no envelope declares it).
    id_bit: u64,
    error_bit: u64,
    params_bit: u64,
    request: Shape,
    notification: Shape,
    response: Shape,
    error: Shape,
    /// Per method of `ir.methods`: the params type, the direction it travels, whether the flow rules read it.
    params: Vec<Option<Ty>>,
    sent: Vec<FlowDirection>,
    is_request: Vec<bool>,
    /// Method name → index into `ir.methods`.
    lookup: KeyTable,
    /// The flow rules read it: a client request with a `threadId` goes to them typed, anything else as a `Value`.
    pub(crate) flow_reads: Vec<bool>,
    flow_value: Vec<bool>,
    /// Realtime function calls: the call item's def and the tools whose arguments are checked.
    function_call: Option<NodeId>,
    tools: Vec<ToolCheck>,
}

/// A realtime tool as the pass checks its calls.
struct ToolCheck {
    /// Its name, then its legacy names.
    names: Vec<String>,
    arguments: NodeId,
    /// Legacy member names of its arguments: a call that may use one is left to the `Value` path, which renames it.
    member_aliases: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Id,
    Method,
    Params,
    Result,
    Error,
    Other,
}

/// One envelope as bit sets over [`FramePass::members`].
#[derive(Clone, Copy)]
struct Shape {
    required: u64,
    declared: u64,
    closed: bool,
}

impl FramePass {
    /// `None` when the envelope defs are not what a single pass can follow (a member typed differently in two
    /// envelopes, `params`/`result` not any-JSON, `method` not a string): every frame then takes the `Value` path.
    pub fn new(ir: &Ir, program: &Compiled) -> Option<FramePass> {
        let mut members: Vec<FieldNode> = Vec::new();
        let mut shapes = Vec::new();
        for name in [schemas::REQUEST_DEF, schemas::NOTIFICATION_DEF, schemas::RESPONSE_DEF, schemas::ERROR_DEF] {
            let node = program.struct_node(name)?;
            let handoff_schema::TypeKind::Struct(def) = &ir.types.get(name)?.kind else { return None };
            let mut shape = Shape { required: 0, declared: 0, closed: def.closed };
            for (field, ir_field) in node.fields.iter().zip(&def.fields) {
                let at = match members.iter().position(|m| m.wire == field.wire) {
                    Some(at) if members[at].ty == field.ty && members[at].nullable == field.nullable => at,
                    Some(_) => return None,
                    None => {
                        members.push(FieldNode::new(field.wire.clone(), field.ty.clone(), field.nullable));
                        members.len() - 1
                    }
                };
                if at >= 64 {
                    return None;
                }
                shape.declared |= 1 << at;
                if ir_field.presence.is_required() {
                    shape.required |= 1 << at;
                }
            }
            shapes.push(shape);
        }
        let roles: Vec<Role> = members
            .iter()
            .map(|m| match m.wire.as_str() {
                "id" => Role::Id,
                "method" => Role::Method,
                "params" => Role::Params,
                "result" => Role::Result,
                "error" => Role::Error,
                _ => Role::Other,
            })
            .collect();
        for (member, role) in members.iter().zip(&roles) {
            let fits = match role {
                Role::Method => member.ty == Ty::String && !member.nullable,
                Role::Params | Role::Result => member.ty == Ty::Any,
                _ => true,
            };
            if !fits {
                return None;
            }
        }
        let mut params = Vec::new();
        for method in &ir.methods {
            params.push(match &method.params {
                Some(def) => Some(Ty::Node(program.def(def)?)),
                None => None,
            });
        }
        let sent = ir
            .methods
            .iter()
            .map(|m| {
                if schemas::sent_by_client(m.direction) {
                    FlowDirection::ClientToServer
                } else {
                    FlowDirection::ServerToClient
                }
            })
            .collect();
        let is_request = ir.methods.iter().map(|m| m.direction.is_request()).collect();
        let flow_reads: Vec<bool> = ir.methods.iter().map(|m| flow::reads_method(&m.name)).collect();
        let flow_value = ir
            .methods
            .iter()
            .zip(&flow_reads)
            .map(|(m, &reads)| {
                // A request whose params the flow rules read whole (`flow::reads_params`) is never typed.
                let typed = m.direction == handoff_schema::Direction::ClientRequest
                    && m.params.as_deref().is_some_and(|def| requires_thread(ir, def))
                    && !flow::reads_params(&m.name);
                reads && !typed
            })
            .collect();
        let member_keys = KeyTable::new(members.iter().map(|m| m.wire.as_str()));
        // A tool whose arguments def is not compiled is left out: its calls take the `Value` path.
        let tools = ir
            .realtime_tools
            .iter()
            .filter_map(|tool| {
                let member_aliases = match &ir.types.get(&tool.arguments)?.kind {
                    handoff_schema::TypeKind::Struct(s) => s.fields.iter().flat_map(|f| f.aliases.clone()).collect(),
                    _ => Vec::new(),
                };
                Some(ToolCheck {
                    names: std::iter::once(tool.name.clone()).chain(tool.aliases.iter().cloned()).collect(),
                    arguments: program.def(&tool.arguments)?,
                    member_aliases,
                })
            })
            .collect();
        let bit = |role: Role| roles.iter().position(|r| *r == role).map_or(0, |at| 1u64 << at);
        let (id_bit, error_bit, params_bit) = (bit(Role::Id), bit(Role::Error), bit(Role::Params));
        Some(FramePass {
            members,
            member_keys,
            roles,
            id_bit,
            error_bit,
            params_bit,
            request: shapes[0],
            notification: shapes[1],
            response: shapes[2],
            error: shapes[3],
            params,
            sent,
            is_request,
            lookup: KeyTable::new(ir.methods.iter().map(|m| m.name.as_str())),
            flow_reads,
            flow_value,
            function_call: program.def(schemas::FUNCTION_CALL_DEF),
            tools,
        })
    }

    /// Reads one frame. `Err` (any message) means "take the `Value` path".
    pub fn read(&self, program: &Compiled, strict: bool, text: &str) -> Result<Cleared, serde_json::Error> {
        let pass = Pass { frame: self, text, cx: Cx::new(program, strict) };
        let mut out = Gathered::default();
        let mut deserializer = serde_json::Deserializer::from_str(text);
        Top { pass: &pass, out: &mut out }.deserialize(&mut deserializer)?;
        deserializer.end()?;
        let Gathered { kind, server_id, id, result, thread } = out;
        let Some(server_id) = server_id else {
            // A realtime event: only ever `Clean` (the realtime reader clears nothing else).
            return Ok(Cleared::Clean { server_id: None });
        };
        Ok(match (kind, id) {
            (Kind::Clean, _) => Cleared::Clean { server_id: Some(server_id) },
            (Kind::Request { direction, method }, Some(id)) => {
                Cleared::Request { server_id, direction, id, method, thread }
            }
            (Kind::FlowValue { direction, method }, id) => Cleared::FlowValue { server_id, direction, id, method },
            (Kind::Response { direction }, Some(id)) => Cleared::Response { server_id, direction, id, result },
            (Kind::Request { .. } | Kind::Response { .. }, None) => return Err(refuse()),
        })
    }
}

/// Whether params def `def` requires a `threadId` (so a clean request always carries one).
fn requires_thread(ir: &Ir, def: &str) -> bool {
    match ir.types.get(def).map(|t| &t.kind) {
        Some(handoff_schema::TypeKind::Struct(s)) => {
            s.fields.iter().any(|f| f.wire_name == "threadId" && f.presence == handoff_schema::Presence::Required)
        }
        _ => false,
    }
}

struct Pass<'r> {
    frame: &'r FramePass,
    /// The frame's text, which [`Text`] spans point into.
    text: &'r str,
    cx: Cx<'r>,
}

/// The whole frame: an entry or a bare message. What it reads goes to `out`, so that nothing is moved through
/// serde's layers per frame, and the seeds stay two words (passed in registers, not copied through memory).
struct Top<'a> {
    pass: &'a Pass<'a>,
    out: &'a mut Gathered,
}

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a frame")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Top { pass, out } = self;
        // The first member tells an entry from a bare message; an escaped first key is not judged here.
        let Some(first) = map.next_key::<&'de str>()? else { return Err(refuse()) };
        if !matches!(first, "ts_ms" | "dir" | "server_id" | "json") {
            out.server_id = Some(Text::Span(0..0));
            return read_message(pass, out, None, map, Some(first), true);
        }
        let mut dir: Option<FlowDirection> = None;
        // `Some(None)`: the realtime server.
        let mut server_id: Option<Option<Text>> = None;
        let mut message = false;
        let mut key = Some(first);
        loop {
            let name = match key.take() {
                Some(name) => name,
                None => match map.next_key::<&'de str>()? {
                    Some(name) => name,
                    None => break,
                },
            };
            match name {
                "dir" if dir.is_none() => {
                    dir = Some(match map.next_value::<&'de str>()? {
                        "out" => FlowDirection::ClientToServer,
                        "in" => FlowDirection::ServerToClient,
                        _ => return Err(refuse()),
                    });
                }
                "server_id" if server_id.is_none() => server_id = Some(map.next_value_seed(ServerSeed(pass.text))?),
                "json" if !message => {
                    let (Some(direction), Some(server)) = (dir, &server_id) else { return Err(refuse()) };
                    match server {
                        None => map.next_value_seed(RealtimeSeed(pass))?,
                        Some(_) => map.next_value_seed(MessageSeed { pass, out: &mut *out, direction })?,
                    }
                    message = true;
                }
                "dir" | "server_id" | "json" => return Err(refuse()),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match server_id {
            Some(server_id) if message => {
                out.server_id = server_id;
                Ok(())
            }
            _ => Err(refuse()),
        }
    }
}

/// An entry's server id: `None` for the realtime server (whose events are no app-server's frames).
struct ServerSeed<'r>(&'r str);

impl<'de> DeserializeSeed<'de> for ServerSeed<'_> {
    type Value = Option<Text>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Text>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for ServerSeed<'_> {
    type Value = Option<Text>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a server id")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Option<Text>, E> {
        Ok((s != REALTIME_SERVER_ID).then(|| Text::of(self.0, s)))
    }
}

/// A string, borrowed from the frame when it holds no escape.
struct CowSeed;

impl<'de> DeserializeSeed<'de> for CowSeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Cow<'de, str>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for CowSeed {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(s))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s.to_owned()))
    }
}

/// An entry's app-server message: inline, or a string holding it (read in place, from the unescaped text).
struct MessageSeed<'a> {
    pass: &'a Pass<'a>,
    out: &'a mut Gathered,
    direction: FlowDirection,
}

impl<'de> DeserializeSeed<'de> for MessageSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MessageSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a message")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        read_message(self.pass, self.out, Some(self.direction), map, None, false)
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        nested(text, self)
    }
}

/// Reads a message written as a JSON string, in a second deserializer over the unescaped text.
fn nested<E: de::Error, T, V: for<'x> Visitor<'x, Value = T>>(text: &str, visitor: V) -> Result<T, E> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let read = deserializer.deserialize_map(visitor).map_err(|_| refuse::<E>())?;
    deserializer.end().map_err(|_| refuse::<E>())?;
    Ok(read)
}

/// What a message member turned out to be.
enum MemberKey {
    Envelope(usize),
    Unknown,
    /// `json`/`dir` in a bare message: the `Value` path decides whether it is an entry.
    EntryMember,
}

struct MemberKeySeed<'r> {
    members: &'r KeyTable,
    bare: bool,
}

impl<'de> DeserializeSeed<'de> for MemberKeySeed<'_> {
    type Value = MemberKey;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<MemberKey, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for MemberKeySeed<'_> {
    type Value = MemberKey;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<MemberKey, E> {
        Ok(classify_member(self.members, self.bare, s))
    }
}

fn classify_member(members: &KeyTable, bare: bool, name: &str) -> MemberKey {
    if bare && matches!(name, "json" | "dir") {
        return MemberKey::EntryMember;
    }
    match members.find(name) {
        Some(at) => MemberKey::Envelope(at),
        None => MemberKey::Unknown,
    }
}

/// A JSON-RPC message on an app-server connection. `direction` is `None` for a bare message; `first` is a member
/// name the caller already read. What it is (its [`Kind`]), its id, result and thread go to `out`.
fn read_message<'de, A: MapAccess<'de>>(
    pass: &Pass<'_>,
    out: &mut Gathered,
    direction: Option<FlowDirection>,
    map: A,
    first: Option<&str>,
    bare: bool,
) -> Result<(), A::Error> {
    out.kind = message_kind(pass, out, direction, map, first, bare)?;
    Ok(())
}

fn message_kind<'de, A: MapAccess<'de>>(
    pass: &Pass<'_>,
    out: &mut Gathered,
    direction: Option<FlowDirection>,
    mut map: A,
    first: Option<&str>,
    bare: bool,
) -> Result<Kind, A::Error> {
    let frame = pass.frame;
    let mut seen = 0u64;
    let mut unknown = false;
    let mut method: Option<usize> = None;
    let thread: Cell<Option<Text>> = Cell::new(None);
    let mut pending = first.map(|name| classify_member(&frame.member_keys, bare, name));
    loop {
        let key = match pending.take() {
            Some(key) => key,
            None => match map.next_key_seed(MemberKeySeed { members: &frame.member_keys, bare })? {
                Some(key) => key,
                None => break,
            },
        };
        let at = match key {
            MemberKey::EntryMember => return Err(refuse()),
            MemberKey::Unknown if pass.cx.strict => return Err(refuse()),
            MemberKey::Unknown => {
                unknown = true;
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            MemberKey::Envelope(at) => at,
        };
        if seen & (1 << at) != 0 {
            return Err(refuse());
        }
        seen |= 1 << at;
        let member = &frame.members[at];
        match frame.roles[at] {
            Role::Method => {
                let index = map.next_value_seed(MethodSeed(&frame.lookup))?;
                if direction.is_some_and(|d| d != frame.sent[index]) {
                    return Err(refuse());
                }
                method = Some(index);
            }
            Role::Params => {
                // The params def depends on the method: params before it are not judged here.
                let Some(index) = method else { return Err(refuse()) };
                match &frame.params[index] {
                    Some(ty) if frame.flow_reads[index] && !frame.flow_value[index] => {
                        let keep = Keep { name: "threadId", frame: pass.text, slot: &thread };
                        map.next_value_seed(Keeping { expect: Expect::new(&pass.cx, ty), keep: &keep })?
                    }
                    Some(ty) => map.next_value_seed(Expect::new(&pass.cx, ty))?,
                    None => map.next_value::<IgnoredAny>().map(|_| ())?,
                }
            }
            Role::Result => {
                let raw: &RawValue = map.next_value()?;
                out.result = Some(Text::of(pass.text, raw.get()));
            }
            Role::Id => {
                out.id = Some(map.next_value_seed(IdSeed(Expect::new(&pass.cx, &member.check)))?);
            }
            Role::Error | Role::Other => {
                map.next_value_seed(Expect::new(&pass.cx, &member.check))?;
            }
        }
    }
    let has_id = seen & frame.id_bit != 0;
    let has_error = seen & frame.error_bit != 0;
    let shape = match (method.is_some(), has_id, has_error) {
        (true, true, _) => frame.request,
        (true, false, _) => frame.notification,
        (false, true, true) => frame.error,
        (false, true, false) => frame.response,
        // Neither `method` nor `id`, or a `method` that is not a string.
        (false, false, _) => return Err(refuse()),
    };
    let undeclared = unknown || seen & !shape.declared != 0;
    if seen & shape.required != shape.required || (undeclared && (shape.closed || pass.cx.strict)) {
        return Err(refuse());
    }
    match method {
        Some(index) => {
            if frame.is_request[index] != has_id || (frame.params[index].is_some() && seen & frame.params_bit == 0) {
                return Err(refuse());
            }
            if frame.flow_value[index] {
                // Read as a `Value` by the flow rules, in capture order and only if they do.
                let direction = direction.unwrap_or(frame.sent[index]);
                return Ok(Kind::FlowValue { direction, method: index });
            }
            if !has_id {
                return Ok(Kind::Clean);
            }
            let thread = thread.into_inner();
            // A flow step the flow rules take typed needs its thread; without one, the `Value` path.
            if frame.flow_reads[index] && thread.is_none() {
                return Err(refuse());
            }
            out.thread = thread;
            Ok(Kind::Request { direction: frame.sent[index], method: index })
        }
        None => {
            if !has_error && out.result.is_none() {
                return Err(refuse());
            }
            if has_error {
                out.result = None;
            }
            Ok(Kind::Response { direction })
        }
    }
}

/// A method name: its index in the IR's method table. Unknown methods are not clean.
struct MethodSeed<'r>(&'r KeyTable);

impl<'de> DeserializeSeed<'de> for MethodSeed<'_> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for MethodSeed<'_> {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a method name")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<usize, E> {
        self.0.find(s).ok_or_else(refuse)
    }
}

/// A request id, checked against the envelope's id type and kept (a string or a 64-bit integer).
struct IdSeed<'c>(Expect<'c>);

impl<'de> DeserializeSeed<'de> for IdSeed<'_> {
    type Value = RequestId;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<RequestId, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for IdSeed<'_> {
    type Value = RequestId;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a request id")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<RequestId, E> {
        self.0.str(s)?;
        Ok(RequestId::Str(s.to_owned()))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<RequestId, E> {
        self.0.int(n)?;
        Ok(RequestId::Int(n))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<RequestId, E> {
        self.visit_i64(i64::try_from(n).map_err(|_| refuse::<E>())?)
    }
}

/// A realtime event. Only what the `Value` path reads is read: its `type`, and for a function call event the call
/// (`item`, or `name` and `arguments`), whose item and decoded arguments go through the compiled check; the rest (an
/// 8 KB base64 audio delta, say) is skipped. A call it does not clear (not clean, an unknown tool, arguments that
/// may use a legacy member name) takes the `Value` path, which writes the diagnostics.
struct RealtimeSeed<'a>(&'a Pass<'a>);

impl<'de> DeserializeSeed<'de> for RealtimeSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RealtimeSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a realtime event")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut kind: Option<Cow<'de, str>> = None;
        // The members a call event's check reads, kept as their JSON text until the event's type is known. A member
        // given twice (a `Value` keeps the last) is not judged here.
        let mut call: [Option<&'de RawValue>; 3] = [None; 3];
        while let Some(key) = map.next_key_seed(EventKey)? {
            match key {
                EventMember::Type if kind.is_none() => kind = Some(map.next_value_seed(CowSeed)?),
                EventMember::Call(at) if call[at].is_none() => call[at] = Some(map.next_value()?),
                EventMember::Type | EventMember::Call(_) => return Err(refuse()),
                EventMember::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let Some(kind) = kind else { return Err(refuse()) };
        if !is_call_event(&kind) {
            return Ok(());
        }
        let [item, name, arguments] = call;
        let clean = if ITEM_EVENTS.contains(&kind.as_ref()) {
            // Only a `function_call` item is checked (as the `Value` path does); anything else is clean.
            match item {
                None => true,
                Some(item) if item_type(item.get()).as_deref() != Some("function_call") => true,
                Some(item) => self.item_is_clean(item.get()),
            }
        } else {
            debug_assert_eq!(kind, ARGUMENTS_DONE_EVENT);
            match (name.map(|n| serde_json::from_str::<String>(n.get())), arguments) {
                (Some(Ok(name)), Some(arguments)) => match serde_json::from_str::<String>(arguments.get()) {
                    Ok(arguments) => self.call_is_clean(&name, &arguments),
                    Err(_) => false,
                },
                _ => false,
            }
        };
        if clean { Ok(()) } else { Err(refuse()) }
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        nested(text, self)
    }
}

impl RealtimeSeed<'_> {
    /// A `function_call` item: clean against its def, and its call clean.
    fn item_is_clean(&self, item: &str) -> bool {
        #[derive(serde::Deserialize)]
        struct Call {
            name: String,
            arguments: String,
        }
        let (frame, cx) = (self.0.frame, &self.0.cx);
        let Some(def) = frame.function_call else { return false };
        if !cx.program.text_is_clean(def, cx.strict, item) {
            return false;
        }
        match serde_json::from_str::<Call>(item) {
            Ok(call) => self.call_is_clean(&call.name, &call.arguments),
            Err(_) => false,
        }
    }

    /// A call of tool `name` (or one of its legacy names) with these JSON-encoded arguments.
    fn call_is_clean(&self, name: &str, arguments: &str) -> bool {
        let (frame, cx) = (self.0.frame, &self.0.cx);
        let Some(tool) = frame.tools.iter().find(|tool| tool.names.iter().any(|n| n == name)) else { return false };
        // A legacy member name, possibly escaped, is renamed by the `Value` path before its check.
        let may_alias = !tool.member_aliases.is_empty()
            && (arguments.contains('\\') || tool.member_aliases.iter().any(|alias| arguments.contains(alias.as_str())));
        !may_alias && cx.program.text_is_clean(tool.arguments, cx.strict, arguments)
    }
}

/// The `type` of a realtime item given as JSON text, when it is an object with a string `type` (the last one, as a
/// `Value` keeps it).
fn item_type(item: &str) -> Option<String> {
    struct ItemType;
    impl<'de> Visitor<'de> for ItemType {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an item")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<String>, A::Error> {
            let mut kind = None;
            while let Some(is_type) = map.next_key_seed(IsKey("type"))? {
                if is_type {
                    kind = map.next_value::<serde_json::Value>()?.as_str().map(str::to_owned);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(kind)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(item);
    // Not an object (or not JSON, which the pass already rules out): no type.
    deserializer.deserialize_any(ItemType).unwrap_or_default()
}

/// A realtime event's member, as its check reads it.
enum EventMember {
    Type,
    /// `item`, `name`, `arguments`.
    Call(usize),
    Other,
}

struct EventKey;

impl<'de> DeserializeSeed<'de> for EventKey {
    type Value = EventMember;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<EventMember, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for EventKey {
    type Value = EventMember;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<EventMember, E> {
        Ok(match s {
            "type" => EventMember::Type,
            "item" => EventMember::Call(0),
            "name" => EventMember::Call(1),
            "arguments" => EventMember::Call(2),
            _ => EventMember::Other,
        })
    }
}
