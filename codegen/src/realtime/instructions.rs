//! IR → the prompt guidance for the voice model (`instructions.md`), a template with one slot for the list
//! of connected servers that the app fills in at run time.
//!
//! The text talks about particular tools and members by role (the delegation tool, the session finders, the
//! thread member). Each role is looked up in the IR and its name printed from there; a schema that renames or
//! drops one fails `cargo xtask gen` with an error naming it, rather than leaving the prompt pointing the
//! model at a tool it does not have.

use handoff_schema::{Ir, RealtimeTool, TypeKind};

use super::{BACKEND, SERVERS_SLOT};
use crate::CodegenError;

/// The tool the model hands work to.
const DELEGATE_TOOL: &str = "codex";
/// The tool that lists sessions, with their thread ids.
const LIST_SESSIONS_TOOL: &str = "list_sessions";
/// The tool that reads one session to confirm it.
const READ_SESSION_TOOL: &str = "read_session";
/// The tool that lists the connected servers.
const LIST_SERVERS_TOOL: &str = "list_servers";
/// Members of the delegation tool's arguments that the guidance names.
const SERVER_MEMBER: &str = "server";
const PROMPT_MEMBER: &str = "prompt";
const THREAD_MEMBER: &str = "thread_id";

/// The prompt guidance with the `{{servers}}` slot, without the generated-file header: what apps send.
pub fn instructions_template(ir: &Ir) -> Result<String, CodegenError> {
    let codex = tool(ir, DELEGATE_TOOL)?;
    let list_sessions = tool(ir, LIST_SESSIONS_TOOL)?;
    let read_session = tool(ir, READ_SESSION_TOOL)?;
    let list_servers = tool(ir, LIST_SERVERS_TOOL)?;
    let server = member(ir, codex, SERVER_MEMBER)?;
    let prompt = member(ir, codex, PROMPT_MEMBER)?;
    let thread = member(ir, codex, THREAD_MEMBER)?;
    let read_thread = member(ir, read_session, THREAD_MEMBER)?;
    let (codex, list_sessions, read_session, list_servers) =
        (&codex.name, &list_sessions.name, &read_session.name, &list_servers.name);

    // Only the offered tools: the guidance never names one the model was not given.
    let tool_list: String =
        ir.offered_tools().map(|t| format!("- `{}`: {}\n", t.name, single_line(&t.description))).collect();

    Ok(format!(
        "# Codex voice handoff

You are the voice of a Codex app. Coding work is done by Codex agents running on the user's computers \
(servers); you hand tasks to them with `{codex}` and tell the user, briefly, what comes back. Do not write \
code yourself.

## Connected servers

{SERVERS_SLOT}

Pass a server's name or id as `{server}`. \"local\" means the server this voice session runs on. If the user \
names a machine that is not listed, call `{list_servers}`.

## Tools

{tool_list}
## Continuing a session

1. When the user wants to continue earlier work (\"keep going on the login bug\", \"what happened with the \
tests on the big PC\"), find the right session first: call `{list_sessions}`, for the server they name if \
they name one, and call `{read_session}` with its `{read_thread}` to check a candidate when more than one \
could match or you are unsure.
2. Then call `{codex}({server}=..., {prompt}=..., {thread}=...)` with that session's `{thread}`, so the agent \
continues in that thread with its history.
3. Keep passing the same `{thread}` to `{codex}` for follow-ups about that work, until the user turns to \
other work or another session.
4. For new work, call `{codex}` without `{thread}`.

Only pass a `{thread}` that `{list_sessions}` or `{read_session}` gave you; never make one up, and do not read \
ids out loud. If `{codex}` reports that the session cannot be resumed, tell the user; do not retry without \
`{thread}` unless they ask for a fresh start.
"
    ))
}

/// `instructions.md`: an HTML-comment header (invisible when rendered, and dropped from the app constant),
/// then the template.
pub fn instructions_md(ir: &Ir) -> Result<String, CodegenError> {
    Ok(format!("{}\n{}", html_header(), instructions_template(ir)?))
}

/// [`crate::header`] as one HTML comment.
fn html_header() -> String {
    let header = crate::header("");
    let text: Vec<&str> = header.lines().map(str::trim).collect();
    format!("<!-- {} -->\n", text.join(" "))
}

/// Tool descriptions go on one bullet line each.
fn single_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An offered tool the guidance names; one the schema lacks, or lists as declared by the app-server, is an error.
fn tool<'a>(ir: &'a Ir, name: &str) -> Result<&'a RealtimeTool, CodegenError> {
    ir.offered_tools().find(|t| t.name == name).ok_or_else(|| CodegenError::Unsupported {
        backend: BACKEND,
        type_name: name.to_owned(),
        pointer: "/x-realtime-tools".to_owned(),
        reason: format!(
            "the prompt guidance tells the model to use tool `{name}`, but the schema does not offer it (missing, or \
             `declared_by: app-server`)"
        ),
    })
}

/// The wire name of `name` in the tool's arguments, checked to exist.
fn member<'a>(ir: &'a Ir, tool: &RealtimeTool, name: &str) -> Result<&'a str, CodegenError> {
    let def = ir.types.get(&tool.arguments);
    let field = def.and_then(|def| match &def.kind {
        TypeKind::Struct(s) => s.fields.iter().find(|f| f.wire_name == name),
        _ => None,
    });
    field.map(|f| f.wire_name.as_str()).ok_or_else(|| CodegenError::Unsupported {
        backend: BACKEND,
        type_name: tool.arguments.clone(),
        pointer: def.map(|d| d.pointer.clone()).unwrap_or_default(),
        reason: format!("the prompt guidance names member `{name}` of tool `{}`, but its arguments lack it", tool.name),
    })
}
