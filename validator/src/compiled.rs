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

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;

use handoff_schema::{Ir, Primitive, TypeKind, TypeRef};

use crate::frame::Text;
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
    /// A field's type, or null (a nullable field; see [`FieldNode::check`]).
    Nullable(Box<Ty>),
}

enum Node {
    Struct(StructNode),
    /// A string enum, `const` tags included.
    Enum(KeyTable),
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
    /// The fields' wire names, for finding a member's field without comparing it to every name.
    keys: KeyTable,
    closed: bool,
    /// Bit `i` set: field `i` is required.
    required: u64,
}

pub(crate) struct FieldNode {
    pub(crate) wire: String,
    pub(crate) ty: Ty,
    pub(crate) nullable: bool,
    /// What a value of the field is checked against: `ty`, or `ty` or null for a nullable field.
    pub(crate) check: Ty,
}

impl FieldNode {
    pub(crate) fn new(wire: String, ty: Ty, nullable: bool) -> FieldNode {
        let check = if nullable { Ty::Nullable(Box::new(ty.clone())) } else { ty.clone() };
        FieldNode { wire, ty, nullable, check }
    }
}

struct TaggedNode {
    tag: String,
    /// Variant struct and the index of the tag member in it, by tag value (`tags`).
    variants: Vec<(NodeId, usize)>,
    tags: KeyTable,
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
    pattern: Option<Pattern>,
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
                        FieldNode::new(f.wire_name.clone(), self.ty(ir, &f.ty), f.presence.is_nullable())
                    })
                    .collect::<Vec<FieldNode>>();
                let keys = KeyTable::new(fields.iter().map(|f| f.wire.as_str()));
                Node::Struct(StructNode { fields, keys, closed: s.closed, required })
            }
            TypeKind::StringEnum(e) => Node::Enum(KeyTable::new(e.values.iter().map(|v| v.wire.as_str()))),
            TypeKind::TaggedUnion(u) => {
                let tag_index = |type_name: &str| -> Option<(NodeId, usize)> {
                    let TypeKind::Struct(s) = &ir.types.get(type_name)?.kind else { return None };
                    let at = s.fields.iter().position(|f| f.wire_name == u.tag)?;
                    Some((self.def(type_name)?, at))
                };
                let mut variants = Vec::new();
                for v in &u.variants {
                    let Some(found) = tag_index(&v.type_name) else { return Node::Refuse };
                    variants.push(found);
                }
                let tags = KeyTable::new(u.variants.iter().map(|v| v.tag_value.as_str()));
                let fallback = match &u.fallback {
                    Some(name) => match tag_index(name) {
                        Some(found) => Some(found),
                        None => return Node::Refuse,
                    },
                    None => None,
                };
                Node::Tagged(TaggedNode { tag: u.tag.clone(), variants, tags, fallback })
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
                    Some(p) => match Pattern::new(p) {
                        Some(pattern) => Some(pattern),
                        None => return Node::Refuse,
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
        let cx = Cx::new(self, strict);
        Expect::new(&cx, &ty).deserialize(deserializer)
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

    /// [`Compiled::text_is_clean`] for JSON text as bytes (strings the check reads must be UTF-8; others are skipped
    /// unread, so `bytes` must be known to be UTF-8 as a whole, as a frame's span is).
    pub fn bytes_are_clean(&self, def: NodeId, strict: bool, bytes: &[u8]) -> bool {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
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

pub(crate) struct Cx<'c> {
    pub(crate) program: &'c Compiled,
    pub(crate) strict: bool,
    /// How many objects and arrays the value being checked is in.
    depth: Cell<u32>,
}

impl<'c> Cx<'c> {
    pub(crate) fn new(program: &'c Compiled, strict: bool) -> Cx<'c> {
        Cx { program, strict, depth: Cell::new(0) }
    }

    /// One level deeper, for as long as the guard lives; `Err` beyond [`MAX_DEPTH`].
    fn nest<E: de::Error>(&self) -> Result<Nested<'_>, E> {
        let depth = self.depth.get() + 1;
        if depth > MAX_DEPTH {
            return Err(refuse());
        }
        self.depth.set(depth);
        Ok(Nested(&self.depth))
    }
}

/// A level of nesting entered (see [`Cx::nest`]), left when dropped.
struct Nested<'c>(&'c Cell<u32>);

impl Drop for Nested<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

/// "Not clean": the value is handed to `jsonschema`. Rare, so the error's allocation does not matter.
pub(crate) fn refuse<E: de::Error>() -> E {
    E::custom("not clean")
}

/// A value expected to be of type `ty`. Two words, so that serde's generic calls take it in registers (a larger
/// seed is copied through memory at every call, and reloading it stalls).
#[derive(Clone, Copy)]
pub(crate) struct Expect<'c> {
    pub(crate) cx: &'c Cx<'c>,
    pub(crate) ty: &'c Ty,
}

