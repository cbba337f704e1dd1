//! Kotlin spelling: identifiers (keyword escaping), string literals (with `$` escaped), KDoc comments, types.

use handoff_schema::TypeRef;
use heck::{ToLowerCamelCase, ToShoutySnakeCase, ToUpperCamelCase};

/// Kotlin's hard keywords: as a name they need backticks.
const HARD_KEYWORDS: &[&str] = &[
    "as",
    "break",
    "class",
    "continue",
    "do",
    "else",
    "false",
    "for",
    "fun",
    "if",
    "in",
    "interface",
    "is",
    "null",
    "object",
    "package",
    "return",
    "super",
    "this",
    "throw",
    "true",
    "try",
    "typealias",
    "typeof",
    "val",
    "var",
    "when",
    "while",
];

fn escape_keyword(name: String) -> String {
    if HARD_KEYWORDS.contains(&name.as_str()) { format!("`{name}`") } else { name }
}

/// A property name from an IR snake_case name: `thread_id` → `threadId`.
pub(crate) fn property(name: &str) -> String {
    let camel = name.to_lower_camel_case();
    escape_keyword(if camel.starts_with(|c: char| c.is_ascii_digit()) { format!("n{camel}") } else { camel })
}

/// A nested object or class name from an IR snake_case name: `in_progress` → `InProgress`.
pub(crate) fn case_name(name: &str) -> String {
    let camel = name.to_upper_camel_case();
    if camel.starts_with(|c: char| c.is_ascii_digit()) { format!("V{camel}") } else { camel }
}

/// An enum entry or constant name: `in_progress` → `IN_PROGRESS`.
pub(crate) fn constant(name: &str) -> String {
    let shouty = name.to_shouty_snake_case();
    if shouty.starts_with(|c: char| c.is_ascii_digit()) { format!("V_{shouty}") } else { shouty }
}

/// A Kotlin string literal. `$` is escaped too: unescaped it may start a string template.
pub(crate) fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A raw string (`"""…"""`) holding `text` exactly: raw strings have no escapes, so `$` and `"""` are spliced
/// in as templates of constant strings.
pub(crate) fn raw_string(text: &str) -> String {
    let body = text.replace('$', "${'$'}").replace("\"\"\"", "${\"\\\"\\\"\\\"\"}");
    format!("\"\"\"{body}\"\"\"")
}

/// A `/** … */` KDoc block at `indent`; empty text gives nothing.
pub(crate) fn doc_comment(indent: &str, text: &str) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    // Kotlin block comments nest, so a `/*` inside would need its own `*/`; `*/` would end the comment early.
    // The backslash keeps both readable in rendered Markdown.
    let text = text.trim().replace("/*", "/\\*").replace("*/", "*\\/");
    let mut out = format!("{indent}/**\n");
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            out.push_str(&format!("{indent} *\n"));
        } else {
            out.push_str(&format!("{indent} * {line}\n"));
        }
    }
    out.push_str(&format!("{indent} */\n"));
    out
}

/// The Kotlin type of a reference. Integers are `Long`: the protocol's integers are 64-bit. Numbers and booleans
/// are the `Strict*` aliases of `ObjectSerialization.kt` (the same Kotlin types, read only from JSON numbers and
/// booleans: kotlinx alone also reads `"5"` as 5 and `"true"` as true).
pub(crate) fn type_expr(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Named(name) => name.clone(),
        TypeRef::String => "String".to_owned(),
        TypeRef::Integer => "StrictLong".to_owned(),
        TypeRef::Number => "StrictDouble".to_owned(),
        TypeRef::Boolean => "StrictBoolean".to_owned(),
        TypeRef::Any => "JsonElement".to_owned(),
        TypeRef::Array(item) => format!("List<{}>", type_expr(item)),
        TypeRef::Map(value) => format!("Map<String, {}>", type_expr(value)),
    }
}

/// An expression giving the serializer of `ty` (for code that picks a serializer itself, such as untagged unions).
pub(crate) fn serializer_expr(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Integer => "StrictLongSerializer".to_owned(),
        TypeRef::Number => "StrictDoubleSerializer".to_owned(),
        TypeRef::Boolean => "StrictBooleanSerializer".to_owned(),
        other => format!("serializer<{}>()", type_expr(other)),
    }
}

/// True when [`type_expr`] of `ty` mentions `JsonElement` (the file then imports it).
pub(crate) fn uses_json_element(ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Any => true,
        TypeRef::Array(inner) | TypeRef::Map(inner) => uses_json_element(inner),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_signs_never_start_a_template() {
        assert_eq!(string_literal("^[a-z]*$"), "\"^[a-z]*\\$\"");
        assert_eq!(string_literal("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
        assert_eq!(raw_string("cost: $5 ${x}"), "\"\"\"cost: ${'$'}5 ${'$'}{x}\"\"\"");
        assert_eq!(raw_string("say \"\"\"hi\"\"\""), "\"\"\"say ${\"\\\"\\\"\\\"\"}hi${\"\\\"\\\"\\\"\"}\"\"\"");
    }

    #[test]
    fn names_are_valid_kotlin() {
        assert_eq!(property("thread_id"), "threadId");
        assert_eq!(property("in"), "`in`");
        assert_eq!(property("type"), "type");
        assert_eq!(case_name("in_progress"), "InProgress");
        assert_eq!(constant("handoff_request"), "HANDOFF_REQUEST");
        assert_eq!(constant("2fa"), "V_2FA");
    }

    #[test]
    fn comments_cannot_nest_or_close_early() {
        assert_eq!(
            doc_comment("", "see thread/realtime/* and a */ b"),
            "/**\n * see thread/realtime/\\* and a *\\/ b\n */\n"
        );
    }
}
