//! `cargo xtask <command>`: the project's automation, in Rust so it runs wherever cargo does.

mod bench_cmd;
mod compat_cmd;
mod conformance_cmd;
mod gen_cmd;
mod report_cmd;
mod tap_cmd;
mod upstream_cmd;
mod validate_cmd;
mod verdicts;
mod verdicts_cmd;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Handoff contract toolkit automation", disable_version_flag = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate every output from schema/protocol.schema.json.
    Gen(gen_cmd::Args),
    /// Compare the schema with an older one and flag breaking changes (exit 1 unless x-version's major was raised).
    Compat(compat_cmd::Args),
    /// Validate recorded traffic against the contract (exit 0 clean, 1 violations, 2 unreadable input or bad args).
    Validate(validate_cmd::Args),
    /// Run a command (e.g. `codex app-server`) behind a validating stdio tap; exits with the command's status.
    Tap(tap_cmd::Args),
    /// Render captures as timelines: one self-contained HTML page each, Mermaid diagrams per handoff, or JSON.
    Report(report_cmd::Args),
    /// Measure the validator against the serde_json parse floor on a synthetic capture.
    Bench(bench_cmd::Args),
    /// Run the router and the validator against the real Codex app-server (pinned release, loopback mocks).
    Conformance(conformance_cmd::Args),
    /// Compare the schema with the pinned Codex release and bring x-rpc in line (exit 1 on differences under
    /// --check, 2 on bad input).
    Upstream(upstream_cmd::Args),
    /// Compare every language's fixture verdicts (DIR/<lang>.jsonl) with the fixtures and with each other
    /// (exit 1 on any disagreement, 2 when a file is missing or unreadable).
    Verdicts(verdicts_cmd::Args),
}

/// How `compat` and `upstream` print their report.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Findings grouped by def, one line each, then a verdict line.
    Human,
    /// One JSON document (README "Schema evolution").
    Json,
}

fn main() -> ExitCode {
    // clap prints usage and exits 2 on unknown subcommands and bad flags.
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Gen(args) => gen_cmd::run(&args),
        Command::Compat(args) => compat_cmd::run(&args),
        Command::Validate(args) => validate_cmd::run(&args),
        Command::Bench(args) => bench_cmd::run(&args),
        Command::Conformance(args) => conformance_cmd::run(&args),
        Command::Tap(args) => tap_cmd::run(&args),
        Command::Report(args) => report_cmd::run(&args),
        Command::Upstream(args) => upstream_cmd::run(&args),
        Command::Verdicts(args) => verdicts_cmd::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// The workspace root: xtask lives one level below it.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask is inside the workspace").to_path_buf()
}
