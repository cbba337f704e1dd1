//! IR → `ToolCalls.kt`: a parser of the voice model's function calls, with the checks, order and error kinds of
//! the Rust parser (`generated/rust/src/realtime.rs`). The model's `arguments` string is untrusted input: its
//! top-level members are read from the text in order, repeats included (a JSON object model keeps only the last),
//! each checked against a member table generated from the IR (unknown, given twice under any spelling, wrong JSON
//! type, broken constraint), then the required ones are looked for, and only then the arguments class decodes
//! the canonical object.

use handoff_schema::{Field, Ir, Primitive, TypeKind, TypeRef};

use super::KotlinFile;
use super::names::{case_name, constant, string_literal};
use crate::CodegenError;

pub(crate) fn tool_calls_file(ir: &Ir) -> Result<KotlinFile, CodegenError> {
    let mut file = KotlinFile::default();
    for import in [
        "kotlinx.serialization.KSerializer",
        "kotlinx.serialization.SerializationException",
        "kotlinx.serialization.builtins.serializer",
        "kotlinx.serialization.json.Json",
        "kotlinx.serialization.json.JsonArray",
        "kotlinx.serialization.json.JsonElement",
        "kotlinx.serialization.json.JsonNull",
        "kotlinx.serialization.json.JsonObject",
        "kotlinx.serialization.json.JsonPrimitive",
    ] {
        file.import(import);
    }
    let mut out = String::from(
        r#"
/**
 * Why a function call of the voice model was refused. [kind] is the Rust parser's error kind, the verdict names
 * of tests/fixtures/realtime/tool_calls.json: `unknown_tool`, `invalid_json`, `not_an_object`, `unknown_member`,
 * `duplicate_member`, `missing_member`, `wrong_type`, `invalid_value` (a value that breaks its type's
 * constraints) and `decode` (the members passed those checks but a nested value did not decode).
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
    let declared: Vec<&str> = ir.realtime_tools.iter().map(|t| t.name.as_str()).collect();
    out.push_str(
        "/**\n * Parses a `function_call` of the voice model: its `name` (a tool, offered or declared by the app-server such\n \
         * as `background_agent`, or an alias) and its `arguments` JSON string. Throws [ToolCallException] when the\n \
         * call is not valid.\n */\n",
    );
    out.push_str("public fun parseToolCall(name: String, argumentsJson: String): ToolCall = when (name) {\n");
    let mut tables = String::new();
    for tool in &ir.realtime_tools {
        let spellings: Vec<String> =
            std::iter::once(&tool.name).chain(&tool.aliases).map(|n| string_literal(n)).collect();
        let def = ir.type_def(&tool.arguments);
        let TypeKind::Struct(s) = &def.kind else {
            return Err(CodegenError::Unsupported {
                backend: "kotlin",
                type_name: def.name.clone(),
                pointer: def.pointer.clone(),
                reason: "the arguments of a realtime tool must be an object type".to_owned(),
            });
        };
        let table = format!("{}_MEMBERS", constant(&tool.name));
        tables.push_str(&format!("\nprivate val {table}: List<ArgumentMember> = listOf(\n"));
        for field in &s.fields {
            tables.push_str(&format!("    {},\n", member_entry(ir, field)?));
        }
        tables.push_str(")\n");
        out.push_str(&format!(
            "    {} -> ToolCall.{}(\n        decodeArguments({}, {table}, {}.serializer(), argumentsJson),\n    )\n",
            spellings.join(", "),
            case_name(&tool.name),
            string_literal(&tool.name),
            tool.arguments,
        ));
    }
    out.push_str(&format!(
        "    else -> throw ToolCallException(\n        \"unknown_tool\",\n        \"unknown realtime tool `\" + name + {},\n    )\n}}\n",
        string_literal(&format!("`; the contract declares {}", declared.join(", ")))
    ));
    out.push_str(&tables);
    out.push_str(SUPPORT);
    file.body = out;
    Ok(file)
}

/// `ArgumentMember(wire, aliases, required, nullable, kind) { check }` for one member of a tool's arguments.
fn member_entry(ir: &Ir, field: &Field) -> Result<String, CodegenError> {
    let aliases: Vec<String> = field.aliases.iter().map(|a| string_literal(a)).collect();
    let (kind, check) = kind_and_check(ir, field, &field.ty)?;
    let head = format!(
        "ArgumentMember({}, listOf({}), required = {}, nullable = {}, JsonKind.{kind})",
        string_literal(&field.wire_name),
        aliases.join(", "),
        field.presence.is_required(),
        field.presence.is_nullable(),
    );
    Ok(match check {
        Some(check) => format!("{head} {{ value -> {check} }}"),
        None => head,
    })
}

