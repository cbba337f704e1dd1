//! The cross-language verdict table: what each language's test run said about every fixture case (the
//! `<lang>.jsonl` files of INTERFACES.md), compared with what the fixtures expect and so with each other.
//!
//! Expected verdicts come from the fixtures alone: a `valid` message is accepted and re-encoded as its `canonical`
//! form (the value itself when none is given), an `aliased` one is accepted and re-encoded as its `canonical`
//! form, an `invalid` one is refused; a tool call is accepted under its canonical tool name when `expect` is `ok`,
//! else refused with that error kind. Every language is held to the same expectation, so a table without
//! disagreements also means the languages agree with one another; where one differs, the row shows every
//! language's verdict side by side.
//!
//! Two canonical forms that mean the same message are equal: object keys in any order; a number written `1` or
//! `1.0` (JavaScript cannot tell them apart); and a member that may be absent or null (`OptionalNullable` in the
//! IR) given as `null` or left out, as the schema says both mean "no value" (a TypeScript client writes back the
//! `null` it read, the decoding languages drop it). Any other difference counts.

use std::collections::BTreeMap;
use std::fmt;

use handoff_schema::{Ir, Presence, TypeKind, TypeRef};
use serde_json::{Map, Value};

/// Every language that writes verdicts, in table order.
pub const LANGUAGES: [&str; 4] = ["rust", "typescript", "swift", "kotlin"];

/// Which fixture case a verdict is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CaseKey {
    /// A case of `tests/fixtures/messages/<def>.json`.
    Message { def: String, section: String, case: String },
    /// A call of `tests/fixtures/realtime/tool_calls.json`, by index.
    ToolCall { index: usize },
}

impl fmt::Display for CaseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaseKey::Message { def, section, case } => write!(f, "messages {def} / {section} / {case}"),
            CaseKey::ToolCall { index } => write!(f, "tool_calls #{index}"),
        }
    }
}

/// One verdict, expected or given.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Message { accepted: bool, canonical: Option<Value> },
    ToolCall { accepted: bool, tool: Option<String>, error_kind: Option<String> },
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Message { accepted: false, canonical: None } => f.write_str("refused"),
            Verdict::Message { accepted: false, canonical: Some(value) } => {
                write!(f, "refused, yet wrote {}", canonical_text(value))
            }
            Verdict::Message { accepted: true, canonical: Some(value) } => {
                write!(f, "accepted {}", canonical_text(value))
            }
            Verdict::Message { accepted: true, canonical: None } => f.write_str("accepted, wrote nothing"),
            Verdict::ToolCall { accepted, tool, error_kind } => {
                f.write_str(if *accepted { "accepted" } else { "refused" })?;
                if let Some(tool) = tool {
                    write!(f, " tool {tool}")?;
                }
                if let Some(kind) = error_kind {
                    write!(f, " {kind}")?;
                }
                Ok(())
            }
        }
    }
}

/// JSON with object keys sorted, compact: how canonical forms are shown.
pub fn canonical_text(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(members) => {
                let mut keys: Vec<&String> = members.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&members[k]))).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// The verdicts of one language, by case.
pub type Verdicts = BTreeMap<CaseKey, Verdict>;

/// Reads a `<lang>.jsonl` file. A line that is not a verdict, or a second verdict for one case, makes the file
/// unusable: the error names the line.
pub fn parse_verdicts(text: &str) -> Result<Verdicts, String> {
    let mut verdicts = Verdicts::new();
    for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l)) {
        if line.trim().is_empty() {
            continue;
        }
        let (key, verdict) = parse_line(line).map_err(|e| format!("line {number}: {e}"))?;
        if verdicts.contains_key(&key) {
            return Err(format!("line {number}: a second verdict for {key}"));
        }
        verdicts.insert(key, verdict);
    }
    Ok(verdicts)
}

