//! Property tests: random event sequences against the router, with invariants tracked independently of the
//! router's own state machine (from the requests it sends and the answers the test environment gives).

mod common;

use std::collections::{HashMap, HashSet};

use common::harness::check_capture;
use handoff_router::contract::{RealtimeHandoffRequested, RequestId, ThreadId, methods};
use handoff_router::{Action, ClientRequest, Input, Router, RouterConfig, ServerInfo, VoicePhase};
use proptest::prelude::*;
use serde_json::{Value, json};

const LOCAL: &str = "local-mac";
const BIG: &str = "bigpc";

#[derive(Debug, Clone)]
enum Event {
    /// server: 0 none, 1 "local", 2 "bigpc", 3 an unknown server; thread: thr_0/thr_1 exist on bigpc, thr_2 not.
    Handoff {
        server: u8,
        thread: Option<u8>,
    },
    /// Answer one outstanding request, successfully or with an error.
    Answer {
        pick: usize,
        ok: bool,
    },
    Delta {
        pick: usize,
    },
    Complete {
        pick: usize,
    },
    Fatal {
        pick: usize,
    },
    Tick {
        advance_ms: u64,
    },
    Switch,
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        2 => (0u8..4, proptest::option::of(0u8..3)).prop_map(|(server, thread)| Event::Handoff { server, thread }),
        5 => (any::<usize>(), prop::bool::weighted(0.8)).prop_map(|(pick, ok)| Event::Answer { pick, ok }),
        2 => any::<usize>().prop_map(|pick| Event::Delta { pick }),
        2 => any::<usize>().prop_map(|pick| Event::Complete { pick }),
        1 => any::<usize>().prop_map(|pick| Event::Fatal { pick }),
        1 => (0u64..200_000).prop_map(|advance_ms| Event::Tick { advance_ms }),
        1 => Just(Event::Switch),
    ]
}

struct Outstanding {
    server: String,
    id: RequestId,
    method: &'static str,
    thread: Option<String>,
}

/// The test environment: fake servers at the level of single answers, the capture, and the invariants.
struct Env {
    router: Router,
    now_ms: u64,
    outstanding: Vec<Outstanding>,
    /// Turns that started: (server, thread, turn id).
    running: Vec<(String, String, String)>,
    capture: Vec<Value>,
    actions: Vec<Action>,
    /// Threads a resume or start succeeded for, per server: the only ones that may take a turn.
    ready: HashSet<(String, String)>,
    /// The thread of the last turn sent to each server: the router's handoff thread as seen from outside.
    last_turn_thread: HashMap<String, String>,
    handoffs: Vec<String>,
    switched: bool,
    next_thread: u32,
    next_turn: u32,
}

impl Env {
    fn new() -> Env {
        let config = RouterConfig::new(vec![ServerInfo::new(LOCAL, "laptop"), ServerInfo::new(BIG, BIG)], LOCAL)
            .expect("local is listed");
        Env {
            router: Router::new(config),
            now_ms: 0,
            outstanding: Vec::new(),
            running: Vec::new(),
            capture: Vec::new(),
            actions: Vec::new(),
            ready: HashSet::new(),
            last_turn_thread: HashMap::new(),
            handoffs: Vec::new(),
            switched: false,
            next_thread: 0,
            next_turn: 0,
        }
    }

    fn record(&mut self, dir: &str, server: &str, message: &Value) {
        self.capture.push(json!({"ts_ms": self.now_ms, "dir": dir, "server_id": server, "json": message}));
    }

    /// A server message: recorded, then handled; returns the router's actions after checking them.
    fn deliver(&mut self, server: &str, message: Value) -> Result<Vec<Action>, TestCaseError> {
        self.now_ms += 1;
        self.record("in", server, &message);
        let input = Input::from_server_message(server, &message).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let Some(input) = input else { return Ok(Vec::new()) };
        let actions = self.router.handle(self.now_ms, input);
        self.take(&actions)?;
        Ok(actions)
    }

