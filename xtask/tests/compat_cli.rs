//! `cargo xtask compat` exit codes, run as the built binary: 0 compatible (or declared by a major bump),
//! 1 breaking, 2 bad input.

use std::process::Command;

use handoff_schema::{Contract, SCHEMA_JSON};
use tempfile::TempDir;

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
fn scratch(test: &str) -> TempDir {
    tempfile::Builder::new().prefix(&format!("xtask-compat-cli-{test}-")).tempdir().unwrap()
}

fn write(dir: &TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The canonical schema's `x-version`, and that version with its major or minor number raised.
fn current_version() -> String {
    Contract::canonical().unwrap().ir.version
}

fn raised(part: usize) -> String {
    let mut numbers: Vec<u64> = current_version().split('.').map(|n| n.parse().unwrap()).collect();
    numbers[part] += 1;
    numbers[part + 1..].iter_mut().for_each(|n| *n = 0);
    numbers.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
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
    let new = write(&dir, "new.json", &thread_id_required(&current_version()));
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

    let bumped = write(&dir, "bumped.json", &thread_id_required(&raised(0)));
    let run = xtask(&["compat", "--against", &old, "--schema", &bumped]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let declared = format!("declared by the x-version major bump {} -> {}", current_version(), raised(0));
    assert!(run.stdout.contains(&declared), "{}", run.stdout);
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

fn git(dir: &TempDir, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir.path())
        .args(["-c", "user.name=compat test", "-c", "user.email=compat@example.invalid", "-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(status.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&status.stderr));
}

/// The default old schema, in a scratch repository: nothing to compare before the schema exists, then the previous
/// commit on main, the uncommitted edit, the merge base on a branch; and `--against REF`.
#[test]
fn default_old_schema_follows_git_history() {
    let repo = scratch("git");
    std::fs::create_dir_all(repo.path().join("schema")).unwrap();
    let schema = repo.path().join("schema/protocol.schema.json");
    let schema_arg = schema.to_str().unwrap().to_owned();
    let compat = |extra: &[&str]| xtask(&[&["compat", "--schema", &schema_arg], extra].concat());
    git(&repo, &["init", "-q", "-b", "main"]);

    std::fs::write(&schema, SCHEMA_JSON).unwrap();
    let run = compat(&[]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("has no commit yet; nothing to compare"), "{}", run.stdout);

    git(&repo, &["commit", "-q", "--allow-empty", "-m", "empty"]);
    git(&repo, &["add", "schema"]);
    git(&repo, &["commit", "-q", "-m", "schema"]);
    let run = compat(&[]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("HEAD~1 (") && run.stdout.contains("has no schema/protocol.schema.json"),
        "{}",
        run.stdout
    );

    // An uncommitted breaking edit on main is compared with HEAD.
    std::fs::write(&schema, thread_id_required(&current_version())).unwrap();
    let run = compat(&[]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("with HEAD ("), "{}", run.stdout);

    // Committed, it is compared with the previous commit.
    git(&repo, &["commit", "-q", "-am", "breaking"]);
    let run = compat(&[]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("with HEAD~1 ("), "{}", run.stdout);
    assert_eq!(compat(&["--against", "HEAD"]).code, Some(0));
    assert_eq!(compat(&["--against", "HEAD~1"]).code, Some(1));
    assert_eq!(compat(&["--against", "HEAD~2"]).code, Some(0), "the first commit has no schema file");
    assert_eq!(compat(&["--against", "HEAD~9"]).code, Some(2), "no such commit");

    // On a branch, everything since the merge base with main counts, not just the last commit.
    git(&repo, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(&schema, thread_id_required(&raised(1))).unwrap();
    git(&repo, &["commit", "-q", "-am", "minor bump"]);
    let run = compat(&[]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("with merge base with main ("), "{}", run.stdout);
    std::fs::write(&schema, SCHEMA_JSON).unwrap();
    git(&repo, &["commit", "-q", "-am", "thread_id optional again"]);
    let run = compat(&["--format", "json"]);
    assert_eq!(run.code, Some(1), "optional again is breaking for old decoders: {}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("\"kind\": \"field-optional\""), "{}", run.stdout);
}
