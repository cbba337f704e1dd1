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
//! A server whose capture holds no responses (the mobile recorder keeps requests and notifications only) is
//! checked on request order: a turn after the resume or start request passes, and the summary says so. Findings
//! that depend on a missing response are held back until a response from that server shows responses were recorded.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};

use codex_handoff_contract::{ThreadId, ThreadStartResponse, ThreadStartedNotification, methods};
use serde_json::Value;

use crate::item::ItemAdded;
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
    /// A client request (with an `id`) whose params matter to the flow only by `threadId` (a valid thread id).
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
    servers: HashMap<String, ServerTrack>,
    /// Handoffs not finalized yet, by the order they were opened in. A finalized handoff is dropped: answers that
    /// arrive after its finalize change nothing, so memory stays bounded by the open handoffs.
    handoffs: HashMap<usize, HandoffTrack>,
    opened: usize,
    /// Open and waiting handoffs by (voice server id, voice thread id).
    voices: HashMap<String, HashMap<String, VoiceTrack>>,
    /// The open handoff whose requests go to a server, by server id.
    active_on: HashMap<String, usize>,
    /// Servers with ids and display names, from the capture's `servers` header or the command line.
    known: Vec<ServerInfo>,
    /// Every server id the flow saw a frame of.
    seen: HashSet<String>,
    /// Handoffs whose `server` value named no known server, taken as a server id until the end of the capture
    /// shows whether any frame came from a server with that id.
    unknown_targets: Vec<UnknownTarget>,
    /// Distinct non-local `server` values of handoffs in a bare capture (one connection), for the summary.
    bare_attributed: Vec<String>,
    /// Handoffs reported as `flow/unattributed-handoff`.
    unattributed: u64,
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
    deferred: Vec<FlowFinding>,
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
}

#[derive(Debug, Default)]
struct VoiceTrack {
    open: Option<usize>,
    queued: VecDeque<usize>,
}

/// What one frame is, as far as the flow is concerned.
enum Frame<'a> {
    Request { id: IdRef<'a>, method: &'a str, params: Params<'a> },
    Response { id: IdRef<'a>, result: Option<&'a Value> },
    Notification { method: &'a str, params: &'a Value },
}

/// A request's params as far as the flow reads them.
#[derive(Clone, Copy)]
enum Params<'a> {
    Value(&'a Value),
    /// `params.threadId`, a valid thread id.
    Thread(&'a ThreadId),
}

impl<'a> Params<'a> {
    /// `params.threadId` when it is a valid thread id (an invalid one is the schema check's finding).
    fn thread(self) -> Option<Cow<'a, ThreadId>> {
        match self {
            Params::Value(params) => thread_param(params).map(Cow::Owned),
            Params::Thread(thread) => Some(Cow::Borrowed(thread)),
        }
    }
}

/// A frame's id, turned into its JSON text only when a pending request needs it.
#[derive(Clone, Copy)]
enum IdRef<'a> {
    Value(&'a Value),
    Flow(FlowId<'a>),
}

impl IdRef<'_> {
    /// The id as JSON text (`1` and `"1"` differ).
    fn text(self) -> String {
        match self {
            IdRef::Value(id) => id.to_string(),
            IdRef::Flow(FlowId::Int(n)) => n.to_string(),
            IdRef::Flow(FlowId::Str(s)) => Value::String(s.to_owned()).to_string(),
        }
    }
}

/// The track of server `id`, created on first use (without allocating when it exists).
fn server_track<'m>(servers: &'m mut HashMap<String, ServerTrack>, id: &str) -> &'m mut ServerTrack {
    if !servers.contains_key(id) {
        servers.insert(id.to_owned(), ServerTrack::default());
    }
    servers.get_mut(id).expect("inserted above")
}

const THREAD_POINTER: &str = "/params/threadId";

