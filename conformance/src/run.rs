//! One conformance run: a work directory, the scenarios in order, their captures checked and kept on request.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use handoff_validator::Schemas;

use crate::app_server::Launch;
use crate::capture::Recorder;
use crate::check::{CaptureError, CaptureFindings, check_capture};

/// The whole run must end within this, install excluded (the budget is 3 minutes on 2 cores).
pub const RUN_TIMEOUT: Duration = Duration::from_secs(170);
/// One scenario must end within this (each takes a few seconds; every wait in it is bounded on its own too). Three
/// of them fit in [`RUN_TIMEOUT`], so a stuck scenario is named as such rather than by the whole run's timeout.
pub const SCENARIO_TIMEOUT: Duration = Duration::from_secs(50);

/// What to run against.
#[derive(Debug, Clone)]
pub struct Options {
    /// The `codex` binary of the pinned release.
    pub codex: PathBuf,
    /// The release's version, for the report.
    pub version: String,
    /// Keep the work directory (captures, CODEX_HOMEs, server logs) here instead of deleting it.
    pub keep: Option<PathBuf>,
    /// Parent of the temporary work directory when `keep` is not given; must not be under /tmp.
    pub scratch_parent: PathBuf,
}

/// One scenario's result.
#[derive(Debug)]
pub struct ScenarioOutcome {
    pub name: &'static str,
    pub title: &'static str,
    /// What the real server did, one fact per line (printed).
    pub facts: Vec<String>,
    /// The capture file.
    pub capture: PathBuf,
    pub findings: CaptureFindings,
    /// How many of the validator's errors the scenario provoked on purpose (and expected).
    pub provoked_errors: usize,
    /// Why the scenario failed (naming scenario, step and frame); `None` when it passed.
    pub failure: Option<String>,
}

#[derive(Debug)]
pub struct RunSummary {
    pub scenarios: Vec<ScenarioOutcome>,
    pub elapsed: Duration,
    /// Where the captures are, when kept.
    pub kept: Option<PathBuf>,
}

impl RunSummary {
    pub fn failed(&self) -> usize {
        self.scenarios.iter().filter(|scenario| scenario.failure.is_some()).count()
    }
}

/// A validator error a scenario provokes on purpose at one frame (a request the client must not send, sent to
/// show what the real server answers): it must be reported exactly there, and it is then no failure.
#[derive(Debug, Clone)]
pub(crate) struct ProvokedError {
    /// The frame's capture line.
    pub line: u64,
    pub rule: &'static str,
    /// Why the frame breaks the rule, for the report.
    pub why: String,
}

/// Everything a scenario needs to start servers and mocks.
pub(crate) struct Workspace {
    pub root: PathBuf,
    pub codex: PathBuf,
}

impl Workspace {
    /// A fresh directory for scenario `name`: its CODEX_HOME, its working directory, its logs.
    pub fn scenario_dir(&self, name: &str) -> anyhow::Result<PathBuf> {
        let dir = self.root.join(name);
        for sub in ["home", "work"] {
            std::fs::create_dir_all(dir.join(sub)).with_context(|| format!("creating {}", dir.join(sub).display()))?;
        }
        Ok(dir)
    }

    /// The launch of an app-server for a scenario: mock model provider, realtime WebSocket mock, API keys.
    pub fn launch(&self, dir: &Path, log_name: &str, model_url: &str, voice_url: &str) -> Launch {
        let config = [
            "model=\"mock-model\"".to_owned(),
            "model_provider=\"mock\"".to_owned(),
            "model_providers.mock.name=\"conformance mock\"".to_owned(),
            format!("model_providers.mock.base_url=\"{model_url}\""),
            "model_providers.mock.wire_api=\"responses\"".to_owned(),
            "model_providers.mock.env_key=\"CONFORMANCE_MOCK_KEY\"".to_owned(),
            // A failing turn must fail now, not after retries with back-off.
            "model_providers.mock.request_max_retries=0".to_owned(),
            "model_providers.mock.stream_max_retries=0".to_owned(),
            "approval_policy=\"never\"".to_owned(),
            "sandbox_mode=\"read-only\"".to_owned(),
            format!("experimental_realtime_ws_base_url=\"{voice_url}\""),
            "realtime.version=\"v2\"".to_owned(),
            "realtime.type=\"conversational\"".to_owned(),
            "features.realtime_conversation=true".to_owned(),
        ];
        Launch {
            codex: self.codex.clone(),
            codex_home: dir.join("home"),
            workdir: dir.join("work"),
            config: config.to_vec(),
            env: vec![
                ("CONFORMANCE_MOCK_KEY".to_owned(), "conformance-key".to_owned()),
                ("OPENAI_API_KEY".to_owned(), "sk-conformance".to_owned()),
            ],
            stderr_log: dir.join(format!("{log_name}.stderr")),
        }
    }
}

