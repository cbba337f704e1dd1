//! `cargo xtask bench [--size-mb N] [--mix messages|audio|varied | --replay FILE] [--runs N]`: throughput and peak
//! memory of the validator against the parse floor, measured in the same run.
//!
//! Writes a capture to a temp file (a deterministic, flow-correct synthetic mix, or a recorded capture repeated up to
//! the size with its request ids renumbered so it stays clean), builds the validator in release mode and runs it as
//! a child process, alternating with the floor (`--floor`: serde_json parses every line into `IgnoredAny` through a
//! buffered reader, the least any JSON validator must do): `--runs` times each, with the machine's threads and again
//! with `RAYON_NUM_THREADS=1`. Alternating means load from other jobs hits both alike. Every run is timed wall-clock
//! from outside and reports its own peak RSS (VmHWM). The best of the runs gives the ratio; the spread is printed.
//! The capture must validate clean: that also proves it is flow-correct.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use codex_handoff_contract::methods;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mix {
    /// Small app-server frames, agent-message deltas dominating, handoffs/resumes/turns/resolves/finalizes between.
    Messages,
    /// The same, interleaved with realtime output-audio delta events of ~8 KB base64 each.
    Audio,
    /// Every direction and kind of frame, shaped like the real app-server's: full `Thread` objects in resume and
    /// start results, `item/started`/`item/completed` of several item kinds, token usage, status changes, the
    /// `emittedAtMs` envelope member, server requests answered by the client, realtime events, handoffs.
    Varied,
}

#[derive(clap::Args)]
pub struct Args {
    /// Size of the capture in MB (10^6 bytes).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    size_mb: u64,
    /// Synthetic traffic mix.
    #[arg(long, value_enum, default_value = "messages", conflicts_with = "replay")]
    mix: Mix,
    /// Repeat this recorded capture (JSON Lines) up to `--size-mb` instead of a synthetic mix.
    #[arg(long, value_name = "FILE")]
    replay: Option<PathBuf>,
    /// Runs of floor and validator each, per thread setting; the best counts.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    runs: u32,
    /// Also time the `Value` path (every frame through serde_json::Value and the JSON Schema engine), once.
    #[arg(long)]
    compare_slow_path: bool,
    /// Keep the capture file instead of deleting it.
    #[arg(long)]
    keep: bool,
}

/// Targets from issue 14.
const MIN_RATIO_TWO_THREADS: f64 = 0.60;
const MIN_RATIO_ONE_THREAD: f64 = 0.45;
const MAX_PEAK_RSS_MIB: f64 = 32.0;
const MAX_STARTUP_MS: f64 = 20.0;

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let root = crate::workspace_root();
    let name = match (&args.replay, args.mix) {
        (Some(_), _) => "replay",
        (None, Mix::Messages) => "messages",
        (None, Mix::Audio) => "audio",
        (None, Mix::Varied) => "varied",
    };
    let path =
        std::env::temp_dir().join(format!("handoff-bench-{name}-{}mb-{}.jsonl", args.size_mb, std::process::id()));
    let started = Instant::now();
    let size = args.size_mb * 1_000_000;
    let capture = match &args.replay {
        Some(recorded) => replay(recorded, &path, size).with_context(|| format!("replaying {}", recorded.display()))?,
        None => generate(&path, size, args.mix).with_context(|| format!("writing {}", path.display()))?,
    };
    eprintln!(
        "wrote {} ({:.1} MB, {} messages) in {:.1} s",
        path.display(),
        capture.bytes as f64 / 1e6,
        capture.lines,
        started.elapsed().as_secs_f64()
    );
    let binary = build_release(&root)?;
    let outcome = measure_all(&binary, &path, args);
    if !args.keep {
        let _ = std::fs::remove_file(&path);
    }
    let (settings, slow, startup_ms) = outcome?;
    let mb = capture.bytes as f64 / 1e6;
    println!(
        "mix {name}: {mb:.1} MB, {} messages, {} runs each; load average before: {}",
        capture.lines,
        args.runs,
        load()
    );
    println!(
        "| mix | threads | floor MB/s (best; worst) | validator MB/s (best; worst) | validator / floor (best; pairs) | peak RSS |"
    );
    println!("|---|---|---|---|---|---|");
    let mut verdicts = Vec::new();
    for setting in &settings {
        let floor = best(&setting.floor);
        let validator = best(&setting.validator);
        let ratio = floor.secs / validator.secs;
        let pairs: Vec<f64> = setting.floor.iter().zip(&setting.validator).map(|(f, v)| f.secs / v.secs).collect();
        let (low, high) = pairs.iter().fold((f64::MAX, 0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
        let rss = setting.validator.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0) as f64 / 1024.0;
        println!(
            "| {name}, {mb:.0} MB | {} | {:.0}; {:.0} | {:.0}; {:.0} | {:.0} %; {:.0}–{:.0} % | {rss:.1} MiB |",
            setting.label,
            mb / floor.secs,
            mb / worst(&setting.floor).secs,
            mb / validator.secs,
            mb / worst(&setting.validator).secs,
            ratio * 100.0,
            low * 100.0,
            high * 100.0,
        );
        let target = if setting.one_thread { MIN_RATIO_ONE_THREAD } else { MIN_RATIO_TWO_THREADS };
        verdicts.push((format!("{} >= {:.0} % of floor", setting.label, target * 100.0), ratio >= target));
        verdicts.push((format!("{} peak RSS <= {MAX_PEAK_RSS_MIB:.0} MiB", setting.label), rss <= MAX_PEAK_RSS_MIB));
    }
    if let Some(slow) = &slow {
        println!(
            "Value path + jsonschema only: {:.1} MB/s, peak RSS {:.1} MiB",
            mb / slow.secs,
            slow.peak_rss_kib as f64 / 1024.0
        );
    }
    println!("validator start-up (process, compiling the contract, one-line capture; best of 5): {startup_ms:.1} ms");
    verdicts.push((format!("start-up <= {MAX_STARTUP_MS:.0} ms"), startup_ms <= MAX_STARTUP_MS));
    for (what, ok) in verdicts {
        println!("target {what}: {}", if ok { "met" } else { "NOT met" });
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Clone, Copy)]
struct Run {
    secs: f64,
    peak_rss_kib: u64,
}

