//! Checks a Swift compiler would make, done on the tree-sitter parse tree since none runs here: every type
//! name the package uses is declared in it or comes from Swift, Foundation or XCTest; every initializer of a
//! struct assigns each stored property; `init(from:)` and `encode(to:)` use each `CodingKeys` case once.

mod swift_common;

use std::collections::{BTreeMap, BTreeSet};

use handoff_codegen::swift;
use handoff_schema::Contract;
use swift_common::{children_of_kind, declaration_keyword, identifier, parse, swift_files, text};
use tree_sitter::Node;

/// Types the generated code may use without declaring them.
const PLATFORM_TYPES: &[&str] = &[
    "Any",
    "Array",
    "Bool",
    "CaseIterable",
    "Codable",
    "CodexHandoffContract",
    "CodingKey",
    "Context",
    "CustomStringConvertible",
    "Data",
    "Decodable",
    "Decoder",
    "DecodingError",
    "Dictionary",
    "Double",
    "Encodable",
    "Encoder",
    "EncodingError",
    "Error",
    "ExpressibleByArrayLiteral",
    "ExpressibleByBooleanLiteral",
    "ExpressibleByDictionaryLiteral",
    "ExpressibleByFloatLiteral",
    "ExpressibleByIntegerLiteral",
    "ExpressibleByStringLiteral",
    "FileManager",
    "Hashable",
    "Hasher",
    "Int",
    "Int64",
    "JSONDecoder",
    "JSONEncoder",
    "JSONSerialization",
    "Key",
    "KeyedDecodingContainer",
    "Mirror",
    "NSNull",
    "Optional",
    "RawRepresentable",
    "RawValue",
    "Self",
    "Sendable",
    "Set",
    "String",
    "Type",
    "URL",
    "XCTSkip",
    "XCTestCase",
];

fn generated() -> Vec<(String, String)> {
    let contract = Contract::canonical().expect("canonical contract");
    let output = swift::generate(&contract.ir).expect("swift backend");
    swift_files(&output)
        .into_iter()
        .filter(|(path, _)| !path.ends_with("/Package.swift"))
        .map(|(path, source)| (path.to_owned(), source.to_owned()))
        .collect()
}

fn walk<'t>(node: Node<'t>, visit: &mut impl FnMut(Node<'t>)) {
    visit(node);
    let mut cursor = node.walk();
    let children: Vec<Node<'t>> = node.children(&mut cursor).collect();
    for child in children {
        walk(child, visit);
    }
}

#[test]
fn every_type_name_is_declared_or_from_the_platform() {
    let unknown = undeclared_types(&generated());
    assert!(unknown.is_empty(), "undeclared types: {unknown:#?}");
}

/// Type names used in `files` but declared neither there nor by the platform, with where each first occurs.
fn undeclared_types(files: &[(String, String)]) -> BTreeMap<String, String> {
    let mut declared: BTreeSet<String> = PLATFORM_TYPES.iter().map(|t| (*t).to_owned()).collect();
    for (_, source) in files {
        let tree = parse(source);
        walk(tree.root_node(), &mut |node| {
            let declares = matches!(
                node.kind(),
                "class_declaration" | "protocol_declaration" | "typealias_declaration" | "associatedtype_declaration"
            );
            if declares && let Some(name) = node.child_by_field_name("name").filter(|n| n.kind() == "type_identifier") {
                declared.insert(identifier(&name, source));
            }
            if node.kind() == "type_parameter"
                && let Some(name) = children_of_kind(&node, "type_identifier").first()
            {
                declared.insert(identifier(name, source));
            }
        });
    }
    let mut unknown: BTreeMap<String, String> = BTreeMap::new();
    for (path, source) in files {
        let tree = parse(source);
        walk(tree.root_node(), &mut |node| {
            if node.kind() == "type_identifier" {
                let name = identifier(&node, source);
                if !declared.contains(&name) {
                    let at = node.start_position();
                    unknown.entry(name).or_insert_with(|| format!("{path}:{}:{}", at.row + 1, at.column + 1));
                }
            }
        });
    }
    unknown
}

