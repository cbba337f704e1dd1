//! The router's behaviour, one rule at a time, driven with hand-made inputs.

use handoff_router::contract::{JsonRpcErrorObject, RealtimeHandoffRequested, RequestId, ThreadId, methods};
use handoff_router::{Action, Input, Router, RouterConfig, STREAM_TIMEOUT_MS, ServerInfo, VoicePhase};
use serde_json::{Value, json};

const LOCAL: &str = "local";
const BIG: &str = "srv-big";

fn router() -> Router {
    let servers = vec![ServerInfo::new(LOCAL, "laptop"), ServerInfo::new(BIG, "bigpc")];
    Router::new(RouterConfig::new(servers, LOCAL).expect("local is listed"))
}

fn tid(value: &str) -> ThreadId {
    ThreadId::new(value).expect("valid test id")
}

fn handoff_on(voice: &str, id: &str, server: Option<&str>, thread: Option<&str>) -> Input {
    let mut item = RealtimeHandoffRequested::new(id.to_owned(), format!("item_{id}"), format!("task {id}"), vec![]);
    item.server = server.map(str::to_owned);
    item.thread_id = thread.map(tid);
    Input::HandoffRequested { voice_server: LOCAL.to_owned(), voice_thread: tid(voice), item }
}

fn handoff(id: &str, server: Option<&str>, thread: Option<&str>) -> Input {
    handoff_on("voice_1", id, server, thread)
}

/// A request the router sent.
#[derive(Debug, Clone)]
struct Sent {
    server: String,
    id: RequestId,
    method: &'static str,
    params: Value,
}

fn sent(actions: &[Action]) -> Vec<Sent> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Send { server, id, request } => Some(Sent {
                server: server.clone(),
                id: id.clone(),
                method: request.method(),
                params: request.to_message(id).expect("serializes")["params"].clone(),
            }),
            _ => None,
        })
        .collect()
}

fn methods_of(actions: &[Action]) -> Vec<&'static str> {
    sent(actions).iter().map(|sent| sent.method).collect()
}

