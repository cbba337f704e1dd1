//! Schema JSON → IR. One pass over `$defs`, then the `x-rpc` table and the realtime tools.
//!
//! The accepted subset of JSON Schema is deliberately small: every construct here has a faithful rendering in
//! each backend. Anything else is an [`SchemaError::Unsupported`] naming its pointer, never a silent
//! fallback to "any JSON".

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::error::SchemaError;
use crate::ir::*;
use crate::names;

type Result<T> = std::result::Result<T, SchemaError>;

const ROOT_KEYWORDS: &[&str] =
    &["$schema", "$id", "title", "description", "x-version", "x-realtime-tools", "x-rpc", "$defs"];
/// Annotations the lowering ignores. The `x-upstream*` and `x-origin` ones tie the contract to the tracked Codex
/// release; `cargo xtask upstream` reads them (README "Tracking the Codex release").
const ANNOTATIONS: &[&str] =
    &["description", "title", "examples", "$comment", "x-origin", "x-upstream", "x-upstream-differs"];
const STRUCT_KEYWORDS: &[&str] = &["type", "properties", "required", "additionalProperties"];
const MEMBER_EXTRAS: &[&str] = &["x-aliases", "default"];

pub fn lower(doc: &Value) -> Result<Ir> {
    let root = doc.as_object().ok_or_else(|| SchemaError::invalid("", "the schema document must be an object"))?;
    check_keywords(root, "", ROOT_KEYWORDS, &[])?;
    let dialect = root.get("$schema").and_then(Value::as_str);
    if dialect != Some("https://json-schema.org/draft/2020-12/schema") {
        return Err(SchemaError::invalid("/$schema", "must be \"https://json-schema.org/draft/2020-12/schema\""));
    }
    let title = required_str(root, "", "title")?.to_owned();
    let description = required_str(root, "", "description")?.to_owned();
    let version = required_str(root, "", "x-version")?.to_owned();
    if !is_semver(&version) {
        return Err(SchemaError::invalid("/x-version", format!("`{version}` is not a MAJOR.MINOR.PATCH version")));
    }
    let defs = root
        .get("$defs")
        .and_then(Value::as_object)
        .ok_or_else(|| SchemaError::invalid("/$defs", "the schema must define its types under `$defs`"))?;

    let mut lowering = Lowering { defs, types: BTreeMap::new(), closed: BTreeSet::new() };
    for (name, node) in defs {
        let pointer = format!("/$defs/{}", escape(name));
        if !names::is_upper_camel(name) {
            return Err(SchemaError::invalid(&pointer, "type names must be UpperCamelCase ASCII letters and digits"));
        }
        lowering.lower_def(name, node, &pointer)?;
    }
    crate::groups::assign(&mut lowering.types);
    let methods = lower_rpc(root.get("x-rpc"), &lowering.types)?;
    let realtime_tools = lower_tools(root.get("x-realtime-tools"), &lowering.types)?;
    let mut ir = Ir { title, description, version, types: lowering.types, methods, realtime_tools };
    apply_openness(&mut ir, &lowering.closed)?;
    Ok(ir)
}

