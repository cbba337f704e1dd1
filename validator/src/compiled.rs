//! The contract compiled into a checker: every def of the IR becomes a node that a serde visitor walks in one
//! streaming pass over a value, without building a `serde_json::Value` and without allocating.
//!
//! The answer is only "clean" or "not clean". A value that is not clean, or that this checker cannot judge the
//! way JSON Schema would, is handed to the `jsonschema` engine, which writes the located diagnostics. So the one
//! property that matters is soundness: whatever the checker calls clean, `jsonschema` finds valid
//! (`tests/compiled.rs` proves it on instances generated from the IR and on single mutations of them). What it
//! refuses to judge, and leaves to `jsonschema`:
//! - a struct member that appears twice (a JSON `Value` keeps the last one; the checker does not guess);
//! - a number where an integer is expected that is not a 64-bit signed integer (`1.0`, `2^63`, `1e30`);
//! - a tagged union whose tag is not the object's first member (the variant must be known before its members);
//! - an untagged union whose variants accept the same JSON kind, a struct with more than 64 members, a pattern the
//!   `regex` crate does not compile: such nodes reject every value;
//! - with `--strict`, any member a struct does not declare (the strict walk names them).

use std::collections::HashMap;
use std::fmt;

use handoff_schema::{Ir, Primitive, TypeKind, TypeRef};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A compiled def, by index.
pub type NodeId = usize;

/// The compiled contract: one node per IR type.
pub struct Compiled {
    nodes: Vec<Node>,
    index: HashMap<String, NodeId>,
}

/// A type reference with aliases resolved to what they stand for.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Node(NodeId),
    String,
    Integer,
    Number,
    Boolean,
    Array(Box<Ty>),
    Map(Box<Ty>),
    Any,
    /// A type this checker does not judge (an alias cycle): every value is "not clean".
    Refuse,
}

enum Node {
    Struct(StructNode),
    /// A string enum, `const` tags included.
    Enum(Vec<String>),
    Tagged(TaggedNode),
    Untagged(UntaggedNode),
    Newtype(NewtypeNode),
    /// What an alias def stands for (resolved at reference sites; kept for direct checks of the def).
    Alias(Ty),
    /// A def this checker cannot judge.
    Refuse,
}

pub(crate) struct StructNode {
    pub(crate) fields: Vec<FieldNode>,
    closed: bool,
    /// Bit `i` set: field `i` is required.
    required: u64,
}

pub(crate) struct FieldNode {
    pub(crate) wire: String,
    pub(crate) ty: Ty,
    pub(crate) nullable: bool,
}

struct TaggedNode {
    tag: String,
    /// Tag value, variant struct and the index of the tag member in it.
    variants: Vec<(String, NodeId, usize)>,
    fallback: Option<(NodeId, usize)>,
}

/// The variant taking each JSON kind; `None` when no variant or more than one does (then the kind is refused).
struct UntaggedNode {
    by_kind: [Option<Ty>; KINDS],
}

struct NewtypeNode {
    base: Primitive,
    min_length: Option<u64>,
    max_length: Option<u64>,
    pattern: Option<regex::Regex>,
    minimum: Option<i64>,
    maximum: Option<i64>,
    excluded: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Int,
    Float,
    Str,
    Seq,
    Map,
}
const KINDS: usize = 7;
const ALL_KINDS: [Kind; KINDS] = [Kind::Null, Kind::Bool, Kind::Int, Kind::Float, Kind::Str, Kind::Seq, Kind::Map];

/// Deep enough for any real message; a deeper value is left to `jsonschema`.
const MAX_DEPTH: u32 = 128;

impl Compiled {
    /// Compiles every type of the IR. Never fails: what cannot be compiled refuses every value.
    pub fn new(ir: &Ir) -> Compiled {
        let index: HashMap<String, NodeId> = ir.types.keys().enumerate().map(|(i, name)| (name.clone(), i)).collect();
        let mut compiled = Compiled { nodes: Vec::with_capacity(index.len()), index };
        for def in ir.types.values() {
            let node = compiled.node(ir, &def.kind);
            compiled.nodes.push(node);
        }
        compiled
    }