/// Removes the scratch directory on every exit path unless the run keeps it.
struct Scratch {
    path: PathBuf,
    keep: bool,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Runs every scenario. Scenario failures are in the summary; `Err` means the run itself could not go on.
pub fn run(options: &Options) -> anyhow::Result<RunSummary> {
    let started = Instant::now();
    let (root, keep) = match &options.keep {
        Some(dir) => (dir.clone(), true),
        None => (options.scratch_parent.join(format!("conformance-run-{}", std::process::id())), false),
    };
    if root.starts_with("/tmp") {
        bail!(
            "the work directory {} is under /tmp, where the app-server refuses to work; pick another",
            root.display()
        );
    }
    if root.exists() {
        std::fs::remove_dir_all(&root).with_context(|| format!("emptying {}", root.display()))?;
    }
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    let scratch = Scratch { path: root.clone(), keep };
    let workspace = Workspace { root: root.clone(), codex: options.codex.clone() };
    let schemas = Schemas::canonical().map_err(anyhow::Error::msg)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let scenarios = runtime.block_on(async {
        tokio::time::timeout(RUN_TIMEOUT, run_scenarios(&workspace, &schemas))
            .await
            .unwrap_or_else(|_| bail!("the run took longer than {} s and was stopped", RUN_TIMEOUT.as_secs()))
    });
    // Child processes are killed when their handles drop; the runtime's shutdown drops every task holding one.
    runtime.shutdown_timeout(Duration::from_secs(5));
    let scenarios = scenarios?;
    // A failed run keeps its captures and server logs to look at.
    let kept = keep || scenarios.iter().any(|scenario| scenario.failure.is_some());
    let mut scratch = scratch;
    scratch.keep = kept;
    drop(scratch);
    Ok(RunSummary { scenarios, elapsed: started.elapsed(), kept: kept.then_some(root) })
}

async fn run_scenarios(workspace: &Workspace, schemas: &Schemas) -> anyhow::Result<Vec<ScenarioOutcome>> {
    use crate::{scenario_r as r, scenario_s as s, scenario_u as u};
    // Every scenario runs even when an earlier one failed: they share nothing, and all failures are worth seeing.
    let mut outcomes = Vec::new();
    let (recorder, mut facts) = (Recorder::new(r::SERVERS), Vec::new());
    let played = bounded(r::NAME, &recorder, SCENARIO_TIMEOUT, r::play(workspace, &recorder, &mut facts)).await;
    outcomes.push(finish(workspace, schemas, (r::NAME, r::TITLE), &recorder, facts, &[], played)?);
    let (recorder, mut facts) = (Recorder::new(s::SERVERS), Vec::new());
    let played = bounded(s::NAME, &recorder, SCENARIO_TIMEOUT, s::play(workspace, &recorder, &mut facts)).await;
    outcomes.push(finish(workspace, schemas, (s::NAME, s::TITLE), &recorder, facts, &[], played)?);
    let (recorder, mut facts, mut provoked) = (Recorder::new(u::SERVERS), Vec::new(), Vec::new());
    let played =
        bounded(u::NAME, &recorder, SCENARIO_TIMEOUT, u::play(workspace, &recorder, &mut facts, &mut provoked)).await;
    outcomes.push(finish(workspace, schemas, (u::NAME, u::TITLE), &recorder, facts, &provoked, played)?);
    Ok(outcomes)
}

/// A scenario's play, stopped after `limit` with an error naming the scenario and the last frame it recorded
/// (dropping the play kills its servers and mocks).
async fn bounded(
    scenario: &str,
    recorder: &Recorder,
    limit: Duration,
    play: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    match tokio::time::timeout(limit, play).await {
        Ok(played) => played,
        Err(_) => {
            let last = recorder.last().map_or_else(|| "nothing recorded yet".to_owned(), |frame| frame.describe());
            bail!("scenario {scenario}: did not finish within {limit:?} and was stopped; last frame: {last}")
        }
    }
}

/// Writes the capture (also when the scenario failed, to look at), then validates and decodes it. A failed step,
/// a validator error other than the `provoked` ones, a provoked one not reported, or a decode failure is the
/// scenario's failure; only I/O problems are errors of the run.
fn finish(
    workspace: &Workspace,
    schemas: &Schemas,
    (scenario, title): (&'static str, &'static str),
    recorder: &Recorder,
    mut facts: Vec<String>,
    provoked: &[ProvokedError],
    played: anyhow::Result<()>,
) -> anyhow::Result<ScenarioOutcome> {
    let file_name = format!("{}.jsonl", scenario.to_lowercase());
    let path = workspace.root.join(&file_name);
    let capture = recorder.text();
    std::fs::write(&path, &capture).with_context(|| format!("writing {}", path.display()))?;
    let findings = check_capture(schemas, &file_name, &capture)?;
    let Sorted { unexpected, reported, missed } = sort_errors(&findings.errors, provoked);
    for p in &reported {
        facts.push(format!("the validator reports {} at capture line {}, as it must: {}", p.rule, p.line, p.why));
    }
    let missed: Vec<String> =
        missed.iter().map(|p| format!("capture line {}: no {} ({})", p.line, p.rule, p.why)).collect();
    let provoked_errors = findings.errors.len() - unexpected.len();
    let failure = if let Err(error) = played {
        Some(format!("{error:#}"))
    } else if !unexpected.is_empty() {
        Some(format!(
            "scenario {scenario}, step 'validate the capture': the validator found {} error(s) in {}:\n  {}",
            unexpected.len(),
            path.display(),
            unexpected.join("\n  ")
        ))
    } else if !missed.is_empty() {
        Some(format!(
            "scenario {scenario}, step 'validate the capture': the validator missed {} provoked error(s) in {}:\n  {}",
            missed.len(),
            path.display(),
            missed.join("\n  ")
        ))
    } else if !findings.decode_failures.is_empty() {
        Some(format!(
            "scenario {scenario}, step 'decode with the generated types': {} frame(s) of {} did not decode:\n  {}",
            findings.decode_failures.len(),
            path.display(),
            findings.decode_failures.join("\n  ")
        ))
    } else {
        None
    };
    Ok(ScenarioOutcome { name: scenario, title, facts, capture: path, findings, provoked_errors, failure })
}

/// A capture's validator errors against the ones the scenario provoked.
struct Sorted<'a> {
    /// Errors nobody provoked: the scenario fails on them.
    unexpected: Vec<&'a str>,
    /// Provoked errors the validator reported at their frame.
    reported: Vec<&'a ProvokedError>,
    /// Provoked errors it did not report there: the scenario fails on them too.
    missed: Vec<&'a ProvokedError>,
}

