//! IR → `src/test/kotlin/.../ContractTest.kt`: the JUnit tests `mvn -B test` runs. The IR gives the parts that
//! depend on the contract (a serializer per def, the open objects and enums, the members that may be absent but
//! not null, the `ThreadId` limits); the cases come from the repository's shared fixtures, read when the tests run
//! (`tests/fixtures/messages`, `tests/fixtures/realtime/tool_calls.json`, `generated/realtime`), so the
//! expectations are never the Kotlin code's own output. With `CONTRACT_VERDICTS_DIR` set the tests also write
//! every verdict to `<dir>/kotlin.jsonl`, for `cargo xtask verdicts`.

use handoff_schema::{EnumOrigin, Ir, Presence, Primitive, TypeKind};

use super::KotlinFile;
use super::names::string_literal;
use super::types::{accepts_null, enum_is_open, unknown_case};

pub(crate) const TEST_DIR: &str = "src/test/kotlin/dev/codex/handoff/contract";

pub(crate) fn contract_test_file(ir: &Ir) -> KotlinFile {
    let mut file = KotlinFile::default();
    for import in [
        "java.io.File",
        "kotlin.test.AfterTest",
        "kotlin.test.Test",
        "kotlin.test.assertEquals",
        "kotlin.test.assertFailsWith",
        "kotlin.test.assertTrue",
        "org.junit.jupiter.api.BeforeAll",
        "kotlinx.serialization.KSerializer",
        "kotlinx.serialization.json.Json",
        "kotlinx.serialization.json.JsonArray",
        "kotlinx.serialization.json.JsonElement",
        "kotlinx.serialization.json.JsonNull",
        "kotlinx.serialization.json.JsonObject",
        "kotlinx.serialization.json.JsonPrimitive",
        "kotlinx.serialization.json.jsonArray",
        "kotlinx.serialization.json.jsonObject",
        "kotlinx.serialization.json.jsonPrimitive",
        "kotlinx.serialization.serializer",
    ] {
        file.import(import);
    }
    let mut out = String::from(
        "\n/** Every type's serializer, by its schema name. */\nprivate val SERIALIZERS: Map<String, KSerializer<*>> = mapOf(\n",
    );
    for def in ir.types.values() {
        out.push_str(&format!("    {} to serializer<{}>(),\n", string_literal(&def.name), def.name));
    }
    out.push_str(
        ")\n\n/** Object types that keep unknown members. */\nprivate val OPEN_OBJECTS: Set<String> = setOf(\n",
    );
    for def in ir.types.values() {
        if matches!(&def.kind, TypeKind::Struct(s) if !s.closed) {
            out.push_str(&format!("    {},\n", string_literal(&def.name)));
        }
    }
    out.push_str(")\n\n/** Per object type, the members that may be absent but never null (members of any JSON value may be null). */\nprivate val NOT_NULL_MEMBERS: Map<String, List<String>> = mapOf(\n");
    for def in ir.types.values() {
        let TypeKind::Struct(s) = &def.kind else { continue };
        let members: Vec<String> = s
            .fields
            .iter()
            .filter(|f| f.presence == Presence::Optional && !accepts_null(ir, &f.ty))
            .map(|f| string_literal(&f.wire_name))
            .collect();
        if !members.is_empty() {
            out.push_str(&format!("    {} to listOf({}),\n", string_literal(&def.name), members.join(", ")));
        }
    }
    out.push_str(")\n\n/** Per open string enum, the value a newer server might send and how it must decode. */\n");
    out.push_str("private val UNKNOWN_ENUM_VALUES: List<Pair<String, Any>> = listOf(\n");
    let mut closed = Vec::new();
    for def in ir.types.values() {
        let TypeKind::StringEnum(e) = &def.kind else { continue };
        if e.origin == EnumOrigin::Const {
            continue;
        }
        if enum_is_open(def, e) {
            out.push_str(&format!(
                "    {} to {}.{}(NEWER_VALUE),\n",
                string_literal(&def.name),
                def.name,
                unknown_case(e)
            ));
        } else {
            closed.push(string_literal(&def.name));
        }
    }
    out.push_str(")\n\n/** The string enums that refuse a value they do not list. */\n");
    // Defs whose values may hold an open enum: an `invalid` fixture of one (the schema lists every value) may be
    // accepted unchanged, an open enum keeping an unlisted value (the leniency the Rust messages test allows too).
    let lenient: Vec<String> =
        ir.types.values().filter(|d| reaches_open_enum(ir, &d.name)).map(|d| string_literal(&d.name)).collect();
    out.push_str(&format!("private val CLOSED_ENUMS: List<String> = listOf({})\n", closed.join(", ")));
    out.push_str("\n/** The types whose values may hold an open enum (see `everyMessageFixtureGetsItsVerdict`). */\n");
    out.push_str(&format!("private val OPEN_ENUM_HOLDERS: Set<String> = setOf({})\n", lenient.join(", ")));
    out.push_str(BODY);
    if let Some(def) = ir.types.get("ThreadId")
        && let TypeKind::Newtype(n) = &def.kind
        && n.base == Primitive::String
        && let (Some(min), Some(max)) = (n.constraints.min_length, n.constraints.max_length)
    {
        out.push_str(&format!(
            r#"
    @Test
    fun threadIdLengthLimits() {{
        // The schema's limits: {min} to {max} characters (code points), checked by the constructor and on decode.
        assertEquals("a".repeat({max}), ThreadId("a".repeat({max})).value)
        assertEquals("a".repeat({min}), ThreadId("a".repeat({min})).value)
        assertFailsWith<IllegalArgumentException> {{ ThreadId("a".repeat({max} + 1)) }}
        if ({min} > 0) assertFailsWith<IllegalArgumentException> {{ ThreadId("a".repeat({min} - 1)) }}
        assertFailsWith<IllegalArgumentException> {{ Json.decodeFromString(ThreadId.serializer(), "\"" + "a".repeat({max} + 1) + "\"") }}
        assertEquals(ThreadId("a".repeat({max})), Json.decodeFromString(ThreadId.serializer(), "\"" + "a".repeat({max}) + "\""))
        // Letters outside the pattern's ASCII set are refused even though they are letters.
        assertFailsWith<IllegalArgumentException> {{ ThreadId("thr\u00e9") }}
    }}
"#
        ));
    }
    out.push_str("}\n");
    file.body = out;
    file
}

