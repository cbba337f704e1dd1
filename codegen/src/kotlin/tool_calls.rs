//! IR → `ToolCalls.kt`: a parser of the voice model's function calls. The model's `arguments` string is
//! untrusted input; the parser renames legacy member spellings (`server_hint`, `serverHint` → `server`) from the
//! IR's aliases, refuses two spellings of one member and `null` for a member that is not nullable (kotlinx would
//! read it as "absent"), then decodes with the generated classes, whose value classes check the `ThreadId`
//! pattern and length and the other constraints.

use handoff_schema::{Ir, TypeKind};

use super::KotlinFile;
use super::names::{case_name, string_literal};

pub(crate) fn tool_calls_file(ir: &Ir) -> KotlinFile {
    let mut file = KotlinFile::default();
    for import in [
        "kotlinx.serialization.KSerializer",
        "kotlinx.serialization.SerializationException",
        "kotlinx.serialization.json.Json",
        "kotlinx.serialization.json.JsonElement",
        "kotlinx.serialization.json.JsonNull",
        "kotlinx.serialization.json.JsonObject",
    ] {
        file.import(import);
    }
    let mut out = String::from(
        r#"
/**
 * Why a function call of the voice model was refused. [kind] is one of `unknown_tool`, `invalid_json`,
 * `not_an_object`, `duplicate_member`, `wrong_type` (null for a member that may only be absent) and
 * `invalid_arguments` (missing, unknown or mistyped members, or a value that breaks its type's constraints). The
 * kinds other than `invalid_arguments` are the verdict names of tests/fixtures/realtime/tool_calls.json.
 */
public class ToolCallException(public val kind: String, message: String, cause: Throwable? = null) :
    IllegalArgumentException(message, cause)

/** A parsed function call of the voice model, under the tool's canonical name. */
public sealed interface ToolCall {
    /** The canonical tool name. */
    public val name: String
"#,
    );
    for tool in &ir.realtime_tools {
        out.push_str(&format!(
            "\n    public data class {}(public val arguments: {}) : ToolCall {{\n        override val name: String get() = {}\n    }}\n",
            case_name(&tool.name),
            tool.arguments,
            string_literal(&tool.name)
        ));
    }
    out.push_str("}\n\n");
    out.push_str(
        "/**\n * Parses a `function_call` of the voice model: its `name` (a tool, or an alias such as `background_agent`\n \
         * for `codex`) and its `arguments` JSON string. Throws [ToolCallException] when the call is not valid.\n */\n",
    );
    out.push_str("public fun parseToolCall(name: String, argumentsJson: String): ToolCall = when (name) {\n");
    for tool in &ir.realtime_tools {
        let spellings: Vec<String> =
            std::iter::once(&tool.name).chain(&tool.aliases).map(|n| string_literal(n)).collect();
        let def = ir.type_def(&tool.arguments);
        let TypeKind::Struct(s) = &def.kind else { continue };
        let aliases: Vec<String> = s
            .fields
            .iter()
            .flat_map(|f| {
                f.aliases.iter().map(move |a| format!("{} to {}", string_literal(a), string_literal(&f.wire_name)))
            })
            .collect();
        let not_null: Vec<String> =
            s.fields.iter().filter(|f| !f.presence.is_nullable()).map(|f| string_literal(&f.wire_name)).collect();
        out.push_str(&format!(
            "    {} -> ToolCall.{}(\n        decodeArguments(\n            {},\n            {}.serializer(),\n            \
             mapOf({}),\n            setOf({}),\n            argumentsJson,\n        ),\n    )\n",
            spellings.join(", "),
            case_name(&tool.name),
            string_literal(&tool.name),
            tool.arguments,
            aliases.join(", "),
            not_null.join(", ")
        ));
    }
    out.push_str(
        r#"    else -> throw ToolCallException("unknown_tool", "unknown tool `" + name + "`")
}

/** Object members, unknown ones refused: tool arguments are closed objects. */
private val ARGUMENTS_JSON: Json = Json { ignoreUnknownKeys = false }

private fun <T> decodeArguments(
    tool: String,
    serializer: KSerializer<T>,
    aliases: Map<String, String>,
    notNull: Set<String>,
    argumentsJson: String,
): T {
    val element = try {
        ARGUMENTS_JSON.parseToJsonElement(argumentsJson)
    } catch (error: SerializationException) {
        throw ToolCallException("invalid_json", "`" + tool + "` arguments are not valid JSON: " + error.message, error)
    }
    val members = element as? JsonObject
        ?: throw ToolCallException("not_an_object", "`" + tool + "` arguments must be a JSON object")
    val canonical = LinkedHashMap<String, JsonElement>()
    val spelledAs = HashMap<String, String>()
    for ((key, value) in members) {
        val wire = aliases[key] ?: key
        val first = spelledAs.put(wire, key)
        if (first != null) {
            throw ToolCallException(
                "duplicate_member",
                "`" + tool + "` arguments: member `" + wire + "` is given twice, as `" + first + "` and as `" + key + "`",
            )
        }
        if (value is JsonNull && wire in notNull) {
            throw ToolCallException("wrong_type", "`" + tool + "` arguments: member `" + wire + "` must not be null")
        }
        canonical[wire] = value
    }
    return try {
        ARGUMENTS_JSON.decodeFromJsonElement(serializer, JsonObject(canonical))
    } catch (error: IllegalArgumentException) {
        // SerializationException is an IllegalArgumentException, and so is a failed `require` of a value class.
        throw ToolCallException("invalid_arguments", "`" + tool + "` arguments: " + error.message, error)
    }
}
"#,
    );
    file.body = out;
    file
}
