//! The router against in-process fake app-servers; the recorded capture must pass the flow checker, and a router
//! with a deliberate bug must be caught by the right rule.

mod common;

use common::harness::{Harness, LOCAL, Sabotage, check_capture};
use handoff_router::contract::methods;

fn methods_sent(harness: &Harness) -> Vec<(String, &'static str)> {
    harness.sent().into_iter().map(|(server, method, _)| (server, method)).collect()
}

/// The flow note of a router capture: the harness records no `thread/realtime/start`.
const CLIENT_CONTROLLED_NOTE: &str = "handoff mode inferred client-controlled for voice thread(s) voice_1 (server \
                                      local-mac): no thread/realtime/start recorded; the client sent \
                                      resolveHandoff/finalizeHandoff on the voice thread";

fn rules(findings: &[handoff_flow::FlowFinding]) -> Vec<&'static str> {
    findings.iter().map(|finding| finding.rule).collect()
}

#[test]
fn seed_flow_continue_that_session_on_bigpc() {
    let mut harness = Harness::new(None);
    // The voice model called codex(server: "bigpc", prompt, thread_id: "thr_123").
    harness.handoff("h1", Some("bigpc"), Some("thr_123"), "continue that session on bigpc");
    let sent = harness.sent();
    let summary: Vec<(&str, &str)> = sent.iter().map(|(server, method, _)| (server.as_str(), *method)).collect();
    assert_eq!(
        summary,
        [
            ("bigpc", methods::THREAD_RESUME),
            ("bigpc", methods::TURN_START),
            (LOCAL, methods::THREAD_REALTIME_RESOLVE_HANDOFF),
            (LOCAL, methods::THREAD_REALTIME_RESOLVE_HANDOFF),
            (LOCAL, methods::THREAD_REALTIME_FINALIZE_HANDOFF),
        ]
    );
    assert_eq!(sent[0].2["threadId"], "thr_123");
    assert_eq!(sent[1].2["threadId"], "thr_123");
    assert_eq!(sent[1].2["input"][0]["text"], "continue that session on bigpc");
    // Output streams back to the VOICE thread, the reply so far each time.
    assert_eq!(sent[2].2["threadId"], "voice_1");
    assert_eq!(sent[2].2["toolCallOutput"], "Resumed. ");
    assert_eq!(sent[3].2["toolCallOutput"], "Resumed. The tests pass now.");
    assert_eq!(sent[4].2["threadId"], "voice_1");
    assert_eq!(harness.router.cached_thread("bigpc").map(|thread| thread.as_str()), Some("thr_123"));

    // A follow-up without thread_id keeps using thr_123 and does not resume it again.
    harness.handoff("h2", Some("Big PC"), None, "and run the linter");
    let follow_up: Vec<_> = methods_sent(&harness).into_iter().skip(5).collect();
    assert_eq!(follow_up[0], ("bigpc".to_owned(), methods::TURN_START));
    assert_eq!(harness.sent()[5].2["threadId"], "thr_123");
    assert!(follow_up.iter().all(|(_, method)| *method != methods::THREAD_RESUME));

    let (findings, notes) = harness.check();
    assert_eq!(findings, [], "capture:\n{}", harness.jsonl());
    // The harness records no thread/realtime/start: the router's resolve/finalize show the client-controlled mode.
    assert_eq!(notes, [CLIENT_CONTROLLED_NOTE]);
    assert!(harness.router.open_handoffs().is_empty());
}

#[test]
fn first_handoff_without_thread_starts_and_caches_one() {
    let mut harness = Harness::new(None);
    harness.handoff("h1", None, None, "what's in this repo?");
    harness.handoff("h2", Some("local"), None, "and the tests?");
    let sent = harness.sent();
    assert_eq!(sent[0].1, methods::THREAD_START);
    assert_eq!(sent[1].1, methods::TURN_START);
    let started = sent[1].2["threadId"].clone();
    let second_turn = sent.iter().filter(|(_, method, _)| *method == methods::TURN_START).nth(1).expect("h2 turn");
    assert_eq!(second_turn.2["threadId"], started, "the started thread is the cached handoff thread");
    assert_eq!(sent.iter().filter(|(_, method, _)| *method == methods::THREAD_START).count(), 1);
    let (findings, _) = harness.check();
    assert_eq!(findings, []);
}

