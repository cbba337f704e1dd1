//! Scenario S, the seed flow against the real server: the router gets handoff items as the patched server sends
//! them (`server`, `thread_id`) and drives the REAL app-server. A thread is seeded, the server restarted (so the
//! thread is only in its rollout), then: resume → turn only after the answer → deltas streamed; a follow-up reuses
//! the thread without a second resume; no `thread_id` → the cached thread, and after the user switched context a new
//! one; an unknown `thread_id` → the real -32600 → fail closed; a failing model turn → error text.

use std::time::Duration;

use anyhow::{Context, anyhow, ensure};
use handoff_router::{Router, RouterConfig, ServerInfo};
use serde_json::{Value, json};

use crate::app_server::AppServer;
use crate::capture::Recorder;
use crate::mock_model::{ModelMock, Reply};
use crate::mock_voice::VoiceMock;
use crate::router_driver::{HandoffRun, RouterDriver};
use crate::run::{Workspace, in_step};

pub(crate) const NAME: &str = "S";
pub(crate) const TITLE: &str = "the seed flow, server side, for real";
const SERVER_ID: &str = "bigpc";
/// The voice side: the harness stands in for the patched server's resolveHandoff/finalizeHandoff.
const STAND_IN: &str = "voice-stand-in";
pub(crate) const SERVERS: &[(&str, &str)] =
    &[(STAND_IN, "phone (harness stand-in for the voice side)"), (SERVER_ID, "bigpc")];
const VOICE_THREAD: &str = "voice_conformance_1";
const WAIT: Duration = Duration::from_secs(20);

const SEED_PROMPT: &str = "remember the build flag CONFORMANCE_SEED_7";
const REPLY_1: [&str; 3] = ["Resumed: ", "the flag is ", "CONFORMANCE_SEED_7."];
/// A well-formed thread id that names no thread on the server.
const UNKNOWN_THREAD: &str = "00000000-0000-7000-8000-00000000dead";
const FAILURE: &str = "the model is unavailable (scripted conformance failure)";