fn errors(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::ReportError { message } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn resume_ok(server: &str, id: &RequestId, thread: &str) -> Input {
    Input::Response {
        server: server.to_owned(),
        id: id.clone(),
        result: json!({"thread": {"id": thread}, "model": "m", "modelProvider": "p", "cwd": "/",
            "approvalPolicy": "never", "sandbox": {"type": "readOnly"}}),
    }
}

fn start_ok(server: &str, id: &RequestId, thread: &str) -> Input {
    resume_ok(server, id, thread)
}

fn failure(server: &str, id: &RequestId, message: &str) -> Input {
    Input::ErrorResponse {
        server: server.to_owned(),
        id: id.clone(),
        error: JsonRpcErrorObject::new(-32600, message.to_owned()),
    }
}

fn turn_ok(server: &str, id: &RequestId, turn: &str) -> Input {
    Input::Response { server: server.to_owned(), id: id.clone(), result: json!({"turn": {"id": turn}}) }
}

fn delta(server: &str, thread: &str, turn: &str, text: &str) -> Input {
    Input::Notification {
        server: server.to_owned(),
        method: methods::ITEM_AGENT_MESSAGE_DELTA.to_owned(),
        params: json!({"threadId": thread, "turnId": turn, "itemId": "msg", "delta": text}),
    }
}

fn completed(server: &str, thread: &str, turn: &str, status: &str) -> Input {
    Input::Notification {
        server: server.to_owned(),
        method: methods::TURN_COMPLETED.to_owned(),
        params: json!({"threadId": thread, "turn": {"id": turn, "status": status}}),
    }
}

/// Drives a handoff that names `thread` on bigpc through a successful resume; returns the turn/start.
fn resumed_turn(router: &mut Router, id: &str, thread: &str) -> Sent {
    let actions = router.handle(0, handoff(id, Some("bigpc"), Some(thread)));
    let resume = &sent(&actions)[0];
    assert_eq!((resume.server.as_str(), resume.method), (BIG, methods::THREAD_RESUME));
    let actions = router.handle(0, resume_ok(BIG, &resume.id, thread));
    sent(&actions).remove(0)
}

#[test]
fn seed_flow_resume_turn_stream_finalize() {
    let mut router = router();
    let actions = router.handle(0, handoff("h1", Some("bigpc"), Some("thr_123")));
    assert_eq!(
        actions[0],
        Action::SetVoicePhase {
            voice_thread: tid("voice_1"),
            phase: VoicePhase::Delegating { handoff_id: "h1".into() }
        }
    );
    let resume = sent(&actions).remove(0);
    assert_eq!(resume.params, json!({"threadId": "thr_123"}));
    // String ids cannot collide with the integer ids of the host app's own requests.
    assert_eq!(resume.id, RequestId::String("handoff-1".into()));
    let app_answer = Input::Response { server: BIG.into(), id: RequestId::Integer(1), result: json!({}) };
    assert_eq!(errors(&router.handle(0, app_answer)).len(), 1, "not taken for the router's request");
    assert_eq!(router.cached_thread(BIG), None, "not cached before the resume succeeds");

    let actions = router.handle(10, resume_ok(BIG, &resume.id, "thr_123"));
    let turn = sent(&actions).remove(0);
    assert_eq!((turn.server.as_str(), turn.method), (BIG, methods::TURN_START));
    assert_eq!(turn.params["threadId"], "thr_123");
    assert_eq!(turn.params["input"], json!([{"type": "text", "text": "task h1"}]));
    assert_eq!(router.cached_thread(BIG), Some(&tid("thr_123")));

    assert_eq!(router.handle(20, turn_ok(BIG, &turn.id, "turn_9")), []);
    let actions = router.handle(30, delta(BIG, "thr_123", "turn_9", "Hello"));
    let resolve = sent(&actions).remove(0);
    assert_eq!((resolve.server.as_str(), resolve.method), (LOCAL, methods::THREAD_REALTIME_RESOLVE_HANDOFF));
    assert_eq!(resolve.params, json!({"threadId": "voice_1", "toolCallOutput": "Hello"}));
    let actions = router.handle(40, delta(BIG, "thr_123", "turn_9", ", world"));
    assert_eq!(sent(&actions)[0].params["toolCallOutput"], "Hello, world");

    let actions = router.handle(50, completed(BIG, "thr_123", "turn_9", "completed"));
    assert_eq!(methods_of(&actions), [methods::THREAD_REALTIME_FINALIZE_HANDOFF]);
    assert_eq!(sent(&actions)[0].params, json!({"threadId": "voice_1"}));
    assert!(actions.contains(&Action::SetVoicePhase { voice_thread: tid("voice_1"), phase: VoicePhase::Idle }));
    assert!(router.open_handoffs().is_empty());
    // Nothing after the finalize: late output of that turn is ignored.
    assert_eq!(router.handle(60, delta(BIG, "thr_123", "turn_9", "late")), []);
}

#[test]
fn follow_ups_reuse_the_thread_without_resuming_until_another_is_named() {
    let mut router = router();
    let turn = resumed_turn(&mut router, "h1", "thr_123");
    router.handle(0, completed(BIG, "thr_123", "t", "completed"));
    let _ = turn;
    // No thread_id: the cached thread, straight to turn/start.
    let actions = router.handle(0, handoff("h2", Some("bigpc"), None));
    assert_eq!(methods_of(&actions), [methods::TURN_START]);
    assert_eq!(sent(&actions)[0].params["threadId"], "thr_123");
    router.handle(0, completed(BIG, "thr_123", "t2", "completed"));
    // Naming the cached thread again changes nothing: no second resume.
    let actions = router.handle(0, handoff("h3", Some("bigpc"), Some("thr_123")));
    assert_eq!(methods_of(&actions), [methods::TURN_START]);
    router.handle(0, completed(BIG, "thr_123", "t3", "completed"));
    // Naming another thread resumes it and switches the cache once the resume succeeds.
    let turn = resumed_turn(&mut router, "h4", "thr_456");
    assert_eq!(turn.params["threadId"], "thr_456");
    assert_eq!(router.cached_thread(BIG), Some(&tid("thr_456")));
}

#[test]
fn without_thread_and_cache_a_new_thread_is_started_and_cached() {
    let mut router = router();
    let actions = router.handle(0, handoff("h1", None, None));
    let start = sent(&actions).remove(0);
    assert_eq!((start.server.as_str(), start.method), (LOCAL, methods::THREAD_START));
    let actions = router.handle(0, start_ok(LOCAL, &start.id, "thr_new"));
    assert_eq!(sent(&actions)[0].params["threadId"], "thr_new");
    assert_eq!(router.cached_thread(LOCAL), Some(&tid("thr_new")));
    assert_eq!(router.cached_thread(BIG), None, "caches are per server");
}

#[test]
fn resume_failure_resolves_with_an_error_naming_the_thread_and_keeps_the_cache() {
    let mut router = router();
    resumed_turn(&mut router, "h1", "thr_123");
    router.handle(0, completed(BIG, "thr_123", "t", "completed"));
    let actions = router.handle(0, handoff("h2", Some("bigpc"), Some("thr_gone")));
    let resume = sent(&actions).remove(0);
    let actions = router.handle(0, failure(BIG, &resume.id, "no rollout found for thread id thr_gone"));
    let requests = sent(&actions);
    let summary: Vec<_> = requests.iter().map(|sent| (sent.server.as_str(), sent.method)).collect();
    assert_eq!(
        summary,
        [(LOCAL, methods::THREAD_REALTIME_RESOLVE_HANDOFF), (LOCAL, methods::THREAD_REALTIME_FINALIZE_HANDOFF)],
        "no thread/start, no turn/start anywhere"
    );
    let text = requests[0].params["toolCallOutput"].as_str().expect("text");
    assert!(text.contains("thr_gone") && text.contains("no rollout found"), "{text}");
    assert_eq!(router.cached_thread(BIG), Some(&tid("thr_123")), "no scratch thread replaces the cache");
}

#[test]
fn a_resume_answering_with_another_thread_fails_closed() {
    let mut router = router();
    let actions = router.handle(0, handoff("h1", Some("bigpc"), Some("thr_123")));
    let resume = sent(&actions).remove(0);
    let actions = router.handle(0, resume_ok(BIG, &resume.id, "thr_other"));
    assert_eq!(
        methods_of(&actions),
        [methods::THREAD_REALTIME_RESOLVE_HANDOFF, methods::THREAD_REALTIME_FINALIZE_HANDOFF]
    );
    assert_eq!(router.cached_thread(BIG), None);
}

#[test]
fn unknown_or_ambiguous_servers_resolve_with_an_error_and_never_guess() {
    let mut router = router();
    let actions = router.handle(0, handoff("h1", Some("smallpc"), Some("thr_123")));
    let requests = sent(&actions);
    assert_eq!(
        methods_of(&actions),
        [methods::THREAD_REALTIME_RESOLVE_HANDOFF, methods::THREAD_REALTIME_FINALIZE_HANDOFF]
    );
    assert!(requests.iter().all(|sent| sent.server == LOCAL));
    let text = requests[0].params["toolCallOutput"].as_str().expect("text");
    assert!(text.contains("unknown server \"smallpc\"") && text.contains("bigpc (id srv-big)"), "{text}");

    let servers = vec![ServerInfo::new(LOCAL, "laptop"), ServerInfo::new("a", "twin"), ServerInfo::new("b", "twin")];
    let mut router = Router::new(RouterConfig::new(servers, LOCAL).expect("local listed"));
    let actions = router.handle(0, handoff("h1", Some("twin"), None));
    let text = sent(&actions)[0].params["toolCallOutput"].as_str().expect("text").to_owned();
    assert!(text.contains("several servers (a, b)"), "{text}");
    assert_eq!(methods_of(&actions).len(), 2);
}

#[test]
fn local_and_ids_pick_servers() {
    let mut router = router();
    let actions = router.handle(0, handoff("h1", Some("local"), None));
    assert_eq!(sent(&actions)[0].server, LOCAL);
    let actions = router.handle(0, handoff_on("voice_2", "h2", Some(BIG), None));
    assert_eq!(sent(&actions)[0].server, BIG);
}

#[test]
fn a_turn_without_output_resolves_no_response() {
    let mut router = router();
    resumed_turn(&mut router, "h1", "thr_123");
    let actions = router.handle(0, completed(BIG, "thr_123", "t", "completed"));
    let requests = sent(&actions);
    assert_eq!(requests[0].params["toolCallOutput"], "(No response)");
    assert_eq!(requests[1].method, methods::THREAD_REALTIME_FINALIZE_HANDOFF);
}

#[test]
fn a_turn_status_this_contract_does_not_list_ends_the_handoff_at_once() {
    let mut router = router();
    resumed_turn(&mut router, "h1", "thr_123");
    let actions = router.handle(0, completed(BIG, "thr_123", "t", "cancelledByPolicy"));
    assert_eq!(errors(&actions), Vec::<String>::new(), "a newer status is not malformed");
    let requests = sent(&actions);
    assert_eq!(
        requests.iter().map(|r| r.method).collect::<Vec<_>>(),
        [methods::THREAD_REALTIME_RESOLVE_HANDOFF, methods::THREAD_REALTIME_FINALIZE_HANDOFF]
    );
    let text = requests[0].params["toolCallOutput"].as_str().expect("text");
    assert!(text.contains("`cancelledByPolicy`"), "{text}");
    // Nothing is left to time out.
    assert_eq!(methods_of(&router.handle(STREAM_TIMEOUT_MS + 1, Input::Tick)), Vec::<&str>::new());

    // With output streamed first, the handoff keeps that output and is finalized.
    let mut router = router_with_output();
    let actions = router.handle(0, completed(BIG, "thr_123", "t", "someNewStatus"));
    assert_eq!(methods_of(&actions), [methods::THREAD_REALTIME_FINALIZE_HANDOFF]);
}

/// A router whose handoff on bigpc's `thr_123` has streamed some output in turn `t`.
fn router_with_output() -> Router {
    let mut router = router();
    resumed_turn(&mut router, "h1", "thr_123");
    router.handle(0, delta(BIG, "thr_123", "t", "partial answer"));
    router
}

#[test]
fn an_unreadable_turn_completion_still_ends_its_handoff() {
    let mut router = router();
    resumed_turn(&mut router, "h1", "thr_123");
    let unreadable = Input::Notification {
        server: BIG.into(),
        method: methods::TURN_COMPLETED.into(),
        params: json!({"threadId": "thr_123", "turn": {"id": "t", "status": 7}}),
    };
    let actions = router.handle(0, unreadable);
    assert_eq!(errors(&actions).len(), 1, "the malformed params are reported");
    assert_eq!(
        methods_of(&actions),
        [methods::THREAD_REALTIME_RESOLVE_HANDOFF, methods::THREAD_REALTIME_FINALIZE_HANDOFF]
    );
}

#[test]
fn failed_turns_and_error_notifications_resolve_with_the_error() {
    let mut router = router();
    resumed_turn(&mut router, "h1", "thr_123");
    let failed = Input::Notification {
        server: BIG.into(),
        method: methods::TURN_COMPLETED.into(),
        params: json!({"threadId": "thr_123", "turn": {"id": "t", "status": "failed", "error": {"message": "quota"}}}),
    };
    let actions = router.handle(0, failed);
    assert_eq!(sent(&actions)[0].params["toolCallOutput"], "Error: the Codex turn failed: quota");

    let turn = {
        let actions = router.handle(0, handoff("h2", Some("bigpc"), None));
        sent(&actions).remove(0)
    };
    router.handle(0, delta(BIG, "thr_123", "t2", "half"));
    let retrying = Input::Notification {
        server: BIG.into(),
        method: methods::ERROR.into(),
        params: json!({"threadId": "thr_123", "error": {"message": "busy"}, "willRetry": true}),
    };
    assert_eq!(methods_of(&router.handle(0, retrying)), Vec::<&str>::new(), "a retried error is progress");
    let fatal = Input::Notification {
        server: BIG.into(),
        method: methods::ERROR.into(),
        params: json!({"threadId": "thr_123", "error": {"message": "stream lost"}, "willRetry": false}),
    };
    let actions = router.handle(0, fatal);
    let requests = sent(&actions);
    assert_eq!(requests[0].params["toolCallOutput"], "half\n\nError: stream lost");
    assert_eq!(requests[1].method, methods::THREAD_REALTIME_FINALIZE_HANDOFF);
    let _ = turn;
    let actions = router.handle(0, handoff("h3", Some("bigpc"), None));
    let turn = sent(&actions).remove(0);
    let actions = router.handle(0, failure(BIG, &turn.id, "thread busy"));
    let text = sent(&actions)[0].params["toolCallOutput"].as_str().expect("text").to_owned();
    assert!(text.contains("could not start the turn in thread thr_123") && text.contains("thread busy"), "{text}");
}

#[test]
fn a_stream_without_progress_for_120_s_times_out_once() {
    let mut router = router();
    let actions = router.handle(1_000, handoff("h1", Some("bigpc"), Some("thr_123")));
    let resume = sent(&actions).remove(0);
    let actions = router.handle(2_000, resume_ok(BIG, &resume.id, "thr_123"));
    let turn = sent(&actions).remove(0);
    router.handle(3_000, turn_ok(BIG, &turn.id, "t"));
    router.handle(50_000, delta(BIG, "thr_123", "t", "working"));
    // Progress at 50 s: the deadline moves to 170 s.
    assert_eq!(router.handle(50_000 + STREAM_TIMEOUT_MS - 1, Input::Tick), []);
    let actions = router.handle(50_000 + STREAM_TIMEOUT_MS, Input::Tick);
    let requests = sent(&actions);
    assert_eq!(requests.len(), 2);
    let text = requests[0].params["toolCallOutput"].as_str().expect("text");
    assert!(text.starts_with("working\n\nError: timed out after 120 s"), "{text}");
    assert_eq!(requests[1].method, methods::THREAD_REALTIME_FINALIZE_HANDOFF);
    assert_eq!(router.handle(500_000, Input::Tick), [], "exactly one finalize");
    assert_eq!(router.handle(500_000, completed(BIG, "thr_123", "t", "completed")), []);
    // Time never runs backwards.
    assert_eq!(router.handle(0, Input::Tick), []);
}

#[test]
fn a_second_handoff_on_a_voice_thread_waits_for_the_first() {
    let mut router = router();
    resumed_turn(&mut router, "h1", "thr_123");
    assert_eq!(router.handle(0, handoff("h2", Some("bigpc"), Some("thr_456"))), [], "queued, nothing sent yet");
    let actions = router.handle(0, handoff("h2", Some("bigpc"), Some("thr_456")));
    assert_eq!(errors(&actions).len(), 1, "a duplicate delivery is reported and ignored");
    let actions = router.handle(0, completed(BIG, "thr_123", "t", "completed"));
    assert_eq!(
        methods_of(&actions),
        [methods::THREAD_REALTIME_RESOLVE_HANDOFF, methods::THREAD_REALTIME_FINALIZE_HANDOFF, methods::THREAD_RESUME]
    );
    assert_eq!(sent(&actions)[2].params["threadId"], "thr_456");
    assert_eq!(router.open_handoffs(), ["h2"]);
    // Another voice thread is independent.
    let actions = router.handle(0, handoff_on("voice_2", "h3", Some("local"), None));
    assert_eq!(methods_of(&actions), [methods::THREAD_START]);
}

#[test]
fn a_context_switch_forgets_the_cached_thread() {
    let mut router = router();
    resumed_turn(&mut router, "h1", "thr_123");
    router.handle(0, completed(BIG, "thr_123", "t", "completed"));
    router.handle(0, Input::ContextSwitched { server: BIG.into() });
    assert_eq!(router.cached_thread(BIG), None);
    let actions = router.handle(0, handoff("h2", Some("bigpc"), None));
    assert_eq!(methods_of(&actions), [methods::THREAD_START]);
    let actions = router.handle(0, Input::ContextSwitched { server: "nowhere".into() });
    assert_eq!(errors(&actions).len(), 1);
}

#[test]
fn output_of_other_threads_and_turns_is_not_streamed() {
    let mut router = router();
    let turn = resumed_turn(&mut router, "h1", "thr_123");
    router.handle(0, turn_ok(BIG, &turn.id, "turn_a"));
    assert_eq!(router.handle(0, delta(BIG, "thr_other", "turn_a", "x")), []);
    assert_eq!(router.handle(0, delta(LOCAL, "thr_123", "turn_a", "x")), []);
    assert_eq!(router.handle(0, delta(BIG, "thr_123", "turn_b", "x")), []);
    assert_eq!(methods_of(&router.handle(0, delta(BIG, "thr_123", "turn_a", "x"))).len(), 1);
}

#[test]
fn bad_input_is_reported_not_panicked_on() {
    let mut router = router();
    let stray = Input::Response { server: BIG.into(), id: RequestId::Integer(77), result: json!({}) };
    assert_eq!(errors(&router.handle(0, stray)).len(), 1);
    let stray = Input::Response { server: BIG.into(), id: RequestId::String("x".into()), result: json!({}) };
    assert_eq!(errors(&router.handle(0, stray)).len(), 1);
    let malformed =
        Input::Notification { server: BIG.into(), method: methods::TURN_COMPLETED.into(), params: json!({"turn": 5}) };
    let messages = errors(&router.handle(0, malformed));
    assert!(messages[0].contains("turn/completed") && messages[0].contains("srv-big"), "{messages:?}");
    // An unreadable start result ends the handoff with an error text.
    let actions = router.handle(0, handoff("h1", None, None));
    let start = sent(&actions).remove(0);
    let actions =
        router.handle(0, Input::Response { server: LOCAL.into(), id: start.id, result: json!({"thread": 1}) });
    assert_eq!(
        methods_of(&actions),
        [methods::THREAD_REALTIME_RESOLVE_HANDOFF, methods::THREAD_REALTIME_FINALIZE_HANDOFF]
    );
    // Responses are matched per server: the same id from another server is not the answer.
    let actions = router.handle(0, handoff("h2", Some("bigpc"), Some("thr_9")));
    let resume = sent(&actions).remove(0);
    assert_eq!(errors(&router.handle(0, resume_ok(LOCAL, &resume.id, "thr_9"))).len(), 1);
}

#[test]
fn a_malformed_handoff_is_answered_with_an_error_not_dropped() {
    let mut router = router();
    let rejected = |id: &str| Input::HandoffRejected {
        voice_server: LOCAL.into(),
        voice_thread: tid("voice_1"),
        handoff_id: id.into(),
        reason: "invalid ThreadId \"../x\"".into(),
    };
    let actions = router.handle(0, rejected("h1"));
    let requests = sent(&actions);
    assert_eq!(
        methods_of(&actions),
        [methods::THREAD_REALTIME_RESOLVE_HANDOFF, methods::THREAD_REALTIME_FINALIZE_HANDOFF]
    );
    let text = requests[0].params["toolCallOutput"].as_str().expect("text");
    assert!(text.starts_with("Error: the handoff request is malformed") && text.contains("../x"), "{text}");
    assert!(requests.iter().all(|request| request.server == LOCAL));
    // Behind an open handoff it waits its turn like any other.
    resumed_turn(&mut router, "h2", "thr_123");
    assert_eq!(router.handle(0, rejected("h3")), []);
    let actions = router.handle(0, completed(BIG, "thr_123", "t", "completed"));
    assert_eq!(methods_of(&actions).len(), 4, "h2 resolve + finalize, then h3 resolve + finalize");
}

/// The `thread/realtime/start` the host app sent for voice_1, as the router reads it.
fn realtime_started(flags: Value) -> Input {
    let mut params = json!({"threadId": "voice_1", "outputModality": "audio"});
    for (flag, value) in flags.as_object().expect("flags") {
        params[flag] = value.clone();
    }
    let request = json!({"id": 1, "method": "thread/realtime/start", "params": params});
    Input::from_client_request(LOCAL, &request).expect("well-formed").expect("a realtime start")
}

#[test]
fn a_session_the_server_runs_itself_is_refused_with_a_clear_error() {
    for (flags, mode) in [
        (json!({}), "server-managed"),
        (json!({"clientManagedHandoffs": true}), "client-managed"),
        (json!({"clientControlledHandoff": true, "clientManagedHandoffs": true}), "both"),
    ] {
        let mut router = router();
        let actions = router.handle(0, realtime_started(flags));
        let refusal = errors(&actions);
        assert_eq!(refusal.len(), 1, "{mode}: {actions:?}");
        assert!(refusal[0].contains(mode), "{mode}: {}", refusal[0]);
        assert!(refusal[0].contains("implements client-controlled mode only"), "{}", refusal[0]);
        assert!(refusal[0].contains("clientControlledHandoff: true"), "names the flag it needs: {}", refusal[0]);
        // The stock server's item (no server, no thread): nothing is sent for it, and the voice side is not told a
        // handoff is delegated.
        let actions = router.handle(1, handoff("call_1", None, None));
        assert_eq!(methods_of(&actions), Vec::<&str>::new(), "{mode}");
        let refused = errors(&actions);
        assert_eq!(refused.len(), 1, "{mode}: {actions:?}");
        assert!(refused[0].starts_with("handoff \"call_1\" refused: voice thread voice_1"), "{}", refused[0]);
        assert!(actions.iter().all(|action| !matches!(action, Action::SetVoicePhase { .. })), "{actions:?}");
        assert!(router.open_handoffs().is_empty());
        // Another voice thread is not affected.
        let actions = router.handle(2, handoff_on("voice_2", "h2", None, None));
        assert_eq!(methods_of(&actions), [methods::THREAD_START], "{mode}");
    }
}

#[test]
fn a_client_controlled_session_is_served_and_lifts_an_earlier_refusal() {
    let mut served = router();
    assert_eq!(
        errors(&served.handle(0, realtime_started(json!({"clientControlledHandoff": true})))),
        Vec::<String>::new()
    );
    assert_eq!(methods_of(&served.handle(1, handoff("h1", Some("bigpc"), Some("thr_1")))), [methods::THREAD_RESUME]);

    let mut restarted = router();
    assert_eq!(errors(&restarted.handle(0, realtime_started(json!({})))).len(), 1);
    // The host app restarts the session in the mode the router serves.
    restarted.handle(1, realtime_started(json!({"clientControlledHandoff": true})));
    assert_eq!(methods_of(&restarted.handle(2, handoff("h1", None, None))), [methods::THREAD_START]);
}