fn sort_errors<'a>(errors: &'a [CaptureError], provoked: &'a [ProvokedError]) -> Sorted<'a> {
    let matches = |e: &CaptureError, p: &ProvokedError| e.line == p.line && e.rule == p.rule;
    let (reported, missed) = provoked.iter().partition(|p| errors.iter().any(|e| matches(e, p)));
    Sorted {
        unexpected: errors
            .iter()
            .filter(|e| !provoked.iter().any(|p| matches(e, p)))
            .map(|e| e.text.as_str())
            .collect(),
        reported,
        missed,
    }
}

/// Wraps a step's error with the scenario and step names.
pub(crate) fn in_step<T>(scenario: &str, step: &str, result: anyhow::Result<T>) -> anyhow::Result<T> {
    result.map_err(|error| anyhow::anyhow!("scenario {scenario}, step '{step}': {error:#}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::capture::{Dir, REALTIME};

    #[test]
    fn provoked_errors_must_be_reported_at_their_frame_and_excuse_nothing_else() {
        let error =
            |line: u64, rule: &str| CaptureError { line, rule: rule.to_owned(), text: format!("line {line} {rule}") };
        let provoke = |line: u64, rule: &'static str| ProvokedError { line, rule, why: "probe".to_owned() };
        let errors =
            [error(39, "flow/handoff-mode-mismatch"), error(40, "schema"), error(41, "flow/unresolved-handoff")];
        let provoked = [
            provoke(39, "flow/handoff-mode-mismatch"),
            provoke(41, "flow/handoff-mode-mismatch"),
            provoke(50, "flow/handoff-mode-mismatch"),
        ];
        let sorted = sort_errors(&errors, &provoked);
        assert_eq!(sorted.unexpected, ["line 40 schema", "line 41 flow/unresolved-handoff"]);
        assert_eq!(sorted.reported.iter().map(|p| p.line).collect::<Vec<_>>(), [39]);
        assert_eq!(sorted.missed.iter().map(|p| p.line).collect::<Vec<_>>(), [41, 50]);
        let clean = sort_errors(&errors[..1], &provoked[..1]);
        assert!(clean.unexpected.is_empty() && clean.missed.is_empty());
    }

    #[tokio::test]
    async fn a_stuck_scenario_is_stopped_naming_itself_and_its_last_frame() {
        let recorder = Recorder::new(&[("laptop", "laptop")]);
        recorder.record(Dir::Out, "laptop", json!({"id": 1, "method": "thread/start", "params": {}}));
        recorder.record(Dir::In, REALTIME, json!({"type": "session.updated"}));
        let stuck = std::future::pending::<anyhow::Result<()>>();
        let error = bounded("S", &recorder, Duration::from_millis(20), stuck).await.unwrap_err().to_string();
        assert!(error.starts_with("scenario S: did not finish within 20ms"), "{error}");
        assert!(error.contains("last frame: capture line 3: "), "{error}");
        assert!(error.contains("session.updated"), "{error}");
        let done = bounded("R", &recorder, Duration::from_secs(5), async { Ok(()) }).await;
        assert!(done.is_ok());
    }
}
