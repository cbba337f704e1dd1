//! What the TypeScript compiler and the node tests cannot see. The package's behaviour is checked in `.ci/run`:
//! `tsc --strict` over the package, `tests/typescript/types_check.ts` (presence, open enums, the method table's
//! types) and `tests/typescript/guards.test.mjs` (guards and parsers against the message and tool-call fixtures,
//! the method table against the schema's `x-rpc`, the realtime constants against generated/realtime). Left here:
//! a schema the canonical package never holds (all four presence states in one object), the package manifest,
//! and the backend's refusal of a def named like a global the guards use.

use handoff_codegen::{Output, header, typescript};
use handoff_schema::{Contract, Ir};
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
fn a_def_named_like_a_global_the_guards_use_is_refused() {
    let mut schema: Value = serde_json::from_str(handoff_schema::SCHEMA_JSON).unwrap();
    schema["$defs"]["Map"] = json!({ "description": "Shadows the global Map.", "type": "string" });
    let ir = Contract::from_value(schema).expect("schema lowers").ir;
    let error = typescript::generate(&ir).expect_err("a def named Map would break guards.ts");
    assert!(error.to_string().contains("`Map`"), "{error}");
}
