//! IR → the `codex-handoff-contract` npm package under `generated/typescript`: a declaration per schema type
//! (optional `field?: T` and nullable `T | null` kept apart, string-literal unions, discriminated unions),
//! the JSON-RPC method constants, runtime guards driven by a shape table, and the realtime tools, prompt
//! template and tool-call parsers.
//!
//! Sources are TypeScript only; `.ci/run` type-checks them with a pinned `tsc` and runs a node test of the
//! compiled guards against the shared message fixtures.

mod guards;
mod methods;
mod realtime;
mod text;
mod types;

use std::collections::{BTreeMap, BTreeSet};

use handoff_schema::Ir;
use heck::ToLowerCamelCase;
use serde_json::json;

use crate::{CodegenError, Output, header};
pub(crate) use handoff_schema::Group;

const BACKEND: &str = "typescript";
pub const ROOT: &str = "generated/typescript";
pub const PACKAGE_NAME: &str = "codex-handoff-contract";
/// The exact `typescript` devDependency: `.ci/run` installs it, so a new compiler release cannot break CI.
pub const TYPESCRIPT_VERSION: &str = "7.0.2";
/// Names the generated modules export besides the schema's types, and the globals they use (guards.ts imports
/// every type, and an imported `Map` would hide the global one); a def named like one would clash.
const RESERVED_NAMES: &[&str] = &[
    "Array",
    "Boolean",
    "DecodeErrorKind",
    "Decoded",
    "Error",
    "JSON",
    "Map",
    "MethodDirection",
    "MethodName",
    "MethodParams",
    "MethodResults",
    "Number",
    "Object",
    "Problem",
    "ProblemKind",
    "Record",
    "RegExp",
    "ServerInfo",
    "String",
    "ToolCall",
    "TypeName",
];

pub fn generate(ir: &Ir) -> Result<Output, CodegenError> {
    if let Some(def) = ir.types.values().find(|def| RESERVED_NAMES.contains(&def.name.as_str())) {
        return Err(CodegenError::Unsupported {
            backend: BACKEND,
            type_name: def.name.clone(),
            pointer: def.pointer.clone(),
            reason: "the name clashes with a helper the TypeScript package exports".to_owned(),
        });
    }
    let placement = ir.groups();
    let mut output = Output::new(ROOT);
    output.add("package.json", package_json(ir)?);
    output.add("tsconfig.json", tsconfig_json());
    let mut modules = Vec::new();
    for group in Group::ALL {
        if placement.values().any(|g| *g == group) {
            let module = module_name(group);
            output.add(&format!("src/{module}.ts"), source(&types::group_file(ir, group, &placement)));
            modules.push(module);
        }
    }
    output.add("src/methods.ts", source(&methods::methods_file(ir, &placement)));
    output.add("src/guards.ts", source(&guards::guards_file(ir, &placement)));
    output.add("src/realtime.ts", source(&realtime::realtime_file(ir, &placement)?));
    modules.extend(["methods", "guards", "realtime"].map(String::from));
    output.add("src/index.ts", source(&index_ts(ir, &modules)));
    output.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(output)
}

/// The module (file stem) of a group: `ToolArguments` → `toolArguments`.
pub(crate) fn module_name(group: Group) -> String {
    group.stem().to_lower_camel_case()
}

/// `import type` lines for `names`, one per module, sorted. ES modules need the `.js` extension that the
/// compiled file will have.
pub(crate) fn type_imports<'a>(names: impl Iterator<Item = &'a str>, placement: &BTreeMap<String, Group>) -> String {
    let mut by_group: BTreeMap<Group, BTreeSet<&str>> = BTreeMap::new();
    for name in names {
        by_group.entry(placement[name]).or_default().insert(name);
    }
    let mut out = String::new();
    for (group, names) in by_group {
        let names: Vec<&str> = names.into_iter().collect();
        let from = format!("from \"./{}.js\";", module_name(group));
        let one_line = format!("import type {{ {} }} {from}\n", names.join(", "));
        // Long lists go one name per line, as a formatter would print them.
        if one_line.len() <= 120 {
            out.push_str(&one_line);
        } else {
            out.push_str(&format!("import type {{\n  {},\n}} {from}\n", names.join(",\n  ")));
        }
    }
    out
}

fn source(body: &str) -> String {
    format!("{}\n{body}", header("//"))
}

fn index_ts(ir: &Ir, modules: &[String]) -> String {
    let mut out = format!(
        "/**\n * {}\n *\n * Contract version {}.\n */\n\n/** Version of the contract schema this package was generated from (`x-version`). */\nexport const CONTRACT_VERSION = {};\n\n",
        ir.title,
        ir.version,
        text::string_literal(&ir.version)
    );
    for module in modules {
        out.push_str(&format!("export * from \"./{module}.js\";\n"));
    }
    out
}

/// JSON has no comments, so the "generated" note goes in a `//` member and the description.
fn package_json(ir: &Ir) -> Result<String, CodegenError> {
    let header = header("");
    let note: Vec<&str> = header.lines().map(str::trim).collect();
    let value = json!({
        "//": note.join(" "),
        "name": PACKAGE_NAME,
        "version": ir.version,
        "description": format!("Generated TypeScript types of the Codex realtime handoff contract ({}, do not edit).", crate::GEN_COMMAND),
        "license": "Apache-2.0",
        "private": true,
        "type": "module",
        "main": "dist/index.js",
        "types": "dist/index.d.ts",
        "exports": { ".": { "types": "./dist/index.d.ts", "default": "./dist/index.js" } },
        "files": ["dist", "src"],
        "scripts": { "build": "tsc -p .", "check": "tsc --noEmit -p ." },
        "devDependencies": { "typescript": TYPESCRIPT_VERSION },
    });
    let mut text = serde_json::to_string_pretty(&value)
        .map_err(|e| CodegenError::Render { backend: BACKEND, reason: e.to_string() })?;
    text.push('\n');
    Ok(text)
}

/// tsconfig.json is JSON with comments, so it takes the usual header.
fn tsconfig_json() -> String {
    format!(
        r#"{}{{
  "compilerOptions": {{
    "target": "ES2022",
    "lib": ["ES2022"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "exactOptionalPropertyTypes": true,
    "noUncheckedIndexedAccess": true,
    "noImplicitReturns": true,
    "noUnusedLocals": true,
    "noUnusedParameters": true,
    "declaration": true,
    "types": [],
    "rootDir": "src",
    "outDir": "dist"
  }},
  "include": ["src"]
}}
"#,
        header("//")
    )
}
