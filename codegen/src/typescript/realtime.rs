//! IR → `src/realtime.ts`: the voice model's side of the contract. The `tools` array of `session.update` and
//! the prompt template come from the realtime backend (the same text as `generated/realtime/`), so an app
//! never copies them by hand; the tool-call parsers read the model's untrusted `arguments` strings.

use std::collections::BTreeMap;

use handoff_schema::{Ir, RealtimeTool};
use heck::ToShoutySnakeCase;
use serde_json::Value;

use super::text::{doc_comment, string_literal};
use crate::CodegenError;
use crate::realtime::{NO_SERVERS_LINE, SERVERS_SLOT, instructions_template, tools_json};
use handoff_schema::Group;

pub(crate) fn realtime_file(ir: &Ir, placement: &BTreeMap<String, Group>) -> Result<String, CodegenError> {
    let tools: Value = serde_json::from_str(&tools_json(ir)?)
        .map_err(|e| CodegenError::Render { backend: super::BACKEND, reason: format!("tools.json: {e}") })?;
    let tools_literal = serde_json::to_string_pretty(&tools)
        .map_err(|e| CodegenError::Render { backend: super::BACKEND, reason: e.to_string() })?;
    let template = instructions_template(ir)?;

    let mut out = String::from(
        "// The realtime voice model's tools, its prompt guidance, and parsers of its function calls.\n\n",
    );
    out.push_str(&super::type_imports(ir.realtime_tools.iter().map(|t| t.arguments.as_str()), placement));
    out.push_str("import { decodeArguments } from \"./guards.js\";\nimport type { DecodeErrorKind, Decoded } from \"./guards.js\";\n\n");
    out.push_str(
        "/** The `tools` array of a realtime `session.update`: `{type: \"function\", name, description, parameters}`. */\n",
    );
    out.push_str(&format!("export const TOOLS = {tools_literal} as const;\n\n"));
    out.push_str(
        "/** The prompt guidance for the voice model, with a slot for the connected servers. Send {@link renderInstructions}. */\n",
    );
    out.push_str(&format!("export const INSTRUCTIONS_TEMPLATE = {};\n\n", template_literal(&template)));
    out.push_str(&format!(
        "/** The placeholder in {{@link INSTRUCTIONS_TEMPLATE}} that {{@link renderInstructions}} replaces. */\n\
         export const SERVERS_SLOT = {};\n\n",
        string_literal(SERVERS_SLOT)
    ));
    out.push_str(&render_instructions(NO_SERVERS_LINE));

    out.push_str(
        "\n/** The canonical name of each tool the parser recognises; {@link TOOLS} declares the offered ones. */\nexport const TOOL_NAMES = {\n",
    );
    for tool in &ir.realtime_tools {
        out.push_str(&format!("  {}: {},\n", tool.name.to_shouty_snake_case(), string_literal(&tool.name)));
    }
    out.push_str("} as const;\n\n/** A parsed function call of the voice model, by canonical tool name. */\nexport type ToolCall =\n");
    let calls: Vec<String> = ir
        .realtime_tools
        .iter()
        .map(|t| format!("{{ readonly name: {}; readonly arguments: {} }}", string_literal(&t.name), t.arguments))
        .collect();
    out.push_str(&format!("  | {};\n", calls.join("\n  | ")));

    for tool in &ir.realtime_tools {
        out.push('\n');
        out.push_str(&parser(tool));
    }
    out.push_str(&dispatcher(ir));
    Ok(out)
}

/// A template literal keeps the prompt readable line by line; `\`, `` ` `` and `${` are escaped.
fn template_literal(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('`', "\\`").replace("${", "\\${");
    format!("`{escaped}`")
}