/// The JSON kind a member's type needs, and a Kotlin expression over `value` that throws
/// `IllegalArgumentException` when a value of that kind breaks the type's constraints. The generated value
/// class's own `init` is the check, so the two cannot disagree.
fn kind_and_check(ir: &Ir, field: &Field, ty: &TypeRef) -> Result<(&'static str, Option<String>), CodegenError> {
    Ok(match ty {
        TypeRef::String => ("STRING", None),
        TypeRef::Integer => ("INTEGER", None),
        TypeRef::Number => ("NUMBER", None),
        TypeRef::Boolean => ("BOOLEAN", None),
        TypeRef::Array(_) => ("ARRAY", None),
        TypeRef::Map(_) => ("OBJECT", None),
        TypeRef::Any => ("ANY", None),
        TypeRef::Named(name) => {
            let Some(def) = ir.types.get(name) else {
                return Err(CodegenError::Unsupported {
                    backend: "kotlin",
                    type_name: name.clone(),
                    pointer: field.pointer.clone(),
                    reason: "member type is not defined".to_owned(),
                });
            };
            match &def.kind {
                TypeKind::Newtype(n) => match n.base {
                    Primitive::String => ("STRING", Some(format!("{name}((value as JsonPrimitive).content)"))),
                    Primitive::Integer => {
                        ("INTEGER", Some(format!("{name}((value as JsonPrimitive).content.toLong())")))
                    }
                },
                TypeKind::StringEnum(e) => {
                    let values: Vec<String> = e.values.iter().map(|v| string_literal(&v.wire)).collect();
                    let listed: Vec<&str> = e.values.iter().map(|v| v.wire.as_str()).collect();
                    let reason =
                        string_literal(&format!(" is not a valid {name}: must be one of {}", listed.join(", ")));
                    (
                        "STRING",
                        Some(format!(
                            "require((value as JsonPrimitive).content in setOf({})) {{ value.toString() + {reason} }}",
                            values.join(", ")
                        )),
                    )
                }
                TypeKind::Alias(inner) => kind_and_check(ir, field, inner)?,
                TypeKind::Struct(_) => ("OBJECT", None),
                TypeKind::TaggedUnion(_) | TypeKind::UntaggedUnion(_) => ("ANY", None),
            }
        }
    })
}

/// The IR-independent part: the member table's types, the text scanner and the checks, in the Rust parser's order.
const SUPPORT: &str = r#"
/** The JSON type a member must have. */
private enum class JsonKind(val expected: String) {
    STRING("a string"),
    INTEGER("an integer"),
    NUMBER("a number"),
    BOOLEAN("a boolean"),
    ARRAY("an array"),
    OBJECT("an object"),
    ANY("any JSON value");

    fun matches(value: JsonElement): Boolean = when (this) {
        STRING -> value is JsonPrimitive && value.isString
        INTEGER -> value is JsonPrimitive && !value.isString && value !is JsonNull && value.content.toLongOrNull() != null
        NUMBER -> value is JsonPrimitive && !value.isString && value !is JsonNull && value.content.toDoubleOrNull() != null
        BOOLEAN -> value is JsonPrimitive && !value.isString && (value.content == "true" || value.content == "false")
        ARRAY -> value is JsonArray
        OBJECT -> value is JsonObject
        ANY -> true
    }
}

/** What a JSON value is, in the words of the error messages. */
private fun found(value: JsonElement): String = when {
    value is JsonNull -> "null"
    value is JsonObject -> "an object"
    value is JsonArray -> "an array"
    value is JsonPrimitive && value.isString -> "a string"
    value is JsonPrimitive && (value.content == "true" || value.content == "false") -> "a boolean"
    value is JsonPrimitive && value.content.toLongOrNull() != null -> "an integer"
    else -> "a number"
}

/** One member of a tool's arguments; [check] throws `IllegalArgumentException` for a value breaking its constraints. */
private class ArgumentMember(
    val wire: String,
    val aliases: List<String>,
    val required: Boolean,
    val nullable: Boolean,
    val kind: JsonKind,
    val check: ((JsonElement) -> Unit)? = null,
)

/** Closed objects: unknown members refused (the member table has refused them already). */
private val ARGUMENTS_JSON: Json = Json { ignoreUnknownKeys = false }