    /// Checks and records the router's actions.
    fn take(&mut self, actions: &[Action]) -> Result<(), TestCaseError> {
        for action in actions {
            self.actions.push(action.clone());
            let Action::Send { server, id, request } = action else { continue };
            let message = request.to_message(id).map_err(|e| TestCaseError::fail(e.to_string()))?;
            self.record("out", server, &message);
            let thread = message["params"]["threadId"].as_str().map(str::to_owned);
            match request {
                ClientRequest::StartTurn(params) => {
                    let key = (server.clone(), params.thread_id.to_string());
                    prop_assert!(self.ready.contains(&key), "turn/start into {key:?} before a successful resume/start");
                    self.last_turn_thread.insert(server.clone(), params.thread_id.to_string());
                }
                ClientRequest::ResumeThread(params) => {
                    prop_assert_ne!(
                        self.last_turn_thread.get(server),
                        Some(&params.thread_id.to_string()),
                        "resumed the server's cached handoff thread again"
                    );
                }
                _ => {}
            }
            self.outstanding.push(Outstanding {
                server: server.clone(),
                id: id.clone(),
                method: request.method(),
                thread,
            });
        }
        Ok(())
    }

    fn apply(&mut self, event: Event) -> Result<(), TestCaseError> {
        match event {
            Event::Handoff { server, thread } => {
                let id = format!("h{}", self.handoffs.len() + 1);
                self.handoffs.push(id.clone());
                let mut item = RealtimeHandoffRequested::new(id.clone(), format!("item_{id}"), "do it".into(), vec![]);
                item.server = match server {
                    0 => None,
                    1 => Some("local".to_owned()),
                    2 => Some(BIG.to_owned()),
                    _ => Some("nowhere".to_owned()),
                };
                item.thread_id = thread.map(|n| ThreadId::new(format!("thr_{n}")).expect("valid"));
                let message = json!({"method": methods::THREAD_REALTIME_ITEM_ADDED,
                    "params": {"threadId": "voice_1", "item": serde_json::to_value(&item).expect("serializes")}});
                self.deliver(LOCAL, message)?;
            }
            Event::Answer { pick, ok } => {
                if self.outstanding.is_empty() {
                    return Ok(());
                }
                let request = self.outstanding.remove(pick % self.outstanding.len());
                self.answer(request, ok)?;
            }
            Event::Delta { pick } | Event::Complete { pick } | Event::Fatal { pick } => {
                if self.running.is_empty() {
                    return Ok(());
                }
                let index = pick % self.running.len();
                let (server, thread, turn) = self.running[index].clone();
                let message = match event {
                    Event::Delta { .. } => json!({"method": methods::ITEM_AGENT_MESSAGE_DELTA,
                        "params": {"threadId": thread, "turnId": turn, "itemId": "m", "delta": "chunk "}}),
                    Event::Complete { .. } => json!({"method": methods::TURN_COMPLETED,
                        "params": {"threadId": thread, "turn": {"id": turn, "status": "completed"}}}),
                    _ => json!({"method": methods::ERROR,
                        "params": {"threadId": thread, "turnId": turn, "error": {"message": "boom"}, "willRetry": false}}),
                };
                if !matches!(event, Event::Delta { .. }) {
                    self.running.remove(index);
                }
                self.deliver(&server, message)?;
            }
            Event::Tick { advance_ms } => {
                self.now_ms += advance_ms;
                let actions = self.router.handle(self.now_ms, Input::Tick);
                self.take(&actions)?;
            }
            Event::Switch => {
                self.switched = true;
                self.last_turn_thread.remove(BIG);
                let actions = self.router.handle(self.now_ms, Input::ContextSwitched { server: BIG.to_owned() });
                self.take(&actions)?;
            }
        }
        Ok(())
    }

