//! IR types → TypeScript declarations: interfaces for structs, string-literal unions for enums, unions of the
//! variant interfaces for tagged unions, and documented `string`/`number` aliases for constrained newtypes
//! (their constraints are checked by the guards, not the type checker).

use std::collections::BTreeMap;

use handoff_schema::{Constraints, Ir, NewtypeDef, Presence, Primitive, StructDef, TypeDef, TypeKind};

use super::text::{doc_comment, property_key, string_literal, type_expr};
use handoff_schema::Group;

/// The `src/<module>.ts` file of one group: imports of the types it uses from other groups, then its types.
pub(crate) fn group_file(ir: &Ir, group: Group, placement: &BTreeMap<String, Group>) -> String {
    let members: Vec<&TypeDef> = ir.types.values().filter(|def| placement[&def.name] == group).collect();
    let foreign: Vec<&str> =
        members.iter().flat_map(|def| def.kind.references()).filter(|name| placement[*name] != group).collect();
    let mut out = format!("// {}\n", group.summary());
    if !foreign.is_empty() {
        out.push('\n');
        out.push_str(&super::type_imports(foreign.into_iter(), placement));
    }
    for def in members {
        out.push('\n');
        out.push_str(&declaration(def));
    }
    out
}

/// One exported declaration with its doc comment (description, then the schema pointer it comes from).
fn declaration(def: &TypeDef) -> String {
    let mut doc = def.doc.trim().to_owned();
    if let Some(note) = kind_note(def) {
        doc = if doc.is_empty() { note } else { format!("{doc}\n\n{note}") };
    }
    doc = if doc.is_empty() {
        format!("Schema: `{}`.", def.pointer)
    } else {
        format!("{doc}\n\nSchema: `{}`.", def.pointer)
    };
    let name = &def.name;
    let body = match &def.kind {
        TypeKind::Struct(s) => struct_declaration(name, s),
        TypeKind::StringEnum(e) => {
            let mut values: Vec<String> = e.values.iter().map(|v| string_literal(&v.wire)).collect();
            // Open enums keep values this contract version does not list; `string & {}` admits them while
            // editors still offer the listed ones.
            if e.openness.is_open() {
                values.push("(string & {})".to_owned());
            }
            format!("export type {name} = {};\n", values.join(" | "))
        }
        TypeKind::TaggedUnion(u) => {
            let mut members: Vec<&str> = u.variants.iter().map(|v| v.type_name.as_str()).collect();
            members.extend(u.fallback.as_deref());
            format!("export type {name} = {};\n", members.join(" | "))
        }
        TypeKind::UntaggedUnion(u) => {
            let members: Vec<String> = u.variants.iter().map(|v| type_expr(&v.ty)).collect();
            format!("export type {name} = {};\n", members.join(" | "))
        }
        TypeKind::Newtype(n) => format!("export type {name} = {};\n", primitive(n.base)),
        TypeKind::Alias(ty) => format!("export type {name} = {};\n", type_expr(ty)),
    };
    format!("{}{body}", doc_comment("", &doc))
}

fn struct_declaration(name: &str, s: &StructDef) -> String {
    if s.fields.is_empty() && s.closed {
        // `{}` would accept any non-null value; a closed object without members accepts only `{}`.
        return format!("export type {name} = Record<string, never>;\n");
    }
    let mut out = format!("export interface {name} {{\n");
    for field in &s.fields {
        out.push_str(&doc_comment("  ", &field.doc));
        let ty = type_expr(&field.ty);
        // Absent and null differ on the wire, so they differ here: `?` for absent, `| null` for null.
        let member = match field.presence {
            Presence::Required => format!("{}: {ty};", property_key(&field.wire_name)),
            Presence::Optional => format!("{}?: {ty};", property_key(&field.wire_name)),
            Presence::RequiredNullable => format!("{}: {ty} | null;", property_key(&field.wire_name)),
            Presence::OptionalNullable => format!("{}?: {ty} | null;", property_key(&field.wire_name)),
        };
        out.push_str(&format!("  {member}\n"));
    }
    out.push_str("}\n");
    out
}

/// What the TypeScript type alone cannot say, spelled out for the reader.
fn kind_note(def: &TypeDef) -> Option<String> {
    let guard = format!("`is{}`", def.name);
    match &def.kind {
        TypeKind::Struct(s) if s.closed => Some(format!("Closed object: unknown members are rejected by {guard}.")),
        TypeKind::Struct(_) => {
            Some("Open object: the app-server adds members over time; unknown members are allowed.".to_owned())
        }
        TypeKind::TaggedUnion(u) => {
            let tag = &u.tag;
            Some(match &u.fallback {
                Some(fallback) => format!(
                    "Discriminated by `{tag}`. Open: `{fallback}` takes every other `{tag}` value, so a plain \
                     `{tag}` comparison does not narrow; use the variants' `is…` guards."
                ),
                None => format!("Discriminated by `{tag}`; closed (an unknown `{tag}` value is rejected)."),
            })
        }
        TypeKind::Newtype(n) => constraint_note(n).map(|c| format!("Constraints, checked by {guard}: {c}.")),
        TypeKind::StringEnum(_) | TypeKind::UntaggedUnion(_) | TypeKind::Alias(_) => None,
    }
}

fn constraint_note(n: &NewtypeDef) -> Option<String> {
    let Constraints { min_length, max_length, pattern, minimum, maximum, excluded } = &n.constraints;
    let mut parts = Vec::new();
    match (min_length, max_length) {
        (Some(min), Some(max)) => parts.push(format!("{min} to {max} characters")),
        (Some(min), None) => parts.push(format!("at least {min} characters")),
        (None, Some(max)) => parts.push(format!("at most {max} characters")),
        (None, None) => {}
    }
    if let Some(pattern) = pattern {
        parts.push(format!("matches `{pattern}`"));
    }
    match (minimum, maximum) {
        (Some(min), Some(max)) => parts.push(format!("{min} to {max}")),
        (Some(min), None) => parts.push(format!("at least {min}")),
        (None, Some(max)) => parts.push(format!("at most {max}")),
        (None, None) => {}
    }
    if !excluded.is_empty() {
        let values: Vec<String> = excluded.iter().map(|v| format!("`{v}`")).collect();
        parts.push(format!("not {}", values.join(" or ")));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn primitive(base: Primitive) -> &'static str {
    match base {
        Primitive::String => "string",
        Primitive::Integer => "number",
    }
}