private fun <T> decodeArguments(
    tool: String,
    table: List<ArgumentMember>,
    serializer: KSerializer<T>,
    argumentsJson: String,
): T {
    val element = try {
        ARGUMENTS_JSON.parseToJsonElement(argumentsJson)
    } catch (error: SerializationException) {
        throw ToolCallException("invalid_json", "`" + tool + "` arguments are not valid JSON: " + error.message, error)
    }
    if (element !is JsonObject) {
        throw ToolCallException("not_an_object", "`" + tool + "` arguments must be a JSON object, found " + found(element))
    }
    val seen = arrayOfNulls<String>(table.size)
    val canonical = LinkedHashMap<String, JsonElement>()
    for ((key, value) in membersInOrder(argumentsJson)) {
        val index = table.indexOfFirst { it.wire == key || key in it.aliases }
        if (index < 0) throw ToolCallException("unknown_member", "`" + tool + "` arguments: unknown member `" + key + "`")
        val member = table[index]
        val first = seen[index]
        if (first != null) {
            val spelled = if (first == key) "" else ", as `" + first + "` and as `" + key + "`"
            throw ToolCallException(
                "duplicate_member",
                "`" + tool + "` arguments: member `" + member.wire + "` is given twice" + spelled,
            )
        }
        if (!(value is JsonNull && member.nullable)) {
            if (!member.kind.matches(value)) {
                throw ToolCallException(
                    "wrong_type",
                    "`" + tool + "` arguments: member `" + member.wire + "` must be " + member.kind.expected +
                        ", found " + found(value),
                )
            }
            try {
                member.check?.invoke(value)
            } catch (error: IllegalArgumentException) {
                throw ToolCallException(
                    "invalid_value",
                    "`" + tool + "` arguments: member `" + member.wire + "`: " + error.message,
                    error,
                )
            }
        }
        seen[index] = key
        canonical[member.wire] = value
    }
    val missing = table.indices.firstOrNull { table[it].required && seen[it] == null }
    if (missing != null) {
        throw ToolCallException(
            "missing_member",
            "`" + tool + "` arguments: missing required member `" + table[missing].wire + "`",
        )
    }
    return try {
        ARGUMENTS_JSON.decodeFromJsonElement(serializer, JsonObject(canonical))
    } catch (error: IllegalArgumentException) {
        // SerializationException is an IllegalArgumentException, and so is a failed `require` of a value class.
        throw ToolCallException("decode", "`" + tool + "` arguments: " + error.message, error)
    }
}

/**
 * The members of the JSON object [text] (already known to be valid JSON) in text order, repeats kept: the
 * object model of kotlinx keeps only the last of two equal names, which would hide a repeated member.
 */
private fun membersInOrder(text: String): List<Pair<String, JsonElement>> {
    val members = ArrayList<Pair<String, JsonElement>>()
    var at = skipSpace(text, 0) + 1 // past `{`
    while (true) {
        at = skipSpace(text, at)
        if (text[at] == '}') return members
        if (text[at] == ',') at = skipSpace(text, at + 1)
        val keyEnd = endOfString(text, at)
        val key = ARGUMENTS_JSON.decodeFromString(String.serializer(), text.substring(at, keyEnd))
        at = skipSpace(text, keyEnd) + 1 // past `:`
        val valueStart = skipSpace(text, at)
        val valueEnd = endOfValue(text, valueStart)
        members.add(key to ARGUMENTS_JSON.parseToJsonElement(text.substring(valueStart, valueEnd)))
        at = valueEnd
    }
}

private fun skipSpace(text: String, from: Int): Int {
    var at = from
    while (at < text.length && text[at] in " \t\r\n") at++
    return at
}

/** The index just past the string literal starting at [start] (a `"`). */
private fun endOfString(text: String, start: Int): Int {
    var at = start + 1
    while (text[at] != '"') at += if (text[at] == '\\') 2 else 1
    return at + 1
}

/** The index just past the JSON value starting at [start]. */
private fun endOfValue(text: String, start: Int): Int {
    var depth = 0
    var at = start
    while (at < text.length) {
        when (text[at]) {
            '"' -> {
                at = endOfString(text, at)
                if (depth == 0) return at
                continue
            }
            '{', '[' -> depth++
            '}', ']' -> {
                if (depth == 0) return at
                depth--
                if (depth == 0) return at + 1
            }
            ',' -> if (depth == 0) return at
            ' ', '\t', '\r', '\n' -> if (depth == 0) return at
        }
        at++
    }
    return at
}
"#;
