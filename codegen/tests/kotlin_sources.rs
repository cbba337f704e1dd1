//! The generated Kotlin sources, read back with tree-sitter's Kotlin grammar (no Kotlin compiler runs here):
//! every file parses without ERROR or MISSING nodes, and the `@SerialName` values of each class are exactly the
//! member names the schema document gives the def (read from the JSON, not from the IR the backend used).

use handoff_codegen::{Output, header, kotlin, realtime};
use handoff_schema::{Contract, Ir};
use serde_json::Value;
use tree_sitter::{Node, Parser, Tree};

fn parse(source: &str) -> Tree {
    let mut parser = Parser::new();
    parser.set_language(&tree_sitter_kotlin_ng::LANGUAGE.into()).expect("the Kotlin grammar matches tree-sitter's ABI");
    parser.parse(source, None).expect("a parser with a language always returns a tree")
}

/// Every ERROR and MISSING node, as `line:column: what`.
fn syntax_problems(source: &str) -> Vec<String> {
    let tree = parse(source);
    let mut problems = Vec::new();
    let mut pending = vec![tree.root_node()];
    while let Some(node) = pending.pop() {
        let at = format!("{}:{}", node.start_position().row + 1, node.start_position().column + 1);
        if node.is_missing() {
            problems.push(format!("{at}: MISSING {}", node.kind()));
        } else if node.is_error() {
            let snippet: String = source[node.byte_range()].chars().take(80).collect();
            problems.push(format!("{at}: ERROR at `{}`", snippet.replace('\n', "\\n")));
        }
        let mut cursor = node.walk();
        pending.extend(node.children(&mut cursor));
    }
    problems
}

fn generated() -> (Contract, Output) {
    let contract = Contract::canonical().expect("canonical schema lowers");
    let output = kotlin::generate(&contract.ir).expect("kotlin backend renders the IR");
    (contract, output)
}

fn source<'a>(output: &'a Output, file: &str) -> &'a str {
    let path = format!("{}/{}/{file}", kotlin::ROOT, kotlin::SOURCE_DIR);
    &output.files.iter().find(|f| f.path == path).unwrap_or_else(|| panic!("{path} not generated")).contents
}

fn text<'a>(node: Node, source: &'a str) -> &'a str {
    &source[node.byte_range()]
}

fn named_children<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

fn descendants<'t>(node: Node<'t>, kind: &str) -> Vec<Node<'t>> {
    let mut found = Vec::new();
    let mut pending = vec![node];
    while let Some(node) = pending.pop() {
        if node.kind() == kind {
            found.push(node);
        }
        pending.extend(named_children(node).into_iter().rev());
    }
    found
}

/// The argument of a `@SerialName("…")` annotation among `modifiers`, if there is one.
fn serial_name(modifiers: Node, source: &str) -> Option<String> {
    for annotation in descendants(modifiers, "annotation") {
        let Some(invocation) = named_children(annotation).into_iter().find(|n| n.kind() == "constructor_invocation")
        else {
            continue;
        };
        let annotation_type = named_children(invocation)[0];
        if text(annotation_type, source) != "SerialName" {
            continue;
        }
        let literal = descendants(invocation, "string_literal").into_iter().next().expect("SerialName has a string");
        // Kotlin escapes in the literal, read back: the generator escapes `"`, `\` and `$`.
        let raw = text(literal, source);
        let inner = &raw[1..raw.len() - 1];
        return Some(inner.replace("\\$", "$").replace("\\\"", "\"").replace("\\\\", "\\"));
    }
    None
}

/// `(class name, declared serial names in order)` of each class with a primary constructor or enum body.
fn serial_names_by_class(source: &str) -> Vec<(String, Vec<String>)> {
    let tree = parse(source);
    let mut classes = Vec::new();
    for class in descendants(tree.root_node(), "class_declaration") {
        let name = text(class.child_by_field_name("name").expect("class has a name"), source).to_owned();
        let mut names = Vec::new();
        for kind in ["class_parameter", "enum_entry"] {
            for member in descendants(class, kind) {
                if let Some(modifiers) = named_children(member).into_iter().find(|n| n.kind() == "modifiers") {
                    names.extend(serial_name(modifiers, source));
                }
            }
        }
        classes.push((name, names));
    }
    classes
}

#[test]
fn the_grammar_reports_broken_kotlin() {
    // A control: the check below would be empty if the grammar accepted anything.
    assert!(!syntax_problems("public data class A(\n    val x: Int,\n").is_empty());
    assert!(!syntax_problems("val s = \"unterminated\n").is_empty());
    assert!(syntax_problems("package a\n\npublic data class A(val x: Int)\n").is_empty());
}

