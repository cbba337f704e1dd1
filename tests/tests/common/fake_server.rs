//! An in-process fake Codex app-server: just enough of thread/resume, thread/start and turn/start to drive the
//! router, answering the way protocol-facts.md describes.

use std::collections::HashSet;

use handoff_router::contract::methods;
use serde_json::{Value, json};

pub struct FakeServer {
    id: String,
    /// Threads stored on disk: resumable.
    stored: HashSet<String>,
    /// Threads loaded on this connection (resumed or started): only these take turns.
    loaded: HashSet<String>,
    next_thread: u32,
    next_turn: u32,
    /// Agent reply chunks of every turn; empty means a turn that ends without output.
    pub reply: Vec<String>,
    /// When false, turns start but never complete (for timeouts).
    pub completes_turns: bool,
}

impl FakeServer {
    pub fn new(id: &str, stored: &[&str]) -> FakeServer {
        FakeServer {
            id: id.to_owned(),
            stored: stored.iter().map(|thread| thread.to_string()).collect(),
            loaded: HashSet::new(),
            next_thread: 0,
            next_turn: 0,
            reply: vec!["Resumed. ".to_owned(), "The tests pass now.".to_owned()],
            completes_turns: true,
        }
    }

    /// Answers one client request: the messages the server sends back, in order.
    pub fn handle(&mut self, request: &Value) -> Vec<Value> {
        let id = request["id"].clone();
        let method = request["method"].as_str().unwrap_or_default();
        let thread = request["params"]["threadId"].as_str().unwrap_or_default().to_owned();
        match method {
            methods::THREAD_RESUME if self.stored.contains(&thread) => {
                self.loaded.insert(thread.clone());
                vec![json!({"id": id, "result": thread_result(&thread)})]
            }
            methods::THREAD_RESUME => vec![error(id, -32600, &format!("no rollout found for thread id {thread}"))],
            methods::THREAD_START => {
                self.next_thread += 1;
                let thread = format!("thr_{}_{}", self.id, self.next_thread);
                self.stored.insert(thread.clone());
                self.loaded.insert(thread.clone());
                vec![
                    json!({"method": methods::THREAD_STARTED, "params": {"thread": {"id": thread}}}),
                    json!({"id": id, "result": thread_result(&thread)}),
                ]
            }
            methods::TURN_START if self.loaded.contains(&thread) => {
                self.next_turn += 1;
                let turn = format!("turn_{}", self.next_turn);
                let mut out = vec![
                    json!({"id": id, "result": {"turn": {"id": turn, "status": "inProgress"}}}),
                    json!({"method": methods::TURN_STARTED,
                        "params": {"threadId": thread, "turn": {"id": turn, "status": "inProgress"}}}),
                ];
                for chunk in &self.reply {
                    out.push(json!({"method": methods::ITEM_AGENT_MESSAGE_DELTA,
                        "params": {"threadId": thread, "turnId": turn, "itemId": "msg_1", "delta": chunk}}));
                }
                if self.completes_turns {
                    out.push(json!({"method": methods::TURN_COMPLETED,
                        "params": {"threadId": thread, "turn": {"id": turn, "status": "completed"}}}));
                }
                out
            }
            methods::TURN_START => vec![error(id, -32600, &format!("thread {thread} is not loaded"))],
            methods::THREAD_REALTIME_RESOLVE_HANDOFF | methods::THREAD_REALTIME_FINALIZE_HANDOFF => {
                vec![json!({"id": id, "result": {}})]
            }
            _ => vec![error(id, -32601, &format!("method not found: {method}"))],
        }
    }
}

fn thread_result(thread: &str) -> Value {
    json!({"thread": {"id": thread, "turns": []}, "model": "gpt-5-codex", "modelProvider": "openai", "cwd": "/work",
        "approvalPolicy": "never", "sandbox": {"type": "workspaceWrite"}, "reasoningEffort": null})
}

fn error(id: Value, code: i64, message: &str) -> Value {
    json!({"id": id, "error": {"code": code, "message": message}})
}