fn parse_line(line: &str) -> Result<(CaseKey, Verdict), String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let object = value.as_object().ok_or("not a JSON object")?;
    let text = |name: &str| -> Result<String, String> {
        object.get(name).and_then(Value::as_str).map(str::to_owned).ok_or(format!("`{name}` must be a string"))
    };
    let optional_text = |name: &str| -> Result<Option<String>, String> {
        match object.get(name) {
            Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            _ => Err(format!("`{name}` must be a string or null")),
        }
    };
    let accepted = object.get("accepted").and_then(Value::as_bool).ok_or("`accepted` must be true or false")?;
    let allowed: &[&str] = match text("suite")?.as_str() {
        "messages" => {
            let section = text("section")?;
            if !matches!(section.as_str(), "valid" | "aliased" | "invalid") {
                return Err(format!("`section` must be valid, aliased or invalid, not {section:?}"));
            }
            let canonical = match object.get("canonical") {
                None => return Err("`canonical` is missing (null when refused)".to_owned()),
                Some(Value::Null) => None,
                Some(value) => Some(value.clone()),
            };
            let key = CaseKey::Message { def: text("def")?, section, case: text("case")? };
            check_members(object, &["suite", "def", "section", "case", "accepted", "canonical"])?;
            return Ok((key, Verdict::Message { accepted, canonical }));
        }
        "tool_calls" => &["suite", "case", "accepted", "tool", "error_kind"],
        other => return Err(format!("`suite` must be messages or tool_calls, not {other:?}")),
    };
    check_members(object, allowed)?;
    let case = text("case")?;
    let index = case.parse::<usize>().map_err(|_| format!("a tool call's `case` is its index, not {case:?}"))?;
    let verdict =
        Verdict::ToolCall { accepted, tool: optional_text("tool")?, error_kind: optional_text("error_kind")? };
    Ok((CaseKey::ToolCall { index }, verdict))
}

fn check_members(object: &Map<String, Value>, allowed: &[&str]) -> Result<(), String> {
    match object.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(unknown) => Err(format!("unknown member `{unknown}`")),
        None => Ok(()),
    }
}

/// What the fixtures expect, from the parsed fixture files: `(def, file contents)` per messages file and the
/// `calls` array of tool_calls.json. `keeps_unlisted(def, value)` says whether an `invalid` value is invalid only
/// because an open enum in it has a value the schema does not list: decoders must then keep it unchanged.
pub fn expectations(
    messages: &[(String, Value)],
    tool_calls: &[Value],
    keeps_unlisted: &dyn Fn(&str, &Value) -> bool,
) -> Result<Verdicts, String> {
    let mut expected = Verdicts::new();
    for (def, fixtures) in messages {
        for section in ["valid", "aliased", "invalid"] {
            let cases = match fixtures.get(section) {
                None if section == "aliased" => continue,
                Some(Value::Array(cases)) => cases,
                _ => return Err(format!("{def}.json: `{section}` must be an array")),
            };
            for case in cases {
                let name = case
                    .get("case")
                    .and_then(Value::as_str)
                    .ok_or(format!("{def}.json: a `{section}` case without a `case` name"))?;
                let value = case.get("value").ok_or(format!("{def}.json: {name}: no `value`"))?;
                let canonical = case.get("canonical");
                let verdict = match section {
                    "invalid" if keeps_unlisted(def, value) => {
                        Verdict::Message { accepted: true, canonical: Some(value.clone()) }
                    }
                    "invalid" => Verdict::Message { accepted: false, canonical: None },
                    "aliased" => Verdict::Message {
                        accepted: true,
                        canonical: Some(
                            canonical.ok_or(format!("{def}.json: {name}: aliased without `canonical`"))?.clone(),
                        ),
                    },
                    _ => Verdict::Message { accepted: true, canonical: Some(canonical.unwrap_or(value).clone()) },
                };
                let key = CaseKey::Message { def: def.clone(), section: section.to_owned(), case: name.to_owned() };
                if expected.insert(key, verdict).is_some() {
                    return Err(format!("{def}.json: two `{section}` cases named {name:?}"));
                }
            }
        }
    }
    for (index, call) in tool_calls.iter().enumerate() {
        let expect = call.get("expect").and_then(Value::as_str).ok_or(format!("tool call #{index}: no `expect`"))?;
        let verdict = if expect == "ok" {
            let tool = call.get("tool").and_then(Value::as_str).ok_or(format!("tool call #{index}: no `tool`"))?;
            Verdict::ToolCall { accepted: true, tool: Some(tool.to_owned()), error_kind: None }
        } else {
            Verdict::ToolCall { accepted: false, tool: None, error_kind: Some(expect.to_owned()) }
        };
        expected.insert(CaseKey::ToolCall { index }, verdict);
    }
    Ok(expected)
}