    /// The node of def `name`, if the contract has it.
    pub fn def(&self, name: &str) -> Option<NodeId> {
        self.index.get(name).copied()
    }

    /// The struct node of def `name`, for the frame reader's envelopes.
    pub(crate) fn struct_node(&self, name: &str) -> Option<&StructNode> {
        match self.nodes.get(self.def(name)?)? {
            Node::Struct(s) => Some(s),
            _ => None,
        }
    }

    fn node(&self, ir: &Ir, kind: &TypeKind) -> Node {
        match kind {
            TypeKind::Struct(s) => {
                if s.fields.len() > 64 {
                    return Node::Refuse;
                }
                let mut required = 0u64;
                let fields = s
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        if f.presence.is_required() {
                            required |= 1 << i;
                        }
                        FieldNode {
                            wire: f.wire_name.clone(),
                            ty: self.ty(ir, &f.ty),
                            nullable: f.presence.is_nullable(),
                        }
                    })
                    .collect();
                Node::Struct(StructNode { fields, closed: s.closed, required })
            }
            TypeKind::StringEnum(e) => Node::Enum(e.values.iter().map(|v| v.wire.clone()).collect()),
            TypeKind::TaggedUnion(u) => {
                let tag_index = |type_name: &str| -> Option<(NodeId, usize)> {
                    let TypeKind::Struct(s) = &ir.types.get(type_name)?.kind else { return None };
                    let at = s.fields.iter().position(|f| f.wire_name == u.tag)?;
                    Some((self.def(type_name)?, at))
                };
                let mut variants = Vec::new();
                for v in &u.variants {
                    let Some((id, at)) = tag_index(&v.type_name) else { return Node::Refuse };
                    variants.push((v.tag_value.clone(), id, at));
                }
                let fallback = match &u.fallback {
                    Some(name) => match tag_index(name) {
                        Some(found) => Some(found),
                        None => return Node::Refuse,
                    },
                    None => None,
                };
                Node::Tagged(TaggedNode { tag: u.tag.clone(), variants, fallback })
            }
            TypeKind::UntaggedUnion(u) => {
                let mut by_kind: [Option<Ty>; KINDS] = Default::default();
                let mut taken = [0u8; KINDS];
                for variant in &u.variants {
                    let ty = self.ty(ir, &variant.ty);
                    for (k, kind) in ALL_KINDS.into_iter().enumerate() {
                        if accepts_kind(ir, &variant.ty, kind, 0) {
                            taken[k] += 1;
                            by_kind[k] = Some(ty.clone());
                        }
                    }
                }
                for k in 0..KINDS {
                    if taken[k] > 1 {
                        by_kind[k] = None;
                    }
                }
                Node::Untagged(UntaggedNode { by_kind })
            }
            TypeKind::Newtype(n) => {
                let c = &n.constraints;
                let pattern = match &c.pattern {
                    Some(p) => match regex::Regex::new(p) {
                        Ok(re) => Some(re),
                        Err(_) => return Node::Refuse,
                    },
                    None => None,
                };
                Node::Newtype(NewtypeNode {
                    base: n.base,
                    min_length: c.min_length,
                    max_length: c.max_length,
                    pattern,
                    minimum: c.minimum,
                    maximum: c.maximum,
                    excluded: c.excluded.clone(),
                })
            }
            TypeKind::Alias(ty) => Node::Alias(self.ty(ir, ty)),
        }
    }

    /// A type reference, aliases followed (a cycle of aliases refuses).
    fn ty(&self, ir: &Ir, ty: &TypeRef) -> Ty {
        self.resolve(ir, ty, 0)
    }

    fn resolve(&self, ir: &Ir, ty: &TypeRef, depth: u32) -> Ty {
        if depth > 32 {
            return Ty::Refuse;
        }
        match ty {
            TypeRef::Named(name) => match (ir.types.get(name), self.def(name)) {
                (Some(def), Some(id)) => match &def.kind {
                    TypeKind::Alias(inner) => self.resolve(ir, inner, depth + 1),
                    _ => Ty::Node(id),
                },
                _ => Ty::Refuse,
            },
            TypeRef::String => Ty::String,
            TypeRef::Integer => Ty::Integer,
            TypeRef::Number => Ty::Number,
            TypeRef::Boolean => Ty::Boolean,
            TypeRef::Array(item) => Ty::Array(Box::new(self.resolve(ir, item, depth + 1))),
            TypeRef::Map(item) => Ty::Map(Box::new(self.resolve(ir, item, depth + 1))),
            TypeRef::Any => Ty::Any,
        }
    }

    /// Checks one value of def `def` read from `deserializer`. `Err` means "not clean" (or not JSON).
    pub fn check<'de, D: Deserializer<'de>>(&self, def: NodeId, strict: bool, deserializer: D) -> Result<(), D::Error> {
        let ty = match self.nodes.get(def) {
            Some(Node::Alias(ty)) => ty.clone(),
            Some(_) => Ty::Node(def),
            None => Ty::Refuse,
        };
        Expect { cx: Cx { program: self, strict }, ty: &ty, nullable: false, depth: 0 }.deserialize(deserializer)
    }

    /// Whether `value` is clean against def `def`.
    pub fn value_is_clean(&self, def: NodeId, strict: bool, value: &serde_json::Value) -> bool {
        self.check(def, strict, value).is_ok()
    }

    /// Whether the JSON text `text` holds one value clean against def `def`.
    pub fn text_is_clean(&self, def: NodeId, strict: bool, text: &str) -> bool {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        self.check(def, strict, &mut deserializer).is_ok() && deserializer.end().is_ok()
    }
}

