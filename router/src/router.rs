//! The sans-IO router: one [`Router::handle`] call per event, returning the actions it causes.

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

use crate::action::{Action, ClientRequest, Input, VoicePhase};
use crate::config::{RouterConfig, ServerLookupError};
use crate::contract::{
    AgentMessageDeltaNotification, ErrorNotification, JsonRpcErrorObject, RealtimeHandoffRequested, RealtimeItem,
    RequestId, TextUserInput, ThreadId, ThreadRealtimeFinalizeHandoffParams, ThreadRealtimeItemAddedNotification,
    ThreadRealtimeResolveHandoffParams, ThreadResumeParams, ThreadResumeResponse, ThreadStartParams,
    ThreadStartResponse, TurnCompletedNotification, TurnStartParams, TurnStartResponse, TurnStatus, UserInput, methods,
};
use crate::flow::{FlowStep, HandoffFlow, HandoffMode, StartedMode, ThreadCache, ThreadPlan};

/// A handoff whose turn shows no progress for this long resolves with a timeout text (protocol-facts.md).
pub const STREAM_TIMEOUT_MS: u64 = 120_000;

/// Prefix of the request ids the router allocates (`handoff-1`, `handoff-2`, …).
pub const REQUEST_ID_PREFIX: &str = "handoff-";

/// Output of a turn that ended without any agent text.
pub const NO_RESPONSE_TEXT: &str = "(No response)";

/// The reference handoff router. See the crate docs and README "Handoff router" for the states.
#[derive(Debug)]
pub struct Router {
    config: RouterConfig,
    caches: HashMap<String, ThreadCache>,
    /// Per voice thread: the open handoff and the ones waiting behind it.
    voices: HashMap<ThreadId, VoiceSlot>,
    /// Voice threads whose session was started in a handoff mode the router cannot serve, with the reason.
    refused: HashMap<ThreadId, String>,
    /// Requests sent and not yet answered, by (server id, request id).
    pending: HashMap<(String, RequestId), Pending>,
    /// Number of the next request id. Ids are strings `handoff-N`, so they never collide with the integer ids the
    /// host app uses for its own requests on the same connection.
    next_id: u64,
    now_ms: u64,
}

#[derive(Debug, Default)]
struct VoiceSlot {
    open: Option<Handoff>,
    /// A second handoff for a voice thread waits until the open one finalizes: resolve/finalize address the voice
    /// thread, not a handoff, so two open at once could not be told apart by the server.
    queued: VecDeque<Queued>,
}

#[derive(Debug)]
struct Queued {
    voice_server: String,
    requested: Requested,
}

/// A handoff as it arrived: a readable item, or one to refuse with an error text.
#[derive(Debug)]
enum Requested {
    Item(RealtimeHandoffRequested),
    Rejected { handoff_id: String, reason: String },
}

impl Requested {
    fn handoff_id(&self) -> &str {
        match self {
            Requested::Item(item) => &item.handoff_id,
            Requested::Rejected { handoff_id, .. } => handoff_id,
        }
    }
}

#[derive(Debug)]
struct Handoff {
    handoff_id: String,
    voice_server: String,
    voice_thread: ThreadId,
    /// Server the turn runs on; `None` when the handoff failed before choosing one.
    server: Option<String>,
    prompt: String,
    flow: HandoffFlow,
    output: String,
    turn_id: Option<String>,
    last_progress_ms: u64,
}

#[derive(Debug)]
struct Pending {
    voice_thread: ThreadId,
    handoff_id: String,
    purpose: Purpose,
    /// The request's method, for error texts.
    method: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
enum Purpose {
    Resume(ThreadId),
    Start,
    Turn(ThreadId),
    Resolve,
    Finalize,
}

impl Router {
    pub fn new(config: RouterConfig) -> Router {
        Router {
            config,
            caches: HashMap::new(),
            voices: HashMap::new(),
            refused: HashMap::new(),
            pending: HashMap::new(),
            next_id: 1,
            now_ms: 0,
        }
    }

    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    /// The cached handoff thread of `server`, if any.
    pub fn cached_thread(&self, server: &str) -> Option<&ThreadId> {
        self.caches.get(server).and_then(ThreadCache::cached)
    }

    /// Ids of the handoffs currently open, one per voice thread at most.
    pub fn open_handoffs(&self) -> Vec<&str> {
        self.voices.values().filter_map(|slot| slot.open.as_ref()).map(|h| h.handoff_id.as_str()).collect()
    }

