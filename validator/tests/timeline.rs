//! The timeline report's model and renderers: lanes, folding, handoff phases from the router's state machine,
//! violations on their frames, large captures bounded, bad input.

use std::io::Write;
use std::path::{Path, PathBuf};

use handoff_validator::timeline::{self, Kind, PartyKind};
use handoff_validator::timeline_cli::{self, Args, Format};
use handoff_validator::{Config, Schemas, validate_reader};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/traffic").join(path)
}

fn timeline_of_text(schemas: &Schemas, text: &str) -> timeline::Timeline {
    let report = validate_reader(schemas, &Config::default(), "mem", text.as_bytes(), None).unwrap();
    timeline::build(schemas, &report, text.as_bytes(), handoff_validator::DEFAULT_MAX_LINE_BYTES).unwrap()
}

#[test]
fn a_failing_flow_fixture_shows_its_handoff_phases_and_violation() {
    let schemas = Schemas::canonical().unwrap();
    let timeline = timeline_cli::timeline_of(&schemas, &fixture("invalid/flow-resume-before-turn.jsonl"));
    let lanes: Vec<(&str, PartyKind)> = timeline.parties.iter().map(|p| (p.id.as_str(), p.kind)).collect();
    assert_eq!(lanes, [("client", PartyKind::Client), ("local", PartyKind::Server), ("bigpc", PartyKind::Server)]);
    assert_eq!(timeline.handoffs.len(), 1);
    let handoff = &timeline.handoffs[0];
    assert_eq!((handoff.handoff_id.as_str(), handoff.target.as_str()), ("h1", "bigpc"));
    let phases: Vec<&str> = handoff.phases.iter().map(|(_, p)| p.as_str()).collect();
    // The flow checker's reading: bigpc has answered nothing when the turn goes out (line 3), so the turn is taken
    // in request order (the violation waits for the answer on line 4 to show that answers are recorded).
    assert_eq!(phases, ["Planned", "Resuming(thr_123)", "TurnSent(thr_123)", "Finalized"]);
    assert_eq!((handoff.start_line, handoff.end_line), (1, Some(14)));
    assert_eq!(timeline.violations.len(), 1);
    let violation = &timeline.violations[0];
    assert_eq!((violation.rule.as_str(), violation.line), ("flow/resume-before-turn", 3));
    let row = &timeline.rows[violation.row.unwrap()];
    assert_eq!((row.line, row.label.as_str(), row.kind), (3, "turn/start", Kind::Request));
    assert_eq!(violation.handoff, Some(0));

    let html = timeline_cli::render(Format::Html, &timeline);
    assert_eq!(html.matches("class=\"violation\"").count(), 1);
    assert!(html.contains("id=\"f3\""));
    assert!(html.contains("data-target=\"f3\""));
    // Self-contained: nothing to fetch.
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains(" src="), "{html}");
    let mermaid = timeline_cli::render(Format::Mermaid, &timeline);
    assert_eq!(mermaid.matches("sequenceDiagram").count(), 1);
    assert!(mermaid.contains("Note over P0,P2: ⚠ flow/resume-before-turn"), "{mermaid}");
    let json: serde_json::Value = serde_json::from_str(&timeline_cli::render(Format::Json, &timeline)).unwrap();
    assert_eq!(json["handoffs"][0]["phases"][1][1], "Resuming(thr_123)");
}

#[test]
fn deltas_fold_and_a_capture_without_handoffs_keeps_its_timeline() {
    let schemas = Schemas::canonical().unwrap();
    let mut text =
        String::from("{\"id\":1,\"method\":\"turn/start\",\"params\":{\"threadId\":\"thr_1\",\"input\":[]}}\n");
    for _ in 0..50 {
        text.push_str(
            "{\"method\":\"item/agentMessage/delta\",\"params\":{\"threadId\":\"thr_1\",\"turnId\":\"t\",\"itemId\":\"i\",\"delta\":\"x\"}}\n",
        );
    }
    let timeline = timeline_of_text(&schemas, &text);
    assert!(timeline.handoffs.is_empty());
    assert_eq!(timeline.frames, 51);
    let folded: Vec<_> = timeline.rows.iter().filter(|row| row.count > 1).collect();
    assert_eq!(folded.len(), 1, "{:?}", timeline.rows);
    assert_eq!((folded[0].count, folded[0].line, folded[0].last_line), (50, 2, 51));
    let html = timeline_cli::render(Format::Html, &timeline);
    assert!(html.contains("item/agentMessage/delta ×50"));
    assert!(html.contains("<details class=\"fold\">"));
    assert!(html.contains("No handoffs in this capture."));
    let mermaid = timeline_cli::render(Format::Mermaid, &timeline);
    assert!(mermaid.contains("whole capture (no handoffs)") && mermaid.contains("×50"), "{mermaid}");
}