/// Whether the JSON Schema of `ty` admits some value of JSON kind `kind` (for telling untagged variants apart).
fn accepts_kind(ir: &Ir, ty: &TypeRef, kind: Kind, depth: u32) -> bool {
    if depth > 32 {
        return true;
    }
    match ty {
        TypeRef::Any => true,
        TypeRef::String => kind == Kind::Str,
        TypeRef::Integer => kind == Kind::Int || kind == Kind::Float,
        TypeRef::Number => kind == Kind::Int || kind == Kind::Float,
        TypeRef::Boolean => kind == Kind::Bool,
        TypeRef::Array(_) => kind == Kind::Seq,
        TypeRef::Map(_) => kind == Kind::Map,
        TypeRef::Named(name) => match ir.types.get(name).map(|t| &t.kind) {
            Some(TypeKind::Struct(_) | TypeKind::TaggedUnion(_)) => kind == Kind::Map,
            Some(TypeKind::StringEnum(_)) => kind == Kind::Str,
            Some(TypeKind::Newtype(n)) => match n.base {
                Primitive::String => kind == Kind::Str,
                Primitive::Integer => kind == Kind::Int || kind == Kind::Float,
            },
            Some(TypeKind::UntaggedUnion(u)) => u.variants.iter().any(|v| accepts_kind(ir, &v.ty, kind, depth + 1)),
            Some(TypeKind::Alias(inner)) => accepts_kind(ir, inner, kind, depth + 1),
            None => true,
        },
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Cx<'c> {
    pub(crate) program: &'c Compiled,
    pub(crate) strict: bool,
}

/// "Not clean": the value is handed to `jsonschema`. Rare, so the error's allocation does not matter.
pub(crate) fn refuse<E: de::Error>() -> E {
    E::custom("not clean")
}

/// A value expected to be of type `ty` (or null, when `nullable`).
#[derive(Clone, Copy)]
pub(crate) struct Expect<'c> {
    pub(crate) cx: Cx<'c>,
    pub(crate) ty: &'c Ty,
    pub(crate) nullable: bool,
    pub(crate) depth: u32,
}