impl<'c> Expect<'c> {
    pub(crate) fn new(cx: &'c Cx<'c>, ty: &'c Ty) -> Expect<'c> {
        Expect { cx, ty }
    }

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
        u.by_kind[k].as_ref().map(|ty| Expect { ty, ..*self })
    }

    fn inner(&self, ty: &'c Ty) -> Expect<'c> {
        Expect { cx: self.cx, ty }
    }

    /// Checks a string value.
    pub(crate) fn str<E: de::Error>(&self, s: &str) -> Result<(), E> {
        match (self.ty, self.node()) {
            (Ty::String | Ty::Any, _) => Ok(()),
            (Ty::Nullable(ty), _) => self.inner(ty).str(s),
            (_, Some(Node::Enum(values))) if values.find(s).is_some() => Ok(()),
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
            (Ty::Nullable(ty), _) => self.inner(ty).int(n),
            (_, Some(Node::Newtype(t))) if t.base == Primitive::Integer && t.admits_int(n) => Ok(()),
            (_, Some(Node::Untagged(_))) => match self.variant(Kind::Int) {
                Some(variant) => variant.int(n),
                None => Err(refuse()),
            },
            _ => Err(refuse()),
        }
    }

    fn map_entries<'de, A: MapAccess<'de>>(&self, mut map: A, item: &'c Ty) -> Result<(), A::Error> {
        let _nested = self.cx.nest()?;
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(self.inner(item))?;
        }
        Ok(())
    }

