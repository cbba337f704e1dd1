//! Unions: tagged by a string member (dispatch on the tag, fallback struct for other tags) or told apart
//! by the JSON kind of the value.

use std::collections::BTreeSet;

use handoff_schema::{TaggedUnionDef, TypeDef, TypeRef, UntaggedUnionDef};

use super::code::{Code, string_literal};
use super::names::{member_ident, member_name};
use super::types::{UNKNOWN_CASE, swift_type, unsupported};
use crate::CodegenError;

/// A union of structs told apart by a string member: decoded by reading the tag first, then the whole
/// object as the variant's struct (which keeps the tag). Open unions send other tags to the fallback struct.
pub(crate) fn render_tagged_union(def: &TypeDef, u: &TaggedUnionDef, code: &mut Code) -> Result<(), CodegenError> {
    let mut seen = BTreeSet::new();
    for variant in &u.variants {
        let case = member_name(&variant.name);
        if u.fallback.is_some() && case == UNKNOWN_CASE {
            return Err(unsupported(
                def,
                &def.pointer,
                format!("tag `{}` clashes with the `{UNKNOWN_CASE}` case of the fallback", variant.tag_value),
            ));
        }
        if !seen.insert(case.clone()) {
            return Err(unsupported(def, &def.pointer, format!("two tags map to the Swift case `{case}`")));
        }
    }
    let tag = &u.tag;
    code.open(format!("public enum {}: Codable, Sendable, Hashable", def.name));
    for variant in &u.variants {
        code.doc(&format!("`{tag}` is `{}`.", variant.tag_value));
        code.line(format!("case {}({})", member_ident(&variant.name), variant.type_name));
    }
    if let Some(fallback) = &u.fallback {
        code.doc(&format!("Any other `{tag}` value: an item this contract version does not model, kept whole."));
        code.line(format!("case {UNKNOWN_CASE}({fallback})"));
    }

    code.blank();
    code.open("private enum TagKey: String, CodingKey");
    code.line(format!("case tag = {}", string_literal(tag)));
    code.close();

    code.blank();
    code.open("public init(from decoder: any Decoder) throws");
    code.line("let container = try decoder.container(keyedBy: TagKey.self)");
    code.line("let tag = try container.decode(String.self, forKey: .tag)");
    code.open("switch tag");
    for variant in &u.variants {
        code.case_label(format!("case {}:", string_literal(&variant.tag_value)));
        code.line(format!("self = try .{}({}(from: decoder))", member_ident(&variant.name), variant.type_name));
    }
    code.case_label("default:");
    match &u.fallback {
        Some(fallback) => code.line(format!("self = try .{UNKNOWN_CASE}({fallback}(from: decoder))")),
        None => {
            let expected: Vec<String> = u.variants.iter().map(|v| format!("`{}`", v.tag_value)).collect();
            code.line("throw DecodingError.dataCorruptedError(");
            code.indented(|code| {
                code.line("forKey: .tag,");
                code.line("in: container,");
                let before = string_literal(&format!("unknown `{tag}` "));
                let after = string_literal(&format!(", expected one of {}", expected.join(", ")));
                // The halves of an escaped literal around the interpolation: schema text is escaped like any other.
                code.line(format!(
                    "debugDescription: {}\\(String(reflecting: tag)){}",
                    &before[..before.len() - 1],
                    &after[1..]
                ));
            });
            code.line(")");
        }
    }
    code.close();
    code.close();

    code.blank();
    code.open("public func encode(to encoder: any Encoder) throws");
    code.open("switch self");
    let cases =
        u.variants.iter().map(|v| member_ident(&v.name)).chain(u.fallback.as_ref().map(|_| UNKNOWN_CASE.to_owned()));
    for case in cases {
        code.case_label(format!("case .{case}(let value):"));
        code.line("try value.encode(to: encoder)");
    }
    code.close();
    code.close();
    code.close();
    Ok(())
}

/// A union told apart by the JSON kind of the value, tried in the schema's order.
pub(crate) fn render_untagged_union(def: &TypeDef, u: &UntaggedUnionDef, code: &mut Code) -> Result<(), CodegenError> {
    let mut seen = BTreeSet::new();
    for variant in &u.variants {
        let case = member_name(&variant.name);
        if !seen.insert(case.clone()) {
            return Err(unsupported(def, &def.pointer, format!("two variants map to the Swift case `{case}`")));
        }
    }
    code.open(format!("public enum {}: Codable, Sendable, Hashable", def.name));
    for variant in &u.variants {
        code.line(format!("case {}({})", member_ident(&variant.name), swift_type(&variant.ty)));
    }

    code.blank();
    code.open("public init(from decoder: any Decoder) throws");
    for variant in &u.variants {
        code.open(format!("if let value = try? {}(from: decoder)", swift_type(&variant.ty)));
        code.line(format!("self = .{}(value)", member_ident(&variant.name)));
        code.line("return");
        code.close();
    }
    let expected: Vec<String> = u.variants.iter().map(|v| json_kind(&v.ty)).collect();
    code.line("let container = try decoder.singleValueContainer()");
    code.line(format!(
        "throw DecodingError.dataCorruptedError(in: container, debugDescription: {})",
        string_literal(&format!("{} must be {}", def.name, expected.join(" or ")))
    ));
    code.close();

    code.blank();
    code.open("public func encode(to encoder: any Encoder) throws");
    code.open("switch self");
    for variant in &u.variants {
        code.case_label(format!("case .{}(let value):", member_ident(&variant.name)));
        code.line("try value.encode(to: encoder)");
    }
    code.close();
    code.close();
    code.close();
    Ok(())
}

/// How a type looks in JSON, for error messages.
fn json_kind(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Named(name) => name.clone(),
        TypeRef::String => "a string".to_owned(),
        TypeRef::Integer => "an integer".to_owned(),
        TypeRef::Number => "a number".to_owned(),
        TypeRef::Boolean => "a boolean".to_owned(),
        TypeRef::Array(_) => "an array".to_owned(),
        TypeRef::Map(_) => "an object".to_owned(),
        TypeRef::Any => "any JSON value".to_owned(),
    }
}
