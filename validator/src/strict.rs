//! `--strict`: members the contract does not know, in values that have a def.
//!
//! Open objects (the app-server's) accept unknown members, so the schema check passes them; strict mode walks the
//! value alongside the IR type and names each unknown member, so drift between the server and the contract shows.

use handoff_schema::{Ir, TypeKind, TypeRef};
use serde_json::Value;

use crate::schemas::UnknownDef;

/// Pointers (relative to `value`) of members that type `def` does not declare, in document order. A def the
/// contract does not have is an error, never "no unknown members".
pub fn unknown_members(ir: &Ir, def: &str, value: &Value) -> Result<Vec<String>, UnknownDef> {
    if !ir.types.contains_key(def) {
        return Err(UnknownDef(def.to_owned()));
    }
    let mut out = Vec::new();
    walk_named(ir, def, value, &mut String::new(), &mut out, 0);
    Ok(out)
}

/// Deep enough for any real message; stops pathological nesting from recursing without bound.
const MAX_DEPTH: usize = 64;

fn walk_named(ir: &Ir, name: &str, value: &Value, pointer: &mut String, out: &mut Vec<String>, depth: usize) {
    let Some(def) = ir.types.get(name) else { return };
    if depth > MAX_DEPTH {
        return;
    }
    match &def.kind {
        TypeKind::Struct(s) => {
            let Value::Object(map) = value else { return };
            for (key, member) in map {
                let len = pointer.len();
                push_token(pointer, key);
                match s.fields.iter().find(|f| &f.wire_name == key || f.aliases.iter().any(|a| a == key)) {
                    Some(field) => walk_ref(ir, &field.ty, member, pointer, out, depth + 1),
                    None => out.push(pointer.clone()),
                }
                pointer.truncate(len);
            }
        }
        TypeKind::TaggedUnion(union) => {
            let Some(tag) = value.get(&union.tag).and_then(Value::as_str) else { return };
            // The fallback variant keeps a kind the contract does not model whole: its members are not "unknown".
            if let Some(variant) = union.variants.iter().find(|v| v.tag_value == tag) {
                walk_named(ir, &variant.type_name, value, pointer, out, depth + 1);
            }
        }
        TypeKind::UntaggedUnion(union) => {
            // Variants differ by JSON kind; only object variants can hold unknown members.
            if value.is_object()
                && let Some(variant) = union.variants.iter().find(|v| matches!(v.ty, TypeRef::Named(_)))
            {
                walk_ref(ir, &variant.ty, value, pointer, out, depth + 1);
            }
        }
        TypeKind::Alias(ty) => walk_ref(ir, ty, value, pointer, out, depth + 1),
        TypeKind::StringEnum(_) | TypeKind::Newtype(_) => {}
    }
}

fn walk_ref(ir: &Ir, ty: &TypeRef, value: &Value, pointer: &mut String, out: &mut Vec<String>, depth: usize) {
    match (ty, value) {
        (TypeRef::Named(name), _) => walk_named(ir, name, value, pointer, out, depth),
        (TypeRef::Array(item), Value::Array(items)) => {
            for (i, element) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                walk_ref(ir, item, element, pointer, out, depth + 1);
                pointer.truncate(len);
            }
        }
        (TypeRef::Map(item), Value::Object(map)) => {
            for (key, element) in map {
                let len = pointer.len();
                push_token(pointer, key);
                walk_ref(ir, item, element, pointer, out, depth + 1);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Appends `/token` with JSON pointer escaping (`~` → `~0`, `/` → `~1`).
pub fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&handoff_schema::escape_pointer_token(token));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_unknown_members_at_every_depth() {
        let contract = handoff_schema::Contract::canonical().unwrap();
        let params = json!({
            "threadId": "thr_1",
            "input": [{"type": "text", "text": "hi", "extra": 1}],
            "surprise": true
        });
        let found = unknown_members(&contract.ir, "TurnStartParams", &params).unwrap();
        assert_eq!(found, ["/input/0/extra", "/surprise"]);
        let clean = json!({"threadId": "thr_1", "input": [{"type": "text", "text": "hi"}]});
        assert!(unknown_members(&contract.ir, "TurnStartParams", &clean).unwrap().is_empty());
        assert_eq!(unknown_members(&contract.ir, "TurnStartParms", &clean), Err(UnknownDef("TurnStartParms".into())));
    }
}