    /// Handles one event at monotonic time `now_ms` (milliseconds from any fixed origin; a smaller value than
    /// before is treated as no time passing).
    pub fn handle(&mut self, now_ms: u64, input: Input) -> Vec<Action> {
        self.now_ms = self.now_ms.max(now_ms);
        let mut actions = Vec::new();
        match input {
            Input::HandoffRequested { voice_server, voice_thread, item } => {
                self.on_handoff(voice_server, voice_thread, Requested::Item(item), &mut actions)
            }
            Input::HandoffRejected { voice_server, voice_thread, handoff_id, reason } => {
                self.on_handoff(voice_server, voice_thread, Requested::Rejected { handoff_id, reason }, &mut actions)
            }
            Input::Response { server, id, result } => self.on_answer(&server, &id, Ok(result), &mut actions),
            Input::ErrorResponse { server, id, error } => self.on_answer(&server, &id, Err(error), &mut actions),
            Input::Notification { server, method, params } => {
                self.on_notification(&server, &method, params, &mut actions)
            }
            Input::Tick => self.on_tick(&mut actions),
            Input::RealtimeStarted { voice_server, voice_thread, mode } => {
                self.on_realtime_started(voice_server, voice_thread, mode, &mut actions)
            }
            Input::ContextSwitched { server } => {
                if self.config.servers().iter().any(|known| known.id == server) {
                    self.caches.entry(server).or_default().context_switched();
                } else {
                    actions
                        .push(Action::ReportError { message: format!("context switch on unknown server {server:?}") });
                }
            }
        }
        actions
    }

    /// The router implements client-controlled mode: in the other modes the server runs the delegated turn itself
    /// (routing it would run the prompt twice) and has no resolve/finalize to answer with.
    fn on_realtime_started(
        &mut self,
        voice_server: String,
        voice_thread: ThreadId,
        mode: StartedMode,
        out: &mut Vec<Action>,
    ) {
        let asked = match mode {
            StartedMode::Mode(HandoffMode::ClientControlled) => {
                self.refused.remove(&voice_thread);
                return;
            }
            StartedMode::Mode(mode) => format!("in {mode} handoff mode"),
            StartedMode::Conflicting => {
                "with both clientControlledHandoff and clientManagedHandoffs, two handoff modes at once".to_owned()
            }
        };
        let reason = format!(
            "voice thread {voice_thread} (server {voice_server}) was started {asked}: the app-server runs its \
             handoffs itself, and this router implements client-controlled mode only (thread/realtime/start with \
             clientControlledHandoff: true, patched server); its handoffs are not routed"
        );
        out.push(Action::ReportError { message: reason.clone() });
        self.refused.insert(voice_thread, reason);
    }

    fn on_handoff(
        &mut self,
        voice_server: String,
        voice_thread: ThreadId,
        requested: Requested,
        out: &mut Vec<Action>,
    ) {
        if let Some(reason) = self.refused.get(&voice_thread) {
            out.push(Action::ReportError {
                message: format!("handoff {:?} refused: {reason}", requested.handoff_id()),
            });
            return;
        }
        let slot = self.voices.entry(voice_thread.clone()).or_default();
        let handoff_id = requested.handoff_id();
        let duplicate = slot.open.as_ref().is_some_and(|open| open.handoff_id == handoff_id)
            || slot.queued.iter().any(|queued| queued.requested.handoff_id() == handoff_id);
        if duplicate {
            out.push(Action::ReportError {
                message: format!("handoff {handoff_id:?} on voice thread {voice_thread} delivered twice; ignored"),
            });
            return;
        }
        if slot.open.is_some() {
            slot.queued.push_back(Queued { voice_server, requested });
            return;
        }
        self.activate(voice_server, voice_thread, requested, out);
    }

