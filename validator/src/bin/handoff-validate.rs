//! `handoff-validate`: the validator as a standalone binary (what `cargo xtask bench` runs in release mode).
//!
//! Same arguments as `cargo xtask validate`, the subcommands `tap` and `report` (as `cargo xtask tap`/`report`), plus two hidden flags for the benchmark: `--floor` measures the
//! parse floor (serde_json into `IgnoredAny` per line) instead of validating, and `--report-peak-rss` prints this
//! process's peak resident set size (VmHWM from /proc/self/status) to stderr at exit.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use handoff_validator::{cli, tap, timeline_cli};

#[derive(Parser)]
#[command(
    name = "handoff-validate",
    about = "Validate recorded handoff traffic",
    disable_version_flag = true,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    tool: Option<Tool>,
    #[command(flatten)]
    args: cli::Args,
    /// Measure the parse floor over the given JSON Lines files instead of validating.
    #[arg(long, hide = true)]
    floor: bool,
    /// Print `peak_rss_kib=N` to stderr at exit.
    #[arg(long, hide = true)]
    report_peak_rss: bool,
}

/// Tools beside plain validation (a capture file named like one of them is passed as `./NAME`).
#[derive(clap::Subcommand)]
enum Tool {
    /// Run a command (e.g. `codex app-server`) behind a validating stdio tap.
    Tap(tap::Args),
    /// Render captures as timelines (html, mermaid or json).
    Report(timeline_cli::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(tool) = &cli.tool {
        return match tool {
            Tool::Tap(args) => ExitCode::from(tap::run(args)),
            Tool::Report(args) => ExitCode::from(timeline_cli::run(args, &mut io::stdout(), &mut io::stderr())),
        };
    }
    let code =
        if cli.floor { floor(&cli.args.paths) } else { cli::run(&cli.args, &mut io::stdout(), &mut io::stderr()) };
    if cli.report_peak_rss {
        match peak_rss_kib() {
            Some(kib) => eprintln!("peak_rss_kib={kib}"),
            None => eprintln!("peak_rss_kib=unknown"),
        }
    }
    ExitCode::from(code)
}

/// Parses every line into `IgnoredAny`: the least any JSON validator must do. Prints `lines=N bytes=N secs=F`.
fn floor(paths: &[String]) -> u8 {
    let started = Instant::now();
    let (mut lines, mut bytes) = (0u64, 0u64);
    let mut line = Vec::new();
    for path in paths {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(error) => {
                eprintln!("{path}: {error}");
                return 2;
            }
        };
        let mut reader = BufReader::with_capacity(256 * 1024, file);
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(n) => bytes += n as u64,
                Err(error) => {
                    eprintln!("{path}: {error}");
                    return 2;
                }
            }
            if serde_json::from_slice::<serde::de::IgnoredAny>(&line).is_err() {
                eprintln!("{path}: line {} is not JSON", lines + 1);
                return 1;
            }
            lines += 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let _ = writeln!(io::stdout(), "lines={lines} bytes={bytes} secs={secs:.6}");
    0
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
