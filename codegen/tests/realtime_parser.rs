//! The generated crate's parser of the voice model's function calls (`codex_handoff_contract::realtime`):
//! every accepted spelling, and every way a call can be wrong, each as its own error.

use codex_handoff_contract::realtime::{
    self, ToolCall, ToolCallError, parse_codex_arguments, parse_list_sessions_arguments, parse_tool_call,
};
use codex_handoff_contract::{CodexToolArguments, ThreadId};

fn codex(server: &str, prompt: &str, thread_id: Option<&str>) -> CodexToolArguments {
    let mut arguments = CodexToolArguments::new(server.to_owned(), prompt.to_owned());
    arguments.thread_id = thread_id.map(|t| ThreadId::new(t).expect("a valid thread id"));
    arguments
}

#[test]
fn parses_a_codex_call_with_and_without_thread_id() {
    assert_eq!(
        parse_codex_arguments(r#"{"server":"bigpc","prompt":"run the tests","thread_id":"thr_123"}"#),
        Ok(codex("bigpc", "run the tests", Some("thr_123")))
    );
    assert_eq!(
        parse_codex_arguments(r#"{"prompt":"run the tests","server":"bigpc"}"#),
        Ok(codex("bigpc", "run the tests", None))
    );
}

#[test]
fn accepts_each_legacy_spelling_of_server() {
    for spelling in ["server_hint", "serverHint"] {
        let arguments = format!(r#"{{"{spelling}":"bigpc","prompt":"p"}}"#);
        assert_eq!(parse_codex_arguments(&arguments), Ok(codex("bigpc", "p", None)), "{spelling}");
    }
}

#[test]
fn two_spellings_of_one_member_are_an_error() {
    for (first, second) in [("server", "server_hint"), ("serverHint", "server"), ("server_hint", "serverHint")] {
        let arguments = format!(r#"{{"{first}":"a","prompt":"p","{second}":"b"}}"#);
        let error = parse_codex_arguments(&arguments).unwrap_err();
        assert_eq!(
            error,
            ToolCallError::DuplicateMember {
                tool: "codex",
                member: "server",
                spellings: [first.to_owned(), second.to_owned()]
            }
        );
        let message = error.to_string();
        assert!(message.contains(first) && message.contains(second), "{message}");
    }
}

#[test]
fn a_repeated_member_is_an_error_not_last_one_wins() {
    let error = parse_codex_arguments(r#"{"server":"a","server":"b","prompt":"p"}"#).unwrap_err();
    assert_eq!(
        error,
        ToolCallError::DuplicateMember {
            tool: "codex",
            member: "server",
            spellings: ["server".into(), "server".into()]
        }
    );
    assert_eq!(error.to_string(), "`codex` arguments: member `server` is given twice");
}

#[test]
fn bad_json_is_its_own_error() {
    let error = parse_codex_arguments(r#"{"server":"bigpc","prompt":"#).unwrap_err();
    let ToolCallError::InvalidJson { tool: "codex", message } = &error else { panic!("wrong error: {error:?}") };
    assert!(message.contains("line 1"), "the message locates the problem: {message}");
    assert!(error.to_string().starts_with("`codex` arguments are not valid JSON"), "{error}");
    assert!(matches!(parse_codex_arguments(""), Err(ToolCallError::InvalidJson { .. })));
}

#[test]
fn non_objects_are_their_own_error() {
    for (arguments, found) in
        [("[]", "an array"), ("\"bigpc\"", "a string"), ("null", "null"), ("3", "an integer"), ("true", "a boolean")]
    {
        assert_eq!(
            parse_codex_arguments(arguments),
            Err(ToolCallError::NotAnObject { tool: "codex", found }),
            "{arguments}"
        );
    }
    assert_eq!(
        ToolCallError::NotAnObject { tool: "codex", found: "an array" }.to_string(),
        "`codex` arguments must be a JSON object, found an array"
    );
}

#[test]
fn missing_members_are_named() {
    assert_eq!(
        parse_codex_arguments(r#"{"server":"bigpc"}"#),
        Err(ToolCallError::MissingMember { tool: "codex", member: "prompt" })
    );
    assert_eq!(
        parse_codex_arguments(r#"{"prompt":"p"}"#),
        Err(ToolCallError::MissingMember { tool: "codex", member: "server" })
    );
    assert_eq!(
        ToolCallError::MissingMember { tool: "codex", member: "prompt" }.to_string(),
        "`codex` arguments: missing required member `prompt`"
    );
}

#[test]
fn unknown_members_are_rejected() {
    let error = parse_codex_arguments(r#"{"server":"bigpc","prompt":"p","cwd":"/tmp"}"#).unwrap_err();
    assert_eq!(error, ToolCallError::UnknownMember { tool: "codex", member: "cwd".into() });
    assert_eq!(error.to_string(), "`codex` arguments: unknown member `cwd`");
    // `server_id` is an alias of the discovery tools only.
    assert_eq!(
        parse_codex_arguments(r#"{"server_id":"bigpc","prompt":"p"}"#),
        Err(ToolCallError::UnknownMember { tool: "codex", member: "server_id".into() })
    );
}

#[test]
fn wrong_types_say_what_was_expected_and_found() {
    let cases = [
        (r#"{"server":1,"prompt":"p"}"#, "server", "a string", "an integer"),
        (r#"{"server":"a","prompt":["p"]}"#, "prompt", "a string", "an array"),
        (r#"{"server":"a","prompt":"p","thread_id":7}"#, "thread_id", "a string", "an integer"),
        // `thread_id` may be absent, not null.
        (r#"{"server":"a","prompt":"p","thread_id":null}"#, "thread_id", "a string", "null"),
    ];
    for (arguments, member, expected, found) in cases {
        assert_eq!(
            parse_codex_arguments(arguments),
            Err(ToolCallError::WrongType { tool: "codex", member, expected, found }),
            "{arguments}"
        );
    }
    assert_eq!(
        ToolCallError::WrongType { tool: "codex", member: "server", expected: "a string", found: "an integer" }
            .to_string(),
        "`codex` arguments: member `server` must be a string, found an integer"
    );
}

#[test]
fn bad_thread_ids_are_invalid_values() {
    for thread_id in ["../x", "", " thr", "thr 1", "a/b", "-leading-dash", "thr\n1", &"a".repeat(129)] {
        let arguments = serde_json::json!({"server": "bigpc", "prompt": "p", "thread_id": thread_id}).to_string();
        let error = parse_codex_arguments(&arguments).unwrap_err();
        let ToolCallError::InvalidValue { tool: "codex", member: "thread_id", error: constraint } = &error else {
            panic!("{thread_id:?}: wrong error {error:?}")
        };
        assert_eq!(constraint.type_name, "ThreadId");
        assert_eq!(constraint.value, thread_id);
        assert!(error.to_string().starts_with("`codex` arguments: member `thread_id`: invalid ThreadId"), "{error}");
    }
    // The longest and the UUID-shaped ids pass.
    let longest = "a".repeat(128);
    for thread_id in [longest.as_str(), "0f8fad5b-d9cb-469f-a165-70867728950e", "thr_1.2:3"] {
        let arguments = serde_json::json!({"server": "bigpc", "prompt": "p", "thread_id": thread_id}).to_string();
        assert_eq!(parse_codex_arguments(&arguments), Ok(codex("bigpc", "p", Some(thread_id))));
    }
}

#[test]
fn integer_constraints_of_other_tools_are_checked_too() {
    let error = parse_list_sessions_arguments(r#"{"limit":0}"#).unwrap_err();
    let ToolCallError::InvalidValue { tool: "list_sessions", member: "limit", error } = error else {
        panic!("wrong error: {error:?}")
    };
    assert_eq!(error.type_name, "SessionListLimit");
    assert_eq!(
        parse_list_sessions_arguments(r#"{"limit":2.5}"#),
        Err(ToolCallError::WrongType {
            tool: "list_sessions",
            member: "limit",
            expected: "an integer",
            found: "a number"
        })
    );
    let parsed = parse_list_sessions_arguments(r#"{"server_id":"bigpc","limit":40}"#).unwrap();
    assert_eq!(parsed.server.as_deref(), Some("bigpc"));
    assert_eq!(parsed.limit.map(|l| l.get()), Some(40));
}

#[test]
fn parse_tool_call_dispatches_by_name() {
    let call = parse_tool_call("codex", r#"{"server":"bigpc","prompt":"p","thread_id":"thr_1"}"#).unwrap();
    assert_eq!(call, ToolCall::Codex(codex("bigpc", "p", Some("thr_1"))));
    assert_eq!(call.name(), "codex");
    // The stock app-server's own tool is a tool of its own, with the prompt only: no server, no thread to continue.
    let call = parse_tool_call("background_agent", r#"{"prompt":"run the tests"}"#).unwrap();
    assert_eq!(
        call,
        ToolCall::BackgroundAgent(codex_handoff_contract::BackgroundAgentArguments::new("run the tests".into()))
    );
    assert_eq!(call.name(), "background_agent");
    assert_eq!(
        parse_tool_call("background_agent", r#"{"server":"bigpc","prompt":"p"}"#),
        Err(ToolCallError::UnknownMember { tool: "background_agent", member: "server".into() })
    );
    assert_eq!(
        parse_tool_call("background_agent", "{}"),
        Err(ToolCallError::MissingMember { tool: "background_agent", member: "prompt" })
    );
    assert!(matches!(parse_tool_call("list_servers", "{}"), Ok(ToolCall::ListServers(_))));
    assert!(matches!(
        parse_tool_call("read_session", r#"{"server":"a","thread_id":"thr_9"}"#),
        Ok(ToolCall::ReadSession(_))
    ));
    assert!(matches!(
        parse_tool_call("run_on_server", r#"{"server":"a","command":"ls"}"#),
        Ok(ToolCall::RunOnServer(_))
    ));
    assert_eq!(
        parse_tool_call("list_servers", r#"{"verbose":true}"#),
        Err(ToolCallError::UnknownMember { tool: "list_servers", member: "verbose".into() })
    );
}

#[test]
fn unknown_tools_are_named_with_the_known_ones() {
    let error = parse_tool_call("delete_everything", "{}").unwrap_err();
    assert_eq!(error, ToolCallError::UnknownTool { name: "delete_everything".into() });
    let message = error.to_string();
    assert!(message.contains("delete_everything"), "{message}");
    for tool in realtime::TOOLS {
        assert!(message.contains(tool.name), "{message} lacks {}", tool.name);
    }
}

#[test]
fn only_offered_tools_are_declared_to_the_model() {
    let declared: serde_json::Value = serde_json::from_str(realtime::TOOLS_JSON).unwrap();
    let declared: Vec<&str> = declared.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    let offered: Vec<&str> = realtime::TOOLS.iter().filter(|t| t.offered).map(|t| t.name).collect();
    assert_eq!(declared, offered);
    // The stock server declares `background_agent` and `remain_silent` itself; the client's model gets `codex`.
    for name in ["background_agent", "remain_silent"] {
        let tool = realtime::TOOLS.iter().find(|t| t.name == name).expect("recognised");
        assert!(!tool.offered, "{name}");
    }
    assert!(matches!(parse_tool_call("remain_silent", "{}"), Ok(ToolCall::RemainSilent(_))));
    assert!(realtime::TOOLS.iter().any(|t| t.name == "codex" && t.offered));
}

#[test]
fn every_declared_tool_and_alias_is_dispatched() {
    for tool in realtime::TOOLS {
        for name in std::iter::once(&tool.name).chain(tool.aliases) {
            // `{}` may be missing members, but it must reach the tool's own parser, not "unknown tool".
            match parse_tool_call(name, "{}") {
                Ok(call) => assert_eq!(call.name(), tool.name),
                Err(ToolCallError::MissingMember { tool: parsed_as, .. }) => assert_eq!(parsed_as, tool.name),
                Err(other) => panic!("{name}: {other}"),
            }
        }
    }
}

#[test]
fn errors_are_std_errors_with_readable_messages() {
    let error: Box<dyn std::error::Error> = Box::new(parse_codex_arguments("{").unwrap_err());
    assert!(!error.to_string().is_empty());
}