pub(crate) async fn play(workspace: &Workspace, recorder: &Recorder, facts: &mut Vec<String>) -> anyhow::Result<()> {
    let dir = workspace.scenario_dir(NAME)?;
    let model = ModelMock::start().await?;
    // No realtime session runs on the real server here; the launch still needs a WebSocket URL.
    let voice = VoiceMock::start(recorder.clone()).await?;
    let launch = workspace.launch(&dir, "app-server", &model.base_url(), &voice.base_url());

    // The seed: a thread with one turn, then a restart so the thread lives only in its rollout.
    let mut first = in_step(NAME, "start the app-server", AppServer::start(SERVER_ID, &launch, recorder, 1).await)?;
    model.push(Reply::text(&["Noted: CONFORMANCE_SEED_7."]));
    let seeded = in_step(NAME, "seed a thread", seed_thread(&mut first).await)?;
    let next_id = first.next_id();
    in_step(NAME, "stop the app-server", first.stop().await)?;
    let restarted =
        in_step(NAME, "restart the app-server", AppServer::start(SERVER_ID, &launch, recorder, next_id).await)?;
    facts.push(format!("seeded thread {seeded} with one turn, restarted the server (same CODEX_HOME)"));

    let config =
        RouterConfig::new(vec![ServerInfo::new(STAND_IN, "phone"), ServerInfo::new(SERVER_ID, "bigpc")], STAND_IN)
            .ok_or_else(|| anyhow!("router config: the local server is not listed"))?;
    let mut driver = RouterDriver::new(Router::new(config), restarted, recorder, STAND_IN);

    // 1. thread_id of the stored thread: resume, and only after its answer the turn; deltas stream back.
    model.push(Reply::text(&REPLY_1));
    let step = "1 resume the stored thread";
    let run = in_step(
        NAME,
        step,
        driver.handoff(item("h1", "continue with the seed thread", Some(&seeded)), VOICE_THREAD, WAIT).await,
    )?;
    let fact = in_step(NAME, step, check_resume_then_turn(&run, &seeded, &model))?;
    facts.push(fact);

    // 2. a follow-up with the same thread_id: no second resume.
    model.push(Reply::text(&["Follow-up done."]));
    let step = "2 follow-up reuses the thread";
    let run = in_step(
        NAME,
        step,
        driver.handoff(item("h2", "and now the follow-up", Some(&seeded)), VOICE_THREAD, WAIT).await,
    )?;
    in_step(NAME, step, check_turn_only(&run, &seeded, "Follow-up done."))?;
    facts.push(format!("follow-up with the same thread_id: turn/start in {seeded} only (no second resume)"));

    // 3. no thread_id: the cached thread.
    model.push(Reply::text(&["Cached thread used."]));
    let step = "3 no thread_id uses the cached thread";
    let run = in_step(NAME, step, driver.handoff(item("h3", "one more thing", None), VOICE_THREAD, WAIT).await)?;
    in_step(NAME, step, check_turn_only(&run, &seeded, "Cached thread used."))?;
    facts.push(format!("no thread_id with a cached thread: turn/start in {seeded}"));

    // 4. the user switches context on bigpc (a thread/start of their own); no thread_id then means a new thread.
    let step = "4 no thread_id after a context switch starts a thread";
    let users = in_step(
        NAME,
        step,
        async {
            let answer = driver.server.call("thread/start", json!({}), WAIT).await?;
            let id = answer.result()?.pointer("/thread/id").and_then(Value::as_str).map(str::to_owned);
            id.ok_or_else(|| anyhow!("thread/start answer without thread.id ({})", answer.frame.describe()))
        }
        .await,
    )?;
    driver.router.handle(0, handoff_router::Input::ContextSwitched { server: SERVER_ID.to_owned() });
    model.push(Reply::text(&["New thread used."]));
    let run = in_step(NAME, step, driver.handoff(item("h4", "start something new", None), VOICE_THREAD, WAIT).await)?;
    let fresh = in_step(NAME, step, check_new_thread(&run, &seeded, &users))?;
    facts.push(format!("no thread_id after the user's own thread/start: thread/start → {fresh}, turn/start in it"));

    // 5. an unknown thread_id: the real -32600, fail closed.
    let step = "5 unknown thread_id fails closed";
    let requests_before = model.requests().len();
    let run = in_step(
        NAME,
        step,
        driver.handoff(item("h5", "continue the lost thread", Some(UNKNOWN_THREAD)), VOICE_THREAD, WAIT).await,
    )?;
    let error = in_step(NAME, step, check_fail_closed(&run, &model, requests_before))?;
    in_step(
        NAME,
        step,
        match driver.router.cached_thread(SERVER_ID) {
            Some(cached) if cached.as_str() == fresh => Ok(()),
            other => Err(anyhow!("the failed resume changed the cached thread to {other:?} (was {fresh})")),
        },
    )?;
    facts.push(format!("unknown thread_id: thread/resume answered {error}; resolved with the error text and finalized, no turn, no new thread"));

    // 6. a failing model turn: the error text reaches the voice side.
    model.push(Reply::Fail(FAILURE.to_owned()));
    let step = "6 failing model turn";
    let run = in_step(NAME, step, driver.handoff(item("h6", "this turn fails", None), VOICE_THREAD, WAIT).await)?;
    let text = in_step(NAME, step, check_failure_text(&run, &fresh))?;
    facts.push(format!("failing model turn: resolved with {text:?} and finalized"));
    let late = in_step(NAME, "late frames", driver.settle(Duration::from_millis(500)).await)?;
    in_step(NAME, "late frames", ensure_quiet(&late))?;

    facts.push(format!(
        "resolveHandoff/finalizeHandoff went to the harness stand-in `{STAND_IN}` (the stock server has no such methods)"
    ));
    in_step(NAME, "stop the app-server", driver.server.stop().await)?;
    let unexpected = model.unexpected();
    in_step(
        NAME,
        "model requests",
        if unexpected.is_empty() && model.pending() == 0 {
            Ok(())
        } else {
            Err(anyhow!("unexpected model requests: {:?}; scripted replies left: {}", unexpected, model.pending()))
        },
    )?;
    Ok(())
}