/// Whether a value of `name` may hold a value of an open enum (the def itself or anything it refers to).
fn reaches_open_enum(ir: &Ir, name: &str) -> bool {
    let mut seen = std::collections::BTreeSet::new();
    let mut pending = vec![name];
    while let Some(next) = pending.pop() {
        if !seen.insert(next) {
            continue;
        }
        let Some(def) = ir.types.get(next) else { continue };
        if matches!(&def.kind, TypeKind::StringEnum(e) if e.origin != EnumOrigin::Const && enum_is_open(def, e)) {
            return true;
        }
        pending.extend(def.kind.references());
    }
    false
}

/// The IR-independent tests, inside `class ContractTest`.
const BODY: &str = r#"
private val REPOSITORY: File = File(
    System.getProperty("contract.repository")
        ?: error("set the system property contract.repository to the repository checkout (pom.xml does)"),
)

/** An enum value no contract version lists. */
private const val NEWER_VALUE: String = "zz_value_from_a_newer_server"

/** Compact JSON with object keys sorted: the form verdicts and comparisons use. */
private fun canonical(element: JsonElement): String = when (element) {
    is JsonObject -> element.entries.sortedBy { it.key }
        .joinToString(",", "{", "}") { JsonPrimitive(it.key).toString() + ":" + canonical(it.value) }
    is JsonArray -> element.joinToString(",", "[", "]") { canonical(it) }
    else -> element.toString()
}

/** What one decode and re-encode gave: the written JSON, or the reason it was refused. */
private class Outcome(val written: JsonElement?, val error: String?)

@Suppress("UNCHECKED_CAST")
private fun roundTrip(def: String, value: JsonElement): Outcome {
    val serializer = SERIALIZERS[def] as? KSerializer<Any?> ?: error("no Kotlin type for the def " + def)
    return try {
        Outcome(Json.encodeToJsonElement(serializer, Json.decodeFromJsonElement(serializer, value)), null)
    } catch (refused: IllegalArgumentException) {
        // SerializationException is an IllegalArgumentException, and so is a failed `require` of a value class.
        Outcome(null, refused.message ?: refused.toString())
    }
}

private fun readJson(file: File): JsonElement {
    assertTrue(file.isFile, "missing " + file.path)
    return Json.parseToJsonElement(file.readText())
}

/** The message fixture files, by def name, in name order. */
private fun messageFixtures(): List<Pair<String, JsonObject>> {
    val dir = REPOSITORY.resolve("tests/fixtures/messages")
    val files = dir.listFiles { file -> file.name.endsWith(".json") }?.sortedBy { it.name }.orEmpty()
    assertTrue(files.isNotEmpty(), "no message fixtures in " + dir.path)
    return files.map { it.name.removeSuffix(".json") to readJson(it).jsonObject }
}

