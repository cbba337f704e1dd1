//! Small TypeScript spelling helpers: string literals, property keys, doc comments, type expressions.

use handoff_schema::TypeRef;

/// A TypeScript string literal for `text`. JSON string syntax is a subset of JavaScript's (U+2028/U+2029
/// included since ES2019), so serde_json's escaping is exact.
pub(crate) fn string_literal(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serializes")
}

/// An object property key: bare when it is an identifier, quoted otherwise (`"foo-bar"`).
pub(crate) fn property_key(wire: &str) -> String {
    if is_identifier(wire) { wire.to_owned() } else { string_literal(wire) }
}

/// An ASCII JavaScript identifier. Reserved words are fine as property keys, so they are not checked here.
pub(crate) fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A `/** … */` block at `indent`, one ` * ` line per text line; empty text gives no comment.
pub(crate) fn doc_comment(indent: &str, text: &str) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    // `*/` inside the text would end the comment early.
    let text = text.trim().replace("*/", "*\\/");
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

/// The TypeScript type of a reference. Integers are `number`: JSON.parse gives nothing else, and ids this
/// protocol sends stay far below 2^53.
pub(crate) fn type_expr(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Named(name) => name.clone(),
        TypeRef::String => "string".to_owned(),
        TypeRef::Integer | TypeRef::Number => "number".to_owned(),
        TypeRef::Boolean => "boolean".to_owned(),
        // `unknown`, not a JSON-value union: a typed params interface must stay assignable to open members.
        TypeRef::Any => "unknown".to_owned(),
        TypeRef::Array(item) => format!("{}[]", type_expr(item)),
        TypeRef::Map(value) => format!("{{ [key: string]: {} }}", type_expr(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_quoted_only_when_needed() {
        assert_eq!(property_key("threadId"), "threadId");
        assert_eq!(property_key("thread_id"), "thread_id");
        assert_eq!(property_key("content-type"), "\"content-type\"");
        assert_eq!(property_key("1st"), "\"1st\"");
        assert_eq!(property_key(""), "\"\"");
    }

    #[test]
    fn doc_comments_cannot_be_closed_early() {
        assert_eq!(doc_comment("", "a */ b"), "/**\n * a *\\/ b\n */\n");
        assert_eq!(doc_comment("  ", "one\n\ntwo"), "  /**\n   * one\n   *\n   * two\n   */\n");
        assert_eq!(doc_comment("", "  "), "");
    }

    #[test]
    fn nested_references_render_as_typescript() {
        let ty = TypeRef::Map(Box::new(TypeRef::Array(Box::new(TypeRef::Named("ThreadId".into())))));
        assert_eq!(type_expr(&ty), "{ [key: string]: ThreadId[] }");
    }
}
