//! What goes into the router and what comes out of it.

use serde_json::Value;

use handoff_flow::{HandoffMode, ItemAdded, StartedMode};

use crate::contract::methods::{self, Request};
use crate::contract::{
    JsonRpcError, JsonRpcErrorObject, JsonRpcRequest, JsonRpcResponse, RealtimeHandoffRequested, RequestId, ThreadId,
    ThreadRealtimeFinalizeHandoffParams, ThreadRealtimeResolveHandoffParams, ThreadResumeParams, ThreadStartParams,
    TurnStartParams,
};

/// One event for the router.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A `handoff_request` item arrived on `voice_server` for the voice thread `voice_thread`.
    HandoffRequested { voice_server: String, voice_thread: ThreadId, item: RealtimeHandoffRequested },
    /// A `handoff_request` item whose voice thread and handoff id are readable but the rest is not (e.g. the model
    /// passed a malformed `thread_id`): the router must still answer it, with an error, so the voice model is not
    /// left waiting.
    HandoffRejected { voice_server: String, voice_thread: ThreadId, handoff_id: String, reason: String },
    /// A successful response from `server`.
    Response { server: String, id: RequestId, result: Value },
    /// An error response from `server`.
    ErrorResponse { server: String, id: RequestId, error: JsonRpcErrorObject },
    /// A notification from `server` (turn progress, agent output, errors).
    Notification { server: String, method: String, params: Value },
    /// Time passed; open handoffs without progress for too long time out.
    Tick,
    /// The user switched to another context (thread) on `server`: its cached handoff thread is forgotten.
    ContextSwitched { server: String },
    /// The host app started the voice session `voice_thread` on `voice_server` (`thread/realtime/start`) asking for
    /// this handoff mode. The router serves client-controlled sessions only and refuses the others.
    RealtimeStarted { voice_server: String, voice_thread: ThreadId, mode: StartedMode },
}

/// A message the router could not make sense of, with the JSON pointer of the offending member.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("message from server {server:?} at {pointer:?}: {reason}")]
pub struct InputError {
    pub server: String,
    pub pointer: String,
    pub reason: String,
}

impl Input {
    /// Classifies one request the host app sends to app-server `server`: a `thread/realtime/start` tells the router
    /// the session's handoff mode; `Ok(None)` for every other request (the router sends its own).
    pub fn from_client_request(server: &str, message: &Value) -> Result<Option<Input>, InputError> {
        let error = |pointer: &str, reason: String| InputError {
            server: server.to_owned(),
            pointer: pointer.to_owned(),
            reason,
        };
        if message.get("method").and_then(Value::as_str) != Some(methods::THREAD_REALTIME_START) {
            return Ok(None);
        }
        let params = message.get("params").unwrap_or(&Value::Null);
        let thread = params
            .get("threadId")
            .and_then(Value::as_str)
            .ok_or_else(|| error("/params/threadId", "thread/realtime/start names no voice thread".to_owned()))?;
        let voice_thread = ThreadId::new(thread).map_err(|e| error("/params/threadId", e.to_string()))?;
        let mode = HandoffMode::from_realtime_start(params);
        Ok(Some(Input::RealtimeStarted { voice_server: server.to_owned(), voice_thread, mode }))
    }

    /// Classifies one message an app-server sent to the client. `Ok(None)` for messages the router has no use for
    /// (requests the server sends to the client, realtime items that are not handoffs).
    pub fn from_server_message(server: &str, message: &Value) -> Result<Option<Input>, InputError> {
        let error = |pointer: &str, reason: String| InputError {
            server: server.to_owned(),
            pointer: pointer.to_owned(),
            reason,
        };
        let Some(object) = message.as_object() else {
            return Err(error("", "not a JSON object".to_owned()));
        };
        let method = object.get("method");
        let id = object.get("id");
        match (method, id) {
            // A request from the server to the client (dynamic tool calls, approvals): not the router's business.
            (Some(_), Some(_)) => Ok(None),
            (Some(method), None) => {
                let Some(method) = method.as_str() else {
                    return Err(error("/method", "method is not a string".to_owned()));
                };
                let params = object.get("params").cloned().unwrap_or(Value::Null);
                if method != methods::THREAD_REALTIME_ITEM_ADDED {
                    return Ok(Some(Input::Notification {
                        server: server.to_owned(),
                        method: method.to_owned(),
                        params,
                    }));
                }
                Ok(match ItemAdded::read(&params) {
                    ItemAdded::Handoff { voice_thread, item } => {
                        Some(Input::HandoffRequested { voice_server: server.to_owned(), voice_thread, item })
                    }
                    ItemAdded::Rejected { voice_thread, handoff_id, reason, .. } => Some(Input::HandoffRejected {
                        voice_server: server.to_owned(),
                        voice_thread,
                        handoff_id,
                        reason,
                    }),
                    ItemAdded::NotHandoff => None,
                    ItemAdded::Malformed(reason) => return Err(error("/params", reason)),
                })
            }
            (None, Some(_)) if object.contains_key("error") => {
                let response: JsonRpcError =
                    serde_json::from_value(message.clone()).map_err(|e| error("", e.to_string()))?;
                Ok(Some(Input::ErrorResponse { server: server.to_owned(), id: response.id, error: response.error }))
            }
            (None, Some(_)) => {
                let response: JsonRpcResponse =
                    serde_json::from_value(message.clone()).map_err(|e| error("", e.to_string()))?;
                Ok(Some(Input::Response { server: server.to_owned(), id: response.id, result: response.result }))
            }
            (None, None) => Err(error("", "neither a request, a response nor a notification".to_owned())),
        }
    }
}