private fun JsonObject.cases(section: String): List<JsonObject> = (this[section] as? JsonArray).orEmpty().map { it.jsonObject }

private fun JsonObject.text(name: String): String = getValue(name).jsonPrimitive.content

public class ContractTest {
    public companion object {
        /** A fresh `kotlin.jsonl` per run: each test appends its own verdicts after it ran. */
        @JvmStatic
        @BeforeAll
        public fun startVerdicts() {
            val dir = System.getenv("CONTRACT_VERDICTS_DIR")
            if (!dir.isNullOrEmpty()) File(dir, "kotlin.jsonl").delete()
        }
    }

    private val verdicts = ArrayList<String>()

    /** With CONTRACT_VERDICTS_DIR set, each test adds its verdicts to `<dir>/kotlin.jsonl` (see INTERFACES.md). */
    @AfterTest
    fun writeVerdicts() {
        val dir = System.getenv("CONTRACT_VERDICTS_DIR")
        if (dir.isNullOrEmpty() || verdicts.isEmpty()) return
        File(dir).mkdirs()
        File(dir, "kotlin.jsonl").appendText(verdicts.joinToString("") { it + "\n" })
    }

    @Test
    fun everyMessageFixtureGetsItsVerdict() {
        val failures = ArrayList<String>()
        var count = 0
        for ((def, fixtures) in messageFixtures()) {
            for (section in listOf("valid", "aliased", "invalid")) {
                for (case in fixtures.cases(section)) {
                    count++
                    val name = case.text("case")
                    val outcome = roundTrip(def, case.getValue("value"))
                    val written = outcome.written
                    verdicts.add(
                        canonical(
                            JsonObject(
                                mapOf(
                                    "suite" to JsonPrimitive("messages"),
                                    "def" to JsonPrimitive(def),
                                    "section" to JsonPrimitive(section),
                                    "case" to JsonPrimitive(name),
                                    "accepted" to JsonPrimitive(written != null),
                                    "canonical" to (written ?: JsonNull),
                                ),
                            ),
                        ),
                    )
                    val label = "$def / $section / $name"
                    if (section == "invalid") {
                        // The schema lists every enum value; an open enum keeps an unlisted one, unchanged.
                        val keptUnchanged = def in OPEN_ENUM_HOLDERS && written != null &&
                            canonical(written) == canonical(case.getValue("value"))
                        if (written != null && !keptUnchanged) failures.add(label + ": accepted, writing " + canonical(written))
                        continue
                    }
                    val expected = case["canonical"] ?: case.getValue("value")
                    when {
                        written == null -> failures.add(label + ": refused: " + outcome.error)
                        canonical(written) != canonical(expected) ->
                            failures.add(label + ": wrote " + canonical(written) + ", expected " + canonical(expected))
                    }
                }
            }
        }
        assertTrue(count > 0, "no message fixture cases")
        assertTrue(failures.isEmpty(), failures.size.toString() + " failure(s):\n" + failures.joinToString("\n"))
    }

    @Test
    fun everyToolCallGetsItsVerdict() {
        val calls = readJson(REPOSITORY.resolve("tests/fixtures/realtime/tool_calls.json")).jsonObject.getValue("calls").jsonArray
        assertTrue(calls.isNotEmpty(), "no tool calls")
        val failures = ArrayList<String>()
        calls.forEachIndexed { index, element ->
            val call = element.jsonObject
            val (name, arguments, expect) = listOf(call.text("name"), call.text("arguments"), call.text("expect"))
            val (tool, kind) = try {
                parseToolCall(name, arguments).name to null
            } catch (refused: ToolCallException) {
                null to refused.kind
            }
            verdicts.add(
                canonical(
                    JsonObject(
                        mapOf(
                            "suite" to JsonPrimitive("tool_calls"),
                            "case" to JsonPrimitive(index.toString()),
                            "accepted" to JsonPrimitive(tool != null),
                            "tool" to JsonPrimitive(tool),
                            "error_kind" to JsonPrimitive(kind),
                        ),
                    ),
                ),
            )
            val label = "call $index: $name $arguments"
            if (expect == "ok") {
                if (tool != call.text("tool")) failures.add(label + ": expected tool " + call.text("tool") + ", got " + (tool ?: "error " + kind))
            } else if (kind != expect) {
                failures.add(label + ": expected " + expect + ", got " + (kind ?: "tool " + tool))
            }
        }
        assertTrue(failures.isEmpty(), failures.size.toString() + " failure(s):\n" + failures.joinToString("\n"))
    }

