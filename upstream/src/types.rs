//! Types: every canonical def that declares `"x-upstream": "<UpstreamType>"` compared member by member with that
//! upstream type — presence (required / optional / nullable), JSON types, enum values, and whether each side takes
//! members it does not list.
//!
//! Each difference is put in `compat`'s terms with *old* = our schema and *new* = upstream's, and classified by
//! [`compat::classify`] with the def's usage from our method table. Only the half of the effect that matters on the
//! wire between us and the app-server is kept: for a def the client decodes, whether our decoders can reject what
//! upstream writes; for a def the client encodes, whether upstream's decoder can reject what we write. So a member we
//! require that upstream may omit, in a message we decode, is breaking; upstream's extra optional members, which our
//! open objects keep in `extra`, are information.
//!
//! A known, intended difference is declared with `"x-upstream-differs": "why"` on our member, or, for a member only
//! upstream has, `"x-upstream-differs": {"member": "why"}` on the def; declared differences are not reported, and a
//! declaration that silences nothing is reported as stale.

use std::collections::{BTreeMap, BTreeSet};

use handoff_schema::compat::{self, ChangeKind, Class, Effect, NewMessages, Usage};
use handoff_schema::escape_pointer_token as escape;
use serde_json::{Map, Value};

use crate::upstream_schema::{UpstreamSchema, ref_name};

/// The def annotation naming the mirrored upstream type.
pub const UPSTREAM: &str = "x-upstream";
/// The annotation declaring a known difference.
pub const DIFFERS: &str = "x-upstream-differs";

/// One reported difference.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeFinding {
    /// Our def.
    pub def: String,
    /// The upstream type it mirrors.
    pub upstream: String,
    /// The member, or `None` for the def as a whole.
    pub member: Option<String>,
    /// JSON pointer into our schema (the def's when the member is only upstream's).
    pub pointer: String,
    /// `compat`'s kind, read as "from our schema to upstream's".
    pub kind: TypeFindingKind,
    pub usage: Usage,
    pub class: Class,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeFindingKind {
    Change(ChangeKind),
    /// The declared upstream type does not exist upstream.
    UpstreamTypeMissing,
    /// An `x-upstream-differs` that silences nothing.
    StaleDeclaration,
}

impl TypeFindingKind {
    pub fn id(self) -> &'static str {
        match self {
            TypeFindingKind::Change(kind) => kind.id(),
            TypeFindingKind::UpstreamTypeMissing => "upstream-type-missing",
            TypeFindingKind::StaleDeclaration => "stale-declaration",
        }
    }
}

/// What the comparison found, sorted by def, then member.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TypeReport {
    pub findings: Vec<TypeFinding>,
    /// Our defs compared, with the upstream type each mirrors.
    pub compared: Vec<(String, String)>,
    /// Differences silenced by a declaration: (def, member, why).
    pub declared: Vec<(String, String, String)>,
}

impl TypeReport {
    pub fn breaking(&self) -> impl Iterator<Item = &TypeFinding> {
        self.findings.iter().filter(|f| f.class == Class::Breaking)
    }
}

/// Why a mapping could not be compared at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {message}")]
pub struct MappingError {
    pub pointer: String,
    pub message: String,
}

/// Compares every def of `document` carrying `x-upstream`. `usage` is our IR's usage of each def.
pub fn compare(
    document: &Value,
    usage: &BTreeMap<String, Usage>,
    upstream: &UpstreamSchema,
) -> Result<TypeReport, MappingError> {
    let mut report = TypeReport::default();
    let empty = Map::new();
    let defs = document.get("$defs").and_then(Value::as_object).unwrap_or(&empty);
    for (name, def) in defs {
        let Some(mapping) = def.get(UPSTREAM) else { continue };
        let pointer = format!("/$defs/{}", escape(name));
        let upstream_name = mapping.as_str().filter(|s| !s.is_empty()).ok_or_else(|| MappingError {
            pointer: format!("{pointer}/{UPSTREAM}"),
            message: "must name an upstream type".to_owned(),
        })?;
        let def_usage = usage.get(name).copied().unwrap_or_default();
        let mut pair = Pair {
            ours_doc: document,
            theirs_doc: upstream,
            def: name,
            upstream: upstream_name,
            pointer: &pointer,
            usage: def_usage,
            report: &mut report,
        };
        pair.run(def)?;
        report.compared.push((name.clone(), upstream_name.to_owned()));
    }
    report.findings.sort_by(|a, b| (&a.def, &a.member, a.kind.id()).cmp(&(&b.def, &b.member, b.kind.id())));
    Ok(report)
}

