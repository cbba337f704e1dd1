//! Structure of the generated TypeScript package. The compiler check (`tsc --strict`) and the runtime check of
//! the guards against the message fixtures run in `.ci/run` (tests/typescript/guards.test.mjs); these tests
//! pin what a reader of the schema expects to find, without a node toolchain.

use handoff_codegen::{Output, header, realtime, typescript};
use handoff_schema::{Contract, Ir};
use heck::ToShoutySnakeCase;
use serde_json::{Value, json};

fn canonical_ir() -> Ir {
    Contract::canonical().expect("canonical schema lowers").ir
}

fn generate(ir: &Ir) -> Output {
    typescript::generate(ir).expect("typescript backend renders the IR")
}

fn file<'a>(output: &'a Output, relative: &str) -> &'a str {
    let path = format!("{}/{relative}", typescript::ROOT);
    let found = output.files.iter().find(|f| f.path == path);
    &found.unwrap_or_else(|| panic!("{path} is not generated")).contents
}

/// `(path, contents)` of every `src/*.ts` file.
fn sources(output: &Output) -> Vec<(&str, &str)> {
    output.files.iter().filter(|f| f.path.ends_with(".ts")).map(|f| (f.path.as_str(), f.contents.as_str())).collect()
}

/// Files that declare `name` as an exported type.
fn declaring_files<'a>(output: &'a Output, name: &str) -> Vec<&'a str> {
    let interface = format!("export interface {name} {{");
    let alias = format!("export type {name} =");
    sources(output)
        .into_iter()
        .filter(|(_, text)| text.lines().any(|line| line.starts_with(&interface) || line.starts_with(&alias)))
        .map(|(path, _)| path)
        .collect()
}

/// The lines of one interface's body.
fn interface_body<'a>(output: &'a Output, name: &str) -> Vec<&'a str> {
    let opening = format!("export interface {name} {{");
    for (_, text) in sources(output) {
        if let Some(start) = text.find(&opening) {
            let body = &text[start + opening.len()..];
            let end = body.find("\n}\n").expect("interface closes");
            // The text after the opening brace is the rest of its line: skip it.
            return body[..end].lines().skip(1).collect();
        }
    }
    panic!("interface {name} not found")
}

#[test]
fn every_def_is_declared_exactly_once() {
    let ir = canonical_ir();
    let output = generate(&ir);
    for name in ir.types.keys() {
        assert_eq!(declaring_files(&output, name).len(), 1, "{name}: {:?}", declaring_files(&output, name));
    }
}

#[test]
fn optional_and_nullable_members_stay_apart() {
    let output = generate(&canonical_ir());
    let codex = interface_body(&output, "CodexToolArguments");
    assert!(codex.contains(&"  server: string;"), "{codex:?}");
    assert!(codex.contains(&"  prompt: string;"));
    // Optional but never null: `thread_id: null` is invalid per the schema.
    assert!(codex.contains(&"  thread_id?: ThreadId;"));
    let dynamic = interface_body(&output, "DynamicToolCallParams");
    assert!(dynamic.contains(&"  namespace?: string | null;"), "{dynamic:?}");
}

#[test]
fn all_four_presence_states_render_distinctly() {
    let mut schema: Value = serde_json::from_str(handoff_schema::SCHEMA_JSON).unwrap();
    schema["$defs"]["PresenceProbe"] = json!({
        "description": "Probe of the four member states.",
        "type": "object",
        "properties": {
            "required": { "description": "r", "type": "string" },
            "optional": { "description": "o", "type": "string" },
            "required_nullable": { "description": "rn", "type": ["string", "null"] },
            "optional_nullable": { "description": "on", "type": ["integer", "null"] },
            "odd-name": { "description": "a wire name that is not an identifier", "type": "boolean" }
        },
        "required": ["required", "required_nullable"],
        "additionalProperties": false
    });
    let ir = Contract::from_value(schema).expect("probe schema lowers").ir;
    let output = generate(&ir);
    let body = interface_body(&output, "PresenceProbe");
    let members: Vec<&str> =
        body.iter().copied().filter(|l| !l.trim_start().starts_with('/') && !l.trim_start().starts_with('*')).collect();
    assert_eq!(
        members,
        [
            "  required: string;",
            "  optional?: string;",
            "  required_nullable: string | null;",
            "  optional_nullable?: number | null;",
            "  \"odd-name\"?: boolean;",
        ]
    );
    let guards = file(&output, "src/guards.ts");
    assert!(guards.contains(
        "{ wire: \"required_nullable\", value: { kind: \"string\" }, required: true, nullable: true, aliases: [] }"
    ));
    assert!(guards.contains(
        "{ wire: \"optional\", value: { kind: \"string\" }, required: false, nullable: false, aliases: [] }"
    ));
}