    fn answer(&mut self, request: Outstanding, ok: bool) -> Result<(), TestCaseError> {
        let thread = request.thread.clone().unwrap_or_default();
        // Only thr_0 and thr_1 exist, and only on bigpc.
        let ok = ok && !(request.method == methods::THREAD_RESUME && (thread == "thr_2" || request.server != BIG));
        let id = serde_json::to_value(&request.id).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if !ok {
            let message = json!({"id": id, "error": {"code": -32600, "message": format!("no rollout found for thread id {thread}")}});
            let cached_before = self.router.cached_thread(&request.server).cloned();
            let actions = self.deliver(&request.server, message)?;
            if request.method == methods::THREAD_RESUME {
                // Fail closed: up to the finalize only the error resolution; the cache is untouched.
                let before_finalize: Vec<&str> = actions
                    .iter()
                    .filter_map(|action| match action {
                        Action::Send { request, .. } => Some(request.method()),
                        _ => None,
                    })
                    .take_while(|method| *method != methods::THREAD_REALTIME_FINALIZE_HANDOFF)
                    .collect();
                prop_assert!(
                    before_finalize.iter().all(|method| *method == methods::THREAD_REALTIME_RESOLVE_HANDOFF),
                    "after a failed resume: {before_finalize:?}"
                );
                prop_assert_eq!(self.router.cached_thread(&request.server).cloned(), cached_before);
            }
            return Ok(());
        }
        let result = match request.method {
            methods::THREAD_RESUME | methods::THREAD_START => {
                let thread = if request.method == methods::THREAD_START {
                    self.next_thread += 1;
                    format!("thr_new_{}", self.next_thread)
                } else {
                    thread
                };
                self.ready.insert((request.server.clone(), thread.clone()));
                json!({"thread": {"id": thread}, "model": "m", "modelProvider": "p", "cwd": "/",
                    "approvalPolicy": "never", "sandbox": {"type": "readOnly"}})
            }
            methods::TURN_START => {
                self.next_turn += 1;
                let turn = format!("turn_{}", self.next_turn);
                self.running.push((request.server.clone(), thread, turn.clone()));
                json!({"turn": {"id": turn, "status": "inProgress"}})
            }
            _ => json!({}),
        };
        self.deliver(&request.server, json!({"id": id, "result": result}))?;
        Ok(())
    }

    /// Answers everything and lets every open handoff time out.
    fn drain(&mut self) -> Result<(), TestCaseError> {
        for _ in 0..50 {
            while let Some(request) = self.outstanding.pop() {
                self.answer(request, true)?;
            }
            if self.router.open_handoffs().is_empty() {
                break;
            }
            self.apply(Event::Tick { advance_ms: 1_000_000 })?;
        }
        prop_assert!(self.router.open_handoffs().is_empty(), "handoffs left open: {:?}", self.router.open_handoffs());
        Ok(())
    }

