//! Drives the router against fake app-servers and records the traffic as a capture in the JSON Lines entry format
//! (`{"ts_ms","dir","server_id","json"}`, "out" = client → server), the way the mobile client would record it.

use std::collections::{HashMap, HashSet, VecDeque};

use handoff_router::contract::{RealtimeHandoffRequested, ThreadId, methods};
use handoff_router::{Action, ClientRequest, Input, Router, RouterConfig, ServerInfo};
use serde_json::{Value, json};

use super::fake_server::FakeServer;
use handoff_flow::{FlowCheck, FlowDirection, FlowFinding, FlowFrame, FlowMessage};

/// A deliberate bug wrapped around the router, for checking that the flow rules catch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sabotage {
    /// Resume the thread again before every turn the router sends.
    ResumeTwice,
    /// After a failed resume, start a scratch thread and send the turn there before the router's error resolution.
    ScratchAfterFailedResume,
}

pub struct Harness {
    pub router: Router,
    pub servers: HashMap<String, FakeServer>,
    pub capture: Vec<Value>,
    /// Every action the router returned, in order.
    pub actions: Vec<Action>,
    pub now_ms: u64,
    sabotage: Option<Sabotage>,
    /// Ids of requests the sabotage sent: their answers do not go to the router.
    injected: HashSet<(String, String)>,
    next_injected: i64,
    /// Server whose last router resume failed (for ScratchAfterFailedResume).
    failed_resume_on: Option<String>,
}

pub const LOCAL: &str = "local-mac";

impl Harness {
    /// A router with a local server and "bigpc", where thr_123 and thr_456 are stored.
    pub fn new(sabotage: Option<Sabotage>) -> Harness {
        let config =
            RouterConfig::new(vec![ServerInfo::new(LOCAL, "laptop"), ServerInfo::new("bigpc", "Big PC")], LOCAL)
                .expect("local is listed");
        let mut servers = HashMap::new();
        servers.insert(LOCAL.to_owned(), FakeServer::new("local", &[]));
        servers.insert("bigpc".to_owned(), FakeServer::new("bigpc", &["thr_123", "thr_456"]));
        Harness {
            router: Router::new(config),
            servers,
            capture: Vec::new(),
            actions: Vec::new(),
            now_ms: 1_000,
            sabotage,
            injected: HashSet::new(),
            next_injected: 10_000,
            failed_resume_on: None,
        }
    }

    fn record(&mut self, dir: &str, server: &str, message: &Value) {
        self.now_ms += 5;
        self.capture.push(json!({"ts_ms": self.now_ms, "dir": dir, "server_id": server, "json": message}));
    }

    /// The voice model called `codex(server, prompt, thread_id?)`: the local server adds the handoff item.
    pub fn handoff(&mut self, handoff_id: &str, server: Option<&str>, thread_id: Option<&str>, prompt: &str) {
        let mut item = RealtimeHandoffRequested::new(
            handoff_id.to_owned(),
            format!("item_{handoff_id}"),
            prompt.to_owned(),
            vec![],
        );
        item.server = server.map(str::to_owned);
        item.thread_id = thread_id.map(|thread| ThreadId::new(thread).expect("test thread ids are valid"));
        let message = json!({"method": methods::THREAD_REALTIME_ITEM_ADDED,
            "params": {"threadId": "voice_1", "item": serde_json::to_value(&item).expect("items serialize")}});
        self.deliver(LOCAL, message);
    }

    pub fn tick(&mut self, advance_ms: u64) {
        self.now_ms += advance_ms;
        let actions = self.router.handle(self.now_ms, Input::Tick);
        self.perform(actions);
    }

    pub fn context_switched(&mut self, server: &str) {
        let actions = self.router.handle(self.now_ms, Input::ContextSwitched { server: server.to_owned() });
        self.perform(actions);
    }

    /// A message from a server: recorded, then given to the router (unless it answers an injected request).
    pub fn deliver(&mut self, server: &str, message: Value) {
        self.record("in", server, &message);
        if let Some(id) = message.get("id")
            && message.get("method").is_none()
            && self.injected.contains(&(server.to_owned(), id.to_string()))
        {
            return;
        }
        let input = Input::from_server_message(server, &message).expect("fake servers send well-formed messages");
        if let Some(input) = input {
            let actions = self.router.handle(self.now_ms, input);
            self.perform(actions);
        }
    }