/// A case where some language's verdict differs from the fixtures': every language's verdict (None: it gave
/// none), and whether each differs. `expected` is None for a verdict about a case the fixtures do not have.
#[derive(Debug, Clone, PartialEq)]
pub struct Disagreement {
    pub key: CaseKey,
    pub expected: Option<Verdict>,
    pub verdicts: Vec<(String, Option<Verdict>, bool)>,
}

/// Compares every language with the fixtures. `languages` is `(name, verdicts)` in table order.
pub fn disagreements(ir: &Ir, expected: &Verdicts, languages: &[(String, Verdicts)]) -> Vec<Disagreement> {
    let mut keys: Vec<&CaseKey> = expected.keys().collect();
    for (_, verdicts) in languages {
        keys.extend(verdicts.keys().filter(|k| !expected.contains_key(k)));
    }
    keys.sort();
    keys.dedup();
    let mut rows = Vec::new();
    for key in keys {
        let want = expected.get(key);
        let verdicts: Vec<(String, Option<Verdict>, bool)> = languages
            .iter()
            .map(|(name, verdicts)| {
                let got = verdicts.get(key);
                let differs = match (want, got) {
                    (Some(want), Some(got)) => !same(ir, key, want, got),
                    _ => true,
                };
                (name.clone(), got.cloned(), differs)
            })
            .collect();
        if verdicts.iter().any(|(_, _, differs)| *differs) {
            rows.push(Disagreement { key: key.clone(), expected: want.cloned(), verdicts });
        }
    }
    rows
}

fn same(ir: &Ir, key: &CaseKey, want: &Verdict, got: &Verdict) -> bool {
    match (want, got) {
        (
            Verdict::Message { accepted: a, canonical: Some(x) },
            Verdict::Message { accepted: b, canonical: Some(y) },
        ) => {
            let ty = match key {
                CaseKey::Message { def, .. } if ir.types.contains_key(def) => Some(TypeRef::Named(def.clone())),
                _ => None,
            };
            let normal = |value: &Value| match &ty {
                Some(ty) => normalize(ir, ty, value),
                None => normalize_numbers(value),
            };
            a == b && normal(x) == normal(y)
        }
        _ => want == got,
    }
}

/// `value` with what does not change its meaning as a value of `ty` removed: `null` members that may be absent
/// or null, and integral numbers written as floats.
fn normalize(ir: &Ir, ty: &TypeRef, value: &Value) -> Value {
    match (ty, value) {
        (TypeRef::Array(item), Value::Array(items)) => {
            Value::Array(items.iter().map(|v| normalize(ir, item, v)).collect())
        }
        (TypeRef::Map(inner), Value::Object(members)) => {
            Value::Object(members.iter().map(|(k, v)| (k.clone(), normalize(ir, inner, v))).collect())
        }
        (TypeRef::Named(name), _) => match ir.types.get(name).map(|def| &def.kind) {
            Some(TypeKind::Struct(s)) => {
                let Value::Object(members) = value else { return normalize_numbers(value) };
                let mut out = Map::new();
                for (key, member) in members {
                    match s.fields.iter().find(|f| &f.wire_name == key) {
                        Some(field) if field.presence == Presence::OptionalNullable && member.is_null() => {}
                        Some(field) => {
                            out.insert(key.clone(), normalize(ir, &field.ty, member));
                        }
                        None => {
                            out.insert(key.clone(), normalize_numbers(member));
                        }
                    }
                }
                Value::Object(out)
            }
            Some(TypeKind::TaggedUnion(u)) => {
                let tag = value.get(&u.tag).and_then(Value::as_str);
                let variant = u.variants.iter().find(|v| Some(v.tag_value.as_str()) == tag).map(|v| &v.type_name);
                match variant.or(u.fallback.as_ref()) {
                    Some(variant) => normalize(ir, &TypeRef::Named(variant.clone()), value),
                    None => normalize_numbers(value),
                }
            }
            Some(TypeKind::Alias(inner)) => normalize(ir, inner, value),
            _ => normalize_numbers(value),
        },
        _ => normalize_numbers(value),
    }
}

