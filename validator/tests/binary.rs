//! The `handoff-validate` binary end to end: stdin, exit codes and argument errors.

use std::io::Write;
use std::process::{Command, Stdio};

fn validate(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_handoff-validate"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (output.status.code().unwrap(), text(output.stdout), text(output.stderr))
}

#[test]
fn stdin_is_validated_and_named_dash() {
    let clean = b"{\"id\":1,\"method\":\"initialize\",\"params\":{}}\n{\"id\":1,\"result\":{}}\n";
    let (code, out, _) = validate(&["-"], clean);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, "1 file(s), 2 message(s): 0 error(s), 0 warning(s)\n");
    let (code, out, _) = validate(&["--format", "json", "-"], b"{\"id\":9,\"result\":{}}\nnot json\n");
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rules: Vec<(&str, u64, &str)> = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["path"].as_str().unwrap(), v["line"].as_u64().unwrap(), v["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(rules, [("-", 1, "rpc/orphan-response"), ("-", 2, "parse")]);
}

#[test]
fn unreadable_inputs_and_bad_arguments_exit_2() {
    let (code, out, _) = validate(&["/nonexistent/capture.jsonl"], b"");
    assert_eq!(code, 2);
    assert!(out.contains("/nonexistent/capture.jsonl: error: cannot read input: No such file or directory"), "{out}");
    for args in [&[][..], &["--format", "yaml", "-"], &["--max-line-bytes", "ten", "-"], &["--bogus", "-"]] {
        let (code, _, err) = validate(args, b"");
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.starts_with("error:"), "{err}");
    }
}

#[test]
fn binary_garbage_is_a_violation_not_a_crash() {
    let (code, out, _) = validate(&["-"], b"\x00\xff\xfe{\"a\"\n\x80\n");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("-:1: error[parse]: not valid UTF-8"), "{out}");
}
