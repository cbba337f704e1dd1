//! `cargo xtask upstream [--check] [--codex-version V] [--format human|json]`: the contract against the pinned Codex
//! release (see README "Tracking the Codex release").
//!
//! Installs the release with `handoff-upstream` (or reads `--upstream-schema DIR`), compares `x-rpc` with its method
//! lists and every `x-upstream` def with its upstream type and, without `--check`, brings `x-rpc` in line and
//! writes the schema back.
//!
//! Exit codes: 0 in line (or brought in line), 1 differences under `--check` (or breaking type differences, which
//! no rewrite fixes), 2 bad input (a version not on the registry, an npm failure, an unreadable upstream schema
//! directory or schema file).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::ReportFormat as Format;
use handoff_schema::{Contract, SCHEMA_PATH};
use handoff_upstream::report::{Comparison, Mode, render_human, render_json};
use handoff_upstream::upstream_schema::UpstreamSchema;
use handoff_upstream::{methods, types};
use serde_json::Value;

#[derive(clap::Args)]
pub struct Args {
    /// Write nothing; exit 1 when the schema differs from upstream.
    #[arg(long)]
    check: bool,
    /// The Codex release to compare with. Default: the pin in upstream/codex-version.
    #[arg(long, value_name = "V")]
    codex_version: Option<String>,
    /// Read an already generated upstream schema directory instead of installing the release (its version is then
    /// only a label).
    #[arg(long, value_name = "DIR")]
    upstream_schema: Option<PathBuf>,
    /// The schema file to compare and update. Default: the workspace's schema/protocol.schema.json.
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let version = args.codex_version.clone().unwrap_or_else(|| handoff_upstream::pinned_version().to_owned());
    let schema_dir = match &args.upstream_schema {
        Some(dir) => dir.clone(),
        None => {
            let installation = handoff_upstream::install(&version)
                .with_context(|| format!("cannot install @openai/codex@{version}"))?;
            installation.schema_dir
        }
    };
    let upstream = UpstreamSchema::read(&schema_dir)
        .with_context(|| format!("cannot read the upstream schema directory {}", schema_dir.display()))?;

    let schema_path = args.schema.clone().unwrap_or_else(|| crate::workspace_root().join(SCHEMA_PATH));
    let schema_name = schema_path.display().to_string();
    let text =
        std::fs::read_to_string(&schema_path).with_context(|| format!("cannot read the schema {schema_name}"))?;
    let contract =
        Contract::from_str(&text, &schema_name).with_context(|| format!("the schema {schema_name} is invalid"))?;
    let usage = contract.ir.usage();
    let mut document = contract.document;

    let x_rpc = document.get("x-rpc").and_then(Value::as_object).context("the schema has no x-rpc table")?;
    let method_report = methods::compare(x_rpc, &upstream).with_context(|| format!("in {schema_name}"))?;
    let type_report = types::compare(&document, &usage, &upstream).with_context(|| format!("in {schema_name}"))?;
    let comparison = Comparison {
        version,
        schema_dir: schema_dir.display().to_string(),
        methods: method_report,
        types: type_report,
    };

    let mode = if args.check {
        Mode::Check
    } else if comparison.methods.changes.is_empty() {
        Mode::Update { written: false }
    } else {
        let Some(Value::Object(x_rpc)) = document.get_mut("x-rpc") else { bail!("the schema has no x-rpc table") };
        methods::apply(x_rpc, &comparison.methods);
        let mut updated = serde_json::to_string_pretty(&document).context("cannot serialize the schema")?;
        updated.push('\n');
        // What is written must still be a valid contract: never leave a schema `gen` refuses.
        Contract::from_str(&updated, &schema_name).context("the updated schema would be invalid; nothing written")?;
        std::fs::write(&schema_path, updated).with_context(|| format!("cannot write {schema_name}"))?;
        Mode::Update { written: true }
    };
    match args.format {
        Format::Human => print!("{}", render_human(&comparison, mode)),
        Format::Json => println!("{:#}", render_json(&comparison, mode)),
    }
    Ok(if comparison.fails(mode) { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
