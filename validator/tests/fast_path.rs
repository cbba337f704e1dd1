//! The compiled check must never change a diagnostic: every capture gives the same report with it on and off
//! (off: every frame parsed into a `Value` and checked by `jsonschema` alone).

use std::path::{Path, PathBuf};

use handoff_validator::{Config, FileReport, Schemas, validate_reader};
use proptest::prelude::*;

fn run(schemas: &Schemas, bytes: &[u8], fast_path: bool, strict: bool) -> FileReport {
    let config = Config { fast_path, strict, ..Config::default() };
    validate_reader(schemas, &config, "capture", bytes, None).unwrap()
}

fn assert_same(schemas: &Schemas, bytes: &[u8]) {
    for strict in [false, true] {
        let fast = run(schemas, bytes, true, strict);
        let slow = run(schemas, bytes, false, strict);
        assert_eq!(fast.diagnostics, slow.diagnostics, "strict={strict}\n{}", String::from_utf8_lossy(bytes));
        assert_eq!(fast.notes, slow.notes);
        assert_eq!(fast.messages, slow.messages);
    }
}

fn fixture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/traffic");
    let mut files = Vec::new();
    for sub in ["valid", "invalid"] {
        for entry in std::fs::read_dir(root.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if !name.ends_with(".expected") && !name.ends_with(".md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn fixtures_give_the_same_diagnostics_on_both_paths() {
    let schemas = Schemas::canonical().unwrap();
    let files = fixture_files();
    assert!(files.len() >= 10);
    for path in files {
        assert_same(&schemas, &std::fs::read(&path).unwrap());
    }
}

/// What the one-pass frame check makes of `text` (`None`: not judged there, the `Value` path takes it).
fn cleared(schemas: &Schemas, text: &str) -> Option<handoff_validator::frame::Cleared> {
    schemas.frames.as_ref().expect("the envelopes compile").read(&schemas.compiled, false, text).ok()
}

#[test]
fn the_compiled_check_is_actually_taken() {
    use handoff_validator::frame::{Cleared, Text};
    // A delta it clears and one it must hand over (bad thread id) give their `Value`-path results.
    let schemas = Schemas::canonical().unwrap();
    let good = r#"{"ts_ms":1,"dir":"in","server_id":"s","json":{"method":"item/agentMessage/delta","params":{"threadId":"t","turnId":"u","itemId":"i","delta":"d"}}}"#;
    // The server id is kept as a span of the frame, not copied.
    let at = good.find("\"s\"").unwrap() + 1;
    assert!(
        matches!(cleared(&schemas, good), Some(Cleared::Clean { server_id: Some(Text::Span(r)) }) if r == (at..at + 1))
    );
    assert!(run(&schemas, good.as_bytes(), true, false).diagnostics.is_empty());
    let bad = good.replace("\"t\"", "\"t t\"");
    assert!(cleared(&schemas, &bad).is_none());
    assert_eq!(run(&schemas, bad.as_bytes(), true, false).diagnostics.len(), 1);
    // Requests the flow rules do not read, and every response, are cleared with what capture order needs.
    let stop = r#"{"ts_ms":1,"dir":"out","server_id":"local","json":{"id":3,"method":"thread/realtime/stop","params":{"threadId":"voice_1"}}}"#;
    let answer = r#"{"ts_ms":2,"dir":"in","server_id":"local","json":"{\"id\":3,\"result\":{}}"}"#;
    let error = r#"{"id":"9","error":{"code":-32600,"message":"no such thread"}}"#;
    assert!(
        matches!(cleared(&schemas, stop), Some(Cleared::Request { method, .. }) if schemas.ir.methods[method].name == "thread/realtime/stop"),
        "{:?}",
        cleared(&schemas, stop)
    );
    // The flow rules read a realtime start whole (its flags say the session's handoff mode): cleared, and parsed
    // into a `Value` in capture order.
    let realtime_start =
        r#"{"id":5,"method":"thread/realtime/start","params":{"threadId":"voice_1","clientManagedHandoffs":true}}"#;
    assert!(matches!(cleared(&schemas, realtime_start), Some(Cleared::FlowValue { id: Some(_), .. })));
    // A message written as a JSON string is read from its unescaped copy: its strings are copies.
    assert!(
        matches!(cleared(&schemas, answer), Some(Cleared::Response { result: Some(Text::Owned(r)), .. }) if &*r == "{}")
    );
    let inline = r#"{"ts_ms":2,"dir":"in","server_id":"local","json":{"id":3,"result":{"a":[1]}}}"#;
    assert!(
        matches!(cleared(&schemas, inline), Some(Cleared::Response { result: Some(r), .. }) if r.str(inline.as_bytes()) == r#"{"a":[1]}"# && matches!(r, Text::Span(_)))
    );
    assert!(matches!(cleared(&schemas, error), Some(Cleared::Response { result: None, .. })));
    // Flow steps: a client request naming its thread goes to the flow rules typed; others are the `Value` path's.
    let resolve =
        r#"{"id":3,"method":"thread/realtime/resolveHandoff","params":{"threadId":"voice_1","toolCallOutput":"x"}}"#;
    assert!(
        matches!(cleared(&schemas, resolve), Some(Cleared::Request { thread: Some(t), .. }) if t.str(resolve.as_bytes()) == "voice_1")
    );
    // Flow steps the flow rules read as a `Value` are cleared too; capture order parses them if the rules read them.
    let start = r#"{"id":4,"method":"thread/start","params":{}}"#;
    assert!(matches!(cleared(&schemas, start), Some(Cleared::FlowValue { id: Some(_), .. })));
    let item = r#"{"method":"thread/realtime/itemAdded","params":{"threadId":"voice_1","item":{"type":"other"}}}"#;
    assert!(matches!(cleared(&schemas, item), Some(Cleared::FlowValue { id: None, .. })));
    let item = r#"{"method":"thread/realtime/itemAdded","params":{"threadId":"voice 1","item":{"type":"other"}}}"#;
    assert!(cleared(&schemas, item).is_none());
    // A realtime audio delta is cleared without decoding its base64; a function call is checked on the `Value` path.
    let audio =
        r#"{"ts_ms":1,"dir":"in","server_id":"realtime","json":{"type":"response.output_audio.delta","delta":"AAAA"}}"#;
    assert!(matches!(cleared(&schemas, audio), Some(Cleared::Clean { server_id: None })));
    // A function call's item and arguments go through the compiled check; what it does not clear (an unknown tool,
    // arguments not clean) takes the `Value` path. An item that is no function call is not checked.
    let not_a_call =
        r#"{"ts_ms":1,"dir":"in","server_id":"realtime","json":{"type":"conversation.item.done","item":{}}}"#;
    assert!(matches!(cleared(&schemas, not_a_call), Some(Cleared::Clean { server_id: None })));
    let call = r#"{"ts_ms":1,"dir":"in","server_id":"realtime","json":{"type":"conversation.item.done","item":{"type":"function_call","name":"codex","call_id":"c","arguments":"{\"server\":\"bigpc\",\"prompt\":\"go\"}"}}}"#;
    assert!(matches!(cleared(&schemas, call), Some(Cleared::Clean { server_id: None })), "{call}");
    assert!(run(&schemas, call.as_bytes(), true, false).diagnostics.is_empty());
    for bad in [call.replace("codex", "nothing"), call.replace("prompt", "prom"), call.replace("call_id", "callid")] {
        assert!(cleared(&schemas, &bad).is_none(), "{bad}");
        assert!(!run(&schemas, bad.as_bytes(), true, false).diagnostics.is_empty(), "{bad}");
    }
    let done = r#"{"ts_ms":1,"dir":"in","server_id":"realtime","json":{"type":"response.function_call_arguments.done","name":"codex","arguments":"{\"server\":\"bigpc\",\"prompt\":\"go\"}"}}"#;
    assert!(matches!(cleared(&schemas, done), Some(Cleared::Clean { server_id: None })), "{done}");
    assert!(cleared(&schemas, &done.replace("\"name\":\"codex\",", "")).is_none());
}

/// Frames close to the compiled pass's edge: delta and audio shapes with one thing changed.
fn frame() -> impl Strategy<Value = String> {
    let thread = prop_oneof![
        Just("thr_1".to_owned()),
        Just("".to_owned()),
        Just("thr 1".to_owned()),
        Just("a".repeat(128)),
        Just("a".repeat(129)),
        Just("\\u0074hr".to_owned()),
        "[A-Za-z0-9_.:/ -]{0,6}",
    ];
    let delta = prop_oneof![
        Just("\"hi\"".to_owned()),
        Just("\"caf\\u00e9 \\\"q\\\"\"".to_owned()),
        Just("7".to_owned()),
        Just("null".to_owned()),
    ];
    let extra = prop_oneof![
        Just(String::new()),
        Just(",\"extra\":1".to_owned()),
        Just(",\"delta\":\"again\"".to_owned()),
        Just(",\"threadId\":\"thr_2\"".to_owned()),
    ];
    let method = prop_oneof![
        Just("item/agentMessage/delta"),
        Just("item/agentMessage\\/delta"),
        Just("item/plan/delta"),
        Just("thread/realtime/itemAdded"),
    ];
    let envelope_extra =
        prop_oneof![Just(""), Just(",\"id\":3"), Just(",\"jsonrpc\":\"2.0\""), Just(",\"type\":\"x\"")];
    let wrap = 0..11u8;
    let dir = prop_oneof![Just("in"), Just("out"), Just("up")];
    let sid = prop_oneof![Just("bigpc"), Just("realtime"), Just("")];
    (thread, delta, extra, method, envelope_extra, wrap, dir, sid).prop_map(
        |(thread, delta, extra, method, envelope_extra, wrap, dir, sid)| {
            let message = format!(
                "{{\"method\":\"{method}\",\"params\":{{\"threadId\":\"{thread}\",\"turnId\":\"t\",\"itemId\":\"i\",\"delta\":{delta}{extra}}}{envelope_extra}}}"
            );
            let audio = format!("{{\"type\":\"response.output_audio.delta\",\"delta\":{delta}{extra}{envelope_extra}}}");
            let call = format!(
                "{{\"type\":\"response.function_call_arguments.done\",\"name\":\"codex\",\"arguments\":\"{{\\\"server\\\":\\\"b\\\",\\\"prompt\\\":\\\"p\\\",\\\"thread_id\\\":\\\"{thread}\\\"}}\"}}"
            );
            match wrap {
                0 => message,
                1 => format!("{{\"ts_ms\":1,\"dir\":\"{dir}\",\"server_id\":\"{sid}\",\"json\":{message}}}"),
                2 => format!(
                    "{{\"dir\":\"{dir}\",\"json\":{},\"server_id\":\"{sid}\"}}",
                    serde_json::to_string(&message).unwrap()
                ),
                3 => format!("{{\"ts_ms\":1,\"dir\":\"{dir}\",\"server_id\":\"realtime\",\"json\":{audio}}}"),
                4 => format!("{{\"ts_ms\":1,\"dir\":\"{dir}\",\"server_id\":\"realtime\",\"json\":{}}}", serde_json::to_string(&audio).unwrap()),
                5 => format!("{{\"ts_ms\":1,\"dir\":\"in\",\"server_id\":\"{sid}\",\"json\":{call}}}"),
                // The same call as a `conversation.item.done` item (its arguments, a JSON string, re-encoded).
                9 => {
                    let call: serde_json::Value = serde_json::from_str(&call).unwrap();
                    let item = serde_json::json!({"type": "conversation.item.done", "item": {
                        "type": "function_call", "id": "it", "call_id": "c", "name": call["name"], "arguments": call["arguments"]}});
                    format!("{{\"ts_ms\":1,\"dir\":\"in\",\"server_id\":\"{sid}\",\"json\":{item}}}")
                }
                // Entry-level oddities the typed entry reader must hand to the `Value` path.
                6 => format!("{{\"dir\":\"{dir}\",\"server_id\":\"{sid}\",\"json\":{message},\"json\":{message}}}"),
                7 => format!("{{\"dir\":\"{dir}\",\"server_id\":\"{sid}\",\"json\":\"[1]\"}}"),
                8 => format!("{{\"dir\":\"{dir}\",\"json\":{message}}}"),
                _ => format!("{{\"dir\":\"{dir}\",\"server_id\":7,\"json\":{message},\"ts_ms\":\"x\"}}"),
            }
        },
    )
}

/// Requests and responses close to the compiled pass's edge, in sequences where ids are answered, reused and orphaned
/// and handoffs open and close.
fn rpc_frame() -> impl Strategy<Value = String> {
    // Clean shapes are weighted up, so that most sequences hold several of them.
    let id = prop_oneof![
        4 => Just("1"),
        4 => Just("2"),
        2 => Just("\"1\""),
        1 => Just("\"\\u0031\""),
        1 => Just("1.0"),
        1 => Just("-7"),
        1 => Just("9223372036854775807"),
        1 => Just("9223372036854775808"),
        1 => Just("null"),
        1 => Just("true"),
    ];
    let method = prop_oneof![
        6 => Just("thread/realtime/resolveHandoff"),
        3 => Just("thread/realtime/finalizeHandoff"),
        1 => Just("thread/realtime\\/resolveHandoff"),
        3 => Just("turn/start"),
        3 => Just("thread/resume"),
        2 => Just("thread/start"),
    ];
    let thread = prop_oneof![6 => Just("voice_1"), 3 => Just("voice_2"), 1 => Just(""), 1 => Just("bad id"), 1 => Just("\\u0076oice_1")];
    // `None`: the members the method takes.
    let params_extra = prop_oneof![
        12 => Just(None),
        1 => Just(Some(",\"toolCallOutput\":\"out\"")),
        1 => Just(Some("")),
        1 => Just(Some(",\"toolCallOutput\":7")),
        1 => Just(Some(",\"toolCallOutput\":\"a\",\"toolCallOutput\":\"b\"")),
        1 => Just(Some(",\"toolCallOutput\":\"out\",\"extra\":1")),
        1 => Just(Some(",\"threadId\":\"voice_2\"")),
        1 => Just(Some(",\"excludeTurns\":null")),
        1 => Just(Some(",\"excludeTurns\":\"yes\"")),
        1 => Just(Some(",\"excludeTurns\":false,\"model\":null")),
        1 => Just(Some(",\"input\":[]")),
        1 => Just(Some(",\"input\":[{\"type\":\"image\",\"url\":\"u\"}]")),
        1 => Just(Some(",\"input\":[{\"type\":\"image\",\"text\":\"t\"}]")),
        1 => Just(Some(",\"input\":[{\"type\":7,\"text\":\"t\"}]")),
        1 => Just(Some(",\"input\":[{\"type\":\"text\"}]")),
        1 => Just(Some(",\"input\":[{\"text\":\"a\",\"type\":\"text\",\"text\":\"b\"}]")),
        1 => Just(Some(",\"input\":[{\"type\":\"text\",\"text\":\"a\",\"extra\":1}]")),
        1 => Just(Some(",\"input\":{\"type\":\"text\",\"text\":\"a\"}")),
    ];
    let envelope_extra = prop_oneof![9 => Just(""), 1 => Just(",\"jsonrpc\":\"2.0\""), 1 => Just(",\"trace\":null"), 1 => Just(",\"result\":{}")];
    let result = prop_oneof![
        12 => Just("{}"),
        3 => Just("{\"turn\":{\"id\":\"t\",\"status\":\"inProgress\"}}"),
        2 => Just("{\"thread\":{\"id\":\"thr_new\"}}"),
        1 => Just("{\"thread\":{\"id\":\"bad id\"},\"thread\":{\"id\":\"thr_2\"}}"),
        1 => Just("{\"turn\":{\"id\":7}}"),
        1 => Just("{\"a\":1}"),
        1 => Just("[]"),
        1 => Just("null"),
        1 => Just("{},\"result\":{}"),
        1 => Just("{},\"error\":{\"code\":1,\"message\":\"m\"}"),
        1 => Just("{},\"extra\":1"),
    ];
    let handoff = prop_oneof![Just("voice_1"), Just("voice_2")];
    let turn = prop_oneof![
        6 => Just("{\"id\":\"t1\",\"status\":\"completed\"}"),
        3 => Just("{\"status\":\"inProgress\",\"id\":\"t1\"}"),
        2 => Just("{\"id\":\"t1\"}"),
        1 => Just("{\"id\":\"t1\",\"status\":\"done\"}"),
        1 => Just("{\"id\":7,\"status\":\"failed\"}"),
        1 => Just("{\"status\":\"failed\"}"),
        1 => Just("{\"id\":\"t1\",\"items\":[]}"),
        1 => Just("{\"id\":\"t1\",\"id\":\"t2\"}"),
        1 => Just("{\"id\":\"t1\",\"error\":null,\"extra\":1}"),
        1 => Just("[]"),
    ];
    let turn_method = prop_oneof![
        3 => Just("turn/started"),
        3 => Just("turn/completed"),
        1 => Just("turn\\/completed"),
        1 => Just("turn/failed"),
    ];
    let kind = 0..5u8;
    let wrap = 0..4u8;
    let dir = prop_oneof![1 => Just("in"), 4 => Just("out"), 1 => Just("up")];
    // Server ids short enough to be compared inline in capture order, longer, and escaped ("bigpc" again).
    let sid = prop_oneof![
        4 => Just("local"),
        1 => Just("bigpc"),
        1 => Just("realtime"),
        1 => Just("a-server-id-longer-than-22-bytes"),
        1 => Just("b\\u0069gpc"),
    ];
    let notification = (turn, turn_method);
    (id, method, thread, params_extra, envelope_extra, result, handoff, notification, kind, wrap, dir, sid).prop_map(
        |(id, method, thread, params_extra, envelope_extra, result, handoff, (turn, turn_method), kind, wrap, dir, sid)| {
            let params_extra = params_extra.unwrap_or(if method.contains("resolve") {
                ",\"toolCallOutput\":\"out\""
            } else if method == "turn/start" {
                ",\"input\":[{\"type\":\"text\",\"text\":\"go\"},{\"text\":\"on\",\"type\":\"text\"}]"
            } else if method == "thread/resume" {
                ",\"excludeTurns\":true"
            } else {
                ""
            });
            let message = match kind {
                0 | 1 => format!(
                    "{{\"id\":{id},\"method\":\"{method}\",\"params\":{{\"threadId\":\"{thread}\"{params_extra}}}{envelope_extra}}}"
                ),
                2 => format!("{{\"id\":{id},\"result\":{result}}}"),
                4 => {
                    let extra = if envelope_extra.contains("result") { ",\"id\":1" } else { envelope_extra };
                    format!(
                        "{{\"method\":\"{turn_method}\",\"params\":{{\"threadId\":\"{thread}\",\"turn\":{turn}}}{extra}}}"
                    )
                }
                _ => format!(
                    "{{\"method\":\"thread/realtime/itemAdded\",\"params\":{{\"threadId\":\"{handoff}\",\"item\":{{\"type\":\"handoff_request\",\"handoff_id\":\"h\",\"item_id\":\"i\",\"input_transcript\":\"t\",\"active_transcript\":[]}}}}}}"
                ),
            };
            // Answers and handoff items travel app-server → client, mostly.
            let dir = if kind >= 2 && dir == "out" { "in" } else { dir };
            match wrap {
                0 => message,
                1 => format!("{{\"ts_ms\":1,\"dir\":\"{dir}\",\"server_id\":\"{sid}\",\"json\":{message}}}"),
                2 => format!(
                    "{{\"dir\":\"{dir}\",\"json\":{},\"server_id\":\"{sid}\"}}",
                    serde_json::to_string(&message).unwrap()
                ),
                _ => format!("{{\"ts_ms\":1,\"dir\":\"{dir}\",\"server_id\":\"local\",\"json\":{message}}}"),
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_requests_and_responses_give_the_same_diagnostics_on_both_paths(
        frames in proptest::collection::vec(rpc_frame(), 1..16)
    ) {
        let schemas = schemas();
        let capture = frames.join("\n") + "\n";
        assert_same(schemas, capture.as_bytes());
    }

    #[test]
    fn generated_frames_give_the_same_diagnostics_on_both_paths(frames in proptest::collection::vec(frame(), 1..8)) {
        let schemas = schemas();
        let capture = frames.join("\n") + "\n";
        assert_same(schemas, capture.as_bytes());
    }
}

fn schemas() -> &'static Schemas {
    static SCHEMAS: std::sync::OnceLock<Schemas> = std::sync::OnceLock::new();
    SCHEMAS.get_or_init(|| Schemas::canonical().unwrap())
}