/// Sets [`Openness`] by the policy: listed enums the client decodes are open unless the schema closes them
/// (`x-closed`); tagged unions the client decodes need a fallback branch unless closed.
fn apply_openness(ir: &mut Ir, closed: &BTreeSet<String>) -> Result<()> {
    let usage = ir.usage();
    for def in ir.types.values_mut() {
        let decoded = usage.get(&def.name).is_some_and(|u| u.decoded);
        let closes = closed.contains(&def.name);
        match &mut def.kind {
            TypeKind::StringEnum(e) if e.origin == EnumOrigin::Enum => {
                e.openness = if decoded && !closes { Openness::Open } else { Openness::Closed };
                if e.openness.is_open()
                    && let Some(value) = e.values.iter().find(|v| v.name == UNKNOWN_CASE)
                {
                    return Err(SchemaError::unsupported(
                        &format!("{}/enum", def.pointer),
                        format!(
                            "value `{}` of an open enum is named like the `{UNKNOWN_CASE}` case that keeps unlisted values; close the enum with `\"x-closed\": true` or rename the value",
                            value.wire
                        ),
                    ));
                }
            }
            TypeKind::TaggedUnion(u) => {
                if decoded && !closes && u.fallback.is_none() {
                    return Err(SchemaError::unsupported(
                        &format!("{}/oneOf", def.pointer),
                        "the client decodes this union, so it needs a fallback branch for tags it does not list (`not: {enum: [...]}` on the tag), or `\"x-closed\": true` to close it",
                    ));
                }
                if closes && u.fallback.is_some() {
                    return Err(SchemaError::invalid(
                        &def.pointer,
                        "`x-closed` on a union that has a fallback branch: remove one of them",
                    ));
                }
                if u.fallback.is_some()
                    && let Some(variant) = u.variants.iter().find(|v| v.name == UNKNOWN_CASE)
                {
                    return Err(SchemaError::unsupported(
                        &format!("{}/oneOf", def.pointer),
                        format!(
                            "tag `{}` is named like the `{UNKNOWN_CASE}` case of the fallback branch",
                            variant.tag_value
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

struct Lowering<'a> {
    defs: &'a Map<String, Value>,
    types: BTreeMap<String, TypeDef>,
    /// Defs the schema closes with `"x-closed": true`.
    closed: BTreeSet<String>,
}

impl Lowering<'_> {
    fn lower_def(&mut self, name: &str, node: &Value, pointer: &str) -> Result<()> {
        let obj = as_object(node, pointer)?;
        let doc = description(obj, pointer)?;
        match obj.get("x-closed") {
            None => {}
            Some(Value::Bool(true)) if obj.contains_key("oneOf") || obj.contains_key("enum") => {
                self.closed.insert(name.to_owned());
            }
            Some(_) => {
                return Err(SchemaError::invalid(
                    &format!("{pointer}/x-closed"),
                    "must be `true`, on a string enum or a tagged union",
                ));
            }
        }
        let kind = if obj.contains_key("oneOf") {
            check_keywords(obj, pointer, &["oneOf"], &["x-closed"])?;
            TypeKind::TaggedUnion(self.tagged_union(obj, pointer)?)
        } else if obj.contains_key("anyOf") {
            check_keywords(obj, pointer, &["anyOf"], &[])?;
            TypeKind::UntaggedUnion(self.untagged_union(obj, pointer)?)
        } else if obj.contains_key("$ref") {
            return Err(SchemaError::unsupported(pointer, "a def that only refers to another def; use that def"));
        } else {
            match obj.get("type").and_then(Value::as_str) {
                Some("object") if obj.contains_key("properties") => {
                    TypeKind::Struct(self.struct_def(name, obj, pointer)?)
                }
                Some("string") if obj.contains_key("enum") => {
                    check_keywords(obj, pointer, &["type", "enum"], &["x-closed"])?;
                    TypeKind::StringEnum(string_enum(obj, pointer)?)
                }
                Some("string") if has_any(obj, &["minLength", "maxLength", "pattern"]) => {
                    check_keywords(obj, pointer, &["type", "minLength", "maxLength", "pattern"], &[])?;
                    TypeKind::Newtype(NewtypeDef {
                        base: Primitive::String,
                        constraints: string_constraints(obj, pointer)?,
                    })
                }
                Some("integer") if has_any(obj, &["minimum", "maximum"]) => {
                    check_keywords(obj, pointer, &["type", "format", "minimum", "maximum"], &[])?;
                    TypeKind::Newtype(NewtypeDef {
                        base: Primitive::Integer,
                        constraints: integer_constraints(obj, pointer)?,
                    })
                }
                _ => {
                    let (ty, nullable) = self.type_ref(obj, pointer)?;
                    if nullable {
                        return Err(SchemaError::unsupported(
                            pointer,
                            "a nullable def; make the members that use it nullable instead",
                        ));
                    }
                    TypeKind::Alias(ty)
                }
            }
        };
        self.insert(
            TypeDef {
                name: name.to_owned(),
                doc,
                pointer: pointer.to_owned(),
                synthesized: false,
                group: Group::Common,
                kind,
            },
            pointer,
        )
    }

    fn insert(&mut self, def: TypeDef, pointer: &str) -> Result<()> {
        if self.types.contains_key(&def.name) || (def.synthesized && self.defs.contains_key(&def.name)) {
            return Err(SchemaError::invalid(
                pointer,
                format!("type name `{}` is taken twice (a def and a synthesized member type)", def.name),
            ));
        }
        self.types.insert(def.name.clone(), def);
        Ok(())
    }

    fn struct_def(&mut self, name: &str, obj: &Map<String, Value>, pointer: &str) -> Result<StructDef> {
        check_keywords(obj, pointer, STRUCT_KEYWORDS, &[])?;
        let closed = match obj.get("additionalProperties") {
            None | Some(Value::Bool(true)) => false,
            Some(Value::Bool(false)) => true,
            Some(_) => {
                return Err(SchemaError::unsupported(
                    &format!("{pointer}/additionalProperties"),
                    "a schema for additional members of an object that also has named members",
                ));
            }
        };
        let properties = as_object(&obj["properties"], &format!("{pointer}/properties"))?;
        let required = required_names(obj, properties, pointer)?;
        let mut fields = Vec::with_capacity(properties.len());
        let mut seen_names = BTreeMap::new();
        for (wire, node) in properties {
            let field_pointer = format!("{pointer}/properties/{}", escape(wire));
            let field = self.field(name, wire, node, required.contains(wire.as_str()), &field_pointer)?;
            if let Some(other) = seen_names.insert(field.name.clone(), wire.clone()) {
                return Err(SchemaError::invalid(
                    &field_pointer,
                    format!("members `{other}` and `{wire}` get the same name `{}` in code", field.name),
                ));
            }
            fields.push(field);
        }
        Ok(StructDef { fields, closed })
    }

    fn field(&mut self, parent: &str, wire: &str, node: &Value, required: bool, pointer: &str) -> Result<Field> {
        let obj = as_object(node, pointer)?;
        let doc = description(obj, pointer)?;
        let aliases = aliases(obj, pointer)?;
        let (ty, nullable) = if let Some(value) = obj.get("const") {
            check_keywords(obj, pointer, &["const"], MEMBER_EXTRAS)?;
            let value = value.as_str().ok_or_else(|| {
                SchemaError::unsupported(&format!("{pointer}/const"), "a `const` that is not a string")
            })?;
            let name = names::synthesized_type(parent, wire);
            let values =
                vec![EnumValue { wire: value.to_owned(), name: value_name(value, &format!("{pointer}/const"))? }];
            let kind =
                TypeKind::StringEnum(StringEnumDef { values, origin: EnumOrigin::Const, openness: Openness::Closed });
            self.insert(
                TypeDef {
                    name: name.clone(),
                    doc: doc.clone(),
                    pointer: pointer.to_owned(),
                    synthesized: true,
                    group: Group::Common,
                    kind,
                },
                pointer,
            )?;
            (TypeRef::Named(name), false)
        } else if let Some(not) = obj.get("not") {
            check_keywords(obj, pointer, &["type", "not"], MEMBER_EXTRAS)?;
            if obj.get("type").and_then(Value::as_str) != Some("string") {
                return Err(SchemaError::unsupported(pointer, "`not` is only supported on a string member"));
            }
            let excluded = excluded_values(not, &format!("{pointer}/not"))?;
            let name = names::synthesized_type(parent, wire);
            let constraints = Constraints { excluded, ..Constraints::default() };
            let kind = TypeKind::Newtype(NewtypeDef { base: Primitive::String, constraints });
            self.insert(
                TypeDef {
                    name: name.clone(),
                    doc: doc.clone(),
                    pointer: pointer.to_owned(),
                    synthesized: true,
                    group: Group::Common,
                    kind,
                },
                pointer,
            )?;
            (TypeRef::Named(name), false)
        } else {
            self.type_ref(obj, pointer)?
        };
        let presence = match (required, nullable) {
            (true, false) => Presence::Required,
            (false, false) => Presence::Optional,
            (true, true) => Presence::RequiredNullable,
            (false, true) => Presence::OptionalNullable,
        };
        Ok(Field {
            wire_name: wire.to_owned(),
            name: names::neutral(wire),
            doc,
            ty,
            presence,
            default: obj.get("default").cloned(),
            aliases,
            pointer: pointer.to_owned(),
        })
    }

    /// The type of a member, an array item or a map value: a `$ref`, a primitive, an array, a map or any JSON.
    /// Returns whether `null` is also allowed.
    fn type_ref(&self, obj: &Map<String, Value>, pointer: &str) -> Result<(TypeRef, bool)> {
        if let Some(target) = obj.get("$ref") {
            check_keywords(obj, pointer, &["$ref"], MEMBER_EXTRAS)?;
            return Ok((TypeRef::Named(self.resolve_ref(target, &format!("{pointer}/$ref"))?), false));
        }
        if let Some(branches) = obj.get("anyOf") {
            check_keywords(obj, pointer, &["anyOf"], MEMBER_EXTRAS)?;
            let branches = branches.as_array().map(Vec::as_slice).unwrap_or_default();
            let (nulls, others): (Vec<_>, Vec<_>) = branches.iter().enumerate().partition(|(_, b)| is_null_schema(b));
            if nulls.len() != 1 || others.len() != 1 {
                return Err(SchemaError::unsupported(
                    &format!("{pointer}/anyOf"),
                    "`anyOf` in a member must be one type and `{\"type\":\"null\"}`; declare other unions under $defs",
                ));
            }
            let (index, branch) = others[0];
            let branch_pointer = format!("{pointer}/anyOf/{index}");
            let branch = as_object(branch, &branch_pointer)?;
            let (ty, _) = self.type_ref(branch, &branch_pointer)?;
            return Ok((ty, true));
        }
        let (type_name, nullable) = match obj.get("type") {
            None => {
                check_keywords(obj, pointer, &[], MEMBER_EXTRAS)?;
                return Ok((TypeRef::Any, false));
            }
            Some(Value::String(t)) => (t.as_str(), false),
            Some(Value::Array(types)) => match types.as_slice() {
                [Value::String(a), Value::String(b)] if b == "null" && a != "null" => (a.as_str(), true),
                [Value::String(a), Value::String(b)] if a == "null" && b != "null" => (b.as_str(), true),
                _ => {
                    return Err(SchemaError::unsupported(
                        &format!("{pointer}/type"),
                        "a type list other than [T, \"null\"]",
                    ));
                }
            },
            Some(_) => {
                return Err(SchemaError::invalid(&format!("{pointer}/type"), "`type` must be a string or an array"));
            }
        };
        let inline_hint = |what: &str| {
            SchemaError::unsupported(
                pointer,
                format!("an inline {what}; declare it under $defs and refer to it with $ref"),
            )
        };
        let ty = match type_name {
            "string" => {
                if obj.contains_key("enum") {
                    return Err(inline_hint("enum"));
                }
                if has_any(obj, &["minLength", "maxLength", "pattern"]) {
                    return Err(inline_hint("constrained string"));
                }
                check_keywords(obj, pointer, &["type", "format"], MEMBER_EXTRAS)?;
                TypeRef::String
            }
            "integer" => {
                if has_any(obj, &["minimum", "maximum"]) {
                    return Err(inline_hint("constrained integer"));
                }
                check_keywords(obj, pointer, &["type", "format"], MEMBER_EXTRAS)?;
                TypeRef::Integer
            }
            "number" => {
                check_keywords(obj, pointer, &["type", "format"], MEMBER_EXTRAS)?;
                TypeRef::Number
            }
            "boolean" => {
                check_keywords(obj, pointer, &["type"], MEMBER_EXTRAS)?;
                TypeRef::Boolean
            }
            "array" => {
                check_keywords(obj, pointer, &["type", "items"], MEMBER_EXTRAS)?;
                TypeRef::Array(Box::new(self.element(obj.get("items"), &format!("{pointer}/items"))?))
            }
            "object" => {
                if obj.contains_key("properties") {
                    return Err(inline_hint("object with members"));
                }
                check_keywords(obj, pointer, &["type", "additionalProperties"], MEMBER_EXTRAS)?;
                TypeRef::Map(Box::new(
                    self.element(obj.get("additionalProperties"), &format!("{pointer}/additionalProperties"))?,
                ))
            }
            other => return Err(SchemaError::unsupported(&format!("{pointer}/type"), format!("type `{other}` here"))),
        };
        Ok((ty, nullable))
    }

    /// Array items or map values: absent or `true` means any JSON.
    fn element(&self, node: Option<&Value>, pointer: &str) -> Result<TypeRef> {
        match node {
            None | Some(Value::Bool(true)) => Ok(TypeRef::Any),
            Some(Value::Object(obj)) => {
                let (ty, nullable) = self.type_ref(obj, pointer)?;
                if nullable {
                    return Err(SchemaError::unsupported(pointer, "nullable array items or map values"));
                }
                Ok(ty)
            }
            Some(_) => Err(SchemaError::unsupported(pointer, "only `true` or a schema object is supported here")),
        }
    }

    fn resolve_ref(&self, target: &Value, pointer: &str) -> Result<String> {
        let target = target.as_str().ok_or_else(|| SchemaError::invalid(pointer, "`$ref` must be a string"))?;
        let name = target.strip_prefix("#/$defs/").ok_or_else(|| {
            SchemaError::unsupported(pointer, format!("`{target}`: only local `#/$defs/Name` references"))
        })?;
        if !self.defs.contains_key(name) {
            return Err(SchemaError::invalid(pointer, format!("`{target}` names no def")));
        }
        Ok(name.to_owned())
    }

    /// `oneOf` of `$ref`s to object defs that share a string tag member: each variant fixes the tag with `const`,
    /// and at most one fallback variant takes every other value (`not: {enum: [the other tags]}`).
    fn tagged_union(&self, obj: &Map<String, Value>, pointer: &str) -> Result<TaggedUnionDef> {
        let shape_error = |reason: &str| {
            SchemaError::unsupported(
                &format!("{pointer}/oneOf"),
                format!("`oneOf` must be a tagged union of `$ref`s to object defs with a `const` tag member: {reason}"),
            )
        };
        let branches = obj["oneOf"].as_array().filter(|b| !b.is_empty()).ok_or_else(|| shape_error("no branches"))?;
        let mut targets = Vec::new();
        for (index, branch) in branches.iter().enumerate() {
            let branch_pointer = format!("{pointer}/oneOf/{index}");
            let branch = as_object(branch, &branch_pointer)?;
            check_keywords(branch, &branch_pointer, &["$ref"], &[])?;
            let target = branch.get("$ref").ok_or_else(|| shape_error(&format!("branch {index} is not a `$ref`")))?;
            let target = self.resolve_ref(target, &format!("{branch_pointer}/$ref"))?;
            targets.push(target);
        }
        let props = |name: &str| -> Option<&Map<String, Value>> {
            self.defs[name].get("properties").and_then(Value::as_object)
        };
        let is_required = |name: &str, member: &str| {
            self.defs[name].get("required").and_then(Value::as_array).is_some_and(|r| r.iter().any(|m| m == member))
        };
        // The tag is the first member (in name order) that every variant fixes with `const` or excludes with `not`.
        let first = props(&targets[0]).ok_or_else(|| shape_error("a branch is not an object def"))?;
        let tag = first
            .keys()
            .find(|member| {
                targets.iter().all(|t| {
                    props(t)
                        .and_then(|p| p.get(*member))
                        .is_some_and(|m| m.get("const").is_some() || m.get("not").is_some())
                        && is_required(t, member)
                })
            })
            .ok_or_else(|| shape_error("no required member is fixed by `const` in every branch"))?
            .clone();
        let mut variants = Vec::new();
        let mut fallback = None;
        for target in &targets {
            let member = &props(target).expect("checked above")[&tag];
            if let Some(value) = member.get("const").and_then(Value::as_str) {
                if variants.iter().any(|v: &TaggedVariant| v.tag_value == value) {
                    return Err(shape_error(&format!("tag value `{value}` is used twice")));
                }
                let at = format!("/$defs/{}/properties/{}/const", escape(target), escape(&tag));
                let name = value_name(value, &at)?;
                variants.push(TaggedVariant { tag_value: value.to_owned(), name, type_name: target.clone() });
            } else if fallback.replace(target.clone()).is_some() {
                return Err(shape_error("more than one fallback branch"));
            }
        }
        if let Some(fallback) = &fallback {
            let not = &props(fallback).expect("checked above")[&tag]["not"];
            let excluded: BTreeSet<_> = excluded_values(not, pointer)?.into_iter().collect();
            let tags: BTreeSet<_> = variants.iter().map(|v| v.tag_value.clone()).collect();
            if excluded != tags {
                return Err(shape_error(&format!(
                    "fallback `{fallback}` must exclude exactly the other branches' tags {tags:?}, it excludes {excluded:?}"
                )));
            }
        }
        Ok(TaggedUnionDef { tag, variants, fallback })
    }

    /// `anyOf` of primitives or `$ref`s, decoded by trying each in order.
    fn untagged_union(&self, obj: &Map<String, Value>, pointer: &str) -> Result<UntaggedUnionDef> {
        let branches = obj["anyOf"].as_array().filter(|b| b.len() >= 2).ok_or_else(|| {
            SchemaError::unsupported(&format!("{pointer}/anyOf"), "`anyOf` needs at least two branches")
        })?;
        let mut variants: Vec<UntaggedVariant> = Vec::new();
        for (index, branch) in branches.iter().enumerate() {
            let branch_pointer = format!("{pointer}/anyOf/{index}");
            let (ty, nullable) = self.type_ref(as_object(branch, &branch_pointer)?, &branch_pointer)?;
            if nullable || is_null_schema(branch) {
                return Err(SchemaError::unsupported(&branch_pointer, "a null branch in a union def"));
            }
            let name = match &ty {
                TypeRef::Named(n) => names::neutral(n),
                TypeRef::String => "string".into(),
                TypeRef::Integer => "integer".into(),
                TypeRef::Number => "number".into(),
                TypeRef::Boolean => "boolean".into(),
                _ => return Err(SchemaError::unsupported(&branch_pointer, "arrays, maps or any-JSON in a union")),
            };
            if variants.iter().any(|v| v.name == name) {
                return Err(SchemaError::unsupported(&branch_pointer, "two branches of the same kind"));
            }
            variants.push(UntaggedVariant { name, ty });
        }
        Ok(UntaggedUnionDef { variants })
    }
}

fn lower_rpc(node: Option<&Value>, types: &BTreeMap<String, TypeDef>) -> Result<Vec<RpcMethod>> {
    let table = as_object(node.unwrap_or(&Value::Null), "/x-rpc")?;
    let mut methods = Vec::with_capacity(table.len());
    let mut idents = BTreeMap::new();
    for (name, entry) in table {
        let pointer = format!("/x-rpc/{}", escape(name));
        let entry = as_object(entry, &pointer)?;
        check_keywords(entry, &pointer, &["direction", "params", "result"], &["description"])?;
        let direction = required_str(entry, &pointer, "direction")?;
        let direction = Direction::from_wire(direction).ok_or_else(|| {
            let all: Vec<_> = Direction::ALL.iter().map(|d| d.wire()).collect();
            SchemaError::invalid(&format!("{pointer}/direction"), format!("`{direction}` is none of {all:?}"))
        })?;
        let def_ref = |key: &str| -> Result<Option<String>> {
            let Some(target) = entry.get(key) else { return Ok(None) };
            let member_pointer = format!("{pointer}/{key}");
            let name = target
                .as_str()
                .and_then(|t| t.strip_prefix("#/$defs/"))
                .ok_or_else(|| SchemaError::invalid(&member_pointer, "must be a `#/$defs/Name` reference"))?;
            if !types.contains_key(name) {
                return Err(SchemaError::invalid(&member_pointer, format!("`{name}` names no def")));
            }
            Ok(Some(name.to_owned()))
        };
        let params = def_ref("params")?;
        let result = def_ref("result")?;
        if result.is_some() && !direction.is_request() {
            return Err(SchemaError::invalid(&format!("{pointer}/result"), "a notification has no result"));
        }
        let ident = names::method_ident(name);
        if let Some(other) = idents.insert(ident.clone(), name.clone()) {
            return Err(SchemaError::invalid(
                &pointer,
                format!("methods `{other}` and `{name}` get the same name `{ident}`"),
            ));
        }
        methods.push(RpcMethod { name: name.clone(), ident, direction, params, result });
    }
    if methods.is_empty() {
        return Err(SchemaError::invalid("/x-rpc", "the method table is empty"));
    }
    methods.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(methods)
}

fn lower_tools(node: Option<&Value>, types: &BTreeMap<String, TypeDef>) -> Result<Vec<RealtimeTool>> {
    let list = node
        .and_then(Value::as_array)
        .ok_or_else(|| SchemaError::invalid("/x-realtime-tools", "must be an array of tools"))?;
    let mut tools: Vec<RealtimeTool> = Vec::new();
    for (index, tool) in list.iter().enumerate() {
        let pointer = format!("/x-realtime-tools/{index}");
        let obj = as_object(tool, &pointer)?;
        check_keywords(obj, &pointer, &["name", "arguments", "aliases", "declared_by"], &["description"])?;
        let name = required_str(obj, &pointer, "name")?.to_owned();
        let description = description(obj, &pointer)?;
        let arguments = required_str(obj, &pointer, "arguments")?;
        let arguments = arguments
            .strip_prefix("#/$defs/")
            .filter(|a| matches!(types.get(*a), Some(TypeDef { kind: TypeKind::Struct(s), .. }) if s.closed))
            .ok_or_else(|| {
                SchemaError::invalid(
                    &format!("{pointer}/arguments"),
                    "must refer to a closed object def (`additionalProperties: false`)",
                )
            })?
            .to_owned();
        let aliases = aliases_at(obj, "aliases", &pointer)?;
        for candidate in std::iter::once(&name).chain(&aliases) {
            if tools.iter().any(|t| &t.name == candidate || t.aliases.contains(candidate)) {
                return Err(SchemaError::invalid(&pointer, format!("tool name `{candidate}` is used twice")));
            }
        }
        let declared_by = declared_by(obj, &pointer)?;
        tools.push(RealtimeTool { name, aliases, description, arguments, declared_by });
    }
    Ok(tools)
}

/// `declared_by` of a tool entry: `client` (the default) or `app-server`.
fn declared_by(obj: &Map<String, Value>, pointer: &str) -> Result<ToolDeclarer> {
    let Some(value) = obj.get("declared_by") else { return Ok(ToolDeclarer::default()) };
    let wires: Vec<&str> = ToolDeclarer::ALL.iter().map(|d| d.wire()).collect();
    let error =
        || SchemaError::invalid(&format!("{pointer}/declared_by"), format!("must be one of {}", wires.join(", ")));
    let wire = value.as_str().ok_or_else(error)?;
    ToolDeclarer::ALL.into_iter().find(|d| d.wire() == wire).ok_or_else(error)
}

/// The name in code of a `const` value (a tag or a fixed member): values become enum variants in every language, so
/// one that gives no name (`""`, only punctuation) is an error at the value, not an empty identifier later.
fn value_name(wire: &str, pointer: &str) -> Result<String> {
    let name = names::neutral(wire);
    if name.is_empty() {
        return Err(SchemaError::invalid(pointer, format!("value `{wire}` has an empty name in code")));
    }
    Ok(name)
}

fn string_enum(obj: &Map<String, Value>, pointer: &str) -> Result<StringEnumDef> {
    let enum_pointer = format!("{pointer}/enum");
    let raw = obj["enum"]
        .as_array()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| SchemaError::invalid(&enum_pointer, "must be a non-empty array"))?;
    let mut values: Vec<EnumValue> = Vec::new();
    for value in raw {
        let wire = value
            .as_str()
            .ok_or_else(|| SchemaError::unsupported(&enum_pointer, "enum values that are not strings"))?;
        let name = names::neutral(wire);
        if name.is_empty() || values.iter().any(|v| v.name == name) {
            return Err(SchemaError::invalid(
                &enum_pointer,
                format!("value `{wire}` has an empty or repeated name in code"),
            ));
        }
        values.push(EnumValue { wire: wire.to_owned(), name });
    }
    // Decided by `apply_openness` once the method table says who decodes it.
    Ok(StringEnumDef { values, origin: EnumOrigin::Enum, openness: Openness::Closed })
}

fn string_constraints(obj: &Map<String, Value>, pointer: &str) -> Result<Constraints> {
    let length = |key: &str| -> Result<Option<u64>> {
        obj.get(key)
            .map(|v| {
                v.as_u64()
                    .ok_or_else(|| SchemaError::invalid(&format!("{pointer}/{key}"), "must be a non-negative integer"))
            })
            .transpose()
    };
    let pattern = match obj.get("pattern") {
        None => None,
        Some(p) => {
            let p =
                p.as_str().ok_or_else(|| SchemaError::invalid(&format!("{pointer}/pattern"), "must be a string"))?;
            // JSON Schema patterns are unanchored; requiring explicit anchors keeps every language's regex
            // engine matching the same thing.
            if !(p.starts_with('^') && p.ends_with('$')) {
                return Err(SchemaError::unsupported(
                    &format!("{pointer}/pattern"),
                    "a pattern not anchored with `^…$`",
                ));
            }
            Some(p.to_owned())
        }
    };
    Ok(Constraints {
        min_length: length("minLength")?,
        max_length: length("maxLength")?,
        pattern,
        ..Constraints::default()
    })
}

fn integer_constraints(obj: &Map<String, Value>, pointer: &str) -> Result<Constraints> {
    let bound = |key: &str| -> Result<Option<i64>> {
        obj.get(key)
            .map(|v| {
                v.as_i64().ok_or_else(|| {
                    SchemaError::unsupported(&format!("{pointer}/{key}"), "a bound that is not an integer")
                })
            })
            .transpose()
    };
    Ok(Constraints { minimum: bound("minimum")?, maximum: bound("maximum")?, ..Constraints::default() })
}

fn excluded_values(not: &Value, pointer: &str) -> Result<Vec<String>> {
    let error = || SchemaError::unsupported(pointer, "`not` must be `{\"enum\": [strings]}`");
    let obj = not.as_object().filter(|o| o.len() == 1).ok_or_else(error)?;
    let values = obj.get("enum").and_then(Value::as_array).ok_or_else(error)?;
    values.iter().map(|v| v.as_str().map(str::to_owned).ok_or_else(error)).collect()
}

fn required_names<'a>(
    obj: &'a Map<String, Value>,
    properties: &Map<String, Value>,
    pointer: &str,
) -> Result<BTreeSet<&'a str>> {
    let mut names = BTreeSet::new();
    let Some(required) = obj.get("required") else { return Ok(names) };
    let required_pointer = format!("{pointer}/required");
    for name in required.as_array().ok_or_else(|| SchemaError::invalid(&required_pointer, "must be an array"))? {
        let name = name.as_str().ok_or_else(|| SchemaError::invalid(&required_pointer, "must list member names"))?;
        if !properties.contains_key(name) {
            return Err(SchemaError::invalid(
                &required_pointer,
                format!("`{name}` is required but not declared in `properties`"),
            ));
        }
        names.insert(name);
    }
    Ok(names)
}

fn aliases(obj: &Map<String, Value>, pointer: &str) -> Result<Vec<String>> {
    aliases_at(obj, "x-aliases", pointer)
}

fn aliases_at(obj: &Map<String, Value>, key: &str, pointer: &str) -> Result<Vec<String>> {
    let Some(list) = obj.get(key) else { return Ok(Vec::new()) };
    let error = || SchemaError::invalid(&format!("{pointer}/{key}"), "must be an array of strings");
    list.as_array().ok_or_else(error)?.iter().map(|a| a.as_str().map(str::to_owned).ok_or_else(error)).collect()
}

fn description(obj: &Map<String, Value>, pointer: &str) -> Result<String> {
    match obj.get("description").and_then(Value::as_str).map(str::trim) {
        Some(text) if !text.is_empty() => Ok(text.to_owned()),
        _ => Err(SchemaError::invalid(
            pointer,
            "needs a non-empty `description`: it becomes the doc comment in every language",
        )),
    }
}

fn required_str<'a>(obj: &'a Map<String, Value>, pointer: &str, key: &str) -> Result<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| SchemaError::invalid(&format!("{pointer}/{key}"), "must be a string"))
}

