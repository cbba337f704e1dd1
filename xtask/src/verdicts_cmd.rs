//! `cargo xtask verdicts DIR`: reads `DIR/<lang>.jsonl` of every language, compares each with the fixtures'
//! expectations (and so with each other), prints the table of disagreements. Exit 0 when there is none, 1 when
//! there is any, 2 when a language's file or a fixture is missing or unreadable. The logic is in `verdicts.rs`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use handoff_schema::{Contract, TypeKind};
use serde_json::Value;

use crate::verdicts::{
    LANGUAGES, Verdicts, apply_known, disagreements, expectations, parse_known, parse_verdicts, render,
};
use crate::workspace_root;

/// Differences accepted for now, each with its reason; see `verdicts::KnownDifference`.
const KNOWN_DIFFERENCES: &str = "tests/fixtures/known_verdict_differences.json";

#[derive(clap::Args)]
pub struct Args {
    /// The directory the test runs wrote their verdicts to (CONTRACT_VERDICTS_DIR).
    dir: PathBuf,
    /// Compare only these languages (comma-separated), e.g. on a machine that cannot run one of them.
    #[arg(long, value_delimiter = ',', default_values_t = LANGUAGES.map(str::to_owned))]
    languages: Vec<String>,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    if let Some(unknown) = args.languages.iter().find(|l| !LANGUAGES.contains(&l.as_str())) {
        bail!("unknown language `{unknown}`; the languages are {}", LANGUAGES.join(", "));
    }
    let root = workspace_root();
    let contract = Contract::canonical().context("the canonical schema")?;
    let expected = load_expectations(&root, &contract)?;
    let mut languages = Vec::new();
    for language in &args.languages {
        let path = args.dir.join(format!("{language}.jsonl"));
        languages.push((language.clone(), load_language(&path)?));
    }
    let known_path = root.join(KNOWN_DIFFERENCES);
    let known_text = std::fs::read_to_string(&known_path).with_context(|| format!("{}", known_path.display()))?;
    let known = parse_known(&known_text).map_err(|e| anyhow::anyhow!("{}: {e}", known_path.display()))?;
    let (accepted, rows, stale) =
        apply_known(disagreements(&contract.ir, &expected, &languages), &known, &args.languages);
    let messages = expected.keys().filter(|k| matches!(k, crate::verdicts::CaseKey::Message { .. })).count();
    let summary = format!(
        "{} case(s) ({messages} messages, {} tool calls) across {}",
        expected.len(),
        expected.len() - messages,
        args.languages.join(", ")
    );
    if !accepted.is_empty() {
        println!("known differences ({KNOWN_DIFFERENCES}), not failures:");
        print!("{}", render(&accepted));
        for row in &accepted {
            for k in known.iter().filter(|k| k.case == row.key.to_string()) {
                println!("  why ({}): {}", k.language, k.reason);
            }
        }
    }
    for k in &stale {
        println!(
            "stale known difference: {} on {:?} no longer differs; remove it from {KNOWN_DIFFERENCES}",
            k.language, k.case
        );
    }
    if rows.is_empty() && stale.is_empty() {
        println!("verdicts: no disagreement ({} known): {summary}", accepted.len());
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", render(&rows));
    println!("verdicts: {} disagreement(s), {} stale known difference(s) in {summary}", rows.len(), stale.len());
    Ok(ExitCode::from(1))
}

fn load_language(path: &Path) -> Result<Verdicts> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("{}: cannot read the verdicts", path.display()))?;
    let verdicts = parse_verdicts(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if verdicts.is_empty() {
        bail!("{}: no verdicts (did the test run write them?)", path.display());
    }
    Ok(verdicts)
}

fn load_expectations(root: &Path, contract: &Contract) -> Result<Verdicts> {
    let dir = root.join("tests/fixtures/messages");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("{}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("{}", dir.display()))?;
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    let mut messages = Vec::new();
    for path in files {
        let def = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        messages.push((def, read_json(&path)?));
    }
    let calls_path = root.join("tests/fixtures/realtime/tool_calls.json");
    let calls = match read_json(&calls_path)?.get("calls") {
        Some(Value::Array(calls)) => calls.clone(),
        _ => bail!("{}: `calls` must be an array", calls_path.display()),
    };
    let keeps_unlisted = |def: &str, value: &Value| open_policy_accepts(contract, def, value);
    expectations(&messages, &calls, &keeps_unlisted).map_err(|e| anyhow::anyhow!("tests/fixtures: {e}"))
}

/// Whether the def's schema with every open enum (the IR's policy) taking any string accepts `value`: what a
/// decoder that keeps unlisted values accepts (the same relaxation as tests/tests/messages.rs).
fn open_policy_accepts(contract: &Contract, def: &str, value: &Value) -> bool {
    let Some(mut schema) = contract.def_schema(def) else { return false };
    for open in contract.ir.types.values() {
        if let TypeKind::StringEnum(e) = &open.kind
            && e.openness.is_open()
        {
            schema["$defs"][&open.name] = serde_json::json!({ "type": "string" });
        }
    }
    jsonschema::draft202012::new(&schema).is_ok_and(|validator| validator.is_valid(value))
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))
}