    /// The rest of a struct's members, `seen` holding the members already read; `keep` a string member to keep.
    fn struct_members<'de, A: MapAccess<'de>>(
        &self,
        s: &'c StructNode,
        mut map: A,
        mut seen: u64,
        keep: Option<&Keep<'_>>,
    ) -> Result<(), A::Error> {
        let _nested = self.cx.nest()?;
        // The field to keep, looked up once per struct (`usize::MAX`: none).
        let keep_at = keep.and_then(|keep| s.keys.find(keep.name)).unwrap_or(usize::MAX);
        while let Some(member) = map.next_key_seed(MemberSeed(&s.keys))? {
            match member {
                Some(i) => {
                    let bit = 1u64 << i;
                    if seen & bit != 0 {
                        return Err(refuse());
                    }
                    seen |= bit;
                    let field = &s.fields[i];
                    match (keep, &field.check) {
                        (Some(keep), _) if i == keep_at => {
                            map.next_value_seed(Grab { expect: self.inner(&field.check), keep })?
                        }
                        // The most common member type, read without going through `Expect`'s dispatch.
                        (_, Ty::String) => map.next_value_seed(AnyStrSeed)?,
                        _ => map.next_value_seed(self.inner(&field.check))?,
                    }
                }
                None if s.closed || self.cx.strict => return Err(refuse()),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if seen & s.required == s.required { Ok(()) } else { Err(refuse()) }
    }

    fn tagged<'de, A: MapAccess<'de>>(
        &self,
        u: &'c TaggedNode,
        mut map: A,
        keep: Option<&Keep<'_>>,
    ) -> Result<(), A::Error> {
        if !map.next_key_seed(IsKey(&u.tag))?.unwrap_or(false) {
            return Err(refuse());
        }
        let (variant, at) = map.next_value_seed(TagSeed { outer: *self, union: u })?;
        let Some(Node::Struct(s)) = self.cx.program.nodes.get(variant) else { return Err(refuse()) };
        self.struct_members(s, map, 1 << at, keep)
    }
}

/// A fixed set of names (struct members, enum values, tags, methods) looked up by index without comparing the
/// query to every name byte by byte: each name is kept as its length and first and last 8 bytes (its key, which for
/// names of at most 16 bytes is the whole name), so a candidate is rejected or accepted with a few word compares.
/// Small sets are scanned; larger ones are an open-addressing table hashed from the key.
pub(crate) struct KeyTable {
    keys: Vec<Key>,
    names: Vec<Box<str>>,
    /// Index into `keys`, or `EMPTY`; empty for small sets.
    slots: Box<[u32]>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    len: usize,
    head: u64,
    tail: u64,
}

impl Key {
    /// The key of `name`, read with a few overlapping loads: given the length, the words cover every byte of a name
    /// of at most 16 bytes, so equal keys mean equal names there.
    #[inline]
    fn of(name: &[u8]) -> Key {
        let len = name.len();
        let word = |at: usize| u64::from_le_bytes(name[at..at + 8].try_into().expect("8 bytes"));
        let half = |at: usize| u64::from(u32::from_le_bytes(name[at..at + 4].try_into().expect("4 bytes")));
        let (head, tail) = match len {
            8.. => (word(0), word(len - 8)),
            4..8 => (half(0) | half(len - 4) << 32, 0),
            1..4 => (u64::from(name[0]) | u64::from(name[len / 2]) << 8 | u64::from(name[len - 1]) << 16, 0),
            0 => (0, 0),
        };
        Key { len, head, tail }
    }

    #[inline]
    fn hash(self) -> usize {
        let mixed = (self.head ^ self.tail.rotate_left(29) ^ (self.len as u64)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (mixed >> 40) as usize
    }
}

const EMPTY: u32 = u32::MAX;
/// Up to this many names a scan of the keys beats hashing.
const SCAN_MAX: usize = 8;

impl KeyTable {
    pub(crate) fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> KeyTable {
        let names: Vec<Box<str>> = names.into_iter().map(Box::from).collect();
        let keys: Vec<Key> = names.iter().map(|name| Key::of(name.as_bytes())).collect();
        let mut table = KeyTable { keys, names, slots: Box::new([]) };
        if table.keys.len() > SCAN_MAX {
            let size = (table.keys.len() * 4).next_power_of_two();
            let mut slots = vec![EMPTY; size].into_boxed_slice();
            for index in 0..table.keys.len() {
                // A name listed twice keeps its first index, as a linear search would find it.
                if table.probe(&slots, &table.names[index]).is_some() {
                    continue;
                }
                let mut at = table.keys[index].hash() & (size - 1);
                while slots[at] != EMPTY {
                    at = (at + 1) & (size - 1);
                }
                slots[at] = index as u32;
            }
            table.slots = slots;
        }
        table
    }

    /// The index of `name` in the list the table was built from.
    #[inline]
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        let key = Key::of(name.as_bytes());
        if self.slots.is_empty() && key.len <= 16 {
            // The common case, kept small: a scan of keys, which decide alone for names this short.
            self.keys.iter().position(|k| *k == key)
        } else {
            self.find_long(key, name)
        }
    }

    /// [`KeyTable::find`] in a large set or for a long name.
    #[inline(never)]
    fn find_long(&self, key: Key, name: &str) -> Option<usize> {
        if self.slots.is_empty() {
            (0..self.keys.len()).find(|&i| self.is(i, key, name))
        } else {
            self.probe(&self.slots, name)
        }
    }

    #[inline]
    fn probe(&self, slots: &[u32], name: &str) -> Option<usize> {
        let key = Key::of(name.as_bytes());
        let mask = slots.len() - 1;
        let mut at = key.hash() & mask;
        loop {
            let index = slots[at];
            if index == EMPTY {
                return None;
            }
            if self.is(index as usize, key, name) {
                return Some(index as usize);
            }
            at = (at + 1) & mask;
        }
    }

    /// Whether name `index` is `name` (whose key is `key`): the keys decide up to 16 bytes.
    #[inline]
    fn is(&self, index: usize, key: Key, name: &str) -> bool {
        self.keys[index] == key && (key.len <= 16 || same_middle(self.names[index].as_bytes(), name.as_bytes()))
    }
}

/// Whether two names of the same length above 16 bytes, whose first and last 8 bytes are equal, are equal: the
/// words from byte 8 on (the last one overlapping the known tail).
#[inline]
fn same_middle(a: &[u8], b: &[u8]) -> bool {
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    a.len() == b.len() && (8..a.len() - 8).step_by(8).all(|at| word(a, at) == word(b, at))
}

/// A newtype's pattern. The common shape `^[first][rest]*$` over ASCII classes (identifiers) is matched with a
/// byte table; anything else with the `regex` crate, whose search semantics are JSON Schema's (unanchored unless
/// the pattern anchors itself).
enum Pattern {
    /// Per byte value: bit [`FIRST`] set when the first class holds it, bit [`REST`] for the second (never for a
    /// non-ASCII byte, so a match is all ASCII).
    Classes(Box<[u8; 256]>),
    Regex(regex::Regex),
}

const FIRST: u8 = 1;
const REST: u8 = 2;

impl Pattern {
    fn new(pattern: &str) -> Option<Pattern> {
        if let Some(body) = pattern.strip_prefix('^').and_then(|p| p.strip_suffix("]*$"))
            && let Some((first, rest)) = body.strip_prefix('[').and_then(|b| b.split_once("]["))
            && let (Some(first), Some(rest)) = (ascii_class(first), ascii_class(rest))
        {
            let mut table = Box::new([0u8; 256]);
            for b in 0..128 {
                table[b] = if first[b] { FIRST } else { 0 } | if rest[b] { REST } else { 0 };
            }
            return Some(Pattern::Classes(table));
        }
        regex::Regex::new(pattern).ok().map(Pattern::Regex)
    }

    fn is_match(&self, s: &str) -> bool {
        match self {
            Pattern::Classes(table) => match s.as_bytes().split_first() {
                Some((&first, rest)) => {
                    table[usize::from(first)] & FIRST != 0 && rest.iter().all(|&b| table[usize::from(b)] & REST != 0)
                }
                None => false,
            },
            Pattern::Regex(re) => re.is_match(s),
        }
    }

    /// Whether every string it matches is ASCII.
    fn ascii_only(&self) -> bool {
        matches!(self, Pattern::Classes(_))
    }
}

/// A bracket class body of literal ASCII characters and ranges (`A-Za-z0-9_.:-`); `None` for anything else
/// (negation, escapes, non-ASCII), which the `regex` crate then handles.
fn ascii_class(body: &str) -> Option<[bool; 128]> {
    let bytes = body.as_bytes();
    if bytes.is_empty() || bytes[0] == b'^' || bytes.iter().any(|&b| b >= 128 || matches!(b, b'\\' | b'[' | b']')) {
        return None;
    }
    let mut table = [false; 128];
    let mut i = 0;
    while i < bytes.len() {
        // `a-z` is a range; a `-` first or last is literal.
        if i + 2 < bytes.len() && bytes[i + 1] == b'-' {
            let (low, high) = (bytes[i], bytes[i + 2]);
            if low > high {
                return None;
            }
            for b in low..=high {
                table[usize::from(b)] = true;
            }
            i += 3;
        } else {
            table[usize::from(bytes[i])] = true;
            i += 1;
        }
    }
    Some(table)
}

impl NewtypeNode {
    fn admits_str(&self, s: &str) -> bool {
        // The pattern first: a match of an ASCII-only pattern saves counting characters.
        let ascii = match &self.pattern {
            Some(pattern) if !pattern.is_match(s) => return false,
            Some(pattern) => pattern.ascii_only(),
            None => false,
        };
        if self.min_length.is_some() || self.max_length.is_some() {
            // JSON Schema counts Unicode scalar values; bytes bound them from above.
            let chars = if ascii || s.is_ascii() { s.len() } else { s.chars().count() } as u64;
            if self.min_length.is_some_and(|min| chars < min) || self.max_length.is_some_and(|max| chars > max) {
                return false;
            }
        }
        !self.excluded.iter().any(|x| x == s)
    }

    fn admits_int(&self, n: i64) -> bool {
        self.minimum.is_none_or(|min| n >= min) && self.maximum.is_none_or(|max| n <= max)
    }
}

impl<'de> DeserializeSeed<'de> for Expect<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.ty {
            Ty::Any => deserializer.deserialize_ignored_any(IgnoredAny).map(|_| ()),
            Ty::Nullable(ty) => deserializer.deserialize_option(OrNull(self.inner(ty))),
            _ => self.typed(deserializer),
        }
    }
}

