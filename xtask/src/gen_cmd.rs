//! `cargo xtask gen [--check]`.

use std::process::ExitCode;

use anyhow::Context;
use handoff_codegen::{DriftKind, GEN_COMMAND};
use handoff_schema::Contract;

#[derive(clap::Args)]
pub struct Args {
    /// Write nothing; exit 1 naming every generated file that is stale, missing or no longer generated.
    #[arg(long)]
    check: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let root = crate::workspace_root();
    let contract = Contract::canonical().context("the canonical schema is invalid")?;
    let outputs = handoff_codegen::generate_all(&contract.ir)?;
    if args.check {
        let drift = handoff_codegen::diff(&root, &outputs).context("reading generated files")?;
        if drift.is_empty() {
            println!("generated files are up to date");
            return crate::validate_cmd::check_traffic_fixtures(&root);
        }
        for item in &drift {
            eprintln!("{item}");
        }
        eprintln!("{} generated file(s) out of date; run `{GEN_COMMAND}` and commit the result", drift.len());
        return Ok(ExitCode::from(1));
    }
    let changed = handoff_codegen::apply(&root, &outputs).context("writing generated files")?;
    for item in &changed {
        let verb = if item.kind == DriftKind::Orphaned { "removed" } else { "wrote" };
        println!("{verb} {}", item.path);
    }
    let total: usize = outputs.iter().map(|o| o.files.len()).sum();
    println!("{total} generated file(s), {} changed", changed.len());
    crate::validate_cmd::check_traffic_fixtures(&root)
}