/// What a schema node admits, as far as the comparison looks: JSON types, null, string enum values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Shape {
    /// `None`: any JSON.
    types: Option<BTreeSet<&'static str>>,
    nullable: bool,
    /// For strings restricted to a list of values.
    values: Option<BTreeSet<String>>,
    /// For objects: whether members it does not list are rejected.
    closed: bool,
}

/// An object def reduced to what is compared.
struct Object {
    members: BTreeMap<String, (Shape, bool, Option<Value>)>,
    closed: bool,
}

/// Where a `$ref` leads: our `#/$defs/X` or upstream's `#/definitions/X`.
trait Defs {
    fn lookup(&self, target: &str) -> Option<&Value>;
}

impl Defs for &Value {
    fn lookup(&self, target: &str) -> Option<&Value> {
        self.get("$defs")?.get(ref_name(target))
    }
}

impl Defs for &UpstreamSchema {
    fn lookup(&self, target: &str) -> Option<&Value> {
        self.types.get(ref_name(target))
    }
}

fn shape_of(node: &Value, defs: &dyn Defs, depth: usize) -> Shape {
    // Any JSON, `null` included.
    let any = Shape { nullable: true, ..Shape::default() };
    let Some(obj) = node.as_object() else {
        // `true` admits anything; `false` nothing (treated as any: it is not used for members).
        return any;
    };
    if depth > 16 {
        return any;
    }
    if let Some(target) = obj.get("$ref").and_then(Value::as_str) {
        return defs.lookup(target).map_or(any, |def| shape_of(def, defs, depth + 1));
    }
    for keyword in ["anyOf", "oneOf", "allOf"] {
        if let Some(branches) = obj.get(keyword).and_then(Value::as_array) {
            let shapes: Vec<Shape> = branches.iter().map(|b| shape_of(b, defs, depth + 1)).collect();
            return if keyword == "allOf" { shapes.into_iter().next().unwrap_or(any) } else { union(shapes) };
        }
    }
    if let Some(value) = obj.get("const") {
        return literal_shape(std::slice::from_ref(value));
    }
    if let Some(values) = obj.get("enum").and_then(Value::as_array) {
        return literal_shape(values);
    }
    let mut shape = Shape::default();
    let mut types = BTreeSet::new();
    match obj.get("type") {
        Some(Value::String(t)) => add_type(&mut types, &mut shape.nullable, t),
        Some(Value::Array(list)) => {
            for t in list.iter().filter_map(Value::as_str) {
                add_type(&mut types, &mut shape.nullable, t);
            }
        }
        _ => {
            if obj.contains_key("properties") {
                types.insert("object");
            } else {
                return any;
            }
        }
    }
    shape.closed = obj.get("additionalProperties") == Some(&Value::Bool(false));
    shape.types = Some(types);
    shape
}

fn add_type(types: &mut BTreeSet<&'static str>, nullable: &mut bool, t: &str) {
    match t {
        "null" => *nullable = true,
        "string" => _ = types.insert("string"),
        "integer" => _ = types.insert("integer"),
        "number" => _ = types.insert("number"),
        "boolean" => _ = types.insert("boolean"),
        "array" => _ = types.insert("array"),
        "object" => _ = types.insert("object"),
        _ => {}
    }
}

