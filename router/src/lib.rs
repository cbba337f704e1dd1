//! Reference handoff router for the realtime "continue that session on bigpc" flow.
//!
//! The router is sans-IO: it consumes [`Input`]s (handoff items, app-server responses and notifications, clock
//! ticks, context switches) and returns [`Action`]s (requests to send, voice phases to set, errors to report). It
//! owns no sockets and reads no clock, so every behaviour is reproducible in tests.
//!
//! ```
//! use handoff_router::{Action, Input, Router, RouterConfig, ServerInfo};
//! use serde_json::json;
//!
//! let config = RouterConfig::new(vec![ServerInfo::new("mac", "laptop"), ServerInfo::new("srv-2", "bigpc")], "mac")
//!     .expect("the local server is listed");
//! let mut router = Router::new(config);
//! let item = json!({"method": "thread/realtime/itemAdded", "params": {"threadId": "voice_1", "item": {
//!     "type": "handoff_request", "handoff_id": "h1", "item_id": "i1", "active_transcript": [],
//!     "input_transcript": "continue that session on bigpc", "server": "bigpc", "thread_id": "thr_123"}}});
//! let input = Input::from_server_message("mac", &item).expect("well-formed").expect("a handoff");
//! let actions = router.handle(0, input);
//! let sent: Vec<_> = actions.iter().filter_map(|action| match action {
//!     Action::Send { server, request, .. } => Some((server.as_str(), request.method())),
//!     _ => None,
//! }).collect();
//! assert_eq!(sent, [("srv-2", handoff_router::contract::methods::THREAD_RESUME)]);
//! ```
//!
//! **Handoff mode.** The router implements the client-controlled mode of the patched app-server
//! (`clientControlledHandoff: true` on `thread/realtime/start`): the server emits the `handoff_request` item and
//! waits, the router runs the work and answers with `resolveHandoff`/`finalizeHandoff`. In the other modes
//! ([`flow::HandoffMode`]) the server runs the delegated turn itself on the voice thread, so routing would run the
//! prompt twice and there is nothing to resolve. Give the router the host app's `thread/realtime/start`
//! ([`Input::from_client_request`], or [`Input::RealtimeStarted`]): a session started in another mode is refused
//! with an [`Action::ReportError`], and so is each of its handoffs; nothing is sent for them. A voice thread the
//! router was told nothing about is served as client-controlled.
//!
//! [`flow`] (crate `handoff-flow`) holds the per-server thread cache, the per-handoff state machine, handoff item
//! reading and server name resolution. The router drives its decisions through it, and the validator's flow rules
//! apply the same transitions to recorded traffic, so the rules and the reference behaviour cannot drift apart.

pub use codex_handoff_contract as contract;

mod action;
mod config;
mod router;

/// The flow state machine, shared with the validator (crate `handoff-flow`).
pub use handoff_flow as flow;

pub use action::{Action, ClientRequest, Input, InputError, VoicePhase};
pub use config::{RouterConfig, ServerInfo};
pub use router::{NO_RESPONSE_TEXT, REQUEST_ID_PREFIX, Router, STREAM_TIMEOUT_MS};
