//! Changes to the `x-rpc` method table and the `x-realtime-tools` list.

use crate::ir::{Ir, RpcMethod, TypeRef};
use crate::lower::escape;

use super::defs::show;
use super::types::relation;
use super::{Change, ChangeKind, Effect, RPC_GROUP, TOOLS_GROUP};
use crate::ir::Usage;

pub fn diff_methods(old: &Ir, new: &Ir, out: &mut Vec<Change>) {
    for method in &old.methods {
        let pointer = format!("/x-rpc/{}", escape(&method.name));
        let Some(new_method) = new.method(&method.name) else {
            // Whoever still sends it (an old client, an old server) meets peers that no longer know it.
            let message = format!("method `{}` ({}) removed", method.name, method.direction.wire());
            let change = Change::new(RPC_GROUP, &pointer, ChangeKind::MethodRemoved, Effect::REJECTS_OLD, message);
            out.push(change.with_usage(Usage::of_params(method.direction)));
            continue;
        };
        if method.direction != new_method.direction {
            let message = format!(
                "method `{}` changed direction from {} to {}",
                method.name,
                method.direction.wire(),
                new_method.direction.wire()
            );
            let usage = Usage::of_params(method.direction).or(Usage::of_params(new_method.direction));
            let pointer = format!("{pointer}/direction");
            let change = Change::new(RPC_GROUP, &pointer, ChangeKind::MethodDirectionChanged, Effect::BOTH, message);
            out.push(change.with_usage(usage));
            continue;
        }
        let usages = [Usage::of_params(method.direction), Usage::of_result(method.direction)];
        let parts = [("params", &method.params, &new_method.params), ("result", &method.result, &new_method.result)];
        for ((part, old_def, new_def), usage) in parts.into_iter().zip(usages) {
            if let Some(change) = part_change(old, new, method, part, old_def, new_def) {
                out.push(change.with_usage(usage));
            }
        }
    }
    for method in new.methods.iter().filter(|m| old.method(&m.name).is_none()) {
        let pointer = format!("/x-rpc/{}", escape(&method.name));
        let message = format!("method `{}` ({}) added", method.name, method.direction.wire());
        let change = Change::new(RPC_GROUP, &pointer, ChangeKind::MethodAdded, Effect::NONE, message);
        out.push(change.with_usage(Usage::of_params(method.direction)));
    }
}

/// A method's params or result def replaced; `None` (no def) means any JSON.
fn part_change(
    old_ir: &Ir,
    new_ir: &Ir,
    method: &RpcMethod,
    part: &str,
    old: &Option<String>,
    new: &Option<String>,
) -> Option<Change> {
    let as_ref = |def: &Option<String>| def.clone().map_or(TypeRef::Any, TypeRef::Named);
    let (old_ty, new_ty) = (as_ref(old), as_ref(new));
    let (kind, effect) = relation(old_ir, new_ir, &old_ty, &new_ty).change()?;
    let pointer = format!("/x-rpc/{}/{part}", escape(&method.name));
    let message = format!("{part} of method `{}` changed from {} to {}", method.name, show(&old_ty), show(&new_ty));
    Some(Change::new(RPC_GROUP, &pointer, kind, effect, message))
}

pub fn diff_tools(old: &Ir, new: &Ir, out: &mut Vec<Change>) {
    let pointer_of = |ir: &Ir, name: &str| {
        let index = ir.realtime_tools.iter().position(|t| t.name == name).unwrap_or_default();
        format!("/x-realtime-tools/{index}")
    };
    let push = |out: &mut Vec<Change>, pointer: &str, kind, effect, message: String| {
        out.push(Change::new(TOOLS_GROUP, pointer, kind, effect, message).with_usage(Usage::DECODED));
    };
    for tool in &old.realtime_tools {
        // A tool renamed with its old name kept as an alias still decodes calls under the old name.
        let Some(new_tool) = new.realtime_tool(&tool.name) else {
            let message = format!("realtime tool `{}` removed; the client no longer decodes calls to it", tool.name);
            push(out, &pointer_of(old, &tool.name), ChangeKind::ToolRemoved, Effect::REJECTS_OLD, message);
            continue;
        };
        let pointer = pointer_of(new, &new_tool.name);
        if new_tool.name != tool.name {
            let message =
                format!("realtime tool `{}` renamed to `{}`, old name kept as an alias", tool.name, new_tool.name);
            push(out, &pointer, ChangeKind::ToolRenamed, Effect::NONE, message);
        }
        let (old_args, new_args) = (TypeRef::Named(tool.arguments.clone()), TypeRef::Named(new_tool.arguments.clone()));
        if let Some((kind, effect)) = relation(old, new, &old_args, &new_args).change() {
            let message = format!(
                "arguments of realtime tool `{}` changed from {} to {}",
                tool.name,
                show(&old_args),
                show(&new_args)
            );
            push(out, &format!("{pointer}/arguments"), kind, effect, message);
        }
        for alias in tool.aliases.iter().filter(|a| new.realtime_tool(a).is_none_or(|t| t.name != new_tool.name)) {
            let message = format!("realtime tool `{}` no longer answers to its legacy name `{alias}`", tool.name);
            push(out, &format!("{pointer}/aliases"), ChangeKind::ToolAliasRemoved, Effect::REJECTS_OLD, message);
        }
        for alias in new_tool.aliases.iter().filter(|a| **a != tool.name && !tool.aliases.contains(a)) {
            let message = format!("realtime tool `{}` also answers to `{alias}`", new_tool.name);
            push(out, &format!("{pointer}/aliases"), ChangeKind::ToolAliasAdded, Effect::NONE, message);
        }
        if tool.declared_by != new_tool.declared_by {
            // Calls decode the same either way; only who offers the tool to the model moved.
            let message = format!(
                "realtime tool `{}` is now declared to the model by the {} (was: the {}); tools.json {} it",
                new_tool.name,
                new_tool.declared_by.wire(),
                tool.declared_by.wire(),
                if new_tool.offered() { "now offers" } else { "no longer offers" }
            );
            push(out, &format!("{pointer}/declared_by"), ChangeKind::ToolDeclarerChanged, Effect::NONE, message);
        }
        if tool.description != new_tool.description {
            let message = format!("description of realtime tool `{}` changed (the model reads it)", new_tool.name);
            push(out, &format!("{pointer}/description"), ChangeKind::DocChanged, Effect::NONE, message);
        }
    }
    for tool in &new.realtime_tools {
        // Known under its own name, or renamed (an old tool's name kept as its alias). A name that was only an
        // alias of another tool is a tool of its own now: added.
        let named = |name: &str| old.realtime_tools.iter().any(|t| t.name == name);
        let known = named(&tool.name) || tool.aliases.iter().any(|a| named(a));
        if !known {
            let message = format!("realtime tool `{}` added", tool.name);
            push(out, &pointer_of(new, &tool.name), ChangeKind::ToolAdded, Effect::NONE, message);
        }
    }
}
