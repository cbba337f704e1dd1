//! The CLI contract: exit codes 0/1/2, the human line format and the JSON report.

use std::path::{Path, PathBuf};

use handoff_validator::cli::{Args, Format, run};

fn fixture(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/traffic").join(path).to_string_lossy().into_owned()
}

fn args(format: Format, paths: &[String]) -> Args {
    Args {
        format,
        strict: false,
        max_line_bytes: handoff_validator::DEFAULT_MAX_LINE_BYTES as u64,
        no_fast_path: false,
        servers: Vec::new(),
        paths: paths.to_vec(),
    }
}

fn invoke(args: &Args) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(args, &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("handoff-validator-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn clean_captures_exit_0() {
    let paths = [fixture("valid/handoff-entries.jsonl"), fixture("valid/recorder-dump.json")];
    let (code, out, _) = invoke(&args(Format::Human, &paths));
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("2 file(s), 30 message(s): 0 error(s), 0 warning(s)\n"), "{out}");
}

#[test]
fn violations_exit_1_with_located_human_lines() {
    let path = fixture("invalid/rpc-errors.jsonl");
    let (code, out, _) = invoke(&args(Format::Human, std::slice::from_ref(&path)));
    assert_eq!(code, 1);
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "{path}:2: error[rpc/duplicate-id]: request id 1 is already used by the unanswered `thread/resume` \
             request on line 1 (at /id)"
        )
    );
    assert!(
        out.ends_with(
            ": 6 error(s) (rpc/duplicate-id: 1, rpc/orphan-response: 3, rpc/unknown-method: 2), 0 warning(s)\n"
        ),
        "{out}"
    );
}

#[test]
fn a_missing_file_exits_2_with_the_os_error() {
    let missing = fixture("valid/no-such-capture.jsonl");
    let paths = [fixture("invalid/rpc-errors.jsonl"), missing.clone()];
    let (code, out, _) = invoke(&args(Format::Human, &paths));
    assert_eq!(code, 2, "an unreadable input wins over violations");
    assert!(out.contains(&format!("{missing}: error: cannot read input: No such file or directory")), "{out}");
}

#[test]
fn warnings_alone_exit_0() {
    let mut args = args(Format::Json, &[fixture("invalid/strict-unknown-members.jsonl")]);
    args.strict = true;
    let (code, out, _) = invoke(&args);
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let violations = report["violations"].as_array().unwrap();
    assert_eq!(violations.len(), 4);
    assert!(violations.iter().all(|v| v["severity"] == "warning" && v["rule"] == "strict/unknown-member"));
}

#[test]
fn the_json_report_is_stable_and_complete() {
    let paths = [fixture("invalid/truncated-dump.json"), fixture("invalid/schema-violations.jsonl")];
    let (code, first, _) = invoke(&args(Format::Json, &paths));
    let (_, second, _) = invoke(&args(Format::Json, &paths));
    assert_eq!(code, 1);
    assert_eq!(first, second, "same input, byte-identical report");
    let report: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(report["files"], 2);
    assert_eq!(report["messages"], 15);
    let violations = report["violations"].as_array().unwrap();
    assert_eq!(violations.len(), 15);
    // Argument order: the dump's violations first, with element indexes; then the JSON Lines file's, without.
    let dump = &violations[0];
    assert_eq!(dump["path"], paths[0].as_str());
    assert_eq!((dump["line"].as_u64(), dump["index"].as_u64()), (Some(3), Some(1)));
    assert_eq!(dump["rule"], "parse");
    assert_eq!(dump["pointer"], "/json");
    let keys: Vec<&str> = dump.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["path", "line", "index", "rule", "method", "pointer", "message", "severity"]);
    let resume = &violations[2];
    assert_eq!(resume["path"], paths[1].as_str());
    assert_eq!(resume["index"], serde_json::Value::Null);
    assert_eq!(resume["method"], "thread/resume");
    assert_eq!(resume["pointer"], "/params/threadId");
    assert!(resume["message"].as_str().unwrap().contains("does not match"));
}

#[test]
fn oversized_lines_are_violations_not_crashes() {
    let long = format!("{{\"method\":\"initialized\",\"params\":{{\"pad\":\"{}\"}}}}\n", "x".repeat(200));
    let path = temp_file("long.jsonl", format!("{long}{{\"method\":\"initialized\"}}\n").as_bytes());
    let mut args = args(Format::Json, &[path.to_string_lossy().into_owned()]);
    args.max_line_bytes = 100;
    let (code, out, _) = invoke(&args);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["messages"], 2);
    assert_eq!(report["violations"].as_array().unwrap().len(), 1);
    assert_eq!(report["violations"][0]["line"], 1);
    assert!(report["violations"][0]["message"].as_str().unwrap().contains("--max-line-bytes"));
    let _ = std::fs::remove_file(path);
}