    /// Opens a handoff: picks its server and its thread plan and sends the first request.
    fn activate(&mut self, voice_server: String, voice_thread: ThreadId, requested: Requested, out: &mut Vec<Action>) {
        out.push(Action::SetVoicePhase {
            voice_thread: voice_thread.clone(),
            phase: VoicePhase::Delegating { handoff_id: requested.handoff_id().to_owned() },
        });
        let item = match requested {
            Requested::Item(item) => item,
            Requested::Rejected { handoff_id, reason } => {
                let handoff = Handoff {
                    handoff_id,
                    voice_server,
                    voice_thread,
                    server: None,
                    prompt: String::new(),
                    flow: HandoffFlow::failed(),
                    output: String::new(),
                    turn_id: None,
                    last_progress_ms: self.now_ms,
                };
                self.fail(
                    handoff,
                    format!("Error: the handoff request is malformed ({reason}). Nothing was run."),
                    out,
                );
                return;
            }
        };
        let server = self.config.resolve(item.server.as_deref()).map(str::to_owned);
        let mut handoff = Handoff {
            handoff_id: item.handoff_id,
            voice_server,
            voice_thread: voice_thread.clone(),
            server: None,
            prompt: item.input_transcript,
            flow: HandoffFlow::failed(),
            output: String::new(),
            turn_id: None,
            last_progress_ms: self.now_ms,
        };
        let server = match server {
            Ok(server) => server,
            Err(lookup) => {
                let named = item.server.unwrap_or_default();
                let text = match lookup {
                    ServerLookupError::Unknown => format!(
                        "Error: unknown server {named:?}. Connected servers: {}. Nothing was run.",
                        self.config.describe_servers()
                    ),
                    ServerLookupError::Ambiguous(ids) => format!(
                        "Error: server {named:?} matches several servers ({}); name one by id. Nothing was run.",
                        ids.join(", ")
                    ),
                };
                self.fail(handoff, text, out);
                return;
            }
        };
        let cache = self.caches.entry(server.clone()).or_default();
        handoff.flow = HandoffFlow::begin(cache, item.thread_id.as_ref());
        handoff.server = Some(server.clone());
        match handoff.flow.plan().clone() {
            ThreadPlan::Resume(thread) => {
                let request = ClientRequest::ResumeThread(ThreadResumeParams::new(thread.clone()));
                self.send_for(
                    &mut handoff,
                    request,
                    Purpose::Resume(thread.clone()),
                    FlowStep::ResumeSent(&thread),
                    out,
                );
            }
            ThreadPlan::Reuse(thread) => self.start_turn(&mut handoff, thread, out),
            ThreadPlan::StartNew => {
                let request = ClientRequest::StartThread(ThreadStartParams::new());
                self.send_for(&mut handoff, request, Purpose::Start, FlowStep::StartSent, out);
            }
        }
        self.store(handoff);
    }

    fn start_turn(&mut self, handoff: &mut Handoff, thread: ThreadId, out: &mut Vec<Action>) {
        let input = vec![UserInput::Text(TextUserInput::new(handoff.prompt.clone()))];
        let request = ClientRequest::StartTurn(TurnStartParams::new(thread.clone(), input));
        self.send_for(handoff, request, Purpose::Turn(thread.clone()), FlowStep::TurnSent(&thread), out);
    }

    /// Records `step` in the handoff's flow (and its server's cache), then emits the request.
    fn send_for(
        &mut self,
        handoff: &mut Handoff,
        request: ClientRequest,
        purpose: Purpose,
        step: FlowStep<'_>,
        out: &mut Vec<Action>,
    ) {
        let server = match &purpose {
            Purpose::Resolve | Purpose::Finalize => handoff.voice_server.clone(),
            _ => match &handoff.server {
                Some(server) => server.clone(),
                None => {
                    out.push(Action::ReportError {
                        message: format!("handoff {:?} has no server for {}", handoff.handoff_id, request.method()),
                    });
                    return;
                }
            },
        };
        // A handoff that never chose a server only resolves and finalizes, steps that leave every cache alone.
        let mut no_server = ThreadCache::new();
        let cache = match &handoff.server {
            Some(server) => self.caches.entry(server.clone()).or_default(),
            None => &mut no_server,
        };
        if let Err(violation) = handoff.flow.apply(step, cache) {
            // The router derives every step from the flow's plan, so this is a bug in the router itself; refuse the
            // step rather than send traffic the contract forbids.
            out.push(Action::ReportError {
                message: format!("router bug, step refused for handoff {:?}: {violation}", handoff.handoff_id),
            });
            return;
        }
        let id = RequestId::String(format!("{REQUEST_ID_PREFIX}{}", self.next_id));
        self.next_id += 1;
        self.pending.insert(
            (server.clone(), id.clone()),
            Pending {
                voice_thread: handoff.voice_thread.clone(),
                handoff_id: handoff.handoff_id.clone(),
                purpose,
                method: request.method(),
            },
        );
        out.push(Action::Send { server, id, request });
    }

    fn resolve(&mut self, handoff: &mut Handoff, text: String, out: &mut Vec<Action>) {
        let params = ThreadRealtimeResolveHandoffParams::new(handoff.voice_thread.clone(), text);
        self.send_for(handoff, ClientRequest::ResolveHandoff(params), Purpose::Resolve, FlowStep::Resolved, out);
    }

