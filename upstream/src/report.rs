//! The outcome of `cargo xtask upstream`, as human text and as one JSON document.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::methods::{MethodChange, MethodReport};

/// Everything one run found.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The upstream release compared with.
    pub version: String,
    /// Where its generated schema was read from.
    pub schema_dir: String,
    pub methods: MethodReport,
}

/// What the run did with the differences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `--check`: nothing written; differences fail.
    Check,
    /// The schema file was brought in line (`written` is false when it already was).
    Update { written: bool },
}

impl Comparison {
    /// True when `--check` fails.
    pub fn has_differences(&self) -> bool {
        !self.methods.changes.is_empty()
    }
}

pub fn render_human(comparison: &Comparison, mode: Mode) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "comparing with @openai/codex@{} ({})", comparison.version, comparison.schema_dir);
    let methods = &comparison.methods;
    let _ = writeln!(out, "\nx-rpc (the method table)");
    for change in &methods.changes {
        let sign = match change {
            MethodChange::Added { .. } => "+",
            MethodChange::Removed { .. } => "-",
            MethodChange::DirectionChanged { .. } => "~",
        };
        let _ = writeln!(out, "  {sign} [{}] {}", change.kind(), change.describe());
    }
    for kept in &methods.kept {
        let _ = writeln!(out, "  = `{}` is not upstream; kept (x-origin: {})", kept.method, kept.origin);
    }
    if methods.changes.is_empty() {
        let _ = writeln!(out, "  in line with upstream");
    }
    let _ = writeln!(out, "\n{}", verdict(comparison, mode));
    out
}

pub fn render_json(comparison: &Comparison, mode: Mode) -> Value {
    let methods = &comparison.methods;
    let changes: Vec<Value> = methods
        .changes
        .iter()
        .map(|change| {
            let mut entry = json!({ "method": change.method(), "kind": change.kind(), "message": change.describe() });
            match change {
                MethodChange::Added { direction, .. } | MethodChange::Removed { direction, .. } => {
                    entry["direction"] = json!(direction.wire());
                }
                MethodChange::DirectionChanged { ours, upstream, .. } => {
                    entry["ours"] = json!(ours.wire());
                    entry["upstream"] = json!(upstream.wire());
                }
            }
            entry
        })
        .collect();
    let kept: Vec<Value> = methods.kept.iter().map(|k| json!({ "method": k.method, "origin": k.origin })).collect();
    json!({
        "codex_version": comparison.version,
        "upstream_schema_dir": comparison.schema_dir,
        "mode": match mode { Mode::Check => "check", Mode::Update { .. } => "update" },
        "written": matches!(mode, Mode::Update { written: true }),
        "methods": { "changes": changes, "kept": kept },
        "ok": !(mode == Mode::Check && comparison.has_differences()),
        "verdict_message": verdict(comparison, mode),
    })
}

fn verdict(comparison: &Comparison, mode: Mode) -> String {
    let count = comparison.methods.changes.len();
    match mode {
        Mode::Check if count == 0 => "ok: the schema is in line with upstream".to_owned(),
        Mode::Check => format!(
            "error: {count} difference(s) with upstream {}; run `cargo xtask upstream` to bring x-rpc in line, \
             review the diff and commit",
            comparison.version
        ),
        Mode::Update { written: true } => format!("updated: {count} change(s) written to the schema; review the diff"),
        Mode::Update { written: false } => "ok: the schema is in line with upstream; nothing written".to_owned(),
    }
}
