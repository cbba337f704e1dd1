//! Flow rules over recorded app-server traffic (design.md, "Flow rules").
//!
//! The checker replays a capture through the reference router's state machine ([`crate::state`]): one
//! [`ThreadCache`] per server id and one [`HandoffFlow`] per handoff. It only has to attribute each recorded frame
//! to a handoff and a step; whether the step is allowed is decided by the same code the router runs.
//!
//! Attribution:
//! - a `handoff_request` item (`thread/realtime/itemAdded`, server → client) opens a handoff on its voice thread;
//!   its target is the server id equal to its `server` value, or the server it arrived on for "local"/none. A second
//!   item for a voice thread with an open handoff waits until that one finalizes, as the router does;
//! - `thread/resume`, `thread/start` and `turn/start` sent to the target while the handoff is open belong to it;
//!   outside any open handoff they are the user's own work, and a resume or start there counts as the user
//!   switching context on that server (the router then forgets the cached thread) — unless the next handoff there
//!   turns straight into the thread cached before, which is what a client that merely reconnected does;
//! - `resolveHandoff`/`finalizeHandoff` belong to the open handoff of the voice thread they name;
//! - responses are matched to requests by id per server.
//!
//! Handoff modes ([`HandoffMode`]): each voice thread's mode comes from its `thread/realtime/start` request
//! (`clientControlledHandoff`, `clientManagedHandoffs`, neither). Without one it is inferred from the capture: a
//! client that sends resolve/finalize on the voice thread is client-controlled; a server that runs a turn of its own
//! on the voice thread while a handoff is open (a `turn/started` no client `turn/start` into that thread asked for)
//! runs its handoffs itself; nothing either way is taken as client-controlled. A note says which was inferred. Until
//! the mode shows, the voice thread's handoffs are checked as client-controlled and their findings held back; a
//! server turn drops them and judges the client's turns for those handoffs as the server-run modes do. Handoffs the
//! server runs are open from their item until the server's turn on the voice thread completes (a second item while
//! it runs steers that turn); relays (`appendText`/`appendSpeech`) belong to them until the voice thread's next item.
//!
//! A server whose capture holds no responses (the mobile recorder keeps requests and notifications only) is
//! checked on request order: a turn after the resume or start request passes, and the summary says so. Findings
//! that depend on a missing response are held back until a response from that server shows responses were recorded.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

// Hashed with foldhash, not std's SipHash: the keys (server ids, thread ids, request ids) come from a capture, a file
// its owner hands over to be checked, and every map is bounded by what is open in it, so lookup speed on the
// capture-order path matters more than resistance to deliberately colliding keys. (The reference router, which
// faces live traffic, does not run this checker.)
use foldhash::{HashMap, HashSet};

/// A foldhash map whose entries are found by a borrowed key in one lookup (`entry_ref`), copying the key only when
/// it is new: for the maps looked up by server id and thread id on every flow frame.
type RefMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::RandomState>;

use codex_handoff_contract::{ThreadId, ThreadStartResponse, ThreadStartedNotification, methods};
use serde_json::Value;

use crate::item::ItemAdded;
pub use crate::json::ReadMessage;
use crate::json::{Json, MessageView};
use crate::mode::{CLIENT_CONTROLLED_FLAG, CLIENT_MANAGED_FLAG, HandoffMode, StartedMode};
use crate::rules::{FlowRule, FlowSeverity, FlowViolation};
use crate::servers::{ServerInfo, ServerLookupError, describe_servers, names_origin, resolve_server};
use crate::state::{FlowStep, HandoffFlow, HandoffPhase, ThreadCache};

/// Which way a recorded app-server frame travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowDirection {
    /// Client (the voice side) to app-server ("out" in a capture).
    ClientToServer,
    /// App-server to client ("in" in a capture).
    ServerToClient,
}

/// One app-server frame of a capture, as handed over by the validator.
#[derive(Debug, Clone, Copy)]
pub struct FlowFrame<'a> {
    pub server_id: &'a str,
    pub direction: FlowDirection,
    pub message: FlowMessage<'a>,
    /// Opaque position chosen by the validator; findings about this frame carry it back.
    pub position: u64,
}

/// A frame's content: the parsed message, or what the validator's fast path read of a frame it found clean.
#[derive(Debug, Clone, Copy)]
pub enum FlowMessage<'a> {
    /// Any message, as parsed.
    Value(&'a Value),
    /// Any message, as its JSON text: read for what the flow rules need without building a `Value` (typed and
    /// borrowed; see [`crate::json`]), with the same findings as [`FlowMessage::Value`] of the parsed text. Text
    /// that is not JSON is no message: only its server counts as seen.
    Json(&'a str),
    /// Any message, read from JSON text by its reader's own pass ([`ReadMessage`]): as [`FlowMessage::Json`] of
    /// that text.
    Read(&'a ReadMessage<'a>),
    /// A client request (with an `id`) whose params matter to the flow only by `threadId` (a valid thread id): any
    /// method [`reads_method`] lists but [`reads_params`] does not.
    Request { id: FlowId<'a>, method: &'a str, thread: &'a ThreadId },
    /// A successful response and its result.
    Response { id: FlowId<'a>, result: &'a Value },
}

/// A request id that is a string or a 64-bit integer (`7` and `"7"` differ).
#[derive(Debug, Clone, Copy)]
pub enum FlowId<'a> {
    Int(i64),
    Str(&'a str),
}

/// A violation of one flow rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowFinding {
    pub rule: &'static str,
    pub message: String,
    /// JSON pointer into the message the finding is about ("" for the whole message).
    pub pointer: String,
    pub method: Option<String>,
    pub position: u64,
    pub severity: FlowSeverity,
}

/// Incremental checker of the flow rules over one capture.
#[derive(Debug, Default)]
pub struct FlowCheck {
    servers: RefMap<String, ServerTrack>,
    /// Handoffs not finalized yet, by the order they were opened in. A finalized handoff is dropped: answers that
    /// arrive after its finalize change nothing, so memory stays bounded by the open handoffs.
    handoffs: HashMap<usize, HandoffTrack>,
    opened: usize,
    /// Open and waiting handoffs by (voice server id, voice thread id).
    voices: RefMap<String, RefMap<String, VoiceTrack>>,
    /// The open handoff whose requests go to a server, by server id.
    active_on: HashMap<String, usize>,
    /// Servers with ids and display names, from the capture's `servers` header or the command line.
    known: Vec<ServerInfo>,
    /// Every server id the flow saw a frame of.
    seen: HashSet<String>,
    /// [`Self::known_servers`] as last built; `None` once `known` or `seen` changed since.
    known_servers_list: Option<Arc<[ServerInfo]>>,
    /// Handoffs whose `server` value named no known server, taken as a server id until the end of the capture
    /// shows whether any frame came from a server with that id.
    unknown_targets: Vec<UnknownTarget>,
    /// Distinct non-local `server` values of handoffs in a bare capture (one connection), for the summary.
    bare_attributed: Vec<String>,
    /// Handoffs reported as `flow/unattributed-handoff`.
    unattributed: u64,
    /// The handoff the frame being observed belongs to, and whether that frame ended it ([`Self::observe_traced`]).
    touched: Option<usize>,
    ended: Option<usize>,
}

/// What one frame did to a handoff, for reports that draw handoffs (the timeline): the checker's own attribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowTrace {
    /// The handoff's ordinal in the capture: 0 for its first handoff item, and so on.
    pub handoff: usize,
    /// Set on the frame that opened the handoff (its item).
    pub opened: Option<TracedHandoff>,
    /// The handoff's phase after the frame; `None` while it waits behind another handoff of its voice thread.
    pub phase: Option<HandoffPhase>,
    /// The frame ended the handoff: its finalize, or the completion of the server's turn for it.
    pub ended: bool,
}

/// A handoff as its item opened it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracedHandoff {
    pub handoff_id: String,
    pub voice_thread: String,
    /// The server id its work goes to (as attributed; a `server` value no server answers to stays as it is).
    pub target: String,
}

/// A handoff whose `server` value no known server answers to (yet).
#[derive(Debug)]
struct UnknownTarget {
    handoff_id: String,
    value: String,
    position: u64,
}

#[derive(Debug, Default)]
struct ServerTrack {
    cache: ThreadCache,
    /// The cache as it was before the user's own resume/start emptied it (see [`FlowCheck::client_request`]),
    /// until the next handoff on this server shows which reading the client followed.
    before_switch: Option<ThreadCache>,
    responses_seen: bool,
    /// Flow requests (resume, start, turn, resolve, finalize) sent to this server.
    flow_requests: u64,
    /// Unanswered resumes and starts of open handoffs, by request id (its JSON text, so `1` and `"1"` differ).
    pending: HashMap<String, PendingRequest>,
    /// Findings that only hold if this server's responses were recorded.
    /// Each with its handoff's voice thread: it is held like the others while that thread's mode is undecided.
    deferred: Vec<(VoiceKey, FlowFinding)>,
}

/// A handoff's `thread/resume` or `thread/start` waiting for its answer (the only answers that move the flow).
#[derive(Debug)]
struct PendingRequest {
    kind: RequestKind,
    handoff: usize,
}

#[derive(Debug)]
enum RequestKind {
    Resume(ThreadId),
    Start,
}

#[derive(Debug)]
struct HandoffTrack {
    handoff_id: String,
    target: String,
    requested: Option<ThreadId>,
    /// `None` while queued behind another handoff of the same voice thread.
    flow: Option<HandoffFlow>,
    position: u64,
    /// (server id, thread id) of its voice thread.
    voice: VoiceKey,
    /// Its `turn/start`s while its voice thread's mode was undecided (position, thread): judged again if the server
    /// turns out to run the handoff itself.
    tentative_turns: Vec<(u64, ThreadId)>,
}

/// A voice thread: the id of the server its session runs on, and its thread id.
type VoiceKey = (String, String);

#[derive(Debug, Default)]
struct VoiceTrack {
    /// The open client-controlled (or undecided) handoff, and the ones waiting behind it.
    open: Option<usize>,
    queued: VecDeque<usize>,
    /// The session's handoff mode and how it is known; `None` until the capture shows it.
    mode: Option<(HandoffMode, ModeSource)>,
    /// Its `thread/realtime/start` set both flags.
    conflicting_start: bool,
    /// Handoffs the server runs whose turn has not completed yet, oldest first.
    running: Vec<usize>,
    /// Handoffs the server ran to completion: relays still belong to them until the next item.
    done: Vec<usize>,
    /// Client `turn/start`s into this thread whose `turn/started` has not arrived.
    client_turns: u32,
    /// Findings about handoffs of this voice thread while its mode is undecided.
    held: Vec<FlowFinding>,
    had_handoff: bool,
    relayed: bool,
    /// Started client-controlled, yet the server ran a turn of its own on it while a handoff was open: the server
    /// ignores the flag (the stock server does).
    flag_ignored: bool,
}

/// How a voice thread's handoff mode is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ModeSource {
    /// Its `thread/realtime/start` request.
    Start,
    /// The client sent resolveHandoff/finalizeHandoff on it.
    ClientAnswered,
    /// The server ran a turn of its own on it while a handoff was open.
    ServerTurn,
    /// Nothing showed it by the end of the capture.
    Assumed,
}

/// What one frame is, as far as the flow is concerned.
enum Frame<'a> {
    Request { id: IdRef<'a>, method: &'a str, params: Params<'a> },
    Response { id: IdRef<'a>, result: Option<Json<'a>> },
    Notification { method: &'a str, params: Json<'a> },
}

/// A request's params as far as the flow reads them.
#[derive(Clone, Copy)]
enum Params<'a> {
    Json(Json<'a>),
    /// `params.threadId`, a valid thread id.
    Thread(&'a ThreadId),
}

impl<'a> Params<'a> {
    /// `params.threadId` when it is a valid thread id (an invalid one is the schema check's finding).
    fn thread(self) -> Option<Cow<'a, ThreadId>> {
        match self {
            Params::Json(params) => thread_param(params).map(Cow::Owned),
            Params::Thread(thread) => Some(Cow::Borrowed(thread)),
        }
    }
}

