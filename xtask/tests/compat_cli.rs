//! `cargo xtask compat` exit codes, run as the built binary: 0 compatible (or declared by a major bump),
//! 1 breaking, 2 bad input.

use std::path::PathBuf;
use std::process::Command;

use handoff_schema::{Contract, SCHEMA_JSON};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn xtask(args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask")).args(args).output().expect("xtask runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A scratch directory per test, so tests running in parallel do not share files; removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(test: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("xtask-compat-cli-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

fn write(dir: &Scratch, name: &str, text: &str) -> String {
    let path = dir.0.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The real schema with `thread_id` required on the codex tool's arguments, at x-version `version`.
fn thread_id_required(version: &str) -> String {
    let mut doc = Contract::canonical().unwrap().document;
    doc["$defs"]["CodexToolArguments"]["required"].as_array_mut().unwrap().push("thread_id".into());
    doc["x-version"] = version.into();
    doc.to_string()
}

#[test]
fn unchanged_schema_exits_0() {
    let dir = scratch("unchanged");
    let old = write(&dir, "old.json", SCHEMA_JSON);
    let run = xtask(&["compat", "--against", &old, "--schema", &old]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("no changes"), "{}", run.stdout);
}

#[test]
fn breaking_change_exits_1_until_the_major_version_is_raised() {
    let dir = scratch("breaking");
    let old = write(&dir, "old.json", SCHEMA_JSON);
    let new = write(&dir, "new.json", &thread_id_required("1.0.0"));
    let run = xtask(&["compat", "--against", &old, "--schema", &new]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("breaking[field-required] /$defs/CodexToolArguments/properties/thread_id"),
        "{}",
        run.stdout
    );

    let json = xtask(&["compat", "--against", &old, "--schema", &new, "--format", "json"]);
    assert_eq!(json.code, Some(1), "{}{}", json.stdout, json.stderr);
    assert!(json.stdout.contains("\"passed\": false") && json.stdout.contains("\"kind\": \"field-required\""));

    let bumped = write(&dir, "bumped.json", &thread_id_required("2.0.0"));
    let run = xtask(&["compat", "--against", &old, "--schema", &bumped]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("declared by the x-version major bump 1.0.0 -> 2.0.0"), "{}", run.stdout);
}

#[test]
fn bad_input_exits_2() {
    let dir = scratch("bad");
    let good = write(&dir, "good.json", SCHEMA_JSON);
    let not_json = write(&dir, "not-json.json", "{ this is not json");
    let not_lowerable = write(&dir, "no-defs.json", r#"{"$schema":"https://json-schema.org/draft/2020-12/schema"}"#);
    for args in [
        vec!["compat", "--against", &not_json, "--schema", &good],
        vec!["compat", "--against", &good, "--schema", &not_lowerable],
        vec!["compat", "--against", &good, "--schema", "/no/such/schema.json"],
        vec!["compat", "--against", "no-such-ref-or-file-7a1c", "--schema", &good],
        vec!["compat", "--against", &good, "--format", "xml"],
    ] {
        let run = xtask(&args);
        assert_eq!(run.code, Some(2), "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains("error"), "{args:?}: {}", run.stderr);
    }
}