/// `value` with every integral float (`1.0`) written as an integer.
fn normalize_numbers(value: &Value) -> Value {
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            _ => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(normalize_numbers).collect()),
        Value::Object(members) => {
            Value::Object(members.iter().map(|(k, v)| (k.clone(), normalize_numbers(v))).collect())
        }
        other => other.clone(),
    }
}

/// A difference the project knows and accepts for now, listed with its reason in
/// `tests/fixtures/known_verdict_differences.json`: `language` may differ from the fixtures on `case` (the
/// case's table title, as [`CaseKey`] displays it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDifference {
    pub language: String,
    pub case: String,
    pub reason: String,
}

/// Reads the known differences file: `[{"language", "case", "reason"}]`.
pub fn parse_known(text: &str) -> Result<Vec<KnownDifference>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let entries = value.as_array().ok_or("must be an array")?;
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let field = |name: &str| {
                entry
                    .get(name)
                    .and_then(Value::as_str)
                    .filter(|text| !text.trim().is_empty())
                    .map(str::to_owned)
                    .ok_or(format!("entry {index}: `{name}` must be a non-empty string"))
            };
            let known =
                KnownDifference { language: field("language")?, case: field("case")?, reason: field("reason")? };
            if !LANGUAGES.contains(&known.language.as_str()) {
                return Err(format!("entry {index}: unknown language `{}`", known.language));
            }
            Ok(known)
        })
        .collect()
}

/// Splits the disagreements into those every differing language of which is a known difference for that case,
/// and the rest (failures). Also returns the known differences that no longer occur (stale entries, failures too:
/// a fixed difference must leave the list).
pub fn apply_known<'k>(
    rows: Vec<Disagreement>,
    known: &'k [KnownDifference],
    languages: &[String],
) -> (Vec<Disagreement>, Vec<Disagreement>, Vec<&'k KnownDifference>) {
    let is_known = |row: &Disagreement, language: &str| {
        let title = row.key.to_string();
        known.iter().any(|k| k.language == language && k.case == title)
    };
    let (accepted, failing): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|row| row.verdicts.iter().filter(|(_, _, differs)| *differs).all(|(l, _, _)| is_known(row, l)));
    let stale = known
        .iter()
        .filter(|k| languages.contains(&k.language))
        .filter(|k| {
            !accepted.iter().any(|row| {
                row.key.to_string() == k.case && row.verdicts.iter().any(|(l, _, differs)| *differs && *l == k.language)
            })
        })
        .collect();
    (accepted, failing, stale)
}

