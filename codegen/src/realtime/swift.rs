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
    ) + &tool_call_parser(ir))
}

/// `Realtime.parseToolCall(name:arguments:)` and its types: the voice model's untrusted function calls, read
/// with the same accepted spellings (tool aliases, legacy member names) and the same error kinds as the Rust and
/// TypeScript parsers (`tests/fixtures/realtime/tool_calls.json` pins both).
fn tool_call_parser(ir: &Ir) -> String {
    use crate::swift::{member_ident, string_literal};
    let mut cases = String::new();
    let mut names = String::new();
    let mut spellings = String::new();
    let mut dispatch = String::new();
    for tool in &ir.realtime_tools {
        let case = member_ident(&tool.name);
        let name = string_literal(&tool.name);
        cases.push_str(&format!("        /// A `{}` call.\n        case {case}({})\n", tool.name, tool.arguments));
        names.push_str(&format!("            case .{case}: return {name}\n"));
        for spelling in std::iter::once(&tool.name).chain(&tool.aliases) {
            spellings.push_str(&format!("        {}: {name},\n", string_literal(spelling)));
        }
        dispatch.push_str(&format!(
            "        case {name}:\n            return .{case}(try decodeToolArguments({}.self, tool: {name}, arguments: arguments))\n",
            tool.arguments
        ));
    }
    format!(
        r#"
extension Realtime {{
    /// A function call of the voice model, parsed: the tool under its canonical name, with its arguments.
    public enum ToolCall: Sendable, Hashable {{
{cases}
        /// The tool's canonical name (also for a call made under one of its aliases).
        public var name: String {{
            switch self {{
{names}            }}
        }}
    }}

    /// Why a function call was refused. `kind` names the same kinds as the Rust and TypeScript parsers.
    public struct ToolCallError: Error, Sendable, Hashable, CustomStringConvertible {{
        public enum Kind: String, Sendable, Hashable, CaseIterable {{
            /// No tool has this name.
            case unknownTool = "unknown_tool"
            /// The arguments text is not JSON.
            case invalidJSON = "invalid_json"
            /// The arguments are JSON but not an object.
            case notAnObject = "not_an_object"
            /// A member the tool does not have.
            case unknownMember = "unknown_member"
            /// A member given twice (the same name, or a name and its legacy alias).
            case duplicateMember = "duplicate_member"
            /// A required member is absent.
            case missingMember = "missing_member"
            /// A member of the wrong JSON type (explicit `null` included).
            case wrongType = "wrong_type"
            /// A member of the right type that breaks a constraint (a thread id's pattern, a limit's range).
            case invalidValue = "invalid_value"
        }}

        public let kind: Kind
        /// The canonical name of the tool called; nil for an unknown tool.
        public let tool: String?
        /// What is wrong, for a log line or the function call's error output.
        public let message: String

        public init(kind: Kind, tool: String?, message: String) {{
            self.kind = kind
            self.tool = tool
            self.message = message
        }}

        public var description: String {{
            tool.map {{ "`\($0)` arguments: \(message)" }} ?? message
        }}
    }}

    /// Every name the voice model may call a tool by (legacy aliases included, and tools the app-server declares
    /// itself such as `background_agent`), to its canonical name.
    public static let toolNames: [String: String] = [
{spellings}    ]

    /// Parses a `function_call` of the voice model: its `name` (a tool, offered or declared by the app-server such
    /// as `background_agent`, or an alias) and its `arguments` JSON text. Legacy member spellings are accepted,
    /// constraints checked, unknown and repeated members refused.
    ///
    /// - Throws: `ToolCallError`, whose `kind` says why.
    public static func parseToolCall(name: String, arguments: String) throws -> ToolCall {{
        guard let tool = toolNames[name] else {{
            throw ToolCallError(kind: .unknownTool, tool: nil, message: "unknown tool \"\(name)\"")
        }}
        switch tool {{
{dispatch}        default:
            throw ToolCallError(kind: .unknownTool, tool: nil, message: "unknown tool \"\(name)\"")
        }}
    }}

    /// One tool's arguments text: JSON, an object, no member twice, then the generated decoder (which refuses
    /// unknown members, reads aliases and checks constraints); each refusal mapped to its kind.
    static func decodeToolArguments<T: Decodable>(_ type: T.Type, tool: String, arguments: String) throws -> T {{
        let data = Data(arguments.utf8)
        let parsed: Any
        do {{
            parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        }} catch {{
            throw ToolCallError(kind: .invalidJSON, tool: tool, message: "not JSON: \(error.localizedDescription)")
        }}
        guard parsed is [String: Any] else {{
            throw ToolCallError(kind: .notAnObject, tool: tool, message: "not a JSON object")
        }}
        // JSON decoders keep one of two equal member names silently; the text is checked first.
        if let repeated = RepeatedMemberScan.firstRepeatedMember(in: data) {{
            throw ToolCallError(kind: .duplicateMember, tool: tool, message: "member `\(repeated)` is given twice")
        }}
        do {{
            return try JSONDecoder().decode(type, from: data)
        }} catch let error as ContractMemberError {{
            let kind: ToolCallError.Kind = error.kind == .unknownMember ? .unknownMember : .duplicateMember
            throw ToolCallError(kind: kind, tool: tool, message: error.description)
        }} catch let error as ContractConstraintError {{
            throw ToolCallError(kind: .invalidValue, tool: tool, message: error.description)
        }} catch let error as DecodingError {{
            throw ToolCallError(kind: kind(of: error), tool: tool, message: describe(error))
        }}
    }}

    static func kind(of error: DecodingError) -> ToolCallError.Kind {{
        switch error {{
        case .keyNotFound:
            return .missingMember
        case .typeMismatch, .valueNotFound:
            return .wrongType
        case .dataCorrupted:
            return .invalidValue
        @unknown default:
            return .invalidValue
        }}
    }}

    static func describe(_ error: DecodingError) -> String {{
        let context: DecodingError.Context
        switch error {{
        case .keyNotFound(_, let found), .typeMismatch(_, let found), .valueNotFound(_, let found),
            .dataCorrupted(let found):
            context = found
        @unknown default:
            return String(describing: error)
        }}
        let path = context.codingPath.map(\.stringValue).joined(separator: ".")
        return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
    }}
}}

/// Finds a member name given twice in one object of a JSON text already known to be valid (any depth).
struct RepeatedMemberScan {{
    private let bytes: [UInt8]
    private var index = 0

    static func firstRepeatedMember(in data: Data) -> String? {{
        var scan = RepeatedMemberScan(bytes: Array(data))
        return scan.value()
    }}

    private init(bytes: [UInt8]) {{
        self.bytes = bytes
    }}

    private func at(_ character: Unicode.Scalar) -> Bool {{
        index < bytes.count && bytes[index] == UInt8(ascii: character)
    }}

    private mutating func skipWhitespace() {{
        while index < bytes.count && [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) {{
            index += 1
        }}
    }}

    /// Skips one value; the first member name repeated inside it, if any.
    private mutating func value() -> String? {{
        skipWhitespace()
        if at("{{") {{
            index += 1
            var seen = Set<String>()
            while index < bytes.count {{
                skipWhitespace()
                if at("}}") {{
                    index += 1
                    return nil
                }}
                if at(",") {{
                    index += 1
                    continue
                }}
                let name = string()
                if !seen.insert(name).inserted {{
                    return name
                }}
                skipWhitespace()
                index += 1  // the colon
                if let repeated = value() {{
                    return repeated
                }}
            }}
            return nil
        }}
        if at("[") {{
            index += 1
            while index < bytes.count {{
                skipWhitespace()
                if at("]") {{
                    index += 1
                    return nil
                }}
                if at(",") {{
                    index += 1
                    continue
                }}
                if let repeated = value() {{
                    return repeated
                }}
            }}
            return nil
        }}
        if at("\"") {{
            _ = string()
            return nil
        }}
        // A number, `true`, `false` or `null`: up to the next delimiter.
        while index < bytes.count && !",]}} \t\n\r".utf8.contains(bytes[index]) {{
            index += 1
        }}
        return nil
    }}

    /// The string literal at `index`, unescaped (so `"\u0073erver"` and `"server"` are the same name).
    private mutating func string() -> String {{
        let start = index
        index += 1
        while index < bytes.count && bytes[index] != UInt8(ascii: "\"") {{
            index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
        }}
        index += 1
        let literal = Data(bytes[start..<min(index, bytes.count)])
        return (try? JSONDecoder().decode(String.self, from: literal)) ?? String(decoding: literal, as: UTF8.self)
    }}
}}
"#
    )
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
