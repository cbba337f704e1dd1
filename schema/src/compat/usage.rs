//! Which direction each def travels in, worked out from the method table and the tools, through type references.

use std::collections::BTreeMap;

use crate::ir::{Direction, Ir, TypeKind, TypeRef};

/// The directions messages holding a def travel in, seen from the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// The client decodes it: responses to client requests, server notifications, server requests' params, realtime
    /// items, and tool arguments (written by the model, decoded by the client).
    pub decoded: bool,
    /// The client encodes it and the app-server decodes it: client requests' params, client notifications,
    /// results of server requests.
    pub encoded: bool,
}

impl Usage {
    pub const DECODED: Usage = Usage { decoded: true, encoded: false };
    pub const ENCODED: Usage = Usage { decoded: false, encoded: true };

    pub fn or(self, other: Usage) -> Usage {
        Usage { decoded: self.decoded || other.decoded, encoded: self.encoded || other.encoded }
    }

    /// Human words for the usage, e.g. "decoded by the client".
    pub fn describe(self) -> &'static str {
        match (self.decoded, self.encoded) {
            (true, true) => "decoded and encoded by the client",
            (true, false) => "decoded by the client",
            (false, true) => "encoded by the client",
            (false, false) => "used by no method or tool",
        }
    }

    /// The usage of a method's params.
    pub fn of_params(direction: Direction) -> Usage {
        match direction {
            Direction::ClientRequest | Direction::ClientNotification => Usage::ENCODED,
            Direction::ServerRequest | Direction::ServerNotification => Usage::DECODED,
        }
    }

    /// The usage of a request's result: it travels the other way from the params.
    pub fn of_result(direction: Direction) -> Usage {
        match direction {
            Direction::ClientRequest | Direction::ClientNotification => Usage::DECODED,
            Direction::ServerRequest | Direction::ServerNotification => Usage::ENCODED,
        }
    }
}

/// The usage of every def some method or tool reaches, transitively. Defs nothing reaches are absent.
pub fn usage_of(ir: &Ir) -> BTreeMap<String, Usage> {
    let mut usage: BTreeMap<String, Usage> = BTreeMap::new();
    let mut roots: Vec<(&str, Usage)> = Vec::new();
    for method in &ir.methods {
        if let Some(params) = &method.params {
            roots.push((params, Usage::of_params(method.direction)));
        }
        if let Some(result) = &method.result {
            roots.push((result, Usage::of_result(method.direction)));
        }
    }
    for tool in &ir.realtime_tools {
        roots.push((&tool.arguments, Usage::DECODED));
    }
    for (root, direction) in roots {
        let mut stack = vec![root.to_owned()];
        while let Some(name) = stack.pop() {
            let entry = usage.entry(name.clone()).or_default();
            let merged = entry.or(direction);
            // Already marked with this direction: its references are marked too (this also ends cycles).
            if merged == *entry && *entry != Usage::default() {
                continue;
            }
            *entry = merged;
            if let Some(def) = ir.types.get(&name) {
                stack.extend(references(&def.kind));
            }
        }
    }
    usage
}

/// Names of the defs a type refers to directly.
pub(crate) fn references(kind: &TypeKind) -> Vec<String> {
    let mut names = Vec::new();
    match kind {
        TypeKind::Struct(s) => s.fields.iter().for_each(|f| named_in(&f.ty, &mut names)),
        TypeKind::TaggedUnion(u) => {
            names.extend(u.variants.iter().map(|v| v.type_name.clone()));
            names.extend(u.fallback.iter().cloned());
        }
        TypeKind::UntaggedUnion(u) => u.variants.iter().for_each(|v| named_in(&v.ty, &mut names)),
        TypeKind::Alias(ty) => named_in(ty, &mut names),
        TypeKind::StringEnum(_) | TypeKind::Newtype(_) => {}
    }
    names
}

fn named_in(ty: &TypeRef, names: &mut Vec<String>) {
    match ty {
        TypeRef::Named(name) => names.push(name.clone()),
        TypeRef::Array(inner) | TypeRef::Map(inner) => named_in(inner, names),
        TypeRef::String | TypeRef::Integer | TypeRef::Number | TypeRef::Boolean | TypeRef::Any => {}
    }
}
