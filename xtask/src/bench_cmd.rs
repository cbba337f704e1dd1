//! `cargo xtask bench [--size-mb N] [--mix messages|audio]`: throughput and peak memory of the validator.
//!
//! Writes a deterministic, flow-correct synthetic capture to a temp file, builds the validator in release mode and
//! runs it as a child process twice: once in `--floor` mode (serde_json parses every line into `IgnoredAny`, the
//! least any JSON validator must do) and once validating. Both are timed wall-clock from the outside; each child
//! reports its own peak RSS (VmHWM). The capture must validate clean: that also proves it is flow-correct.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mix {
    /// Small app-server frames, agent-message deltas dominating, handoffs/resumes/turns/resolves/finalizes between.
    Messages,
    /// The same, interleaved with realtime output-audio delta events of ~8 KB base64 each.
    Audio,
}

#[derive(clap::Args)]
pub struct Args {
    /// Size of the synthetic capture in MB (10^6 bytes).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    size_mb: u64,
    /// Traffic mix.
    #[arg(long, value_enum, default_value = "messages")]
    mix: Mix,
    /// Also time the slow path (every frame through serde_json::Value and the JSON Schema engine).
    #[arg(long)]
    compare_slow_path: bool,
    /// Keep the capture file instead of deleting it.
    #[arg(long)]
    keep: bool,
}

/// Targets from issue 8.
const MIN_RATIO_OF_FLOOR: f64 = 0.60;
const MIN_MESSAGES_PER_SEC: f64 = 1_000_000.0;
const MAX_PEAK_RSS_MIB: f64 = 32.0;

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let root = crate::workspace_root();
    let mix_name = match args.mix {
        Mix::Messages => "messages",
        Mix::Audio => "audio",
    };
    let path =
        std::env::temp_dir().join(format!("handoff-bench-{mix_name}-{}mb-{}.jsonl", args.size_mb, std::process::id()));
    let started = Instant::now();
    let capture =
        generate(&path, args.size_mb * 1_000_000, args.mix).with_context(|| format!("writing {}", path.display()))?;
    eprintln!(
        "wrote {} ({:.1} MB, {} messages) in {:.1} s",
        path.display(),
        capture.bytes as f64 / 1e6,
        capture.lines,
        started.elapsed().as_secs_f64()
    );
    let binary = build_release(&root)?;
    let outcome = measure(&binary, &path, args.compare_slow_path);
    if !args.keep {
        let _ = std::fs::remove_file(&path);
    }
    let (floor, validator, slow) = outcome?;
    let mb = capture.bytes as f64 / 1e6;
    let line = |name: &str, run: &Run| {
        println!(
            "{name:<22} {:>8.1} MB/s {:>12.0} messages/s {:>7.3} s  peak RSS {:>6.1} MiB",
            mb / run.secs,
            capture.lines as f64 / run.secs,
            run.secs,
            run.peak_rss_kib as f64 / 1024.0
        );
    };
    println!("mix {mix_name}: {mb:.1} MB, {} messages", capture.lines);
    line("floor (IgnoredAny)", &floor);
    line("validator", &validator);
    if let Some(slow) = &slow {
        line("validator, slow path", slow);
    }
    let ratio = floor.secs / validator.secs;
    let per_sec = capture.lines as f64 / validator.secs;
    let rss = validator.peak_rss_kib as f64 / 1024.0;
    println!("validator / floor throughput: {:.0} %", ratio * 100.0);
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!("target >= {:.0} % of floor: {}", MIN_RATIO_OF_FLOOR * 100.0, verdict(ratio >= MIN_RATIO_OF_FLOOR));
    if args.mix == Mix::Messages {
        println!("target >= 1 M messages/s: {}", verdict(per_sec >= MIN_MESSAGES_PER_SEC));
    }
    println!("target peak RSS < {MAX_PEAK_RSS_MIB:.0} MiB: {}", verdict(rss < MAX_PEAK_RSS_MIB));
    Ok(ExitCode::SUCCESS)
}

struct Run {
    secs: f64,
    peak_rss_kib: u64,
}

fn measure(binary: &Path, capture: &Path, slow: bool) -> anyhow::Result<(Run, Run, Option<Run>)> {
    let floor = run_child(binary, &["--floor"], capture)?;
    let validator = run_child(binary, &["--format", "json"], capture)?;
    let slow = if slow { Some(run_child(binary, &["--format", "json", "--no-fast-path"], capture)?) } else { None };
    Ok((floor, validator, slow))
}