#[test]
fn injected_resume_failure_fails_closed() {
    let mut harness = Harness::new(None);
    harness.handoff("h1", Some("bigpc"), Some("thr_123"), "continue");
    harness.handoff("h2", Some("bigpc"), Some("thr_gone"), "continue the other one");
    let after: Vec<_> = harness.sent().into_iter().skip(5).collect();
    let summary: Vec<&str> = after.iter().map(|(_, method, _)| *method).collect();
    assert_eq!(
        summary,
        [methods::THREAD_RESUME, methods::THREAD_REALTIME_RESOLVE_HANDOFF, methods::THREAD_REALTIME_FINALIZE_HANDOFF]
    );
    let text = after[1].2["toolCallOutput"].as_str().expect("text output");
    assert!(text.contains("thr_gone") && text.starts_with("Error"), "{text}");
    assert!(text.contains("no rollout found for thread id thr_gone"), "{text}");
    assert_eq!(harness.router.cached_thread("bigpc").map(|thread| thread.as_str()), Some("thr_123"), "cache kept");
    let (findings, _) = harness.check();
    assert_eq!(findings, [], "capture:\n{}", harness.jsonl());
}

#[test]
fn timeout_and_no_response_captures_are_clean() {
    let mut harness = Harness::new(None);
    harness.servers.get_mut("bigpc").expect("bigpc").reply.clear();
    harness.handoff("h1", Some("bigpc"), Some("thr_123"), "quiet turn");
    assert_eq!(harness.sent()[2].2["toolCallOutput"], "(No response)");
    let fake = harness.servers.get_mut("bigpc").expect("bigpc");
    fake.completes_turns = false;
    fake.reply = vec!["partial".to_owned()];
    harness.handoff("h2", Some("bigpc"), None, "slow turn");
    harness.tick(119_000);
    assert_eq!(harness.router.open_handoffs(), ["h2"]);
    harness.tick(1_000);
    assert!(harness.router.open_handoffs().is_empty());
    let last_resolve =
        harness.sent().into_iter().rev().find(|(_, method, _)| *method == methods::THREAD_REALTIME_RESOLVE_HANDOFF);
    let text = last_resolve.expect("timeout resolution").2["toolCallOutput"].as_str().unwrap_or_default().to_owned();
    assert!(text.starts_with("partial") && text.contains("timed out after 120 s"), "{text}");
    let (findings, _) = harness.check();
    assert_eq!(findings, []);
}

#[test]
fn context_switch_makes_the_router_resume_again_and_the_checker_agrees() {
    let mut harness = Harness::new(None);
    harness.handoff("h1", Some("bigpc"), Some("thr_123"), "one");
    harness.context_switched("bigpc");
    assert_eq!(harness.router.cached_thread("bigpc"), None);
    harness.handoff("h2", Some("bigpc"), Some("thr_123"), "two");
    let resumes = harness.sent().iter().filter(|(_, method, _)| *method == methods::THREAD_RESUME).count();
    assert_eq!(resumes, 2, "after a context switch the named thread is resumed again");
    // The capture does not show the UI switch, so the checker sees a second resume of the cached thread.
    let (findings, _) = harness.check();
    assert_eq!(rules(&findings), ["flow/repeated-resume"]);
}

#[test]
fn a_router_that_resumes_twice_is_caught() {
    let mut harness = Harness::new(Some(Sabotage::ResumeTwice));
    harness.handoff("h1", Some("bigpc"), Some("thr_123"), "continue");
    let (findings, _) = harness.check();
    assert_eq!(rules(&findings), ["flow/repeated-resume"], "capture:\n{}", harness.jsonl());
    let line = harness.jsonl().lines().nth(findings[0].position as usize - 1).expect("line").to_owned();
    assert!(line.contains("\"id\":10001") && line.contains(methods::THREAD_RESUME), "{line}");
}

#[test]
fn a_router_that_falls_back_to_a_scratch_thread_is_caught() {
    let mut harness = Harness::new(Some(Sabotage::ScratchAfterFailedResume));
    harness.handoff("h1", Some("bigpc"), Some("thr_gone"), "continue");
    let (findings, _) = harness.check();
    assert_eq!(
        rules(&findings),
        ["flow/resume-failure-fallback", "flow/resume-failure-fallback"],
        "capture:\n{}",
        harness.jsonl()
    );
    let methods_flagged: Vec<_> = findings.iter().map(|finding| finding.method.as_deref()).collect();
    assert_eq!(methods_flagged, [Some(methods::THREAD_START), Some(methods::TURN_START)]);
}

