//! The `flow-*` traffic fixtures through the validator: clean captures give no flow finding, invalid ones exactly
//! the flow diagnostics their `.expected` file lists (format: tests/fixtures/traffic/README.md); and the same
//! verdict whatever capture format a fixture is written in, with servers named by display name plus a server list.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use handoff_validator::{Config, Schemas, validate_reader};
use serde_json::{Value, json};

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

/// A diagnostic as compared: `(line, index, rule, pointer)`.
type Located = (u64, Option<u64>, String, String);
/// A frame as re-encoded: `(dir, server id, message)`.
type Entry = (String, String, Value);

/// Every `flow/*` diagnostic the validator gives, and its notes.
fn flow_diagnostics(text: &str) -> (Vec<Located>, Vec<String>) {
    let schemas = Schemas::canonical().expect("the canonical schema compiles");
    let report = validate_reader(&schemas, &Config::default(), "capture", text.as_bytes(), None).expect("reads");
    let mut flow: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.rule.starts_with("flow/"))
        .map(|d| (d.line, d.index, d.rule.clone(), d.pointer.clone()))
        .collect();
    flow.sort();
    (flow, report.notes)
}

#[test]
fn valid_flow_fixtures_have_no_findings() {
    let paths = fixtures("valid");
    assert!(paths.len() >= 4, "flow fixtures missing: {paths:?}");
    for path in paths {
        let (findings, _) = flow_diagnostics(&fs::read_to_string(&path).expect("readable"));
        assert_eq!(findings, [], "{}", path.display());
    }
}

#[test]
fn the_recorder_dump_is_checked_on_request_order() {
    let path = fixtures("valid").into_iter().find(|path| path.extension().is_some_and(|ext| ext == "json"));
    let path = path.expect("a recorder dump among the flow fixtures");
    let (_, notes) = flow_diagnostics(&fs::read_to_string(&path).expect("readable"));
    assert_eq!(
        notes,
        [
            "server bigpc: no responses recorded; flow checked on request order",
            "server local: no responses recorded; flow checked on request order",
            "handoff mode inferred client-controlled for voice thread(s) voice_1 (server local): no \
             thread/realtime/start recorded; the client sent resolveHandoff/finalizeHandoff on the voice thread"
        ]
    );
}

/// The mode notes of a fixture.
fn mode_notes(kind: &str, name: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/traffic").join(kind).join(name);
    let (_, notes) = flow_diagnostics(&fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    notes.into_iter().filter(|note| note.starts_with("handoff mode ")).collect()
}

#[test]
fn a_session_without_its_realtime_start_gets_its_mode_inferred_and_noted() {
    let voice = "01a24111-450f-7872-82e0-7303847a9082 (server laptop)";
    assert_eq!(
        mode_notes("valid", "flow-server-managed-inferred.jsonl"),
        [format!(
            "handoff mode inferred server-managed for voice thread(s) {voice}: no thread/realtime/start recorded; the \
             server ran its own turn on the voice thread after the handoff item"
        )]
    );
    let voice = "01a24198-12e4-7ba3-979a-991ab5a5b58f (server laptop)";
    assert_eq!(
        mode_notes("valid", "flow-client-managed-inferred.jsonl"),
        [format!(
            "handoff mode inferred client-managed for voice thread(s) {voice}: no thread/realtime/start recorded; the \
             server ran its own turn on the voice thread after the handoff item, and the client relayed with \
             appendText/appendSpeech"
        )]
    );
    assert_eq!(
        mode_notes("valid", "flow-start-new-thread.jsonl"),
        ["handoff mode inferred client-controlled for voice thread(s) voice_1 (server local): no \
          thread/realtime/start recorded; the client sent resolveHandoff/finalizeHandoff on the voice thread"]
    );
    // Learned from the start request: nothing to note.
    for name in ["flow-server-managed.jsonl", "flow-client-managed.jsonl", "flow-client-controlled-started.jsonl"] {
        assert_eq!(mode_notes("valid", name), Vec::<String>::new(), "{name}");
    }
}

#[test]
fn the_readme_lists_every_flow_rule() {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).expect("README");
    for rule in handoff_flow::FlowRule::ALL {
        assert!(readme.contains(&format!("`{}`", rule.id())), "README does not list {rule}");
    }
    for mode in handoff_flow::HandoffMode::ALL {
        assert!(readme.contains(&format!("| {} |", mode.name())), "README's mode table has no row for {mode}");
    }
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
        let expected = handoff_validator::fixtures::parse_expected(&expected_text).expect("well-formed .expected");
        let mut expected: Vec<_> = expected
            .into_iter()
            .filter(|e| e.rule.starts_with("flow/"))
            .map(|e| (e.line, e.index, e.rule, e.pointer))
            .collect();
        expected.sort();
        let (actual, _) = flow_diagnostics(&fs::read_to_string(&path).expect("readable"));
        assert_eq!(actual, expected, "{}", path.display());
    }
}

