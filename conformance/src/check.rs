//! What every scenario runs on its capture: the validator (no error; strict warnings counted), then every frame
//! whose method has a def in the contract decoded with the generated Rust types.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, anyhow};
use codex_handoff_contract::{methods, registry};
use handoff_validator::{Config, Schemas, Severity, validate_reader};
use serde_json::Value;

use crate::capture::REALTIME;

/// One error of the plain validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureError {
    /// The frame's capture line.
    pub line: u64,
    pub rule: String,
    /// `line N rule pointer: message`.
    pub text: String,
}

/// What the checks found in one capture.
#[derive(Debug, Default)]
pub struct CaptureFindings {
    /// Errors of the plain (non-strict) validation.
    pub errors: Vec<CaptureError>,
    /// Strict warnings, counted per rule.
    pub strict_warnings: BTreeMap<String, usize>,
    /// Frames decoded with a generated type.
    pub decoded: usize,
    /// Frames a generated type refused, rendered `line method (type): error`.
    pub decode_failures: Vec<String>,
}

impl CaptureFindings {
    pub fn strict_total(&self) -> usize {
        self.strict_warnings.values().sum()
    }
}

/// Validates and decodes one capture (the text of a JSONL entries capture with its header).
pub fn check_capture(schemas: &Schemas, name: &str, text: &str) -> anyhow::Result<CaptureFindings> {
    let mut findings = CaptureFindings::default();
    let plain = validate_reader(schemas, &Config::default(), name, text.as_bytes(), None)
        .with_context(|| format!("validating {name}"))?;
    for diagnostic in plain.diagnostics.iter().filter(|d| d.severity == Severity::Error) {
        let pointer = if diagnostic.pointer.is_empty() { "-" } else { &diagnostic.pointer };
        let text = format!("line {} {} {pointer}: {}", diagnostic.line, diagnostic.rule, diagnostic.message);
        findings.errors.push(CaptureError { line: diagnostic.line, rule: diagnostic.rule.clone(), text });
    }
    let strict = Config { strict: true, ..Config::default() };
    let report =
        validate_reader(schemas, &strict, name, text.as_bytes(), None).with_context(|| format!("validating {name}"))?;
    for diagnostic in report.diagnostics.iter().filter(|d| d.severity == Severity::Warning) {
        *findings.strict_warnings.entry(diagnostic.rule.clone()).or_default() += 1;
    }
    decode_frames(text, &mut findings)?;
    Ok(findings)
}

/// Decodes params of requests and notifications, and results of answered requests, whose method names a def.
fn decode_frames(text: &str, findings: &mut CaptureFindings) -> anyhow::Result<()> {
    // (server id, request id as JSON text, who sent the request) → method, to type the answers.
    let mut requests: HashMap<(String, String, String), String> = HashMap::new();
    for (number, line) in text.lines().enumerate() {
        let line_number = number + 1;
        let entry: Value =
            serde_json::from_str(line).map_err(|error| anyhow!("capture line {line_number} is not JSON: {error}"))?;
        if entry.get("servers").is_some() {
            continue;
        }
        let server = entry["server_id"].as_str().unwrap_or_default().to_owned();
        let dir = entry["dir"].as_str().unwrap_or_default().to_owned();
        if server == REALTIME {
            continue;
        }
        let message = &entry["json"];
        let id = message.get("id").map(Value::to_string);
        let mut decode = |method: &str, type_name: Option<&str>, value: &Value| {
            let Some(type_name) = type_name else { return };
            let Some(entry) = registry::find(type_name) else {
                findings.decode_failures.push(format!(
                    "line {line_number} {method}: the method table names type {type_name}, which is not generated"
                ));
                return;
            };
            match (entry.round_trip)(value.clone()) {
                Ok(_) => findings.decoded += 1,
                Err(error) => {
                    findings.decode_failures.push(format!("line {line_number} {method} ({type_name}): {error}"))
                }
            }
        };
        match (message.get("method").and_then(Value::as_str), id) {
            (Some(method), id) => {
                if let Some(id) = id {
                    requests.insert((server.clone(), id, dir.clone()), method.to_owned());
                }
                if let Some(info) = methods::lookup(method) {
                    let params = message.get("params").cloned().unwrap_or(Value::Null);
                    decode(method, info.params, &params);
                }
            }
            (None, Some(id)) => {
                let asker = if dir == "in" { "out" } else { "in" };
                let Some(method) = requests.remove(&(server.clone(), id, asker.to_owned())) else { continue };
                if let (Some(info), Some(result)) = (methods::lookup(&method), message.get("result")) {
                    decode(&method, info.result, result);
                }
            }
            (None, None) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_params_and_answers_and_reports_refusals() {
        let text = concat!(
            "{\"servers\":[{\"id\":\"a\",\"name\":\"a\"}]}\n",
            "{\"ts_ms\":0,\"dir\":\"out\",\"server_id\":\"a\",\"json\":{\"id\":1,\"method\":\"thread/resume\",\"params\":{\"threadId\":\"thr_1\"}}}\n",
            "{\"ts_ms\":1,\"dir\":\"in\",\"server_id\":\"a\",\"json\":{\"id\":1,\"result\":{\"thread\":{\"id\":\"thr_1\"},\"model\":\"m\",\"modelProvider\":\"p\",\"cwd\":\"/\",\"approvalPolicy\":\"never\",\"sandbox\":{\"type\":\"readOnly\"}}}}\n",
            "{\"ts_ms\":2,\"dir\":\"out\",\"server_id\":\"a\",\"json\":{\"id\":2,\"method\":\"thread/resume\",\"params\":{\"threadId\":\"bad id\"}}}\n",
            "{\"ts_ms\":3,\"dir\":\"in\",\"server_id\":\"realtime\",\"json\":{\"type\":\"session.updated\"}}\n",
        );
        let mut findings = CaptureFindings::default();
        decode_frames(text, &mut findings).unwrap();
        assert_eq!(findings.decoded, 2, "{findings:?}");
        assert_eq!(findings.decode_failures.len(), 1, "{findings:?}");
        assert!(findings.decode_failures[0].starts_with("line 4 thread/resume (ThreadResumeParams)"), "{findings:?}");
    }
}