impl Expect<'_> {
    /// Asks the deserializer for the one JSON kind the type takes, where there is one (a value of another kind is
    /// then an error: not clean, as the visitor would find it); `deserialize_any` where several kinds may do.
    /// The visitor is the node's own where the node decides alone (a struct, an enum, a string newtype).
    #[inline]
    fn typed<'de, D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.ty {
            Ty::String => deserializer.deserialize_str(AnyStr),
            Ty::Boolean => deserializer.deserialize_bool(self),
            Ty::Array(_) => deserializer.deserialize_seq(self),
            Ty::Map(_) => deserializer.deserialize_map(self),
            Ty::Node(_) => match self.node() {
                Some(Node::Struct(node)) => deserializer.deserialize_map(StructVisitor { expect: self, node }),
                Some(Node::Tagged(_)) => deserializer.deserialize_map(self),
                Some(Node::Enum(values)) => deserializer.deserialize_str(EnumVisitor(values)),
                Some(Node::Newtype(node)) if node.base == Primitive::String => {
                    deserializer.deserialize_str(NewtypeStr(node))
                }
                _ => deserializer.deserialize_any(self),
            },
            Ty::Integer | Ty::Number | Ty::Any | Ty::Refuse | Ty::Nullable(_) => deserializer.deserialize_any(self),
        }
    }
}

