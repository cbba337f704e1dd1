//! Scenario R, the real item: the voice model calls `background_agent`; the real server's `handoff_request` item,
//! its automatic turn on the realtime thread and the output it sends back to the model. Then a call named `codex`
//! carrying `server` and `thread_id`, and what the real server does with it.

use std::time::Duration;

use anyhow::{Context, anyhow, bail, ensure};
use codex_handoff_contract::{RealtimeItem, ThreadRealtimeItemAddedNotification};
use serde_json::{Value, json};

use crate::app_server::AppServer;
use crate::capture::{Frame, Recorder};
use crate::mock_model::{ModelMock, Reply};
use crate::mock_voice::{VoiceMock, function_call_done, open_session};
use crate::run::{Workspace, in_step};

pub(crate) const NAME: &str = "R";
pub(crate) const TITLE: &str = "the real handoff item";
pub(crate) const SERVER_ID: &str = "laptop";
pub(crate) const SERVERS: &[(&str, &str)] = &[(SERVER_ID, "laptop")];
const WAIT: Duration = Duration::from_secs(20);
/// How long "nothing happens" is watched for after the `codex` call.
const QUIET: Duration = Duration::from_secs(3);

const PROMPT: &str = "run the unit tests and tell me what failed";
const REPLY: [&str; 3] = ["All 42 tests ", "pass; nothing ", "failed."];

pub(crate) async fn play(workspace: &Workspace, recorder: &Recorder, facts: &mut Vec<String>) -> anyhow::Result<()> {
    let dir = workspace.scenario_dir(NAME)?;
    let model = ModelMock::start().await?;
    let mut voice = VoiceMock::start(recorder.clone()).await?;
    let launch = workspace.launch(&dir, "app-server", &model.base_url(), &voice.base_url());
    let mut server = in_step(NAME, "start the app-server", AppServer::start(SERVER_ID, &launch, recorder, 1).await)?;

    let voice_thread = in_step(NAME, "thread/start", start_thread(&mut server).await)?;
    let update = in_step(NAME, "thread/realtime/start", start_realtime(&mut server, &mut voice, &voice_thread).await)?;
    let tools = in_step(NAME, "session.update tools", declared_tools(&update))?;
    facts.push(format!(
        "session.update declares the tools: {}: the contract's tools `declared_by: app-server`, each with the parameters of its arguments def",
        tools.join(", ")
    ));

    model.push(Reply::text(&REPLY));
    in_step(NAME, "the model calls background_agent", {
        voice
            .send(json!({"type": "conversation.item.input_audio_transcription.completed", "item_id": "item_user_1",
            "content_index": 0, "transcript": PROMPT}))?;
        voice.send(function_call_done("item_bg_1", "call_bg_1", "background_agent", &json!({"prompt": PROMPT})))
    })?;
    let item = in_step(NAME, "the handoff_request item", handoff_item(&mut server, &voice_thread).await)?;
    facts.push(format!(
        "background_agent → thread/realtime/itemAdded handoff_request ({}), no server, no thread_id",
        item.line
    ));

    let turn = in_step(NAME, "the automatic turn", automatic_turn(&mut server, &voice_thread, &model).await)?;
    facts.push(format!("the server ran the delegated turn itself on the realtime thread {voice_thread} ({turn})"));
    let output = in_step(NAME, "the output sent to the model", output_to_model(&mut voice).await)?;
    facts.push(format!("the server answered the model: {output}"));

    let codex_call = json!({"prompt": "continue the refactor", "server": "bigpc", "thread_id": "thr_conformance_1"});
    in_step(
        NAME,
        "the model calls codex",
        voice.send(function_call_done("item_codex_1", "call_codex_1", "codex", &codex_call)),
    )?;
    let ignored =
        in_step(NAME, "what the server does with codex", codex_ignored(&mut server, &mut voice, &model).await)?;
    facts.push(ignored);

    end_voice_session(NAME, server, &voice_thread, &model).await
}

/// The end of a scenario with a voice session: stop it, stop the app-server, and fail on any model request the
/// scenario did not script.
pub(crate) async fn end_voice_session(
    scenario: &str,
    mut server: AppServer,
    voice_thread: &str,
    model: &ModelMock,
) -> anyhow::Result<()> {
    in_step(
        scenario,
        "thread/realtime/stop",
        async {
            server.call("thread/realtime/stop", json!({"threadId": voice_thread}), WAIT).await?.result()?;
            Ok(())
        }
        .await,
    )?;
    in_step(scenario, "stop the app-server", server.stop().await)?;
    let unexpected = model.unexpected();
    in_step(
        scenario,
        "model requests",
        if unexpected.is_empty() {
            Ok(())
        } else {
            Err(anyhow!("unexpected model requests: {}", unexpected.join("; ")))
        },
    )
}

pub(crate) async fn start_thread(server: &mut AppServer) -> anyhow::Result<String> {
    let answer = server.call("thread/start", json!({}), WAIT).await?;
    let id = answer.result()?.pointer("/thread/id").and_then(Value::as_str);
    id.map(str::to_owned).ok_or_else(|| anyhow!("thread/start result has no thread.id ({})", answer.frame.describe()))
}

