//! One Swift declaration per IR type: structs with explicit `Codable` conformances, open string enums,
//! tagged and untagged unions, constraint-checked newtypes and typealiases.
//!
//! Every struct writes its own `init(from:)` and `encode(to:)` rather than relying on synthesis: open
//! objects keep unknown members, closed ones reject them, legacy aliases are read, and any-JSON members keep
//! an explicit `null`. Synthesis can do none of that.

use std::collections::BTreeSet;

use handoff_schema::{
    EnumOrigin, Field, Ir, NewtypeDef, Presence, Primitive, StringEnumDef, StructDef, TaggedUnionDef, TypeDef,
    TypeKind, TypeRef, UntaggedUnionDef,
};

use super::code::{Code, string_literal};
use super::names::{RESERVED_TYPE_NAMES, member_ident, member_name};
use crate::CodegenError;

const BACKEND: &str = "swift";
/// Property that keeps the unknown members of open objects.
pub(crate) const EXTRA_PROPERTY: &str = "extra";
/// Case of an open enum or open tagged union that holds every value the contract does not list.
pub(crate) const UNKNOWN_CASE: &str = "unknown";

fn unsupported(def: &TypeDef, pointer: &str, reason: String) -> CodegenError {
    CodegenError::Unsupported { backend: BACKEND, type_name: def.name.clone(), pointer: pointer.to_owned(), reason }
}

/// The Swift spelling of a type reference.
pub(crate) fn swift_type(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Named(name) => name.clone(),
        TypeRef::String => "String".to_owned(),
        TypeRef::Integer => "Int64".to_owned(),
        TypeRef::Number => "Double".to_owned(),
        TypeRef::Boolean => "Bool".to_owned(),
        TypeRef::Array(item) => format!("[{}]", swift_type(item)),
        TypeRef::Map(value) => format!("[String: {}]", swift_type(value)),
        TypeRef::Any => "JSONValue".to_owned(),
    }
}

/// The Swift type of a struct member: optional unless the member is required and non-null.
pub(crate) fn property_type(field: &Field) -> String {
    let base = swift_type(&field.ty);
    if field.presence.is_optional_in_code() { format!("{base}?") } else { base }
}

/// Renders `def` into `code`.
pub(crate) fn render(ir: &Ir, def: &TypeDef, code: &mut Code) -> Result<(), CodegenError> {
    if RESERVED_TYPE_NAMES.contains(&def.name.as_str()) || super::names::is_keyword(&def.name) {
        return Err(unsupported(
            def,
            &def.pointer,
            format!("`{}` clashes with a name the Swift package relies on; rename the def", def.name),
        ));
    }
    code.doc_with_pointer(&def.doc, &def.pointer);
    match &def.kind {
        TypeKind::Struct(s) => render_struct(ir, def, s, code),
        TypeKind::StringEnum(e) if e.origin == EnumOrigin::Const => render_const_enum(def, e, code),
        TypeKind::StringEnum(e) => render_open_enum(def, e, code),
        TypeKind::TaggedUnion(u) => render_tagged_union(def, u, code),
        TypeKind::UntaggedUnion(u) => render_untagged_union(def, u, code),
        TypeKind::Newtype(n) => {
            render_newtype(def, n, code);
            Ok(())
        }
        TypeKind::Alias(ty) => {
            code.line(format!("public typealias {} = {}", def.name, swift_type(ty)));
            Ok(())
        }
    }
}

/// The one value of a `const` tag member's type, as a Swift case (`.handoffRequest`), when `field` is one.
fn tag_default(ir: &Ir, field: &Field) -> Option<String> {
    let TypeRef::Named(name) = &field.ty else { return None };
    match &ir.type_def(name).kind {
        TypeKind::StringEnum(e) if e.origin == EnumOrigin::Const && field.presence == Presence::Required => {
            e.values.first().map(|v| format!(".{}", member_ident(&v.name)))
        }
        _ => None,
    }
}

