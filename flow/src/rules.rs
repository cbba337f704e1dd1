//! The flow rules of design.md ("Flow rules"), by id.

use std::fmt;

/// A flow rule of design.md; [`FlowRule::id`] is the rule id diagnostics carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowRule {
    /// A turn went to a thread before that thread was resumed (or created) for the handoff.
    ResumeBeforeTurn,
    /// The server's cached handoff thread was resumed again.
    RepeatedResume,
    /// A handoff's turn went to a thread other than its cached or named thread, or a new thread was started for it.
    ScratchFallback,
    /// After a failed resume a thread was started or a turn sent for the same handoff.
    ResumeFailureFallback,
    /// Missing, repeated or late resolve/finalize, or a handoff still open at the end (client-controlled mode); a
    /// result the client never relayed (client-managed mode).
    UnresolvedHandoff,
    /// A handoff whose target server the capture cannot name (unknown or ambiguous `server` value): its thread
    /// requests could not be checked. A warning: the traffic may be right, the check did not happen.
    UnattributedHandoff,
    /// The client started its own turn for a handoff whose server runs the delegated turn itself (server-managed or
    /// client-managed mode): the work runs twice.
    DuplicateHandoffTurn,
    /// A request of another handoff mode than the session's: `resolveHandoff`/`finalizeHandoff` on a voice thread
    /// whose server runs its handoffs itself (the stock server does not even have them).
    HandoffModeMismatch,
}

/// How much a finding weighs: errors fail a validation, warnings do not change the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowSeverity {
    Error,
    Warning,
}

impl FlowRule {
    /// Every rule, in the order design.md lists them.
    pub const ALL: [FlowRule; 8] = [
        FlowRule::ResumeBeforeTurn,
        FlowRule::RepeatedResume,
        FlowRule::ScratchFallback,
        FlowRule::ResumeFailureFallback,
        FlowRule::UnresolvedHandoff,
        FlowRule::UnattributedHandoff,
        FlowRule::DuplicateHandoffTurn,
        FlowRule::HandoffModeMismatch,
    ];

    /// The rule id used in diagnostics.
    pub fn id(self) -> &'static str {
        match self {
            FlowRule::ResumeBeforeTurn => "flow/resume-before-turn",
            FlowRule::RepeatedResume => "flow/repeated-resume",
            FlowRule::ScratchFallback => "flow/scratch-fallback",
            FlowRule::ResumeFailureFallback => "flow/resume-failure-fallback",
            FlowRule::UnresolvedHandoff => "flow/unresolved-handoff",
            FlowRule::UnattributedHandoff => "flow/unattributed-handoff",
            FlowRule::DuplicateHandoffTurn => "flow/duplicate-handoff-turn",
            FlowRule::HandoffModeMismatch => "flow/handoff-mode-mismatch",
        }
    }

    /// What the rule checks, one sentence (the README's rule table says the same).
    pub fn description(self) -> &'static str {
        match self {
            FlowRule::ResumeBeforeTurn => {
                "a handoff's turn/start goes to its thread only after that thread was resumed (its answer recorded) or \
                 started for the handoff"
            }
            FlowRule::RepeatedResume => "the server's cached handoff thread is reused, never resumed a second time",
            FlowRule::ScratchFallback => {
                "a handoff's turn goes to its named or cached thread; no thread/start and no other thread for it"
            }
            FlowRule::ResumeFailureFallback => {
                "after a failed thread/resume the handoff only resolves with an error and finalizes: no new thread, no \
                 turn anywhere"
            }
            FlowRule::UnresolvedHandoff => {
                "client-controlled: at least one resolveHandoff, then exactly one finalizeHandoff, nothing after it, \
                 none left open; client-managed: the client relays the result of the server's turn (appendText or \
                 appendSpeech)"
            }
            FlowRule::UnattributedHandoff => {
                "warning: the handoff's `server` names no known server (or several), so its requests were not checked"
            }
            FlowRule::DuplicateHandoffTurn => {
                "server-managed and client-managed: the server runs the delegated turn on the voice thread, so the \
                 client sends no turn/start of its own for the handoff"
            }
            FlowRule::HandoffModeMismatch => {
                "server-managed and client-managed: no resolveHandoff/finalizeHandoff (only the patched server in \
                 client-controlled mode has them)"
            }
        }
    }

    /// Errors, but for the one rule that says a check could not happen.
    pub fn severity(self) -> FlowSeverity {
        match self {
            FlowRule::UnattributedHandoff => FlowSeverity::Warning,
            _ => FlowSeverity::Error,
        }
    }
}

impl fmt::Display for FlowRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A step that broke a flow rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowViolation {
    pub rule: FlowRule,
    pub message: String,
}

impl FlowViolation {
    pub(crate) fn new(rule: FlowRule, message: impl Into<String>) -> FlowViolation {
        FlowViolation { rule, message: message.into() }
    }
}

impl fmt::Display for FlowViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.message)
    }
}
