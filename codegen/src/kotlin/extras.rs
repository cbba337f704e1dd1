//! The two non-type files: `Methods.kt` (a constant per JSON-RPC method and a table of them) and `Realtime.kt`
//! (the realtime backend's tools JSON and prompt template as raw strings, and the server-list renderer).

use handoff_schema::{Direction, Ir};

use super::KotlinFile;
use super::names::{constant, doc_comment, raw_string, string_literal};
use crate::CodegenError;
use crate::realtime::{NO_SERVERS_LINE, SERVERS_SLOT, instructions_template, tools_json};

pub(crate) fn methods_file(ir: &Ir) -> KotlinFile {
    let mut file = KotlinFile::default();
    let mut out = String::from(
        "\n/** Who sends a method, and whether it is answered. */\npublic enum class MethodDirection(public val wire: String) {\n",
    );
    for direction in Direction::ALL {
        out.push_str(&format!("    {}({}),\n", constant(direction.wire()), string_literal(direction.wire())));
    }
    out.push_str(
        "}\n\n/** One method of the `x-rpc` table; `params`/`result` name the contract type, null when left open. */\n",
    );
    out.push_str(
        "public data class MethodInfo(\n    public val name: String,\n    public val direction: MethodDirection,\n    \
         public val params: String?,\n    public val result: String?,\n)\n\n",
    );
    out.push_str("/** Every JSON-RPC method of the app-server protocol, by wire name. */\npublic object Methods {\n");
    for method in &ir.methods {
        out.push_str(&format!(
            "    /** `{}` ({}). */\n    public const val {}: String = {}\n",
            method.name,
            method.direction.wire(),
            constant(&method.ident),
            string_literal(&method.name)
        ));
    }
    out.push_str("\n    /** Every method, sorted by wire name. */\n    public val ALL: List<MethodInfo> = listOf(\n");
    let optional = |name: &Option<String>| name.as_deref().map_or("null".to_owned(), string_literal);
    for method in &ir.methods {
        out.push_str(&format!(
            "        MethodInfo({}, MethodDirection.{}, {}, {}),\n",
            constant(&method.ident),
            constant(method.direction.wire()),
            optional(&method.params),
            optional(&method.result)
        ));
    }
    out.push_str("    )\n\n    /** The method named `name`, null when the contract does not list it. */\n");
    out.push_str("    public fun byName(name: String): MethodInfo? = ALL.firstOrNull { it.name == name }\n}\n");
    file.body = out;
    file
}

pub(crate) fn realtime_file(ir: &Ir) -> Result<KotlinFile, CodegenError> {
    let mut file = KotlinFile::default();
    let tools = tools_json(ir)?;
    let template = instructions_template(ir)?;
    let mut out = String::from("\n/** A connected Codex server, as the voice model should know it. */\n");
    out.push_str(
        "public data class ServerInfo(\n    /** The name the user says and the model passes as `server`. */\n    public val name: String,\n    \
         /** The server's id; listed when it differs from the name. */\n    public val id: String,\n    \
         /** True for the server this voice session runs on (what \"local\" means). */\n    public val isLocal: Boolean = false,\n)\n\n",
    );
    out.push_str("/** The voice model's side of the contract: what an app sends in `session.update`. */\npublic object Realtime {\n");
    out.push_str(&doc_comment(
        "    ",
        "The `tools` array of a realtime `session.update` (the text of `generated/realtime/tools.json`).",
    ));
    out.push_str(&format!("    public val TOOLS_JSON: String = {}\n\n", raw_string(&tools)));
    out.push_str(&doc_comment(
        "    ",
        "The prompt guidance with a slot for the connected servers. Send [renderInstructions], not this.",
    ));
    out.push_str(&format!("    public val INSTRUCTIONS_TEMPLATE: String = {}\n\n", raw_string(&template)));
    out.push_str(&format!(
        "    /** The placeholder in [INSTRUCTIONS_TEMPLATE] that [renderInstructions] replaces. */\n    \
         public const val SERVERS_SLOT: String = {}\n\n",
        string_literal(SERVERS_SLOT)
    ));
    out.push_str(
        "    /**\n     * The canonical name of each tool the parser recognises, in schema order: the offered ones as [TOOLS_JSON]\n     * declares them, and those the app-server declares itself (`background_agent`).\n     */\n",
    );
    let names: Vec<String> = ir.realtime_tools.iter().map(|t| string_literal(&t.name)).collect();
    out.push_str(&format!("    public val TOOL_NAMES: List<String> = listOf({})\n\n", names.join(", ")));
    out.push_str("    /** Legacy tool names recordings show, mapped to the canonical name. */\n");
    let aliases: Vec<String> = ir
        .realtime_tools
        .iter()
        .flat_map(|t| t.aliases.iter().map(move |a| format!("{} to {}", string_literal(a), string_literal(&t.name))))
        .collect();
    out.push_str(&format!("    public val TOOL_ALIASES: Map<String, String> = mapOf({})\n\n", aliases.join(", ")));
    out.push_str(&format!(
        r#"    /**
     * [INSTRUCTIONS_TEMPLATE] with the slot replaced by one line per server: `- name (id: id, local)`, the id only
     * when it differs from the name, `local` only for the local server. Whitespace runs (line breaks included)
     * become one space, so a server name cannot add lines to the prompt.
     */
    public fun renderInstructions(servers: List<ServerInfo>): String {{
        val list = if (servers.isEmpty()) {{
            {no_servers}
        }} else {{
            servers.joinToString("\n") {{ server ->
                val name = oneLine(server.name)
                val id = oneLine(server.id)
                val notes = buildList {{
                    if (id.isNotEmpty() && id != name) add("id: " + id)
                    if (server.isLocal) add("local")
                }}
                if (notes.isEmpty()) "- " + name else "- " + name + " (" + notes.joinToString(", ") + ")"
            }}
        }}
        return INSTRUCTIONS_TEMPLATE.replace(SERVERS_SLOT, list)
    }}

    private fun oneLine(text: String): String = text.split(WHITESPACE).filter {{ it.isNotEmpty() }}.joinToString(" ")

    private val WHITESPACE: Regex = Regex("(?U)\\s+")
}}
"#,
        no_servers = string_literal(NO_SERVERS_LINE)
    ));
    file.body = out;
    Ok(file)
}
