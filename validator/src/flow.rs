//! Flow rules over recorded app-server traffic (design.md, "Flow rules").
//!
//! This is the agreed interface the validator calls; the rule logic is filled in on top of the
//! shared state machine of the `handoff-router` crate.

/// Which way a recorded app-server frame travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowDirection {
    /// Client (the voice side) to app-server ("out" in a capture).
    ClientToServer,
    /// App-server to client ("in" in a capture).
    ServerToClient,
}

/// One app-server frame of a capture, as handed over by the validator.
#[derive(Debug, Clone, Copy)]
pub struct FlowFrame<'a> {
    pub server_id: &'a str,
    pub direction: FlowDirection,
    pub message: &'a serde_json::Value,
    /// Opaque position chosen by the validator; findings about this frame carry it back.
    pub position: u64,
}

/// A violation of one flow rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowFinding {
    pub rule: &'static str,
    pub message: String,
    pub pointer: String,
    pub method: Option<String>,
    pub position: u64,
}

/// Incremental checker of the flow rules over one capture.
#[derive(Debug, Default)]
pub struct FlowCheck {
    frames_seen: u64,
}

impl FlowCheck {
    pub fn new() -> FlowCheck {
        FlowCheck::default()
    }

    /// Every app-server frame of one capture (not realtime API events), in capture order.
    pub fn observe(&mut self, frame: &FlowFrame<'_>, findings: &mut Vec<FlowFinding>) {
        let _ = (frame, findings);
        self.frames_seen += 1;
    }

    /// End of capture: handoffs still open etc. Returns summary notes.
    pub fn finish(self, findings: &mut Vec<FlowFinding>) -> Vec<String> {
        let _ = findings;
        Vec::new()
    }
}