    /// Resolves with `text` and finalizes: the end of every handoff that cannot (or can no longer) run its turn.
    fn fail(&mut self, mut handoff: Handoff, text: String, out: &mut Vec<Action>) {
        self.resolve(&mut handoff, text, out);
        self.finalize(handoff, out);
    }

    /// Sends the one finalize of the handoff, drops it and opens the next one queued on its voice thread.
    fn finalize(&mut self, mut handoff: Handoff, out: &mut Vec<Action>) {
        let params = ThreadRealtimeFinalizeHandoffParams::new(handoff.voice_thread.clone());
        self.send_for(
            &mut handoff,
            ClientRequest::FinalizeHandoff(params),
            Purpose::Finalize,
            FlowStep::Finalized,
            out,
        );
        out.push(Action::SetVoicePhase { voice_thread: handoff.voice_thread.clone(), phase: VoicePhase::Idle });
        let voice_thread = handoff.voice_thread;
        let next = self.voices.get_mut(&voice_thread).and_then(|slot| slot.queued.pop_front());
        if let Some(next) = next {
            self.activate(next.voice_server, voice_thread, next.requested, out);
        } else if self.voices.get(&voice_thread).is_some_and(|slot| slot.open.is_none()) {
            self.voices.remove(&voice_thread);
        }
    }

    fn store(&mut self, handoff: Handoff) {
        let slot = self.voices.entry(handoff.voice_thread.clone()).or_default();
        slot.open = Some(handoff);
    }

    /// Takes the open handoff `handoff_id` of `voice_thread` out of its slot, if it is still open.
    fn take_open(&mut self, voice_thread: &ThreadId, handoff_id: &str) -> Option<Handoff> {
        let slot = self.voices.get_mut(voice_thread)?;
        if slot.open.as_ref().is_some_and(|open| open.handoff_id == handoff_id) { slot.open.take() } else { None }
    }

    fn on_answer(
        &mut self,
        server: &str,
        id: &RequestId,
        answer: Result<Value, JsonRpcErrorObject>,
        out: &mut Vec<Action>,
    ) {
        let Some(pending) = self.pending.remove(&(server.to_owned(), id.clone())) else {
            out.push(Action::ReportError {
                message: format!("response from server {server:?} to unknown request id {id:?}"),
            });
            return;
        };
        let Some(mut handoff) = self.take_open(&pending.voice_thread, &pending.handoff_id) else {
            // The handoff ended (timed out) while this was in flight; its late answers change nothing.
            if let (Purpose::Resolve | Purpose::Finalize, Err(error)) = (&pending.purpose, &answer) {
                out.push(Action::ReportError {
                    message: format!("{} failed on {server:?}: {}", pending.method, error.message),
                });
            }
            return;
        };
        handoff.last_progress_ms = self.now_ms;
        match (pending.purpose, answer) {
            (Purpose::Resume(thread), Ok(result)) => match serde_json::from_value::<ThreadResumeResponse>(result) {
                Ok(resumed) if resumed.thread.id == thread => {
                    let cache = self.caches.entry(server.to_owned()).or_default();
                    if let Err(violation) = handoff.flow.apply(FlowStep::ResumeSucceeded(&thread), cache) {
                        out.push(Action::ReportError { message: format!("router bug: {violation}") });
                    }
                    self.start_turn(&mut handoff, thread, out);
                    self.store(handoff);
                }
                Ok(resumed) => {
                    let text = format!(
                        "Error: resuming thread {thread} on {server} returned thread {} instead. Nothing was sent to any thread.",
                        resumed.thread.id
                    );
                    self.resume_failed(handoff, server, &thread, text, out);
                }
                Err(error) => {
                    let text = format!(
                        "Error: resuming thread {thread} on {server} returned an unreadable result ({error}). Nothing was sent to any thread."
                    );
                    self.resume_failed(handoff, server, &thread, text, out);
                }
            },
            (Purpose::Resume(thread), Err(error)) => {
                let text = format!(
                    "Error: could not resume thread {thread} on {server}: {} (code {}). Nothing was sent to any other thread.",
                    error.message, error.code
                );
                self.resume_failed(handoff, server, &thread, text, out);
            }
            (Purpose::Start, Ok(result)) => match serde_json::from_value::<ThreadStartResponse>(result) {
                Ok(started) => {
                    let thread = started.thread.id;
                    let cache = self.caches.entry(server.to_owned()).or_default();
                    if let Err(violation) = handoff.flow.apply(FlowStep::StartSucceeded(&thread), cache) {
                        out.push(Action::ReportError { message: format!("router bug: {violation}") });
                    }
                    self.start_turn(&mut handoff, thread, out);
                    self.store(handoff);
                }
                Err(error) => {
                    let text = format!("Error: starting a thread on {server} returned an unreadable result ({error}).");
                    self.fail(handoff, text, out);
                }
            },
            (Purpose::Start, Err(error)) => {
                let text =
                    format!("Error: could not start a thread on {server}: {} (code {}).", error.message, error.code);
                self.fail(handoff, text, out);
            }
            (Purpose::Turn(_), Ok(result)) => {
                match serde_json::from_value::<TurnStartResponse>(result) {
                    Ok(started) => handoff.turn_id = Some(started.turn.id),
                    Err(error) => out.push(Action::ReportError {
                        message: format!(
                            "turn/start result from {server:?} unreadable ({error}); following the thread instead"
                        ),
                    }),
                }
                self.store(handoff);
            }
            (Purpose::Turn(thread), Err(error)) => {
                let text = format!(
                    "Error: could not start the turn in thread {thread} on {server}: {} (code {}).",
                    error.message, error.code
                );
                self.fail(handoff, text, out);
            }
            (Purpose::Resolve | Purpose::Finalize, answer) => {
                if let Err(error) = answer {
                    out.push(Action::ReportError {
                        message: format!("{} failed on {server:?}: {}", pending.method, error.message),
                    });
                }
                self.store(handoff);
            }
        }
    }

