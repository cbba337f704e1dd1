//! The command-line contract of `cargo xtask verdicts DIR`: exit 2 when a language's file is missing or
//! unreadable, 1 on a disagreement, with the table on stdout.

use std::path::Path;
use std::process::{Command, Output};

use tempfile::TempDir;

fn scratch(name: &str) -> TempDir {
    tempfile::Builder::new().prefix(&format!("xtask-verdicts-{name}-")).tempdir().unwrap()
}

fn verdicts(dir: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("verdicts")
        .arg(dir)
        .args(extra)
        .output()
        .expect("the xtask binary runs")
}

#[test]
fn a_missing_language_file_exits_2_naming_it() {
    let dir = scratch("missing");
    let output = verdicts(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("rust.jsonl") && stderr.contains("cannot read"), "{stderr}");
}

#[test]
fn a_malformed_line_exits_2_naming_file_and_line() {
    let dir = scratch("malformed");
    std::fs::write(dir.path().join("kotlin.jsonl"), "{\"suite\":\"tool_calls\"}\n").unwrap();
    let output = verdicts(dir.path(), &["--languages", "kotlin"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("kotlin.jsonl: line 1:"), "{stderr}");
}

#[test]
fn a_disagreement_exits_1_with_the_table() {
    let dir = scratch("disagree");
    // Call 0 of tool_calls.json is a valid `codex` call; refusing it is a disagreement, and every other case
    // has no verdict at all.
    let line = r#"{"suite":"tool_calls","case":"0","accepted":false,"tool":null,"error_kind":"unknown_tool"}"#;
    std::fs::write(dir.path().join("swift.jsonl"), format!("{line}\n")).unwrap();
    let output = verdicts(dir.path(), &["--languages", "swift"]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "tool_calls #0\n  fixtures    accepted tool codex\n  swift       refused unknown_tool   <- differs\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("(no verdict)"), "{stdout}");
}

#[test]
fn an_unknown_language_is_a_usage_error() {
    let dir = scratch("unknown");
    assert_eq!(verdicts(dir.path(), &["--languages", "cobol"]).status.code(), Some(2));
}