/// A capture read back: its server list (if it has a header) and its frames as (dir, server id, message); bare
/// frames have no dir and the server id "".
struct Capture {
    header: Vec<(String, String)>,
    frames: Vec<(Option<String>, String, Value)>,
}

fn read_capture(text: &str) -> Capture {
    let values: Vec<Value> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text).expect("a JSON array")
    } else {
        text.lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| serde_json::from_str(line).expect("JSON"))
            .collect()
    };
    let mut header = Vec::new();
    let mut frames = Vec::new();
    for (at, value) in values.into_iter().enumerate() {
        if at == 0
            && let Some(servers) = value.get("servers").and_then(Value::as_array)
        {
            for server in servers {
                let id = server["id"].as_str().expect("id").to_owned();
                header.push((id.clone(), server["name"].as_str().unwrap_or(&id).to_owned()));
            }
            continue;
        }
        match (value.get("dir"), value.get("json")) {
            (Some(dir), Some(json)) => {
                let message = match json {
                    Value::String(raw) => serde_json::from_str(raw).expect("raw message is JSON"),
                    other => other.clone(),
                };
                let server = value["server_id"].as_str().expect("server_id").to_owned();
                frames.push((Some(dir.as_str().expect("dir").to_owned()), server, message));
            }
            _ => frames.push((None, String::new(), value)),
        }
    }
    Capture { header, frames }
}

/// Whether a `server` value means the item's own server.
fn is_local(value: &str) -> bool {
    value.trim().is_empty() || value.trim().eq_ignore_ascii_case("local")
}

/// The capture with every server given a display name in a server list, and every handoff that named a server by
/// id naming it by that display name instead (in another ASCII case). Bare frames become entries of one connection:
/// the server their handoffs name, as the validator attributes them.
fn renamed(capture: &Capture) -> (Vec<(String, String)>, Vec<Entry>) {
    let bare_connection = capture
        .frames
        .iter()
        .filter_map(|(_, _, message)| message.pointer("/params/item/server").and_then(Value::as_str))
        .find(|value| !is_local(value))
        .unwrap_or("local")
        .to_owned();
    let mut frames: Vec<Entry> = Vec::new();
    for (dir, server, message) in &capture.frames {
        let (dir, server) = match dir {
            Some(dir) => (dir.clone(), server.clone()),
            None => {
                let from_server = message.get("method").is_none() || message.get("id").is_none();
                ((if from_server { "in" } else { "out" }).to_owned(), bare_connection.clone())
            }
        };
        frames.push((dir, server, message.clone()));
    }
    let mut header = capture.header.clone();
    for (_, server, _) in &frames {
        if server != "realtime" && !header.iter().any(|(id, _)| id == server) {
            header.push((server.clone(), format!("Box of {server}")));
        }
    }
    for (_, _, message) in &mut frames {
        let Some(value) = message.pointer("/params/item/server").and_then(Value::as_str) else { continue };
        if is_local(value) {
            continue;
        }
        // Only ids are renamed: a name the list already knows (or no server has) stays as it is.
        if let Some((_, name)) = header.iter().find(|(id, _)| id == value) {
            message["params"]["item"]["server"] = json!(name.to_ascii_uppercase());
        }
    }
    (header, frames)
}

