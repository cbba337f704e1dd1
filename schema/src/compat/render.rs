//! The two output formats of `cargo xtask compat`: human text grouped by def, and one JSON document.

use std::fmt::Write;

use serde_json::{Value, json};

use super::{Class, NewMessages, Report};

/// Human output: a header, the findings grouped by def (each with its pointer and kind), and a verdict line.
/// `old_source` and `new_source` name where each schema came from.
pub fn render_human(report: &Report, old_source: &str, new_source: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "comparing {new_source} (x-version {}) with {old_source} (x-version {})",
        report.new_version, report.old_version
    );
    let mut current_def: Option<&str> = None;
    for finding in &report.findings {
        if current_def != Some(finding.def.as_str()) {
            current_def = Some(&finding.def);
            let what = match finding.def.as_str() {
                // Methods and tools each have their own direction; the group has none.
                super::RPC_GROUP => "the method table",
                super::TOOLS_GROUP => "the voice model's tools, decoded by the client",
                _ => finding.usage.describe(),
            };
            let _ = writeln!(out, "\n{} ({what})", finding.def);
        }
        let _ = writeln!(out, "  {}", finding.line());
    }
    let breaking = report.breaking().count();
    let compatible = report.findings.len() - breaking;
    if report.findings.is_empty() {
        let _ = writeln!(out, "\nno changes");
    } else {
        let _ = writeln!(out, "\n{} change(s): {breaking} breaking, {compatible} compatible", report.findings.len());
    }
    let _ = writeln!(out, "{}", verdict(report));
    out
}

/// The last line of human output, also the `verdict_message` of the JSON output.
fn verdict(report: &Report) -> String {
    let (old, new) = (&report.old_version, &report.new_version);
    if !report.has_breaking() {
        "ok: no breaking changes".to_owned()
    } else if report.major_raised() {
        format!("ok: breaking changes are declared by the x-version major bump {old} -> {new}")
    } else {
        let next = old.split('.').next().and_then(|m| m.parse::<u64>().ok()).map_or(1, |m| m + 1);
        format!(
            "error: breaking changes without an x-version major bump ({old} -> {new}); make them compatible or \
             raise x-version to {next}.0.0"
        )
    }
}

/// JSON output: `{"compared":true,"old":{"source","version"},"new":{…},"major_raised","breaking","compatible",
/// "passed","verdict","findings":[{"def","pointer","kind","class","usage","rejects_old","rejects_new","message"}]}`.
pub fn render_json(report: &Report, old_source: &str, new_source: &str) -> Value {
    let breaking = report.breaking().count();
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut usage = Vec::new();
            if f.usage.decoded {
                usage.push("decoded");
            }
            if f.usage.encoded {
                usage.push("encoded");
            }
            json!({
                "def": f.def,
                "pointer": f.pointer,
                "kind": f.kind.id(),
                "class": f.class.as_str(),
                "usage": usage,
                "rejects_old": f.effect.rejects_old,
                "rejects_new": match f.effect.rejects_new {
                    NewMessages::Accepted => "accepted",
                    NewMessages::Possible => "possible",
                    NewMessages::Always => "always",
                },
                "message": f.message,
            })
        })
        .collect();
    json!({
        "compared": true,
        "old": { "source": old_source, "version": report.old_version },
        "new": { "source": new_source, "version": report.new_version },
        "major_raised": report.major_raised(),
        "breaking": breaking,
        "compatible": report.findings.iter().filter(|f| f.class == Class::Compatible).count(),
        "passed": !report.fails(),
        "verdict": verdict(report),
        "findings": findings,
    })
}

/// JSON output when there is no old schema to compare with (no previous commit, or it has no schema file).
pub fn render_json_absent(note: &str) -> Value {
    json!({ "compared": false, "passed": true, "note": note })
}
