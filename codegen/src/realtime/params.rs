//! IR → the `parameters` JSON Schema of each realtime tool, and the `tools` array of `session.update`.
//!
//! The realtime API takes one self-contained schema per tool: no `$ref`, no `$defs`. So named types are
//! inlined here, with their constraints, and each member keeps its own description (the model reads them).

use handoff_schema::{
    Constraints, Field, Ir, NewtypeDef, Primitive, RealtimeTool, StructDef, TypeDef, TypeKind, TypeRef,
};
use serde_json::{Map, Value, json};

use super::BACKEND;
use crate::CodegenError;

/// The exact text of `generated/realtime/tools.json`: pretty-printed, trailing newline, the offered tools in schema
/// order. A tool the app-server declares itself (`declared_by: app-server`) is left out: the client declaring it
/// too would give the model the same tool twice.
pub fn tools_json(ir: &Ir) -> Result<String, CodegenError> {
    let tools = ir.offered_tools().map(|tool| tool_value(ir, tool)).collect::<Result<Vec<_>, _>>()?;
    let mut text = serde_json::to_string_pretty(&Value::Array(tools))
        .map_err(|e| CodegenError::Render { backend: BACKEND, reason: e.to_string() })?;
    text.push('\n');
    Ok(text)
}

/// One entry of the `tools` array: `{"type":"function","name","description","parameters"}`.
pub fn tool_value(ir: &Ir, tool: &RealtimeTool) -> Result<Value, CodegenError> {
    Ok(json!({
        "type": "function",
        "name": tool.name,
        "description": tool.description,
        "parameters": parameters_schema(ir, tool)?,
    }))
}

/// The JSON Schema of a tool's arguments, rendered from the IR with every named type inlined.
pub fn parameters_schema(ir: &Ir, tool: &RealtimeTool) -> Result<Value, CodegenError> {
    let def = lookup(ir, &tool.arguments, &format!("realtime tool `{}`", tool.name))?;
    let TypeKind::Struct(s) = &def.kind else {
        return Err(unsupported(def, "the arguments of a realtime tool must be an object type"));
    };
    let mut inlining = vec![def.name.clone()];
    struct_schema(ir, def, s, &mut inlining)
}

fn struct_schema(ir: &Ir, def: &TypeDef, s: &StructDef, inlining: &mut Vec<String>) -> Result<Value, CodegenError> {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in &s.fields {
        properties.insert(field.wire_name.clone(), field_schema(ir, def, field, inlining)?);
        if field.presence.is_required() {
            required.push(Value::String(field.wire_name.clone()));
        }
    }
    let mut schema = Map::new();
    schema.insert("type".into(), "object".into());
    schema.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
    if s.closed {
        schema.insert("additionalProperties".into(), false.into());
    }
    Ok(Value::Object(schema))
}

/// A member's schema: its type inlined, then its own description (which says more than the type's, e.g.
/// "thread to continue" rather than "a thread id"), its default, and `null` when the member is nullable.
fn field_schema(ir: &Ir, owner: &TypeDef, field: &Field, inlining: &mut Vec<String>) -> Result<Value, CodegenError> {
    let mut schema = type_schema(ir, owner, &field.ty, inlining)?;
    if field.presence.is_nullable() {
        schema = allow_null(schema);
    }
    if let Value::Object(object) = &mut schema {
        if !field.doc.is_empty() {
            object.insert("description".into(), field.doc.clone().into());
        }
        if let Some(default) = &field.default {
            object.insert("default".into(), default.clone());
        }
    }
    Ok(schema)
}

fn type_schema(ir: &Ir, owner: &TypeDef, ty: &TypeRef, inlining: &mut Vec<String>) -> Result<Value, CodegenError> {
    Ok(match ty {
        TypeRef::String => json!({ "type": "string" }),
        TypeRef::Integer => json!({ "type": "integer" }),
        TypeRef::Number => json!({ "type": "number" }),
        TypeRef::Boolean => json!({ "type": "boolean" }),
        TypeRef::Any => json!({}),
        TypeRef::Array(item) => json!({ "type": "array", "items": type_schema(ir, owner, item, inlining)? }),
        TypeRef::Map(value) => {
            json!({ "type": "object", "additionalProperties": type_schema(ir, owner, value, inlining)? })
        }
        TypeRef::Named(name) => named_schema(ir, owner, name, inlining)?,
    })
}

