//! Which protocol area ([`Group`]) each type belongs to, decided once at lowering so every backend splits the
//! contract the same way.
//!
//! The rule is deterministic and total: top-level message types are seeded into a group by their name; every
//! other type (synthesized tags, newtypes, helper structs) joins the one group that refers to it, or `Common`
//! when several groups share it or nothing refers to it.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{Group, TypeDef, TypeKind};

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

/// Sets [`TypeDef::group`] of every type.
pub(crate) fn assign(types: &mut BTreeMap<String, TypeDef>) {
    let groups = placement(types);
    for def in types.values_mut() {
        def.group = groups[&def.name];
    }
}

fn placement(types: &BTreeMap<String, TypeDef>) -> BTreeMap<String, Group> {
    let referrers = referrers(types);
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for def in types.values() {
        let seedable = !def.synthesized && !matches!(def.kind, TypeKind::Newtype(_) | TypeKind::Alias(_));
        if let Some(group) = seedable.then(|| seed(&def.name)).flatten() {
            groups.insert(def.name.clone(), group);
        }
    }
    // Spread groups to the types only one group uses, until nothing changes. Each round places at least one
    // type or stops, so this ends; types left over are shared (or unreferenced) and go to Common.
    loop {
        let mut placed = false;
        for def in types.values() {
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
    for def in types.values() {
        groups.entry(def.name.clone()).or_insert(Group::Common);
    }
    groups
}

/// For each type, the other types whose fields, variants or alias target name it.
fn referrers(types: &BTreeMap<String, TypeDef>) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut referrers: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for def in types.values() {
        for target in def.kind.references() {
            if target != def.name {
                referrers.entry(target).or_default().insert(def.name.as_str());
            }
        }
    }
    referrers
}