#[test]
fn every_kotlin_file_parses_without_errors() {
    let (_, output) = generated();
    assert!(output.files.len() >= 4, "{:?}", output.files.iter().map(|f| &f.path).collect::<Vec<_>>());
    for file in &output.files {
        assert!(file.path.ends_with(".kt"), "{}", file.path);
        assert!(file.contents.starts_with(&header("//")), "{} lacks the header", file.path);
        assert!(file.contents.contains(&format!("\npackage {}\n", kotlin::PACKAGE)), "{}", file.path);
        let problems = syntax_problems(&file.contents);
        assert!(problems.is_empty(), "{}:\n{}", file.path, problems.join("\n"));
    }
}

#[test]
fn serial_names_are_the_schema_member_names() {
    let (contract, output) = generated();
    let defs = contract.document["$defs"].as_object().expect("$defs");
    let mut checked = 0;
    for file in &output.files {
        for (class, serial_names) in serial_names_by_class(&file.contents) {
            let Some(def) = defs.get(&class) else { continue };
            let Some(properties) = def.get("properties").and_then(Value::as_object) else { continue };
            let expected: Vec<&String> = properties.keys().collect();
            let actual: Vec<&String> = serial_names.iter().collect();
            assert_eq!(actual, expected, "{class} in {}", file.path);
            checked += 1;
        }
    }
    // Every object def with members is a data class.
    let with_members =
        defs.values().filter(|d| d.get("properties").and_then(Value::as_object).is_some_and(|p| !p.is_empty()));
    assert_eq!(checked, with_members.count());
}

#[test]
fn union_tags_and_enum_values_use_the_wire_values() {
    let (_, output) = generated();
    let items = source(&output, "HandoffItems.kt");
    // The tag enum of the handoff item and the tag the union dispatches on.
    let tags: Vec<(String, Vec<String>)> = serial_names_by_class(items);
    let tag_enum = tags.iter().find(|(name, _)| name == "RealtimeHandoffRequestedType").expect("tag enum");
    assert_eq!(tag_enum.1, ["handoff_request"]);
    assert!(items.contains("            \"handoff_request\" -> RealtimeHandoffRequested.serializer()\n"));
    assert!(items.contains("            else -> RealtimeOtherItem.serializer()\n"));
    assert!(items.contains("public data class RealtimeHandoffRequested(") && items.contains(") : RealtimeItem\n"));
    // The tag member is always written, though it has a default.
    assert!(items.contains(
        "@EncodeDefault @SerialName(\"type\") public val type: RealtimeHandoffRequestedType = RealtimeHandoffRequestedType.HANDOFF_REQUEST,"
    ));
    let turns = source(&output, "ThreadsAndTurns.kt");
    for (wire, case) in
        [("completed", "Completed"), ("interrupted", "Interrupted"), ("failed", "Failed"), ("inProgress", "InProgress")]
    {
        assert!(turns.contains(&format!("            \"{wire}\" -> {case}\n")), "{wire}");
    }
    assert!(turns.contains("            else -> Unknown(wire)\n"));
    // A closed union rejects an unknown tag rather than guessing.
    let dynamic = source(&output, "DynamicTools.kt");
    assert!(dynamic.contains(
        "else -> throw SerializationException(\"DynamicToolCallContentItem: unknown `type` value: \" + tag)"
    ));
}

#[test]
fn optional_members_default_to_null_and_thread_ids_are_checked() {
    let (_, output) = generated();
    let arguments = source(&output, "ToolArguments.kt");
    assert!(arguments.contains("    @SerialName(\"server\") public val server: String,\n"));
    assert!(arguments.contains("    @SerialName(\"thread_id\") public val threadId: ThreadId? = null,\n"));
    // Closed objects reject unknown members (no @JsonIgnoreUnknownKeys); open ones carry it.
    let codex = &arguments[arguments.find("public data class CodexToolArguments(").unwrap() - 40..];
    assert!(!codex[..60].contains("JsonIgnoreUnknownKeys"));
    let common = source(&output, "CommonTypes.kt");
    assert!(common.contains("@JvmInline\npublic value class ThreadId(public val value: String) {"));
    assert!(common.contains("require(length >= 1)") && common.contains("require(length <= 128)"));
    assert!(common.contains("require(THREAD_ID_PATTERN.matches(value))"));
    // No companion object: the serialization plugin puts `serializer()` there.
    assert!(!common.contains("companion object"));
    assert!(common.contains("private val THREAD_ID_PATTERN: Regex = Regex(\"^[A-Za-z0-9][A-Za-z0-9_.:-]*\\$\")"));
    let items = source(&output, "HandoffItems.kt");
    assert!(items.contains("@JsonIgnoreUnknownKeys\npublic data class RealtimeHandoffRequested("));
}