/// The checks above must be able to fail.
#[test]
fn the_checks_catch_what_a_compiler_would() {
    let source = "public struct A: Codable {\n    public var x: Strin\n    public var y: ThreadId?\n}\npublic struct ThreadId {}\n";
    let unknown = undeclared_types(&[("A.swift".to_owned(), source.to_owned())]);
    assert_eq!(unknown.keys().collect::<Vec<_>>(), ["Strin"]);
    assert_eq!(unknown["Strin"], "A.swift:2:19");

    let source = "struct B {\n    var x: Int\n    var y: Int\n    init() {\n        self.x = 1\n    }\n}\n";
    let tree = parse(source);
    let (_, body) = top_level_structs(&tree.root_node(), source).pop().expect("struct B");
    let init = children_of_kind(&body, "init_declaration").pop().expect("init");
    assert_eq!(self_assignments(init, source), ["x"]);
    assert_eq!(stored_properties(&body, source), BTreeSet::from(["x".to_owned(), "y".to_owned()]));

    let source = "struct C {\n    func encode(to encoder: any Encoder) throws {\n        try c.encode(a, forKey: .a)\n        try c.encode(b, forKey: .`in`)\n    }\n}\n";
    let tree = parse(source);
    assert_eq!(coding_key_uses(tree.root_node(), source), ["a", "in"]);
}

/// A struct's stored properties: `var`/`let` members that are neither static nor computed.
fn stored_properties(body: &Node, source: &str) -> BTreeSet<String> {
    children_of_kind(body, "property_declaration")
        .into_iter()
        .filter(|p| {
            let computed = !children_of_kind(p, "computed_property").is_empty();
            let is_static = text(p, source).starts_with("static ")
                || children_of_kind(p, "modifiers").iter().any(|m| text(m, source).contains("static"));
            !computed && !is_static
        })
        .filter_map(|p| p.child_by_field_name("name").map(|n| identifier(&n, source)))
        .collect()
}

/// `self.x = …` targets in `node`.
fn self_assignments(node: Node, source: &str) -> Vec<String> {
    let mut assigned = Vec::new();
    walk(node, &mut |n| {
        if n.kind() != "assignment" {
            return;
        }
        let Some(target) = n.child_by_field_name("target") else { return };
        let target = text(&target, source);
        if let Some(member) = target.strip_prefix("self.") {
            assigned.push(member.trim_matches('`').to_owned());
        }
    });
    assigned
}

/// `.x` values of `forKey:` arguments in `node` (typed CodingKeys references only).
fn coding_key_uses(node: Node, source: &str) -> Vec<String> {
    let mut uses = Vec::new();
    walk(node, &mut |n| {
        if n.kind() != "value_argument" {
            return;
        }
        let label = children_of_kind(&n, "value_argument_label").first().map(|l| text(l, source).to_owned());
        if label.as_deref() != Some("forKey") {
            return;
        }
        if let Some(value) = n.child_by_field_name("value").filter(|v| v.kind() == "prefix_expression") {
            uses.push(text(&value, source).trim_start_matches('.').trim_matches('`').to_owned());
        }
    });
    uses
}

fn top_level_structs<'t>(root: &Node<'t>, source: &str) -> Vec<(String, Node<'t>)> {
    children_of_kind(root, "class_declaration")
        .into_iter()
        .filter(|d| declaration_keyword(d, source).as_deref() == Some("struct"))
        .filter_map(|d| {
            let name = d.child_by_field_name("name").map(|n| identifier(&n, source))?;
            Some((name, d.child_by_field_name("body")?))
        })
        .collect()
}

#[test]
fn every_struct_initializer_assigns_each_stored_property_once() {
    let mut checked = 0;
    for (path, source) in generated().iter().filter(|(path, _)| path.contains("/Sources/")) {
        let tree = parse(source);
        for (name, body) in top_level_structs(&tree.root_node(), source) {
            let stored = stored_properties(&body, source);
            for init in children_of_kind(&body, "init_declaration") {
                // A delegating initializer (`self.init(…)`) leaves the assignments to the one it calls.
                if text(&init, source).contains("self.init(") {
                    continue;
                }
                let assigned = self_assignments(init, source);
                let unique: BTreeSet<String> = assigned.iter().cloned().collect();
                let at = init.start_position().row + 1;
                assert_eq!(unique.len(), assigned.len(), "{path}:{at}: {name} init assigns a property twice");
                assert_eq!(unique, stored, "{path}:{at}: {name} init does not assign exactly the stored properties");
                checked += 1;
            }
        }
    }
    assert!(checked >= 100, "only {checked} initializers checked");
}