/// Any string (a `string` with no constraint).
struct AnyStr;

impl<'de> Visitor<'de> for AnyStr {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    #[inline]
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
}

/// Any string, as a seed.
struct AnyStrSeed;

impl<'de> DeserializeSeed<'de> for AnyStrSeed {
    type Value = ();
    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(AnyStr)
    }
}

/// One of a string enum's values.
struct EnumVisitor<'c>(&'c KeyTable);

impl<'de> Visitor<'de> for EnumVisitor<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an enum value")
    }
    #[inline]
    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        if self.0.find(s).is_some() { Ok(()) } else { Err(refuse()) }
    }
}

/// A string a newtype's constraints admit.
struct NewtypeStr<'c>(&'c NewtypeNode);

impl<'de> Visitor<'de> for NewtypeStr<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a constrained string")
    }
    #[inline]
    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        if self.0.admits_str(s) { Ok(()) } else { Err(refuse()) }
    }
}

/// An object of a struct def.
struct StructVisitor<'c> {
    expect: Expect<'c>,
    node: &'c StructNode,
}

impl<'de> Visitor<'de> for StructVisitor<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    #[inline]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.expect.struct_members(self.node, map, 0, None)
    }
}

/// A value of a nullable field: null, or its type.
struct OrNull<'c>(Expect<'c>);

impl<'de> Visitor<'de> for OrNull<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.0.deserialize(deserializer)
    }
}

/// A value of type `expect.ty` whose string member `keep.name` is kept (where the type is a struct or a tagged
/// union; anything else is checked as usual).
pub(crate) struct Keeping<'c> {
    pub(crate) expect: Expect<'c>,
    pub(crate) keep: &'c Keep<'c>,
}

impl<'de> DeserializeSeed<'de> for Keeping<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.expect.node() {
            Some(Node::Struct(_) | Node::Tagged(_)) => deserializer.deserialize_map(self),
            _ => self.expect.deserialize(deserializer),
        }
    }
}

impl<'de> Visitor<'de> for Keeping<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        match self.expect.node() {
            Some(Node::Struct(s)) => self.expect.struct_members(s, map, 0, Some(self.keep)),
            Some(Node::Tagged(u)) => self.expect.tagged(u, map, Some(self.keep)),
            _ => Err(refuse()),
        }
    }
}

impl<'de> Visitor<'de> for Expect<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value of the contract")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        if matches!(self.ty, Ty::Any | Ty::Nullable(_)) { Ok(()) } else { Err(refuse()) }
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
                let _nested = self.cx.nest()?;
                while seq.next_element_seed(self.inner(item))?.is_some() {}
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
            (_, Some(Node::Struct(s))) => self.struct_members(s, map, 0, None),
            (_, Some(Node::Tagged(u))) => self.tagged(u, map, None),
            (_, Some(Node::Untagged(_))) => match self.variant(Kind::Map) {
                Some(variant) => variant.visit_map(map),
                None => Err(refuse()),
            },
            _ => Err(refuse()),
        }
    }
}

/// A struct member's name: the index of the field it names, `None` for a member the struct does not declare.
pub(crate) struct MemberSeed<'c>(pub(crate) &'c KeyTable);

impl<'de> DeserializeSeed<'de> for MemberSeed<'_> {
    type Value = Option<usize>;
    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for MemberSeed<'_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }
    #[inline]
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Option<usize>, E> {
        Ok(self.0.find(s))
    }
}