    fn perform(&mut self, actions: Vec<Action>) {
        let mut queue: VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            self.actions.push(action.clone());
            let Action::Send { server, id, request } = action else { continue };
            self.sabotage_before(&server, &request);
            let message = request.to_message(&id).expect("requests serialize");
            let replies = self.send(&server, &message);
            if let ClientRequest::ResumeThread(_) = request {
                let failed = replies.iter().any(|reply| reply.get("error").is_some());
                self.failed_resume_on = failed.then(|| server.clone());
            }
            for reply in replies {
                self.deliver(&server, reply);
            }
        }
    }

    fn send(&mut self, server: &str, message: &Value) -> Vec<Value> {
        self.record("out", server, message);
        self.servers.get_mut(server).map(|fake| fake.handle(message)).unwrap_or_default()
    }

    /// Sends a request the router did not ask for; its answers are recorded but kept from the router.
    fn inject(&mut self, server: &str, method: &str, params: Value) -> Vec<Value> {
        self.next_injected += 1;
        let id = json!(self.next_injected);
        self.injected.insert((server.to_owned(), id.to_string()));
        let replies = self.send(server, &json!({"id": id, "method": method, "params": params}));
        for reply in &replies {
            self.record("in", server, reply);
        }
        replies
    }

    fn sabotage_before(&mut self, server: &str, request: &ClientRequest) {
        match (self.sabotage, request) {
            (Some(Sabotage::ResumeTwice), ClientRequest::StartTurn(params)) => {
                self.inject(server, methods::THREAD_RESUME, json!({"threadId": params.thread_id}));
            }
            (Some(Sabotage::ScratchAfterFailedResume), ClientRequest::ResolveHandoff(_)) => {
                let Some(target) = self.failed_resume_on.take() else { return };
                let replies = self.inject(&target, methods::THREAD_START, json!({}));
                let scratch =
                    replies.iter().find_map(|reply| reply["result"]["thread"]["id"].as_str().map(str::to_owned));
                if let Some(scratch) = scratch {
                    let input = json!([{"type": "text", "text": "continue"}]);
                    self.inject(&target, methods::TURN_START, json!({"threadId": scratch, "input": input}));
                }
            }
            _ => {}
        }
    }

    /// The capture as JSON Lines.
    pub fn jsonl(&self) -> String {
        self.capture.iter().map(|entry| format!("{entry}\n")).collect()
    }

    /// Runs the flow checker over the capture; positions are 1-based line numbers.
    pub fn check(&self) -> (Vec<FlowFinding>, Vec<String>) {
        check_capture(&self.jsonl())
    }

    /// The requests the router sent, as (server, method, params).
    pub fn sent(&self) -> Vec<(String, &'static str, Value)> {
        self.actions
            .iter()
            .filter_map(|action| match action {
                Action::Send { server, id, request } => {
                    let message = request.to_message(id).expect("requests serialize");
                    Some((server.clone(), request.method(), message["params"].clone()))
                }
                _ => None,
            })
            .collect()
    }
}

/// Reads a JSON Lines entry capture and runs the flow checker over it, as the validator does.
pub fn check_capture(jsonl: &str) -> (Vec<FlowFinding>, Vec<String>) {
    let mut check = FlowCheck::new();
    let mut findings = Vec::new();
    for (index, line) in jsonl.lines().enumerate() {
        let entry: Value = serde_json::from_str(line).expect("capture lines are JSON");
        let direction = match entry["dir"].as_str() {
            Some("out") => FlowDirection::ClientToServer,
            _ => FlowDirection::ServerToClient,
        };
        let server_id = entry["server_id"].as_str().unwrap_or_default();
        let frame =
            FlowFrame { server_id, direction, message: FlowMessage::Value(&entry["json"]), position: index as u64 + 1 };
        check.observe(&frame, &mut findings);
    }
    let notes = check.finish(&mut findings);
    (findings, notes)
}