/// A frame's id, turned into its JSON text only when a pending request needs it.
#[derive(Clone, Copy)]
enum IdRef<'a> {
    Json(Json<'a>),
    Flow(FlowId<'a>),
}

impl IdRef<'_> {
    /// The id as JSON text (`1` and `"1"` differ).
    fn text(self) -> String {
        match self {
            IdRef::Json(id) => id.to_json_text(),
            IdRef::Flow(FlowId::Int(n)) => n.to_string(),
            IdRef::Flow(FlowId::Str(s)) => Value::String(s.to_owned()).to_string(),
        }
    }
}

/// The track of server `id`, created on first use (without allocating when it exists).
fn server_track<'m>(servers: &'m mut RefMap<String, ServerTrack>, id: &str) -> &'m mut ServerTrack {
    servers.entry_ref(id).or_default()
}

const THREAD_POINTER: &str = "/params/threadId";

/// Whether the flow rules read requests or notifications of `method` (the steps listed in design.md, and what
/// shows a session's handoff mode): the validator hands those over as parsed values. Requests and notifications of
/// every other method are no flow step and need not reach [`FlowCheck::observe`]; responses always do (their ids
/// may answer a flow step).
pub fn reads_method(method: &str) -> bool {
    matches!(
        method,
        methods::THREAD_RESUME
            | methods::THREAD_START
            | methods::TURN_START
            | methods::THREAD_REALTIME_RESOLVE_HANDOFF
            | methods::THREAD_REALTIME_FINALIZE_HANDOFF
            | methods::THREAD_REALTIME_ITEM_ADDED
            | methods::THREAD_STARTED
            | methods::THREAD_REALTIME_START
            | methods::THREAD_REALTIME_APPEND_TEXT
            | methods::THREAD_REALTIME_APPEND_SPEECH
            | methods::TURN_STARTED
            | methods::TURN_COMPLETED
    )
}

/// Whether the flow rules need a request's whole params, not just its `threadId`: the validator must hand requests
/// of `method` over as [`FlowMessage::Value`] (a `thread/realtime/start` carries the session's handoff mode flags).
pub fn reads_params(method: &str) -> bool {
    method == methods::THREAD_REALTIME_START
}

impl FlowCheck {
    pub fn new() -> FlowCheck {
        FlowCheck::default()
    }

    /// A checker that knows these servers' ids and display names (the capture's `servers` header, `--server`), so
    /// a handoff naming a server by display name is attributed to its id.
    pub fn with_servers(servers: Vec<ServerInfo>) -> FlowCheck {
        FlowCheck { known: servers, ..FlowCheck::default() }
    }

    /// Adds servers to the known list (a later entry for a known id replaces its name).
    pub fn add_servers(&mut self, servers: impl IntoIterator<Item = ServerInfo>) {
        self.known_servers_list = None;
        for server in servers {
            match self.known.iter_mut().find(|known| known.id == server.id) {
                Some(known) => known.name = server.name,
                None => self.known.push(server),
            }
        }
    }

    /// Every app-server frame of one capture (not realtime API events), in capture order.
    pub fn observe(&mut self, frame: &FlowFrame<'_>, findings: &mut Vec<FlowFinding>) {
        // Declared here so that `kind` may borrow from them.
        let (view, parsed);
        let kind = match frame.message {
            FlowMessage::Value(message) => classify(message),
            FlowMessage::Read(message) => message.0.as_ref().and_then(classify_view),
            FlowMessage::Json(text) => match MessageView::read(text) {
                Ok(read) => {
                    view = read;
                    view.as_ref().and_then(classify_view)
                }
                // Not JSON; should the typed read fail where the `Value` parse does not, the `Value` route.
                Err(_) => match serde_json::from_str::<Value>(text) {
                    Ok(value) => {
                        parsed = value;
                        classify(&parsed)
                    }
                    Err(_) => None,
                },
            },
            FlowMessage::Request { id, method, thread } => {
                Some(Frame::Request { id: IdRef::Flow(id), method, params: Params::Thread(thread) })
            }
            FlowMessage::Response { id, result } => {
                Some(Frame::Response { id: IdRef::Flow(id), result: Some(Json::Value(result)) })
            }
        };
        if !frame.server_id.is_empty() && !self.seen.contains(frame.server_id) {
            self.seen.insert(frame.server_id.to_owned());
            self.known_servers_list = None;
        }
        let Some(kind) = kind else { return };
        match (frame.direction, kind) {
            (FlowDirection::ClientToServer, Frame::Request { id, method, params }) => {
                self.client_request(frame, id, method, params, findings)
            }
            (FlowDirection::ServerToClient, Frame::Response { id, result }) => {
                self.server_response(frame.server_id, id, result, findings)
            }
            (FlowDirection::ServerToClient, Frame::Notification { method, params }) => {
                self.server_notification(frame, method, params, findings)
            }
            // Requests the server sends the client, their answers and client notifications are not flow steps.
            _ => {}
        }
    }

    /// Whether [`Self::observe`] reads the content of the result of server `server_id`'s response `id`, as things
    /// stand: only the answer to a handoff's pending `thread/start` (it names the new thread). Of any other response
    /// only its arrival counts, so a caller that has not parsed the result may pass `Value::Null` for it.
    pub fn reads_result(&self, server_id: &str, id: FlowId<'_>) -> bool {
        self.servers.get(server_id).is_some_and(|server| {
            !server.pending.is_empty()
                && server
                    .pending
                    .get(&IdRef::Flow(id).text())
                    .is_some_and(|pending| matches!(pending.kind, RequestKind::Start))
        })
    }

    /// Whether [`Self::observe`] reads the params of notification `method` from server `server_id`, as things
    /// stand: a `thread/realtime/itemAdded` always, a `thread/started` while a handoff is active on that server, a
    /// `turn/started` or `turn/completed` once that server has a voice thread. Another notification only counts its
    /// server as seen, so a caller may pass `Value::Null` for it (and skip parsing it).
    pub fn reads_notification(&self, server_id: &str, method: &str) -> bool {
        match method {
            methods::THREAD_REALTIME_ITEM_ADDED => true,
            methods::THREAD_STARTED => self.active_on.contains_key(server_id),
            methods::TURN_STARTED | methods::TURN_COMPLETED => {
                self.voices.get(server_id).is_some_and(|voices| !voices.is_empty())
            }
            _ => false,
        }
    }

    /// As [`Self::observe`], and says which handoff the frame belongs to: the one it is a step of, else the handoff
    /// open on the frame's server (its notifications while it runs).
    pub fn observe_traced(&mut self, frame: &FlowFrame<'_>, findings: &mut Vec<FlowFinding>) -> Option<FlowTrace> {
        self.touched = None;
        self.ended = None;
        let opened_before = self.opened;
        self.observe(frame, findings);
        let index = self.touched.or_else(|| self.active_on.get(frame.server_id).copied())?;
        let handoff = self.handoffs.get(&index);
        let opened = (index >= opened_before).then_some(handoff).flatten().map(|handoff| TracedHandoff {
            handoff_id: handoff.handoff_id.clone(),
            voice_thread: handoff.voice.1.clone(),
            target: handoff.target.clone(),
        });
        let phase = match handoff {
            Some(handoff) => handoff.flow.as_ref().map(|flow| flow.phase().clone()),
            // Removed by the frame: finalized.
            None => Some(HandoffPhase::Finalized),
        };
        Some(FlowTrace { handoff: index, opened, phase, ended: self.ended == Some(index) })
    }

    /// End of capture: handoffs still open etc. Returns summary notes.
    pub fn finish(mut self, findings: &mut Vec<FlowFinding>) -> Vec<String> {
        // A voice thread whose mode never showed is client-controlled, as the rules always assumed: its held
        // findings stand.
        let mut held: Vec<FlowFinding> = Vec::new();
        for voice in self.voices.values_mut().flat_map(RefMap::values_mut) {
            if voice.mode.is_none() && voice.had_handoff {
                voice.mode = Some((HandoffMode::ClientControlled, ModeSource::Assumed));
            }
            held.append(&mut voice.held);
        }
        held.sort_by_key(|finding| finding.position);
        findings.extend(held);
        let mut open: Vec<FlowFinding> = Vec::new();
        let mut left: Vec<&HandoffTrack> = self.handoffs.values().collect();
        left.sort_by_key(|handoff| handoff.position);
        for handoff in left {
            let violation = match &handoff.flow {
                Some(flow) => flow.finish().err(),
                None => Some(FlowViolation {
                    rule: FlowRule::UnresolvedHandoff,
                    message: "handoff never started: another handoff of its voice thread stayed open".to_owned(),
                }),
            };
            if let Some(violation) = violation {
                open.push(item_finding(handoff, violation));
            }
        }
        let mut unattributed = self.unattributed;
        for unknown in &self.unknown_targets {
            if self.seen.contains(&unknown.value) {
                continue;
            }
            unattributed += 1;
            open.push(unattributed_finding(
                &unknown.handoff_id,
                &unknown.value,
                &self.known_servers(),
                None,
                unknown.position,
            ));
        }
        open.sort_by_key(|finding| finding.position);
        findings.extend(open);
        let mut quiet: Vec<&String> = self
            .servers
            .iter()
            .filter(|(_, server)| !server.responses_seen && server.flow_requests > 0)
            .map(|(id, _)| id)
            .collect();
        quiet.sort();
        let mut notes: Vec<String> = quiet
            .into_iter()
            .map(|id| format!("server {id}: no responses recorded; flow checked on request order"))
            .collect();
        if !self.bare_attributed.is_empty() {
            let named: Vec<String> = self.bare_attributed.iter().map(|value| format!("{value:?}")).collect();
            notes.push(format!(
                "bare capture: all frames taken as one app-server connection; handoffs naming server {} attributed \
                 to it",
                named.join(", ")
            ));
        }
        if unattributed > 0 {
            notes.push(format!(
                "{unattributed} handoff(s) not checked: their server could not be attributed (flow/unattributed-handoff)"
            ));
        }
        notes.extend(self.mode_notes());
        let mut ignored: Vec<String> = self
            .voices
            .iter()
            .flat_map(|(server, voices)| {
                voices.iter().filter(|(_, voice)| voice.flag_ignored).map(move |(thread, _)| {
                    if server.is_empty() { thread.clone() } else { format!("{thread} (server {server})") }
                })
            })
            .collect();
        ignored.sort();
        if !ignored.is_empty() {
            notes.push(format!(
                "voice thread(s) {}: started with clientControlledHandoff, but the server ran its own turn on the \
                 voice thread after a handoff item: it does not honour the flag (the stock server ignores it and runs \
                 every handoff itself); checked as client-controlled all the same",
                ignored.join(", ")
            ));
        }
        notes
    }

