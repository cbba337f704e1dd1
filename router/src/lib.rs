//! Reference handoff router for the realtime "continue that session on bigpc" flow.
//!
//! The router is sans-IO: it consumes [`Input`]s (handoff items, app-server responses and notifications, clock
//! ticks, context switches) and returns [`Action`]s (requests to send, voice phases to set, errors to report). It
//! owns no sockets and reads no clock, so every behaviour is reproducible in tests.
//!
//! [`flow`] holds the per-server thread cache and the per-handoff state machine. The router drives its decisions
//! through it, and the validator's flow rules apply the same transitions to recorded traffic, so the rules and the
//! reference behaviour cannot drift apart.

pub use codex_handoff_contract as contract;

mod action;
mod config;
pub mod flow;
mod router;

pub use action::{Action, ClientRequest, Input, InputError, VoicePhase};
pub use config::{RouterConfig, ServerInfo};
pub use router::{Router, STREAM_TIMEOUT_MS};
