//! IR → `src/methods.ts`: a constant per JSON-RPC method of the `x-rpc` table, the list of all of them, who
//! sends each, and the params/result type of each (`unknown` where the contract leaves them open).

use std::collections::BTreeMap;

use handoff_schema::{Direction, Ir};
use heck::ToShoutySnakeCase;

use super::text::{doc_comment, string_literal};
use handoff_schema::Group;

pub(crate) fn methods_file(ir: &Ir, placement: &BTreeMap<String, Group>) -> String {
    let mut out = String::from("// The JSON-RPC method table of the app-server protocol.\n\n");
    let used = ir.methods.iter().flat_map(|m| m.params.iter().chain(m.result.iter())).map(String::as_str);
    out.push_str(&super::type_imports(used, placement));

    for method in &ir.methods {
        let shape = match (&method.params, &method.result) {
            (Some(params), Some(result)) => format!(" Params `{params}`, result `{result}`."),
            (Some(params), None) => format!(" Params `{params}`."),
            (None, Some(result)) => format!(" Result `{result}`."),
            (None, None) => String::new(),
        };
        out.push('\n');
        out.push_str(&doc_comment("", &format!("`{}`: {}.{shape}", method.name, method.direction.describe())));
        out.push_str(&format!("export const {} = {};\n", constant_name(&method.ident), string_literal(&method.name)));
    }

    out.push_str("\n/** Every method the contract lists, sorted by wire name. */\nexport const METHODS = [\n");
    for method in &ir.methods {
        out.push_str(&format!("  {},\n", constant_name(&method.ident)));
    }
    out.push_str(
        "] as const;\n\n/** A method name the contract lists. */\nexport type MethodName = (typeof METHODS)[number];\n",
    );

    out.push_str(
        "\n/** Who sends a method, as the schema's `x-rpc` table spells it. */\nexport type MethodDirection =\n",
    );
    let directions: Vec<String> = Direction::ALL.iter().map(|d| string_literal(d.wire())).collect();
    out.push_str(&format!("  | {};\n", directions.join("\n  | ")));
    // `as const satisfies`: every method is listed, and each entry keeps its literal direction type.
    out.push_str("\n/** The direction of every method. */\nexport const METHOD_DIRECTIONS = {\n");
    for method in &ir.methods {
        out.push_str(&format!("  [{}]: {},\n", constant_name(&method.ident), string_literal(method.direction.wire())));
    }
    out.push_str("} as const satisfies { readonly [M in MethodName]: MethodDirection };\n");

    out.push_str("\n/** The params type of every method; `unknown` where the contract leaves the params open. */\n");
    out.push_str("export interface MethodParams {\n");
    for method in &ir.methods {
        let ty = method.params.as_deref().unwrap_or("unknown");
        out.push_str(&format!("  [{}]: {ty};\n", constant_name(&method.ident)));
    }
    out.push_str("}\n");

    out.push_str("\n/** The result type of every request; `unknown` where the contract leaves the result open. */\n");
    out.push_str("export interface MethodResults {\n");
    for method in ir.methods.iter().filter(|m| m.direction.is_request()) {
        let ty = method.result.as_deref().unwrap_or("unknown");
        out.push_str(&format!("  [{}]: {ty};\n", constant_name(&method.ident)));
    }
    out.push_str("}\n");
    out
}

/// `thread_resume` → `THREAD_RESUME`.
pub(crate) fn constant_name(ident: &str) -> String {
    ident.to_shouty_snake_case()
}