    /// One note per inferred (or assumed) handoff mode, naming its voice threads (the first few).
    fn mode_notes(&self) -> Vec<String> {
        const LISTED: usize = 5;
        let mut by_reading: std::collections::BTreeMap<(ModeSource, &'static str, bool), Vec<String>> =
            std::collections::BTreeMap::new();
        for (server, voices) in &self.voices {
            for (thread, voice) in voices {
                let Some((mode, source)) = voice.mode else { continue };
                if !voice.had_handoff || (source == ModeSource::Start && !voice.conflicting_start) {
                    continue;
                }
                // Both server-run modes read alike; the client's relays tell upstream's client-managed mode apart.
                let shown = if mode.server_runs_turn() && voice.relayed { HandoffMode::ClientManaged } else { mode };
                let name = if server.is_empty() { thread.clone() } else { format!("{thread} (server {server})") };
                by_reading.entry((source, shown.name(), voice.conflicting_start)).or_default().push(name);
            }
        }
        by_reading
            .into_iter()
            .map(|((source, mode, conflicting), mut threads)| {
                threads.sort();
                let count = threads.len();
                let mut listed = threads.into_iter().take(LISTED).collect::<Vec<_>>().join(", ");
                if count > LISTED {
                    listed.push_str(&format!(" and {} more", count - LISTED));
                }
                let why = match source {
                    ModeSource::Start | ModeSource::Assumed => {
                        "neither a resolveHandoff/finalizeHandoff nor a turn of the server's own on the voice thread \
                         shows the mode; checked with the client-controlled rules"
                    }
                    ModeSource::ClientAnswered => "the client sent resolveHandoff/finalizeHandoff on the voice thread",
                    ModeSource::ServerTurn if mode == HandoffMode::ClientManaged.name() => {
                        "the server ran its own turn on the voice thread after the handoff item, and the client \
                         relayed with appendText/appendSpeech"
                    }
                    ModeSource::ServerTurn => "the server ran its own turn on the voice thread after the handoff item",
                };
                let start = if conflicting {
                    "thread/realtime/start sets both clientControlledHandoff and clientManagedHandoffs"
                } else {
                    "no thread/realtime/start recorded"
                };
                let verb =
                    if source == ModeSource::Assumed || source == ModeSource::Start { "assumed" } else { "inferred" };
                format!("handoff mode {verb} {mode} for voice thread(s) {listed}: {start}; {why}")
            })
            .collect()
    }

    /// The server id a handoff's requests go to. Bare frames (no server id) are one connection: every handoff of a
    /// bare capture targets it. Otherwise the `server` value is resolved among the known servers and the ids seen
    /// so far; a value that names none is kept as an id, checked at the end ([`Self::finish`]); an ambiguous name
    /// is reported now.
    fn target(
        &mut self,
        frame: &FlowFrame<'_>,
        handoff_id: &str,
        value: Option<&str>,
        findings: &mut Vec<FlowFinding>,
    ) -> String {
        let origin = frame.server_id;
        if origin.is_empty() {
            if !names_origin(value) {
                let value = value.unwrap_or_default().trim().to_owned();
                if !self.bare_attributed.contains(&value) {
                    self.bare_attributed.push(value);
                }
            }
            return String::new();
        }
        let servers = self.known_servers_now();
        match resolve_server(&servers, origin, value) {
            Ok(id) => id.to_owned(),
            Err(error) => {
                let value = value.unwrap_or_default().trim().to_owned();
                match error {
                    ServerLookupError::Unknown => self.unknown_targets.push(UnknownTarget {
                        handoff_id: handoff_id.to_owned(),
                        value: value.clone(),
                        position: frame.position,
                    }),
                    ServerLookupError::Ambiguous(_) => {
                        self.unattributed += 1;
                        let finding = unattributed_finding(handoff_id, &value, &servers, Some(&error), frame.position);
                        findings.push(finding);
                    }
                }
                value
            }
        }
    }

    /// The servers a `server` value may name: the known list, then every other server id seen so far.
    /// [`Self::known_servers`], built again only after the known list or the ids seen changed (every handoff item
    /// resolves its `server` value among them).
    fn known_servers_now(&mut self) -> Arc<[ServerInfo]> {
        match &self.known_servers_list {
            Some(servers) => Arc::clone(servers),
            None => Arc::clone(self.known_servers_list.insert(self.known_servers().into())),
        }
    }

    fn known_servers(&self) -> Vec<ServerInfo> {
        let mut servers = self.known.clone();
        let mut seen: Vec<&String> =
            self.seen.iter().filter(|id| !self.known.iter().any(|known| &known.id == *id)).collect();
        seen.sort();
        servers.extend(seen.into_iter().map(|id| ServerInfo::new(id.clone(), id.clone())));
        servers
    }

    fn client_request(
        &mut self,
        frame: &FlowFrame<'_>,
        id: IdRef<'_>,
        method: &str,
        params: Params<'_>,
        findings: &mut Vec<FlowFinding>,
    ) {
        let server_id = frame.server_id;
        let thread = params.thread();
        let thread = thread.as_deref();
        let finding = |violation: FlowViolation, handoff: &str, pointer: &str| FlowFinding {
            severity: violation.rule.severity(),
            rule: violation.rule.id(),
            message: format!("handoff {handoff:?}: {}", violation.message),
            pointer: pointer.to_owned(),
            method: Some(method.to_owned()),
            position: frame.position,
        };
        match method {
            methods::THREAD_REALTIME_START => {
                // Only the whole params say the mode (`reads_params`); a typed frame cannot carry them.
                let (Some(thread), Params::Json(params)) = (thread, params) else { return };
                let voice = voice_track(&mut self.voices, server_id, thread.as_str());
                // A new session on the thread: handoffs of an earlier one whose mode never showed keep the
                // client-controlled reading.
                if voice.mode.is_none() && voice.had_handoff {
                    voice.mode = Some((HandoffMode::ClientControlled, ModeSource::Assumed));
                    findings.append(&mut voice.held);
                }
                let [controlled, managed] = params.members([CLIENT_CONTROLLED_FLAG, CLIENT_MANAGED_FLAG]);
                match HandoffMode::from_flags(controlled.is_true(), managed.is_true()) {
                    StartedMode::Mode(mode) => {
                        voice.mode = Some((mode, ModeSource::Start));
                        voice.conflicting_start = false;
                    }
                    StartedMode::Conflicting => {
                        voice.mode = None;
                        voice.conflicting_start = true;
                    }
                }
            }
            methods::THREAD_REALTIME_APPEND_TEXT | methods::THREAD_REALTIME_APPEND_SPEECH => {
                let Some(thread) = thread else { return };
                let Some(voice) = self.voices.get_mut(server_id).and_then(|voices| voices.get_mut(thread.as_str()))
                else {
                    return;
                };
                voice.relayed = true;
                self.touched = voice.running.last().or(voice.done.last()).copied();
                for index in voice.running.iter().chain(&voice.done) {
                    if let Some(flow) = self.handoffs.get_mut(index).and_then(|handoff| handoff.flow.as_mut()) {
                        let _ = flow.apply(FlowStep::Relayed, &mut ThreadCache::new());
                    }
                }
            }
            methods::THREAD_RESUME | methods::THREAD_START | methods::TURN_START => {
                let is_resume = method == methods::THREAD_RESUME;
                let is_start = method == methods::THREAD_START;
                if let (Some(thread), methods::TURN_START) = (thread, method)
                    && let Some(voice) =
                        self.voices.get_mut(server_id).and_then(|voices| voices.get_mut(thread.as_str()))
                {
                    // Its `turn/started` is the client's turn, not the server running a handoff.
                    voice.client_turns += 1;
                }
                let active = self.active_on.get(server_id).copied();
                let server = server_track(&mut self.servers, server_id);
                server.flow_requests += 1;
                let kind = match (thread, is_resume, is_start) {
                    (Some(thread), true, _) => Some(RequestKind::Resume(thread.clone())),
                    (_, _, true) => Some(RequestKind::Start),
                    _ => None,
                };
                if let (Some(kind), Some(handoff)) = (kind, active) {
                    server.pending.insert(id.text(), PendingRequest { kind, handoff });
                }
                self.touched = active;
                let Some(index) = active else {
                    // The user's own resume or start, outside any handoff: read as a context switch. It may also be
                    // the app reconnecting its voice thread, which switches nothing; the next handoff decides.
                    if (is_resume || is_start) && server.cache.cached().is_some() {
                        server.before_switch.get_or_insert_with(|| server.cache.clone());
                        server.cache.context_switched();
                    }
                    return;
                };
                let Some(handoff) = self.handoffs.get_mut(&index) else { return };
                let client_controlled =
                    handoff.flow.as_ref().is_some_and(|flow| flow.mode() == HandoffMode::ClientControlled);
                if client_controlled && let Some(before) = server.before_switch.take() {
                    // First request of the first handoff since that switch: a turn straight into the thread cached
                    // before it means the client saw no switch, so judge the handoff on the old cache.
                    let turn_into_old = !is_resume && !is_start && thread.is_some() && before.cached() == thread;
                    let untouched = handoff.flow.as_ref().is_some_and(|flow| *flow.phase() == HandoffPhase::Planned);
                    if turn_into_old && untouched {
                        server.cache = before;
                        handoff.flow = Some(HandoffFlow::begin(&server.cache, handoff.requested.as_ref()));
                    }
                }
                let undecided = self
                    .voices
                    .get(&handoff.voice.0)
                    .and_then(|voices| voices.get(&handoff.voice.1))
                    .is_some_and(|voice| voice.mode.is_none());
                if undecided
                    && !is_resume
                    && !is_start
                    && let Some(thread) = thread
                {
                    handoff.tentative_turns.push((frame.position, thread.clone()));
                }
                let Some(flow) = handoff.flow.as_mut() else { return };
                let result = if is_start {
                    flow.apply(FlowStep::StartSent, &mut server.cache)
                } else if let Some(thread) = thread {
                    if is_resume {
                        flow.apply(FlowStep::ResumeSent(thread), &mut server.cache)
                    } else if server.responses_seen
                        || !matches!(flow.phase(), HandoffPhase::Resuming(_) | HandoffPhase::Starting)
                    {
                        flow.apply(FlowStep::TurnSent(thread), &mut server.cache)
                    } else {
                        // The resume or start is unanswered and this server has sent no response so far: judge the
                        // turn on request order, and keep what a recorded response would have shown in case one
                        // turns up later.
                        let mut strict_flow = flow.clone();
                        let mut strict_cache = server.cache.clone();
                        if let Err(violation) = strict_flow.apply(FlowStep::TurnSent(thread), &mut strict_cache) {
                            let found = finding(violation, &handoff.handoff_id, THREAD_POINTER);
                            server.deferred.push((handoff.voice.clone(), found));
                        }
                        match flow.phase().clone() {
                            HandoffPhase::Resuming(resumed) => {
                                let _ = flow.apply(FlowStep::ResumeSucceeded(&resumed), &mut server.cache);
                            }
                            HandoffPhase::Starting => {
                                let _ = flow.apply(FlowStep::StartSucceeded(thread), &mut server.cache);
                            }
                            _ => {}
                        }
                        flow.apply(FlowStep::TurnSent(thread), &mut server.cache)
                    }
                } else {
                    // No readable thread id: the schema check reports it; the flow cannot place the request.
                    Ok(())
                };
                if let Err(violation) = result {
                    let pointer = if is_start { "" } else { THREAD_POINTER };
                    let found = finding(violation, &handoff.handoff_id, pointer);
                    report(&mut self.voices, &handoff.voice, found, findings);
                }
            }
            methods::THREAD_REALTIME_RESOLVE_HANDOFF | methods::THREAD_REALTIME_FINALIZE_HANDOFF => {
                server_track(&mut self.servers, server_id).flow_requests += 1;
                let Some(voice_thread) = thread else { return };
                let finalize = method == methods::THREAD_REALTIME_FINALIZE_HANDOFF;
                let step = if finalize { FlowStep::Finalized } else { FlowStep::Resolved };
                if let Some(voice) =
                    self.voices.get_mut(server_id).and_then(|voices| voices.get_mut(voice_thread.as_str()))
                {
                    match voice.mode {
                        // Only a client-controlled session has resolve/finalize: the held findings stand.
                        None => {
                            voice.mode = Some((HandoffMode::ClientControlled, ModeSource::ClientAnswered));
                            findings.append(&mut voice.held);
                        }
                        Some((mode, _)) if mode.server_runs_turn() => {
                            // Judged by the latest handoff of the session, or by the session's mode alone.
                            let latest = voice.running.last().or(voice.done.last()).copied();
                            self.touched = latest;
                            let handoff = latest.and_then(|index| self.handoffs.get_mut(&index));
                            let (violation, name) = match handoff {
                                Some(handoff) => {
                                    let flow = handoff.flow.get_or_insert_with(|| HandoffFlow::server_run(mode));
                                    (flow.apply(step, &mut ThreadCache::new()).err(), Some(&handoff.handoff_id))
                                }
                                None => {
                                    (HandoffFlow::server_run(mode).apply(step, &mut ThreadCache::new()).err(), None)
                                }
                            };
                            if let Some(violation) = violation {
                                findings.push(FlowFinding {
                                    severity: violation.rule.severity(),
                                    rule: violation.rule.id(),
                                    message: match name {
                                        Some(handoff) => format!("handoff {handoff:?}: {}", violation.message),
                                        None => format!("voice thread {voice_thread}: {}", violation.message),
                                    },
                                    pointer: THREAD_POINTER.to_owned(),
                                    method: Some(method.to_owned()),
                                    position: frame.position,
                                });
                            }
                            return;
                        }
                        Some(_) => {}
                    }
                }
                let voice = self.voices.get(server_id).and_then(|voices| voices.get(voice_thread.as_str()));
                let open = voice.and_then(|voice| voice.open);
                let Some(index) = open else {
                    findings.push(FlowFinding {
                        severity: FlowSeverity::Error,
                        rule: FlowRule::UnresolvedHandoff.id(),
                        message: format!("no handoff is open on voice thread {voice_thread}"),
                        pointer: THREAD_POINTER.to_owned(),
                        method: Some(method.to_owned()),
                        position: frame.position,
                    });
                    return;
                };
                self.touched = Some(index);
                let Some(handoff) = self.handoffs.get_mut(&index) else { return };
                let target_cache = &mut server_track(&mut self.servers, &handoff.target).cache;
                if let Some(flow) = handoff.flow.as_mut()
                    && let Err(violation) = flow.apply(step, target_cache)
                {
                    findings.push(finding(violation, &handoff.handoff_id, THREAD_POINTER));
                }
                if finalize {
                    self.close(server_id, voice_thread.as_str(), index);
                }
            }
            _ => {}
        }
    }

    fn server_response(
        &mut self,
        server_id: &str,
        id: IdRef<'_>,
        result: Option<Json<'_>>,
        findings: &mut Vec<FlowFinding>,
    ) {
        let server = server_track(&mut self.servers, server_id);
        if !server.responses_seen {
            server.responses_seen = true;
            for (voice, finding) in std::mem::take(&mut server.deferred) {
                report(&mut self.voices, &voice, finding, findings);
            }
        }
        if server.pending.is_empty() {
            return;
        }
        let Some(pending) = server.pending.remove(&id.text()) else { return };
        self.touched = Some(pending.handoff);
        let Some(flow) = self.handoffs.get_mut(&pending.handoff).and_then(|handoff| handoff.flow.as_mut()) else {
            return;
        };
        // Answers only move the state forward; the violations are in the requests that follow them.
        let _ = match (&pending.kind, result) {
            (RequestKind::Resume(thread), Some(_)) => flow.apply(FlowStep::ResumeSucceeded(thread), &mut server.cache),
            (RequestKind::Resume(thread), None) => flow.apply(FlowStep::ResumeFailed(thread), &mut server.cache),
            (RequestKind::Start, Some(result)) => match result.decode::<ThreadStartResponse>() {
                Ok(started) => flow.apply(FlowStep::StartSucceeded(&started.thread.id), &mut server.cache),
                Err(_) => Ok(()),
            },
            (RequestKind::Start, None) => Ok(()),
        };
    }

    fn server_notification(
        &mut self,
        frame: &FlowFrame<'_>,
        method: &str,
        params: Json<'_>,
        findings: &mut Vec<FlowFinding>,
    ) {
        match method {
            methods::THREAD_REALTIME_ITEM_ADDED => {
                let added = ItemAdded::read_json(params);
                let Some(item) = added.handoff() else { return };
                let target = if let ItemAdded::Rejected { server, .. } = &added {
                    // An item that does not decode fails before reaching any server (the router answers it with an
                    // error): nothing goes to its target, so there is nothing to attribute.
                    server.clone().unwrap_or_else(|| frame.server_id.to_owned())
                } else {
                    self.target(frame, item.handoff_id, item.server, findings)
                };
                let voice_key: VoiceKey = (frame.server_id.to_owned(), item.voice_thread.as_str().to_owned());
                let index = self.opened;
                self.opened += 1;
                self.touched = Some(index);
                self.handoffs.insert(
                    index,
                    HandoffTrack {
                        handoff_id: item.handoff_id.to_owned(),
                        target,
                        requested: item.thread_id.cloned(),
                        flow: None,
                        position: frame.position,
                        voice: voice_key.clone(),
                        tentative_turns: Vec::new(),
                    },
                );
                let voice = voice_track(&mut self.voices, &voice_key.0, &voice_key.1);
                voice.had_handoff = true;
                match voice.mode {
                    Some((mode, _)) if mode.server_runs_turn() => {
                        // The server runs it (a second one while its turn runs steers that turn). The handoffs it
                        // finished before are over: what the client owed them is due now.
                        let done = std::mem::take(&mut voice.done);
                        voice.running.push(index);
                        for finished in done {
                            self.finish_server_run(finished, findings);
                        }
                        if let Some(handoff) = self.handoffs.get_mut(&index) {
                            handoff.flow = Some(HandoffFlow::server_run(mode));
                            self.active_on.insert(handoff.target.clone(), index);
                        }
                    }
                    _ if voice.open.is_some() => voice.queued.push_back(index),
                    _ => {
                        voice.open = Some(index);
                        self.activate(index);
                    }
                }
            }
            methods::TURN_STARTED | methods::TURN_COMPLETED => {
                let Some(thread) = params.str_member("threadId") else { return };
                let thread = &*thread;
                let Some(voice) = self.voices.get_mut(frame.server_id).and_then(|voices| voices.get_mut(thread)) else {
                    return;
                };
                if method == methods::TURN_STARTED {
                    if voice.client_turns > 0 {
                        voice.client_turns -= 1;
                        return;
                    }
                    if voice.mode == Some((HandoffMode::ClientControlled, ModeSource::Start)) && voice.open.is_some() {
                        voice.flag_ignored = true;
                    }
                    // A turn of the server's own on the voice thread while a handoff is open: it runs the handoff.
                    if voice.mode.is_none() && voice.open.is_some() {
                        let key: VoiceKey = (frame.server_id.to_owned(), thread.to_owned());
                        self.infer_server_run(&key, findings);
                    }
                }
                let Some(voice) = self.voices.get_mut(frame.server_id).and_then(|voices| voices.get_mut(thread)) else {
                    return;
                };
                if !voice.mode.is_some_and(|(mode, _)| mode.server_runs_turn()) {
                    return;
                }
                let step = if method == methods::TURN_STARTED {
                    FlowStep::ServerTurnStarted
                } else {
                    FlowStep::ServerTurnCompleted
                };
                let mut completed = Vec::new();
                self.touched = voice.running.first().copied();
                for &index in &voice.running {
                    let Some(handoff) = self.handoffs.get_mut(&index) else { continue };
                    let Some(flow) = handoff.flow.as_mut() else { continue };
                    let _ = flow.apply(step, &mut ThreadCache::new());
                    if *flow.phase() == HandoffPhase::ServerTurnDone {
                        completed.push(index);
                        if self.active_on.get(&handoff.target) == Some(&index) {
                            self.active_on.remove(&handoff.target);
                        }
                    }
                }
                voice.running.retain(|index| !completed.contains(index));
                if let Some(&first) = completed.first() {
                    self.ended = Some(first);
                }
                voice.done.extend(completed);
            }
            methods::THREAD_STARTED => {
                // The new thread's id, also where no responses are recorded: the start of a handoff succeeded.
                let Ok(started) = params.decode::<ThreadStartedNotification>() else { return };
                let Some(&index) = self.active_on.get(frame.server_id) else { return };
                self.touched = Some(index);
                let server = server_track(&mut self.servers, frame.server_id);
                // Where responses are recorded, the start response names the handoff's thread. The real app-server
                // sends `thread/started` after its response, so the notification of the user's own thread/start
                // can arrive while a handoff's start is pending: it must not be taken for the handoff's thread.
                if server.responses_seen {
                    return;
                }
                if let Some(flow) = self.handoffs.get_mut(&index).and_then(|handoff| handoff.flow.as_mut())
                    && *flow.phase() == HandoffPhase::Starting
                {
                    let _ = flow.apply(FlowStep::StartSucceeded(&started.thread.id), &mut server.cache);
                }
            }
            _ => {}
        }
    }

    /// The server ran a turn of its own on voice thread `key` while its mode was undecided: it runs the handoffs
    /// there itself (server-managed; the client's relays show client-managed in the notes). The client-controlled
    /// reading of its handoffs is dropped; their client turns are judged again.
    fn infer_server_run(&mut self, key: &VoiceKey, findings: &mut Vec<FlowFinding>) {
        let mode = HandoffMode::ServerManaged;
        let voice = voice_track(&mut self.voices, &key.0, &key.1);
        voice.mode = Some((mode, ModeSource::ServerTurn));
        voice.held.clear();
        for server in self.servers.values_mut() {
            server.deferred.retain(|(voice, _)| voice != key);
        }
        let indices: Vec<usize> = voice.open.take().into_iter().chain(voice.queued.drain(..)).collect();
        voice.running.extend(&indices);
        for index in indices {
            let Some(handoff) = self.handoffs.get_mut(&index) else { continue };
            let mut flow = HandoffFlow::server_run(mode);
            for (position, thread) in std::mem::take(&mut handoff.tentative_turns) {
                if let Err(violation) = flow.apply(FlowStep::TurnSent(&thread), &mut ThreadCache::new()) {
                    findings.push(FlowFinding {
                        severity: violation.rule.severity(),
                        rule: violation.rule.id(),
                        message: format!("handoff {:?}: {}", handoff.handoff_id, violation.message),
                        pointer: THREAD_POINTER.to_owned(),
                        method: Some(methods::TURN_START.to_owned()),
                        position,
                    });
                }
            }
            handoff.flow = Some(flow);
            self.active_on.insert(handoff.target.clone(), index);
            if let Some(server) = self.servers.get_mut(&handoff.target) {
                server.pending.retain(|_, pending| pending.handoff != index);
            }
        }
    }

    /// A handoff the server ran is over (its voice thread's next item, or the end of the capture): what the client
    /// owed it is due.
    fn finish_server_run(&mut self, index: usize, findings: &mut Vec<FlowFinding>) {
        let Some(handoff) = self.handoffs.remove(&index) else { return };
        if let Some(violation) = handoff.flow.as_ref().and_then(|flow| flow.finish().err()) {
            findings.push(item_finding(&handoff, violation));
        }
    }

    /// Starts a handoff: its plan comes from its target's cache as it is now.
    fn activate(&mut self, index: usize) {
        let Some(handoff) = self.handoffs.get_mut(&index) else { return };
        let server = server_track(&mut self.servers, &handoff.target);
        handoff.flow = Some(HandoffFlow::begin(&server.cache, handoff.requested.as_ref()));
        self.active_on.insert(handoff.target.clone(), index);
    }

    /// After a finalize: the voice thread's next handoff, if one waits, opens.
    fn close(&mut self, voice_server: &str, voice_thread: &str, index: usize) {
        self.ended = Some(index);
        if let Some(handoff) = self.handoffs.remove(&index) {
            if self.active_on.get(&handoff.target) == Some(&index) {
                self.active_on.remove(&handoff.target);
            }
            if let Some(server) = self.servers.get_mut(&handoff.target) {
                server.pending.retain(|_, pending| pending.handoff != index);
            }
        }
        let Some(voice) = self.voices.get_mut(voice_server).and_then(|voices| voices.get_mut(voice_thread)) else {
            return;
        };
        voice.open = voice.queued.pop_front();
        if let Some(next) = voice.open {
            self.activate(next);
        }
    }
}

/// The track of voice thread `thread` on `server`, created on first use.
fn voice_track<'m>(
    voices: &'m mut RefMap<String, RefMap<String, VoiceTrack>>,
    server: &str,
    thread: &str,
) -> &'m mut VoiceTrack {
    voices.entry_ref(server).or_default().entry_ref(thread).or_default()
}

