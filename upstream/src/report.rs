//! The outcome of `cargo xtask upstream`, as human text and as one JSON document.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::methods::{MethodChange, MethodReport};
use crate::types::TypeReport;

/// Everything one run found.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The upstream release compared with.
    pub version: String,
    /// Where its generated schema was read from.
    pub schema_dir: String,
    pub methods: MethodReport,
    pub types: TypeReport,
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
    /// True when `--check` fails: a method-table difference or a breaking type difference.
    pub fn has_differences(&self) -> bool {
        !self.methods.changes.is_empty() || self.has_breaking_types()
    }

    /// Breaking type differences: `cargo xtask upstream` cannot fix them, so they fail without `--check` too.
    pub fn has_breaking_types(&self) -> bool {
        self.types.breaking().next().is_some()
    }

    /// True when the run fails (exit 1).
    pub fn fails(&self, mode: Mode) -> bool {
        match mode {
            Mode::Check => self.has_differences(),
            Mode::Update { .. } => self.has_breaking_types(),
        }
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
    render_types_human(&comparison.types, &mut out);
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
        "types": types_json(&comparison.types),
        "breaking": comparison.types.breaking().count(),
        "ok": !comparison.fails(mode),
        "verdict_message": verdict(comparison, mode),
    })
}

fn verdict(comparison: &Comparison, mode: Mode) -> String {
    let count = comparison.methods.changes.len();
    let breaking = comparison.types.breaking().count();
    let types = if breaking == 0 {
        String::new()
    } else {
        format!(
            "; {breaking} breaking type difference(s): fix the def, or declare an intended difference with \
             `x-upstream-differs` next to the member"
        )
    };
    let status = if comparison.fails(mode) { "error" } else { "ok" };
    match mode {
        Mode::Check if count == 0 && breaking == 0 => "ok: the schema is in line with upstream".to_owned(),
        Mode::Check => format!(
            "error: {count} method-table difference(s) with upstream {} (run `cargo xtask upstream` to bring x-rpc \
             in line, review the diff and commit){types}",
            comparison.version
        ),
        Mode::Update { written: true } => {
            format!("{status}: {count} method-table change(s) written to the schema; review the diff{types}")
        }
        Mode::Update { written: false } => format!("{status}: x-rpc is in line with upstream; nothing written{types}"),
    }
}

fn render_types_human(types: &TypeReport, out: &mut String) {
    let mut current: Option<&str> = None;
    for finding in &types.findings {
        if current != Some(finding.def.as_str()) {
            current = Some(&finding.def);
            let _ = writeln!(out, "\n{} (x-upstream {}; {})", finding.def, finding.upstream, finding.usage.describe());
        }
        let line =
            handoff_schema::compat::finding_line(finding.class, finding.kind.id(), &finding.pointer, &finding.message);
        let _ = writeln!(out, "  {line}");
    }
    let breaking = types.breaking().count();
    let _ = writeln!(
        out,
        "\ntypes: {} def(s) compared with upstream, {} difference(s) ({breaking} breaking), {} declared with x-upstream-differs",
        types.compared.len(),
        types.findings.len(),
        types.declared.len()
    );
}

fn types_json(types: &TypeReport) -> Value {
    let findings: Vec<Value> = types
        .findings
        .iter()
        .map(|f| {
            let usage: Vec<&str> = [(f.usage.decoded, "decoded"), (f.usage.encoded, "encoded")]
                .iter()
                .filter(|u| u.0)
                .map(|u| u.1)
                .collect();
            json!({
                "def": f.def, "upstream": f.upstream, "member": f.member, "pointer": f.pointer,
                "kind": f.kind.id(), "class": f.class.as_str(), "usage": usage, "message": f.message,
            })
        })
        .collect();
    let compared: Vec<Value> = types.compared.iter().map(|(def, up)| json!({ "def": def, "upstream": up })).collect();
    let declared: Vec<Value> =
        types.declared.iter().map(|(def, member, why)| json!({ "def": def, "member": member, "why": why })).collect();
    json!({ "compared": compared, "findings": findings, "declared": declared })
}
