//! `Methods.swift`: the JSON-RPC method table. A constant per method name (`RPCMethod.threadResume`), a
//! lookup table with direction and types, and marker types that tie the handoff-flow methods to their
//! params and results. App code that sends or matches a method uses these, never a string literal.

use std::collections::BTreeSet;

use handoff_schema::{Direction, Ir, RpcMethod};
use heck::ToUpperCamelCase;

use super::MODULE;
use super::code::{Code, string_literal};
use super::names::{RESERVED_TYPE_NAMES, escape, is_keyword, member_name};
use crate::CodegenError;

fn direction_case(direction: Direction) -> String {
    escape(&member_name(direction.wire()))
}

fn optional_string(value: Option<&str>) -> String {
    value.map(string_literal).unwrap_or_else(|| "nil".to_owned())
}

fn method_error(method: &RpcMethod, reason: String) -> CodegenError {
    CodegenError::Unsupported {
        backend: "swift",
        type_name: method.name.clone(),
        pointer: format!("/x-rpc/{}", handoff_schema::escape_pointer_token(&method.name)),
        reason,
    }
}

/// The body of `Methods.swift` (without header and imports).
pub(crate) fn render(ir: &Ir, code: &mut Code) -> Result<(), CodegenError> {
    // Names the static members of `RPCMethod` use besides the method constants.
    let mut constants: BTreeSet<String> = ["all", "lookup", "byName"].into_iter().map(str::to_owned).collect();
    let mut markers = BTreeSet::new();
    for method in &ir.methods {
        let constant = member_name(&method.ident);
        if !constants.insert(constant.clone()) {
            return Err(method_error(method, format!("its Swift constant `{constant}` is already taken")));
        }
        if (method.params.is_some() || method.result.is_some()) && !markers.insert(marker_name(method)) {
            return Err(method_error(method, "its Swift marker type name is already taken".to_owned()));
        }
    }

    code.doc("Who sends a method, and whether it is answered.");
    code.open("public enum RPCDirection: String, Codable, Sendable, Hashable, CaseIterable");
    for direction in Direction::ALL {
        code.doc(&format!("{}.", upper_first(direction.describe())));
        code.line(format!("case {} = {}", direction_case(direction), string_literal(direction.wire())));
    }
    code.blank();
    code.doc("True for requests, which a response or an error answers.");
    code.open("public var isRequest: Bool");
    code.line(format!(
        "self == .{} || self == .{}",
        direction_case(Direction::ClientRequest),
        direction_case(Direction::ServerRequest)
    ));
    code.close();
    code.close();

    code.blank();
    code.doc("One row of the method table.");
    code.open("public struct RPCMethodInfo: Sendable, Hashable");
    code.doc("The wire name.");
    code.line("public let name: String");
    code.line("public let direction: RPCDirection");
    code.doc("Name of the params type, or nil when the params are any JSON.");
    code.line("public let params: String?");
    code.doc("Name of the result type, or nil when the result is any JSON (or for notifications).");
    code.line("public let result: String?");
    code.close();

    code.blank();
    code.doc("A request method with typed params and result.");
    code.open("public protocol RPCRequest");
    code.line("associatedtype Params: Codable & Sendable");
    code.line("associatedtype Result: Codable & Sendable");
    code.line("static var method: String { get }");
    code.close();

    code.blank();
    code.doc("A notification method with typed params.");
    code.open("public protocol RPCNotification");
    code.line("associatedtype Params: Codable & Sendable");
    code.line("static var method: String { get }");
    code.close();

    code.blank();
    code.doc("The JSON-RPC methods of the app-server protocol, by name.");
    code.open("public enum RPCMethod");
    for method in &ir.methods {
        let mut doc = format!("`{}` ({}).", method.name, method.direction.describe());
        if let Some(params) = &method.params {
            doc.push_str(&format!(" Params: ``{params}``."));
        }
        if let Some(result) = &method.result {
            doc.push_str(&format!(" Result: ``{result}``."));
        }
        code.doc(&doc);
        code.line(format!(
            "public static let {} = {}",
            escape(&member_name(&method.ident)),
            string_literal(&method.name)
        ));
    }
    code.blank();
    code.doc("Every method, sorted by name.");
    code.line("public static let all: [RPCMethodInfo] = [");
    code.indented(|code| {
        for method in &ir.methods {
            code.line(format!(
                "RPCMethodInfo(name: {}, direction: .{}, params: {}, result: {}),",
                escape(&member_name(&method.ident)),
                direction_case(method.direction),
                optional_string(method.params.as_deref()),
                optional_string(method.result.as_deref()),
            ));
        }
    });
    code.line("]");
    code.blank();
    code.line("private static let byName: [String: RPCMethodInfo] = Dictionary(");
    code.indented(|code| {
        code.line("all.map { ($0.name, $0) },");
        code.line("uniquingKeysWith: { first, _ in first }");
    });
    code.line(")");
    code.blank();
    code.doc("The table row of `name`, or nil for a method the protocol does not have.");
    code.open("public static func lookup(_ name: String) -> RPCMethodInfo?");
    code.line("byName[name]");
    code.close();
    code.close();

    let typed: Vec<&RpcMethod> = ir.methods.iter().filter(|m| m.params.is_some() || m.result.is_some()).collect();
    if !typed.is_empty() {
        code.blank();
        code.open("extension RPCMethod");
        for method in typed {
            let marker = marker_name(method);
            let constant = escape(&member_name(&method.ident));
            code.doc(&format!("`{}`: ties the method name to its params and result types.", method.name));
            // Module-qualified, so a marker that happens to share a def's name cannot capture the reference.
            let qualified = |name: Option<&str>| format!("{MODULE}.{}", name.unwrap_or("JSONValue"));
            let params = qualified(method.params.as_deref());
            if method.direction.is_request() {
                code.open(format!("public enum {marker}: RPCRequest"));
                code.line(format!("public typealias Params = {params}"));
                code.line(format!("public typealias Result = {}", qualified(method.result.as_deref())));
            } else {
                code.open(format!("public enum {marker}: RPCNotification"));
                code.line(format!("public typealias Params = {params}"));
            }
            code.line(format!("public static let method = RPCMethod.{constant}"));
            code.close();
            code.blank();
        }
        code.close();
    }
    Ok(())
}

/// The marker type of a method inside `RPCMethod` (`RPCMethod.ThreadResume`). A name that would shadow a type
/// the package uses inside that scope (`Error`, `String`) gets a `Method` suffix (`RPCMethod.ErrorMethod`).
fn marker_name(method: &RpcMethod) -> String {
    let name = method.ident.to_upper_camel_case();
    if RESERVED_TYPE_NAMES.contains(&name.as_str()) || is_keyword(&name) { format!("{name}Method") } else { name }
}

fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