fn literal_shape(values: &[Value]) -> Shape {
    let mut shape = Shape { types: Some(BTreeSet::new()), ..Shape::default() };
    let mut strings = BTreeSet::new();
    for value in values {
        match value {
            Value::Null => shape.nullable = true,
            Value::String(s) => {
                strings.insert(s.clone());
            }
            other => add_type(shape.types.as_mut().unwrap(), &mut shape.nullable, json_type(other)),
        }
    }
    if !strings.is_empty() {
        shape.types.as_mut().unwrap().insert("string");
        shape.values = Some(strings);
    }
    shape
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The shape admitting what any of `shapes` admits.
fn union(shapes: Vec<Shape>) -> Shape {
    let mut out = Shape { types: Some(BTreeSet::new()), ..Shape::default() };
    let mut values: Option<BTreeSet<String>> = Some(BTreeSet::new());
    let mut any_string_unrestricted = false;
    for shape in shapes {
        out.nullable |= shape.nullable;
        match (&mut out.types, shape.types) {
            (Some(all), Some(types)) => {
                if types.contains("string") {
                    match &shape.values {
                        Some(v) => values.get_or_insert_with(BTreeSet::new).extend(v.iter().cloned()),
                        None => any_string_unrestricted = true,
                    }
                }
                all.extend(types);
            }
            _ => out.types = None,
        }
    }
    let has_string = out.types.as_ref().is_some_and(|t| t.contains("string"));
    out.values = if has_string && !any_string_unrestricted { values } else { None };
    out
}

/// True when a value of JSON type `t` is admitted by `types` (`number` admits integers).
fn admits(types: &BTreeSet<&'static str>, t: &str) -> bool {
    types.contains(t) || (t == "integer" && types.contains("number"))
}

fn object_of(node: &Value, defs: &dyn Defs) -> Option<Object> {
    let mut node = node;
    // Follow a def that only refers to another (upstream uses `allOf: [{$ref}]` and bare `$ref`s).
    for _ in 0..8 {
        let target = node
            .get("$ref")
            .or_else(|| node.get("allOf").and_then(Value::as_array).and_then(|a| a.first()?.get("$ref")))
            .and_then(Value::as_str);
        match target.and_then(|t| defs.lookup(t)) {
            Some(next) => node = next,
            None => break,
        }
    }
    let properties = node.get("properties")?.as_object()?;
    let required: BTreeSet<&str> = node
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let members = properties
        .iter()
        .map(|(name, member)| {
            let shape = shape_of(member, defs, 0);
            (name.clone(), (shape, required.contains(name.as_str()), member.get(DIFFERS).cloned()))
        })
        .collect();
    Some(Object { members, closed: node.get("additionalProperties") == Some(&Value::Bool(false)) })
}

/// One difference before classification: which side's decoder can reject what the other side writes.
struct Difference {
    kind: ChangeKind,
    /// Our decoders can reject what upstream writes (matters when the client decodes the def).
    ours_reject: NewMessages,
    /// Upstream's decoder can reject what we write (matters when the client encodes the def).
    upstream_rejects: bool,
    message: String,
}

struct Pair<'a> {
    ours_doc: &'a Value,
    theirs_doc: &'a UpstreamSchema,
    def: &'a str,
    upstream: &'a str,
    pointer: &'a str,
    usage: Usage,
    report: &'a mut TypeReport,
}

