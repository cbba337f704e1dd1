//! Scenario U, upstream's own return path: `clientManagedHandoffs` on `thread/realtime/start`, then the client
//! speaks the result with `thread/realtime/appendText` / `appendSpeech`. It shows why the router cannot serve an
//! unpatched server without running the delegated work twice: the server still runs the delegated turn itself, on
//! the realtime thread; the flag only holds back the automatic output. It also records what the stock server
//! answers to the fork's `resolveHandoff` / `finalizeHandoff`.

use std::time::Duration;

use anyhow::{anyhow, ensure};
use serde_json::{Value, json};

use crate::app_server::AppServer;
use crate::capture::{Frame, Recorder};
use crate::mock_model::{ModelMock, Reply};
use crate::mock_voice::{VoiceMock, function_call_done};
use crate::run::{ProvokedError, Workspace, in_step};
use crate::scenario_r::{end_voice_session, start_realtime_with, start_thread};

pub(crate) const NAME: &str = "U";
pub(crate) const TITLE: &str = "upstream's own return path (clientManagedHandoffs + appendText/appendSpeech)";
const SERVER_ID: &str = "laptop";
pub(crate) const SERVERS: &[(&str, &str)] = &[(SERVER_ID, "laptop")];
const WAIT: Duration = Duration::from_secs(20);
const QUIET: Duration = Duration::from_secs(2);
const PROMPT: &str = "check the deploy status on bigpc";
const REPLY: &str = "The deploy finished at 12:00.";

/// `provoked`: the validator errors the probes of the fork's methods must cause (see [`ProvokedError`]).
pub(crate) async fn play(
    workspace: &Workspace,
    recorder: &Recorder,
    facts: &mut Vec<String>,
    provoked: &mut Vec<ProvokedError>,
) -> anyhow::Result<()> {
    let dir = workspace.scenario_dir(NAME)?;
    let model = ModelMock::start().await?;
    let mut voice = VoiceMock::start(recorder.clone()).await?;
    let launch = workspace.launch(&dir, "app-server", &model.base_url(), &voice.base_url());
    let mut server = in_step(NAME, "start the app-server", AppServer::start(SERVER_ID, &launch, recorder, 1).await)?;

    let voice_thread = in_step(NAME, "thread/start", start_thread(&mut server).await)?;
    let params = json!({"threadId": voice_thread, "outputModality": "text", "clientManagedHandoffs": true});
    in_step(
        NAME,
        "thread/realtime/start with clientManagedHandoffs",
        start_realtime_with(&mut server, &mut voice, params).await,
    )?;

    model.push(Reply::text(&[REPLY]));
    let call = json!({"prompt": PROMPT});
    in_step(
        NAME,
        "the model calls background_agent",
        voice.send(function_call_done("item_u_1", "call_u_1", "background_agent", &call)),
    )?;
    let step = "the server still runs the turn";
    let turn = in_step(NAME, step, server_turn(&mut server, &voice_thread, &model).await)?;
    facts.push(format!("with clientManagedHandoffs the server still ran the delegated turn on the realtime thread ({turn}): the model was asked once"));
    let step = "no automatic output";
    let sent = voice.drain(QUIET).await;
    in_step(NAME, step, no_output(&sent))?;
    facts.push(format!(
        "…and sent the realtime model nothing for it within {} s (no [BACKEND] item, no function_call_output)",
        QUIET.as_secs()
    ));

    let step = "appendText relays the result";
    let text = format!("Background result: {REPLY}");
    in_step(
        NAME,
        step,
        async {
            server
                .call("thread/realtime/appendText", json!({"threadId": voice_thread, "text": text}), WAIT)
                .await?
                .result()?;
            Ok(())
        }
        .await,
    )?;
    let relayed = in_step(NAME, step, voice.expect("conversation.item.create", WAIT).await)?;
    in_step(NAME, step, carries(&relayed, &text))?;
    facts.push(format!("appendText → the model gets conversation.item.create with the text (line {})", relayed.line));

    let step = "appendSpeech";
    let speech = "The deploy is done.";
    in_step(
        NAME,
        step,
        async {
            server
                .call("thread/realtime/appendSpeech", json!({"threadId": voice_thread, "text": speech}), WAIT)
                .await?
                .result()?;
            Ok(())
        }
        .await,
    )?;
    let spoken = voice.drain(QUIET).await;
    let kinds: Vec<String> =
        spoken.iter().map(|frame| format!("{} (line {})", frame.event_type().unwrap_or("?"), frame.line)).collect();
    in_step(
        NAME,
        step,
        if spoken.iter().any(|frame| frame.json.to_string().contains(speech)) {
            Ok(())
        } else {
            Err(anyhow!("appendSpeech reached the model as {kinds:?}, none carrying the text"))
        },
    )?;
    facts.push(format!("appendSpeech → the model gets: {}", kinds.join(", ")));

    // A client-managed session has no resolve/finalize: the probes break `flow/handoff-mode-mismatch` on purpose, to
    // record the stock server's answer, and the validator must say so at exactly these frames.
    for method in ["thread/realtime/resolveHandoff", "thread/realtime/finalizeHandoff"] {
        let step = format!("the stock server and {method}");
        let mut params = json!({"threadId": voice_thread});
        if method.ends_with("resolveHandoff") {
            params["toolCallOutput"] = json!(REPLY);
        }
        let (id, request) = in_step(NAME, &step, server.request(method, params).await)?;
        provoked.push(ProvokedError {
            line: request.line,
            rule: handoff_router::flow::FlowRule::HandoffModeMismatch.id(),
            why: format!("{method} in a client-managed session, sent to record the stock server's answer"),
        });
        let answer = in_step(NAME, &step, server.answer(&json!(id), method, WAIT).await)?;
        let error = in_step(
            NAME,
            &step,
            answer
                .error()
                .cloned()
                .ok_or_else(|| anyhow!("the stock server accepted {method} ({})", answer.frame.describe())),
        )?;
        // The message lists every method the server knows; its first clause says enough.
        let message = error["message"].as_str().unwrap_or_default();
        let first = message.split(", expected").next().unwrap_or(message);
        facts.push(format!("{method} → error {} {first:?} (the stock server does not have it)", error["code"]));
    }

    end_voice_session(NAME, server, &voice_thread, &model).await
}