fn render_struct(ir: &Ir, def: &TypeDef, s: &StructDef, code: &mut Code) -> Result<(), CodegenError> {
    let mut seen = BTreeSet::new();
    for field in &s.fields {
        let swift_name = member_name(&field.name);
        if swift_name == EXTRA_PROPERTY && !s.closed {
            return Err(unsupported(
                def,
                &field.pointer,
                format!("member name `{EXTRA_PROPERTY}` is reserved for the unknown members of open objects"),
            ));
        }
        if !seen.insert(swift_name.clone()) {
            return Err(unsupported(def, &field.pointer, format!("two members map to the Swift name `{swift_name}`")));
        }
    }
    let name = &def.name;
    code.open(format!("public struct {name}: Codable, Sendable, Hashable"));
    for field in &s.fields {
        code.doc_with_pointer(&field.doc, &field.pointer);
        code.line(format!("public var {}: {}", member_ident(&field.name), property_type(field)));
    }
    if !s.closed {
        code.doc("Members this contract version does not model, kept so a decode/encode round trip loses nothing.");
        code.line(format!("public var {EXTRA_PROPERTY}: [String: JSONValue]"));
    }

    code.blank();
    render_memberwise_init(ir, s, code);

    if !s.fields.is_empty() {
        code.blank();
        code.doc("The members' names on the wire.");
        code.open("public enum CodingKeys: String, CodingKey, CaseIterable");
        for field in &s.fields {
            code.line(format!("case {} = {}", member_ident(&field.name), string_literal(&field.wire_name)));
        }
        code.close();
    }

    code.blank();
    let known: BTreeSet<&str> = s
        .fields
        .iter()
        .flat_map(|f| std::iter::once(f.wire_name.as_str()).chain(f.aliases.iter().map(String::as_str)))
        .collect();
    let known_list: Vec<String> = known.iter().map(|k| string_literal(k)).collect();
    code.doc(if s.closed {
        "Member names this closed object accepts, aliases included; any other member is a decoding error."
    } else {
        "Member names the properties read, aliases included; every other member goes to `extra`."
    });
    code.line(format!("static let knownMembers: Set<String> = [{}]", known_list.join(", ")));

    code.blank();
    code.open("public init(from decoder: any Decoder) throws");
    if s.closed {
        code.line(format!(
            "try decoder.rejectUnknownMembers(known: Self.knownMembers, typeName: {})",
            string_literal(name)
        ));
    }
    if !s.fields.is_empty() {
        code.line("let container = try decoder.container(keyedBy: CodingKeys.self)");
    }
    for field in &s.fields {
        code.line(format!("self.{} = {}", member_ident(&field.name), decode_expression(field)));
    }
    if !s.closed {
        code.line(format!("self.{EXTRA_PROPERTY} = try decoder.unknownMembers(known: Self.knownMembers)"));
    }
    code.close();

    code.blank();
    code.open("public func encode(to encoder: any Encoder) throws");
    if s.fields.is_empty() {
        // An object with no members still encodes as `{}`, not as nothing.
        code.line("_ = encoder.container(keyedBy: AnyCodingKey.self)");
    } else {
        code.line("var container = encoder.container(keyedBy: CodingKeys.self)");
    }
    for field in &s.fields {
        let ident = member_ident(&field.name);
        match field.presence {
            Presence::Required => code.line(format!("try container.encode(self.{ident}, forKey: .{ident})")),
            Presence::Optional | Presence::OptionalNullable => {
                code.line(format!("try container.encodeIfPresent(self.{ident}, forKey: .{ident})"))
            }
            // Must be present: nil is written as an explicit null.
            Presence::RequiredNullable => {
                code.open(format!("if let value = self.{ident}"));
                code.line(format!("try container.encode(value, forKey: .{ident})"));
                code.close_with(" else {");
                code.indented(|code| code.line(format!("try container.encodeNil(forKey: .{ident})")));
                code.line("}");
            }
        }
    }
    if !s.closed {
        code.line(format!("try encoder.encodeUnknownMembers(self.{EXTRA_PROPERTY}, known: Self.knownMembers)"));
    }
    code.close();
    code.close();
    Ok(())
}

