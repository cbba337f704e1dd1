//! The handoff flow as a state machine: one [`ThreadCache`] per app-server and one [`HandoffFlow`] per handoff.
//!
//! Both the router and the flow checker ([`crate::check`]) feed [`FlowStep`]s into these types. The router asks
//! them what to do next ([`HandoffFlow::plan`]) and records each request it sends; the checker replays recorded
//! traffic through the same transitions and turns every [`FlowViolation`] into a finding.

use codex_handoff_contract::ThreadId;

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
}

/// One handoff's progress through the flow. Every [`HandoffFlow::apply`] advances the state even when it reports a
/// violation, so a checker keeps going after the first problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffFlow {
    plan: ThreadPlan,
    phase: HandoffPhase,
    /// The thread the turn must go to, once known (the plan's thread, or the one `thread/start` created).
    target: Option<ThreadId>,
    /// The `thread/start` of this handoff was allowed; only then may its result become the cache.
    start_allowed: bool,
    resume_failed: bool,
    resolves: u32,
    turns: u32,
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
            target: plan.thread().cloned(),
            plan,
            phase,
            start_allowed: false,
            resume_failed: false,
            resolves: 0,
            turns: 0,
        }
    }

    /// A handoff that fails before reaching any server (e.g. an unknown server): it may only resolve and finalize.
    pub fn failed() -> HandoffFlow {
        HandoffFlow {
            plan: ThreadPlan::StartNew,
            phase: HandoffPhase::Failed,
            target: None,
            start_allowed: false,
            resume_failed: false,
            resolves: 0,
            turns: 0,
        }
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
        match step {
            FlowStep::ResumeSent(thread) => self.resume_sent(thread, cache),
            FlowStep::ResumeSucceeded(thread) => {
                // A successful resume of the named thread makes it the server's handoff thread. One that answers
                // after the handoff ended (timed out) changes nothing: no turn will use it, and a router that has
                // dropped the handoff cannot tell whose resume it was.
                if self.plan == ThreadPlan::Resume(thread.clone()) && !self.is_finalized() {
                    cache.set(thread.clone());
                    if self.phase == HandoffPhase::Resuming(thread.clone()) {
                        self.phase = HandoffPhase::Ready(thread.clone());
                    }
                }
                Ok(())
            }
            FlowStep::ResumeFailed(thread) => {
                // Fail closed: the cache stays as it was, and the handoff may only resolve with an error and finalize.
                if self.plan == ThreadPlan::Resume(thread.clone()) {
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

    /// End of the traffic: a handoff that never finalized is a violation.
    pub fn finish(&self) -> Result<(), FlowViolation> {
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
        if self.plan == ThreadPlan::Resume(thread.clone()) && self.phase == HandoffPhase::Planned {
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
            HandoffPhase::Ready(ready) | HandoffPhase::TurnSent(ready) => Some(ready.clone()),
            _ => None,
        };
        match (&self.target, ready) {
            (Some(target), _) if target != thread => Err(FlowViolation::new(
                FlowRule::ScratchFallback,
                format!("turn/start into {thread}, but the handoff's thread is {target}"),
            )),
            (_, Some(ready)) if &ready == thread => {
                self.phase = HandoffPhase::TurnSent(ready);
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
                "flow/unresolved-handoff"
            ]
        );
    }
}