fn best(runs: &[Run]) -> Run {
    *runs.iter().min_by(|a, b| a.secs.total_cmp(&b.secs)).expect("at least one run")
}

fn worst(runs: &[Run]) -> Run {
    *runs.iter().max_by(|a, b| a.secs.total_cmp(&b.secs)).expect("at least one run")
}

/// The runs of one thread setting.
struct Setting {
    label: &'static str,
    one_thread: bool,
    floor: Vec<Run>,
    validator: Vec<Run>,
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn measure_all(binary: &Path, capture: &Path, args: &Args) -> anyhow::Result<(Vec<Setting>, Option<Run>, f64)> {
    let mut settings = Vec::new();
    for (label, one_thread) in [("2 threads", false), ("RAYON_NUM_THREADS=1", true)] {
        let threads = one_thread.then_some("1");
        let mut setting = Setting { label, one_thread, floor: Vec::new(), validator: Vec::new() };
        for _ in 0..args.runs {
            setting.floor.push(run_child(binary, &["--floor"], capture, threads)?);
            setting.validator.push(run_child(binary, &["--format", "json"], capture, threads)?);
        }
        settings.push(setting);
    }
    let slow = if args.compare_slow_path {
        Some(run_child(binary, &["--format", "json", "--no-fast-path"], capture, None)?)
    } else {
        None
    };
    let one_line = capture.with_extension("one-line.jsonl");
    std::fs::write(&one_line, "{\"method\":\"initialized\"}\n")?;
    let mut startup = f64::MAX;
    for _ in 0..5 {
        let run = run_child(binary, &["--format", "json"], &one_line, None);
        startup = startup.min(run.as_ref().map_or(f64::MAX, |r| r.secs * 1000.0));
        if run.is_err() {
            let _ = std::fs::remove_file(&one_line);
            run?;
        }
    }
    let _ = std::fs::remove_file(&one_line);
    Ok((settings, slow, startup))
}

fn run_child(binary: &Path, flags: &[&str], capture: &Path, rayon_threads: Option<&str>) -> anyhow::Result<Run> {
    let mut command = Command::new(binary);
    command.args(flags).arg("--report-peak-rss").arg(capture).stdin(Stdio::null());
    match rayon_threads {
        Some(n) => command.env("RAYON_NUM_THREADS", n),
        None => command.env_remove("RAYON_NUM_THREADS"),
    };
    let started = Instant::now();
    let output = command.output().with_context(|| format!("running {}", binary.display()))?;
    let secs = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let head: String = stdout.chars().take(4000).collect();
        bail!(
            "{} {flags:?} failed ({}); the capture must validate clean:\n{head}\n{stderr}",
            binary.display(),
            output.status
        );
    }
    let peak_rss_kib = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kib="))
        .and_then(|v| v.trim().parse().ok())
        .context("the validator did not report its peak RSS")?;
    Ok(Run { secs, peak_rss_kib })
}