/// A request the router sends to an app-server.
// The params types are as large as the app-server's option lists; each request is built once and moved to the
// caller, so boxing would only add an allocation and a `Box` in every match.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ClientRequest {
    ResumeThread(ThreadResumeParams),
    StartThread(ThreadStartParams),
    StartTurn(TurnStartParams),
    ResolveHandoff(ThreadRealtimeResolveHandoffParams),
    FinalizeHandoff(ThreadRealtimeFinalizeHandoffParams),
}

impl ClientRequest {
    /// The JSON-RPC method, from the generated method table's marker of the request's params type.
    pub fn method(&self) -> &'static str {
        match self {
            ClientRequest::ResumeThread(_) => methods::ThreadResume::METHOD,
            ClientRequest::StartThread(_) => methods::ThreadStart::METHOD,
            ClientRequest::StartTurn(_) => methods::TurnStart::METHOD,
            ClientRequest::ResolveHandoff(_) => methods::ThreadRealtimeResolveHandoff::METHOD,
            ClientRequest::FinalizeHandoff(_) => methods::ThreadRealtimeFinalizeHandoff::METHOD,
        }
    }

    /// The wire message `{id, method, params}` (the app-server protocol has no `jsonrpc` member).
    pub fn to_message(&self, id: &RequestId) -> Result<Value, serde_json::Error> {
        match self {
            ClientRequest::ResumeThread(params) => message::<methods::ThreadResume>(id, params),
            ClientRequest::StartThread(params) => message::<methods::ThreadStart>(id, params),
            ClientRequest::StartTurn(params) => message::<methods::TurnStart>(id, params),
            ClientRequest::ResolveHandoff(params) => message::<methods::ThreadRealtimeResolveHandoff>(id, params),
            ClientRequest::FinalizeHandoff(params) => message::<methods::ThreadRealtimeFinalizeHandoff>(id, params),
        }
    }
}

/// The request of method `M`: its params must be `M`'s params type, so a variant cannot drift from its method.
fn message<M: Request>(id: &RequestId, params: &M::Params) -> Result<Value, serde_json::Error> {
    let mut request = JsonRpcRequest::new(id.clone(), M::METHOD.to_owned());
    request.params = Some(serde_json::to_value(params)?);
    serde_json::to_value(request)
}

/// What the voice side shows while a handoff runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoicePhase {
    /// A handoff is open: the voice model waits for the agent.
    Delegating { handoff_id: String },
    /// No handoff open on the voice thread.
    Idle,
}

