//! Diagnostics and the two output formats (human lines, one JSON document).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

/// Errors make the exit code 1; warnings (`--strict`) are reported but do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about one frame of a capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// 1-based line where the frame starts.
    pub line: u64,
    /// 0-based element of an array dump; `None` for JSON Lines.
    pub index: Option<u64>,
    pub rule: String,
    /// The JSON-RPC method the frame carries or answers (or the realtime event type), when known.
    pub method: Option<String>,
    /// JSON pointer into the message (`""` = the whole message).
    pub pointer: String,
    pub message: String,
    pub severity: Severity,
}

/// The outcome of validating one input.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    /// The path as given on the command line (`-` for stdin).
    pub path: String,
    /// Frames read (every line or array element, valid or not).
    pub messages: u64,
    pub diagnostics: Vec<Diagnostic>,
    /// Summary notes from the flow rules (e.g. a server checked on request order).
    pub notes: Vec<String>,
    /// The input could not be read (missing file, I/O error): exit code 2.
    pub read_error: Option<String>,
    /// Diagnostics found but not listed (past the per-file limit), by severity and rule.
    pub omitted: BTreeMap<(Severity, String), u64>,
}

impl FileReport {
    /// Errors found, listed or not.
    pub fn errors(&self) -> usize {
        let omitted: u64 =
            self.omitted.iter().filter(|((severity, _), _)| *severity == Severity::Error).map(|(_, n)| n).sum();
        self.diagnostics.iter().filter(|d| d.severity == Severity::Error).count() + omitted as usize
    }

    /// Warnings found, listed or not.
    pub fn warnings(&self) -> usize {
        let omitted: u64 =
            self.omitted.iter().filter(|((severity, _), _)| *severity == Severity::Warning).map(|(_, n)| n).sum();
        self.diagnostics.iter().filter(|d| d.severity == Severity::Warning).count() + omitted as usize
    }
}

/// Exit code of a run: 2 when an input could not be read, else 1 when any error, else 0.
pub fn exit_code(reports: &[FileReport]) -> u8 {
    if reports.iter().any(|r| r.read_error.is_some()) {
        2
    } else if reports.iter().any(|r| r.errors() > 0) {
        1
    } else {
        0
    }
}

/// `path:line: error[rule]: message (at /pointer)` per diagnostic, then notes and one summary line.
pub fn render_human(reports: &[FileReport]) -> String {
    let mut out = String::new();
    let mut per_rule: BTreeMap<(Severity, &str), u64> = BTreeMap::new();
    for report in reports {
        for ((severity, rule), n) in &report.omitted {
            *per_rule.entry((*severity, rule.as_str())).or_default() += n;
        }
        if let Some(error) = &report.read_error {
            let _ = writeln!(out, "{}: error: cannot read input: {error}", report.path);
        }
        for d in &report.diagnostics {
            let severity = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let at = if d.pointer.is_empty() { String::new() } else { format!(" (at {})", d.pointer) };
            let element = d.index.map(|i| format!(" [element {i}]")).unwrap_or_default();
            let _ = writeln!(out, "{}:{}: {severity}[{}]: {}{at}{element}", report.path, d.line, d.rule, d.message);
            *per_rule.entry((d.severity, d.rule.as_str())).or_default() += 1;
        }
        for note in &report.notes {
            let _ = writeln!(out, "{}: note: {note}", report.path);
        }
    }
    let messages: u64 = reports.iter().map(|r| r.messages).sum();
    let errors: usize = reports.iter().map(FileReport::errors).sum();
    let warnings: usize = reports.iter().map(FileReport::warnings).sum();
    let unreadable = reports.iter().filter(|r| r.read_error.is_some()).count();
    let counts = |severity| {
        let parts: Vec<String> =
            per_rule.iter().filter(|((s, _), _)| *s == severity).map(|((_, rule), n)| format!("{rule}: {n}")).collect();
        if parts.is_empty() { String::new() } else { format!(" ({})", parts.join(", ")) }
    };
    let _ = write!(
        out,
        "{} file(s), {messages} message(s): {errors} error(s){}, {warnings} warning(s){}",
        reports.len(),
        counts(Severity::Error),
        counts(Severity::Warning)
    );
    if unreadable > 0 {
        let _ = write!(out, ", {unreadable} unreadable input(s)");
    }
    out.push('\n');
    out
}

#[derive(Serialize)]
struct JsonReport<'a> {
    files: usize,
    messages: u64,
    violations: Vec<JsonViolation<'a>>,
    notes: Vec<JsonNote<'a>>,
    unreadable: Vec<JsonNote<'a>>,
    /// Diagnostics past the per-file listing limit, counted.
    omitted: Vec<JsonOmitted<'a>>,
}

#[derive(Serialize)]
struct JsonOmitted<'a> {
    path: &'a str,
    rule: &'a str,
    severity: Severity,
    count: u64,
}

#[derive(Serialize)]
struct JsonViolation<'a> {
    path: &'a str,
    line: u64,
    index: Option<u64>,
    rule: &'a str,
    method: Option<&'a str>,
    pointer: &'a str,
    message: &'a str,
    severity: Severity,
}

#[derive(Serialize)]
struct JsonNote<'a> {
    path: &'a str,
    message: &'a str,
}

/// `{"files","messages","violations":[…],"notes":[…],"unreadable":[…],"omitted":[…]}`, violations in argument then
/// capture order.
/// Warnings are listed with `"severity":"warning"`; every other entry is an error.
pub fn render_json(reports: &[FileReport]) -> String {
    let report = JsonReport {
        files: reports.len(),
        messages: reports.iter().map(|r| r.messages).sum(),
        violations: reports
            .iter()
            .flat_map(|r| {
                r.diagnostics.iter().map(|d| JsonViolation {
                    path: &r.path,
                    line: d.line,
                    index: d.index,
                    rule: &d.rule,
                    method: d.method.as_deref(),
                    pointer: &d.pointer,
                    message: &d.message,
                    severity: d.severity,
                })
            })
            .collect(),
        notes: reports.iter().flat_map(|r| r.notes.iter().map(|n| JsonNote { path: &r.path, message: n })).collect(),
        unreadable: reports
            .iter()
            .filter_map(|r| r.read_error.as_deref().map(|e| JsonNote { path: &r.path, message: e }))
            .collect(),
        omitted: reports
            .iter()
            .flat_map(|r| {
                r.omitted.iter().map(|((severity, rule), count)| JsonOmitted {
                    path: &r.path,
                    rule,
                    severity: *severity,
                    count: *count,
                })
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&report).expect("a report always serializes");
    text.push('\n');
    text
}