/// A finding about a handoff of `voice`: held back while the voice thread's mode is undecided.
fn report(
    voices: &mut RefMap<String, RefMap<String, VoiceTrack>>,
    voice: &VoiceKey,
    finding: FlowFinding,
    findings: &mut Vec<FlowFinding>,
) {
    match voices.get_mut(&voice.0).and_then(|voices| voices.get_mut(&voice.1)) {
        Some(track) if track.mode.is_none() => track.held.push(finding),
        _ => findings.push(finding),
    }
}

/// A finding about a handoff as a whole, at its item.
fn item_finding(handoff: &HandoffTrack, violation: FlowViolation) -> FlowFinding {
    FlowFinding {
        severity: violation.rule.severity(),
        rule: violation.rule.id(),
        message: format!("handoff {:?}: {}", handoff.handoff_id, violation.message),
        pointer: "/params/item/handoff_id".to_owned(),
        method: Some(methods::THREAD_REALTIME_ITEM_ADDED.to_owned()),
        position: handoff.position,
    }
}

/// The `flow/unattributed-handoff` warning at a handoff item.
fn unattributed_finding(
    handoff_id: &str,
    value: &str,
    servers: &[ServerInfo],
    error: Option<&ServerLookupError>,
    position: u64,
) -> FlowFinding {
    // Ids seen in the capture without a name are listed as they are.
    let listed: Vec<String> =
        servers
            .iter()
            .map(|server| {
                if server.name == server.id {
                    server.id.clone()
                } else {
                    describe_servers(std::slice::from_ref(server))
                }
            })
            .collect();
    let known = if listed.is_empty() { "none".to_owned() } else { listed.join(", ") };
    let why = error.map_or_else(|| ServerLookupError::Unknown.to_string(), ToString::to_string);
    FlowFinding {
        severity: FlowRule::UnattributedHandoff.severity(),
        rule: FlowRule::UnattributedHandoff.id(),
        message: format!(
            "handoff {handoff_id:?} names server {value:?}: {why}; the capture knows {known}. Its thread/resume, \
             thread/start and turn/start requests were not checked (give the server list with a `servers` header or \
             --server ID=NAME)"
        ),
        pointer: "/params/item/server".to_owned(),
        method: Some(methods::THREAD_REALTIME_ITEM_ADDED.to_owned()),
        position,
    }
}