#[test]
fn enums_and_unions_become_literal_and_discriminated_unions() {
    let output = generate(&canonical_ir());
    let all: String = sources(&output).into_iter().map(|(_, text)| text).collect();
    assert!(all.contains(
        "export type TurnStatus = \"completed\" | \"interrupted\" | \"failed\" | \"inProgress\" | (string & {});\n"
    ));
    // Open union: the fallback member stays.
    assert!(all.contains("export type RealtimeItem = RealtimeHandoffRequested | RealtimeOtherItem;\n"));
    assert!(all.contains("export type UserInput = TextUserInput | OtherUserInput;\n"));
    // Closed union: no fallback.
    assert!(all.contains("export type DynamicToolCallContentItem = InputTextContentItem | InputImageContentItem;\n"));
    assert!(all.contains("export type RequestId = string | number;\n"));
    assert!(all.contains("export type RealtimeHandoffRequestedType = \"handoff_request\";\n"));
    assert!(all.contains("export type ThreadId = string;\n"));
}

#[test]
fn every_method_has_a_constant_and_a_table_entry() {
    let ir = canonical_ir();
    let output = generate(&ir);
    let methods = file(&output, "src/methods.ts");
    assert!(methods.contains("export const THREAD_RESUME = \"thread/resume\";\n"));
    assert!(methods.contains("  [THREAD_RESUME]: ThreadResumeParams;\n"));
    assert!(methods.contains("  [THREAD_RESUME]: ThreadResumeResponse;\n"));
    let list = &methods[methods.find("export const METHODS = [").unwrap()..];
    let list = &list[..list.find("] as const;").unwrap()];
    assert_eq!(list.lines().count() - 1, ir.methods.len());
    for method in &ir.methods {
        let constant = method.ident.to_shouty_snake_case();
        let quoted = serde_json::to_string(&method.name).unwrap();
        assert!(methods.contains(&format!("export const {constant} = {quoted};\n")), "{}", method.name);
        assert!(list.contains(&format!("  {constant},\n")), "{} not in METHODS", method.name);
        assert!(methods.contains(&format!("  [{constant}]: \"{}\",\n", method.direction.wire())));
    }
}

#[test]
fn every_type_has_a_guard_and_every_tool_a_parser() {
    let ir = canonical_ir();
    let output = generate(&ir);
    let guards = file(&output, "src/guards.ts");
    for name in ir.types.keys() {
        assert!(guards.contains(&format!("export function is{name}(value: unknown): value is {name} {{")), "{name}");
    }
    // The ThreadId rule and the legacy spellings of `server` come from the schema, not from hand-written code.
    assert!(guards.contains("pattern: new RegExp(\"^[A-Za-z0-9][A-Za-z0-9_.:-]*$\", \"u\"),"));
    assert!(guards.contains("minLength: 1,\n    maxLength: 128,"));
    assert!(guards.contains("aliases: [\"server_hint\", \"serverHint\"]"));
    let realtime_ts = file(&output, "src/realtime.ts");
    for tool in &ir.realtime_tools {
        let ty = &tool.arguments;
        assert!(realtime_ts.contains(&format!("export function parse{ty}(argumentsJson: string): Decoded<{ty}> {{")));
    }
    // The stock app-server's `background_agent` is a tool of its own, with its own parser.
    assert!(realtime_ts.contains("    case \"codex\": {\n"));
    assert!(realtime_ts.contains("    case \"background_agent\": {\n"));
}

