//! A loopback Responses API mock: the model behind the app-server's delegated turns.
//!
//! The app-server POSTs `/v1/responses` and reads a `text/event-stream` of Responses API events. Each request takes
//! the next scripted [`Reply`]: a streamed text answer (`response.created`, `response.output_item.added`, one
//! `response.output_text.delta` per piece, `response.output_item.done`, `response.completed` with usage) or a
//! failure (`response.failed`). A request with nothing scripted fails too and is counted, so a scenario notices
//! model calls it did not expect.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Request bodies above this are refused: the app-server's requests are a few hundred KiB at most.
const MAX_BODY_BYTES: usize = 8 << 20;

/// What the model answers to one `/v1/responses` request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// An assistant message streamed in these pieces.
    Text(Vec<String>),
    /// A failed response with this error message.
    Fail(String),
}

impl Reply {
    pub fn text(pieces: &[&str]) -> Reply {
        Reply::Text(pieces.iter().map(|piece| piece.to_string()).collect())
    }
}

#[derive(Default)]
struct State {
    script: VecDeque<Reply>,
    /// Bodies of the `/v1/responses` requests, in arrival order.
    requests: Vec<Value>,
    /// Requests that found no scripted reply, or hit another path.
    unexpected: Vec<String>,
}

/// The running mock; stops when dropped.
pub struct ModelMock {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl ModelMock {
    pub async fn start() -> anyhow::Result<ModelMock> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| answer(state.clone(), request));
                    let io = hyper_util::rt::TokioIo::new(stream);
                    // A broken connection only loses that request; the scenario's timeouts report the rest.
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
                });
            }
        });
        Ok(ModelMock { addr, state, task })
    }

    /// The provider base URL for the app-server's config.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Queues the reply for the next request.
    pub fn push(&self, reply: Reply) {
        self.lock().script.push_back(reply);
    }

    /// Bodies of the requests so far.
    pub fn requests(&self) -> Vec<Value> {
        self.lock().requests.clone()
    }

    pub fn unexpected(&self) -> Vec<String> {
        self.lock().unexpected.clone()
    }

    /// Replies scripted but not asked for yet.
    pub fn pending(&self) -> usize {
        self.lock().script.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for ModelMock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(state: Arc<Mutex<State>>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let body = match Limited::new(request.into_body(), MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => return Ok(plain(StatusCode::BAD_REQUEST, &format!("unreadable body: {error}"))),
    };
    let mut state = state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if method != hyper::Method::POST || path != "/v1/responses" {
        state.unexpected.push(format!("{method} {path}"));
        return Ok(plain(StatusCode::NOT_FOUND, "the mock serves POST /v1/responses only"));
    }
    let parsed = serde_json::from_slice(&body).unwrap_or(Value::Null);
    state.requests.push(parsed);
    let number = state.requests.len();
    let reply = state.script.pop_front().unwrap_or_else(|| {
        state.unexpected.push(format!("model request {number} with no scripted reply"));
        Reply::Fail(format!("the conformance mock had no reply scripted for model request {number}"))
    });
    let body = sse_body(number, &reply);
    let response = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/event-stream")
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "response build"));
    Ok(response)
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text.to_owned())));
    *response.status_mut() = status;
    response
}

/// The event stream of one reply; `number` makes the ids unique per request.
pub fn sse_body(number: usize, reply: &Reply) -> String {
    let response_id = format!("resp_mock_{number}");
    let item_id = format!("msg_mock_{number}");
    let mut events = vec![json!({"type": "response.created", "response": {"id": response_id}})];
    match reply {
        Reply::Text(pieces) => {
            events.push(json!({"type": "response.output_item.added", "output_index": 0, "item": {
                "type": "message", "id": item_id, "role": "assistant", "status": "in_progress", "content": []}}));
            for piece in pieces {
                events.push(json!({"type": "response.output_text.delta", "item_id": item_id, "output_index": 0,
                    "content_index": 0, "delta": piece}));
            }
            let text: String = pieces.concat();
            events.push(json!({"type": "response.output_item.done", "output_index": 0, "item": {
                "type": "message", "id": item_id, "role": "assistant", "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}]}}));
            events.push(json!({"type": "response.completed", "response": {"id": response_id, "usage": {
                "input_tokens": 120, "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": 12, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 132}}}));
        }
        Reply::Fail(message) => {
            events.push(json!({"type": "response.failed", "response": {"id": response_id,
                "error": {"code": "invalid_prompt", "message": message}}}));
        }
    }
    let mut body = String::new();
    for event in events {
        body.push_str(&format!("event: {}\ndata: {event}\n\n", event["type"].as_str().unwrap_or_default()));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_reply_streams_one_delta_per_piece_and_completes_with_usage() {
        let body = sse_body(3, &Reply::text(&["Hel", "lo"]));
        let events: Vec<Value> = body
            .split("\n\n")
            .filter(|block| !block.is_empty())
            .map(|block| serde_json::from_str(block.lines().nth(1).unwrap().strip_prefix("data: ").unwrap()).unwrap())
            .collect();
        let kinds: Vec<&str> = events.iter().map(|event| event["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "response.created",
                "response.output_item.added",
                "response.output_text.delta",
                "response.output_text.delta",
                "response.output_item.done",
                "response.completed"
            ]
        );
        assert_eq!(events[4]["item"]["content"][0]["text"], "Hello");
        assert_eq!(events[5]["response"]["usage"]["total_tokens"], 132);
        assert!(body.starts_with("event: response.created\ndata: {"));
    }

    #[test]
    fn failure_reply_ends_with_response_failed() {
        let body = sse_body(1, &Reply::Fail("boom".into()));
        assert!(body.contains("event: response.failed"), "{body}");
        assert!(body.contains("\"message\":\"boom\""), "{body}");
    }
}
