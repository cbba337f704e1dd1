//! `cargo xtask conformance [--keep DIR]`: the router and the validator against the real Codex app-server.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use handoff_conformance::{Options, RunSummary};

#[derive(clap::Args)]
pub struct Args {
    /// Keep the captures, each scenario's CODEX_HOME and the servers' stderr in DIR (emptied first).
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
}

/// The pinned release this harness runs against (INTERFACES.md: the same pin as `cargo xtask upstream`).
const PINNED_VERSION: &str = "0.171.0";

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let cache = cache_root();
    let codex = installed_codex(&cache, PINNED_VERSION)?;
    let keep = match &args.keep {
        Some(dir) => Some(std::path::absolute(dir).with_context(|| format!("resolving {}", dir.display()))?),
        None => None,
    };
    let options =
        Options { codex, version: PINNED_VERSION.to_owned(), keep, scratch_parent: cache.join("conformance") };
    std::fs::create_dir_all(&options.scratch_parent)
        .with_context(|| format!("creating {}", options.scratch_parent.display()))?;
    match handoff_conformance::run(&options) {
        Ok(summary) => {
            print_summary(&options, &summary);
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("conformance FAILED against codex app-server {}:\n{error:#}", options.version);
            Ok(ExitCode::from(1))
        }
    }
}

fn print_summary(options: &Options, summary: &RunSummary) {
    println!("conformance against codex app-server {} ({})", options.version, options.codex.display());
    for scenario in &summary.scenarios {
        println!("scenario {} — {}: passed", scenario.name, scenario.title);
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
        println!(
            "  validator: no error; strict warnings: {} ({warnings}); decoded {} frame(s) with the generated types",
            findings.strict_total(),
            findings.decoded
        );
    }
    match &summary.kept {
        Some(dir) => println!("captures kept in {}", dir.display()),
        None => println!("(captures deleted; keep them with --keep DIR)"),
    }
    println!("{} passed, 0 failed ({:.1} s)", summary.scenarios.len(), summary.elapsed.as_secs_f64());
}

/// `$CODEX_HANDOFF_CACHE`, else `$HOME/.cache/codex-handoff-contract`.
fn cache_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("CODEX_HANDOFF_CACHE") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache").join("codex-handoff-contract")
}

/// The platform binary of an npm install of @openai/codex@VERSION under `<cache>/codex/VERSION`.
fn installed_codex(cache: &std::path::Path, version: &str) -> anyhow::Result<PathBuf> {
    let binary = cache
        .join("codex")
        .join(version)
        .join("node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex");
    if !binary.is_file() {
        bail!(
            "the pinned Codex release is not installed: {} is missing (install it with `npm install --no-audit --no-fund @openai/codex@{version}` in {})",
            binary.display(),
            cache.join("codex").join(version).display()
        );
    }
    Ok(binary)
}