/// A `handoff_request` item as the patched server sends it: `server` and, when given, `thread_id`.
fn item(handoff_id: &str, prompt: &str, thread_id: Option<&str>) -> Value {
    let mut item = json!({"type": "handoff_request", "handoff_id": handoff_id, "item_id": format!("item_{handoff_id}"),
        "input_transcript": prompt, "active_transcript": [{"role": "user", "text": prompt}], "server": SERVER_ID});
    if let Some(thread) = thread_id {
        item["thread_id"] = json!(thread);
    }
    item
}

async fn seed_thread(server: &mut AppServer) -> anyhow::Result<String> {
    let thread = crate::scenario_r::start_thread(server).await?;
    let input = json!([{"type": "text", "text": SEED_PROMPT}]);
    server.call("turn/start", json!({"threadId": thread, "input": input}), WAIT).await?.result()?;
    let completed = server
        .wait_for("turn/completed of the seed turn", WAIT, |frame| {
            frame.method() == Some("turn/completed") && frame.json.pointer("/params/threadId") == Some(&json!(thread))
        })
        .await?;
    let status = completed.json.pointer("/params/turn/status").and_then(Value::as_str).unwrap_or_default();
    ensure!(status == "completed", "the seed turn ended {status:?} ({})", completed.describe());
    Ok(thread)
}

fn check_router_quiet(run: &HandoffRun) -> anyhow::Result<()> {
    ensure!(run.router_errors.is_empty(), "the router reported: {}", run.router_errors.join("; "));
    ensure!(run.finalizes == 1, "{} finalizeHandoff for one handoff", run.finalizes);
    ensure!(!run.resolves.is_empty(), "finalized without a resolveHandoff");
    Ok(())
}

fn check_resume_then_turn(run: &HandoffRun, seeded: &str, model: &ModelMock) -> anyhow::Result<String> {
    check_router_quiet(run)?;
    ensure!(run.methods() == ["thread/resume", "turn/start"], "the router sent {:?}", run.methods());
    let (_, resume) = &run.sent[0];
    ensure!(
        resume.json.pointer("/params/threadId") == Some(&json!(seeded)),
        "resume of the wrong thread ({})",
        resume.describe()
    );
    let answer = run.answer_to(0).context("the resume was never answered")?;
    let resumed = answer.json.pointer("/result/thread/id").and_then(Value::as_str);
    ensure!(resumed == Some(seeded), "the resume answer is not the seeded thread ({})", answer.describe());
    let turns = answer.json.pointer("/result/thread/turns").and_then(Value::as_array).map_or(0, Vec::len);
    let (_, turn) = &run.sent[1];
    ensure!(
        answer.line < turn.line,
        "turn/start (line {}) was sent before the resume answer (line {})",
        turn.line,
        answer.line
    );
    ensure!(
        turn.json.pointer("/params/threadId") == Some(&json!(seeded)),
        "turn/start in the wrong thread ({})",
        turn.describe()
    );
    // The resumed thread's history (loaded from the rollout) goes to the model with the new turn.
    let last_request = model.requests().last().cloned().unwrap_or_default().to_string();
    ensure!(last_request.contains(SEED_PROMPT), "the model request of the resumed turn lacks the seed turn's history");
    let expected: Vec<String> = (1..=REPLY_1.len()).map(|n| REPLY_1[..n].concat()).collect();
    ensure!(
        run.resolves == expected,
        "resolveHandoff texts {:?}, expected the growing reply {:?}",
        run.resolves,
        expected
    );
    Ok(format!(
        "thread_id after restart: thread/resume (line {}) answered from the rollout with {turns} turn(s) (line {}), then turn/start (line {}); {} deltas → {} resolveHandoff with the growing reply, one finalize",
        resume.line,
        answer.line,
        turn.line,
        REPLY_1.len(),
        run.resolves.len()
    ))
}

