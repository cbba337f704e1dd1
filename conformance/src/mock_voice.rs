//! A loopback realtime WebSocket mock playing the voice model.
//!
//! The app-server opens `GET /v1/realtime?model=…` on the configured base URL and speaks Realtime API events. The
//! scenario reads what the app-server sent ([`VoiceMock::expect`]) and sends events as the model would
//! ([`VoiceMock::send`]). Both directions are recorded with server id `realtime`: `in` is what the model sent,
//! `out` what the app-server sent it. One connection at a time, at most [`MAX_CONNECTIONS`] per mock.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, anyhow};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

use crate::capture::{Dir, Frame, REALTIME, Recorder};

pub const MAX_CONNECTIONS: usize = 4;

/// What the app-server's WebSocket handshake looked like.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// Path and query, e.g. `/v1/realtime?model=…`.
    pub target: String,
    pub has_bearer: bool,
}

/// The running mock; stops when dropped.
pub struct VoiceMock {
    addr: SocketAddr,
    from_server: mpsc::UnboundedReceiver<Frame>,
    to_server: mpsc::UnboundedSender<Value>,
    handshakes: Arc<Mutex<Vec<Handshake>>>,
    recorder: Recorder,
    task: JoinHandle<()>,
}

impl VoiceMock {
    pub async fn start(recorder: Recorder) -> anyhow::Result<VoiceMock> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (from_tx, from_server) = mpsc::unbounded_channel();
        let (to_server, to_rx) = mpsc::unbounded_channel::<Value>();
        let handshakes = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn(serve(listener, recorder.clone(), from_tx, to_rx, handshakes.clone()));
        Ok(VoiceMock { addr, from_server, to_server, handshakes, recorder, task })
    }

    /// The value of `experimental_realtime_ws_base_url`.
    pub fn base_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    pub fn handshakes(&self) -> Vec<Handshake> {
        self.handshakes.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Sends an event as the model; it is recorded when the connection writes it.
    pub fn send(&self, event: Value) -> anyhow::Result<()> {
        self.to_server.send(event).map_err(|_| anyhow!("the realtime mock's connection task has stopped"))
    }

    /// Waits up to `timeout` for the next event the app-server sent.
    pub async fn next(&mut self, timeout: Duration) -> Option<Frame> {
        tokio::time::timeout(timeout, self.from_server.recv()).await.ok().flatten()
    }

    /// Waits for the first event of type `kind`, skipping others; errors name what was seen instead.
    pub async fn expect(&mut self, kind: &str, timeout: Duration) -> anyhow::Result<Frame> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut skipped = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(frame) if frame.event_type() == Some(kind) => return Ok(frame),
                Some(frame) => skipped.push(format!("{} (line {})", frame.event_type().unwrap_or("?"), frame.line)),
                None => {
                    return Err(anyhow!(
                        "the app-server sent the realtime model no `{kind}` within {} s (it sent: {})",
                        timeout.as_secs(),
                        if skipped.is_empty() { "nothing".to_owned() } else { skipped.join(", ") }
                    ));
                }
            }
        }
    }

    /// Every event the app-server sends within `window` (for "nothing happens" checks).
    pub async fn drain(&mut self, window: Duration) -> Vec<Frame> {
        let deadline = tokio::time::Instant::now() + window;
        let mut frames = Vec::new();
        while let Some(frame) = self.next(deadline.saturating_duration_since(tokio::time::Instant::now())).await {
            frames.push(frame);
        }
        frames
    }

    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }
}

impl Drop for VoiceMock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    listener: TcpListener,
    recorder: Recorder,
    from_server: mpsc::UnboundedSender<Frame>,
    mut to_server: mpsc::UnboundedReceiver<Value>,
    handshakes: Arc<Mutex<Vec<Handshake>>>,
) {
    for _ in 0..MAX_CONNECTIONS {
        let Ok((stream, _)) = listener.accept().await else { return };
        let seen = handshakes.clone();
        // tungstenite fixes the callback's error type (an HTTP response); this one never fails.
        #[allow(clippy::result_large_err)]
        let callback = move |request: &Request, response: Response| {
            let target = request.uri().path_and_query().map(|pq| pq.to_string()).unwrap_or_default();
            let has_bearer = request
                .headers()
                .get("authorization")
                .and_then(|value| value.to_str().ok())
                .is_some_and(|value| value.starts_with("Bearer "));
            seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(Handshake { target, has_bearer });
            Ok(response)
        };
        let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, callback).await else { continue };
        let (mut sink, mut stream) = socket.split();
        loop {
            tokio::select! {
                incoming = stream.next() => match incoming {
                    Some(Ok(Message::Text(text))) => {
                        let json = serde_json::from_str(text.as_str())
                            .unwrap_or_else(|_| Value::String(text.as_str().to_owned()));
                        let frame = recorder.record(Dir::Out, REALTIME, json);
                        if from_server.send(frame).is_err() {
                            return;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                },
                outgoing = to_server.recv() => match outgoing {
                    Some(event) => {
                        let text = event.to_string();
                        recorder.record(Dir::In, REALTIME, event);
                        if sink.send(Message::text(text)).await.is_err() {
                            break;
                        }
                    }
                    None => return,
                },
            }
        }
    }
}

/// Builds the model's `conversation.item.done` carrying a function call.
pub fn function_call_done(item_id: &str, call_id: &str, name: &str, arguments: &Value) -> Value {
    serde_json::json!({
        "type": "conversation.item.done",
        "item": {"id": item_id, "type": "function_call", "name": name, "call_id": call_id,
                 "arguments": arguments.to_string()}
    })
}

/// Reads the `session.update` the app-server sends first and answers `session.updated`, as the Realtime API does.
pub async fn open_session(voice: &mut VoiceMock, timeout: Duration) -> anyhow::Result<Frame> {
    let update = voice.expect("session.update", timeout).await.context("opening the realtime session")?;
    voice.send(serde_json::json!({"type": "session.updated", "session": {"id": "sess_conformance"}}))?;
    Ok(update)
}