#[test]
fn untagged_variants_do_not_shadow_the_types_they_wrap() {
    let (_, output) = generated();
    let rpc = source(&output, "JsonRpc.kt");
    assert!(rpc.contains("    public data class StringValue(public val value: String) : RequestId\n"));
    assert!(rpc.contains("    public data class IntegerValue(public val value: Long) : RequestId\n"));
    // Tried in schema order: a JSON string is never read as an integer.
    let string = rpc.find("return RequestId.StringValue(it)").unwrap();
    assert!(string < rpc.find("return RequestId.IntegerValue(it)").unwrap());
}

#[test]
fn method_constants_cover_the_table() {
    let (contract, output) = generated();
    let methods = source(&output, "Methods.kt");
    for method in &contract.ir.methods {
        let quoted = serde_json::to_string(&method.name).unwrap();
        assert!(methods.contains(&format!(": String = {quoted}\n")), "{}", method.name);
    }
    assert!(methods.contains("    public const val THREAD_RESUME: String = \"thread/resume\"\n"));
    assert!(methods.contains(
        "        MethodInfo(THREAD_RESUME, MethodDirection.CLIENT_REQUEST, \"ThreadResumeParams\", \"ThreadResumeResponse\"),\n"
    ));
    assert_eq!(methods.matches("        MethodInfo(").count(), contract.ir.methods.len());
}

/// Reads a Kotlin raw string back: `${'$'}` and `${"\"\"\""}` are the generator's escapes.
fn raw_string_value(source: &str, declaration: &str) -> String {
    let start = source.find(declaration).unwrap_or_else(|| panic!("{declaration} missing")) + declaration.len();
    let rest = source[start..].strip_prefix("\"\"\"").expect("a raw string");
    let end = rest.find("\"\"\"\n").expect("raw string closes at the end of its line");
    rest[..end].replace("${\"\\\"\\\"\\\"\"}", "\"\"\"").replace("${'$'}", "$")
}

#[test]
fn realtime_constants_are_the_realtime_backend_text() {
    let (contract, output) = generated();
    let ir: &Ir = &contract.ir;
    let realtime_kt = source(&output, "Realtime.kt");
    assert_eq!(raw_string_value(realtime_kt, "public val TOOLS_JSON: String = "), realtime::tools_json(ir).unwrap());
    assert_eq!(
        raw_string_value(realtime_kt, "public val INSTRUCTIONS_TEMPLATE: String = "),
        realtime::instructions_template(ir).unwrap()
    );
    assert!(
        realtime_kt.contains("public val TOOL_ALIASES: Map<String, String> = mapOf(\"background_agent\" to \"codex\")")
    );
}

/// Simple names Kotlin resolves without an import (`kotlin.*`, `kotlin.collections.*`, `kotlin.text.*`,
/// `kotlin.jvm.*`), and `kotlin` itself as the root of a qualified name.
const IMPLICIT_TYPES: &[&str] = &[
    "Any",
    "Boolean",
    "Double",
    "HashMap",
    "IllegalArgumentException",
    "Int",
    "JvmInline",
    "List",
    "LinkedHashMap",
    "Long",
    "Map",
    "OptIn",
    "Regex",
    "Set",
    "String",
    "Throwable",
    "Unit",
    "kotlin",
];

/// Names the package declares at any level: classes, interfaces, objects, type aliases, type parameters.
fn declared_names(output: &Output) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    for file in &output.files {
        let tree = parse(&file.contents);
        // Type parameters (`<T>`) count too; the check is per package, not per scope, which is close enough here.
        for kind in ["class_declaration", "object_declaration", "type_alias", "type_parameter"] {
            for node in descendants(tree.root_node(), kind) {
                let name = node
                    .child_by_field_name("name")
                    .or_else(|| named_children(node).into_iter().find(|n| n.kind() == "identifier"))
                    .unwrap_or_else(|| panic!("{kind} without a name in {}", file.path));
                names.insert(text(name, &file.contents).to_owned());
            }
        }
    }
    names
}

#[test]
fn every_type_name_resolves_to_a_declaration_or_an_import() {
    // No Kotlin compiler here, so this stands in for its name resolution of types: a missing import or a
    // type the package never declares would otherwise only show up in an app's build.
    let (contract, output) = generated();
    let declared = declared_names(&output);
    for name in contract.ir.types.keys() {
        assert!(declared.contains(name), "{name} is not declared in any Kotlin file");
    }
    for file in &output.files {
        let source = &file.contents;
        let tree = parse(source);
        let imported: Vec<&str> = descendants(tree.root_node(), "import")
            .into_iter()
            .map(|import| text(import, source).trim_start_matches("import ").rsplit('.').next().unwrap().trim())
            .collect();
        let mut checked = 0;
        for user_type in descendants(tree.root_node(), "user_type") {
            let first = named_children(user_type).into_iter().find(|n| n.kind() == "identifier").expect("type name");
            let name = text(first, source);
            let known = declared.contains(name) || imported.contains(&name) || IMPLICIT_TYPES.contains(&name);
            assert!(
                known,
                "{}:{}: type `{name}` is neither declared nor imported",
                file.path,
                first.start_position().row + 1
            );
            checked += 1;
        }
        assert!(checked > 0, "{}: no type references found; the grammar's node names changed?", file.path);
    }
}