fn check_turn_only(run: &HandoffRun, thread: &str, reply: &str) -> anyhow::Result<()> {
    check_router_quiet(run)?;
    ensure!(run.methods() == ["turn/start"], "the router sent {:?}", run.methods());
    let (_, turn) = &run.sent[0];
    ensure!(
        turn.json.pointer("/params/threadId") == Some(&json!(thread)),
        "turn/start in the wrong thread ({})",
        turn.describe()
    );
    ensure!(run.resolves.last().map(String::as_str) == Some(reply), "resolved {:?}, expected {reply:?}", run.resolves);
    Ok(())
}

fn check_new_thread(run: &HandoffRun, seeded: &str, users: &str) -> anyhow::Result<String> {
    check_router_quiet(run)?;
    ensure!(run.methods() == ["thread/start", "turn/start"], "the router sent {:?}", run.methods());
    let answer = run.answer_to(0).context("thread/start was never answered")?;
    let fresh = answer.json.pointer("/result/thread/id").and_then(Value::as_str).unwrap_or_default().to_owned();
    ensure!(fresh != seeded && fresh != users, "thread/start returned an old thread ({})", answer.describe());
    let (_, turn) = &run.sent[1];
    ensure!(
        answer.line < turn.line,
        "turn/start (line {}) before the thread/start answer (line {})",
        turn.line,
        answer.line
    );
    ensure!(
        turn.json.pointer("/params/threadId") == Some(&json!(fresh)),
        "turn/start not in the new thread ({})",
        turn.describe()
    );
    ensure!(run.resolves.last().map(String::as_str) == Some("New thread used."), "resolved {:?}", run.resolves);
    Ok(fresh)
}

fn check_fail_closed(run: &HandoffRun, model: &ModelMock, requests_before: usize) -> anyhow::Result<String> {
    check_router_quiet(run)?;
    ensure!(run.methods() == ["thread/resume"], "the router sent {:?} (must be the resume only)", run.methods());
    let answer = run.answer_to(0).context("the resume was never answered")?;
    let error =
        answer.json.get("error").with_context(|| format!("the unknown thread resumed ({})", answer.describe()))?;
    ensure!(error["code"] == -32600, "error code {} instead of -32600 ({})", error["code"], answer.describe());
    let message = error["message"].as_str().unwrap_or_default();
    ensure!(message.contains(UNKNOWN_THREAD), "the error does not name the thread ({})", answer.describe());
    ensure!(run.resolves.len() == 1, "{} resolveHandoff for a failed resume", run.resolves.len());
    let text = &run.resolves[0];
    ensure!(text.starts_with("Error:") && text.contains(UNKNOWN_THREAD) && text.contains(message), "resolved {text:?}");
    ensure!(model.requests().len() == requests_before, "the model was asked although no turn may run");
    Ok(format!("-32600 {message:?}"))
}

fn check_failure_text(run: &HandoffRun, thread: &str) -> anyhow::Result<String> {
    ensure!(run.finalizes == 1, "{} finalizeHandoff for one handoff", run.finalizes);
    ensure!(run.methods() == ["turn/start"], "the router sent {:?}", run.methods());
    let (_, turn) = &run.sent[0];
    ensure!(
        turn.json.pointer("/params/threadId") == Some(&json!(thread)),
        "turn/start in the wrong thread ({})",
        turn.describe()
    );
    let text = run.resolves.last().cloned().unwrap_or_default();
    ensure!(
        text.starts_with("Error") && text.contains(FAILURE),
        "resolved {:?}, expected an error text with {FAILURE:?}",
        run.resolves
    );
    Ok(text)
}

fn ensure_quiet(late: &HandoffRun) -> anyhow::Result<()> {
    ensure!(
        late.sent.is_empty() && late.resolves.is_empty(),
        "the router sent requests after the last handoff: {:?}",
        late.methods()
    );
    Ok(())
}