    fn resume_failed(
        &mut self,
        mut handoff: Handoff,
        server: &str,
        thread: &ThreadId,
        text: String,
        out: &mut Vec<Action>,
    ) {
        let cache = self.caches.entry(server.to_owned()).or_default();
        if let Err(violation) = handoff.flow.apply(FlowStep::ResumeFailed(thread), cache) {
            out.push(Action::ReportError { message: format!("router bug: {violation}") });
        }
        self.fail(handoff, text, out);
    }

    /// The voice thread whose open handoff runs its turn in `thread` on `server`.
    fn handoff_on(&self, server: &str, thread: &ThreadId) -> Option<ThreadId> {
        self.voices.iter().find_map(|(voice_thread, slot)| {
            let open = slot.open.as_ref()?;
            let running = open.server.as_deref() == Some(server) && open.flow.target() == Some(thread);
            let turn_sent = matches!(open.flow.phase(), handoff_flow::HandoffPhase::TurnSent(_));
            (running && turn_sent).then(|| voice_thread.clone())
        })
    }

    fn on_notification(&mut self, server: &str, method: &str, params: Value, out: &mut Vec<Action>) {
        let malformed = |error: serde_json::Error| Action::ReportError {
            message: format!("{method} from server {server:?} has malformed params: {error}"),
        };
        match method {
            methods::THREAD_REALTIME_ITEM_ADDED => {
                match serde_json::from_value::<ThreadRealtimeItemAddedNotification>(params) {
                    Ok(added) => {
                        if let RealtimeItem::HandoffRequest(item) = added.item {
                            self.on_handoff(server.to_owned(), added.thread_id, Requested::Item(item), out);
                        }
                    }
                    Err(error) => out.push(malformed(error)),
                }
            }
            methods::ITEM_AGENT_MESSAGE_DELTA => {
                match serde_json::from_value::<AgentMessageDeltaNotification>(params) {
                    Ok(delta) => {
                        let Some(mut handoff) = self.turn_handoff(server, &delta.thread_id, Some(&delta.turn_id))
                        else {
                            return;
                        };
                        handoff.output.push_str(&delta.delta);
                        handoff.last_progress_ms = self.now_ms;
                        // resolveHandoff carries the reply so far; the server passes the latest to the voice model.
                        let text = handoff.output.clone();
                        self.resolve(&mut handoff, text, out);
                        self.store(handoff);
                    }
                    Err(error) => out.push(malformed(error)),
                }
            }
            methods::TURN_COMPLETED => {
                // Read before decoding, so a completion this router cannot decode still ends its turn.
                let thread = params.get("threadId").and_then(Value::as_str).and_then(|id| ThreadId::new(id).ok());
                let turn_id = params.pointer("/turn/id").and_then(Value::as_str).map(str::to_owned);
                match serde_json::from_value::<TurnCompletedNotification>(params) {
                    Ok(completed) => {
                        let Some(mut handoff) =
                            self.turn_handoff(server, &completed.thread_id, Some(&completed.turn.id))
                        else {
                            return;
                        };
                        if handoff.output.is_empty() {
                            let text = match (&completed.turn.status, &completed.turn.error) {
                                (Some(TurnStatus::Failed), Some(error)) => {
                                    format!("Error: the Codex turn failed: {}", error_text(error))
                                }
                                (Some(TurnStatus::Failed), None) => "Error: the Codex turn failed.".to_owned(),
                                // A status a newer app-server added: the turn is over, but what it means is not
                                // ours to guess; say so rather than pretend it succeeded.
                                (Some(TurnStatus::Unknown(status)), _) => {
                                    format!(
                                        "The Codex turn ended with status `{status}`, which this router does not know."
                                    )
                                }
                                _ => NO_RESPONSE_TEXT.to_owned(),
                            };
                            self.resolve(&mut handoff, text, out);
                        }
                        self.finalize(handoff, out);
                    }
                    Err(error) => {
                        out.push(malformed(error));
                        // The turn is over even if its report is unreadable: end the handoff with what it has
                        // instead of waiting for the stream timeout.
                        let Some(thread) = thread else { return };
                        let Some(mut handoff) = self.turn_handoff(server, &thread, turn_id.as_ref()) else { return };
                        if handoff.output.is_empty() {
                            let text = "Error: the Codex turn ended, but its completion could not be read.".to_owned();
                            self.resolve(&mut handoff, text, out);
                        }
                        self.finalize(handoff, out);
                    }
                }
            }
            methods::ERROR => match serde_json::from_value::<ErrorNotification>(params) {
                Ok(error) => {
                    let Some(thread) = error.thread_id.as_ref() else { return };
                    let Some(mut handoff) = self.turn_handoff(server, thread, error.turn_id.as_ref()) else { return };
                    handoff.last_progress_ms = self.now_ms;
                    if error.will_retry == Some(true) {
                        self.store(handoff);
                        return;
                    }
                    let mut text = std::mem::take(&mut handoff.output);
                    if !text.is_empty() {
                        text.push_str("\n\n");
                    }
                    text.push_str(&format!("Error: {}", error_text(&error.error)));
                    self.fail(handoff, text, out);
                }
                Err(error) => out.push(malformed(error)),
            },
            _ => {
                // Any other notification about the running turn (turn/started, item/started, …) is progress.
                let thread = params.get("threadId").and_then(Value::as_str).and_then(|id| ThreadId::new(id).ok());
                if let Some(thread) = thread
                    && let Some(voice_thread) = self.handoff_on(server, &thread)
                    && let Some(slot) = self.voices.get_mut(&voice_thread)
                    && let Some(open) = slot.open.as_mut()
                {
                    open.last_progress_ms = self.now_ms;
                }
            }
        }
    }

