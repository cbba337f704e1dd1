//! Structs: explicit `Codable` conformances. Every struct writes its own `init(from:)` and `encode(to:)`
//! rather than relying on synthesis: open objects keep unknown members, closed ones reject them, legacy
//! aliases are read, and any-JSON members keep an explicit `null`. Synthesis can do none of that.

use std::collections::BTreeSet;

use handoff_schema::{EnumOrigin, Field, Ir, Presence, StructDef, TypeDef, TypeKind, TypeRef};

use super::code::{Code, string_literal};
use super::names::{member_ident, member_name};
use super::types::{EXTRA_PROPERTY, property_type, swift_type, unsupported};
use crate::CodegenError;

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

pub(crate) fn render_struct(ir: &Ir, def: &TypeDef, s: &StructDef, code: &mut Code) -> Result<(), CodegenError> {
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
        // Absent is nil; an explicit null only where the schema allows it (the other languages refuse it too).
        Presence::Optional | Presence::OptionalNullable => {
            let nullable = field.presence == Presence::OptionalNullable;
            let aliases = aliases.replace(", decoder: decoder", "");
            let decoder = if field.aliases.is_empty() { "" } else { ", decoder: decoder" };
            format!("try container.decodeIfPresent({base}.self, forKey: {key}{aliases}, nullable: {nullable}{decoder})")
        }
    }
}
