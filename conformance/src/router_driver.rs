//! Drives the reference router (`handoff-router`) against the real app-server: handoff items go in, the router's
//! requests go to the real server, its answers and notifications come back. The voice side's
//! `thread/realtime/resolveHandoff` / `finalizeHandoff`, which the stock server does not have, go to a stand-in
//! that the harness answers with `{}`; its frames are recorded under the stand-in's own server id.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use handoff_router::{Action, ClientRequest, Input, Router};
use serde_json::{Value, json};

use crate::app_server::AppServer;
use crate::capture::{Dir, Frame, Recorder};

/// What one handoff did, in order.
#[derive(Debug, Default)]
pub struct HandoffRun {
    /// Requests the router sent to the real server: (method, the recorded frame).
    pub sent: Vec<(String, Frame)>,
    /// The real server's answers to them, in arrival order.
    pub answers: Vec<Frame>,
    /// Texts of the resolveHandoff requests sent to the stand-in.
    pub resolves: Vec<String>,
    pub finalizes: usize,
    /// Errors the router reported while the handoff ran.
    pub router_errors: Vec<String>,
}

impl HandoffRun {
    pub fn methods(&self) -> Vec<&str> {
        self.sent.iter().map(|(method, _)| method.as_str()).collect()
    }

    /// The answer frame to the request sent as `sent[index]`.
    pub fn answer_to(&self, index: usize) -> Option<&Frame> {
        let id = self.sent.get(index)?.1.json.get("id")?;
        self.answers.iter().find(|answer| answer.json.get("id") == Some(id))
    }
}

pub struct RouterDriver {
    pub router: Router,
    pub server: AppServer,
    recorder: Recorder,
    /// Server id of the stand-in for the voice side.
    stand_in: String,
    start: Instant,
}

impl RouterDriver {
    pub fn new(router: Router, server: AppServer, recorder: &Recorder, stand_in: &str) -> RouterDriver {
        RouterDriver {
            router,
            server,
            recorder: recorder.clone(),
            stand_in: stand_in.to_owned(),
            start: Instant::now(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// Delivers a `handoff_request` item as the patched server would send it (recorded as coming from the stand-in)
    /// and runs the handoff until the router finalized it, or `timeout` passed.
    pub async fn handoff(&mut self, item: Value, voice_thread: &str, timeout: Duration) -> anyhow::Result<HandoffRun> {
        let handoff_id = item["handoff_id"].as_str().unwrap_or_default().to_owned();
        let message =
            json!({"method": "thread/realtime/itemAdded", "params": {"threadId": voice_thread, "item": item}});
        let frame = self.recorder.record(Dir::In, &self.stand_in, message);
        let input = Input::from_server_message(&self.stand_in, &frame.json)
            .map_err(|error| anyhow!("the router refused the handoff item: {error} ({})", frame.describe()))?
            .ok_or_else(|| anyhow!("the router took the item for no handoff ({})", frame.describe()))?;
        let mut run = HandoffRun::default();
        let actions = self.router.handle(self.now_ms(), input);
        self.perform(actions, &mut run).await?;
        let deadline = tokio::time::Instant::now() + timeout;
        while self.router.open_handoffs().contains(&handoff_id.as_str()) {
            if tokio::time::Instant::now() >= deadline {
                bail!(
                    "handoff {handoff_id} still open after {} s (sent so far: {:?}){}",
                    timeout.as_secs(),
                    run.methods(),
                    self.server.stderr_tail()
                );
            }
            let Some(frame) = self.server.next(Duration::from_millis(250)).await else {
                let actions = self.router.handle(self.now_ms(), Input::Tick);
                self.perform(actions, &mut run).await?;
                continue;
            };
            self.deliver(frame, &mut run).await?;
        }
        Ok(run)
    }

    /// Feeds the router whatever the server sends within `window` (late notifications after a handoff ended).
    pub async fn settle(&mut self, window: Duration) -> anyhow::Result<HandoffRun> {
        let mut run = HandoffRun::default();
        for frame in self.server.drain(window).await {
            self.deliver(frame, &mut run).await?;
        }
        Ok(run)
    }

    async fn deliver(&mut self, frame: Frame, run: &mut HandoffRun) -> anyhow::Result<()> {
        let server = self.server.id().to_owned();
        let input = Input::from_server_message(&server, &frame.json).map_err(|error| {
            anyhow!("the router cannot read a frame of the real server: {error} ({})", frame.describe())
        })?;
        let Some(input) = input else { return Ok(()) };
        if matches!(input, Input::Response { .. } | Input::ErrorResponse { .. }) {
            run.answers.push(frame);
        }
        let actions = self.router.handle(self.now_ms(), input);
        self.perform(actions, run).await
    }

    /// Performs the router's actions; the stand-in's answers are fed back at once.
    async fn perform(&mut self, actions: Vec<Action>, run: &mut HandoffRun) -> anyhow::Result<()> {
        let mut queue: std::collections::VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            match action {
                Action::Send { server, id, request } => {
                    let message = request.to_message(&id)?;
                    if server == self.stand_in {
                        match &request {
                            ClientRequest::ResolveHandoff(params) => run.resolves.push(params.tool_call_output.clone()),
                            ClientRequest::FinalizeHandoff(_) => run.finalizes += 1,
                            other => bail!("the router sent {} to the voice stand-in", other.method()),
                        }
                        self.recorder.record(Dir::Out, &self.stand_in, message);
                        let answer = json!({"id": serde_json::to_value(&id)?, "result": {}});
                        self.recorder.record(Dir::In, &self.stand_in, answer.clone());
                        let input = Input::from_server_message(&self.stand_in, &answer)?
                            .ok_or_else(|| anyhow!("the stand-in's answer is no router input"))?;
                        queue.extend(self.router.handle(self.now_ms(), input));
                    } else if server == self.server.id() {
                        let frame = self.server.send(message).await?;
                        run.sent.push((request.method().to_owned(), frame));
                    } else {
                        bail!("the router addressed server {server:?}, which this scenario does not have");
                    }
                }
                Action::SetVoicePhase { .. } => {}
                Action::ReportError { message } => run.router_errors.push(message),
            }
        }
        Ok(())
    }
}