impl Pair<'_> {
    fn run(&mut self, def: &Value) -> Result<(), MappingError> {
        let ours_defs: &dyn Defs = &self.ours_doc;
        let theirs_defs: &dyn Defs = &self.theirs_doc;
        let Some(theirs_node) = self.theirs_doc.types.get(self.upstream) else {
            let message = format!("upstream has no type `{}` (renamed or removed?)", self.upstream);
            self.push(None, self.pointer.to_owned(), TypeFindingKind::UpstreamTypeMissing, Class::Breaking, message);
            return Ok(());
        };
        let ours = object_of(def, ours_defs);
        let theirs = object_of(theirs_node, theirs_defs);
        let (ours, theirs) = match (ours, theirs) {
            (Some(ours), Some(theirs)) => (ours, theirs),
            (None, _) => {
                // A string enum mirrors an upstream enum: compare the values as one member.
                let (a, b) = (shape_of(def, ours_defs, 0), shape_of(theirs_node, theirs_defs, 0));
                let mut differences = Vec::new();
                compare_shapes("", &a, &b, &mut differences);
                self.classify_all(None, self.pointer.to_owned(), differences, None);
                return Ok(());
            }
            (Some(_), None) => {
                return Err(MappingError {
                    pointer: format!("{}/{UPSTREAM}", self.pointer),
                    message: format!("upstream `{}` is not an object type; map it from an object def", self.upstream),
                });
            }
        };
        let def_declarations: BTreeMap<String, String> = def
            .get(DIFFERS)
            .and_then(Value::as_object)
            .map(|o| o.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
            .unwrap_or_default();

        let names: BTreeSet<&String> = ours.members.keys().chain(theirs.members.keys()).collect();
        for name in names {
            let member_pointer = format!("{}/properties/{}", self.pointer, escape(name));
            let mut differences = Vec::new();
            let declared = match (ours.members.get(name), theirs.members.get(name)) {
                (Some((a, a_required, declared)), Some((b, b_required, _))) => {
                    compare_presence(name, *a_required, *b_required, &mut differences);
                    compare_shapes(name, a, b, &mut differences);
                    declared.as_ref().and_then(Value::as_str).map(str::to_owned)
                }
                (Some((_, required, declared)), None) => {
                    differences.push(Difference {
                        kind: ChangeKind::FieldRemoved,
                        // Upstream never writes it: a member we require is never there.
                        ours_reject: if *required { NewMessages::Always } else { NewMessages::Accepted },
                        upstream_rejects: theirs.closed,
                        message: format!(
                            "{} member `{name}` is ours only; upstream {}",
                            if *required { "required" } else { "optional" },
                            if theirs.closed { "rejects members it does not list" } else { "ignores it" }
                        ),
                    });
                    declared.as_ref().and_then(Value::as_str).map(str::to_owned)
                }
                (None, Some((_, required, _))) => {
                    differences.push(Difference {
                        kind: if *required { ChangeKind::RequiredFieldAdded } else { ChangeKind::FieldAdded },
                        ours_reject: if ours.closed { NewMessages::Possible } else { NewMessages::Accepted },
                        upstream_rejects: *required,
                        message: format!(
                            "{} member `{name}` is upstream only; {}",
                            if *required { "required" } else { "optional" },
                            if ours.closed {
                                "our closed object rejects it"
                            } else {
                                "our open object keeps it in `extra`"
                            }
                        ),
                    });
                    def_declarations.get(name.as_str()).cloned()
                }
                (None, None) => None,
            };
            let pointer = if ours.members.contains_key(name) { member_pointer } else { self.pointer.to_owned() };
            self.classify_all(Some(name), pointer, differences, declared);
        }
        for name in
            def_declarations.keys().filter(|n| !theirs.members.contains_key(*n) || ours.members.contains_key(*n))
        {
            let message = format!("`{DIFFERS}` names `{name}`, which is not a member only upstream has");
            let pointer = format!("{}/{DIFFERS}", self.pointer);
            self.push(Some(name), pointer, TypeFindingKind::StaleDeclaration, Class::Compatible, message);
        }
        if ours.closed != theirs.closed {
            let (kind, message) = if ours.closed {
                (ChangeKind::ObjectOpened, "upstream takes members it does not list; ours is closed")
            } else {
                (ChangeKind::ObjectClosed, "upstream rejects members it does not list; ours keeps and re-sends them")
            };
            let difference = Difference {
                kind,
                ours_reject: NewMessages::Accepted,
                upstream_rejects: theirs.closed,
                message: message.to_owned(),
            };
            self.classify_all(None, self.pointer.to_owned(), vec![difference], None);
        }
        Ok(())
    }

    /// Classifies the differences of one member; a declaration silences them all (and is stale without any).
    fn classify_all(
        &mut self,
        member: Option<&String>,
        pointer: String,
        differences: Vec<Difference>,
        declared: Option<String>,
    ) {
        if let Some(why) = declared {
            if differences.is_empty() {
                let message = format!(
                    "`{DIFFERS}` on `{}` silences nothing: the member matches upstream",
                    member.map_or("", |m| m)
                );
                self.push(member, pointer, TypeFindingKind::StaleDeclaration, Class::Compatible, message);
            } else {
                self.report.declared.push((self.def.to_owned(), member.cloned().unwrap_or_default(), why));
            }
            return;
        }
        for difference in differences {
            let effect = Effect {
                rejects_old: self.usage.encoded && difference.upstream_rejects,
                rejects_new: if self.usage.decoded { difference.ours_reject } else { NewMessages::Accepted },
            };
            let class = compat::classify(effect, self.usage);
            let why = match (effect.rejects_old, effect.rejects_new) {
                (true, _) => "upstream's decoder can reject what we send",
                (false, NewMessages::Always) => "our decoders reject every message upstream writes",
                (false, NewMessages::Possible) => "our decoders can reject messages upstream writes",
                (false, NewMessages::Accepted) => "each side accepts what the other writes",
            };
            let message = format!("{} ({why}; the def is {})", difference.message, self.usage.describe());
            self.push(member, pointer.clone(), TypeFindingKind::Change(difference.kind), class, message);
        }
    }

    fn push(&mut self, member: Option<&String>, pointer: String, kind: TypeFindingKind, class: Class, message: String) {
        self.report.findings.push(TypeFinding {
            def: self.def.to_owned(),
            upstream: self.upstream.to_owned(),
            member: member.cloned(),
            pointer,
            kind,
            usage: self.usage,
            class,
            message,
        });
    }
}

