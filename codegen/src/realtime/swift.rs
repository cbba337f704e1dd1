//! `Realtime.swift` for the Swift package: the tools JSON and the instructions template as string literals
//! equal to the generated files byte for byte, the server description type and the template renderer.

use handoff_schema::Ir;

use super::{NO_SERVERS_LINE, SERVERS_SLOT, instructions_template, tools_json};
use crate::{CodegenError, header};

/// A complete Swift source file (module `CodexHandoffContract`) with the `header("//")` preamble.
pub fn swift_source(ir: &Ir) -> Result<String, CodegenError> {
    let tools = raw_multiline_literal(&tools_json(ir)?);
    let template = raw_multiline_literal(&instructions_template(ir)?);
    let slot = crate::swift::string_literal(SERVERS_SLOT);
    let no_servers = crate::swift::string_literal(NO_SERVERS_LINE);
    Ok(format!(
        r#"{header}
import Foundation

/// The realtime voice model's side of the handoff contract: the function tools to declare in
/// `session.update`, and the prompt guidance to send as its `instructions`.
public enum Realtime {{
    /// The `tools` array of a realtime `session.update`: one
    /// `{{"type":"function","name","description","parameters"}}` object per tool, as JSON text.
    public static let toolsJSON: String = {tools}

    /// Prompt guidance for the voice model, with `serversSlot` where the connected servers go.
    /// Send `renderInstructions(servers:)`, not this template.
    public static let instructionsTemplate: String = {template}

    /// The placeholder in `instructionsTemplate` that `renderInstructions(servers:)` replaces.
    public static let serversSlot: String = {slot}

    /// A connected Codex server, as the voice model should know it.
    public struct ServerInfo: Sendable, Hashable {{
        /// The name the user says and the model passes as `server`.
        public var name: String
        /// The server's id; listed when it differs from the name.
        public var id: String
        /// True for the server this voice session runs on (what "local" means).
        public var isLocal: Bool

        public init(name: String, id: String, isLocal: Bool = false) {{
            self.name = name
            self.id = id
            self.isLocal = isLocal
        }}
    }}

    /// `instructionsTemplate` with the slot replaced by one line per server:
    /// `- name (id: id, local)`, the id only when it differs from the name, `local` only for the local server.
    /// Line breaks in names and ids become spaces so a server name cannot add lines to the prompt.
    public static func renderInstructions(servers: [ServerInfo]) -> String {{
        instructionsTemplate.replacingOccurrences(of: serversSlot, with: serverList(servers))
    }}

    static func serverList(_ servers: [ServerInfo]) -> String {{
        if servers.isEmpty {{
            return {no_servers}
        }}
        return servers.map {{ (server: ServerInfo) -> String in
            let name = oneLine(server.name)
            let id = oneLine(server.id)
            var notes: [String] = []
            if !id.isEmpty && id != name {{
                notes.append("id: \(id)")
            }}
            if server.isLocal {{
                notes.append("local")
            }}
            return notes.isEmpty ? "- \(name)" : "- \(name) (\(notes.joined(separator: ", ")))"
        }}.joined(separator: "\n")
    }}

    static func oneLine(_ text: String) -> String {{
        text.split(whereSeparator: {{ $0.isWhitespace }}).joined(separator: " ")
    }}
}}
"#,
        header = header("//"),
    ))
}

/// A raw multi-line Swift literal whose value is exactly `text`.
///
/// The content starts after the newline that follows the opening delimiter and ends before the newline that
/// precedes the closing one; the closing delimiter sits in column 0 so no indentation is stripped. Raw
/// (`#"""`) so backslashes and quotes stay literal; more `#` are added while the text itself contains the
/// closing delimiter or an escape introducer of that many `#`.
pub fn raw_multiline_literal(text: &str) -> String {
    let mut hashes = String::from("#");
    while text.contains(&format!("\"\"\"{hashes}")) || text.contains(&format!("\\{hashes}")) {
        hashes.push('#');
    }
    // Swift turns CR and CRLF inside a multi-line literal into LF, so those must be escaped; the texts here
    // come from JSON and trimmed descriptions and hold none, but a literal must never silently differ.
    let body = text.replace('\r', &format!("\\{hashes}r"));
    format!("{hashes}\"\"\"\n{body}\n\"\"\"{hashes}")
}
