//! Constraint-checked newtypes: a struct around a `String` or `Int64` whose initializers and decoder reject
//! values that break the schema's pattern, length, range or exclusions.

use handoff_schema::{NewtypeDef, Primitive, TypeDef};

use super::code::{Code, string_literal};

/// A primitive wrapped with the schema's constraints, checked by the throwing initializer and on decode.
pub(crate) fn render_newtype(def: &TypeDef, n: &NewtypeDef, code: &mut Code) {
    let name = &def.name;
    let c = &n.constraints;
    let (raw, description) = match n.base {
        Primitive::String => ("String", "rawValue"),
        Primitive::Integer => ("Int64", "String(rawValue)"),
    };
    code.open(format!("public struct {name}: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible"));
    code.doc("The value, which meets every constraint of the type.");
    code.line(format!("public let rawValue: {raw}"));

    code.blank();
    code.doc("Checks `value` against the schema's constraints.");
    code.open(format!("public init(_ value: {raw}) throws"));
    code.open("if let reason = Self.violation(in: value)");
    code.line(format!(
        "throw ContractConstraintError(typeName: {}, value: {}, reason: reason)",
        string_literal(name),
        match n.base {
            Primitive::String => "value",
            Primitive::Integer => "String(value)",
        }
    ));
    code.close();
    code.line("self.rawValue = value");
    code.close();

    code.blank();
    code.doc("nil when `rawValue` breaks a constraint of the type.");
    code.open(format!("public init?(rawValue: {raw})"));
    code.open("guard Self.violation(in: rawValue) == nil else");
    code.line("return nil");
    code.close();
    code.line("self.rawValue = rawValue");
    code.close();

    code.blank();
    code.doc("What is wrong with `value`, or nil when it meets every constraint.");
    code.open(format!("static func violation(in value: {raw}) -> String?"));
    match n.base {
        Primitive::String => {
            let length_check = match (c.min_length, c.max_length) {
                (Some(min), Some(max)) => Some((
                    format!("length < {min} || length > {max}"),
                    format!("must be {min} to {max} characters long"),
                )),
                (Some(min), None) => {
                    Some((format!("length < {min}"), format!("must be at least {min} characters long")))
                }
                (None, Some(max)) => {
                    Some((format!("length > {max}"), format!("must be at most {max} characters long")))
                }
                (None, None) => None,
            };
            if let Some((condition, reason)) = length_check {
                // JSON Schema counts Unicode scalar values, not grapheme clusters.
                code.line("let length = value.unicodeScalars.count");
                violation_check(code, &condition, &reason);
            }
            if let Some(pattern) = &c.pattern {
                let condition = format!("!value.matchesWhole(pattern: {})", string_literal(pattern));
                violation_check(code, &condition, &format!("must match {pattern}"));
            }
            if !c.excluded.is_empty() {
                let list: Vec<String> = c.excluded.iter().map(|v| string_literal(v)).collect();
                let condition = format!("[{}].contains(value)", list.join(", "));
                violation_check(code, &condition, &format!("must not be one of {}", c.excluded.join(", ")));
            }
        }
        Primitive::Integer => match (c.minimum, c.maximum) {
            (Some(min), Some(max)) => violation_check(
                code,
                &format!("value < {min} || value > {max}"),
                &format!("must be between {min} and {max}"),
            ),
            (Some(min), None) => violation_check(code, &format!("value < {min}"), &format!("must be at least {min}")),
            (None, Some(max)) => violation_check(code, &format!("value > {max}"), &format!("must be at most {max}")),
            (None, None) => {}
        },
    }
    code.line("return nil");
    code.close();

    code.blank();
    code.open("public init(from decoder: any Decoder) throws");
    code.line("let container = try decoder.singleValueContainer()");
    code.line(format!("let value = try container.decode({raw}.self)"));
    code.open("if let reason = Self.violation(in: value)");
    code.line("throw DecodingError.dataCorruptedError(");
    code.indented(|code| {
        code.line("in: container,");
        code.line(format!("debugDescription: \"invalid {name} \\(String(reflecting: value)): \\(reason)\""));
    });
    code.line(")");
    code.close();
    code.line("self.rawValue = value");
    code.close();

    code.blank();
    code.open("public func encode(to encoder: any Encoder) throws");
    code.line("var container = encoder.singleValueContainer()");
    code.line("try container.encode(rawValue)");
    code.close();

    code.blank();
    code.open("public var description: String");
    code.line(description);
    code.close();
    code.close();
}

fn violation_check(code: &mut Code, condition: &str, reason: &str) {
    code.open(format!("if {condition}"));
    code.line(format!("return {}", string_literal(reason)));
    code.close();
}