impl<'c> Expect<'c> {
    fn node(&self) -> Option<&'c Node> {
        match self.ty {
            Ty::Node(id) => self.cx.program.nodes.get(*id),
            _ => None,
        }
    }

    /// The same expectation for an untagged union's variant of JSON kind `kind`.
    fn variant(&self, kind: Kind) -> Option<Expect<'c>> {
        let Some(Node::Untagged(u)) = self.node() else { return None };
        let k = ALL_KINDS.iter().position(|&x| x == kind)?;
        u.by_kind[k].as_ref().map(|ty| Expect { ty, nullable: false, ..*self })
    }

    fn inner(&self, ty: &'c Ty, nullable: bool) -> Expect<'c> {
        Expect { cx: self.cx, ty, nullable, depth: self.depth + 1 }
    }

    /// Checks a string value.
    pub(crate) fn str<E: de::Error>(&self, s: &str) -> Result<(), E> {
        match (self.ty, self.node()) {
            (Ty::String | Ty::Any, _) => Ok(()),
            (_, Some(Node::Enum(values))) if values.iter().any(|v| v == s) => Ok(()),
            (_, Some(Node::Newtype(n))) if n.base == Primitive::String && n.admits_str(s) => Ok(()),
            (_, Some(Node::Untagged(_))) => match self.variant(Kind::Str) {
                Some(variant) => variant.str(s),
                None => Err(refuse()),
            },
            _ => Err(refuse()),
        }
    }

    pub(crate) fn int<E: de::Error>(&self, n: i64) -> Result<(), E> {
        match (self.ty, self.node()) {
            (Ty::Integer | Ty::Number | Ty::Any, _) => Ok(()),
            (_, Some(Node::Newtype(t))) if t.base == Primitive::Integer && t.admits_int(n) => Ok(()),
            (_, Some(Node::Untagged(_))) => match self.variant(Kind::Int) {
                Some(variant) => variant.int(n),
                None => Err(refuse()),
            },
            _ => Err(refuse()),
        }
    }

    fn map_entries<'de, A: MapAccess<'de>>(&self, mut map: A, item: &'c Ty) -> Result<(), A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(self.inner(item, false))?;
        }
        Ok(())
    }

    /// The rest of a struct's members, `seen` holding the members already read.
    fn struct_members<'de, A: MapAccess<'de>>(
        &self,
        s: &'c StructNode,
        mut map: A,
        mut seen: u64,
    ) -> Result<(), A::Error> {
        while let Some(member) = map.next_key_seed(MemberSeed(&s.fields))? {
            match member {
                Some(i) => {
                    let bit = 1u64 << i;
                    if seen & bit != 0 {
                        return Err(refuse());
                    }
                    seen |= bit;
                    let field = &s.fields[i];
                    map.next_value_seed(self.inner(&field.ty, field.nullable))?;
                }
                None if s.closed || self.cx.strict => return Err(refuse()),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if seen & s.required == s.required { Ok(()) } else { Err(refuse()) }
    }

    fn tagged<'de, A: MapAccess<'de>>(&self, u: &'c TaggedNode, mut map: A) -> Result<(), A::Error> {
        if !map.next_key_seed(IsKey(&u.tag))?.unwrap_or(false) {
            return Err(refuse());
        }
        let (variant, at) = map.next_value_seed(TagSeed { outer: *self, union: u })?;
        let Some(Node::Struct(s)) = self.cx.program.nodes.get(variant) else { return Err(refuse()) };
        self.struct_members(s, map, 1 << at)
    }
}

impl NewtypeNode {
    fn admits_str(&self, s: &str) -> bool {
        if self.min_length.is_some() || self.max_length.is_some() {
            // JSON Schema counts Unicode scalar values; bytes bound them from above.
            let chars = if s.is_ascii() { s.len() } else { s.chars().count() } as u64;
            if self.min_length.is_some_and(|min| chars < min) || self.max_length.is_some_and(|max| chars > max) {
                return false;
            }
        }
        !self.excluded.iter().any(|x| x == s) && self.pattern.as_ref().is_none_or(|re| re.is_match(s))
    }

    fn admits_int(&self, n: i64) -> bool {
        self.minimum.is_none_or(|min| n >= min) && self.maximum.is_none_or(|max| n <= max)
    }
}

impl<'de> DeserializeSeed<'de> for Expect<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.depth > MAX_DEPTH {
            return Err(refuse());
        }
        match self.ty {
            Ty::Any => deserializer.deserialize_ignored_any(IgnoredAny).map(|_| ()),
            _ => deserializer.deserialize_any(self),
        }
    }
}

