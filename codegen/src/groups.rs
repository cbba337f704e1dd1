//! Which source file each type goes to, shared by the Swift, TypeScript and Kotlin backends: one file per area
//! of the protocol, so the handoff item sits next to the realtime messages and the tool arguments together.
//!
//! The rule is deterministic and total: top-level message types are seeded into a group by their name; every
//! other type (synthesized tags, newtypes, helper structs) joins the one group that refers to it, or `Common`
//! when several groups share it or nothing refers to it. One rule for all
//! three, so every language splits the contract the same way.

use std::collections::{BTreeMap, BTreeSet};

use handoff_schema::{Ir, TypeKind, TypeRef};

/// Source files of types, in the order they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Group {
    ToolArguments,
    HandoffItems,
    ThreadsAndTurns,
    DynamicTools,
    JsonRpc,
    Common,
}

impl Group {
    pub(crate) const ALL: [Group; 6] = [
        Group::ToolArguments,
        Group::HandoffItems,
        Group::ThreadsAndTurns,
        Group::DynamicTools,
        Group::JsonRpc,
        Group::Common,
    ];

    /// The file stem in UpperCamelCase (`ToolArguments`); each backend recases it for its conventions.
    pub(crate) fn stem(self) -> &'static str {
        match self {
            Group::ToolArguments => "ToolArguments",
            Group::HandoffItems => "HandoffItems",
            Group::ThreadsAndTurns => "ThreadsAndTurns",
            Group::DynamicTools => "DynamicTools",
            Group::JsonRpc => "JsonRpc",
            Group::Common => "CommonTypes",
        }
    }

    /// The file's opening comment: what it holds.
    pub(crate) fn summary(self) -> &'static str {
        match self {
            Group::ToolArguments => {
                "Arguments of the realtime voice model's function tools (`codex`, `list_sessions`, ...)."
            }
            Group::HandoffItems => {
                "Realtime conversation items (the `handoff_request` item) and the `thread/realtime/*` messages that carry a handoff."
            }
            Group::ThreadsAndTurns => {
                "Threads, turns and the app-server requests and notifications that create and run them."
            }
            Group::DynamicTools => "Dynamic tools: the client-side tool calls the app-server sends and their answers.",
            Group::JsonRpc => "The JSON-RPC envelope of the app-server connection (no `jsonrpc` member on this wire).",
            Group::Common => "Types several areas of the protocol share, such as `ThreadId`.",
        }
    }

    /// The group a type is placed in by its name alone, for the protocol's top-level message types.
    fn seed(name: &str) -> Option<Group> {
        if name.ends_with("Arguments") {
            Some(Group::ToolArguments)
        } else if name.starts_with("JsonRpc") {
            Some(Group::JsonRpc)
        } else if name.starts_with("Realtime") || name.starts_with("ThreadRealtime") {
            Some(Group::HandoffItems)
        } else if name.starts_with("DynamicTool") {
            Some(Group::DynamicTools)
        } else if ["Thread", "Turn", "Item", "AgentMessage", "Error", "UserInput"].iter().any(|p| name.starts_with(p)) {
            Some(Group::ThreadsAndTurns)
        } else {
            None
        }
    }
}

/// The group of every type in the IR.
pub(crate) fn assign(ir: &Ir) -> BTreeMap<String, Group> {
    let referrers = referrers(ir);
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for def in ir.types.values() {
        let seedable = !def.synthesized && !matches!(def.kind, TypeKind::Newtype(_) | TypeKind::Alias(_));
        if let Some(group) = seedable.then(|| Group::seed(&def.name)).flatten() {
            groups.insert(def.name.clone(), group);
        }
    }
    // Spread groups to the types only one group uses, until nothing changes. Each round places at least one
    // type or stops, so this ends; types left over are shared (or unreferenced) and go to Common.
    loop {
        let mut placed = false;
        for def in ir.types.values() {
            if groups.contains_key(&def.name) {
                continue;
            }
            let Some(users) = referrers.get(def.name.as_str()) else { continue };
            let user_groups: Option<BTreeSet<Group>> = users.iter().map(|u| groups.get(*u).copied()).collect();
            // Wait until every referrer is placed, so the answer does not depend on iteration order.
            if let Some(user_groups) = user_groups {
                let group = if user_groups.len() == 1 { user_groups.into_iter().next() } else { None };
                groups.insert(def.name.clone(), group.unwrap_or(Group::Common));
                placed = true;
            }
        }
        if !placed {
            break;
        }
    }
    for def in ir.types.values() {
        groups.entry(def.name.clone()).or_insert(Group::Common);
    }
    groups
}

/// For each type, the other types whose fields, variants or alias target name it.
fn referrers(ir: &Ir) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut referrers: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for def in ir.types.values() {
        for target in references(&def.kind) {
            if target != def.name {
                referrers.entry(target).or_default().insert(def.name.as_str());
            }
        }
    }
    referrers
}

/// Every type name a type definition refers to, in declaration order (repeats kept).
pub(crate) fn references(kind: &TypeKind) -> Vec<&str> {
    let mut refs = Vec::new();
    match kind {
        TypeKind::Struct(s) => s.fields.iter().for_each(|f| named_in(&f.ty, &mut refs)),
        TypeKind::TaggedUnion(u) => {
            refs.extend(u.variants.iter().map(|v| v.type_name.as_str()));
            refs.extend(u.fallback.as_deref());
        }
        TypeKind::UntaggedUnion(u) => u.variants.iter().for_each(|v| named_in(&v.ty, &mut refs)),
        TypeKind::Alias(ty) => named_in(ty, &mut refs),
        TypeKind::StringEnum(_) | TypeKind::Newtype(_) => {}
    }
    refs
}

fn named_in<'a>(ty: &'a TypeRef, out: &mut Vec<&'a str>) {
    match ty {
        TypeRef::Named(name) => out.push(name),
        TypeRef::Array(item) | TypeRef::Map(item) => named_in(item, out),
        TypeRef::String | TypeRef::Integer | TypeRef::Number | TypeRef::Boolean | TypeRef::Any => {}
    }
}