    /// One voice thread: handoffs open in order, each gets one or more resolves then exactly one finalize, and
    /// nothing is sent for it after the finalize.
    fn check_spans(&self) -> Result<(), TestCaseError> {
        let mut opened: Vec<String> = Vec::new();
        let mut open = false;
        let (mut resolves, mut finalized, mut turns, mut thread_requests) = (0, false, 0, 0);
        for action in &self.actions {
            match action {
                Action::SetVoicePhase { phase: VoicePhase::Delegating { handoff_id }, .. } => {
                    prop_assert!(!open, "{handoff_id} opened while another handoff is open");
                    opened.push(handoff_id.clone());
                    (open, resolves, finalized, turns, thread_requests) = (true, 0, false, 0, 0);
                }
                Action::SetVoicePhase { phase: VoicePhase::Idle, .. } => {
                    prop_assert!(open && finalized, "idle without a finalize");
                    open = false;
                }
                Action::Send { request, .. } => {
                    prop_assert!(open && !finalized, "{} sent outside an open handoff", request.method());
                    match request {
                        ClientRequest::ResolveHandoff(_) => resolves += 1,
                        ClientRequest::FinalizeHandoff(_) => {
                            prop_assert!(resolves >= 1, "finalize without resolve");
                            finalized = true;
                        }
                        ClientRequest::StartTurn(_) => turns += 1,
                        ClientRequest::ResumeThread(_) | ClientRequest::StartThread(_) => thread_requests += 1,
                    }
                    prop_assert!(
                        turns <= 1 && thread_requests <= 1,
                        "more than one turn or thread request per handoff"
                    );
                }
                // Errors the environment injected on resolve/finalize are reported, and that is right; a step the
                // router's own flow refused is a bug.
                Action::ReportError { message } => prop_assert!(!message.contains("router bug"), "{message}"),
            }
        }
        prop_assert!(!open);
        prop_assert_eq!(&opened, &self.handoffs, "every handoff opened exactly once, in order");
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_event_sequences_keep_the_flow_rules(events in proptest::collection::vec(event(), 0..60)) {
        let mut env = Env::new();
        for event in events {
            env.apply(event)?;
        }
        env.drain()?;
        env.check_spans()?;
        if !env.switched {
            // A context switch happens in the UI and leaves no trace in the capture; without one, the recorded
            // traffic must pass the validator's flow rules as it is.
            let jsonl: String = env.capture.iter().map(|entry| format!("{entry}\n")).collect();
            let (findings, _) = check_capture(&jsonl);
            prop_assert!(findings.is_empty(), "findings {findings:?}\ncapture:\n{jsonl}");
        }
    }
}

/// One arbitrary frame from a small vocabulary of flow methods, ids, threads and servers, valid or not.
fn arbitrary_frame() -> impl Strategy<Value = (bool, &'static str, Value)> {
    let method = prop::sample::select(vec![
        methods::THREAD_RESUME,
        methods::THREAD_START,
        methods::TURN_START,
        methods::THREAD_REALTIME_RESOLVE_HANDOFF,
        methods::THREAD_REALTIME_FINALIZE_HANDOFF,
        methods::THREAD_REALTIME_ITEM_ADDED,
        methods::THREAD_STARTED,
        methods::TURN_COMPLETED,
        "model/list",
    ]);
    let thread =
        prop::sample::select(vec![json!("thr_1"), json!("thr_2"), json!("voice_1"), json!("bad id"), json!(7)]);
    let id = prop::sample::select(vec![json!(1), json!(2), json!("1"), Value::Null]);
    let server = prop::sample::select(vec![LOCAL, BIG, "realtime"]);
    let item_server = prop::sample::select(vec![json!(null), json!("local"), json!(BIG), json!("nowhere"), json!(3)]);
    (any::<bool>(), server, method, thread, id, item_server, 0u8..6).prop_map(
        |(out, server, method, thread, id, item_server, shape)| {
            let item = json!({"type": "handoff_request", "handoff_id": "h", "item_id": "i", "input_transcript": "x",
                "active_transcript": [], "server": item_server, "thread_id": thread});
            let message = match shape {
                0 => json!({"id": id, "method": method, "params": {"threadId": thread}}),
                1 => {
                    json!({"method": method, "params": {"threadId": "voice_1", "item": item, "thread": {"id": thread}}})
                }
                2 => json!({"id": id, "result": {"thread": {"id": thread}}}),
                3 => json!({"id": id, "error": {"code": -32600, "message": "no"}}),
                4 => json!({"id": id, "method": method}),
                _ => json!([method]),
            };
            (out, server, message)
        },
    )
}

proptest! {
    #[test]
    fn the_flow_checker_never_panics_and_points_at_real_frames(
        frames in proptest::collection::vec(arbitrary_frame(), 0..80)
    ) {
        let jsonl: String = frames
            .iter()
            .map(|(out, server, message)| {
                let dir = if *out { "out" } else { "in" };
                format!("{}\n", json!({"ts_ms": 0, "dir": dir, "server_id": server, "json": message}))
            })
            .collect();
        let (findings, _) = check_capture(&jsonl);
        for finding in findings {
            prop_assert!((1..=frames.len() as u64).contains(&finding.position), "{finding:?}");
            prop_assert!(finding.rule.starts_with("flow/"));
        }
    }
}
