//! Language-neutral names. The IR stores snake_case; each backend recases from there with `heck`.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// snake_case of a wire name: `threadId` → `thread_id`, `handoff_id` → `handoff_id`.
pub fn neutral(wire: &str) -> String {
    wire.to_snake_case()
}

/// snake_case of a method name, one word group per path segment: `thread/realtime/itemAdded` →
/// `thread_realtime_item_added`.
pub fn method_ident(method: &str) -> String {
    method.split('/').map(|segment| segment.to_snake_case()).collect::<Vec<_>>().join("_")
}

/// UpperCamelCase type name for a type made up from a parent type and one of its members.
pub fn synthesized_type(parent: &str, member_wire: &str) -> String {
    format!("{parent}{}", member_wire.to_upper_camel_case())
}

/// True for names a backend can take as a type name as-is.
pub fn is_upper_camel(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && name.chars().all(|c| c.is_ascii_alphanumeric())
}
