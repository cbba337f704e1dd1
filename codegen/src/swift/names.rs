//! Swift identifiers from IR names: lowerCamelCase members and cases, keyword escaping, reserved type names.

use heck::ToLowerCamelCase;

/// Words Swift reserves in declarations, statements, expressions and types. Used as a name they need
/// backticks (`` `default` ``). Contextual keywords (`get`, `set`, `open` in some positions…) are fine bare,
/// except the few listed here that read ambiguously in member position.
const KEYWORDS: &[&str] = &[
    "Any",
    "Protocol",
    "Self",
    "Type",
    "as",
    "associatedtype",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "continue",
    "default",
    "defer",
    "deinit",
    "do",
    "else",
    "enum",
    "extension",
    "fallthrough",
    "false",
    "fileprivate",
    "for",
    "func",
    "guard",
    "if",
    "import",
    "in",
    "init",
    "inout",
    "internal",
    "is",
    "let",
    "nil",
    "operator",
    "precedencegroup",
    "private",
    "protocol",
    "public",
    "repeat",
    "rethrows",
    "return",
    "self",
    "static",
    "struct",
    "subscript",
    "super",
    "switch",
    "throw",
    "throws",
    "true",
    "try",
    "typealias",
    "var",
    "where",
    "while",
];

/// Type names the generated code uses unqualified, or that would shadow what it relies on. A schema def
/// with one of these names is refused rather than producing a package that does not compile.
pub(crate) const RESERVED_TYPE_NAMES: &[&str] = &[
    "AnyCodingKey",
    "Array",
    "Bool",
    "Codable",
    "CodexHandoffContract",
    "CodingKey",
    "CodingKeys",
    "ContractConstraintError",
    "CustomStringConvertible",
    "Data",
    "Decodable",
    "Decoder",
    "DecodingError",
    "Dictionary",
    "Double",
    "Encodable",
    "Encoder",
    "EncodingError",
    "Error",
    "Foundation",
    "HandoffContract",
    "Hashable",
    "Int",
    "Int64",
    "JSONValue",
    "OpenStringEnum",
    "Optional",
    "RPCDirection",
    "RPCMethod",
    "RPCMethodInfo",
    "RPCNotification",
    "RPCRequest",
    "RawRepresentable",
    "Realtime",
    "Sendable",
    "Set",
    "String",
    "Swift",
    "XCTest",
];

pub(crate) fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

/// Keywords that stay special even in backticks in some positions (`.init` calls an initializer, `.self` and
/// `.Type` are metatype syntax): as names they get a `_` suffix instead.
const SUFFIXED: &[&str] = &["Protocol", "Self", "Type", "init", "self"];

/// `word` as written in Swift source: in backticks when it is a keyword, with a `_` suffix for the few
/// keywords that backticks do not fully neutralise.
pub(crate) fn escape(word: &str) -> String {
    if SUFFIXED.contains(&word) {
        format!("{word}_")
    } else if is_keyword(word) {
        format!("`{word}`")
    } else {
        word.to_owned()
    }
}

/// The unescaped lowerCamelCase Swift name of a snake_case IR name (`thread_id` → `threadId`). A name that
/// would start with a digit gets a `_` in front (`2fa` → `_2fa`).
pub(crate) fn member_name(neutral: &str) -> String {
    let camel = neutral.to_lower_camel_case();
    // A wire name with no letters or digits (`$`, `-`) has an empty neutral name.
    let camel = if camel.is_empty() { "member".to_owned() } else { camel };
    if camel.starts_with(|c: char| c.is_ascii_digit()) { format!("_{camel}") } else { camel }
}

/// A property or enum case name as written in declarations and expressions.
pub(crate) fn member_ident(neutral: &str) -> String {
    escape(&member_name(neutral))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_becomes_lower_camel_case() {
        assert_eq!(member_ident("thread_id"), "threadId");
        assert_eq!(member_ident("handoff_id"), "handoffId");
        assert_eq!(member_ident("in_progress"), "inProgress");
        assert_eq!(member_ident("type"), "type");
    }

    #[test]
    fn keywords_get_backticks() {
        assert_eq!(member_ident("default"), "`default`");
        assert_eq!(member_ident("protocol"), "`protocol`");
        assert_eq!(member_ident("self"), "self_");
        assert_eq!(member_ident("init"), "init_");
        assert_eq!(escape("extension"), "`extension`");
        assert_eq!(escape("threadId"), "threadId");
    }

    #[test]
    fn leading_digits_get_an_underscore() {
        assert_eq!(member_ident("2fa"), "_2fa");
    }
}