fn classify(message: &Value) -> Option<Frame<'_>> {
    let object = message.as_object()?;
    let id = object.get("id").map(|id| IdRef::Json(Json::Value(id)));
    let method = object.get("method").and_then(Value::as_str);
    let params = object.get("params").map_or(Json::null(), Json::Value);
    match (id, method) {
        (Some(id), Some(method)) => Some(Frame::Request { id, method, params: Params::Json(params) }),
        (None, Some(method)) => Some(Frame::Notification { method, params }),
        (Some(id), None) if object.contains_key("error") => Some(Frame::Response { id, result: None }),
        (Some(id), None) => {
            Some(Frame::Response { id, result: Some(object.get("result").map_or(Json::null(), Json::Value)) })
        }
        (None, None) => None,
    }
}

/// [`classify`] of a message read as text: the same members, the same reading.
fn classify_view<'a>(view: &'a MessageView<'a>) -> Option<Frame<'a>> {
    let id = view.id.map(|id| IdRef::Json(Json::Text(id)));
    let method = view.method.as_ref().and_then(Option::as_deref);
    let params = view.params.map_or(Json::null(), Json::Text);
    match (id, method) {
        (Some(id), Some(method)) => Some(Frame::Request { id, method, params: Params::Json(params) }),
        (None, Some(method)) => Some(Frame::Notification { method, params }),
        (Some(id), None) if view.error => Some(Frame::Response { id, result: None }),
        (Some(id), None) => Some(Frame::Response { id, result: Some(view.result.map_or(Json::null(), Json::Text)) }),
        (None, None) => None,
    }
}