#[test]
fn decoding_and_encoding_use_each_coding_key_once() {
    for (path, source) in generated().iter().filter(|(path, _)| path.contains("/Sources/")) {
        let tree = parse(source);
        for (name, body) in top_level_structs(&tree.root_node(), source) {
            let Some(keys) = children_of_kind(&body, "class_declaration")
                .into_iter()
                .find(|d| d.child_by_field_name("name").is_some_and(|n| text(&n, source) == "CodingKeys"))
            else {
                continue;
            };
            let cases: BTreeSet<String> = keys
                .child_by_field_name("body")
                .map(|b| children_of_kind(&b, "enum_entry"))
                .unwrap_or_default()
                .iter()
                .filter_map(|e| e.child_by_field_name("name").map(|n| identifier(&n, source)))
                .collect();
            let decoder = children_of_kind(&body, "init_declaration")
                .into_iter()
                .find(|i| text(i, source).contains("from decoder: any Decoder"))
                .unwrap_or_else(|| panic!("{path}: {name} has no init(from:)"));
            let encoder = children_of_kind(&body, "function_declaration")
                .into_iter()
                .find(|f| f.child_by_field_name("name").is_some_and(|n| text(&n, source) == "encode"))
                .unwrap_or_else(|| panic!("{path}: {name} has no encode(to:)"));
            for (what, node) in [("init(from:)", decoder), ("encode(to:)", encoder)] {
                let mut uses = coding_key_uses(node, source);
                uses.sort();
                let expected: Vec<String> = cases.iter().cloned().collect();
                assert_eq!(uses, expected, "{path}: {name}.{what} does not use each CodingKeys case once");
            }
        }
    }
}

/// Methods the type files call on decoders, encoders, containers and values are either the standard
/// library's (`Codable`, `String`) or helpers `Support.swift` declares.
#[test]
fn called_helpers_are_declared_in_support() {
    const CODABLE_API: &[&str] = &[
        "container",
        "contains",
        "decode",
        "decodeIfPresent",
        "decodeNil",
        "encode",
        "encodeIfPresent",
        "encodeNil",
        "singleValueContainer",
        "dataCorruptedError",
        "combine",
        // String, from the standard library.
        "unicodeScalars",
    ];
    let files = generated();
    let support = &files.iter().find(|(path, _)| path.ends_with("/Support.swift")).expect("Support.swift").1;
    let mut missing = BTreeSet::new();
    for (path, source) in
        files.iter().filter(|(path, _)| path.contains("/Sources/") && !path.ends_with("/Support.swift"))
    {
        let tree = parse(source);
        walk(tree.root_node(), &mut |node| {
            if node.kind() != "navigation_expression" {
                return;
            }
            let Some(target) = node.child_by_field_name("target") else { return };
            let receiver = text(&target, source);
            if !["decoder", "encoder", "container", "value", "hasher"].contains(&receiver) {
                return;
            }
            let Some(suffix) = node.child_by_field_name("suffix").and_then(|s| s.child_by_field_name("suffix")) else {
                return;
            };
            let method = identifier(&suffix, source);
            if !CODABLE_API.contains(&method.as_str()) && !support.contains(&format!("func {method}(")) {
                missing.insert(format!("{path}: {receiver}.{method}"));
            }
        });
    }
    assert!(missing.is_empty(), "calls to undeclared helpers: {missing:#?}");
    // The helpers the backend relies on are there.
    for helper in
        ["rejectUnknownMembers", "unknownMembers", "encodeUnknownMembers", "decodeJSONIfPresent", "matchesWhole"]
    {
        assert!(support.contains(&format!("func {helper}(")), "Support.swift lacks {helper}");
    }
}
