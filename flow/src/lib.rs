//! The handoff flow, in one crate that both the reference router and the traffic validator depend on (neither
//! depends on the other).
//!
//! - [`rules`]: the flow rules of design.md and their ids;
//! - [`state`]: the per-server thread cache and the per-handoff state machine ([`HandoffFlow`], [`HandoffPhase`]);
//!   the router asks it what to do next, the checker replays recorded traffic through the same transitions;
//! - [`item`]: reading a `thread/realtime/itemAdded` notification as a handoff;
//! - [`servers`]: which server a handoff's `server` value names (id, then display name, ASCII case ignored);
//! - [`check`]: the flow rules over a recorded capture: attributes each frame to a handoff and a step.

pub mod check;
pub mod item;
pub mod rules;
pub mod servers;
pub mod state;

pub use check::{FlowCheck, FlowDirection, FlowFinding, FlowFrame, FlowId, FlowMessage, reads_method};
pub use item::{HandoffRef, ItemAdded};
pub use rules::{FlowRule, FlowViolation};
pub use servers::{ServerInfo, ServerLookupError, describe_servers, resolve_server};
pub use state::{FlowStep, HandoffFlow, HandoffPhase, ThreadCache, ThreadPlan};