    /// Takes out the open handoff whose turn runs in `thread` on `server`, when `turn_id` (if known on both sides)
    /// is its turn.
    fn turn_handoff(&mut self, server: &str, thread: &ThreadId, turn_id: Option<&String>) -> Option<Handoff> {
        let voice_thread = self.handoff_on(server, thread)?;
        let slot = self.voices.get_mut(&voice_thread)?;
        let open = slot.open.as_ref()?;
        if let (Some(expected), Some(got)) = (&open.turn_id, turn_id)
            && expected != got
        {
            return None;
        }
        slot.open.take()
    }

    fn on_tick(&mut self, out: &mut Vec<Action>) {
        let now = self.now_ms;
        let mut expired: Vec<ThreadId> = self
            .voices
            .iter()
            .filter(|(_, slot)| {
                slot.open.as_ref().is_some_and(|open| now.saturating_sub(open.last_progress_ms) >= STREAM_TIMEOUT_MS)
            })
            .map(|(voice_thread, _)| voice_thread.clone())
            .collect();
        // HashMap order is random; a fixed order keeps the action list reproducible.
        expired.sort();
        for voice_thread in expired {
            let Some(mut handoff) = self.voices.get_mut(&voice_thread).and_then(|slot| slot.open.take()) else {
                continue;
            };
            let mut text = std::mem::take(&mut handoff.output);
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(&format!(
                "Error: timed out after {} s without progress from the Codex agent.",
                STREAM_TIMEOUT_MS / 1000
            ));
            self.fail(handoff, text, out);
        }
    }
}

/// The readable part of an app-server error value: its `message` member, else the JSON.
fn error_text(error: &Value) -> String {
    error.get("message").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| error.to_string())
}