#[test]
fn a_large_capture_stays_a_bounded_number_of_rows() {
    let schemas = Schemas::canonical().unwrap();
    // 200 000 frames of requests and answers (nothing to fold as deltas), with a violation near the end.
    let mut text = String::new();
    for id in 0..100_000 {
        text.push_str(&format!("{{\"id\":{id},\"method\":\"thread/read\",\"params\":{{\"threadId\":\"thr_1\"}}}}\n"));
        text.push_str(&format!("{{\"id\":{id},\"result\":{{}}}}\n"));
    }
    text.push_str("not json\n");
    let timeline = timeline_of_text(&schemas, &text);
    assert_eq!(timeline.frames, 200_001);
    assert!(timeline.rows.len() <= timeline::ROW_BUDGET + 2, "{} rows", timeline.rows.len());
    let elided: u64 = timeline.rows.iter().filter(|row| row.kind == Kind::Elided).map(|row| row.count).sum();
    assert!(elided > 190_000, "{elided}");
    // The late violation still has its own row and mark.
    let parse = timeline.violations.iter().find(|v| v.rule == "parse").expect("the parse violation");
    assert_eq!(timeline.rows[parse.row.unwrap()].line, 200_001);
    let html = timeline_cli::render(Format::Html, &timeline);
    assert!(html.len() < 5_000_000, "{} bytes", html.len());
}

