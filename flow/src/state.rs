//! The handoff flow as a state machine: one [`ThreadCache`] per app-server and one [`HandoffFlow`] per handoff.
//!
//! Both the router and the flow checker ([`crate::check`]) feed [`FlowStep`]s into these types. The router asks
//! them what to do next ([`HandoffFlow::plan`]) and records each request it sends; the checker replays recorded
//! traffic through the same transitions and turns every [`FlowViolation`] into a finding.

use codex_handoff_contract::ThreadId;

use crate::mode::HandoffMode;
use crate::rules::{FlowRule, FlowViolation};

/// One app-server's cached handoff thread: at most one at a time (sticky until another thread is named or the
/// user switches context).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadCache {
    cached: Option<ThreadId>,
}

impl ThreadCache {
    pub fn new() -> ThreadCache {
        ThreadCache::default()
    }

    /// The server's current handoff thread, if any.
    pub fn cached(&self) -> Option<&ThreadId> {
        self.cached.as_ref()
    }

    /// How a handoff that names `requested` (or none) reaches its thread, given this cache.
    pub fn plan(&self, requested: Option<&ThreadId>) -> ThreadPlan {
        match (requested, &self.cached) {
            // Sticky: naming the cached thread again changes nothing and must not resume it twice.
            (Some(named), Some(cached)) if named == cached => ThreadPlan::Reuse(cached.clone()),
            (Some(named), _) => ThreadPlan::Resume(named.clone()),
            (None, Some(cached)) => ThreadPlan::Reuse(cached.clone()),
            (None, None) => ThreadPlan::StartNew,
        }
    }

    /// The user switched to another context on this server: the next handoff without a thread id starts afresh.
    pub fn context_switched(&mut self) {
        self.cached = None;
    }

    pub(crate) fn set(&mut self, thread: ThreadId) {
        self.cached = Some(thread);
    }
}

/// How a handoff reaches the thread its turn runs in. Fixed when the handoff becomes active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThreadPlan {
    /// `thread/resume` the named thread, then send the turn to it; it becomes the server's cached thread.
    Resume(ThreadId),
    /// Send the turn to the server's cached thread without resuming it again.
    Reuse(ThreadId),
    /// No thread named and none cached: `thread/start` one, which becomes the cache.
    StartNew,
}

impl ThreadPlan {
    /// The thread the turn must go to, when it is known before any response.
    pub fn thread(&self) -> Option<&ThreadId> {
        match self {
            ThreadPlan::Resume(thread) | ThreadPlan::Reuse(thread) => Some(thread),
            ThreadPlan::StartNew => None,
        }
    }
}