/// Whether the flow rules read requests or notifications of `method` (the steps listed in design.md): the
/// validator hands those over as parsed values. Requests and notifications of every other method are no flow step
/// and need not reach [`FlowCheck::observe`]; responses always do (their ids may answer a flow step).
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
    )
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
        for server in servers {
            match self.known.iter_mut().find(|known| known.id == server.id) {
                Some(known) => known.name = server.name,
                None => self.known.push(server),
            }
        }
    }

    /// Every app-server frame of one capture (not realtime API events), in capture order.
    pub fn observe(&mut self, frame: &FlowFrame<'_>, findings: &mut Vec<FlowFinding>) {
        let kind = match frame.message {
            FlowMessage::Value(message) => classify(message),
            FlowMessage::Request { id, method, thread } => {
                Some(Frame::Request { id: IdRef::Flow(id), method, params: Params::Thread(thread) })
            }
            FlowMessage::Response { id, result } => Some(Frame::Response { id: IdRef::Flow(id), result: Some(result) }),
        };
        if !frame.server_id.is_empty() && !self.seen.contains(frame.server_id) {
            self.seen.insert(frame.server_id.to_owned());
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
    /// stand: a `thread/realtime/itemAdded` always, a `thread/started` while a handoff is active on that server.
    /// Another notification only counts its server as seen, so a caller may pass `Value::Null` for it.
    pub fn reads_notification(&self, server_id: &str, method: &str) -> bool {
        match method {
            methods::THREAD_REALTIME_ITEM_ADDED => true,
            methods::THREAD_STARTED => self.active_on.contains_key(server_id),
            _ => false,
        }
    }

    /// End of capture: handoffs still open etc. Returns summary notes.
    pub fn finish(self, findings: &mut Vec<FlowFinding>) -> Vec<String> {
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
                open.push(FlowFinding {
                    severity: violation.rule.severity(),
                    rule: violation.rule.id(),
                    message: format!("handoff {:?}: {}", handoff.handoff_id, violation.message),
                    pointer: "/params/item/handoff_id".to_owned(),
                    method: Some(methods::THREAD_REALTIME_ITEM_ADDED.to_owned()),
                    position: handoff.position,
                });
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
        notes
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
        let servers = self.known_servers();
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
            methods::THREAD_RESUME | methods::THREAD_START | methods::TURN_START => {
                let is_resume = method == methods::THREAD_RESUME;
                let is_start = method == methods::THREAD_START;
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
                if let Some(before) = server.before_switch.take() {
                    // First request of the first handoff since that switch: a turn straight into the thread cached
                    // before it means the client saw no switch, so judge the handoff on the old cache.
                    let turn_into_old = !is_resume && !is_start && thread.is_some() && before.cached() == thread;
                    let untouched = handoff.flow.as_ref().is_some_and(|flow| *flow.phase() == HandoffPhase::Planned);
                    if turn_into_old && untouched {
                        server.cache = before;
                        handoff.flow = Some(HandoffFlow::begin(&server.cache, handoff.requested.as_ref()));
                    }
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
                            server.deferred.push(finding(violation, &handoff.handoff_id, THREAD_POINTER));
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
                    findings.push(finding(violation, &handoff.handoff_id, pointer));
                }
            }
            methods::THREAD_REALTIME_RESOLVE_HANDOFF | methods::THREAD_REALTIME_FINALIZE_HANDOFF => {
                server_track(&mut self.servers, server_id).flow_requests += 1;
                let Some(voice_thread) = thread else { return };
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
                let finalize = method == methods::THREAD_REALTIME_FINALIZE_HANDOFF;
                let Some(handoff) = self.handoffs.get_mut(&index) else { return };
                let target_cache = &mut server_track(&mut self.servers, &handoff.target).cache;
                if let Some(flow) = handoff.flow.as_mut() {
                    let step = if finalize { FlowStep::Finalized } else { FlowStep::Resolved };
                    if let Err(violation) = flow.apply(step, target_cache) {
                        findings.push(finding(violation, &handoff.handoff_id, THREAD_POINTER));
                    }
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
        result: Option<&Value>,
        findings: &mut Vec<FlowFinding>,
    ) {
        let server = server_track(&mut self.servers, server_id);
        if !server.responses_seen {
            server.responses_seen = true;
            findings.append(&mut server.deferred);
        }
        if server.pending.is_empty() {
            return;
        }
        let Some(pending) = server.pending.remove(&id.text()) else { return };
        let Some(flow) = self.handoffs.get_mut(&pending.handoff).and_then(|handoff| handoff.flow.as_mut()) else {
            return;
        };
        // Answers only move the state forward; the violations are in the requests that follow them.
        let _ = match (&pending.kind, result) {
            (RequestKind::Resume(thread), Some(_)) => flow.apply(FlowStep::ResumeSucceeded(thread), &mut server.cache),
            (RequestKind::Resume(thread), None) => flow.apply(FlowStep::ResumeFailed(thread), &mut server.cache),
            (RequestKind::Start, Some(result)) => match serde_json::from_value::<ThreadStartResponse>(result.clone()) {
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
        params: &Value,
        findings: &mut Vec<FlowFinding>,
    ) {
        match method {
            methods::THREAD_REALTIME_ITEM_ADDED => {
                let added = ItemAdded::read(params);
                let Some(item) = added.handoff() else { return };
                let target = if let ItemAdded::Rejected { server, .. } = &added {
                    // An item that does not decode fails before reaching any server (the router answers it with an
                    // error): nothing goes to its target, so there is nothing to attribute.
                    server.clone().unwrap_or_else(|| frame.server_id.to_owned())
                } else {
                    self.target(frame, item.handoff_id, item.server, findings)
                };
                let index = self.opened;
                self.opened += 1;
                self.handoffs.insert(
                    index,
                    HandoffTrack {
                        handoff_id: item.handoff_id.to_owned(),
                        target,
                        requested: item.thread_id.cloned(),
                        flow: None,
                        position: frame.position,
                    },
                );
                let voices = self.voices.entry(frame.server_id.to_owned()).or_default();
                let voice = voices.entry(item.voice_thread.as_str().to_owned()).or_default();
                if voice.open.is_some() {
                    voice.queued.push_back(index);
                } else {
                    voice.open = Some(index);
                    self.activate(index);
                }
            }
            methods::THREAD_STARTED => {
                // The new thread's id, also where no responses are recorded: the start of a handoff succeeded.
                let Ok(started) = serde_json::from_value::<ThreadStartedNotification>(params.clone()) else { return };
                let Some(&index) = self.active_on.get(frame.server_id) else { return };
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

    /// Starts a handoff: its plan comes from its target's cache as it is now.
    fn activate(&mut self, index: usize) {
        let Some(handoff) = self.handoffs.get_mut(&index) else { return };
        let server = server_track(&mut self.servers, &handoff.target);
        handoff.flow = Some(HandoffFlow::begin(&server.cache, handoff.requested.as_ref()));
        self.active_on.insert(handoff.target.clone(), index);
    }

    /// After a finalize: the voice thread's next handoff, if one waits, opens.
    fn close(&mut self, voice_server: &str, voice_thread: &str, index: usize) {
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
    let id = object.get("id").map(IdRef::Value);
    let method = object.get("method").and_then(Value::as_str);
    static NULL: Value = Value::Null;
    let params = object.get("params").unwrap_or(&NULL);
    match (id, method) {
        (Some(id), Some(method)) => Some(Frame::Request { id, method, params: Params::Value(params) }),
        (None, Some(method)) => Some(Frame::Notification { method, params }),
        (Some(id), None) if object.contains_key("error") => Some(Frame::Response { id, result: None }),
        (Some(id), None) => Some(Frame::Response { id, result: Some(object.get("result").unwrap_or(&NULL)) }),
        (None, None) => None,
    }
}

/// `params.threadId` when it is a valid thread id (an invalid one is the schema check's finding).
fn thread_param(params: &Value) -> Option<ThreadId> {
    params.get("threadId").and_then(Value::as_str).and_then(|id| ThreadId::new(id).ok())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// One capture entry: direction ("out" = client → server), server id, message.
    type Entry = (&'static str, &'static str, Value);

    /// Runs a capture through the checker; positions are 1-based entry numbers.
    /// Every capture also runs with requests and responses handed over typed, as the validator's fast path does
    /// (where it can read them): the findings must not change.
    fn check(entries: &[Entry]) -> (Vec<FlowFinding>, Vec<String>) {
        check_with(entries, &[])
    }

    /// As [`check`], with a known server list (id, display name).
    fn check_with(entries: &[Entry], servers: &[(&str, &str)]) -> (Vec<FlowFinding>, Vec<String>) {
        let by_value = run(entries, servers, false);
        assert_eq!(run(entries, servers, true), by_value, "typed frames give other findings");
        by_value
    }

    fn run(entries: &[Entry], servers: &[(&str, &str)], typed: bool) -> (Vec<FlowFinding>, Vec<String>) {
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
            let message = match (typed, id, method, thread.as_ref(), result) {
                (true, Some(id), Some(method), Some(thread), None) => FlowMessage::Request { id, method, thread },
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
        assert_eq!(notes, Vec::<String>::new());
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
                "server local: no responses recorded; flow checked on request order"
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
        assert_eq!(notes, ["server local: no responses recorded; flow checked on request order"]);
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
        assert_eq!(notes, Vec::<String>::new());
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
            ["1 handoff(s) not checked: their server could not be attributed (flow/unattributed-handoff)"]
        );
        // The same name, known from a server list, is checked.
        let (findings, _) = check_with(&entries, &[("bigpc", "smallpc")]);
        assert_eq!(rules(&findings), [(3, "flow/resume-before-turn")]);
    }

    #[test]
    fn an_id_seen_only_after_the_item_is_still_attributed() {
        // Nothing names bigpc before the item; its frames follow it.
        let (findings, notes) = check(&seed_flow());
        assert_eq!((findings, notes), (vec![], vec![]));
    }

    #[test]
    fn a_name_several_servers_share_is_ambiguous() {
        let entries = seed_flow_naming("twin");
        let (findings, notes) = check_with(&entries, &[("bigpc", "twin"), ("local", "Twin")]);
        assert_eq!(rules(&findings), [(1, "flow/unattributed-handoff")]);
        assert!(findings[0].message.contains("several servers (bigpc, local)"), "{}", findings[0].message);
        assert_eq!(notes.len(), 1, "{notes:?}");
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
            ["bare capture: all frames taken as one app-server connection; handoffs naming server \"bigpc\" \
                 attributed to it"]
        );
        let (findings, notes) = check(&bare(seed_flow()));
        assert_eq!(findings, []);
        assert_eq!(notes.len(), 1, "the assumption is noted once: {notes:?}");
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
