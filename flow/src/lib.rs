//! The handoff flow, in one crate that both the reference router and the traffic validator depend on (neither
//! depends on the other).
//!
//! - [`mode`]: who finishes a realtime session's handoffs ([`HandoffMode`]), read from `thread/realtime/start`;
//! - [`rules`]: the flow rules of design.md and their ids;
//! - [`state`]: the per-server thread cache and the per-handoff state machine ([`HandoffFlow`], [`HandoffPhase`]),
//!   whose rules depend on the handoff's mode; the router asks it what to do next, the checker replays recorded
//!   traffic through the same transitions;
//! - [`item`]: reading a `thread/realtime/itemAdded` notification as a handoff;
//! - [`servers`]: which server a handoff's `server` value names (id, then display name, ASCII case ignored);
//! - [`check`]: the flow rules over a recorded capture: attributes each frame to a handoff and a step.

pub mod check;
pub mod item;
mod json;
pub mod mode;
pub mod rules;
pub mod servers;
pub mod state;

pub use check::{
    FlowCheck, FlowDirection, FlowFinding, FlowFrame, FlowId, FlowMessage, FlowTrace, ReadMessage, TracedHandoff,
    reads_method, reads_params,
};
pub use item::{HandoffRef, ItemAdded};
pub use mode::{HandoffMode, StartedMode};
pub use rules::{FlowRule, FlowSeverity, FlowViolation};
pub use servers::{ServerInfo, ServerLookupError, describe_servers, resolve_server};
pub use state::{FlowStep, HandoffFlow, HandoffPhase, ThreadCache, ThreadPlan};