#[test]
fn a_recorder_dump_without_responses_is_checked_on_request_order() {
    let mut harness = Harness::new(None);
    harness.handoff("h1", Some("bigpc"), Some("thr_123"), "continue");
    // The mobile recorder keeps requests and notifications only.
    let requests_only: String = harness
        .jsonl()
        .lines()
        .filter(|line| {
            let entry: serde_json::Value = serde_json::from_str(line).expect("JSON");
            entry["json"].get("method").is_some()
        })
        .map(|line| format!("{line}\n"))
        .collect();
    let (findings, notes) = check_capture(&requests_only);
    assert_eq!(findings, []);
    assert_eq!(
        notes,
        [
            "server bigpc: no responses recorded; flow checked on request order",
            "server local-mac: no responses recorded; flow checked on request order",
            CLIENT_CONTROLLED_NOTE
        ]
    );
}

/// Runs the whole validator (schema, RPC and flow rules) over a capture: the `(line, rule)` of every diagnostic.
fn validate(jsonl: &str) -> Vec<(u64, String)> {
    let schemas = handoff_validator::Schemas::canonical().expect("the canonical schema compiles");
    let config = handoff_validator::Config::default();
    let report = handoff_validator::validate_reader(&schemas, &config, "capture.jsonl", jsonl.as_bytes(), None)
        .expect("an in-memory capture reads");
    report.diagnostics.iter().map(|diagnostic| (diagnostic.line, diagnostic.rule.clone())).collect()
}

#[test]
fn the_full_validator_accepts_router_captures_and_flags_sabotage() {
    let mut clean = Harness::new(None);
    clean.handoff("h1", Some("bigpc"), Some("thr_123"), "continue that session on bigpc");
    clean.handoff("h2", Some("bigpc"), None, "and run the linter");
    clean.handoff("h3", Some("bigpc"), Some("thr_gone"), "the other session");
    clean.handoff("h4", None, None, "here on the laptop");
    clean.handoff("h5", Some("smallpc"), None, "somewhere else");
    // h5 names a server no list has: the router fails it, and the validator can only warn that it went unchecked.
    let rules: Vec<String> = validate(&clean.jsonl()).into_iter().map(|(_, rule)| rule).collect();
    assert_eq!(rules, ["flow/unattributed-handoff"], "capture:\n{}", clean.jsonl());

    let mut twice = Harness::new(Some(Sabotage::ResumeTwice));
    twice.handoff("h1", Some("bigpc"), Some("thr_123"), "continue");
    let diagnostics = validate(&twice.jsonl());
    let (findings, _) = twice.check();
    assert_eq!(diagnostics, [(findings[0].position, "flow/repeated-resume".to_owned())]);

    let mut scratch = Harness::new(Some(Sabotage::ScratchAfterFailedResume));
    scratch.handoff("h1", Some("bigpc"), Some("thr_gone"), "continue");
    let rules: Vec<String> = validate(&scratch.jsonl()).into_iter().map(|(_, rule)| rule).collect();
    assert_eq!(rules, ["flow/resume-failure-fallback", "flow/resume-failure-fallback"]);
}

#[test]
fn a_malformed_thread_id_from_the_model_is_answered_and_reported_once() {
    let mut harness = Harness::new(None);
    let message = serde_json::json!({"method": methods::THREAD_REALTIME_ITEM_ADDED, "params": {"threadId": "voice_1",
        "item": {"type": "handoff_request", "handoff_id": "h1", "item_id": "i1", "input_transcript": "continue",
            "active_transcript": [], "server": "bigpc", "thread_id": "thr 123; rm -rf"}}});
    harness.deliver(LOCAL, message);
    let summary: Vec<&str> = harness.sent().iter().map(|(_, method, _)| *method).collect();
    assert_eq!(summary, [methods::THREAD_REALTIME_RESOLVE_HANDOFF, methods::THREAD_REALTIME_FINALIZE_HANDOFF]);
    let (findings, _) = harness.check();
    assert_eq!(findings, []);
    // The validator reports the bad item itself (a schema violation on line 2, after the servers header), and
    // nothing about the flow.
    let diagnostics = validate(&harness.jsonl());
    assert_eq!(diagnostics, [(2, "schema".to_owned())], "capture:\n{}", harness.jsonl());
}