fn compare_presence(name: &str, ours_required: bool, theirs_required: bool, out: &mut Vec<Difference>) {
    match (ours_required, theirs_required) {
        (true, false) => out.push(Difference {
            kind: ChangeKind::FieldOptional,
            ours_reject: NewMessages::Possible,
            upstream_rejects: false,
            message: format!("member `{name}` is required by us, optional upstream"),
        }),
        (false, true) => out.push(Difference {
            kind: ChangeKind::FieldRequired,
            ours_reject: NewMessages::Accepted,
            upstream_rejects: true,
            message: format!("member `{name}` is optional for us, required upstream"),
        }),
        _ => {}
    }
}

fn compare_shapes(name: &str, ours: &Shape, theirs: &Shape, out: &mut Vec<Difference>) {
    let label = if name.is_empty() { "the def".to_owned() } else { format!("member `{name}`") };
    // Any JSON on either side (upstream's `JsonValue` items, our open `error`) says nothing to compare with.
    if ours.types.is_none() || theirs.types.is_none() {
        return;
    }
    match (ours.nullable, theirs.nullable) {
        (false, true) => out.push(Difference {
            kind: ChangeKind::FieldNullable,
            ours_reject: NewMessages::Possible,
            upstream_rejects: false,
            message: format!("{label} may be null upstream, not for us"),
        }),
        (true, false) => out.push(Difference {
            kind: ChangeKind::FieldNonNullable,
            ours_reject: NewMessages::Accepted,
            upstream_rejects: true,
            message: format!("{label} may be null for us, not upstream"),
        }),
        _ => {}
    }
    let (Some(a), Some(b)) = (&ours.types, &theirs.types) else { return };
    let theirs_only: Vec<&str> = b.iter().copied().filter(|t| !admits(a, t)).collect();
    let ours_only: Vec<&str> = a.iter().copied().filter(|t| !admits(b, t)).collect();
    if !theirs_only.is_empty() || !ours_only.is_empty() {
        let kind = match (theirs_only.is_empty(), ours_only.is_empty()) {
            (false, true) => ChangeKind::TypeWidened,
            (true, false) => ChangeKind::TypeNarrowed,
            _ => ChangeKind::TypeChanged,
        };
        let list = |s: &BTreeSet<&str>| s.iter().copied().collect::<Vec<_>>().join("|");
        out.push(Difference {
            kind,
            ours_reject: if theirs_only.is_empty() { NewMessages::Accepted } else { NewMessages::Possible },
            upstream_rejects: !ours_only.is_empty(),
            message: format!("{label} is {} for us, {} upstream", list(a), list(b)),
        });
    }
    if admits(a, "string") && admits(b, "string") {
        let shown = |v: &BTreeSet<String>| v.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ");
        match (&ours.values, &theirs.values) {
            (Some(ours_values), Some(theirs_values)) => {
                let added: BTreeSet<String> = theirs_values.difference(ours_values).cloned().collect();
                let removed: BTreeSet<String> = ours_values.difference(theirs_values).cloned().collect();
                if !added.is_empty() {
                    out.push(Difference {
                        kind: ChangeKind::EnumValueAdded,
                        ours_reject: NewMessages::Possible,
                        upstream_rejects: false,
                        message: format!("{label}: upstream has value(s) {} we do not list", shown(&added)),
                    });
                }
                if !removed.is_empty() {
                    out.push(Difference {
                        kind: ChangeKind::EnumValueRemoved,
                        ours_reject: NewMessages::Accepted,
                        upstream_rejects: true,
                        message: format!("{label}: we list value(s) {} upstream does not", shown(&removed)),
                    });
                }
            }
            (Some(_), None) => out.push(Difference {
                kind: ChangeKind::TypeWidened,
                ours_reject: NewMessages::Possible,
                upstream_rejects: false,
                message: format!("{label} is any string upstream, a fixed list of values for us"),
            }),
            (None, Some(theirs_values)) => out.push(Difference {
                kind: ChangeKind::TypeNarrowed,
                ours_reject: NewMessages::Accepted,
                upstream_rejects: true,
                message: format!("{label} is any string for us, one of {} upstream", shown(theirs_values)),
            }),
            (None, None) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DECODED: Usage = Usage::DECODED;
    const ENCODED: Usage = Usage::ENCODED;

    /// Our def `D` (mirroring upstream `U`) against upstream `U`, used in `usage`: (member, kind, class) of each finding.
    fn findings(ours: Value, theirs: Value, usage: Usage) -> Vec<(Option<String>, &'static str, Class)> {
        report(ours, theirs, usage).findings.iter().map(|f| (f.member.clone(), f.kind.id(), f.class)).collect()
    }

    fn report(mut ours: Value, theirs: Value, usage: Usage) -> TypeReport {
        ours["x-upstream"] = json!("U");
        let document = json!({ "$defs": { "D": ours, "Mode": {"type": "string", "enum": ["a", "b"]} } });
        let mut upstream = UpstreamSchema::default();
        upstream.types.insert("U".into(), theirs);
        upstream.types.insert("UMode".into(), json!({"type": "string", "enum": ["a", "c"]}));
        let usage = BTreeMap::from([("D".to_owned(), usage)]);
        compare(&document, &usage, &upstream).unwrap()
    }

    fn object(properties: Value, required: &[&str]) -> Value {
        json!({ "type": "object", "properties": properties, "required": required })
    }

    fn one(member: &str, kind: &'static str, class: Class) -> Vec<(Option<String>, &'static str, Class)> {
        vec![(Some(member.to_owned()), kind, class)]
    }

    #[test]
    fn a_member_we_require_that_upstream_may_omit_breaks_only_what_we_decode() {
        let ours = object(json!({"a": {"type": "string"}}), &["a"]);
        let theirs = object(json!({"a": {"type": "string"}}), &[]);
        assert_eq!(findings(ours.clone(), theirs.clone(), DECODED), one("a", "field-optional", Class::Breaking));
        assert_eq!(findings(ours, theirs, ENCODED), one("a", "field-optional", Class::Compatible));
    }

    #[test]
    fn a_member_upstream_requires_that_we_may_omit_breaks_only_what_we_encode() {
        let ours = object(json!({"a": {"type": "string"}}), &[]);
        let theirs = object(json!({"a": {"type": "string"}}), &["a"]);
        assert_eq!(findings(ours.clone(), theirs.clone(), ENCODED), one("a", "field-required", Class::Breaking));
        assert_eq!(findings(ours, theirs, DECODED), one("a", "field-required", Class::Compatible));
    }

    #[test]
    fn upstream_only_members_are_drift_unless_our_object_is_closed_or_upstream_requires_them_from_us() {
        let open = object(json!({}), &[]);
        let mut closed = open.clone();
        closed["additionalProperties"] = json!(false);
        let theirs = object(json!({"extra1": {"type": "string"}}), &[]);
        assert_eq!(findings(open.clone(), theirs.clone(), DECODED), one("extra1", "field-added", Class::Compatible));
        assert_eq!(findings(open.clone(), theirs.clone(), ENCODED), one("extra1", "field-added", Class::Compatible));
        let closed_findings = findings(closed, theirs, DECODED);
        assert!(
            closed_findings.contains(&(Some("extra1".into()), "field-added", Class::Breaking)),
            "{closed_findings:?}"
        );

        let theirs = object(json!({"must": {"type": "string"}}), &["must"]);
        assert_eq!(
            findings(open.clone(), theirs.clone(), ENCODED),
            one("must", "required-field-added", Class::Breaking)
        );
        assert_eq!(findings(open, theirs, DECODED), one("must", "required-field-added", Class::Compatible));
    }

    #[test]
    fn a_member_only_we_require_breaks_decoding() {
        let ours = object(json!({"mine": {"type": "string"}}), &["mine"]);
        let theirs = object(json!({}), &[]);
        assert_eq!(findings(ours.clone(), theirs.clone(), DECODED), one("mine", "field-removed", Class::Breaking));
        assert_eq!(findings(ours, theirs, ENCODED), one("mine", "field-removed", Class::Compatible));
    }

    #[test]
    fn enum_values_each_side_lacks_break_the_side_that_reads_them() {
        let ours = object(json!({"mode": {"$ref": "#/$defs/Mode"}}), &["mode"]);
        let theirs = object(json!({"mode": {"$ref": "#/definitions/UMode"}}), &["mode"]);
        assert_eq!(
            findings(ours.clone(), theirs.clone(), DECODED),
            vec![
                (Some("mode".into()), "enum-value-added", Class::Breaking),
                (Some("mode".into()), "enum-value-removed", Class::Compatible)
            ]
        );
        assert_eq!(
            findings(ours, theirs, ENCODED),
            vec![
                (Some("mode".into()), "enum-value-added", Class::Compatible),
                (Some("mode".into()), "enum-value-removed", Class::Breaking)
            ]
        );
    }

    #[test]
    fn json_types_and_null() {
        let ours = object(json!({"n": {"type": "string"}}), &[]);
        let theirs = object(json!({"n": {"type": ["string", "integer", "null"]}}), &[]);
        assert_eq!(
            findings(ours.clone(), theirs.clone(), DECODED),
            vec![
                (Some("n".into()), "field-nullable", Class::Breaking),
                (Some("n".into()), "type-widened", Class::Breaking)
            ]
        );
        assert_eq!(
            findings(ours, theirs, ENCODED),
            vec![
                (Some("n".into()), "field-nullable", Class::Compatible),
                (Some("n".into()), "type-widened", Class::Compatible)
            ]
        );
        // Our number admits upstream's integers (fine to decode), but we may send fractions upstream rejects; any
        // JSON on one side (`v`) is not compared.
        let ours = object(json!({"n": {"type": "number"}, "v": {}}), &[]);
        let theirs = object(json!({"n": {"type": "integer"}, "v": {"type": "object"}}), &[]);
        assert_eq!(findings(ours.clone(), theirs.clone(), DECODED), one("n", "type-narrowed", Class::Compatible));
        assert_eq!(findings(ours, theirs, ENCODED), one("n", "type-narrowed", Class::Breaking));
    }

    #[test]
    fn upstream_closed_objects_reject_what_we_pass_through() {
        let ours = object(json!({"a": {"type": "string"}}), &[]);
        let mut theirs = ours.clone();
        theirs["additionalProperties"] = json!(false);
        assert_eq!(findings(ours.clone(), theirs.clone(), ENCODED), vec![(None, "object-closed", Class::Breaking)]);
        assert_eq!(findings(ours, theirs, DECODED), vec![(None, "object-closed", Class::Compatible)]);
    }

    #[test]
    fn declarations_silence_differences_and_stale_ones_are_reported() {
        let mut ours = object(json!({"a": {"type": "string", "x-upstream-differs": "we insist"}}), &["a"]);
        ours["x-upstream-differs"] = json!({"must": "sent through extra"});
        let theirs = object(json!({"a": {"type": "string"}, "must": {"type": "string"}}), &["must"]);
        let report = report(ours, theirs.clone(), DECODED);
        assert_eq!(report.findings, vec![]);
        assert_eq!(report.declared.len(), 2);

        let stale = object(json!({"a": {"type": "string", "x-upstream-differs": "old news"}}), &[]);
        let theirs = object(json!({"a": {"type": "string"}}), &[]);
        assert_eq!(findings(stale, theirs, DECODED), one("a", "stale-declaration", Class::Compatible));
    }

    #[test]
    fn a_missing_upstream_type_breaks() {
        let mut ours = object(json!({}), &[]);
        ours["x-upstream"] = json!("Gone");
        let document = json!({ "$defs": { "D": ours } });
        let report = compare(&document, &BTreeMap::new(), &UpstreamSchema::default()).unwrap();
        assert_eq!(report.findings.len(), 1);
        assert_eq!(
            (report.findings[0].kind.id(), report.findings[0].class),
            ("upstream-type-missing", Class::Breaking)
        );
    }
}
