//! `cargo xtask conformance [--keep DIR]`: the router and the validator against the real Codex app-server.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use handoff_conformance::{Options, RunSummary};

#[derive(clap::Args)]
pub struct Args {
    /// Keep the captures, each scenario's CODEX_HOME and the servers' stderr in DIR (emptied first).
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    // The same pin and install as `cargo xtask upstream` (reused when the cache holds it).
    let version = handoff_upstream::pinned_version();
    let installation =
        handoff_upstream::install(version).with_context(|| format!("installing the pinned Codex release {version}"))?;
    let keep = match &args.keep {
        Some(dir) => Some(std::path::absolute(dir).with_context(|| format!("resolving {}", dir.display()))?),
        None => None,
    };
    let options = Options {
        codex: installation.codex,
        version: installation.version,
        keep,
        scratch_parent: handoff_upstream::cache_root().join("conformance"),
    };
    std::fs::create_dir_all(&options.scratch_parent)
        .with_context(|| format!("creating {}", options.scratch_parent.display()))?;
    let summary = handoff_conformance::run(&options)
        .with_context(|| format!("running the conformance scenarios against codex app-server {}", options.version))?;
    print_summary(&options, &summary);
    Ok(if summary.failed() == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn print_summary(options: &Options, summary: &RunSummary) {
    println!("conformance against codex app-server {} ({})", options.version, options.codex.display());
    for scenario in &summary.scenarios {
        let verdict = if scenario.failure.is_some() { "FAILED" } else { "passed" };
        println!("scenario {} — {}: {verdict}", scenario.name, scenario.title);
        for fact in &scenario.facts {
            println!("  - {fact}");
        }
        let findings = &scenario.findings;
        let warnings = if findings.strict_warnings.is_empty() {
            "none".to_owned()
        } else {
            findings
                .strict_warnings
                .iter()
                .map(|(rule, count)| format!("{rule} ×{count}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let provoked = match scenario.provoked_errors {
            0 => String::new(),
            n => format!(" ({n} provoked on purpose, as expected)"),
        };
        println!(
            "  validator: {} error(s){provoked}; strict warnings: {} ({warnings}); decoded {} frame(s) with the generated types, {} refused",
            findings.errors.len(),
            findings.strict_total(),
            findings.decoded,
            findings.decode_failures.len()
        );
        println!("  capture: {}", scenario.capture.display());
        if let Some(failure) = &scenario.failure {
            println!("  FAILURE: {}", failure.replace('\n', "\n  "));
        }
    }
    match &summary.kept {
        Some(dir) => println!("captures kept in {}", dir.display()),
        None => println!("captures deleted (keep them with --keep DIR)"),
    }
    let failed = summary.failed();
    println!("{} passed, {failed} failed ({:.1} s)", summary.scenarios.len() - failed, summary.elapsed.as_secs_f64());
}