fn build_release(root: &Path) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["build", "--quiet", "--release", "-p", "handoff-validator", "--bin", "handoff-validate"])
        .status()
        .context("running cargo build --release")?;
    if !status.success() {
        bail!("cargo build --release -p handoff-validator failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    Ok(target.join("release").join("handoff-validate"))
}

/// Repeats a recorded capture until it holds `size` bytes. Each repetition's request ids are renumbered (integers
/// shifted past the capture's largest, strings suffixed), requests and their responses alike, so that no id is
/// reused while open and the result stays clean. Lines that are not JSON objects are copied as they are. Frames of
/// methods the contract does not list yet (the real server has more than the `x-rpc` table) would make every run
/// fail: they are left out, and said so on stderr.
pub fn replay(recorded: &Path, path: &Path, size: u64) -> anyhow::Result<Capture> {
    let ir = handoff_schema::Contract::canonical()?.ir;
    let mut lines: Vec<String> = Vec::new();
    let mut frames: Vec<Option<Value>> = Vec::new();
    let mut left_out: std::collections::BTreeMap<String, u64> = Default::default();
    for line in BufReader::new(File::open(recorded)?).lines() {
        let line = line?;
        let frame: Option<Value> = serde_json::from_str(&line).ok();
        let method =
            frame.as_ref().and_then(message).and_then(|m| m.get("method").and_then(Value::as_str).map(str::to_owned));
        let realtime = frame.as_ref().and_then(|f| f.get("server_id")).and_then(Value::as_str) == Some("realtime");
        if let (Some(method), false) = (method, realtime)
            && ir.method(&method).is_none()
        {
            *left_out.entry(method).or_default() += 1;
            continue;
        }
        lines.push(line);
        frames.push(frame);
    }
    for (method, count) in &left_out {
        eprintln!("replay: left out {count} frame(s) of `{method}`, a method the contract does not list");
    }
    let max_id =
        frames.iter().flatten().filter_map(|f| message(f).and_then(|m| m.get("id").and_then(Value::as_i64))).max();
    let stride = max_id.unwrap_or(0).max(0) + 1;
    if lines.iter().all(|l| l.trim().is_empty()) {
        bail!("{} holds no frames", recorded.display());
    }
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let (mut bytes, mut count) = (0u64, 0u64);
    let mut round = 0i64;
    while bytes < size {
        for (line, frame) in lines.iter().zip(&frames) {
            if line.trim().is_empty() {
                continue;
            }
            let text = match frame {
                Some(frame) if round > 0 => renumbered(frame, round, stride)?,
                _ => line.clone(),
            };
            out.write_all(text.as_bytes())?;
            out.write_all(b"\n")?;
            bytes += text.len() as u64 + 1;
            count += 1;
        }
        round += 1;
    }
    out.flush()?;
    Ok(Capture { bytes, lines: count })
}

/// The message of an entry (inline or as a string) or a bare message.
fn message(frame: &Value) -> Option<Value> {
    match frame.get("json") {
        Some(Value::String(text)) => serde_json::from_str(text).ok(),
        Some(inline) => Some(inline.clone()),
        None => Some(frame.clone()),
    }
}

fn renumbered(frame: &Value, round: i64, stride: i64) -> anyhow::Result<String> {
    let mut frame = frame.clone();
    let shift = |message: &mut Value| {
        if let Some(id) = message.get_mut("id") {
            *id = match &*id {
                Value::Number(n) => n.as_i64().map_or(id.clone(), |n| Value::from(n + round * stride)),
                Value::String(s) => Value::from(format!("{s}~r{round}")),
                other => other.clone(),
            };
        }
    };
    match frame.get_mut("json") {
        Some(Value::String(text)) => {
            if let Ok(mut inner) = serde_json::from_str::<Value>(text) {
                shift(&mut inner);
                *text = serde_json::to_string(&inner)?;
            }
        }
        Some(inline) => shift(inline),
        None => shift(&mut frame),
    }
    Ok(serde_json::to_string(&frame)?)
}

pub struct Capture {
    pub bytes: u64,
    pub lines: u64,
}

/// Writes at least `size` bytes of flow-correct traffic: handoff cycles to server `bigpc`, two of three naming a
/// new thread (resumed, then cached) and every third following up on the cached thread without a resume.
pub fn generate(path: &Path, size: u64, mix: Mix) -> std::io::Result<Capture> {
    let mut generator = Generator {
        out: BufWriter::with_capacity(1 << 20, File::create(path)?),
        rng: 0x9E37_79B9_7F4A_7C15,
        ts: 1_700_000_000_000,
        bytes: 0,
        lines: 0,
        mix,
        since_audio: 0,
        audio: Vec::new(),
        next_id: 1,
    };
    if mix == Mix::Audio {
        generator.audio = (0..8).map(|_| generator.base64(8192)).collect();
    }
    let mut cycle = 0u64;
    let mut cached: Option<String> = None;
    while generator.bytes < size {
        generator.handoff_cycle(cycle, &mut cached)?;
        cycle += 1;
    }
    generator.out.flush()?;
    Ok(Capture { bytes: generator.bytes, lines: generator.lines })
}

struct Generator {
    out: BufWriter<File>,
    rng: u64,
    ts: u64,
    bytes: u64,
    lines: u64,
    mix: Mix,
    since_audio: u32,
    audio: Vec<String>,
    next_id: u64,
}

const WORDS: [&str; 16] = [
    "the", "tests", "pass", "now", "I", "updated", "handler", "for", "resume", "thread", "and", "fixed", "a", "race",
    "in", "cache",
];

impl Generator {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic, no dependency.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn base64(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        (0..len).map(|_| ALPHABET[(self.next() % 64) as usize] as char).collect()
    }

    fn words(&mut self, min: u64, spread: u64) -> String {
        let n = min + self.next() % spread;
        let mut text = String::new();
        for i in 0..n {
            if i > 0 {
                text.push(' ');
            }
            text.push_str(WORDS[(self.next() % WORDS.len() as u64) as usize]);
        }
        text
    }

    fn emit(&mut self, dir: &str, server: &str, json: &str) -> std::io::Result<()> {
        self.ts += 1 + self.next() % 20;
        let line = format!("{{\"ts_ms\":{},\"dir\":\"{dir}\",\"server_id\":\"{server}\",\"json\":{json}}}\n", self.ts);
        self.out.write_all(line.as_bytes())?;
        self.bytes += line.len() as u64;
        self.lines += 1;
        if self.mix == Mix::Audio && server != "realtime" {
            self.since_audio += 1;
            if self.since_audio == 2 {
                self.since_audio = 0;
                let pick = (self.next() % self.audio.len() as u64) as usize;
                let chunk = self.audio[pick].clone();
                let event = format!(
                    "{{\"type\":\"response.output_audio.delta\",\"event_id\":\"ev_{}\",\"response_id\":\"resp_1\",\
                     \"item_id\":\"it_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"{chunk}\"}}",
                    self.lines
                );
                self.emit("in", "realtime", &event)?;
            }
        }
        Ok(())
    }

    fn request(&mut self, server: &str, method: &str, params: &str) -> std::io::Result<u64> {
        let id = self.next_id;
        self.next_id += 1;
        self.emit("out", server, &format!("{{\"id\":{id},\"method\":\"{method}\",\"params\":{params}}}"))?;
        Ok(id)
    }

    fn respond(&mut self, server: &str, id: u64, result: &str) -> std::io::Result<()> {
        self.emit("in", server, &format!("{{\"id\":{id},\"result\":{result}}}"))
    }

    fn handoff_cycle(&mut self, cycle: u64, cached: &mut Option<String>) -> std::io::Result<()> {
        let names_thread = cycle % 3 != 2 || cached.is_none();
        let thread = if names_thread { format!("thr_{cycle:06}") } else { cached.clone().unwrap_or_default() };
        let prompt = self.words(4, 8);
        let thread_member = if names_thread { format!(",\"thread_id\":\"{thread}\"") } else { String::new() };
        self.emit(
            "in",
            "local",
            &format!(
                "{{\"method\":\"{}\",\"params\":{{\"threadId\":\"voice_1\",\"item\":\
                 {{\"type\":\"handoff_request\",\"handoff_id\":\"h{cycle}\",\"item_id\":\"item_{cycle}\",\
                 \"input_transcript\":\"{prompt}\",\"active_transcript\":[{{\"role\":\"user\",\"text\":\"{prompt}\"}}],\
                 \"server\":\"bigpc\"{thread_member}}}}}}}",
                methods::THREAD_REALTIME_ITEM_ADDED
            ),
        )?;
        if names_thread {
            let id = self.request(
                "bigpc",
                methods::THREAD_RESUME,
                &format!("{{\"threadId\":\"{thread}\",\"excludeTurns\":true}}"),
            )?;
            let thread_object = if self.mix == Mix::Varied {
                self.thread_object(&thread, &prompt, 2)
            } else {
                format!("{{\"id\":\"{thread}\",\"preview\":\"{prompt}\"}}")
            };
            let result = format!(
                "{{\"thread\":{thread_object},\"model\":\"gpt-5\",\"modelProvider\":\"openai\",\
                 \"cwd\":\"/home/me/app\",\"approvalPolicy\":\"never\",\"sandbox\":{{\"type\":\"readOnly\"}},\"reasoningEffort\":null}}"
            );
            self.respond("bigpc", id, &result)?;
            *cached = Some(thread.clone());
        }
        let turn_params =
            format!("{{\"threadId\":\"{thread}\",\"input\":[{{\"type\":\"text\",\"text\":\"{prompt}\"}}]}}");
        let id = self.request("bigpc", methods::TURN_START, &turn_params)?;
        let turn = format!("turn_{cycle}");
        self.respond("bigpc", id, &format!("{{\"turn\":{{\"id\":\"{turn}\",\"status\":\"inProgress\"}}}}"))?;
        self.notify(
            "bigpc",
            methods::TURN_STARTED,
            &format!("{{\"threadId\":\"{thread}\",\"turn\":{{\"id\":\"{turn}\",\"status\":\"inProgress\"}}}}"),
        )?;
        if self.mix == Mix::Varied {
            self.turn_items(cycle, &thread, &turn, &prompt)?;
        }
        let deltas = if self.mix == Mix::Varied { 10 + self.next() % 30 } else { 30 + self.next() % 60 };
        let mut said = String::new();
        for n in 0..deltas {
            let delta = format!("{} ", self.words(1, 4));
            said.push_str(&delta);
            self.notify(
                "bigpc",
                methods::ITEM_AGENT_MESSAGE_DELTA,
                &format!(
                    "{{\"threadId\":\"{thread}\",\"turnId\":\"{turn}\",\"itemId\":\"msg_{cycle}\",\"delta\":\"{delta}\"}}"
                ),
            )?;
            if n % 10 == 9 {
                let tail: String = said.chars().rev().take(80).collect::<Vec<_>>().into_iter().rev().collect();
                let params = format!("{{\"threadId\":\"voice_1\",\"toolCallOutput\":\"{}\"}}", tail.trim());
                let id = self.request("local", methods::THREAD_REALTIME_RESOLVE_HANDOFF, &params)?;
                self.respond("local", id, "{}")?;
            }
        }
        if !deltas.is_multiple_of(10) {
            let params = "{\"threadId\":\"voice_1\",\"toolCallOutput\":\"done\"}";
            let id = self.request("local", methods::THREAD_REALTIME_RESOLVE_HANDOFF, params)?;
            self.respond("local", id, "{}")?;
        }
        if self.mix == Mix::Varied {
            self.turn_end(cycle, &thread, &turn, &said)?;
        }
        self.notify(
            "bigpc",
            methods::TURN_COMPLETED,
            &format!("{{\"threadId\":\"{thread}\",\"turn\":{{\"id\":\"{turn}\",\"status\":\"completed\"}}}}"),
        )?;
        let id = self.request("local", methods::THREAD_REALTIME_FINALIZE_HANDOFF, "{\"threadId\":\"voice_1\"}")?;
        self.respond("local", id, "{}")?;
        if self.mix == Mix::Varied {
            self.elsewhere(cycle)?;
        }
        Ok(())
    }

    /// A notification; the varied mix adds the real server's `emittedAtMs` envelope member.
    fn notify(&mut self, server: &str, method: &str, params: &str) -> std::io::Result<()> {
        let emitted = if self.mix == Mix::Varied { format!(",\"emittedAtMs\":{}", self.ts) } else { String::new() };
        self.emit("in", server, &format!("{{\"method\":\"{method}\",\"params\":{params}{emitted}}}"))
    }

    /// A realtime event of the voice model's connection.
    fn realtime(&mut self, event: &str) -> std::io::Result<()> {
        self.emit("in", "realtime", event)
    }

    /// A `Thread` as the real app-server sends it in `thread/start` and `thread/resume` results: many members the
    /// contract does not model, and `turns` of items of several kinds.
    fn thread_object(&mut self, id: &str, preview: &str, turns: usize) -> String {
        let mut turn_list = Vec::new();
        for t in 0..turns {
            let items = [
                format!(
                    "{{\"type\":\"userMessage\",\"id\":\"u{t}\",\"content\":[{{\"type\":\"text\",\"text\":\"{preview}\",\"text_elements\":[]}}]}}"
                ),
                format!(
                    "{{\"type\":\"reasoning\",\"id\":\"r{t}\",\"summary\":[\"{}\"],\"content\":[]}}",
                    self.words(6, 10)
                ),
                format!(
                    "{{\"type\":\"agentMessage\",\"id\":\"a{t}\",\"text\":\"{}\",\"phase\":null}}",
                    self.words(20, 40)
                ),
            ];
            turn_list.push(format!(
                "{{\"id\":\"turn_old_{t}\",\"items\":[{}],\"status\":\"completed\",\"error\":null}}",
                items.join(",")
            ));
        }
        format!(
            "{{\"id\":\"{id}\",\"preview\":\"{preview}\",\"ephemeral\":false,\"modelProvider\":\"openai\",\
             \"createdAt\":1764800000,\"updatedAt\":{},\"status\":{{\"type\":\"idle\"}},\
             \"path\":\"/home/me/.codex/sessions/2026/12/04/rollout-2026-12-04T10-00-00-{id}.jsonl\",\
             \"cwd\":\"/home/me/app\",\"cliVersion\":\"0.171.0\",\"source\":\"vscode\",\"agentNickname\":null,\
             \"agentRole\":null,\"gitInfo\":{{\"sha\":\"4f1c2e9a7b\",\"branch\":\"main\",\"originUrl\":\"git@example.com:me/app.git\"}},\
             \"name\":null,\"turns\":[{}]}}",
            self.ts / 1000,
            turn_list.join(",")
        )
    }

    /// The voice side before a handoff, and the items of a turn up to the agent message: user message, reasoning,
    /// a command run, a dynamic tool call the client answers, an approval request.
    fn turn_items(&mut self, cycle: u64, thread: &str, turn: &str, prompt: &str) -> std::io::Result<()> {
        let status = format!("{{\"threadId\":\"{thread}\",\"status\":{{\"type\":\"active\",\"activeFlags\":[]}}}}");
        self.notify("bigpc", methods::THREAD_STATUS_CHANGED, &status)?;
        let user = format!(
            "{{\"type\":\"userMessage\",\"id\":\"u_{cycle}\",\"content\":[{{\"type\":\"text\",\"text\":\"{prompt}\",\"text_elements\":[]}}]}}"
        );
        self.item_pair(thread, turn, &user, &user)?;
        let summary = self.words(8, 12);
        let started = format!("{{\"type\":\"reasoning\",\"id\":\"r_{cycle}\",\"summary\":[],\"content\":[]}}");
        let done =
            format!("{{\"type\":\"reasoning\",\"id\":\"r_{cycle}\",\"summary\":[\"{summary}\"],\"content\":[]}}");
        self.item_pair(thread, turn, &started, &done)?;
        let command = |status: &str, output: &str, code: &str| {
            format!(
                "{{\"type\":\"commandExecution\",\"id\":\"c_{cycle}\",\"command\":\"cargo test -p app\",\"cwd\":\"/home/me/app\",\
                 \"processId\":null,\"status\":\"{status}\",\"commandActions\":[{{\"type\":\"unknown\",\"command\":\"cargo test -p app\"}}],\
                 \"aggregatedOutput\":{output},\"exitCode\":{code},\"durationMs\":{code}}}"
            )
        };
        let output = format!("\"running 12 tests\\ntest result: ok. {}\\n\"", self.words(3, 5));
        self.item_pair(thread, turn, &command("inProgress", "null", "null"), &command("completed", &output, "0"))?;
        let change = format!(
            "{{\"type\":\"fileChange\",\"id\":\"f_{cycle}\",\"changes\":[{{\"path\":\"src/cache.rs\",\"kind\":{{\"type\":\"update\",\"move_path\":null}},\
             \"diff\":\"@@ -1,3 +1,4 @@\\n-use std::sync::Mutex;\\n+use std::sync::RwLock;\\n\"}}],\"status\":\"completed\"}}"
        );
        self.item_pair(thread, turn, &change, &change)?;
        // Server requests the client answers: a dynamic tool call (modelled) and a command approval (open params).
        let call = format!(
            "{{\"threadId\":\"{thread}\",\"turnId\":\"{turn}\",\"callId\":\"call_{cycle}\",\"namespace\":null,\"tool\":\"lookup\",\"arguments\":{{\"q\":\"{prompt}\"}}}}"
        );
        let id = self.server_request("bigpc", methods::ITEM_TOOL_CALL, &call)?;
        self.answer("bigpc", id, "{\"contentItems\":[{\"type\":\"inputText\",\"text\":\"42\"}],\"success\":true}")?;
        let approval = format!(
            "{{\"threadId\":\"{thread}\",\"turnId\":\"{turn}\",\"itemId\":\"c_{cycle}\",\"command\":\"cargo test\",\"cwd\":\"/home/me/app\",\"reason\":null}}"
        );
        let id = self.server_request("bigpc", methods::ITEM_COMMAND_EXECUTION_REQUEST_APPROVAL, &approval)?;
        self.answer("bigpc", id, "{\"decision\":\"accept\"}")?;
        let message = format!("{{\"type\":\"agentMessage\",\"id\":\"msg_{cycle}\",\"text\":\"\",\"phase\":null}}");
        self.notify(
            "bigpc",
            methods::ITEM_STARTED,
            &format!("{{\"threadId\":\"{thread}\",\"turnId\":\"{turn}\",\"item\":{message}}}"),
        )
    }

    fn item_pair(&mut self, thread: &str, turn: &str, started: &str, completed: &str) -> std::io::Result<()> {
        self.notify(
            "bigpc",
            methods::ITEM_STARTED,
            &format!("{{\"threadId\":\"{thread}\",\"turnId\":\"{turn}\",\"item\":{started}}}"),
        )?;
        self.notify(
            "bigpc",
            methods::ITEM_COMPLETED,
            &format!("{{\"threadId\":\"{thread}\",\"turnId\":\"{turn}\",\"item\":{completed}}}"),
        )
    }

    /// A request the app-server sends the client (ids of their own scope), and the client's answer.
    fn server_request(&mut self, server: &str, method: &str, params: &str) -> std::io::Result<u64> {
        let id = self.next_id;
        self.next_id += 1;
        self.emit("in", server, &format!("{{\"id\":{id},\"method\":\"{method}\",\"params\":{params}}}"))?;
        Ok(id)
    }

    fn answer(&mut self, server: &str, id: u64, result: &str) -> std::io::Result<()> {
        self.emit("out", server, &format!("{{\"id\":{id},\"result\":{result}}}"))
    }

    /// The end of a turn: the agent message completed, token usage, the thread idle again, rate limits.
    fn turn_end(&mut self, cycle: u64, thread: &str, turn: &str, said: &str) -> std::io::Result<()> {
        let message =
            format!("{{\"type\":\"agentMessage\",\"id\":\"msg_{cycle}\",\"text\":\"{}\",\"phase\":null}}", said.trim());
        self.notify(
            "bigpc",
            methods::ITEM_COMPLETED,
            &format!("{{\"threadId\":\"{thread}\",\"turnId\":\"{turn}\",\"item\":{message}}}"),
        )?;
        let usage = |n: u64| {
            format!(
                "{{\"totalTokens\":{},\"inputTokens\":{},\"cachedInputTokens\":{},\"outputTokens\":{},\"reasoningOutputTokens\":{}}}",
                n * 3,
                n * 2,
                n,
                n / 2,
                n / 4
            )
        };
        let n = 1000 + self.next() % 9000;
        let tokens = format!(
            "{{\"threadId\":\"{thread}\",\"turnId\":\"{turn}\",\"tokenUsage\":{{\"total\":{},\"last\":{},\"modelContextWindow\":258400}}}}",
            usage(n * 4),
            usage(n)
        );
        self.notify("bigpc", methods::THREAD_TOKEN_USAGE_UPDATED, &tokens)?;
        let idle = format!("{{\"threadId\":\"{thread}\",\"status\":{{\"type\":\"idle\"}}}}");
        self.notify("bigpc", methods::THREAD_STATUS_CHANGED, &idle)?;
        if cycle.is_multiple_of(4) {
            let limits = "{\"rateLimits\":{\"primary\":{\"usedPercent\":12,\"windowDurationMins\":300,\"resetsAt\":1764810000},\"secondary\":null,\"credits\":null,\"planType\":\"plus\"}}";
            self.notify("bigpc", methods::ACCOUNT_RATE_LIMITS_UPDATED, limits)?;
        }
        Ok(())
    }

    /// Traffic beside the handoffs: the voice model's events (transcripts, audio, the function call the handoff
    /// comes from) and, on another server, the user's own session: initialize, thread/start, thread/started.
    fn elsewhere(&mut self, cycle: u64) -> std::io::Result<()> {
        let transcript = self.words(4, 8);
        self.realtime(&format!(
            "{{\"type\":\"conversation.item.input_audio_transcription.completed\",\"event_id\":\"ev_t{cycle}\",\"item_id\":\"it_{cycle}\",\"content_index\":0,\"transcript\":\"{transcript}\"}}"
        ))?;
        for n in 0..3 {
            let delta = self.words(2, 3);
            self.realtime(&format!(
                "{{\"type\":\"response.output_audio_transcript.delta\",\"event_id\":\"ev_d{cycle}_{n}\",\"response_id\":\"resp_{cycle}\",\"item_id\":\"it_{cycle}\",\"output_index\":0,\"content_index\":0,\"delta\":\"{delta} \"}}"
            ))?;
            let audio = self.base64(1024);
            self.realtime(&format!(
                "{{\"type\":\"response.output_audio.delta\",\"event_id\":\"ev_a{cycle}_{n}\",\"response_id\":\"resp_{cycle}\",\"item_id\":\"it_{cycle}\",\"output_index\":0,\"content_index\":0,\"delta\":\"{audio}\"}}"
            ))?;
        }
        self.realtime(&format!(
            "{{\"type\":\"conversation.item.done\",\"event_id\":\"ev_c{cycle}\",\"previous_item_id\":null,\"item\":{{\"id\":\"it_call_{cycle}\",\"object\":\"realtime.item\",\"type\":\"function_call\",\"status\":\"completed\",\"name\":\"codex\",\"call_id\":\"call_{cycle}\",\"arguments\":\"{{\\\"server\\\":\\\"bigpc\\\",\\\"prompt\\\":\\\"{transcript}\\\"}}\"}}}}"
        ))?;
        if cycle.is_multiple_of(8) {
            let id = self.request(
                "laptop",
                methods::INITIALIZE,
                "{\"clientInfo\":{\"name\":\"voice\",\"version\":\"1.0\"},\"capabilities\":{\"experimentalApi\":true}}",
            )?;
            self.respond("laptop", id, "{\"userAgent\":\"codex_app_server/0.171.0\"}")?;
            self.emit("out", "laptop", &format!("{{\"method\":\"{}\"}}", methods::INITIALIZED))?;
            let id = self.request(
                "laptop",
                methods::THREAD_START,
                "{\"cwd\":\"/home/me/site\",\"approvalPolicy\":\"never\"}",
            )?;
            let thread = format!("thr_laptop_{cycle}");
            let prompt = self.words(3, 5);
            let object = self.thread_object(&thread, &prompt, 0);
            let result = format!(
                "{{\"thread\":{object},\"model\":\"gpt-5\",\"modelProvider\":\"openai\",\"cwd\":\"/home/me/site\",\"approvalPolicy\":\"never\",\"approvalsReviewer\":null,\"sandbox\":{{\"type\":\"readOnly\"}},\"reasoningEffort\":\"medium\"}}"
            );
            self.respond("laptop", id, &result)?;
            self.notify("laptop", methods::THREAD_STARTED, &format!("{{\"thread\":{object}}}"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_captures_are_deterministic_and_validate_clean() {
        let schemas = handoff_validator::Schemas::canonical().unwrap();
        for mix in [Mix::Messages, Mix::Audio, Mix::Varied] {
            let dir = std::env::temp_dir();
            let a = dir.join(format!("handoff-bench-test-a-{mix:?}-{}.jsonl", std::process::id()));
            let b = dir.join(format!("handoff-bench-test-b-{mix:?}-{}.jsonl", std::process::id()));
            let capture = generate(&a, 300_000, mix).unwrap();
            generate(&b, 300_000, mix).unwrap();
            let (text_a, text_b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
            assert_eq!(text_a, text_b, "the generator must be deterministic");
            assert_eq!(capture.bytes, text_a.len() as u64);
            let report = handoff_validator::validate_reader(
                &schemas,
                &handoff_validator::Config::default(),
                "bench",
                &text_a[..],
                None,
            )
            .unwrap();
            assert_eq!(report.messages, capture.lines);
            assert!(report.diagnostics.is_empty(), "{:#?}", &report.diagnostics[..report.diagnostics.len().min(5)]);
            let _ = (std::fs::remove_file(&a), std::fs::remove_file(&b));
        }
    }

    /// The varied mix holds every direction and kind of frame, and a replay of it (ids renumbered) stays clean.
    #[test]
    fn the_varied_mix_covers_every_kind_and_replays_clean() {
        let dir = std::env::temp_dir();
        let varied = dir.join(format!("handoff-bench-test-varied-{}.jsonl", std::process::id()));
        let replayed = dir.join(format!("handoff-bench-test-replayed-{}.jsonl", std::process::id()));
        generate(&varied, 200_000, Mix::Varied).unwrap();
        let text = std::fs::read_to_string(&varied).unwrap();
        let mut kinds = std::collections::BTreeSet::new();
        for line in text.lines() {
            let entry: Value = serde_json::from_str(line).unwrap();
            let (dir, server, json) = (&entry["dir"], &entry["server_id"], &entry["json"]);
            let kind = match (server.as_str(), json.get("method"), json.get("id")) {
                (Some("realtime"), _, _) => "realtime event",
                (_, Some(_), Some(_)) => "request",
                (_, Some(_), None) => "notification",
                _ => "response",
            };
            kinds.insert(format!("{} {kind}", dir.as_str().unwrap()));
            if let Some(method) = json.get("method").and_then(Value::as_str) {
                kinds.insert(method.to_owned());
            }
            if json.get("emittedAtMs").is_some() {
                kinds.insert("emittedAtMs".into());
            }
        }
        for kind in [
            "out request",
            "in response",
            "in request",
            "out response",
            "in notification",
            "out notification",
            "in realtime event",
            "emittedAtMs",
            methods::ITEM_STARTED,
            methods::ITEM_COMPLETED,
            methods::THREAD_TOKEN_USAGE_UPDATED,
            methods::THREAD_STATUS_CHANGED,
            methods::THREAD_STARTED,
            methods::THREAD_REALTIME_ITEM_ADDED,
            methods::THREAD_RESUME,
            methods::THREAD_START,
        ] {
            assert!(kinds.contains(kind), "the varied mix has no {kind}: {kinds:?}");
        }
        let capture = replay(&varied, &replayed, 700_000).unwrap();
        assert!(capture.bytes >= 700_000);
        let schemas = handoff_validator::Schemas::canonical().unwrap();
        let bytes = std::fs::read(&replayed).unwrap();
        let config = handoff_validator::Config::default();
        let report = handoff_validator::validate_reader(&schemas, &config, "replay", &bytes[..], None).unwrap();
        assert_eq!(report.messages, capture.lines);
        assert!(report.diagnostics.is_empty(), "{:#?}", &report.diagnostics[..report.diagnostics.len().min(5)]);
        // Round two is round one with every request id shifted past the largest, requests and answers alike.
        let replayed_text = String::from_utf8(bytes).unwrap();
        let first_lines = text.lines().count();
        let round_two: Vec<&str> = replayed_text.lines().skip(first_lines).take(first_lines).collect();
        for (one, two) in text.lines().zip(round_two) {
            let (one, two): (Value, Value) = (serde_json::from_str(one).unwrap(), serde_json::from_str(two).unwrap());
            match (one["json"]["id"].as_i64(), two["json"]["id"].as_i64()) {
                (Some(a), Some(b)) => assert!(b > a, "id {a} not renumbered: {b}"),
                (None, None) => assert_eq!(one, two),
                other => panic!("ids differ in kind: {other:?}"),
            }
        }
        let _ = (std::fs::remove_file(&varied), std::fs::remove_file(&replayed));
    }
}