/// `params.threadId` when it is a valid thread id (an invalid one is the schema check's finding).
fn thread_param(params: Json<'_>) -> Option<ThreadId> {
    params.str_member("threadId").and_then(|id| ThreadId::new(id).ok())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// One capture entry: direction ("out" = client → server), server id, message.
    type Entry = (&'static str, &'static str, Value);

    /// The note of a capture without `thread/realtime/start` whose client resolves voice_1's handoffs.
    const CLIENT_ANSWERED: &str = "handoff mode inferred client-controlled for voice thread(s) voice_1 (server local): \
                                   no thread/realtime/start recorded; the client sent resolveHandoff/finalizeHandoff on \
                                   the voice thread";

    /// Runs a capture through the checker; positions are 1-based entry numbers.
    /// Every capture also runs with requests and responses handed over typed, as the validator's fast path does
    /// (where it can read them), and with every message handed over as its JSON text: the findings must not change.
    fn check(entries: &[Entry]) -> (Vec<FlowFinding>, Vec<String>) {
        check_with(entries, &[])
    }

    /// As [`check`], with a known server list (id, display name).
    fn check_with(entries: &[Entry], servers: &[(&str, &str)]) -> (Vec<FlowFinding>, Vec<String>) {
        let by_value = run(entries, servers, Handover::Value);
        assert_eq!(run(entries, servers, Handover::Typed), by_value, "typed frames give other findings");
        assert_eq!(run(entries, servers, Handover::Json), by_value, "messages as JSON text give other findings");
        assert_eq!(run(entries, servers, Handover::Read), by_value, "messages read as ReadMessage give other findings");
        by_value
    }

    /// How [`run`] hands messages over.
    #[derive(Clone, Copy, PartialEq)]
    enum Handover {
        Value,
        /// Requests and responses typed where they can be, as the validator's fast path does.
        Typed,
        /// Every message as its JSON text.
        Json,
        /// Every message read from its JSON text as a [`ReadMessage`].
        Read,
    }

    fn run(entries: &[Entry], servers: &[(&str, &str)], handover: Handover) -> (Vec<FlowFinding>, Vec<String>) {
        let typed = handover == Handover::Typed;
        let mut check = FlowCheck::with_servers(servers.iter().map(|(id, name)| ServerInfo::new(*id, *name)).collect());
        let mut findings = Vec::new();
        for (index, (dir, server_id, message)) in entries.iter().enumerate() {
            let direction = if *dir == "out" { FlowDirection::ClientToServer } else { FlowDirection::ServerToClient };
            let id = match message.get("id") {
                Some(Value::String(s)) => Some(FlowId::Str(s)),
                Some(Value::Number(n)) => n.as_i64().map(FlowId::Int),
                _ => None,
            };
            let thread =
                message.pointer("/params/threadId").and_then(Value::as_str).and_then(|t| ThreadId::new(t).ok());
            let method = message.get("method").and_then(Value::as_str);
            let result = message.get("result");
            let text = message.to_string();
            let read: ReadMessage = serde_json::from_str(&text).expect("a message's text reads");
            let message = match (typed, id, method, thread.as_ref(), result) {
                _ if handover == Handover::Json => FlowMessage::Json(&text),
                _ if handover == Handover::Read => FlowMessage::Read(&read),
                (true, Some(id), Some(method), Some(thread), None) if !reads_params(method) => {
                    FlowMessage::Request { id, method, thread }
                }
                (true, Some(id), None, _, Some(result)) if message.get("error").is_none() => {
                    FlowMessage::Response { id, result }
                }
                _ => FlowMessage::Value(message),
            };
            let frame = FlowFrame { server_id, direction, message, position: index as u64 + 1 };
            check.observe(&frame, &mut findings);
        }
        let notes = check.finish(&mut findings);
        (findings, notes)
    }

    fn rules(findings: &[FlowFinding]) -> Vec<(u64, &'static str)> {
        findings.iter().map(|finding| (finding.position, finding.rule)).collect()
    }

    fn handoff(id: &str, server: Option<&str>, thread: Option<&str>) -> Entry {
        let mut item = json!({"type": "handoff_request", "handoff_id": id, "item_id": format!("item_{id}"),
            "input_transcript": "continue that session", "active_transcript": []});
        if let Some(server) = server {
            item["server"] = json!(server);
        }
        if let Some(thread) = thread {
            item["thread_id"] = json!(thread);
        }
        ("in", "local", json!({"method": "thread/realtime/itemAdded", "params": {"threadId": "voice_1", "item": item}}))
    }

    fn request(server: &'static str, id: u64, method: &str, params: Value) -> Entry {
        ("out", server, json!({"id": id, "method": method, "params": params}))
    }

    fn resume(server: &'static str, id: u64, thread: &str) -> Entry {
        request(server, id, "thread/resume", json!({"threadId": thread}))
    }

    fn turn(server: &'static str, id: u64, thread: &str) -> Entry {
        request(server, id, "turn/start", json!({"threadId": thread, "input": [{"type": "text", "text": "go"}]}))
    }

    fn start(server: &'static str, id: u64) -> Entry {
        request(server, id, "thread/start", json!({}))
    }

    fn resolve(id: u64, text: &str) -> Entry {
        request("local", id, "thread/realtime/resolveHandoff", json!({"threadId": "voice_1", "toolCallOutput": text}))
    }

    fn finalize(id: u64) -> Entry {
        request("local", id, "thread/realtime/finalizeHandoff", json!({"threadId": "voice_1"}))
    }

    fn ok(server: &'static str, id: u64, result: Value) -> Entry {
        ("in", server, json!({"id": id, "result": result}))
    }

    fn resumed(server: &'static str, id: u64, thread: &str) -> Entry {
        ok(
            server,
            id,
            json!({"thread": {"id": thread}, "model": "m", "modelProvider": "p", "cwd": "/",
            "approvalPolicy": "never", "sandbox": {"type": "readOnly"}}),
        )
    }

    fn started(server: &'static str, id: u64, thread: &str) -> Entry {
        ok(
            server,
            id,
            json!({"thread": {"id": thread}, "model": "m", "modelProvider": "p", "cwd": "/",
            "approvalPolicy": "never", "sandbox": {"type": "readOnly"}}),
        )
    }

    fn failed(server: &'static str, id: u64, thread: &str) -> Entry {
        (
            "in",
            server,
            json!({"id": id, "error": {"code": -32600, "message": format!("no rollout found for thread id {thread}")}}),
        )
    }

    /// The seed flow: "continue that session on bigpc" with thread_id thr_123.
    fn seed_flow() -> Vec<Entry> {
        vec![
            handoff("h1", Some("bigpc"), Some("thr_123")),
            resume("bigpc", 1, "thr_123"),
            resumed("bigpc", 1, "thr_123"),
            turn("bigpc", 2, "thr_123"),
            ok("bigpc", 2, json!({"turn": {"id": "turn_1", "status": "inProgress"}})),
            (
                "in",
                "bigpc",
                json!({"method": "item/agentMessage/delta",
                "params": {"threadId": "thr_123", "turnId": "turn_1", "itemId": "msg_1", "delta": "Done."}}),
            ),
            resolve(3, "Done."),
            ok("local", 3, json!({})),
            (
                "in",
                "bigpc",
                json!({"method": "turn/completed",
                "params": {"threadId": "thr_123", "turn": {"id": "turn_1", "status": "completed"}}}),
            ),
            finalize(4),
            ok("local", 4, json!({})),
        ]
    }

    #[test]
    fn seed_flow_is_clean() {
        let (findings, notes) = check(&seed_flow());
        assert_eq!(findings, []);
        assert_eq!(notes, [CLIENT_ANSWERED]);
    }

    #[test]
    fn turn_before_the_resume_response_breaks_resume_before_turn() {
        let mut entries = seed_flow();
        entries.swap(2, 3); // turn/start now precedes the resume response
        let (findings, _) = check(&entries);
        assert_eq!(rules(&findings), [(3, "flow/resume-before-turn")]);
        assert_eq!(findings[0].pointer, "/params/threadId");
        assert_eq!(findings[0].method.as_deref(), Some("turn/start"));
    }

    #[test]
    fn turn_without_any_resume_breaks_resume_before_turn() {
        let entries = vec![
            handoff("h1", Some("bigpc"), Some("thr_123")),
            turn("bigpc", 1, "thr_123"),
            resolve(2, "x"),
            finalize(3),
            ok("local", 2, json!({})),
        ];
        let (findings, _) = check(&entries);
        assert_eq!(rules(&findings), [(2, "flow/resume-before-turn")]);
    }

    #[test]
    fn resuming_the_cached_thread_again_breaks_repeated_resume() {
        let mut entries = seed_flow();
        entries.extend([
            handoff("h2", Some("bigpc"), Some("thr_123")),
            resume("bigpc", 5, "thr_123"),
            resumed("bigpc", 5, "thr_123"),
            turn("bigpc", 6, "thr_123"),
            resolve(7, "again"),
            finalize(8),
        ]);
        let (findings, _) = check(&entries);
        assert_eq!(rules(&findings), [(13, "flow/repeated-resume")]);
    }

    #[test]
    fn follow_up_without_thread_id_reuses_the_cached_thread() {
        let mut entries = seed_flow();
        entries.extend([
            handoff("h2", Some("bigpc"), None),
            turn("bigpc", 5, "thr_123"),
            resolve(6, "ok"),
            finalize(7),
        ]);
        let (findings, _) = check(&entries);
        assert_eq!(findings, []);
    }

    #[test]
    fn a_new_thread_despite_a_cached_one_breaks_scratch_fallback() {
        let mut entries = seed_flow();
        entries.extend([
            handoff("h2", Some("bigpc"), None),
            start("bigpc", 5),
            started("bigpc", 5, "thr_scratch"),
            turn("bigpc", 6, "thr_scratch"),
            resolve(7, "ok"),
            finalize(8),
        ]);
        let (findings, _) = check(&entries);
        assert_eq!(rules(&findings), [(13, "flow/scratch-fallback"), (15, "flow/scratch-fallback")]);
    }

    #[test]
    fn first_handoff_without_thread_starts_one_and_caches_it() {
        let entries = vec![
            handoff("h1", None, None),
            start("local", 1),
            started("local", 1, "thr_new"),
            turn("local", 2, "thr_new"),
            resolve(3, "(No response)"),
            finalize(4),
            handoff("h2", Some("local"), None),
            turn("local", 5, "thr_new"),
            resolve(6, "ok"),
            finalize(7),
        ];
        let (findings, _) = check(&entries);
        assert_eq!(findings, []);
    }

    #[test]
    fn anything_after_a_failed_resume_breaks_resume_failure_fallback() {
        let entries = vec![
            handoff("h1", Some("bigpc"), Some("thr_gone")),
            resume("bigpc", 1, "thr_gone"),
            failed("bigpc", 1, "thr_gone"),
            start("bigpc", 2),
            started("bigpc", 2, "thr_scratch"),
            turn("bigpc", 3, "thr_scratch"),
            resolve(4, "x"),
            finalize(5),
            ok("local", 4, json!({})),
        ];
        let (findings, _) = check(&entries);
        assert_eq!(rules(&findings), [(4, "flow/resume-failure-fallback"), (6, "flow/resume-failure-fallback")]);
    }

    #[test]
    fn failed_resume_that_fails_closed_is_clean_and_keeps_the_cache() {
        let mut entries = seed_flow();
        entries.extend([
            handoff("h2", Some("bigpc"), Some("thr_gone")),
            resume("bigpc", 5, "thr_gone"),
            failed("bigpc", 5, "thr_gone"),
            resolve(6, "Error: could not resume thread thr_gone"),
            finalize(7),
            // The cache still holds thr_123: a follow-up without thread_id goes there.
            handoff("h3", Some("bigpc"), None),
            turn("bigpc", 8, "thr_123"),
            resolve(9, "ok"),
            finalize(10),
        ]);
        let (findings, _) = check(&entries);
        assert_eq!(findings, []);
    }

    #[test]
    fn resolve_and_finalize_mistakes_break_unresolved_handoff() {
        let entries = vec![
            handoff("h1", Some("bigpc"), Some("thr_123")),
            finalize(1),
            resolve(2, "late"),
            finalize(3),
            handoff("h2", Some("bigpc"), Some("thr_123")),
            ok("local", 1, json!({})),
        ];
        let (findings, _) = check(&entries);
        assert_eq!(
            rules(&findings),
            [
                (2, "flow/unresolved-handoff"),
                (3, "flow/unresolved-handoff"),
                (4, "flow/unresolved-handoff"),
                // bigpc sent nothing: not even its id is known, so both handoffs are unattributed.
                (1, "flow/unattributed-handoff"),
                (5, "flow/unresolved-handoff"),
                (5, "flow/unattributed-handoff")
            ]
        );
        assert_eq!(findings[4].pointer, "/params/item/handoff_id");
        assert!(findings[4].message.contains("h2"), "{}", findings[4].message);
    }

    #[test]
    fn a_second_handoff_waits_for_the_first_to_finalize() {
        let entries = vec![
            handoff("h1", Some("bigpc"), Some("thr_123")),
            handoff("h2", Some("bigpc"), Some("thr_456")),
            resume("bigpc", 1, "thr_123"),
            resumed("bigpc", 1, "thr_123"),
            turn("bigpc", 2, "thr_123"),
            resolve(3, "one"),
            finalize(4),
            resume("bigpc", 5, "thr_456"),
            resumed("bigpc", 5, "thr_456"),
            turn("bigpc", 6, "thr_456"),
            resolve(7, "two"),
            finalize(8),
            ok("local", 3, json!({})),
        ];
        let (findings, _) = check(&entries);
        assert_eq!(findings, []);
        let (findings, _) = check(&entries[..7]);
        assert_eq!(rules(&findings), [(2, "flow/unresolved-handoff")], "h2 never opened");
    }

    #[test]
    fn captures_without_responses_are_checked_on_request_order() {
        let entries = vec![
            handoff("h1", Some("bigpc"), Some("thr_123")),
            resume("bigpc", 1, "thr_123"),
            turn("bigpc", 2, "thr_123"),
            resolve(3, "ok"),
            finalize(4),
            handoff("h2", Some("bigpc"), Some("thr_123")),
            resume("bigpc", 5, "thr_123"),
            turn("bigpc", 6, "thr_123"),
            resolve(7, "ok"),
            finalize(8),
        ];
        let (findings, notes) = check(&entries);
        assert_eq!(rules(&findings), [(7, "flow/repeated-resume")], "the assumed resume cached thr_123");
        assert_eq!(
            notes,
            [
                "server bigpc: no responses recorded; flow checked on request order",
                "server local: no responses recorded; flow checked on request order",
                CLIENT_ANSWERED
            ]
        );
        let out_of_order = vec![
            handoff("h1", Some("bigpc"), Some("thr_123")),
            turn("bigpc", 1, "thr_123"),
            resume("bigpc", 2, "thr_123"),
        ];
        let (findings, _) = check(&out_of_order);
        assert_eq!(rules(&findings), [(2, "flow/resume-before-turn"), (1, "flow/unresolved-handoff")]);
        // Reported once, even when a response later shows that responses were recorded.
        let mut answered = out_of_order.clone();
        answered.push(resumed("bigpc", 2, "thr_123"));
        let (findings, _) = check(&answered);
        assert_eq!(rules(&findings), [(2, "flow/resume-before-turn"), (1, "flow/unresolved-handoff")]);
    }

    #[test]
    fn held_back_findings_surface_once_a_response_shows_up() {
        let entries = vec![
            handoff("h1", Some("bigpc"), Some("thr_123")),
            resume("bigpc", 1, "thr_123"),
            turn("bigpc", 2, "thr_123"),
            resumed("bigpc", 1, "thr_123"),
            resolve(3, "ok"),
            finalize(4),
        ];
        let (findings, notes) = check(&entries);
        assert_eq!(rules(&findings), [(3, "flow/resume-before-turn")]);
        assert_eq!(notes, ["server local: no responses recorded; flow checked on request order", CLIENT_ANSWERED]);
    }

    #[test]
    fn thread_started_notification_stands_in_for_the_start_response() {
        let entries = vec![
            handoff("h1", None, None),
            start("local", 1),
            ("in", "local", json!({"method": "thread/started", "params": {"thread": {"id": "thr_new"}}})),
            turn("local", 2, "thr_new"),
            resolve(3, "ok"),
            finalize(4),
            ok("local", 2, json!({"turn": {"id": "t"}})),
        ];
        let (findings, _) = check(&entries);
        assert_eq!(findings, []);
    }

    #[test]
    fn a_late_thread_started_of_the_users_own_start_is_not_the_handoffs_thread() {
        // Seen on the real app-server 0.171.0: thread/started follows the start response, so the notification of
        // the user's own thread/start arrives after the next handoff's thread/start went out.
        let mut entries = seed_flow();
        entries.extend([
            start("bigpc", 20),
            started("bigpc", 20, "thr_user"),
            handoff("h2", Some("bigpc"), None),
            start("bigpc", 21),
            ("in", "bigpc", json!({"method": "thread/started", "params": {"thread": {"id": "thr_user"}}})),
            started("bigpc", 21, "thr_new"),
            turn("bigpc", 22, "thr_new"),
            resolve(23, "ok"),
            finalize(24),
        ]);
        let (findings, _) = check(&entries);
        assert_eq!(findings, []);
    }

    #[test]
    fn user_context_switch_lets_the_old_thread_be_resumed_again() {
        let mut entries = seed_flow();
        entries.extend([
            // The user opens another thread on bigpc by hand: not part of any handoff.
            start("bigpc", 20),
            started("bigpc", 20, "thr_user"),
            handoff("h2", Some("bigpc"), Some("thr_123")),
            resume("bigpc", 21, "thr_123"),
            resumed("bigpc", 21, "thr_123"),
            turn("bigpc", 22, "thr_123"),
            resolve(23, "ok"),
            finalize(24),
        ]);
        let (findings, _) = check(&entries);
        assert_eq!(findings, []);
    }

    #[test]
    fn state_stays_bounded_by_the_open_handoffs() {
        let mut check = FlowCheck::new();
        let mut findings = Vec::new();
        for round in 0..500u64 {
            for (offset, (dir, server_id, message)) in seed_flow().into_iter().enumerate() {
                // Each round continues another thread, with fresh request ids.
                let text = message.to_string().replace("thr_123", &format!("thr_{round}"));
                let mut message: Value = serde_json::from_str(&text).expect("still JSON");
                if let Some(id) = message.get("id").and_then(Value::as_u64) {
                    message["id"] = json!(round * 100 + id);
                }
                let direction =
                    if dir == "out" { FlowDirection::ClientToServer } else { FlowDirection::ServerToClient };
                let frame = FlowFrame {
                    server_id,
                    direction,
                    message: FlowMessage::Value(&message),
                    position: round * 100 + offset as u64,
                };
                check.observe(&frame, &mut findings);
            }
        }
        assert!(findings.is_empty(), "{} findings, first {:?}", findings.len(), findings.first());
        assert!(check.handoffs.is_empty(), "finalized handoffs are dropped");
        assert!(check.servers.values().all(|server| server.pending.is_empty()));
    }

    #[test]
    fn a_handoff_item_with_a_malformed_thread_id_still_opens_its_handoff() {
        let (_, _, mut item) = handoff("h1", Some("bigpc"), None);
        item["params"]["item"]["thread_id"] = json!("../etc/passwd");
        let entries = vec![("in", "local", item), resolve(1, "Error: malformed"), finalize(2)];
        let (findings, _) = check(&entries);
        assert_eq!(findings, [], "the error answer belongs to the handoff");
        let (findings, _) = check(&entries[..1]);
        assert_eq!(rules(&findings), [(1, "flow/unresolved-handoff")]);
    }

    #[test]
    fn a_reconnect_resume_outside_handoffs_does_not_forbid_reusing_the_cached_thread() {
        let mut entries = seed_flow();
        entries.extend([
            // The app resumes its voice thread after a reconnect: no handoff is open.
            resume("bigpc", 20, "voice_1"),
            handoff("h2", Some("bigpc"), None),
            turn("bigpc", 21, "thr_123"),
            resolve(22, "ok"),
            finalize(23),
        ]);
        let (findings, _) = check(&entries);
        assert_eq!(findings, []);
        // Read as a real switch, a new thread is fine as well.
        let mut entries = seed_flow();
        entries.extend([
            resume("bigpc", 20, "thr_user"),
            handoff("h2", Some("bigpc"), None),
            start("bigpc", 21),
            started("bigpc", 21, "thr_fresh"),
            turn("bigpc", 22, "thr_fresh"),
            resolve(23, "ok"),
            finalize(24),
        ]);
        let (findings, _) = check(&entries);
        assert_eq!(findings, []);
        // Either way a turn into some third thread is still a fallback.
        let mut entries = seed_flow();
        entries.extend([
            resume("bigpc", 20, "thr_user"),
            handoff("h2", Some("bigpc"), Some("thr_456")),
            turn("bigpc", 21, "thr_123"),
            resolve(22, "ok"),
            finalize(23),
        ]);
        let (findings, _) = check(&entries);
        assert_eq!(rules(&findings), [(14, "flow/scratch-fallback")], "the turn on line 14");
    }

    #[test]
    fn frames_of_methods_the_flow_does_not_need_change_nothing() {
        assert!(reads_method("turn/start") && reads_method("thread/realtime/itemAdded"));
        assert!(!reads_method("model/list") && !reads_method("item/agentMessage/delta"));
        let mut entries = seed_flow();
        entries.swap(2, 3);
        let needed: Vec<Entry> = entries
            .iter()
            .map(|(dir, server, message)| match message.get("method").and_then(Value::as_str) {
                Some(method) if !reads_method(method) => (*dir, *server, json!({"method": "model/list"})),
                _ => (*dir, *server, message.clone()),
            })
            .collect();
        assert_eq!(check(&needed), check(&entries));
    }

    /// The seed flow with the handoff naming its server `server` instead of the id "bigpc".
    fn seed_flow_naming(server: &str) -> Vec<Entry> {
        let mut entries = seed_flow();
        entries[0].2["params"]["item"]["server"] = json!(server);
        entries
    }

    #[test]
    fn a_display_name_resolves_through_the_known_servers() {
        let mut entries = seed_flow_naming("Big PC");
        entries.swap(2, 3);
        let (findings, notes) = check_with(&entries, &[("bigpc", "big pc"), ("local", "laptop")]);
        assert_eq!(rules(&findings), [(3, "flow/resume-before-turn")], "checked as if named by id");
        assert_eq!(notes, [CLIENT_ANSWERED]);
    }

    #[test]
    fn a_name_no_server_has_is_an_unattributed_warning_never_silence() {
        let mut entries = seed_flow_naming("smallpc");
        entries.swap(2, 3);
        let (findings, notes) = check(&entries);
        assert_eq!(rules(&findings), [(1, "flow/unattributed-handoff")], "the broken order is not visible");
        assert_eq!(findings[0].severity, FlowSeverity::Warning);
        assert_eq!(findings[0].pointer, "/params/item/server");
        assert!(findings[0].message.contains("\"smallpc\""), "{}", findings[0].message);
        assert!(
            findings[0].message.contains("knows bigpc, local."),
            "names the known servers: {}",
            findings[0].message
        );
        assert_eq!(
            notes,
            [
                "1 handoff(s) not checked: their server could not be attributed (flow/unattributed-handoff)",
                CLIENT_ANSWERED
            ]
        );
        // The same name, known from a server list, is checked.
        let (findings, _) = check_with(&entries, &[("bigpc", "smallpc")]);
        assert_eq!(rules(&findings), [(3, "flow/resume-before-turn")]);
    }

    #[test]
    fn an_id_seen_only_after_the_item_is_still_attributed() {
        // Nothing names bigpc before the item; its frames follow it.
        let (findings, notes) = check(&seed_flow());
        assert_eq!((findings, notes), (vec![], vec![CLIENT_ANSWERED.to_owned()]));
    }

    #[test]
    fn a_name_several_servers_share_is_ambiguous() {
        let entries = seed_flow_naming("twin");
        let (findings, notes) = check_with(&entries, &[("bigpc", "twin"), ("local", "Twin")]);
        assert_eq!(rules(&findings), [(1, "flow/unattributed-handoff")]);
        assert!(findings[0].message.contains("several servers (bigpc, local)"), "{}", findings[0].message);
        assert_eq!(notes.len(), 2, "{notes:?}");
    }

    #[test]
    fn a_bare_capture_is_one_connection() {
        let bare = |entries: Vec<Entry>| -> Vec<Entry> {
            entries.into_iter().map(|(dir, _, message)| (dir, "", message)).collect()
        };
        let mut entries = bare(seed_flow());
        entries.swap(2, 3);
        let (findings, notes) = check(&entries);
        assert_eq!(rules(&findings), [(3, "flow/resume-before-turn")]);
        assert_eq!(
            notes,
            [
                "bare capture: all frames taken as one app-server connection; handoffs naming server \"bigpc\" \
                 attributed to it",
                "handoff mode inferred client-controlled for voice thread(s) voice_1: no thread/realtime/start \
                 recorded; the client sent resolveHandoff/finalizeHandoff on the voice thread"
            ]
        );
        let (findings, notes) = check(&bare(seed_flow()));
        assert_eq!(findings, []);
        assert_eq!(notes.len(), 2, "the bare connection and the mode, each noted once: {notes:?}");
    }

    fn realtime_start(id: u64, flags: Value) -> Entry {
        let mut params = json!({"threadId": "voice_1", "outputModality": "text"});
        for (flag, value) in flags.as_object().expect("flags").iter() {
            params[flag] = value.clone();
        }
        request("local", id, "thread/realtime/start", params)
    }

    fn voice_turn(method: &str) -> Entry {
        ("in", "local", json!({"method": method, "params": {"threadId": "voice_1", "turn": {"id": "turn_v"}}}))
    }

    fn append(id: u64, method: &str) -> Entry {
        request("local", id, method, json!({"threadId": "voice_1", "text": "The deploy finished."}))
    }

    /// The stock server's handoff as recorded (scenario R): item, its own turn on the voice thread, nothing from the
    /// client.
    fn server_run(start: Option<Value>) -> Vec<Entry> {
        let mut entries: Vec<Entry> = start.map(|flags| realtime_start(1, flags)).into_iter().collect();
        entries.extend([
            handoff("call_1", None, None),
            voice_turn("turn/started"),
            (
                "in",
                "local",
                json!({"method": "item/agentMessage/delta", "params": {"threadId": "voice_1",
                "turnId": "turn_v", "itemId": "m", "delta": "All pass."}}),
            ),
            voice_turn("turn/completed"),
        ]);
        entries
    }

    #[test]
    fn a_server_managed_handoff_owes_the_client_nothing() {
        let (findings, notes) = check(&server_run(Some(json!({}))));
        assert_eq!((findings, notes), (vec![], vec![]), "learned from the start request: no note");
        let (findings, notes) = check(&server_run(None));
        assert_eq!(findings, []);
        assert_eq!(
            notes,
            ["handoff mode inferred server-managed for voice thread(s) voice_1 (server local): no \
              thread/realtime/start recorded; the server ran its own turn on the voice thread after the handoff item"]
        );
        // The same capture started in client-controlled mode: the server did not do what that mode asks (a note
        // says so), and the client never answered.
        let (findings, notes) = check(&server_run(Some(json!({"clientControlledHandoff": true}))));
        assert_eq!(rules(&findings), [(2, "flow/unresolved-handoff")]);
        assert_eq!(
            notes,
            [
                "voice thread(s) voice_1 (server local): started with clientControlledHandoff, but the server ran its own \
              turn on the voice thread after a handoff item: it does not honour the flag (the stock server ignores it \
              and runs every handoff itself); checked as client-controlled all the same"
            ]
        );
    }

    #[test]
    fn a_client_turn_for_a_handoff_the_server_runs_is_a_duplicate() {
        for start in [Some(json!({})), None] {
            let mut entries = server_run(start.clone());
            let at = entries.len() - 2; // before turn/completed
            entries.insert(at, turn("local", 20, "thr_mine"));
            // After the server's turn completed, the user's own work is not the handoff's.
            entries.push(turn("local", 21, "thr_mine"));
            let (findings, _) = check(&entries);
            let expected = at as u64 + 1;
            assert_eq!(rules(&findings), [(expected, "flow/duplicate-handoff-turn")], "start {start:?}");
            assert_eq!(findings[0].pointer, "/params/threadId");
            assert!(findings[0].message.contains("runs twice"), "{}", findings[0].message);
        }
        // Inferred after the fact: the client's turn came before the server's turn showed the mode. The
        // client-controlled reading (a turn before any thread was resumed) is dropped.
        let mut entries = server_run(None);
        entries.insert(1, turn("local", 20, "thr_mine"));
        let (findings, _) = check(&entries);
        assert_eq!(rules(&findings), [(2, "flow/duplicate-handoff-turn")]);
    }

    #[test]
    fn findings_held_for_a_missing_response_follow_the_inferred_mode() {
        // No response recorded yet: the client-controlled reading of the turn waits for one, and is dropped when
        // the server's own turn shows it runs the handoff.
        let entries = vec![
            handoff("call_1", None, None),
            start("local", 1),
            turn("local", 2, "thr_mine"),
            voice_turn("turn/started"),
            started("local", 1, "thr_mine"),
            voice_turn("turn/completed"),
        ];
        let (findings, _) = check(&entries);
        assert_eq!(rules(&findings), [(3, "flow/duplicate-handoff-turn")]);
        // Without the server's turn the reading stands, once the response shows responses are recorded.
        let mut client_controlled = entries.clone();
        client_controlled.remove(5);
        client_controlled.remove(3);
        let (findings, _) = check(&client_controlled);
        assert_eq!(rules(&findings), [(3, "flow/resume-before-turn"), (1, "flow/unresolved-handoff")]);
    }

    #[test]
    fn resolve_or_finalize_in_a_server_run_session_is_a_mode_mismatch() {
        let mut entries = server_run(Some(json!({})));
        entries.extend([resolve(30, "All pass."), finalize(31)]);
        let (findings, _) = check(&entries);
        assert_eq!(rules(&findings), [(6, "flow/handoff-mode-mismatch"), (7, "flow/handoff-mode-mismatch")]);
        assert!(findings[0].message.contains("handoff \"call_1\""), "{}", findings[0].message);
        // With no handoff at all, the session's mode alone says so.
        let (findings, _) = check(&[realtime_start(1, json!({"clientManagedHandoffs": true})), finalize(2)]);
        assert_eq!(rules(&findings), [(2, "flow/handoff-mode-mismatch")]);
        assert!(findings[0].message.starts_with("voice thread voice_1: "), "{}", findings[0].message);
    }

    #[test]
    fn a_client_managed_handoff_needs_its_result_relayed() {
        let managed = Some(json!({"clientManagedHandoffs": true}));
        for method in ["thread/realtime/appendText", "thread/realtime/appendSpeech"] {
            let mut entries = server_run(managed.clone());
            entries.push(append(40, method));
            assert_eq!(check(&entries), (vec![], vec![]), "{method}");
        }
        let entries = server_run(managed.clone());
        let (findings, _) = check(&entries);
        assert_eq!(rules(&findings), [(2, "flow/unresolved-handoff")]);
        assert_eq!(findings[0].pointer, "/params/item/handoff_id");
        // Reported when the next handoff of the voice thread arrives, at the earlier item.
        let mut entries = server_run(managed.clone());
        entries.push(handoff("call_2", None, None));
        entries.push(voice_turn("turn/started"));
        entries.push(append(41, "thread/realtime/appendText"));
        let (findings, _) = check(&entries);
        assert_eq!(rules(&findings), [(2, "flow/unresolved-handoff")], "call_2 was relayed, call_1 not");
        // Inferred from the capture, relays only show in the note: without the flag a server-managed session
        // needs none.
        let mut entries = server_run(None);
        entries.push(append(40, "thread/realtime/appendText"));
        let (findings, notes) = check(&entries);
        assert_eq!(findings, []);
        assert!(notes[0].starts_with("handoff mode inferred client-managed for voice thread(s) voice_1"), "{notes:?}");
    }

    #[test]
    fn a_clients_own_turn_on_the_voice_thread_is_not_the_server_running_the_handoff() {
        let entries = vec![
            handoff("h1", None, None),
            turn("local", 1, "voice_1"),
            voice_turn("turn/started"),
            voice_turn("turn/completed"),
        ];
        let (findings, notes) = check(&entries);
        // Still undecided, so client-controlled: a turn into a thread never started for the handoff, never resolved.
        assert_eq!(rules(&findings), [(2, "flow/resume-before-turn"), (1, "flow/unresolved-handoff")]);
        assert_eq!(
            notes,
            [
                "server local: no responses recorded; flow checked on request order",
                "handoff mode assumed client-controlled for voice thread(s) voice_1 (server local): no \
              thread/realtime/start recorded; neither a resolveHandoff/finalizeHandoff nor a turn of the server's own \
              on the voice thread shows the mode; checked with the client-controlled rules"
            ]
        );
        // A server turn with no handoff open says nothing about handoffs.
        let (findings, notes) = check(&[voice_turn("turn/started"), voice_turn("turn/completed")]);
        assert_eq!((findings, notes), (vec![], vec![]));
    }

    #[test]
    fn both_flags_are_a_conflict_the_capture_decides() {
        let (findings, notes) = check(&server_run(Some(json!({"clientControlledHandoff": true,
            "clientManagedHandoffs": true}))));
        assert_eq!(findings, []);
        assert_eq!(
            notes,
            ["handoff mode inferred server-managed for voice thread(s) voice_1 (server local): thread/realtime/start \
              sets both clientControlledHandoff and clientManagedHandoffs; the server ran its own turn on the voice \
              thread after the handoff item"]
        );
    }

    #[test]
    fn a_start_request_read_typed_changes_nothing() {
        // The validator hands thread/realtime/start over whole (`reads_params`); a typed one cannot say the mode.
        assert!(reads_params("thread/realtime/start") && !reads_params("turn/start"));
        let mut check = FlowCheck::new();
        let mut findings = Vec::new();
        let thread = ThreadId::new("voice_1").expect("valid");
        let frame = FlowFrame {
            server_id: "local",
            direction: FlowDirection::ClientToServer,
            message: FlowMessage::Request { id: FlowId::Int(1), method: "thread/realtime/start", thread: &thread },
            position: 1,
        };
        check.observe(&frame, &mut findings);
        assert!(check.voices.is_empty());
    }

    #[test]
    fn traces_say_which_handoff_a_frame_belongs_to_and_its_phase() {
        let mut entries = seed_flow();
        entries.push(handoff("h2", Some("bigpc"), None));
        let mut check = FlowCheck::new();
        let mut findings = Vec::new();
        let mut traces = Vec::new();
        for (at, (dir, server_id, message)) in entries.iter().enumerate() {
            let direction = if *dir == "out" { FlowDirection::ClientToServer } else { FlowDirection::ServerToClient };
            let frame = FlowFrame { server_id, direction, message: FlowMessage::Value(message), position: at as u64 };
            traces.push(check.observe_traced(&frame, &mut findings));
        }
        let opened = traces[0].as_ref().and_then(|trace| trace.opened.clone()).expect("the item opens h1");
        assert_eq!(
            (opened.handoff_id.as_str(), opened.voice_thread.as_str(), opened.target.as_str()),
            ("h1", "voice_1", "bigpc")
        );
        let phases: Vec<Option<(usize, Option<HandoffPhase>, bool)>> = traces
            .iter()
            .map(|trace| trace.as_ref().map(|trace| (trace.handoff, trace.phase.clone(), trace.ended)))
            .collect();
        let t = ThreadId::new("thr_123").expect("valid");
        assert_eq!(phases[1], Some((0, Some(HandoffPhase::Resuming(t.clone())), false)));
        assert_eq!(phases[2], Some((0, Some(HandoffPhase::Ready(t.clone())), false)));
        assert_eq!(phases[3], Some((0, Some(HandoffPhase::TurnSent(t.clone())), false)));
        let finalized = entries.len() - 3;
        assert_eq!(phases[finalized], Some((0, Some(HandoffPhase::Finalized), true)));
        let h2 = traces.last().cloned().flatten().expect("h2 traced");
        assert_eq!(
            (h2.handoff, h2.phase, h2.opened.map(|o| o.handoff_id)),
            (1, Some(HandoffPhase::Ready(t)), Some("h2".into()))
        );
    }

    #[test]
    fn unrelated_and_malformed_frames_are_ignored() {
        let entries = vec![
            ("in", "bigpc", json!("not an object")),
            ("in", "bigpc", json!({"method": "thread/realtime/itemAdded", "params": {"threadId": 5}})),
            ("out", "bigpc", json!({"id": 1, "method": "turn/start", "params": {"threadId": "bad id"}})),
            ("in", "bigpc", json!({"id": 99, "result": {}})),
            ("out", "bigpc", json!({"id": 2, "method": "model/list"})),
            ("in", "bigpc", json!({"id": "x", "method": "item/tool/call", "params": {}})),
        ];
        let (findings, _) = check(&entries);
        assert_eq!(findings, []);
    }
}