impl<'de> Visitor<'de> for Expect<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value of the contract")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        if self.nullable || *self.ty == Ty::Any { Ok(()) } else { Err(refuse()) }
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        match self.ty {
            Ty::Boolean | Ty::Any => Ok(()),
            _ => match self.variant(Kind::Bool) {
                Some(variant) => variant.visit_bool(true),
                None => Err(refuse()),
            },
        }
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<(), E> {
        self.int(n)
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<(), E> {
        match i64::try_from(n) {
            Ok(n) => self.int(n),
            // JSON Schema's integers are unbounded; the contract's are int64 only by `format`. Not judged here.
            Err(_) if *self.ty == Ty::Number || *self.ty == Ty::Any => Ok(()),
            Err(_) => Err(refuse()),
        }
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        match self.ty {
            Ty::Number | Ty::Any => Ok(()),
            // `1.0` is an integer to JSON Schema; whether it passes a newtype's range is not judged here.
            _ => match self.variant(Kind::Float) {
                Some(variant) if matches!(variant.ty, Ty::Number | Ty::Any) => Ok(()),
                _ => Err(refuse()),
            },
        }
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.str(s)
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<(), E> {
        self.str(s)
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<(), E> {
        self.str(&s)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match self.ty {
            Ty::Array(item) => {
                while seq.next_element_seed(self.inner(item, false))?.is_some() {}
                Ok(())
            }
            Ty::Any => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(())
            }
            _ => match self.variant(Kind::Seq) {
                Some(variant) => variant.visit_seq(seq),
                None => Err(refuse()),
            },
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match (self.ty, self.node()) {
            (Ty::Map(item), _) => self.map_entries(map, item),
            (Ty::Any, _) => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(())
            }
            (_, Some(Node::Struct(s))) => self.struct_members(s, map, 0),
            (_, Some(Node::Tagged(u))) => self.tagged(u, map),
            (_, Some(Node::Untagged(_))) => match self.variant(Kind::Map) {
                Some(variant) => variant.visit_map(map),
                None => Err(refuse()),
            },
            _ => Err(refuse()),
        }
    }
}

/// A struct member's name: the index of the field it names, `None` for a member the struct does not declare.
pub(crate) struct MemberSeed<'c>(pub(crate) &'c [FieldNode]);

impl<'de> DeserializeSeed<'de> for MemberSeed<'_> {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for MemberSeed<'_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|f| f.wire == s))
    }
}

/// Whether a member name is `self.0`.
struct IsKey<'c>(&'c str);

impl<'de> DeserializeSeed<'de> for IsKey<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for IsKey<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<bool, E> {
        Ok(s == self.0)
    }
}

/// A tagged union's tag value: picks the variant (struct node, index of its tag member) and checks the value
/// against that member's own type.
struct TagSeed<'c> {
    outer: Expect<'c>,
    union: &'c TaggedNode,
}

impl<'de> DeserializeSeed<'de> for TagSeed<'_> {
    type Value = (NodeId, usize);
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(NodeId, usize), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for TagSeed<'_> {
    type Value = (NodeId, usize);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a tag")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<(NodeId, usize), E> {
        let listed = self.union.variants.iter().find(|(value, _, _)| value == s).map(|&(_, id, at)| (id, at));
        let Some((id, at)) = listed.or(self.union.fallback) else { return Err(refuse()) };
        let Some(Node::Struct(s_node)) = self.outer.cx.program.nodes.get(id) else { return Err(refuse()) };
        let field = &s_node.fields[at];
        self.outer.inner(&field.ty, field.nullable).str(s)?;
        Ok((id, at))
    }
}