fn as_object<'a>(node: &'a Value, pointer: &str) -> Result<&'a Map<String, Value>> {
    node.as_object().ok_or_else(|| SchemaError::invalid(pointer, "must be an object"))
}

/// Rejects keywords outside `allowed`, annotations and `extras`, so a construct the IR cannot render is an
/// error at its own pointer rather than something silently dropped.
fn check_keywords(obj: &Map<String, Value>, pointer: &str, allowed: &[&str], extras: &[&str]) -> Result<()> {
    for key in obj.keys() {
        let known =
            allowed.contains(&key.as_str()) || extras.contains(&key.as_str()) || ANNOTATIONS.contains(&key.as_str());
        if !known {
            return Err(SchemaError::unsupported(
                &format!("{pointer}/{}", escape(key)),
                format!("keyword `{key}` here"),
            ));
        }
    }
    Ok(())
}

fn has_any(obj: &Map<String, Value>, keys: &[&str]) -> bool {
    keys.iter().any(|k| obj.contains_key(*k))
}

fn is_null_schema(node: &Value) -> bool {
    node.as_object().is_some_and(|o| o.len() == 1 && o.get("type").and_then(Value::as_str) == Some("null"))
}

fn is_semver(version: &str) -> bool {
    let parts: Vec<_> = version.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Escapes a JSON pointer token (RFC 6901).
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
