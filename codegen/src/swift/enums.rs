//! String enums: one-value `const` tags as closed raw-value enums, listed values as open enums that keep
//! unknown values.

use std::collections::BTreeSet;

use handoff_schema::{StringEnumDef, TypeDef};

use super::code::{Code, string_literal};
use super::names::{member_ident, member_name};
use super::types::{UNKNOWN_CASE, unsupported};
use crate::CodegenError;

/// A one-value enum made from a `const` member (a union variant's tag): a raw-value enum, so decoding any
/// other value fails with a `DecodingError` naming it.
pub(crate) fn render_const_enum(def: &TypeDef, e: &StringEnumDef, code: &mut Code) -> Result<(), CodegenError> {
    check_case_names(def, e, false)?;
    code.open(format!("public enum {}: String, Codable, Sendable, Hashable, CaseIterable", def.name));
    for value in &e.values {
        code.line(format!("case {} = {}", member_ident(&value.name), string_literal(&value.wire)));
    }
    code.close();
    Ok(())
}

fn check_case_names(def: &TypeDef, e: &StringEnumDef, open: bool) -> Result<(), CodegenError> {
    let mut seen = BTreeSet::new();
    for value in &e.values {
        let case = member_name(&value.name);
        if open && case == UNKNOWN_CASE {
            return Err(unsupported(
                def,
                &def.pointer,
                format!("value `{}` clashes with the `{UNKNOWN_CASE}` case that keeps unlisted values", value.wire),
            ));
        }
        // Members every enum of this shape declares or inherits; a case of the same name would not compile.
        if ["rawValue", "isUnknown", "hashValue", "allCases"].contains(&case.as_str()) {
            return Err(unsupported(
                def,
                &def.pointer,
                format!("value `{}` clashes with the enum member `{case}`", value.wire),
            ));
        }
        if !seen.insert(case.clone()) {
            return Err(unsupported(def, &def.pointer, format!("two values map to the Swift case `{case}`")));
        }
    }
    Ok(())
}

/// A string enum that keeps values it does not list in `unknown(String)`, so a newer server never breaks an
/// older app. Equality and hashing go by the wire value, so `.unknown("completed") == .completed`.
pub(crate) fn render_open_enum(def: &TypeDef, e: &StringEnumDef, code: &mut Code) -> Result<(), CodegenError> {
    check_case_names(def, e, true)?;
    code.open(format!("public enum {}: OpenStringEnum, Codable, Sendable, Hashable", def.name));
    for value in &e.values {
        code.doc(&format!("`{}`", value.wire));
        code.line(format!("case {}", member_ident(&value.name)));
    }
    code.doc("A value this contract version does not list, kept as sent.");
    code.line(format!("case {UNKNOWN_CASE}(String)"));

    code.blank();
    code.doc("The case of `rawValue`; values the contract does not list become `unknown`.");
    code.open("public init(rawValue: String)");
    code.open("switch rawValue");
    for value in &e.values {
        code.case_label(format!("case {}:", string_literal(&value.wire)));
        code.line(format!("self = .{}", member_ident(&value.name)));
    }
    code.case_label("default:");
    code.line(format!("self = .{UNKNOWN_CASE}(rawValue)"));
    code.close();
    code.close();

    code.blank();
    code.doc("The wire value.");
    code.open("public var rawValue: String");
    code.open("switch self");
    for value in &e.values {
        code.case_label(format!("case .{}:", member_ident(&value.name)));
        code.line(format!("return {}", string_literal(&value.wire)));
    }
    code.case_label(format!("case .{UNKNOWN_CASE}(let value):"));
    code.line("return value");
    code.close();
    code.close();

    code.blank();
    code.doc("True for a value the contract does not list.");
    code.open("public var isUnknown: Bool");
    code.open(format!("if case .{UNKNOWN_CASE} = self"));
    code.line("return true");
    code.close();
    code.line("return false");
    code.close();

    code.blank();
    code.open("public init(from decoder: any Decoder) throws");
    code.line("let container = try decoder.singleValueContainer()");
    code.line("let rawValue = try container.decode(String.self)");
    code.line("self.init(rawValue: rawValue)");
    code.close();

    code.blank();
    code.open("public func encode(to encoder: any Encoder) throws");
    code.line("var container = encoder.singleValueContainer()");
    code.line("try container.encode(rawValue)");
    code.close();

    code.blank();
    code.open("public static func == (lhs: Self, rhs: Self) -> Bool");
    code.line("lhs.rawValue == rhs.rawValue");
    code.close();

    code.blank();
    code.open("public func hash(into hasher: inout Hasher)");
    code.line("hasher.combine(rawValue)");
    code.close();
    code.close();
    Ok(())
}