fn named_schema(ir: &Ir, owner: &TypeDef, name: &str, inlining: &mut Vec<String>) -> Result<Value, CodegenError> {
    let def = lookup(ir, name, &format!("type `{}`", owner.name))?;
    // Inlining a type inside itself would never end; the realtime API has no `$ref` to break the cycle.
    if inlining.iter().any(|n| n == name) {
        return Err(unsupported(def, "a recursive type cannot be inlined into a realtime tool's parameters"));
    }
    inlining.push(name.to_owned());
    let schema = match &def.kind {
        TypeKind::Newtype(n) => newtype_schema(n),
        TypeKind::StringEnum(e) => {
            json!({ "type": "string", "enum": e.values.iter().map(|v| &v.wire).collect::<Vec<_>>() })
        }
        TypeKind::Struct(s) => struct_schema(ir, def, s, inlining)?,
        TypeKind::Alias(inner) => type_schema(ir, def, inner, inlining)?,
        TypeKind::TaggedUnion(_) | TypeKind::UntaggedUnion(_) => {
            return Err(unsupported(
                def,
                "unions are not supported in realtime tool parameters; use an object or a string enum",
            ));
        }
    };
    inlining.pop();
    Ok(schema)
}

fn newtype_schema(n: &NewtypeDef) -> Value {
    let Constraints { min_length, max_length, pattern, minimum, maximum, excluded } = &n.constraints;
    let mut schema = Map::new();
    match n.base {
        Primitive::String => {
            schema.insert("type".into(), "string".into());
            if let Some(min) = min_length {
                schema.insert("minLength".into(), (*min).into());
            }
            if let Some(max) = max_length {
                schema.insert("maxLength".into(), (*max).into());
            }
            if let Some(pattern) = pattern {
                schema.insert("pattern".into(), pattern.clone().into());
            }
            if !excluded.is_empty() {
                schema.insert("not".into(), json!({ "enum": excluded }));
            }
        }
        Primitive::Integer => {
            schema.insert("type".into(), "integer".into());
            if let Some(min) = minimum {
                schema.insert("minimum".into(), (*min).into());
            }
            if let Some(max) = maximum {
                schema.insert("maximum".into(), (*max).into());
            }
        }
    }
    Value::Object(schema)
}

/// `{"type":"string"}` becomes `{"type":["string","null"]}`; a schema without one `type` is wrapped in `anyOf`.
fn allow_null(schema: Value) -> Value {
    match schema {
        Value::Object(mut object) if object.get("type").is_some_and(Value::is_string) => {
            let ty = object.remove("type").expect("checked above");
            let mut rebuilt = Map::new();
            rebuilt.insert("type".into(), json!([ty, "null"]));
            rebuilt.extend(object);
            Value::Object(rebuilt)
        }
        Value::Object(object) if object.is_empty() => Value::Object(object),
        other => json!({ "anyOf": [other, { "type": "null" }] }),
    }
}

fn lookup<'a>(ir: &'a Ir, name: &str, referrer: &str) -> Result<&'a TypeDef, CodegenError> {
    ir.types.get(name).ok_or_else(|| CodegenError::Unsupported {
        backend: BACKEND,
        type_name: name.to_owned(),
        pointer: String::new(),
        reason: format!("{referrer} refers to a type the contract does not define"),
    })
}

fn unsupported(def: &TypeDef, reason: &str) -> CodegenError {
    CodegenError::Unsupported {
        backend: BACKEND,
        type_name: def.name.clone(),
        pointer: def.pointer.clone(),
        reason: reason.to_owned(),
    }
}