#[test]
fn many_files_keep_argument_order() {
    let names =
        ["valid/bare-messages.jsonl", "invalid/empty.jsonl", "invalid/parse-errors.jsonl", "invalid/empty.jsonl"];
    let paths: Vec<String> = names.iter().map(|n| fixture(n)).collect();
    let (code, out, _) = invoke(&args(Format::Json, &paths));
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let order: Vec<&str> =
        report["violations"].as_array().unwrap().iter().map(|v| v["path"].as_str().unwrap()).collect();
    let mut expected = vec![paths[1].as_str()];
    expected.extend(std::iter::repeat_n(paths[2].as_str(), 7));
    expected.push(paths[3].as_str());
    assert_eq!(order, expected);
}

#[test]
fn violations_come_in_capture_order_even_when_found_at_the_end() {
    // A handoff left open is found at the end of the capture but belongs to its first line.
    let capture = concat!(
        r#"{"ts_ms":1,"dir":"in","server_id":"local","json":{"method":"thread/realtime/itemAdded","params":{"threadId":"voice_1","item":{"type":"handoff_request","handoff_id":"h1","item_id":"i1","input_transcript":"go","active_transcript":[]}}}}"#,
        "\n",
        r#"{"ts_ms":2,"dir":"out","server_id":"local","json":{"id":1,"method":"thread/nope","params":{}}}"#,
        "\n"
    );
    let path = temp_file("order.jsonl", capture.as_bytes());
    let (code, out, _) = invoke(&args(Format::Json, &[path.to_string_lossy().into_owned()]));
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let lines: Vec<u64> =
        report["violations"].as_array().unwrap().iter().map(|v| v["line"].as_u64().unwrap()).collect();
    let rules: Vec<&str> =
        report["violations"].as_array().unwrap().iter().map(|v| v["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["flow/unresolved-handoff", "rpc/unknown-method"]);
    assert_eq!(lines, [1, 2]);
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_capture_of_garbage_lists_a_bounded_number_of_diagnostics_and_counts_the_rest() {
    let limit = handoff_validator::check::MAX_LISTED;
    let garbage = "x\n".repeat(limit + 3);
    let path = temp_file("garbage.jsonl", garbage.as_bytes());
    let (code, out, _) = invoke(&args(Format::Json, &[path.to_string_lossy().into_owned()]));
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["violations"].as_array().unwrap().len(), limit);
    assert_eq!(report["omitted"][0]["rule"], "parse");
    assert_eq!(report["omitted"][0]["count"], 3);
    assert!(report["notes"][0]["message"].as_str().unwrap().starts_with("3 more diagnostic(s) not listed"));
    let (_, human, _) = invoke(&args(Format::Human, &[path.to_string_lossy().into_owned()]));
    let expected_summary =
        format!("{} message(s): {} error(s) (parse: {}), 0 warning(s)\n", limit + 3, limit + 3, limit + 3);
    assert!(human.ends_with(&expected_summary), "{}", &human[human.len() - 200..]);
    let _ = std::fs::remove_file(path);
}

#[test]
fn server_names_from_the_command_line_attribute_handoffs() {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }
    let path = fixture("invalid/flow-unattributed-display-name.jsonl");
    // Unattributed: a warning and a note, exit code 0.
    let (code, out, _) = invoke(&args(Format::Human, std::slice::from_ref(&path)));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("warning[flow/unattributed-handoff]"), "{out}");
    assert!(out.contains("note: 1 handoff(s) not checked"), "{out}");
    // With `--server ID=NAME` the handoff is checked and its broken order found.
    let cli = Cli::try_parse_from(["validate", "--server", "srv_7f3a91=bigpc", "--server", "srv_1c02=laptop", &path])
        .expect("arguments parse");
    let (code, out, _) = invoke(&cli.args);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(":3: error[flow/resume-before-turn]"), "{out}");
    assert!(!out.contains("warning[flow/unattributed-handoff]"), "{out}");
    // A malformed value is an argument error.
    let error = Cli::try_parse_from(["validate", "--server", "bigpc", &path]).err().expect("refused");
    assert!(error.to_string().contains("is not ID=NAME"), "{error}");
}

#[test]
fn an_inferred_handoff_mode_is_a_printed_note_and_leaves_the_exit_code_alone() {
    let paths = [fixture("valid/flow-server-managed-inferred.jsonl")];
    let (code, out, _) = invoke(&args(Format::Human, &paths));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(": note: handoff mode inferred server-managed for voice thread(s) "),
        "the note names the mode it assumed: {out}"
    );
    // Learned from the start request: no note.
    let (code, out, _) = invoke(&args(Format::Human, &[fixture("valid/flow-server-managed.jsonl")]));
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("handoff mode"), "{out}");
    let (_, json, _) = invoke(&args(Format::Json, &paths));
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(report["notes"][0]["message"].as_str().unwrap().starts_with("handoff mode inferred server-managed"));
}