    @Test
    fun unknownMembersOfOpenObjectsSurviveARoundTrip() {
        val extra = Json.parseToJsonElement("""{"nested":[1,"two",null,{"deep":true}]}""")
        var count = 0
        for ((def, fixtures) in messageFixtures()) {
            if (def !in OPEN_OBJECTS) continue
            for (case in fixtures.cases("valid")) {
                val value = case.getValue("value") as? JsonObject ?: continue
                val expected = (case["canonical"] ?: value).jsonObject
                val written = roundTrip(def, JsonObject(value + ("zz_member_from_a_newer_server" to extra))).written
                assertEquals(
                    canonical(JsonObject(expected + ("zz_member_from_a_newer_server" to extra))),
                    written?.let(::canonical),
                    def + " / " + case.text("case"),
                )
                count++
            }
        }
        assertTrue(count > 0, "no open object fixture")
    }

    @Test
    fun nullForAMemberThatMayOnlyBeAbsentIsRefused() {
        var count = 0
        for ((def, fixtures) in messageFixtures()) {
            val members = NOT_NULL_MEMBERS[def] ?: continue
            for (case in fixtures.cases("valid")) {
                val value = case.getValue("value") as? JsonObject ?: continue
                for (member in members) {
                    val outcome = roundTrip(def, JsonObject(value + (member to JsonNull)))
                    assertEquals(null, outcome.written, "$def / ${case.text("case")}: $member: null was accepted")
                    count++
                }
            }
        }
        assertTrue(count > 0, "no fixture of a type with a member that may only be absent")
    }

    @Test
    fun unknownEnumValuesSurviveARoundTripInOpenEnumsOnly() {
        assertTrue(UNKNOWN_ENUM_VALUES.size + CLOSED_ENUMS.size > 0, "no string enum")
        for ((def, expected) in UNKNOWN_ENUM_VALUES) {
            val outcome = roundTrip(def, JsonPrimitive(NEWER_VALUE))
            assertEquals(JsonPrimitive(NEWER_VALUE), outcome.written, def + ": " + outcome.error)
            @Suppress("UNCHECKED_CAST")
            val serializer = SERIALIZERS.getValue(def) as KSerializer<Any?>
            assertEquals(expected, Json.decodeFromJsonElement(serializer, JsonPrimitive(NEWER_VALUE)), def)
        }
        for (def in CLOSED_ENUMS) {
            assertEquals(null, roundTrip(def, JsonPrimitive(NEWER_VALUE)).written, def + " accepted " + NEWER_VALUE)
        }
    }

    @Test
    fun realtimeConstantsAreTheGeneratedRealtimeFiles() {
        assertEquals(readJson(REPOSITORY.resolve("generated/realtime/tools.json")), Json.parseToJsonElement(Realtime.TOOLS_JSON))
        val markdown = REPOSITORY.resolve("generated/realtime/instructions.md").readText()
        // instructions.md is an HTML-comment header, a blank line, then the template.
        assertEquals(markdown.substringAfter("-->\n\n"), Realtime.INSTRUCTIONS_TEMPLATE)
        val text = Realtime.renderInstructions(
            listOf(ServerInfo("big pc", "srv-1", isLocal = true), ServerInfo("laptop", "laptop"), ServerInfo("evil\n## x", "y")),
        )
        assertTrue(text.contains("- big pc (id: srv-1, local)\n- laptop\n- evil ## x (id: y)\n"), text)
    }

    @Test
    fun serialNamesAreTheSchemaMemberNames() {
        // Read from the schema document itself, not from the IR the generator used.
        val defs = readJson(REPOSITORY.resolve("schema/protocol.schema.json")).jsonObject.getValue("\$defs").jsonObject
        var count = 0
        for ((def, schema) in defs) {
            val properties = (schema as? JsonObject)?.get("properties") as? JsonObject ?: continue
            val descriptor = SERIALIZERS[def]?.descriptor ?: error("no Kotlin type for the def " + def)
            val names = (0 until descriptor.elementsCount).map { descriptor.getElementName(it) }
            assertEquals(properties.keys.toList(), names, def)
            count++
        }
        assertTrue(count > 0, "no object def in the schema")
    }

    @Test
    fun methodTableIsSortedAndComplete() {
        assertEquals(Methods.ALL.map { it.name }.sorted(), Methods.ALL.map { it.name })
        assertEquals(Methods.ALL.size, Methods.ALL.map { it.name }.toSet().size)
        for (info in Methods.ALL) {
            for (type in listOfNotNull(info.params, info.result)) assertTrue(type in SERIALIZERS, info.name + ": " + type)
        }
    }
"#;