/// The server-list renderer; the same lines the Rust and Swift renderers print.
fn render_instructions(no_servers: &str) -> String {
    format!(
        r#"/** A connected Codex server, as the voice model should know it. */
export interface ServerInfo {{
  /** The name the user says and the model passes as `server`. */
  readonly name: string;
  /** The server's id; listed when it differs from the name. */
  readonly id: string;
  /** True for the server this voice session runs on (what "local" means). */
  readonly isLocal?: boolean;
}}

/** Whitespace runs (line breaks included) become one space, so a server name cannot add lines to the prompt. */
function oneLine(text: string): string {{
  return text.split(/\s+/u).filter((word) => word !== "").join(" ");
}}

/**
 * {{@link INSTRUCTIONS_TEMPLATE}} with the slot replaced by one line per server: `- name (id: id, local)`, the id
 * only when it differs from the name, `local` only for the local server.
 */
export function renderInstructions(servers: readonly ServerInfo[]): string {{
  const lines = servers.map((server) => {{
    const name = oneLine(server.name);
    const id = oneLine(server.id);
    const notes: string[] = [];
    if (id !== "" && id !== name) notes.push(`id: ${{id}}`);
    if (server.isLocal === true) notes.push("local");
    return notes.length === 0 ? `- ${{name}}` : `- ${{name}} (${{notes.join(", ")}})`;
  }});
  const list = lines.length === 0 ? {no_servers} : lines.join("\n");
  return INSTRUCTIONS_TEMPLATE.replace(SERVERS_SLOT, () => list);
}}
"#,
        no_servers = string_literal(no_servers)
    )
}

/// `parseCodexToolArguments(argumentsJson)`: one tool's `arguments` string, decoded and checked.
fn parser(tool: &RealtimeTool) -> String {
    let ty = &tool.arguments;
    let doc = format!(
        "Reads the `arguments` JSON string of a `{}` call: legacy member spellings accepted, constraints (such as \
         the thread id's pattern and length) checked, unknown members refused.",
        tool.name
    );
    format!(
        "{}export function parse{ty}(argumentsJson: string): Decoded<{ty}> {{\n  return decodeArguments<{ty}>({}, argumentsJson);\n}}\n",
        doc_comment("", &doc),
        string_literal(ty)
    )
}

/// `parseToolCall(name, argumentsJson)`: dispatch on the tool name, aliases and app-server-declared tools included.
fn dispatcher(ir: &Ir) -> String {
    let mut out = String::from(
        "\n/**\n * Parses a `function_call` of the voice model: its `name` (a tool, offered or declared by the app-server such as\n * `background_agent`, or an alias) and its `arguments` JSON string. The call comes back under the tool's canonical\n * name.\n */\n",
    );
    out.push_str(
        "export function parseToolCall(name: string, argumentsJson: string): Decoded<ToolCall> {\n  switch (name) {\n",
    );
    for tool in &ir.realtime_tools {
        let spellings: Vec<&String> = std::iter::once(&tool.name).chain(&tool.aliases).collect();
        for (index, spelling) in spellings.iter().enumerate() {
            let opening = if index + 1 == spellings.len() { " {" } else { "" };
            out.push_str(&format!("    case {}:{opening}\n", string_literal(spelling)));
        }
        let name = string_literal(&tool.name);
        out.push_str(&format!(
            "      const decoded = parse{}(argumentsJson);\n      \
             if (!decoded.ok) return failed({name}, decoded);\n      \
             return {{ ok: true, value: {{ name: {name}, arguments: decoded.value }} }};\n    }}\n",
            tool.arguments
        ));
    }
    out.push_str(
        "    default:\n      return { ok: false, kind: \"unknown_tool\", error: `unknown tool ${JSON.stringify(name)}` };\n  }\n}\n\n",
    );
    out.push_str(
        "function failed(tool: ToolCall[\"name\"], refused: { readonly kind: DecodeErrorKind; readonly error: string }): Decoded<ToolCall> {\n  \
         return { ok: false, kind: refused.kind, error: `\\`${tool}\\` arguments: ${refused.error}` };\n}\n",
    );
    out
}
