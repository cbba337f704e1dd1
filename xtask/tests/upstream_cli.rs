//! `cargo xtask upstream`, run as the built binary against hand-written upstream schema directories (and, for the
//! registry error, the real npm): exit 0 in line, 1 differences under `--check`, 2 bad input.

use std::path::Path;
use std::process::Command;

use handoff_schema::SCHEMA_JSON;
use serde_json::{Value, json};
use tempfile::TempDir;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn xtask(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("xtask runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A scratch directory per test, removed when dropped.
fn scratch(test: &str) -> TempDir {
    tempfile::Builder::new().prefix(&format!("xtask-upstream-cli-{test}-")).tempdir().unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// An upstream schema directory listing exactly the methods of the canonical `x-rpc` that have no `x-origin`, in
/// the shape `generate-json-schema` writes (a `oneOf` per direction, the method as a one-value enum), with our own
/// defs as its type definitions (so every `x-upstream` type exists and matches).
fn upstream_like_canonical(dir: &Path) {
    let schema: Value = serde_json::from_str(SCHEMA_JSON).unwrap();
    let mut files: [(&str, &str, Vec<Value>); 4] = [
        ("ClientRequest.json", "client_request", vec![]),
        ("ServerRequest.json", "server_request", vec![]),
        ("ServerNotification.json", "server_notification", vec![]),
        ("ClientNotification.json", "client_notification", vec![]),
    ];
    for (method, entry) in schema["x-rpc"].as_object().unwrap() {
        if entry.get("x-origin").is_some() {
            continue;
        }
        let file = files.iter_mut().find(|(_, direction, _)| entry["direction"] == *direction).unwrap();
        file.2.push(json!({
            "type": "object",
            "required": ["method"],
            "properties": {"method": {"type": "string", "enum": [method]}}
        }));
    }
    std::fs::create_dir_all(dir).unwrap();
    let definitions: Value =
        serde_json::from_str(&schema["$defs"].to_string().replace("#/$defs/", "#/definitions/")).unwrap();
    for (file, _, branches) in files {
        let doc = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "oneOf": branches,
            "definitions": definitions,
        });
        std::fs::write(dir.join(file), serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    }
}

#[test]
fn check_fails_on_a_missing_upstream_method_and_passes_once_upstream_restores_it() {
    let dir = scratch("restore");
    let upstream = dir.path().join("upstream-schema");
    upstream_like_canonical(&upstream);
    let schema_path = dir.path().join("protocol.schema.json");
    std::fs::write(&schema_path, SCHEMA_JSON).unwrap();
    let args = |extra: &[&'static str]| -> Vec<String> {
        let mut args: Vec<String> = ["upstream", "--upstream-schema", path(&upstream), "--schema", path(&schema_path)]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let run_with = |extra: &[&'static str]| {
        let args = args(extra);
        xtask(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[])
    };

    let run = run_with(&["--check"]);
    assert_eq!(run.code, Some(0), "the canonical schema against its own method list: {}{}", run.stdout, run.stderr);

    // Drop one upstream method from our table.
    let mut schema: Value = serde_json::from_str(SCHEMA_JSON).unwrap();
    let removed = schema["x-rpc"].as_object_mut().unwrap().remove("thread/readState/changed");
    assert!(removed.is_some(), "the canonical table lists thread/readState/changed");
    let edited = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    std::fs::write(&schema_path, &edited).unwrap();

    let run = run_with(&["--check"]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("[method-missing] `thread/readState/changed` (server_notification)"), "{}", run.stdout);
    assert_eq!(std::fs::read_to_string(&schema_path).unwrap(), edited, "--check writes nothing");

    let json = run_with(&["--check", "--format", "json"]);
    assert_eq!(json.code, Some(1));
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["ok"], json!(false));
    assert_eq!(
        report["methods"]["changes"],
        json!([{
            "method": "thread/readState/changed",
            "kind": "method-missing",
            "direction": "server_notification",
            "message": "`thread/readState/changed` (server_notification) is upstream but not in x-rpc: added"
        }])
    );

    let run = run_with(&[]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("ok: 1 method-table change(s) written"), "{}", run.stdout);
    assert_eq!(std::fs::read_to_string(&schema_path).unwrap(), SCHEMA_JSON, "restored byte for byte");

    let run = run_with(&["--check"]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
}

#[test]
fn methods_upstream_lacks_are_removed_unless_their_origin_is_marked() {
    let dir = scratch("origin");
    let upstream = dir.path().join("upstream-schema");
    upstream_like_canonical(&upstream);
    let mut schema: Value = serde_json::from_str(SCHEMA_JSON).unwrap();
    schema["x-rpc"]["legacy/thing"] = json!({"direction": "client_request"});
    let schema_path = dir.path().join("protocol.schema.json");
    std::fs::write(&schema_path, serde_json::to_string_pretty(&schema).unwrap() + "\n").unwrap();
    let base = ["upstream", "--upstream-schema", path(&upstream), "--schema", path(&schema_path)];

    let run = xtask(&[&base[..], &["--check"]].concat(), &[]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("[method-not-upstream] `legacy/thing` (client_request)"), "{}", run.stdout);
    assert!(
        run.stdout.contains("`thread/realtime/resolveHandoff` is not upstream; kept (x-origin: fork)"),
        "{}",
        run.stdout
    );

    assert_eq!(xtask(&base, &[]).code, Some(0));
    assert_eq!(std::fs::read_to_string(&schema_path).unwrap(), SCHEMA_JSON);
}

#[test]
fn bad_input_exits_2_with_a_clear_message() {
    let dir = scratch("bad");
    let schema_path = dir.path().join("protocol.schema.json");
    std::fs::write(&schema_path, SCHEMA_JSON).unwrap();
    let not_json = dir.path().join("not-json");
    upstream_like_canonical(&not_json);
    std::fs::write(not_json.join("ServerRequest.json"), "{ not json").unwrap();
    let no_methods = dir.path().join("no-methods");
    upstream_like_canonical(&no_methods);
    std::fs::write(no_methods.join("ClientRequest.json"), r#"{"definitions": {}}"#).unwrap();
    let missing = dir.path().join("missing");
    let cache = dir.path().join("cache");
    let empty_path = dir.path().join("empty-path");
    std::fs::create_dir_all(&empty_path).unwrap();

    // (extra arguments, environment, what stderr must say)
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (vec!["--upstream-schema", path(&missing)], vec![], "cannot read the upstream schema directory"),
        (vec!["--upstream-schema", path(&not_json)], vec![], "ServerRequest.json is not JSON"),
        (vec!["--upstream-schema", path(&no_methods)], vec![], "expected a `oneOf` over the methods"),
        (vec!["--codex-version", "latest"], vec![("CODEX_HANDOFF_CACHE", path(&cache))], "invalid Codex version"),
        // npm missing from PATH: an npm failure, never a silent pass.
        (
            vec!["--codex-version", "0.171.0"],
            vec![("CODEX_HANDOFF_CACHE", path(&cache)), ("PATH", path(&empty_path))],
            "cannot run npm",
        ),
        // The real registry: no such release.
        (
            vec!["--codex-version", "0.0.0-handoff-no-such-release"],
            vec![("CODEX_HANDOFF_CACHE", path(&cache))],
            "is not on the npm registry",
        ),
    ];
    for (extra, env, message) in cases {
        let args = [&["upstream", "--check", "--schema", path(&schema_path)][..], &extra].concat();
        let run = xtask(&args, &env);
        assert_eq!(run.code, Some(2), "{extra:?}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(message), "{extra:?}: {}", run.stderr);
    }
    assert_eq!(std::fs::read_to_string(&schema_path).unwrap(), SCHEMA_JSON);
}