/// Whether a member name is `self.0`.
pub(crate) struct IsKey<'c>(pub(crate) &'c str);

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
        let listed = self.union.tags.find(s).map(|i| self.union.variants[i]);
        let Some((id, at)) = listed.or(self.union.fallback) else { return Err(refuse()) };
        let Some(Node::Struct(s_node)) = self.outer.cx.program.nodes.get(id) else { return Err(refuse()) };
        let field = &s_node.fields[at];
        self.outer.inner(&field.check).str(s)?;
        Ok((id, at))
    }
}

/// A string member to keep (by wire name) and where it goes: a span of `frame` when it lies in it.
pub(crate) struct Keep<'c> {
    pub(crate) name: &'c str,
    pub(crate) frame: &'c str,
    pub(crate) slot: &'c Cell<Option<Text>>,
}

/// A string member checked as usual and kept.
struct Grab<'c> {
    expect: Expect<'c>,
    keep: &'c Keep<'c>,
}

impl<'de> DeserializeSeed<'de> for Grab<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Grab<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.expect.str(s)?;
        self.keep.slot.set(Some(Text::of(self.keep.frame, s)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_tables_find_every_name_and_nothing_else() {
        let names: Vec<String> = (0..300)
            .map(|i| format!("{}{}", ["thread/", "item/", "a", "turn/start", "x/very/long/method/name/"][i % 5], i))
            .chain(["", "a", "ab", "threadId", "thread/start", "thread/started"].map(str::to_owned))
            .collect();
        let table = KeyTable::new(names.iter().map(String::as_str));
        for (i, name) in names.iter().enumerate() {
            assert_eq!(table.find(name), Some(i), "{name}");
        }
        for other in ["b", "thread/star", "thread/startee", "threadid", "thread/0x", "x/very/long/method/name/4x"] {
            assert_eq!(table.find(other), None, "{other}");
        }
        assert_eq!(KeyTable::new([]).find("a"), None);
        // Small sets are scanned: the same answers.
        let names = ["", "a", "threadId", "turnId", "item_id_long_name", "item_id_long_nbme"];
        let few = KeyTable::new(names);
        for (i, name) in names.iter().enumerate() {
            assert_eq!(few.find(name), Some(i), "{name}");
        }
        for other in ["b", "threadI", "threadIdx", "item_id_long_nzme", "item_id_long_nam"] {
            assert_eq!(few.find(other), None, "{other}");
        }
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_not_judged() {
        let program = Compiled::new(&handoff_schema::Contract::canonical().unwrap().ir);
        let nested = |levels: usize| {
            let (mut ty, mut value) = (Ty::String, serde_json::json!("x"));
            for _ in 0..levels {
                ty = Ty::Array(Box::new(ty));
                value = serde_json::json!([value]);
            }
            (ty, value)
        };
        let cx = Cx::new(&program, false);
        let (ty, value) = nested(MAX_DEPTH as usize);
        assert!(Expect::new(&cx, &ty).deserialize(&value).is_ok());
        let (deep_ty, deep_value) = nested(MAX_DEPTH as usize + 1);
        assert!(Expect::new(&cx, &deep_ty).deserialize(&deep_value).is_err());
        // The levels a refused value entered are left again: the same context judges the next value afresh.
        assert!(Expect::new(&cx, &ty).deserialize(&value).is_ok());
        assert_eq!(cx.depth.get(), 0);
    }

    #[test]
    fn identifier_patterns_use_byte_tables_and_agree_with_regex() {
        let source = "^[A-Za-z0-9][A-Za-z0-9_.:-]*$";
        let pattern = Pattern::new(source).unwrap();
        assert!(matches!(pattern, Pattern::Classes(_)));
        let re = regex::Regex::new(source).unwrap();
        for s in ["thr_1", "", "_x", "a b", "a-b:c.d_e", "é", "aé", "a\n", "-", "a-", "Z9", "a/b", "a]"] {
            assert_eq!(pattern.is_match(s), re.is_match(s), "{s:?}");
        }
        // Other shapes go to the regex crate.
        assert!(matches!(Pattern::new("^[^a]*$"), Some(Pattern::Regex(_))));
        assert!(matches!(Pattern::new("^a+$"), Some(Pattern::Regex(_))));
    }
}