/// Starts realtime on `thread`, answers the model's session set-up and returns the server's `session.update`.
pub(crate) async fn start_realtime(
    server: &mut AppServer,
    voice: &mut VoiceMock,
    thread: &str,
) -> anyhow::Result<Frame> {
    start_realtime_with(server, voice, json!({"threadId": thread, "outputModality": "text"})).await
}

pub(crate) async fn start_realtime_with(
    server: &mut AppServer,
    voice: &mut VoiceMock,
    params: Value,
) -> anyhow::Result<Frame> {
    server.call("thread/realtime/start", params, WAIT).await?.result()?;
    let update = open_session(voice, WAIT).await?;
    let handshake = voice.handshakes().into_iter().last().context("no WebSocket handshake recorded")?;
    ensure!(
        handshake.target.starts_with("/v1/realtime"),
        "the server opened {} instead of /v1/realtime",
        handshake.target
    );
    ensure!(handshake.has_bearer, "the server's WebSocket handshake carries no Bearer authorization");
    Ok(update)
}

/// The tools the stock server declares are exactly the contract's tools `declared_by: app-server`, each with the
/// parameters the contract renders from its arguments def (the prose of the descriptions aside: the contract words
/// them itself); `background_agent` takes `prompt` only; no `codex`.
fn declared_tools(update: &Frame) -> anyhow::Result<Vec<String>> {
    let tools = update.json.pointer("/session/tools").and_then(Value::as_array);
    let tools = tools.ok_or_else(|| anyhow!("session.update has no session.tools ({})", update.describe()))?;
    let names: Vec<String> = tools.iter().filter_map(|tool| tool["name"].as_str().map(str::to_owned)).collect();
    ensure!(
        !names.iter().any(|name| name == "codex"),
        "the stock server declares a `codex` tool ({})",
        update.describe()
    );
    let contract = handoff_schema::Contract::canonical().map_err(|error| anyhow!("the contract: {error}"))?;
    let server_declared: Vec<&str> =
        contract.ir.realtime_tools.iter().filter(|t| !t.offered()).map(|t| t.name.as_str()).collect();
    ensure!(
        names == server_declared,
        "the server declares {names:?}; the contract lists {server_declared:?} as declared by the app-server ({})",
        update.describe()
    );
    for declared in tools {
        let name = declared["name"].as_str().unwrap_or_default();
        let tool = contract.ir.realtime_tool(name).with_context(|| format!("the contract lacks `{name}`"))?;
        let ours = handoff_codegen::realtime::parameters_schema(&contract.ir, tool)
            .map_err(|error| anyhow!("rendering the contract's `{name}` parameters: {error}"))?;
        let theirs = declared.get("parameters").cloned().unwrap_or_default();
        ensure!(
            without_descriptions(&theirs) == without_descriptions(&ours),
            "the server's `{name}` parameters {theirs} differ from the contract's {} {ours} ({})",
            tool.arguments,
            update.describe()
        );
    }
    let background = tools.iter().find(|tool| tool["name"] == "background_agent");
    let members: Vec<&str> = background
        .and_then(|tool| tool.pointer("/parameters/properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    ensure!(members == ["prompt"], "background_agent takes {members:?}, not just `prompt` ({})", update.describe());
    Ok(names)
}

/// A JSON Schema with every `description` keyword removed, to compare structure only (a member named
/// `description` under `properties` stays).
fn without_descriptions(schema: &Value) -> Value {
    let Value::Object(object) = schema else { return schema.clone() };
    let mut kept = serde_json::Map::new();
    for (key, value) in object {
        match (key.as_str(), value) {
            ("description", _) => {}
            ("properties", Value::Object(members)) => {
                let members = members.iter().map(|(name, member)| (name.clone(), without_descriptions(member)));
                kept.insert(key.clone(), Value::Object(members.collect()));
            }
            (_, Value::Array(items)) => {
                kept.insert(key.clone(), Value::Array(items.iter().map(without_descriptions).collect()));
            }
            _ => {
                kept.insert(key.clone(), without_descriptions(value));
            }
        }
    }
    Value::Object(kept)
}

/// The `handoff_request` item on the voice thread, decoded with the generated types.
async fn handoff_item(server: &mut AppServer, voice_thread: &str) -> anyhow::Result<Frame> {
    let frame = server
        .wait_for("a thread/realtime/itemAdded handoff_request", WAIT, |frame| {
            frame.method() == Some("thread/realtime/itemAdded")
                && frame.json.pointer("/params/item/type") == Some(&json!("handoff_request"))
        })
        .await?;
    let params = frame.json.get("params").cloned().unwrap_or_default();
    let added: ThreadRealtimeItemAddedNotification = serde_json::from_value(params).map_err(|error| {
        anyhow!("does not decode as ThreadRealtimeItemAddedNotification: {error} ({})", frame.describe())
    })?;
    let RealtimeItem::HandoffRequest(handoff) = added.item else {
        bail!("the item did not decode as RealtimeHandoffRequested ({})", frame.describe());
    };
    ensure!(
        added.thread_id.as_str() == voice_thread,
        "itemAdded names thread {} ({})",
        added.thread_id,
        frame.describe()
    );
    ensure!(
        handoff.handoff_id == "call_bg_1",
        "handoff_id is {:?}, not the call id ({})",
        handoff.handoff_id,
        frame.describe()
    );
    ensure!(handoff.item_id == "item_bg_1", "item_id is {:?}, not the item id ({})", handoff.item_id, frame.describe());
    ensure!(
        handoff.input_transcript == PROMPT,
        "input_transcript is {:?} ({})",
        handoff.input_transcript,
        frame.describe()
    );
    let raw = &frame.json["params"]["item"];
    ensure!(
        raw.get("server").is_none()
            && raw.get("thread_id").is_none()
            && handoff.server.is_none()
            && handoff.thread_id.is_none(),
        "the stock item carries server or thread_id ({})",
        frame.describe()
    );
    Ok(frame)
}

/// The server's own turn on the voice thread: started, the model asked once, completed.
async fn automatic_turn(server: &mut AppServer, voice_thread: &str, model: &ModelMock) -> anyhow::Result<String> {
    let on_voice = |method: &'static str| {
        move |frame: &Frame| {
            frame.method() == Some(method) && frame.json.pointer("/params/threadId") == Some(&json!(voice_thread))
        }
    };
    let started = server.wait_for("turn/started on the realtime thread", WAIT, on_voice("turn/started")).await?;
    let completed = server.wait_for("turn/completed on the realtime thread", WAIT, on_voice("turn/completed")).await?;
    let status = completed.json.pointer("/params/turn/status").and_then(Value::as_str).unwrap_or_default();
    ensure!(status == "completed", "the automatic turn ended {status:?} ({})", completed.describe());
    let requests = model.requests();
    ensure!(requests.len() == 1, "the model was asked {} times for one delegated turn", requests.len());
    ensure!(requests[0].to_string().contains(PROMPT), "the model request does not carry the prompt");
    Ok(format!("turn/started line {}, turn/completed line {}", started.line, completed.line))
}

/// What the server sends the realtime model after its turn: progress items, the function_call_output, response.create.
async fn output_to_model(voice: &mut VoiceMock) -> anyhow::Result<String> {
    let mut seen = Vec::new();
    let mut messages = Vec::new();
    let output = loop {
        let frame = voice.expect("conversation.item.create", WAIT).await?;
        let item = &frame.json["item"];
        if item["type"] == "function_call_output" {
            ensure!(
                item["call_id"] == "call_bg_1",
                "function_call_output for {} ({})",
                item["call_id"],
                frame.describe()
            );
            break frame;
        }
        seen.push(format!("{} item (line {})", item["type"].as_str().unwrap_or("?"), frame.line));
        messages.push(frame);
    };
    // The reply itself travels in the items before the output ([BACKEND] messages); the output only closes the call.
    let reply = REPLY.concat();
    let text = output.json.pointer("/item/output").and_then(Value::as_str).unwrap_or_default().to_owned();
    let carried = messages.iter().any(|frame| frame.json.to_string().contains(&reply))
        || output.json.to_string().contains(&reply);
    ensure!(
        carried,
        "neither the function_call_output nor the items before it carry the turn's reply ({})",
        output.describe()
    );
    let create = voice.expect("response.create", WAIT).await?;
    Ok(format!(
        "{}function_call_output (line {}) {text:?}, then response.create (line {})",
        if seen.is_empty() { String::new() } else { format!("{} carrying the reply, ", seen.join(", ")) },
        output.line,
        create.line
    ))
}

/// The `codex` call with `server`/`thread_id`: watched for a while; the stock server does nothing with it.
async fn codex_ignored(server: &mut AppServer, voice: &mut VoiceMock, model: &ModelMock) -> anyhow::Result<String> {
    let before = model.requests().len();
    let (from_server, to_model) = tokio::join!(server.drain(QUIET), voice.drain(QUIET));
    let reactions: Vec<String> = from_server
        .iter()
        .filter(|frame| matches!(frame.method(), Some("thread/realtime/itemAdded" | "turn/started" | "item/tool/call")))
        .map(Frame::describe)
        .collect();
    ensure!(reactions.is_empty(), "the server reacted to the codex call:\n  {}", reactions.join("\n  "));
    let answers: Vec<String> = to_model.iter().map(Frame::describe).collect();
    ensure!(answers.is_empty(), "the server answered the codex call to the model:\n  {}", answers.join("\n  "));
    ensure!(model.requests().len() == before, "the codex call made the server ask the model");
    Ok(format!(
        "codex {{prompt, server, thread_id}} → ignored: no item, no turn, nothing back to the model within {} s ({} other frame(s) from the server)",
        QUIET.as_secs(),
        from_server.len()
    ))
}