/// Something that happened to one handoff: a request sent for it, or the answer to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowStep<'a> {
    /// `thread/resume` of the thread sent.
    ResumeSent(&'a ThreadId),
    /// That resume answered with a result: the thread is subscribed and hydrated.
    ResumeSucceeded(&'a ThreadId),
    /// That resume answered with an error.
    ResumeFailed(&'a ThreadId),
    /// `thread/start` sent.
    StartSent,
    /// `thread/start` answered with the new thread.
    StartSucceeded(&'a ThreadId),
    /// `turn/start` into the thread sent.
    TurnSent(&'a ThreadId),
    /// `thread/realtime/resolveHandoff` sent.
    Resolved,
    /// `thread/realtime/finalizeHandoff` sent.
    Finalized,
    /// The server started a turn of its own on the handoff's voice thread (no client `turn/start` asked for it).
    ServerTurnStarted,
    /// That turn completed.
    ServerTurnCompleted,
    /// `thread/realtime/appendText` or `appendSpeech` sent on the handoff's voice thread.
    Relayed,
}

/// Where a handoff is: what it waits for next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandoffPhase {
    /// Active, nothing sent yet.
    Planned,
    /// Waiting for the resume of this thread.
    Resuming(ThreadId),
    /// Waiting for `thread/start`.
    Starting,
    /// The thread is ready (resumed, reused or started); no turn sent yet.
    Ready(ThreadId),
    /// The turn was sent; output streams back.
    TurnSent(ThreadId),
    /// The resume failed; only the error resolution and the finalize may follow.
    Failed,
    /// Finalized; nothing may follow.
    Finalized,
    /// Server-managed or client-managed: waiting for the server's own turn on the voice thread.
    AwaitingServerTurn,
    /// The server's turn runs.
    ServerTurn,
    /// The server's turn completed (client-managed: the client relays the result).
    ServerTurnDone,
}

/// One handoff's progress through the flow. Every [`HandoffFlow::apply`] advances the state even when it reports a
/// violation, so a checker keeps going after the first problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffFlow {
    mode: HandoffMode,
    plan: ThreadPlan,
    phase: HandoffPhase,
    /// The thread the turn must go to, once known (the plan's thread, or the one `thread/start` created).
    target: Option<ThreadId>,
    /// The `thread/start` of this handoff was allowed; only then may its result become the cache.
    start_allowed: bool,
    resume_failed: bool,
    resolves: u32,
    turns: u32,
    /// appendText/appendSpeech on the voice thread since the item (client-managed mode).
    relays: u32,
}

impl HandoffFlow {
    /// A handoff that names `requested` (or no thread) becoming active on a server with this cache.
    pub fn begin(cache: &ThreadCache, requested: Option<&ThreadId>) -> HandoffFlow {
        let plan = cache.plan(requested);
        let phase = match &plan {
            ThreadPlan::Reuse(thread) => HandoffPhase::Ready(thread.clone()),
            ThreadPlan::Resume(_) | ThreadPlan::StartNew => HandoffPhase::Planned,
        };
        HandoffFlow {
            mode: HandoffMode::ClientControlled,
            target: plan.thread().cloned(),
            plan,
            phase,
            start_allowed: false,
            resume_failed: false,
            resolves: 0,
            turns: 0,
            relays: 0,
        }
    }

    /// A handoff of a session whose server runs the delegated turn itself (`mode` server-managed or
    /// client-managed). Panics on client-controlled, which [`HandoffFlow::begin`] plans instead.
    pub fn server_run(mode: HandoffMode) -> HandoffFlow {
        assert!(mode.server_runs_turn(), "{mode} handoffs are planned with HandoffFlow::begin");
        HandoffFlow { mode, phase: HandoffPhase::AwaitingServerTurn, ..HandoffFlow::failed() }
    }

    /// A handoff that fails before reaching any server (e.g. an unknown server): it may only resolve and finalize.
    pub fn failed() -> HandoffFlow {
        HandoffFlow {
            mode: HandoffMode::ClientControlled,
            plan: ThreadPlan::StartNew,
            phase: HandoffPhase::Failed,
            target: None,
            start_allowed: false,
            resume_failed: false,
            resolves: 0,
            turns: 0,
            relays: 0,
        }
    }

    /// Who finishes this handoff.
    pub fn mode(&self) -> HandoffMode {
        self.mode
    }

    pub fn plan(&self) -> &ThreadPlan {
        &self.plan
    }

    pub fn phase(&self) -> &HandoffPhase {
        &self.phase
    }

    /// The thread the handoff's turn goes to, once known.
    pub fn target(&self) -> Option<&ThreadId> {
        self.target.as_ref()
    }

    pub fn is_finalized(&self) -> bool {
        self.phase == HandoffPhase::Finalized
    }

    /// Number of resolveHandoff requests so far.
    pub fn resolves(&self) -> u32 {
        self.resolves
    }

    /// Records `step`, updating the server's `cache` the way the reference router does, and says which rule the
    /// step broke, if any.
    pub fn apply(&mut self, step: FlowStep<'_>, cache: &mut ThreadCache) -> Result<(), FlowViolation> {
        if self.mode.server_runs_turn() {
            return self.apply_server_run(step);
        }
        match step {
            // The patched server runs no turn of its own in this mode, and a relay changes nothing here.
            FlowStep::ServerTurnStarted | FlowStep::ServerTurnCompleted | FlowStep::Relayed => Ok(()),
            FlowStep::ResumeSent(thread) => self.resume_sent(thread, cache),
            FlowStep::ResumeSucceeded(thread) => {
                // A successful resume of the named thread makes it the server's handoff thread. One that answers
                // after the handoff ended (timed out) changes nothing: no turn will use it, and a router that has
                // dropped the handoff cannot tell whose resume it was.
                if self.plans_resume_of(thread) && !self.is_finalized() {
                    cache.set(thread.clone());
                    if matches!(&self.phase, HandoffPhase::Resuming(resuming) if resuming == thread) {
                        self.phase = HandoffPhase::Ready(thread.clone());
                    }
                }
                Ok(())
            }
            FlowStep::ResumeFailed(thread) => {
                // Fail closed: the cache stays as it was, and the handoff may only resolve with an error and finalize.
                if self.plans_resume_of(thread) {
                    self.resume_failed = true;
                    if !self.is_finalized() {
                        self.phase = HandoffPhase::Failed;
                    }
                }
                Ok(())
            }
            FlowStep::StartSent => self.start_sent(),
            FlowStep::StartSucceeded(thread) => {
                if self.start_allowed && self.target.is_none() && !self.is_finalized() {
                    cache.set(thread.clone());
                    self.target = Some(thread.clone());
                    if self.phase == HandoffPhase::Starting {
                        self.phase = HandoffPhase::Ready(thread.clone());
                    }
                }
                Ok(())
            }
            FlowStep::TurnSent(thread) => self.turn_sent(thread),
            FlowStep::Resolved => {
                self.resolves += 1;
                if self.is_finalized() {
                    return Err(FlowViolation::new(
                        FlowRule::UnresolvedHandoff,
                        "resolveHandoff after the handoff was finalized",
                    ));
                }
                Ok(())
            }
            FlowStep::Finalized => {
                if self.is_finalized() {
                    return Err(FlowViolation::new(
                        FlowRule::UnresolvedHandoff,
                        "second finalizeHandoff for one handoff",
                    ));
                }
                self.phase = HandoffPhase::Finalized;
                if self.resolves == 0 {
                    return Err(FlowViolation::new(
                        FlowRule::UnresolvedHandoff,
                        "finalizeHandoff without any resolveHandoff before it",
                    ));
                }
                Ok(())
            }
        }
    }

    /// The rules of the modes whose server runs the turn: the client's thread requests are its own business, but a
    /// turn of its own for the handoff runs the work twice, and resolve/finalize belong to another mode.
    fn apply_server_run(&mut self, step: FlowStep<'_>) -> Result<(), FlowViolation> {
        let mode = self.mode;
        match step {
            FlowStep::ResumeSent(_)
            | FlowStep::ResumeSucceeded(_)
            | FlowStep::ResumeFailed(_)
            | FlowStep::StartSent
            | FlowStep::StartSucceeded(_) => Ok(()),
            FlowStep::TurnSent(thread) => {
                self.turns += 1;
                Err(FlowViolation::new(
                    FlowRule::DuplicateHandoffTurn,
                    format!(
                        "turn/start into {thread} for a handoff the server runs itself on the voice thread ({mode} \
                         mode): the delegated work runs twice"
                    ),
                ))
            }
            FlowStep::Resolved | FlowStep::Finalized => {
                if step == FlowStep::Resolved {
                    self.resolves += 1;
                }
                let what = if step == FlowStep::Resolved { "resolveHandoff" } else { "finalizeHandoff" };
                let answer = if mode == HandoffMode::ClientManaged {
                    "the client relays the server's result with appendText/appendSpeech"
                } else {
                    "the server answers the voice model itself"
                };
                Err(FlowViolation::new(
                    FlowRule::HandoffModeMismatch,
                    format!(
                        "{what} in a {mode} session, where {answer}; only a client-controlled session \
                         (clientControlledHandoff on thread/realtime/start, patched server) has resolve/finalize"
                    ),
                ))
            }
            FlowStep::ServerTurnStarted => {
                if self.phase == HandoffPhase::AwaitingServerTurn {
                    self.phase = HandoffPhase::ServerTurn;
                }
                Ok(())
            }
            FlowStep::ServerTurnCompleted => {
                if self.phase == HandoffPhase::ServerTurn {
                    self.phase = HandoffPhase::ServerTurnDone;
                }
                Ok(())
            }
            FlowStep::Relayed => {
                self.relays += 1;
                Ok(())
            }
        }
    }

    /// End of the traffic (or, for a handoff the server runs, the next handoff of its voice thread). Client-controlled:
    /// a handoff that never finalized is a violation. Client-managed: a result the client never relayed once the
    /// server's turn completed. Server-managed: nothing is expected of the client.
    pub fn finish(&self) -> Result<(), FlowViolation> {
        match self.mode {
            HandoffMode::ClientControlled => {}
            HandoffMode::ServerManaged => return Ok(()),
            HandoffMode::ClientManaged => {
                return if self.phase == HandoffPhase::ServerTurnDone && self.relays == 0 {
                    Err(FlowViolation::new(
                        FlowRule::UnresolvedHandoff,
                        "the server's turn for the handoff completed, but the client never relayed its result \
                         (thread/realtime/appendText or appendSpeech on the voice thread; client-managed mode): the \
                         voice model was not answered",
                    ))
                } else {
                    Ok(())
                };
            }
        }
        if self.is_finalized() {
            Ok(())
        } else if self.resolves == 0 {
            Err(FlowViolation::new(FlowRule::UnresolvedHandoff, "handoff never resolved nor finalized"))
        } else {
            Err(FlowViolation::new(FlowRule::UnresolvedHandoff, "handoff resolved but never finalized"))
        }
    }

    fn resume_sent(&mut self, thread: &ThreadId, cache: &ThreadCache) -> Result<(), FlowViolation> {
        if self.is_finalized() {
            return Err(FlowViolation::new(
                FlowRule::UnresolvedHandoff,
                format!("thread/resume of {thread} after the handoff was finalized"),
            ));
        }
        if cache.cached() == Some(thread) {
            return Err(FlowViolation::new(
                FlowRule::RepeatedResume,
                format!("thread/resume of {thread}, which is already the server's handoff thread; reuse it instead"),
            ));
        }
        if self.plans_resume_of(thread) && self.phase == HandoffPhase::Planned {
            self.phase = HandoffPhase::Resuming(thread.clone());
        }
        Ok(())
    }

    fn start_sent(&mut self) -> Result<(), FlowViolation> {
        if self.is_finalized() {
            return Err(FlowViolation::new(
                FlowRule::UnresolvedHandoff,
                "thread/start after the handoff was finalized",
            ));
        }
        if self.resume_failed {
            return Err(FlowViolation::new(
                FlowRule::ResumeFailureFallback,
                format!("thread/start after the resume of {} failed; the handoff must fail closed", self.named()),
            ));
        }
        match &self.plan {
            ThreadPlan::StartNew if !self.start_allowed => {
                self.start_allowed = true;
                if self.phase == HandoffPhase::Planned {
                    self.phase = HandoffPhase::Starting;
                }
                Ok(())
            }
            ThreadPlan::StartNew => Err(FlowViolation::new(
                FlowRule::ScratchFallback,
                "second thread/start for one handoff; its first thread is the handoff thread",
            )),
            ThreadPlan::Reuse(cached) => Err(FlowViolation::new(
                FlowRule::ScratchFallback,
                format!("thread/start although the server's handoff thread {cached} is cached"),
            )),
            ThreadPlan::Resume(named) => Err(FlowViolation::new(
                FlowRule::ScratchFallback,
                format!("thread/start although the handoff names thread {named}"),
            )),
        }
    }

    fn turn_sent(&mut self, thread: &ThreadId) -> Result<(), FlowViolation> {
        if self.is_finalized() {
            return Err(FlowViolation::new(
                FlowRule::UnresolvedHandoff,
                format!("turn/start into {thread} after the handoff was finalized"),
            ));
        }
        self.turns += 1;
        if self.resume_failed {
            return Err(FlowViolation::new(
                FlowRule::ResumeFailureFallback,
                format!(
                    "turn/start into {thread} after the resume of {} failed; the handoff must fail closed",
                    self.named()
                ),
            ));
        }
        let ready = match &self.phase {
            HandoffPhase::Ready(ready) | HandoffPhase::TurnSent(ready) => Some(ready),
            _ => None,
        };
        match (&self.target, ready) {
            (Some(target), _) if target != thread => Err(FlowViolation::new(
                FlowRule::ScratchFallback,
                format!("turn/start into {thread}, but the handoff's thread is {target}"),
            )),
            (_, Some(ready)) if ready == thread => {
                self.phase = HandoffPhase::TurnSent(thread.clone());
                Ok(())
            }
            (Some(target), _) => Err(FlowViolation::new(
                FlowRule::ResumeBeforeTurn,
                format!("turn/start into {target} before its thread/resume succeeded"),
            )),
            (None, _) => Err(FlowViolation::new(
                FlowRule::ResumeBeforeTurn,
                format!("turn/start into {thread} before any thread was resumed or started for the handoff"),
            )),
        }
    }

    /// Whether the plan is to resume `thread` (compared in place, without a copy of it).
    fn plans_resume_of(&self, thread: &ThreadId) -> bool {
        matches!(&self.plan, ThreadPlan::Resume(planned) if planned == thread)
    }

    fn named(&self) -> String {
        match &self.plan {
            ThreadPlan::Resume(thread) | ThreadPlan::Reuse(thread) => thread.to_string(),
            ThreadPlan::StartNew => "the thread".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tid(value: &str) -> ThreadId {
        ThreadId::new(value).expect("test ids are valid")
    }

    #[test]
    fn plan_follows_the_cache() {
        let mut cache = ThreadCache::new();
        assert_eq!(cache.plan(None), ThreadPlan::StartNew);
        assert_eq!(cache.plan(Some(&tid("thr_1"))), ThreadPlan::Resume(tid("thr_1")));
        cache.set(tid("thr_1"));
        assert_eq!(cache.plan(None), ThreadPlan::Reuse(tid("thr_1")));
        assert_eq!(cache.plan(Some(&tid("thr_1"))), ThreadPlan::Reuse(tid("thr_1")), "sticky: no second resume");
        assert_eq!(cache.plan(Some(&tid("thr_2"))), ThreadPlan::Resume(tid("thr_2")));
        cache.context_switched();
        assert_eq!(cache.plan(Some(&tid("thr_1"))), ThreadPlan::Resume(tid("thr_1")));
    }

    #[test]
    fn resume_then_turn_is_clean_and_caches_the_thread() {
        let mut cache = ThreadCache::new();
        let t = tid("thr_123");
        let mut flow = HandoffFlow::begin(&cache, Some(&t));
        for step in [FlowStep::ResumeSent(&t), FlowStep::ResumeSucceeded(&t), FlowStep::TurnSent(&t)] {
            flow.apply(step, &mut cache).expect("clean step");
        }
        assert_eq!(cache.cached(), Some(&t));
        assert_eq!(flow.phase(), &HandoffPhase::TurnSent(t.clone()));
        flow.apply(FlowStep::Resolved, &mut cache).unwrap();
        flow.apply(FlowStep::Finalized, &mut cache).unwrap();
        assert!(flow.finish().is_ok());
    }

    #[test]
    fn turn_before_resume_response_breaks_resume_before_turn() {
        let mut cache = ThreadCache::new();
        let t = tid("thr_123");
        let mut flow = HandoffFlow::begin(&cache, Some(&t));
        flow.apply(FlowStep::ResumeSent(&t), &mut cache).unwrap();
        let violation = flow.apply(FlowStep::TurnSent(&t), &mut cache).unwrap_err();
        assert_eq!(violation.rule, FlowRule::ResumeBeforeTurn);
        let mut flow = HandoffFlow::begin(&cache, None);
        let violation = flow.apply(FlowStep::TurnSent(&t), &mut cache).unwrap_err();
        assert_eq!(violation.rule, FlowRule::ResumeBeforeTurn, "no thread started yet");
    }

    #[test]
    fn resuming_the_cached_thread_again_is_repeated_resume() {
        let mut cache = ThreadCache::new();
        let t = tid("thr_123");
        cache.set(t.clone());
        let mut flow = HandoffFlow::begin(&cache, Some(&t));
        assert_eq!(flow.plan(), &ThreadPlan::Reuse(t.clone()));
        let violation = flow.apply(FlowStep::ResumeSent(&t), &mut cache).unwrap_err();
        assert_eq!(violation.rule, FlowRule::RepeatedResume);
        flow.apply(FlowStep::TurnSent(&t), &mut cache).expect("the reused thread is ready");
    }

    #[test]
    fn start_or_other_turn_with_a_cached_thread_is_scratch_fallback() {
        let mut cache = ThreadCache::new();
        let cached = tid("thr_cached");
        let scratch = tid("thr_scratch");
        cache.set(cached.clone());
        let mut flow = HandoffFlow::begin(&cache, None);
        assert_eq!(flow.apply(FlowStep::StartSent, &mut cache).unwrap_err().rule, FlowRule::ScratchFallback);
        flow.apply(FlowStep::StartSucceeded(&scratch), &mut cache).unwrap();
        assert_eq!(cache.cached(), Some(&cached), "a disallowed start never replaces the cache");
        assert_eq!(flow.apply(FlowStep::TurnSent(&scratch), &mut cache).unwrap_err().rule, FlowRule::ScratchFallback);
    }

    #[test]
    fn start_new_then_turn_caches_the_new_thread() {
        let mut cache = ThreadCache::new();
        let fresh = tid("thr_new");
        let mut flow = HandoffFlow::begin(&cache, None);
        flow.apply(FlowStep::StartSent, &mut cache).unwrap();
        flow.apply(FlowStep::StartSucceeded(&fresh), &mut cache).unwrap();
        flow.apply(FlowStep::TurnSent(&fresh), &mut cache).unwrap();
        assert_eq!(cache.cached(), Some(&fresh));
        assert_eq!(flow.apply(FlowStep::StartSent, &mut cache).unwrap_err().rule, FlowRule::ScratchFallback);
    }

    #[test]
    fn anything_but_resolution_after_a_failed_resume_is_resume_failure_fallback() {
        let mut cache = ThreadCache::new();
        let old = tid("thr_old");
        let missing = tid("thr_missing");
        cache.set(old.clone());
        let mut flow = HandoffFlow::begin(&cache, Some(&missing));
        flow.apply(FlowStep::ResumeSent(&missing), &mut cache).unwrap();
        flow.apply(FlowStep::ResumeFailed(&missing), &mut cache).unwrap();
        assert_eq!(flow.phase(), &HandoffPhase::Failed);
        assert_eq!(cache.cached(), Some(&old), "the cache stays as it was");
        assert_eq!(flow.apply(FlowStep::StartSent, &mut cache).unwrap_err().rule, FlowRule::ResumeFailureFallback);
        assert_eq!(flow.apply(FlowStep::TurnSent(&old), &mut cache).unwrap_err().rule, FlowRule::ResumeFailureFallback);
        assert_eq!(
            flow.apply(FlowStep::TurnSent(&missing), &mut cache).unwrap_err().rule,
            FlowRule::ResumeFailureFallback
        );
        flow.apply(FlowStep::Resolved, &mut cache).unwrap();
        flow.apply(FlowStep::Finalized, &mut cache).unwrap();
    }

    #[test]
    fn resolve_and_finalize_rules() {
        let mut cache = ThreadCache::new();
        let mut flow = HandoffFlow::failed();
        assert_eq!(flow.finish().unwrap_err().rule, FlowRule::UnresolvedHandoff);
        assert_eq!(flow.apply(FlowStep::Finalized, &mut cache).unwrap_err().rule, FlowRule::UnresolvedHandoff);
        assert_eq!(flow.apply(FlowStep::Finalized, &mut cache).unwrap_err().rule, FlowRule::UnresolvedHandoff);
        assert_eq!(flow.apply(FlowStep::Resolved, &mut cache).unwrap_err().rule, FlowRule::UnresolvedHandoff);
        let t = tid("thr_1");
        assert_eq!(flow.apply(FlowStep::TurnSent(&t), &mut cache).unwrap_err().rule, FlowRule::UnresolvedHandoff);

        let mut open = HandoffFlow::failed();
        open.apply(FlowStep::Resolved, &mut cache).unwrap();
        assert!(open.finish().unwrap_err().message.contains("never finalized"));
    }

    #[test]
    fn rule_ids_match_design() {
        let ids: Vec<_> = FlowRule::ALL.iter().map(|rule| rule.id()).collect();
        assert_eq!(
            ids,
            [
                "flow/resume-before-turn",
                "flow/repeated-resume",
                "flow/scratch-fallback",
                "flow/resume-failure-fallback",
                "flow/unresolved-handoff",
                "flow/unattributed-handoff",
                "flow/duplicate-handoff-turn",
                "flow/handoff-mode-mismatch"
            ]
        );
    }

    #[test]
    fn server_managed_handoffs_expect_nothing_of_the_client_but_no_turn() {
        let mut cache = ThreadCache::new();
        let t = tid("thr_mine");
        let mut flow = HandoffFlow::server_run(HandoffMode::ServerManaged);
        assert_eq!(flow.phase(), &HandoffPhase::AwaitingServerTurn);
        assert!(flow.finish().is_ok(), "nothing is owed before the server's turn");
        flow.apply(FlowStep::ServerTurnStarted, &mut cache).unwrap();
        flow.apply(FlowStep::ResumeSent(&t), &mut cache).expect("the client may open threads");
        flow.apply(FlowStep::ResumeSucceeded(&t), &mut cache).unwrap();
        assert_eq!(cache.cached(), None, "the router's cache is not the server's business here");
        assert_eq!(flow.apply(FlowStep::TurnSent(&t), &mut cache).unwrap_err().rule, FlowRule::DuplicateHandoffTurn);
        assert_eq!(flow.apply(FlowStep::Resolved, &mut cache).unwrap_err().rule, FlowRule::HandoffModeMismatch);
        assert_eq!(flow.apply(FlowStep::Finalized, &mut cache).unwrap_err().rule, FlowRule::HandoffModeMismatch);
        flow.apply(FlowStep::ServerTurnCompleted, &mut cache).unwrap();
        assert_eq!(flow.phase(), &HandoffPhase::ServerTurnDone);
        assert!(flow.finish().is_ok());
    }

    #[test]
    fn client_managed_handoffs_need_the_result_relayed_once_the_server_turn_completed() {
        let mut cache = ThreadCache::new();
        let mut flow = HandoffFlow::server_run(HandoffMode::ClientManaged);
        flow.apply(FlowStep::ServerTurnStarted, &mut cache).unwrap();
        assert!(flow.finish().is_ok(), "still running when the capture ends: nothing to relay yet");
        flow.apply(FlowStep::ServerTurnCompleted, &mut cache).unwrap();
        let violation = flow.finish().unwrap_err();
        assert_eq!(violation.rule, FlowRule::UnresolvedHandoff);
        assert!(violation.message.contains("appendText"), "{}", violation.message);
        flow.apply(FlowStep::Relayed, &mut cache).unwrap();
        assert!(flow.finish().is_ok());
        let t = tid("thr_1");
        assert_eq!(flow.apply(FlowStep::TurnSent(&t), &mut cache).unwrap_err().rule, FlowRule::DuplicateHandoffTurn);
    }

    #[test]
    fn client_controlled_handoffs_ignore_server_turns_and_relays() {
        let mut cache = ThreadCache::new();
        let mut flow = HandoffFlow::failed();
        assert_eq!(flow.mode(), HandoffMode::ClientControlled);
        for step in [FlowStep::ServerTurnStarted, FlowStep::Relayed, FlowStep::ServerTurnCompleted] {
            flow.apply(step, &mut cache).unwrap();
        }
        assert_eq!(flow.phase(), &HandoffPhase::Failed);
        assert!(flow.finish().is_err(), "still owes its resolve and finalize");
    }

    #[test]
    #[should_panic(expected = "HandoffFlow::begin")]
    fn client_controlled_handoffs_are_planned_not_server_run() {
        let _ = HandoffFlow::server_run(HandoffMode::ClientControlled);
    }
}