/// One thing for the caller to do.
#[allow(clippy::large_enum_variant)] // as for ClientRequest: built once, moved once
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send `request` with `id` to the server with id `server`.
    Send { server: String, id: RequestId, request: ClientRequest },
    /// Show `phase` for the voice thread.
    SetVoicePhase { voice_thread: ThreadId, phase: VoicePhase },
    /// Something went wrong that no handoff can carry back (a response to an unknown request, a malformed
    /// notification); log or surface it.
    ReportError { message: String },
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn classifies_server_messages() {
        let item = json!({"method": "thread/realtime/itemAdded", "params": {"threadId": "voice_1", "item": {
            "type": "handoff_request", "handoff_id": "h1", "item_id": "i1", "input_transcript": "fix it",
            "active_transcript": [], "server": "bigpc", "thread_id": "thr_123"}}});
        match Input::from_server_message("local", &item) {
            Ok(Some(Input::HandoffRequested { voice_server, voice_thread, item })) => {
                assert_eq!(voice_server, "local");
                assert_eq!(voice_thread.as_str(), "voice_1");
                assert_eq!(item.server.as_deref(), Some("bigpc"));
                assert_eq!(item.thread_id.as_ref().map(ThreadId::as_str), Some("thr_123"));
            }
            other => panic!("not a handoff: {other:?}"),
        }
        let response = Input::from_server_message("s", &json!({"id": 3, "result": {}})).unwrap();
        assert_eq!(
            response,
            Some(Input::Response { server: "s".into(), id: RequestId::Integer(3), result: json!({}) })
        );
        let error =
            Input::from_server_message("s", &json!({"id": 4, "error": {"code": -32600, "message": "no"}})).unwrap();
        assert!(matches!(error, Some(Input::ErrorResponse { id: RequestId::Integer(4), .. })));
        let request = Input::from_server_message("s", &json!({"id": 1, "method": "item/tool/call", "params": {}}));
        assert_eq!(request, Ok(None));
        let other_item = json!({"method": "thread/realtime/itemAdded",
            "params": {"threadId": "voice_1", "item": {"type": "message"}}});
        assert_eq!(Input::from_server_message("s", &other_item), Ok(None));
    }

    #[test]
    fn malformed_messages_are_located_errors() {
        let not_object = Input::from_server_message("s", &json!([1])).unwrap_err();
        assert_eq!(not_object.pointer, "");
        let bad_method = Input::from_server_message("s", &json!({"method": 5})).unwrap_err();
        assert_eq!(bad_method.pointer, "/method");
        let bad_thread =
            json!({"method": "thread/realtime/itemAdded", "params": {"threadId": "has space", "item": {}}});
        let error = Input::from_server_message("s", &bad_thread).unwrap_err();
        assert_eq!(error.pointer, "/params");
        assert!(error.to_string().contains("server \"s\""), "{error}");
    }

    #[test]
    fn a_handoff_with_a_malformed_thread_id_is_rejected_not_dropped() {
        let item = json!({"method": "thread/realtime/itemAdded", "params": {"threadId": "voice_1", "item": {
            "type": "handoff_request", "handoff_id": "h1", "item_id": "i1", "input_transcript": "x",
            "active_transcript": [], "thread_id": "../etc/passwd"}}});
        match Input::from_server_message("local", &item) {
            Ok(Some(Input::HandoffRejected { voice_thread, handoff_id, reason, .. })) => {
                assert_eq!((voice_thread.as_str(), handoff_id.as_str()), ("voice_1", "h1"));
                assert!(reason.contains("../etc/passwd"), "{reason}");
            }
            other => panic!("not rejected: {other:?}"),
        }
    }

    #[test]
    fn a_realtime_start_says_the_sessions_mode() {
        let start = json!({"id": 9, "method": "thread/realtime/start", "params": {"threadId": "voice_1",
            "outputModality": "audio", "clientControlledHandoff": true}});
        match Input::from_client_request("mac", &start) {
            Ok(Some(Input::RealtimeStarted { voice_server, voice_thread, mode })) => {
                assert_eq!((voice_server.as_str(), voice_thread.as_str()), ("mac", "voice_1"));
                assert_eq!(mode, StartedMode::Mode(HandoffMode::ClientControlled));
            }
            other => panic!("not a realtime start: {other:?}"),
        }
        let turn = json!({"id": 10, "method": "turn/start", "params": {"threadId": "voice_1", "input": []}});
        assert_eq!(Input::from_client_request("mac", &turn), Ok(None));
        let nameless = json!({"id": 11, "method": "thread/realtime/start", "params": {}});
        assert_eq!(Input::from_client_request("mac", &nameless).unwrap_err().pointer, "/params/threadId");
        let bad = json!({"id": 12, "method": "thread/realtime/start", "params": {"threadId": "has space"}});
        assert_eq!(Input::from_client_request("mac", &bad).unwrap_err().pointer, "/params/threadId");
    }

    #[test]
    fn requests_serialize_with_method_constants() {
        let thread = ThreadId::new("thr_123").unwrap();
        let request = ClientRequest::ResumeThread(ThreadResumeParams::new(thread));
        let message = request.to_message(&RequestId::Integer(7)).unwrap();
        assert_eq!(message, json!({"id": 7, "method": "thread/resume", "params": {"threadId": "thr_123"}}));
    }
}