#[test]
fn bad_input_renders_parse_violations_and_unreadable_input_is_exit_2() {
    let schemas = Schemas::canonical().unwrap();
    let timeline = timeline_cli::timeline_of(&schemas, &fixture("invalid/parse-errors.jsonl"));
    let expected = validate_reader(
        &schemas,
        &Config::default(),
        "x",
        std::io::BufReader::new(std::fs::File::open(fixture("invalid/parse-errors.jsonl")).unwrap()),
        None,
    )
    .unwrap();
    assert_eq!(timeline.violations.len(), expected.diagnostics.len());
    assert!(timeline.violations.iter().all(|v| v.row.is_some()));
    assert!(timeline.violations.iter().any(|v| v.rule == "parse"));

    let dir = std::env::temp_dir().join(format!("handoff-timeline-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |captures: Vec<PathBuf>, output: Option<PathBuf>| {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let args = Args { format: Format::Html, output, captures };
        let code = timeline_cli::run(&args, &mut out, &mut err);
        (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
    };
    let (code, _, err) = run(vec![dir.join("missing.jsonl")], None);
    assert_eq!(code, 2);
    assert!(err.contains("missing.jsonl: error: cannot read input"), "{err}");
    let (code, out, _) = run(vec![fixture("valid/handoff-entries.jsonl")], None);
    assert_eq!(code, 0);
    assert!(out.starts_with("<!DOCTYPE html>"));
    let (code, _, _) =
        run(vec![fixture("invalid/parse-errors.jsonl"), fixture("valid/recorder-dump.json")], Some(dir.clone()));
    assert_eq!(code, 1, "violations found: exit 1, reports written");
    assert!(dir.join("parse-errors.jsonl.html").is_file() && dir.join("recorder-dump.json.html").is_file());
    let (code, _, err) = run(vec![fixture("invalid/parse-errors.jsonl"), fixture("valid/recorder-dump.json")], None);
    assert_eq!(code, 2, "{err}");
    let mut file = std::fs::File::create(dir.join("garbage.jsonl")).unwrap();
    file.write_all(b"\xff\xfe\n{").unwrap();
    let (code, out, _) = run(vec![dir.join("garbage.jsonl")], None);
    assert_eq!(code, 1);
    assert_eq!(out.matches("class=\"violation\"").count(), 2, "{out}");
}

#[test]
fn the_voice_model_lane_comes_first() {
    let schemas = Schemas::canonical().unwrap();
    let timeline = timeline_cli::timeline_of(&schemas, &fixture("valid/handoff-entries.jsonl"));
    let kinds: Vec<PartyKind> = timeline.parties.iter().map(|p| p.kind).collect();
    assert_eq!(kinds[..2], [PartyKind::Realtime, PartyKind::Client]);
    // Realtime events travel between the voice model's lane and the client's.
    let events: Vec<_> = timeline.rows.iter().filter(|row| row.kind == Kind::Event).collect();
    assert!(!events.is_empty());
    assert!(events.iter().all(|row| [row.from, row.to] == [0, 1] || [row.from, row.to] == [1, 0]));
    // Every app-server frame has the client at one end (requests go both ways: `item/tool/call` is the server's).
    assert!(timeline.rows.iter().filter(|row| row.kind != Kind::Event).all(|row| row.from == 1 || row.to == 1));
}

#[test]
fn past_the_row_budget_each_handoff_folds_into_one_row() {
    use serde_json::json;
    let schemas = Schemas::canonical().unwrap();
    let mut text = String::new();
    let mut entry = |dir: &str, server: &str, message: serde_json::Value| {
        let line = json!({"ts_ms": 1, "dir": dir, "server_id": server, "json": message});
        text.push_str(&format!("{line}\n"));
    };
    let handoffs = 1000;
    let mut id = 0;
    for h in 0..handoffs {
        let thread = format!("thr_{h}");
        entry(
            "in",
            "local",
            json!({"method": "thread/realtime/itemAdded", "params": {"threadId": "voice_1", "item": {
            "type": "handoff_request", "handoff_id": format!("h{h}"), "item_id": format!("i{h}"), "input_transcript": "x",
            "active_transcript": [], "server": "bigpc", "thread_id": thread}}}),
        );
        id += 1;
        entry("out", "bigpc", json!({"id": id, "method": "thread/resume", "params": {"threadId": thread}}));
        entry(
            "in",
            "bigpc",
            json!({"id": id, "result": {"thread": {"id": thread}, "model": "gpt-5",
            "modelProvider": "openai", "cwd": "/w", "approvalPolicy": "never", "sandbox": {"type": "readOnly"}}}),
        );
        id += 1;
        entry("out", "bigpc", json!({"id": id, "method": "turn/start", "params": {"threadId": thread, "input": []}}));
        for _ in 0..30 {
            entry(
                "in",
                "bigpc",
                json!({"method": "item/agentMessage/delta",
                "params": {"threadId": thread, "turnId": "t", "itemId": "m", "delta": "x"}}),
            );
        }
        id += 1;
        entry(
            "out",
            "local",
            json!({"id": id, "method": "thread/realtime/resolveHandoff",
            "params": {"threadId": "voice_1", "toolCallOutput": "ok"}}),
        );
        id += 1;
        entry(
            "out",
            "local",
            json!({"id": id, "method": "thread/realtime/finalizeHandoff", "params": {"threadId": "voice_1"}}),
        );
    }
    let timeline = timeline_of_text(&schemas, &text);
    assert_eq!(timeline.handoffs.len(), handoffs);
    let last = timeline.handoffs.last().unwrap();
    let phases: Vec<&str> = last.phases.iter().map(|(_, p)| p.as_str()).collect();
    assert_eq!(phases, ["Planned", "Resuming(thr_999)", "Ready(thr_999)", "TurnSent(thr_999)", "Finalized"]);
    assert!(timeline.rows.len() < timeline::ROW_BUDGET + handoffs, "{} rows", timeline.rows.len());
    assert!(timeline.violations.is_empty(), "{:?}", timeline.violations.first());
    let tail = timeline.rows.last().unwrap();
    assert_eq!((tail.kind, tail.handoff, tail.count), (Kind::Elided, Some(handoffs - 1), 36));
    let html = timeline_cli::render(Format::Html, &timeline);
    assert!(html.contains("handoff h999 → bigpc"));
}

#[test]
fn a_handoff_the_server_runs_shows_its_server_turn() {
    let schemas = Schemas::canonical().unwrap();
    let timeline = timeline_cli::timeline_of(&schemas, &fixture("valid/flow-server-managed.jsonl"));
    assert_eq!(timeline.handoffs.len(), 1);
    let handoff = &timeline.handoffs[0];
    assert_eq!((handoff.handoff_id.as_str(), handoff.target.as_str()), ("call_bg_1", "laptop"));
    let phases: Vec<(u64, &str)> = handoff.phases.iter().map(|(line, p)| (*line, p.as_str())).collect();
    assert_eq!(phases, [(20, "AwaitingServerTurn"), (22, "ServerTurn"), (34, "ServerTurnDone")]);
    assert_eq!((handoff.start_line, handoff.end_line), (20, Some(34)));
    // The server's own deltas on the voice thread belong to it.
    let delta = timeline.rows.iter().find(|row| row.label == "item/agentMessage/delta").expect("a delta row");
    assert_eq!(delta.handoff, Some(0));
}