async fn server_turn(server: &mut AppServer, voice_thread: &str, model: &ModelMock) -> anyhow::Result<String> {
    let on_voice = |method: &'static str| {
        move |frame: &Frame| {
            frame.method() == Some(method) && frame.json.pointer("/params/threadId") == Some(&json!(voice_thread))
        }
    };
    server
        .wait_for("the handoff_request item", WAIT, |frame| {
            frame.method() == Some("thread/realtime/itemAdded")
                && frame.json.pointer("/params/item/type") == Some(&json!("handoff_request"))
        })
        .await?;
    let started = server.wait_for("turn/started on the realtime thread", WAIT, on_voice("turn/started")).await?;
    let completed = server.wait_for("turn/completed on the realtime thread", WAIT, on_voice("turn/completed")).await?;
    let status = completed.json.pointer("/params/turn/status").and_then(Value::as_str).unwrap_or_default();
    ensure!(status == "completed", "the turn ended {status:?} ({})", completed.describe());
    ensure!(model.requests().len() == 1, "the model was asked {} times", model.requests().len());
    Ok(format!("turn/started line {}, turn/completed line {}", started.line, completed.line))
}

fn no_output(sent: &[Frame]) -> anyhow::Result<()> {
    let outputs: Vec<String> = sent
        .iter()
        .filter(|frame| {
            frame.event_type() == Some("conversation.item.create") || frame.event_type() == Some("response.create")
        })
        .map(Frame::describe)
        .collect();
    ensure!(
        outputs.is_empty(),
        "the server sent the turn's output although the client manages handoffs:\n  {}",
        outputs.join("\n  ")
    );
    Ok(())
}

fn carries(frame: &Frame, text: &str) -> anyhow::Result<()> {
    ensure!(frame.json.to_string().contains(text), "the item does not carry the appended text ({})", frame.describe());
    Ok(())
}
