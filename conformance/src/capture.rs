//! The capture: every frame of a scenario, in the JSONL entries format the validator reads, with a `servers`
//! header line (INTERFACES.md). Frames get their capture line number when recorded, so a failure can name the
//! frame it is about.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};

/// Server id of the realtime WebSocket frames (the voice model's side), as the validator expects it.
pub const REALTIME: &str = "realtime";

/// Which way a frame went, from the point of view of the client of that connection: `In` is what the server (the
/// app-server, or the realtime model) sent, `Out` what its client sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    In,
    Out,
}

/// One recorded frame, as the scenario code sees it.
#[derive(Debug, Clone)]
pub struct Frame {
    /// 1-based line of the frame in the capture file (line 1 is the `servers` header).
    pub line: u64,
    pub json: Value,
}

impl Frame {
    pub fn method(&self) -> Option<&str> {
        self.json.get("method").and_then(Value::as_str)
    }

    /// The `type` of a realtime event.
    pub fn event_type(&self) -> Option<&str> {
        self.json.get("type").and_then(Value::as_str)
    }

    /// A short description for failure messages: the line and the frame, cut to a readable length.
    pub fn describe(&self) -> String {
        let mut text = self.json.to_string();
        if text.len() > 400 {
            let mut end = 400;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            text.push('…');
        }
        format!("capture line {}: {text}", self.line)
    }
}

/// Collects the frames of one scenario; cheap to clone and share between the mocks and the app-server pipes.
#[derive(Clone)]
pub struct Recorder {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    start: Instant,
    servers: Vec<(String, String)>,
    lines: Vec<String>,
}

impl Recorder {
    /// A recorder whose header names `servers` as (id, display name) pairs.
    pub fn new(servers: &[(&str, &str)]) -> Recorder {
        let servers = servers.iter().map(|(id, name)| (id.to_string(), name.to_string())).collect();
        Recorder { inner: Arc::new(Mutex::new(Inner { start: Instant::now(), servers, lines: Vec::new() })) }
    }

    /// Appends one frame and returns it with its capture line number.
    pub fn record(&self, dir: Dir, server_id: &str, json: Value) -> Frame {
        let mut inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let ts_ms = inner.start.elapsed().as_millis() as u64;
        let dir_text = match dir {
            Dir::In => "in",
            Dir::Out => "out",
        };
        let entry = json!({"ts_ms": ts_ms, "dir": dir_text, "server_id": server_id, "json": json});
        inner.lines.push(entry.to_string());
        // Line 1 is the header.
        let line = inner.lines.len() as u64 + 1;
        Frame { line, json }
    }

    /// The last frame recorded, with its capture line; `None` before the first.
    pub fn last(&self) -> Option<Frame> {
        let inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry: Value = serde_json::from_str(inner.lines.last()?).ok()?;
        Some(Frame { line: inner.lines.len() as u64 + 1, json: entry.get("json").cloned().unwrap_or_default() })
    }

    /// The whole capture: the header line, then one entry per line.
    pub fn text(&self) -> String {
        let inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let servers: Vec<Value> = inner.servers.iter().map(|(id, name)| json!({"id": id, "name": name})).collect();
        let mut text = json!({ "servers": servers }).to_string();
        text.push('\n');
        for line in &inner.lines {
            text.push_str(line);
            text.push('\n');
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_then_entries_with_line_numbers() {
        let recorder = Recorder::new(&[("srv_1", "bigpc")]);
        let first = recorder.record(Dir::Out, "srv_1", json!({"id": 1, "method": "thread/start", "params": {}}));
        let second = recorder.record(Dir::In, REALTIME, json!({"type": "session.updated"}));
        assert_eq!((first.line, second.line), (2, 3));
        let text = recorder.text();
        let lines: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
        assert_eq!(lines[0], json!({"servers": [{"id": "srv_1", "name": "bigpc"}]}));
        assert_eq!(lines[1]["dir"], "out");
        assert_eq!(lines[1]["server_id"], "srv_1");
        assert_eq!(lines[2]["server_id"], "realtime");
        assert_eq!(lines[2]["json"]["type"], "session.updated");
        assert!(second.describe().starts_with("capture line 3: "));
    }
}