/// The table of disagreements, one block per case: the fixtures' verdict, then each language's, the ones that
/// differ marked.
pub fn render(rows: &[Disagreement]) -> String {
    let mut out = String::new();
    for row in rows {
        out.push_str(&format!("{}\n", row.key));
        let expected = row.expected.as_ref().map_or("(no such case in the fixtures)".to_owned(), |v| v.to_string());
        out.push_str(&format!("  {:<12}{expected}\n", "fixtures"));
        for (language, verdict, differs) in &row.verdicts {
            let shown = verdict.as_ref().map_or("(no verdict)".to_owned(), |v| v.to_string());
            let mark = if *differs { "   <- differs" } else { "" };
            out.push_str(&format!("  {language:<12}{shown}{mark}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ir() -> Ir {
        handoff_schema::Contract::canonical().unwrap().ir
    }

    fn fixtures() -> Verdicts {
        let messages = vec![(
            "ThreadStartParams".to_owned(),
            json!({
                "valid": [{"case": "empty", "value": {}}, {"case": "nulls", "value": {"cwd": null}, "canonical": {}}],
                "invalid": [{"case": "not an object", "value": 3}]
            }),
        )];
        let calls = vec![
            json!({"name": "codex", "arguments": "{}", "expect": "missing_member", "tool": "codex"}),
            json!({"name": "list_servers", "arguments": "{}", "expect": "ok", "tool": "list_servers"}),
        ];
        expectations(&messages, &calls, &|_, _| false).unwrap()
    }

    const AGREEING: &str = r#"{"suite":"messages","def":"ThreadStartParams","section":"valid","case":"empty","accepted":true,"canonical":{}}
{"suite":"messages","def":"ThreadStartParams","section":"valid","case":"nulls","accepted":true,"canonical":{}}
{"suite":"messages","def":"ThreadStartParams","section":"invalid","case":"not an object","accepted":false,"canonical":null}
{"suite":"tool_calls","case":"0","accepted":false,"tool":null,"error_kind":"missing_member"}
{"suite":"tool_calls","case":"1","accepted":true,"tool":"list_servers","error_kind":null}
"#;

    fn table(files: &[(&str, &str)]) -> Vec<Disagreement> {
        let languages: Vec<(String, Verdicts)> =
            files.iter().map(|(name, text)| ((*name).to_owned(), parse_verdicts(text).unwrap())).collect();
        disagreements(&ir(), &fixtures(), &languages)
    }

    #[test]
    fn languages_that_match_the_fixtures_agree() {
        assert_eq!(table(&[("rust", AGREEING), ("kotlin", AGREEING)]), vec![]);
    }

    #[test]
    fn a_null_that_means_absent_and_keys_in_another_order_are_the_same_message() {
        // `cwd` of ThreadStartParams may be absent or null: a TypeScript client keeps the null it read.
        let kept = AGREEING.replace(
            r#""case":"nulls","accepted":true,"canonical":{}"#,
            r#""case":"nulls","accepted":true,"canonical":{"cwd":null}"#,
        );
        assert_ne!(kept, AGREEING);
        assert_eq!(table(&[("typescript", &kept)]), vec![]);
        // But a value in its place is a different message.
        let changed = AGREEING.replace(
            r#""case":"nulls","accepted":true,"canonical":{}"#,
            r#""case":"nulls","accepted":true,"canonical":{"cwd":"/"}"#,
        );
        assert_eq!(table(&[("typescript", &changed)]).len(), 1);
    }

    #[test]
    fn an_accepted_invalid_case_is_a_disagreement() {
        let lenient = AGREEING.replace(
            r#""case":"not an object","accepted":false,"canonical":null"#,
            r#""case":"not an object","accepted":true,"canonical":3"#,
        );
        let rows = table(&[("rust", AGREEING), ("swift", &lenient)]);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].key.to_string(), "messages ThreadStartParams / invalid / not an object");
        assert_eq!(
            rows[0].verdicts[0],
            ("rust".to_owned(), Some(Verdict::Message { accepted: false, canonical: None }), false)
        );
        assert!(rows[0].verdicts[1].2);
        let text = render(&rows);
        assert!(
            text.contains("  fixtures    refused\n  rust        refused\n  swift       accepted 3   <- differs\n"),
            "{text}"
        );
    }

    #[test]
    fn a_different_canonical_form_is_a_disagreement() {
        let other = AGREEING.replace(
            r#""case":"empty","accepted":true,"canonical":{}"#,
            r#""case":"empty","accepted":true,"canonical":{"cwd":"/tmp"}"#,
        );
        let rows = table(&[("kotlin", &other)]);
        assert_eq!(rows.len(), 1);
        assert!(render(&rows).contains(r#"kotlin      accepted {"cwd":"/tmp"}   <- differs"#));
    }

    #[test]
    fn a_different_error_kind_or_tool_is_a_disagreement() {
        let kind = AGREEING.replace(r#""error_kind":"missing_member""#, r#""error_kind":"invalid_arguments""#);
        assert_eq!(table(&[("kotlin", &kind)])[0].key, CaseKey::ToolCall { index: 0 });
        let tool = AGREEING.replace(r#""tool":"list_servers""#, r#""tool":"codex""#);
        assert_eq!(table(&[("typescript", &tool)])[0].key, CaseKey::ToolCall { index: 1 });
    }

    #[test]
    fn a_missing_verdict_and_a_verdict_for_an_unknown_case_are_disagreements() {
        let missing: String = AGREEING.lines().skip(1).map(|l| format!("{l}\n")).collect();
        let rows = table(&[("rust", AGREEING), ("swift", &missing)]);
        assert_eq!(rows.len(), 1);
        assert!(render(&rows).contains("swift       (no verdict)   <- differs"));
        let extra = format!(
            "{AGREEING}{}\n",
            r#"{"suite":"tool_calls","case":"9","accepted":true,"tool":"codex","error_kind":null}"#
        );
        let rows = table(&[("rust", &extra)]);
        assert_eq!(rows.len(), 1);
        assert!(render(&rows).contains("fixtures    (no such case in the fixtures)"));
    }

    #[test]
    fn known_differences_are_listed_apart_and_stale_ones_fail() {
        let lenient = AGREEING.replace(
            r#""case":"not an object","accepted":false,"canonical":null"#,
            r#""case":"not an object","accepted":true,"canonical":3"#,
        );
        let rows = table(&[("rust", AGREEING), ("typescript", &lenient)]);
        let known = parse_known(
            r#"[{"language":"typescript","case":"messages ThreadStartParams / invalid / not an object","reason":"r"},
                {"language":"typescript","case":"tool_calls #1","reason":"fixed since"}]"#,
        )
        .unwrap();
        let languages = vec!["rust".to_owned(), "typescript".to_owned()];
        let (accepted, failing, stale) = apply_known(rows.clone(), &known, &languages);
        assert_eq!((accepted.len(), failing.len()), (1, 0));
        assert_eq!(stale, vec![&known[1]]);
        // The same difference in another language is still a failure.
        let rows = table(&[("swift", &lenient)]);
        let (accepted, failing, _) = apply_known(rows, &known, &["swift".to_owned()]);
        assert_eq!((accepted.len(), failing.len()), (0, 1));
        assert!(parse_known(r#"[{"language":"cobol","case":"x","reason":"y"}]"#).unwrap_err().contains("cobol"));
        assert!(parse_known(r#"[{"language":"rust","case":"x","reason":" "}]"#).unwrap_err().contains("reason"));
    }

    #[test]
    fn an_invalid_value_an_open_enum_keeps_is_expected_unchanged() {
        let messages =
            vec![("TurnStatus".to_owned(), json!({"valid": [], "invalid": [{"case": "new", "value": "paused"}]}))];
        let expected = expectations(&messages, &[], &|def, value| def == "TurnStatus" && value == "paused").unwrap();
        assert_eq!(
            expected.values().next(),
            Some(&Verdict::Message { accepted: true, canonical: Some(json!("paused")) })
        );
    }

    #[test]
    fn integral_floats_equal_integers() {
        assert_eq!(normalize_numbers(&json!({"a": [1.0, 2.5]})), json!({"a": [1, 2.5]}));
    }

    #[test]
    fn malformed_files_name_the_line() {
        let error = parse_verdicts(&format!("{AGREEING}not json\n")).unwrap_err();
        assert!(error.starts_with("line 6: not JSON"), "{error}");
        let twice = format!("{AGREEING}{}", AGREEING.lines().next().unwrap());
        assert!(
            parse_verdicts(&twice)
                .unwrap_err()
                .contains("a second verdict for messages ThreadStartParams / valid / empty")
        );
        let unknown = r#"{"suite":"tool_calls","case":"0","accepted":true,"tool":null,"error_kind":null,"extra":1}"#;
        assert!(parse_verdicts(unknown).unwrap_err().contains("unknown member `extra`"));
        let bad_section = r#"{"suite":"messages","def":"X","section":"good","case":"c","accepted":true,"canonical":1}"#;
        assert!(parse_verdicts(bad_section).unwrap_err().contains("`section` must be"));
    }
}
