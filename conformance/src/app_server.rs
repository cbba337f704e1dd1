//! The real `codex app-server` as a child process on stdio (JSON Lines), every frame recorded.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

use crate::capture::{Dir, Frame, Recorder};

/// How to start one app-server process.
#[derive(Debug, Clone)]
pub struct Launch {
    pub codex: PathBuf,
    /// `CODEX_HOME`: a fresh directory per server, kept across a restart.
    pub codex_home: PathBuf,
    /// Working directory (outside /tmp: the server refuses to put helper binaries under a temporary dir).
    pub workdir: PathBuf,
    /// `-c key=value` overrides.
    pub config: Vec<String>,
    /// Environment variables on top of a minimal inherited set.
    pub env: Vec<(String, String)>,
    /// Where the server's stderr goes (for failure messages).
    pub stderr_log: PathBuf,
}

/// One running app-server.
pub struct AppServer {
    id: String,
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: mpsc::UnboundedReceiver<Frame>,
    /// Frames received but not yet consumed by a wait.
    backlog: VecDeque<Frame>,
    recorder: Recorder,
    next_id: i64,
    stderr_log: PathBuf,
}

impl AppServer {
    /// Starts the server, records its frames under `id`, and completes the `initialize` handshake. Request ids start
    /// at `first_id`, so a restarted server in the same capture never reuses an id.
    pub async fn start(id: &str, launch: &Launch, recorder: &Recorder, first_id: i64) -> anyhow::Result<AppServer> {
        let stderr = std::fs::File::create(&launch.stderr_log)
            .with_context(|| format!("creating {}", launch.stderr_log.display()))?;
        let mut command = Command::new(&launch.codex);
        command.arg("app-server");
        for setting in &launch.config {
            command.arg("-c").arg(setting);
        }
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &launch.codex_home)
            .env("CODEX_HOME", &launch.codex_home)
            .envs(launch.env.iter().map(|(key, value)| (key, value)))
            .current_dir(&launch.workdir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .kill_on_drop(true);
        let mut child = command.spawn().with_context(|| format!("starting {} app-server", launch.codex.display()))?;
        let stdout = child.stdout.take().context("app-server stdout")?;
        let stdin = child.stdin.take();
        let (sender, incoming) = mpsc::unbounded_channel();
        let reader_recorder = recorder.clone();
        let server_id = id.to_owned();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if line.trim().is_empty() {
                    continue;
                }
                // A line that is not JSON is still recorded (as a string), so the validator reports it.
                let json = serde_json::from_str(&line).unwrap_or(Value::String(line));
                let frame = reader_recorder.record(Dir::In, &server_id, json);
                if sender.send(frame).is_err() {
                    return;
                }
            }
        });
        let mut server = AppServer {
            id: id.to_owned(),
            child,
            stdin,
            incoming,
            backlog: VecDeque::new(),
            recorder: recorder.clone(),
            next_id: first_id,
            stderr_log: launch.stderr_log.clone(),
        };
        let init = json!({"clientInfo": {"name": "handoff-conformance", "version": env!("CARGO_PKG_VERSION")},
                          "capabilities": {"experimentalApi": true}});
        server.call("initialize", init, Duration::from_secs(20)).await?.result().context("initialize")?;
        server.send(json!({"method": "initialized"})).await?;
        Ok(server)
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The next request id this server would use.
    pub fn next_id(&self) -> i64 {
        self.next_id
    }

    /// Writes one message and records it.
    pub async fn send(&mut self, message: Value) -> anyhow::Result<Frame> {
        let mut line = message.to_string();
        line.push('\n');
        let frame = self.recorder.record(Dir::Out, &self.id, message);
        let stdin = self.stdin.as_mut().context("the app-server's stdin is closed")?;
        let written = match stdin.write_all(line.as_bytes()).await {
            Ok(()) => stdin.flush().await,
            Err(error) => Err(error),
        };
        written.with_context(|| self.died("writing to"))?;
        Ok(frame)
    }

    /// Sends a request with the next integer id and returns that id.
    pub async fn request(&mut self, method: &str, params: Value) -> anyhow::Result<(i64, Frame)> {
        let id = self.next_id;
        self.next_id += 1;
        let frame = self.send(json!({"id": id, "method": method, "params": params})).await?;
        Ok((id, frame))
    }

    /// Sends a request and waits for its answer (other frames stay in the backlog).
    pub async fn call(&mut self, method: &str, params: Value, timeout: Duration) -> anyhow::Result<Answer> {
        let (id, _) = self.request(method, params).await?;
        self.answer(&json!(id), method, timeout).await
    }

    /// Waits for the answer to request `id`.
    pub async fn answer(&mut self, id: &Value, method: &str, timeout: Duration) -> anyhow::Result<Answer> {
        let what = format!("the answer to {method} (id {id})");
        let frame =
            self.wait_for(&what, timeout, |frame| frame.json.get("id") == Some(id) && frame.method().is_none()).await?;
        Ok(Answer { method: method.to_owned(), frame })
    }

    /// Takes the first frame (backlog first, then new ones) that `matches`; others stay in the backlog.
    pub async fn wait_for(
        &mut self,
        what: &str,
        timeout: Duration,
        matches: impl Fn(&Frame) -> bool,
    ) -> anyhow::Result<Frame> {
        if let Some(at) = self.backlog.iter().position(&matches) {
            return Ok(self.backlog.remove(at).expect("position is in range"));
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.incoming.recv()).await {
                Ok(Some(frame)) if matches(&frame) => return Ok(frame),
                Ok(Some(frame)) => self.backlog.push_back(frame),
                Ok(None) => bail!("{}", self.died(&format!("waiting for {what} from"))),
                Err(_) => bail!(
                    "no {what} from app-server `{}` within {} s{}",
                    self.id,
                    timeout.as_secs(),
                    self.stderr_tail()
                ),
            }
        }
    }

    /// The next frame (backlog first), or `None` after `timeout`.
    pub async fn next(&mut self, timeout: Duration) -> Option<Frame> {
        if let Some(frame) = self.backlog.pop_front() {
            return Some(frame);
        }
        tokio::time::timeout(timeout, self.incoming.recv()).await.ok().flatten()
    }

    /// Every frame that arrives within `window`, backlog included.
    pub async fn drain(&mut self, window: Duration) -> Vec<Frame> {
        let mut frames: Vec<Frame> = self.backlog.drain(..).collect();
        let deadline = tokio::time::Instant::now() + window;
        while let Ok(Some(frame)) =
            tokio::time::timeout(deadline.saturating_duration_since(tokio::time::Instant::now()), self.incoming.recv())
                .await
        {
            frames.push(frame);
        }
        frames
    }

    /// Closes stdin (the server exits on EOF), waits a little, then kills it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        drop(self.stdin.take());
        match tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => {
                self.child.kill().await?;
            }
        }
        // Frames written before the exit are still recorded by the reader task; let it drain.
        while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(200), self.incoming.recv()).await {}
        Ok(())
    }

    fn died(&self, doing: &str) -> String {
        format!("{doing} app-server `{}`, which has closed its output{}", self.id, self.stderr_tail())
    }

    /// The end of the server's stderr, for failure messages.
    pub fn stderr_tail(&self) -> String {
        stderr_tail(&self.stderr_log)
    }
}

fn stderr_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return String::new();
    }
    let tail = lines[lines.len().saturating_sub(8)..].join("\n  ");
    format!("; its stderr ends:\n  {tail}")
}

/// A response or error frame, with the method it answers.
#[derive(Debug, Clone)]
pub struct Answer {
    pub method: String,
    pub frame: Frame,
}

impl Answer {
    /// The result, or an error naming the JSON-RPC error.
    pub fn result(&self) -> anyhow::Result<&Value> {
        if let Some(error) = self.frame.json.get("error") {
            return Err(anyhow!("{} was answered with an error: {error} ({})", self.method, self.frame.describe()));
        }
        self.frame
            .json
            .get("result")
            .ok_or_else(|| anyhow!("{} answer has neither result nor error ({})", self.method, self.frame.describe()))
    }

    /// The JSON-RPC error object, if the request failed.
    pub fn error(&self) -> Option<&Value> {
        self.frame.json.get("error")
    }
}