/// Messages handed over as JSON text ([`FlowMessage::Json`]) are read as their parsed `Value` would be: the same
/// classification and the same reads of params and results, on valid messages and near misses (duplicate and
/// escaped member names, members of the wrong kind, dropped and added members, values that are not objects).
#[cfg(test)]
mod json_equivalence {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;
    use crate::json::Json;

    /// A JSON value as text, so that objects may repeat a member and names may be escaped.
    #[derive(Debug, Clone)]
    enum Text {
        Leaf(&'static str),
        Array(Vec<Text>),
        Object(Vec<(&'static str, Text)>),
    }

    impl Text {
        fn write(&self, out: &mut String) {
            match self {
                Text::Leaf(leaf) => out.push_str(leaf),
                Text::Array(items) => {
                    out.push('[');
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        item.write(out);
                    }
                    out.push(']');
                }
                Text::Object(members) => {
                    out.push('{');
                    for (i, (name, value)) in members.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        out.push_str(name);
                        out.push(':');
                        value.write(out);
                    }
                    out.push('}');
                }
            }
        }

        fn text(&self) -> String {
            let mut out = String::new();
            self.write(&mut out);
            out
        }
    }

    const NAMES: &[&str] = &[
        r#""id""#,
        r#""method""#,
        r#""params""#,
        r#""result""#,
        r#""error""#,
        r#""threadId""#,
        r#""thread\u0049d""#,
        r#""thread""#,
        r#""item""#,
        r#""type""#,
        r#""handoff_id""#,
        r#""item_id""#,
        r#""input_transcript""#,
        r#""active_transcript""#,
        r#""server""#,
        r#""thread_id""#,
        r#""clientControlledHandoff""#,
        r#""clientManagedHandoffs""#,
        r#""other""#,
    ];

