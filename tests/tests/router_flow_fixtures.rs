//! The `flow-*` traffic fixtures against the flow checker alone: clean captures give no finding, invalid ones
//! exactly the flow diagnostics their `.expected` file lists (format: tests/fixtures/traffic/README.md).

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::harness::check_capture;
use handoff_flow::FlowFinding;
use serde_json::Value;

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/traffic").join(kind);
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| {
            let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
            name.starts_with("flow-") && !name.ends_with(".expected") && !name.ends_with(".md")
        })
        .collect();
    paths.sort();
    paths
}

/// A capture as JSON Lines of entries, whichever of the entry formats it is in (an array dump becomes one line per
/// element, its raw-string messages parsed).
fn as_entry_lines(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if !text.trim_start().starts_with('[') {
        return text;
    }
    let entries: Vec<Value> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    entries
        .into_iter()
        .map(|mut entry| {
            if let Some(raw) = entry["json"].as_str() {
                entry["json"] = serde_json::from_str(raw).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
            format!("{entry}\n")
        })
        .collect()
}

fn key(finding: &FlowFinding) -> (u64, String, String) {
    let pointer = if finding.pointer.is_empty() { "-".to_owned() } else { finding.pointer.clone() };
    (finding.position, finding.rule.to_owned(), pointer)
}

#[test]
fn valid_flow_fixtures_have_no_findings() {
    let paths = fixtures("valid");
    assert!(paths.len() >= 4, "flow fixtures missing: {paths:?}");
    for path in paths {
        let (findings, _) = check_capture(&as_entry_lines(&path));
        assert_eq!(findings, [], "{}", path.display());
    }
}

#[test]
fn the_recorder_dump_is_checked_on_request_order() {
    let path = fixtures("valid").into_iter().find(|path| path.extension().is_some_and(|ext| ext == "json"));
    let path = path.expect("a recorder dump among the flow fixtures");
    let (_, notes) = check_capture(&as_entry_lines(&path));
    assert_eq!(
        notes,
        [
            "server bigpc: no responses recorded; flow checked on request order",
            "server local: no responses recorded; flow checked on request order"
        ]
    );
}

#[test]
fn invalid_flow_fixtures_give_exactly_their_expected_flow_diagnostics() {
    let paths = fixtures("invalid");
    let rules: Vec<String> = paths
        .iter()
        .flat_map(|path| {
            let expected = fs::read_to_string(format!("{}.expected", path.display())).expect(".expected exists");
            expected.lines().filter_map(|line| line.split_whitespace().nth(2).map(str::to_owned)).collect::<Vec<_>>()
        })
        .collect();
    for rule in handoff_flow::FlowRule::ALL {
        assert!(rules.iter().any(|listed| listed == rule.id()), "no invalid fixture for {rule}");
    }
    for path in paths {
        let expected_text = fs::read_to_string(format!("{}.expected", path.display())).expect(".expected exists");
        let mut expected: Vec<(u64, String, String)> = expected_text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(|line| {
                let mut fields = line.splitn(4, char::is_whitespace).filter(|field| !field.is_empty());
                let line_no = fields.next()?.parse().ok()?;
                let _index = fields.next()?;
                let rule = fields.next()?.to_owned();
                let pointer = fields.next().unwrap_or("-").trim().to_owned();
                rule.starts_with("flow/").then_some((line_no, rule, pointer))
            })
            .collect();
        let (findings, _) = check_capture(&as_entry_lines(&path));
        let mut actual: Vec<_> = findings.iter().map(key).collect();
        expected.sort();
        actual.sort();
        assert_eq!(actual, expected, "{}", path.display());
    }
}