/// Whether `value` is the one server a bare capture's handoffs name (the connection itself).
fn had_bare_target(capture: &Capture, value: &str) -> bool {
    let named: BTreeSet<&str> = capture
        .frames
        .iter()
        .filter_map(|(_, _, message)| message.pointer("/params/item/server").and_then(Value::as_str))
        .filter(|value| !is_local(value))
        .collect();
    named.len() == 1 && named.contains(value)
}

fn header_value(header: &[(String, String)]) -> Value {
    json!({"servers": header.iter().map(|(id, name)| json!({"id": id, "name": name})).collect::<Vec<_>>()})
}

/// The flow rule ids per frame ordinal (0-based, header excluded), from diagnostics located by line or element.
fn rules_by_frame(text: &str, frame_of: impl Fn(u64, Option<u64>) -> u64) -> BTreeSet<(u64, String)> {
    flow_diagnostics(text).0.into_iter().map(|(line, index, rule, _)| (frame_of(line, index), rule)).collect()
}

#[test]
fn every_flow_fixture_gives_the_same_verdict_in_every_format_it_can_be_written_in() {
    for path in fixtures("valid").into_iter().chain(fixtures("invalid")) {
        let text = fs::read_to_string(&path).expect("readable");
        let capture = read_capture(&text);
        let had_header = !capture.header.is_empty();
        let original = rules_by_frame(&text, |line, index| match index {
            Some(index) => index - u64::from(had_header),
            None => line - 1 - u64::from(had_header),
        });
        let (header, frames) = renamed(&capture);

        // Entries, one per line, after the server list.
        let mut entries = format!("{}\n", header_value(&header));
        for (dir, server, message) in &frames {
            entries.push_str(&format!("{}\n", json!({"ts_ms": 0, "dir": dir, "server_id": server, "json": message})));
        }
        let as_entries = rules_by_frame(&entries, |line, _| line - 2);
        assert_eq!(as_entries, original, "{} as entries:\n{entries}", path.display());

        // The recorder's array dump, the server list first, messages as raw strings.
        let mut elements = vec![header_value(&header)];
        for (dir, server, message) in &frames {
            elements.push(json!({"ts_ms": 0, "dir": dir, "server_id": server, "json": message.to_string()}));
        }
        let dump = serde_json::to_string_pretty(&elements).expect("serializes");
        let as_dump = rules_by_frame(&dump, |_, index| index.expect("array element") - 1);
        assert_eq!(as_dump, original, "{} as a recorder dump", path.display());

        // Bare messages, when every frame is on one app-server connection and each direction is the one a bare
        // capture infers (requests out, answers and notifications in).
        let servers: BTreeSet<&str> = frames.iter().map(|(_, server, _)| server.as_str()).collect();
        let inferable = frames.iter().all(|(dir, _, message)| {
            let request = message.get("method").is_some() && message.get("id").is_some();
            (dir == "out") == request
        });
        // A handoff naming another server (even an unknown one) means a second connection: no bare encoding.
        let one_connection = capture.frames.iter().all(|(_, server, message)| {
            match message.pointer("/params/item/server").and_then(Value::as_str) {
                Some(value) if !is_local(value) => {
                    servers.contains(value) || (server.is_empty() && had_bare_target(&capture, value))
                }
                _ => true,
            }
        });
        if servers.len() == 1 && !servers.contains("realtime") && inferable && one_connection {
            let bare: String = frames.iter().map(|(_, _, message)| format!("{message}\n")).collect();
            let as_bare = rules_by_frame(&bare, |line, _| line - 1);
            assert_eq!(as_bare, original, "{} as bare messages:\n{bare}", path.display());
        }
    }
}
