//! Helpers the Swift backend tests share: parsing with tree-sitter's Swift grammar and reading the tree.
#![allow(dead_code)] // each test crate uses a different subset

use tree_sitter::{Node, Parser, Tree};

pub fn parse(source: &str) -> Tree {
    let mut parser = Parser::new();
    parser.set_language(&tree_sitter_swift::LANGUAGE.into()).expect("tree-sitter-swift matches the tree-sitter ABI");
    parser.parse(source, None).expect("a parser with a language and no timeout always returns a tree")
}

/// Every ERROR and MISSING node of `source`, as `line:column: what` (1-based) with the offending text.
pub fn syntax_problems(source: &str) -> Vec<String> {
    let tree = parse(source);
    let mut problems = Vec::new();
    let mut pending = vec![tree.root_node()];
    while let Some(node) = pending.pop() {
        let position = node.start_position();
        let at = format!("{}:{}", position.row + 1, position.column + 1);
        if node.is_missing() {
            problems.push(format!("{at}: MISSING `{}`", node.kind()));
        } else if node.is_error() {
            let text = text(&node, source);
            let snippet: String = text.chars().take(80).collect();
            problems.push(format!("{at}: ERROR at `{}`", snippet.replace('\n', "\\n")));
        }
        let mut cursor = node.walk();
        let children: Vec<Node> = node.children(&mut cursor).collect();
        pending.extend(children.into_iter().rev());
    }
    problems.sort_by_key(|p| {
        let mut parts = p.split(':');
        let line: usize = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
        let column: usize = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
        (line, column)
    });
    problems
}

pub fn text<'a>(node: &Node, source: &'a str) -> &'a str {
    &source[node.byte_range()]
}

/// An identifier's name without Swift's keyword backticks.
pub fn identifier(node: &Node, source: &str) -> String {
    text(node, source).trim_matches('`').to_owned()
}

/// Named children of `node` of kind `kind`.
pub fn children_of_kind<'t>(node: &Node<'t>, kind: &str) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).filter(|c| c.kind() == kind).collect()
}

/// The declaration keyword of a `class_declaration` node: `struct`, `enum`, `class`, …
pub fn declaration_keyword(node: &Node, source: &str) -> Option<String> {
    let mut cursor = node.walk();
    let keyword = node
        .children(&mut cursor)
        .find(|c| !c.is_named() && matches!(c.kind(), "struct" | "enum" | "class" | "actor" | "extension"))
        .map(|c| c.kind().to_owned());
    keyword.or_else(|| node.child_by_field_name("declaration_kind").map(|k| text(&k, source).to_owned()))
}

/// A Swift struct as the parse tree shows it.
#[derive(Debug, Default)]
pub struct SwiftStruct {
    pub name: String,
    /// `public var` properties: name and type text.
    pub properties: Vec<(String, String)>,
    /// `CodingKeys` cases: case name and raw value (the case name when it has no raw value).
    pub coding_keys: Vec<(String, String)>,
    pub has_coding_keys: bool,
}

/// Every top-level struct declared in `source`.
pub fn structs(source: &str) -> Vec<SwiftStruct> {
    let tree = parse(source);
    let root = tree.root_node();
    let mut found = Vec::new();
    for decl in children_of_kind(&root, "class_declaration") {
        if declaration_keyword(&decl, source).as_deref() != Some("struct") {
            continue;
        }
        let name = decl.child_by_field_name("name").map(|n| identifier(&n, source)).unwrap_or_default();
        let mut item = SwiftStruct { name, ..SwiftStruct::default() };
        let Some(body) = decl.child_by_field_name("body") else { continue };
        for property in children_of_kind(&body, "property_declaration") {
            let Some(pattern) = property.child_by_field_name("name") else { continue };
            let property_name = identifier(&pattern, source);
            let ty = children_of_kind(&property, "type_annotation")
                .first()
                .and_then(|a| a.child_by_field_name("name"))
                .map(|t| text(&t, source).to_owned())
                .unwrap_or_default();
            let is_static = text(&property, source).starts_with("static ");
            if !is_static {
                item.properties.push((property_name, ty));
            }
        }
        for nested in children_of_kind(&body, "class_declaration") {
            let nested_name = nested.child_by_field_name("name").map(|n| identifier(&n, source));
            if nested_name.as_deref() != Some("CodingKeys") {
                continue;
            }
            item.has_coding_keys = true;
            let Some(enum_body) = nested.child_by_field_name("body") else { continue };
            for entry in children_of_kind(&enum_body, "enum_entry") {
                let case = entry.child_by_field_name("name").map(|n| identifier(&n, source)).unwrap_or_default();
                let raw = entry
                    .child_by_field_name("raw_value")
                    .map(|r| string_literal_value(&r, source))
                    .unwrap_or_else(|| case.clone());
                item.coding_keys.push((case, raw));
            }
        }
        found.push(item);
    }
    found
}

/// The value of a simple Swift string literal node (no interpolation), with the escapes the backend writes
/// (`\"`, `\\`, `\n`, `\r`, `\t`, `\u{…}`) decoded.
pub fn string_literal_value(node: &Node, source: &str) -> String {
    let raw = text(node, source);
    let inner = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(raw);
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('u') => {
                let hex: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                let scalar = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                out.push(scalar.unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// The `.swift` files of an output, path and contents.
pub fn swift_files(output: &handoff_codegen::Output) -> Vec<(&str, &str)> {
    output.files.iter().filter(|f| f.path.ends_with(".swift")).map(|f| (f.path.as_str(), f.contents.as_str())).collect()
}
