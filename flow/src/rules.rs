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
    /// Missing, repeated or late resolve/finalize, or a handoff still open at the end.
    UnresolvedHandoff,
}

impl FlowRule {
    /// Every rule, in the order design.md lists them.
    pub const ALL: [FlowRule; 5] = [
        FlowRule::ResumeBeforeTurn,
        FlowRule::RepeatedResume,
        FlowRule::ScratchFallback,
        FlowRule::ResumeFailureFallback,
        FlowRule::UnresolvedHandoff,
    ];

    /// The rule id used in diagnostics.
    pub fn id(self) -> &'static str {
        match self {
            FlowRule::ResumeBeforeTurn => "flow/resume-before-turn",
            FlowRule::RepeatedResume => "flow/repeated-resume",
            FlowRule::ScratchFallback => "flow/scratch-fallback",
            FlowRule::ResumeFailureFallback => "flow/resume-failure-fallback",
            FlowRule::UnresolvedHandoff => "flow/unresolved-handoff",
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