#[test]
fn realtime_constants_carry_the_realtime_backend_text() {
    let ir = canonical_ir();
    let output = generate(&ir);
    let realtime_ts = file(&output, "src/realtime.ts");
    let start = realtime_ts.find("export const TOOLS = ").unwrap() + "export const TOOLS = ".len();
    let end = realtime_ts[start..].find(" as const;").unwrap();
    let tools: Value = serde_json::from_str(&realtime_ts[start..start + end]).expect("TOOLS is a JSON literal");
    let expected: Value = serde_json::from_str(&realtime::tools_json(&ir).unwrap()).unwrap();
    assert_eq!(tools, expected);
    // The template literal holds the template with `\`, backquote and `${` escaped, nothing else changed.
    let start = realtime_ts.find("export const INSTRUCTIONS_TEMPLATE = `").unwrap()
        + "export const INSTRUCTIONS_TEMPLATE = `".len();
    let end = realtime_ts[start..].find("`;\n").unwrap();
    let unescaped = realtime_ts[start..start + end].replace("\\`", "`").replace("\\${", "${").replace("\\\\", "\\");
    assert_eq!(unescaped, realtime::instructions_template(&ir).unwrap());
}

#[test]
fn imports_name_types_their_modules_declare() {
    let output = generate(&canonical_ir());
    for (path, text) in sources(&output) {
        // Join wrapped import lists onto one line first.
        let flat = text.replace(",\n  ", ", ").replace("{\n  ", "{ ").replace(",\n} from", " } from");
        for line in flat.lines() {
            if let Some(rest) = line.strip_prefix("export * from \"./") {
                let module = rest.strip_suffix(".js\";").expect("relative .js export");
                file(&output, &format!("src/{module}.ts"));
            }
            let Some(rest) = line.strip_prefix("import type { ") else { continue };
            let (names, from) = rest.split_once(" } from \"./").expect("import shape");
            let module = from.strip_suffix(".js\";").expect("relative .js import");
            let target = file(&output, &format!("src/{module}.ts"));
            for name in names.split(", ") {
                let declared = target.contains(&format!("export interface {name} {{"))
                    || target.contains(&format!("export type {name} ="))
                    || target.contains(&format!("export type {name}<"));
                assert!(declared, "{path} imports {name} from {module}, which does not declare it");
            }
        }
    }
}

#[test]
fn every_file_says_it_is_generated_and_the_compiler_is_pinned() {
    let ir = canonical_ir();
    let output = generate(&ir);
    for generated in &output.files {
        if generated.path.ends_with(".ts") || generated.path.ends_with("tsconfig.json") {
            assert!(generated.contents.starts_with(&header("//")), "{} lacks the header", generated.path);
        }
    }
    let package: Value = serde_json::from_str(file(&output, "package.json")).expect("package.json is JSON");
    assert!(package["//"].as_str().unwrap().contains("cargo xtask gen"));
    assert_eq!(package["version"], ir.version.as_str());
    let pinned = package["devDependencies"]["typescript"].as_str().unwrap();
    assert_eq!(pinned, typescript::TYPESCRIPT_VERSION);
    assert!(pinned.split('.').count() == 3 && pinned.split('.').all(|part| part.parse::<u32>().is_ok()), "{pinned}");
    let index = file(&output, "src/index.ts");
    for module in ["methods", "guards", "realtime", "toolArguments", "commonTypes"] {
        assert!(index.contains(&format!("export * from \"./{module}.js\";\n")), "{module}");
    }
}

#[test]
fn output_is_deterministic() {
    let ir = canonical_ir();
    assert_eq!(generate(&ir), generate(&ir));
}

#[test]
fn a_def_named_like_a_global_the_guards_use_is_refused() {
    let mut schema: Value = serde_json::from_str(handoff_schema::SCHEMA_JSON).unwrap();
    schema["$defs"]["Map"] = json!({ "description": "Shadows the global Map.", "type": "string" });
    let ir = Contract::from_value(schema).expect("schema lowers").ir;
    let error = typescript::generate(&ir).expect_err("a def named Map would break guards.ts");
    assert!(error.to_string().contains("`Map`"), "{error}");
}