    const LEAVES: &[&str] = &[
        "null",
        "true",
        "false",
        "1",
        "-7",
        "1.0",
        "18446744073709551616",
        r#""7""#,
        r#""voice_1""#,
        r#""thr_1""#,
        r#""v\u006fice_2""#,
        r#""has space""#,
        r#""handoff_request""#,
        r#""message""#,
        r#""thread/realtime/itemAdded""#,
        r#""turn/started""#,
        r#""bigpc""#,
        "[]",
        "{}",
    ];

    fn leaf() -> impl Strategy<Value = Text> {
        proptest::sample::select(LEAVES).prop_map(Text::Leaf)
    }

    fn any_text() -> impl Strategy<Value = Text> {
        leaf().prop_recursive(3, 32, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Text::Array),
                proptest::collection::vec((proptest::sample::select(NAMES), inner), 0..6).prop_map(Text::Object),
            ]
        })
    }

    fn obj(members: &[(&'static str, Text)]) -> Text {
        Text::Object(members.to_vec())
    }

    fn s(leaf: &'static str) -> Text {
        Text::Leaf(leaf)
    }

    /// Valid params and results of the messages the flow reads.
    fn templates() -> Vec<Text> {
        let item = obj(&[
            (r#""type""#, s(r#""handoff_request""#)),
            (r#""handoff_id""#, s(r#""h1""#)),
            (r#""item_id""#, s(r#""i1""#)),
            (r#""input_transcript""#, s(r#""go""#)),
            (
                r#""active_transcript""#,
                Text::Array(vec![obj(&[(r#""role""#, s(r#""user""#)), (r#""text""#, s(r#""go""#))])]),
            ),
            (r#""server""#, s(r#""bigpc""#)),
            (r#""thread_id""#, s(r#""thr_1""#)),
        ]);
        let thread = obj(&[(r#""id""#, s(r#""thr_9""#))]);
        vec![
            obj(&[(r#""threadId""#, s(r#""voice_1""#)), (r#""item""#, item)]),
            obj(&[(r#""threadId""#, s(r#""voice_1""#)), (r#""item""#, obj(&[(r#""type""#, s(r#""message""#))]))]),
            obj(&[(r#""thread""#, thread.clone())]),
            obj(&[
                (r#""thread""#, thread),
                (r#""model""#, s(r#""m""#)),
                (r#""modelProvider""#, s(r#""p""#)),
                (r#""cwd""#, s(r#""/""#)),
                (r#""approvalPolicy""#, s(r#""never""#)),
                (r#""sandbox""#, obj(&[(r#""type""#, s(r#""readOnly""#))])),
            ]),
            obj(&[(r#""threadId""#, s(r#""voice_1""#)), (r#""clientControlledHandoff""#, s("true"))]),
        ]
    }

    /// One mutation somewhere in `text`: a member dropped, repeated with another value, added, or a value replaced.
    fn mutate(text: &Text, path: &[usize], mutation: usize, name: &'static str, value: &Text) -> Text {
        match (text, path.split_first()) {
            (Text::Object(members), Some((&at, rest))) if !members.is_empty() => {
                let at = at % members.len();
                let mut members = members.clone();
                if rest.is_empty() || matches!(members[at].1, Text::Leaf(_)) {
                    match mutation % 4 {
                        0 => {
                            members.remove(at);
                        }
                        1 => members.push((members[at].0, value.clone())),
                        2 => members.insert(at, (name, value.clone())),
                        _ => members[at].1 = value.clone(),
                    }
                } else {
                    members[at].1 = mutate(&members[at].1, rest, mutation, name, value);
                }
                Text::Object(members)
            }
            (Text::Array(items), Some((&at, rest))) if !items.is_empty() => {
                let at = at % items.len();
                let mut items = items.clone();
                items[at] = mutate(&items[at], rest, mutation, name, value);
                Text::Array(items)
            }
            _ => value.clone(),
        }
    }

    fn near_miss() -> impl Strategy<Value = Text> {
        let template = proptest::sample::select(templates());
        let path = proptest::collection::vec(0usize..8, 1..4);
        let mutations = proptest::collection::vec((path, 0usize..4, proptest::sample::select(NAMES), any_text()), 0..3);
        (template, mutations).prop_map(|(template, mutations)| {
            mutations
                .iter()
                .fold(template, |text, (path, mutation, name, value)| mutate(&text, path, *mutation, name, value))
        })
    }

    /// What the flow reads of a params or result value.
    fn reads(json: Json<'_>) -> String {
        let [thread, controlled, managed] = json.members(["threadId", CLIENT_CONTROLLED_FLAG, CLIENT_MANAGED_FLAG]);
        format!(
            "thread {:?} {:?} flags {} {} item {:?} started {:?} start response {:?} text {}",
            thread,
            json.str_member("threadId"),
            controlled.is_true(),
            managed.is_true(),
            ItemAdded::read_json(json),
            json.decode::<ThreadStartedNotification>().ok(),
            json.decode::<ThreadStartResponse>().ok(),
            json.to_json_text(),
        )
    }

    fn frame_reads(frame: Option<Frame<'_>>) -> String {
        let id = |id: IdRef<'_>| id.text();
        match frame {
            None => "none".to_owned(),
            Some(Frame::Request { id: i, method, params: Params::Json(params) }) => {
                format!("request {} {method} {}", id(i), reads(params))
            }
            Some(Frame::Request { .. }) => "typed request".to_owned(),
            Some(Frame::Response { id: i, result }) => format!("response {} {:?}", id(i), result.map(reads)),
            Some(Frame::Notification { method, params }) => format!("notification {method} {}", reads(params)),
        }
    }

    /// Strings compare as [`Scalar`]'s debug text does, borrowed or not.
    fn same(text: &str) {
        let value: Value = serde_json::from_str(text).expect("generated text is JSON");
        let by_value = frame_reads(classify(&value)).replace("Owned(", "Borrowed(");
        let by_text = match MessageView::read(text).expect("generated text is JSON") {
            Some(view) => frame_reads(classify_view(&view)),
            None => frame_reads(None),
        }
        .replace("Owned(", "Borrowed(");
        assert_eq!(by_text, by_value, "{text}");
        let read: ReadMessage = serde_json::from_str(text).expect("generated text is JSON");
        let by_read = frame_reads(read.0.as_ref().and_then(classify_view)).replace("Owned(", "Borrowed(");
        assert_eq!(by_read, by_value, "{text}");
    }

    proptest! {
        #[test]
        fn params_and_results_read_alike(params in near_miss()) {
            let params = params.text();
            for message in [
                format!(r#"{{"method":"thread/realtime/itemAdded","params":{params}}}"#),
                format!(r#"{{"id":3,"method":"thread/realtime/start","params":{params}}}"#),
                format!(r#"{{"id":"3","result":{params}}}"#),
            ] {
                same(&message);
            }
        }

        #[test]
        fn any_message_classifies_alike(message in any_text(), params in any_text()) {
            same(&message.text());
            let mut with_params = match message {
                Text::Object(members) => members,
                other => vec![(r#""result""#, other)],
            };
            with_params.push((r#""params""#, params));
            same(&Text::Object(with_params).text());
        }
    }

    #[test]
    fn edge_cases_read_alike() {
        for text in [
            r#"{"id":null,"method":"turn/started","params":{"threadId":"v"}}"#,
            r#"{"id":1,"method":5}"#,
            r#"{"id":1,"error":null,"result":{}}"#,
            r#"{"method":"a","method":"turn/started","params":{"threadId":"x","threadId":"voice_1"}}"#,
            r#"{"m\u0065thod":"turn/started","params":{"thread\u0049d":"v\u006fice_1"}}"#,
            r#"{"method":"turn/started","params":[{"threadId":"v"}]}"#,
            r#"{"method":"turn/started"}"#,
            r#"[1,2]"#,
            r#""text""#,
        ] {
            same(text);
        }
    }
}