fn run_child(binary: &Path, flags: &[&str], capture: &Path) -> anyhow::Result<Run> {
    let started = Instant::now();
    let output = Command::new(binary)
        .args(flags)
        .arg("--report-peak-rss")
        .arg(capture)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {}", binary.display()))?;
    let secs = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let head: String = stdout.chars().take(4000).collect();
        bail!(
            "{} {flags:?} failed ({}); the synthetic capture must validate clean:\n{head}\n{stderr}",
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
                "{{\"method\":\"thread/realtime/itemAdded\",\"params\":{{\"threadId\":\"voice_1\",\"item\":\
                 {{\"type\":\"handoff_request\",\"handoff_id\":\"h{cycle}\",\"item_id\":\"item_{cycle}\",\
                 \"input_transcript\":\"{prompt}\",\"active_transcript\":[{{\"role\":\"user\",\"text\":\"{prompt}\"}}],\
                 \"server\":\"bigpc\"{thread_member}}}}}}}"
            ),
        )?;
        if names_thread {
            let id = self.request(
                "bigpc",
                "thread/resume",
                &format!("{{\"threadId\":\"{thread}\",\"excludeTurns\":true}}"),
            )?;
            let result = format!(
                "{{\"thread\":{{\"id\":\"{thread}\",\"preview\":\"{prompt}\"}},\"model\":\"gpt-5\",\"modelProvider\":\"openai\",\
                 \"cwd\":\"/home/me/app\",\"approvalPolicy\":\"never\",\"sandbox\":{{\"type\":\"readOnly\"}},\"reasoningEffort\":null}}"
            );
            self.respond("bigpc", id, &result)?;
            *cached = Some(thread.clone());
        }
        let turn_params =
            format!("{{\"threadId\":\"{thread}\",\"input\":[{{\"type\":\"text\",\"text\":\"{prompt}\"}}]}}");
        let id = self.request("bigpc", "turn/start", &turn_params)?;
        let turn = format!("turn_{cycle}");
        self.respond("bigpc", id, &format!("{{\"turn\":{{\"id\":\"{turn}\",\"status\":\"inProgress\"}}}}"))?;
        self.emit(
            "in",
            "bigpc",
            &format!("{{\"method\":\"turn/started\",\"params\":{{\"threadId\":\"{thread}\",\"turn\":{{\"id\":\"{turn}\",\"status\":\"inProgress\"}}}}}}"),
        )?;
        let deltas = 30 + self.next() % 60;
        let mut said = String::new();
        for n in 0..deltas {
            let delta = format!("{} ", self.words(1, 4));
            said.push_str(&delta);
            self.emit(
                "in",
                "bigpc",
                &format!(
                    "{{\"method\":\"item/agentMessage/delta\",\"params\":{{\"threadId\":\"{thread}\",\"turnId\":\"{turn}\",\
                     \"itemId\":\"msg_{cycle}\",\"delta\":\"{delta}\"}}}}"
                ),
            )?;
            if n % 10 == 9 {
                let tail: String = said.chars().rev().take(80).collect::<Vec<_>>().into_iter().rev().collect();
                let params = format!("{{\"threadId\":\"voice_1\",\"toolCallOutput\":\"{}\"}}", tail.trim());
                let id = self.request("local", "thread/realtime/resolveHandoff", &params)?;
                self.respond("local", id, "{}")?;
            }
        }
        if !deltas.is_multiple_of(10) {
            let params = "{\"threadId\":\"voice_1\",\"toolCallOutput\":\"done\"}";
            let id = self.request("local", "thread/realtime/resolveHandoff", params)?;
            self.respond("local", id, "{}")?;
        }
        self.emit(
            "in",
            "bigpc",
            &format!("{{\"method\":\"turn/completed\",\"params\":{{\"threadId\":\"{thread}\",\"turn\":{{\"id\":\"{turn}\",\"status\":\"completed\"}}}}}}"),
        )?;
        let id = self.request("local", "thread/realtime/finalizeHandoff", "{\"threadId\":\"voice_1\"}")?;
        self.respond("local", id, "{}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_captures_are_deterministic_and_validate_clean() {
        let schemas = handoff_validator::Schemas::canonical().unwrap();
        for mix in [Mix::Messages, Mix::Audio] {
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
}