/// The public memberwise initializer: optional members default to nil, `const` tags to their one value,
/// `extra` to empty.
fn render_memberwise_init(ir: &Ir, s: &StructDef, code: &mut Code) {
    let mut params = Vec::new();
    for field in &s.fields {
        let ident = member_ident(&field.name);
        let ty = property_type(field);
        let default = match tag_default(ir, field) {
            Some(tag) => format!(" = {tag}"),
            None if field.presence.is_optional_in_code() => " = nil".to_owned(),
            None => String::new(),
        };
        params.push(format!("{ident}: {ty}{default}"));
    }
    if !s.closed {
        params.push(format!("{EXTRA_PROPERTY}: [String: JSONValue] = [:]"));
    }
    code.doc("Creates a value from its members; optional members default to nil.");
    if params.is_empty() {
        code.line("public init() {}");
        return;
    }
    code.line("public init(");
    code.indented(|code| {
        let last = params.len() - 1;
        for (index, param) in params.iter().enumerate() {
            code.line(if index == last { param.clone() } else { format!("{param},") });
        }
    });
    code.open(")");
    for field in &s.fields {
        let ident = member_ident(&field.name);
        code.line(format!("self.{ident} = {ident}"));
    }
    if !s.closed {
        code.line(format!("self.{EXTRA_PROPERTY} = {EXTRA_PROPERTY}"));
    }
    code.close();
}

/// The right-hand side that decodes `field` from `container` (keyed by `CodingKeys`).
fn decode_expression(field: &Field) -> String {
    let key = format!(".{}", member_ident(&field.name));
    let base = swift_type(&field.ty);
    let aliases = if field.aliases.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = field.aliases.iter().map(|a| string_literal(a)).collect();
        format!(", aliases: [{}], decoder: decoder", list.join(", "))
    };
    match field.presence {
        Presence::Required => format!("try container.decode({base}.self, forKey: {key}{aliases})"),
        // Must be present; decoding `T?` turns null into nil and a missing key into an error.
        Presence::RequiredNullable => format!("try container.decode({base}?.self, forKey: {key}{aliases})"),
        // An any-JSON member keeps an explicit null (`.null`); only absence is nil.
        Presence::Optional | Presence::OptionalNullable if field.ty == TypeRef::Any && field.aliases.is_empty() => {
            format!("try container.decodeJSONIfPresent(forKey: {key})")
        }
        Presence::Optional | Presence::OptionalNullable => {
            format!("try container.decodeIfPresent({base}.self, forKey: {key}{aliases})")
        }
    }
}

/// A one-value enum made from a `const` member (a union variant's tag): a raw-value enum, so decoding any
/// other value fails with a `DecodingError` naming it.
fn render_const_enum(def: &TypeDef, e: &StringEnumDef, code: &mut Code) -> Result<(), CodegenError> {
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
fn render_open_enum(def: &TypeDef, e: &StringEnumDef, code: &mut Code) -> Result<(), CodegenError> {
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

/// A union of structs told apart by a string member: decoded by reading the tag first, then the whole
/// object as the variant's struct (which keeps the tag). Open unions send other tags to the fallback struct.
fn render_tagged_union(def: &TypeDef, u: &TaggedUnionDef, code: &mut Code) -> Result<(), CodegenError> {
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
fn render_untagged_union(def: &TypeDef, u: &UntaggedUnionDef, code: &mut Code) -> Result<(), CodegenError> {
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

/// A primitive wrapped with the schema's constraints, checked by the throwing initializer and on decode.
fn render_newtype(def: &TypeDef, n: &NewtypeDef, code: &mut Code) {
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