/// Functions Kotlin resolves without an import, and `add`, called on the receiver inside `buildList { }`.
const IMPLICIT_FUNCTIONS: &[&str] =
    &["add", "buildList", "listOf", "mapOf", "require", "runCatching", "setOf", "HashMap", "LinkedHashMap", "Regex"];

#[test]
fn every_bare_call_resolves_to_a_declaration_or_an_import() {
    // The expression side of the check above: `SerializationException(...)`, `buildSerialDescriptor(...)` and
    // `serializer<T>()` are imports the generator must not forget.
    let (_, output) = generated();
    let declared = declared_names(&output);
    let mut functions = std::collections::BTreeSet::new();
    for file in &output.files {
        let tree = parse(&file.contents);
        for function in descendants(tree.root_node(), "function_declaration") {
            let name = function.child_by_field_name("name").expect("function has a name");
            functions.insert(text(name, &file.contents).to_owned());
        }
    }
    let mut checked = 0;
    for file in &output.files {
        let source = &file.contents;
        let tree = parse(source);
        let imported: Vec<&str> = descendants(tree.root_node(), "import")
            .into_iter()
            .map(|import| text(import, source).trim_start_matches("import ").rsplit('.').next().unwrap().trim())
            .collect();
        for call in descendants(tree.root_node(), "call_expression") {
            let callee = named_children(call)[0];
            if callee.kind() != "identifier" {
                continue;
            }
            let name = text(callee, source);
            let known = declared.contains(name)
                || functions.contains(name)
                || imported.contains(&name)
                || IMPLICIT_FUNCTIONS.contains(&name);
            assert!(
                known,
                "{}:{}: call of `{name}`, neither declared nor imported",
                file.path,
                callee.start_position().row + 1
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} calls found; the grammar's node names changed?");
}

#[test]
fn the_tool_call_parser_takes_its_spellings_from_the_schema() {
    let (contract, output) = generated();
    let calls = source(&output, "ToolCalls.kt");
    for tool in &contract.ir.realtime_tools {
        for spelling in std::iter::once(&tool.name).chain(&tool.aliases) {
            assert!(calls.contains(&format!("\"{spelling}\"")), "{spelling} has no branch");
        }
        assert!(calls.contains(&format!("            {}.serializer(),\n", tool.arguments)), "{}", tool.name);
    }
    assert!(calls.contains("    \"codex\", \"background_agent\" -> ToolCall.Codex(\n"));
    // Legacy spellings of `server` from `x-aliases`; `thread_id` may be absent but not null.
    assert!(calls.contains("            mapOf(\"server_hint\" to \"server\", \"serverHint\" to \"server\"),\n"));
    assert!(calls.contains("            setOf(\"server\", \"prompt\", \"thread_id\"),\n"));
    assert!(calls.contains("            mapOf(\"server_id\" to \"server\"),\n"));
}

#[test]
fn output_is_deterministic() {
    let (contract, output) = generated();
    assert_eq!(kotlin::generate(&contract.ir).unwrap(), output);
}

#[test]
fn a_def_named_like_a_type_the_sources_use_is_refused() {
    let mut schema: Value = serde_json::from_str(handoff_schema::SCHEMA_JSON).unwrap();
    schema["$defs"]["Regex"] = serde_json::json!({ "description": "Shadows kotlin.text.Regex.", "type": "string" });
    let ir = Contract::from_value(schema).expect("schema lowers").ir;
    let error = kotlin::generate(&ir).expect_err("a def named Regex would break the value classes");
    assert!(error.to_string().contains("`Regex`"), "{error}");
}

#[test]
fn tool_call_error_kinds_are_the_fixture_verdict_names() {
    let (_, output) = generated();
    let calls = source(&output, "ToolCalls.kt");
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/realtime/tool_calls.json"))
            .expect("tool_calls.json"),
    )
    .unwrap();
    let verdicts: Vec<&str> =
        fixture["calls"].as_array().unwrap().iter().map(|c| c["expect"].as_str().unwrap()).collect();
    let mut kinds = Vec::new();
    for piece in calls.split("ToolCallException(").skip(1) {
        let rest = piece.trim_start();
        if let Some(rest) = rest.strip_prefix('"') {
            kinds.push(&rest[..rest.find('"').unwrap()]);
        }
    }
    assert!(kinds.len() >= 5, "{kinds:?}");
    for kind in kinds {
        assert!(
            kind == "invalid_arguments" || verdicts.contains(&kind),
            "`{kind}` is not a verdict of tool_calls.json"
        );
    }
}
