//! Changes inside `$defs`: defs added and removed, and every def present in both contracts compared member by member.

use std::fmt::Display;

use crate::ir::{
    Constraints, EnumOrigin, Field, Ir, NewtypeDef, StringEnumDef, StructDef, TaggedUnionDef, TypeDef, TypeKind,
    TypeRef, UntaggedUnionDef,
};

use super::types::{Relation, relation};
use super::{Change, ChangeKind, Effect, NewMessages};

pub fn diff_defs(old: &Ir, new: &Ir, out: &mut Vec<Change>) {
    for (name, old_def) in &old.types {
        match new.types.get(name) {
            Some(new_def) => DefDiff { old_ir: old, new_ir: new, old: old_def, new: new_def, out: &mut *out }.run(),
            // A synthesized type comes and goes with its member, which is reported instead.
            None if old_def.synthesized => {}
            None => out.push(Change::new(
                name,
                &old_def.pointer,
                ChangeKind::DefRemoved,
                Effect::NONE,
                format!(
                    "def `{name}` removed; members and methods that referred to it are reported where they changed, \
                     and the generated types named `{name}` go away (a source change for code that names them)"
                ),
            )),
        }
    }
    for (name, new_def) in &new.types {
        if !old.types.contains_key(name) && !new_def.synthesized {
            out.push(Change::new(
                name,
                &new_def.pointer,
                ChangeKind::DefAdded,
                Effect::NONE,
                format!("def `{name}` added"),
            ));
        }
    }
}

/// The def a finding is reported under: a synthesized type (a union tag, say) belongs to the def whose member
/// made it, which its pointer names (`/$defs/Parent/properties/type`).
fn owner(def: &TypeDef) -> String {
    if def.synthesized
        && let Some(parent) = def.pointer.strip_prefix("/$defs/").and_then(|rest| rest.split('/').next())
    {
        return parent.to_owned();
    }
    def.name.clone()
}

struct DefDiff<'a> {
    old_ir: &'a Ir,
    new_ir: &'a Ir,
    old: &'a TypeDef,
    new: &'a TypeDef,
    out: &'a mut Vec<Change>,
}

impl DefDiff<'_> {
    fn push(&mut self, pointer: &str, kind: ChangeKind, effect: Effect, message: impl Into<String>) {
        self.out.push(Change::new(&owner(self.new), pointer, kind, effect, message));
    }

    fn run(mut self) {
        let pointer = self.new.pointer.clone();
        if self.old.doc != self.new.doc && !self.new.synthesized {
            self.push(&pointer, ChangeKind::DocChanged, Effect::NONE, "description changed");
        }
        let (old_ir, new_ir, old, new) = (self.old_ir, self.new_ir, self.old, self.new);
        match (&old.kind, &new.kind) {
            (TypeKind::Struct(a), TypeKind::Struct(b)) => self.structs(a, b),
            (TypeKind::StringEnum(a), TypeKind::StringEnum(b)) => self.enums(a, b),
            (TypeKind::TaggedUnion(a), TypeKind::TaggedUnion(b)) => self.tagged_unions(a, b),
            (TypeKind::UntaggedUnion(a), TypeKind::UntaggedUnion(b)) => self.untagged_unions(a, b),
            (TypeKind::Newtype(a), TypeKind::Newtype(b)) => self.newtypes(a, b),
            (TypeKind::Alias(a), TypeKind::Alias(b)) => {
                if let Some((kind, effect)) = relation(old_ir, new_ir, a, b).change() {
                    let message = format!("type changed from {} to {}", show(a), show(b));
                    self.push(&pointer, kind, effect, message);
                }
            }
            (a, b) => {
                // An alias of a plain type against a constrained or enumerated def can still be a widening or
                // a narrowing; any other change of kind replaces the type.
                let named = TypeRef::Named(old.name.clone());
                let found = match (a, b) {
                    (TypeKind::Alias(plain), _) => relation(old_ir, new_ir, plain, &named),
                    (_, TypeKind::Alias(plain)) => relation(old_ir, new_ir, &named, plain),
                    _ => Relation::Changed,
                };
                let effect = found.change().map_or(Effect::BOTH, |(_, effect)| effect);
                let message = format!("def changed from {} to {}", kind_name(a), kind_name(b));
                self.push(&pointer, ChangeKind::DefKindChanged, effect, message);
            }
        }
    }

    fn structs(&mut self, old: &StructDef, new: &StructDef) {
        let pointer = format!("{}/additionalProperties", self.new.pointer);
        match (old.closed, new.closed) {
            (false, true) => self.push(
                &pointer,
                ChangeKind::ObjectClosed,
                Effect::REJECTS_OLD,
                "object closed (`additionalProperties: false`): unknown members are now rejected",
            ),
            (true, false) => self.push(
                &pointer,
                ChangeKind::ObjectOpened,
                Effect::MAY_REJECT_NEW,
                "object opened: new messages may carry members old decoders reject as unknown",
            ),
            _ => {}
        }
        for old_field in &old.fields {
            match new.fields.iter().find(|f| f.wire_name == old_field.wire_name) {
                Some(new_field) => self.field(old_field, new_field),
                None => self.removed_field(old_field, new),
            }
        }
        for new_field in &new.fields {
            if !old.fields.iter().any(|f| f.wire_name == new_field.wire_name) {
                self.added_field(new_field, old);
            }
        }
    }

    fn removed_field(&mut self, field: &Field, new: &StructDef) {
        let name = &field.wire_name;
        let effect = Effect {
            // A closed object now rejects the member old messages carry; an open one keeps it as unknown.
            rejects_old: new.closed,
            // Old decoders insist on a member that new writers no longer send.
            rejects_new: if field.presence.is_required() { NewMessages::Always } else { NewMessages::Accepted },
        };
        let what = if field.presence.is_required() { "required" } else { "optional" };
        let object = if new.closed { "a closed object" } else { "an open object" };
        let message = format!("{what} member `{name}` removed from {object}");
        self.push(&field.pointer, ChangeKind::FieldRemoved, effect, message);
    }

    fn added_field(&mut self, field: &Field, old: &StructDef) {
        let name = &field.wire_name;
        let object = if old.closed { "a closed object" } else { "an open object" };
        if field.presence.is_required() {
            let effect = Effect {
                rejects_old: true,
                rejects_new: if old.closed { NewMessages::Always } else { NewMessages::Accepted },
            };
            let message = format!("required member `{name}` added to {object}");
            self.push(&field.pointer, ChangeKind::RequiredFieldAdded, effect, message);
        } else {
            let effect = if old.closed { Effect::MAY_REJECT_NEW } else { Effect::NONE };
            self.push(
                &field.pointer,
                ChangeKind::FieldAdded,
                effect,
                format!("optional member `{name}` added to {object}"),
            );
        }
    }

    fn field(&mut self, old: &Field, new: &Field) {
        let (pointer, name) = (&new.pointer, &new.wire_name);
        match (old.presence.is_required(), new.presence.is_required()) {
            (true, false) => self.push(
                pointer,
                ChangeKind::FieldOptional,
                Effect::MAY_REJECT_NEW,
                format!("member `{name}` is no longer required"),
            ),
            (false, true) => self.push(
                pointer,
                ChangeKind::FieldRequired,
                Effect::REJECTS_OLD,
                format!("member `{name}` became required"),
            ),
            _ => {}
        }
        match (old.presence.is_nullable(), new.presence.is_nullable()) {
            (false, true) => self.push(
                pointer,
                ChangeKind::FieldNullable,
                Effect::MAY_REJECT_NEW,
                format!("member `{name}` may now be null"),
            ),
            (true, false) => self.push(
                pointer,
                ChangeKind::FieldNonNullable,
                Effect::REJECTS_OLD,
                format!("member `{name}` may no longer be null"),
            ),
            _ => {}
        }
        if let Some((kind, effect)) = relation(self.old_ir, self.new_ir, &old.ty, &new.ty).change() {
            let message = format!("type of member `{name}` changed from {} to {}", show(&old.ty), show(&new.ty));
            self.push(pointer, kind, effect, message);
        }
        let aliases_pointer = format!("{pointer}/x-aliases");
        for alias in old.aliases.iter().filter(|a| !new.aliases.contains(a)) {
            let message = format!("member `{name}` no longer accepts its legacy name `{alias}`");
            self.push(&aliases_pointer, ChangeKind::FieldAliasRemoved, Effect::REJECTS_OLD, message);
        }
        for alias in new.aliases.iter().filter(|a| !old.aliases.contains(a)) {
            let message = format!("member `{name}` also accepts `{alias}` when decoding");
            self.push(&aliases_pointer, ChangeKind::FieldAliasAdded, Effect::NONE, message);
        }
        if old.default != new.default {
            let shown = |d: &Option<serde_json::Value>| d.as_ref().map_or_else(|| "none".to_owned(), |v| v.to_string());
            let message =
                format!("default of member `{name}` changed from {} to {}", shown(&old.default), shown(&new.default));
            self.push(&format!("{pointer}/default"), ChangeKind::FieldDefaultChanged, Effect::NONE, message);
        }
        if old.doc != new.doc && !self.new.synthesized {
            self.push(pointer, ChangeKind::DocChanged, Effect::NONE, format!("description of member `{name}` changed"));
        }
    }

    fn enums(&mut self, old: &StringEnumDef, new: &StringEnumDef) {
        let wires = |e: &StringEnumDef| e.values.iter().map(|v| v.wire.clone()).collect::<Vec<_>>();
        let (old_values, new_values) = (wires(old), wires(new));
        if old.origin == EnumOrigin::Const && new.origin == EnumOrigin::Const {
            if old_values != new_values {
                let message = format!("constant changed from {} to {}", list(&old_values), list(&new_values));
                let pointer = format!("{}/const", self.new.pointer);
                self.push(&pointer, ChangeKind::ConstChanged, Effect::BOTH, message);
            }
            return;
        }
        for (index, value) in old_values.iter().enumerate().filter(|(_, v)| !new_values.contains(v)) {
            let pointer = format!("{}/enum/{index}", self.old.pointer);
            self.push(
                &pointer,
                ChangeKind::EnumValueRemoved,
                Effect::REJECTS_OLD,
                format!("enum value `{value}` removed"),
            );
        }
        for (index, value) in new_values.iter().enumerate().filter(|(_, v)| !old_values.contains(v)) {
            let pointer = format!("{}/enum/{index}", self.new.pointer);
            // Old decoders of an open enum keep the value in their `unknown` case; closed ones reject it.
            let (effect, note) = if old.openness.is_open() {
                (Effect::NONE, "old decoders keep it as their `unknown` case (the enum is open)")
            } else {
                (Effect::MAY_REJECT_NEW, "old decoders reject it (the enum is closed)")
            };
            let message = format!("enum value `{value}` added; {note}");
            self.push(&pointer, ChangeKind::EnumValueAdded, effect, message);
        }
    }

    fn tagged_unions(&mut self, old: &TaggedUnionDef, new: &TaggedUnionDef) {
        let pointer = format!("{}/oneOf", self.new.pointer);
        if old.tag != new.tag {
            let message = format!("union tag member changed from `{}` to `{}`", old.tag, new.tag);
            self.push(&pointer, ChangeKind::UnionTagChanged, Effect::BOTH, message);
            return;
        }
        let def_pointer =
            |ir: &Ir, name: &str| ir.types.get(name).map_or_else(|| pointer.clone(), |d| d.pointer.clone());
        for variant in &old.variants {
            match new.variants.iter().find(|v| v.tag_value == variant.tag_value) {
                None => {
                    let message = format!("union variant `{}` (`{}`) removed", variant.tag_value, variant.type_name);
                    let at = def_pointer(self.old_ir, &variant.type_name);
                    self.push(&at, ChangeKind::UnionVariantRemoved, Effect::REJECTS_OLD, message);
                }
                Some(new_variant) => {
                    let (a, b) =
                        (TypeRef::Named(variant.type_name.clone()), TypeRef::Named(new_variant.type_name.clone()));
                    if let Some((kind, effect)) = relation(self.old_ir, self.new_ir, &a, &b).change() {
                        let message = format!(
                            "union variant `{}` changed type from `{}` to `{}`",
                            variant.tag_value, variant.type_name, new_variant.type_name
                        );
                        let at = def_pointer(self.new_ir, &new_variant.type_name);
                        self.push(&at, kind, effect, message);
                    }
                }
            }
        }
        for variant in new.variants.iter().filter(|v| !old.variants.iter().any(|o| o.tag_value == v.tag_value)) {
            let at = def_pointer(self.new_ir, &variant.type_name);
            let (effect, note) = match &old.fallback {
                Some(fallback) => (Effect::NONE, format!("old decoders take it as their fallback `{fallback}`")),
                None => (Effect::MAY_REJECT_NEW, "old decoders reject the unknown tag".to_owned()),
            };
            let message = format!("union variant `{}` (`{}`) added; {note}", variant.tag_value, variant.type_name);
            self.push(&at, ChangeKind::UnionVariantAdded, effect, message);
        }
        match (&old.fallback, &new.fallback) {
            (None, Some(fallback)) => {
                let message = format!("fallback variant `{fallback}` added: the union now takes every other tag value");
                self.push(&pointer, ChangeKind::UnionFallbackAdded, Effect::MAY_REJECT_NEW, message);
            }
            (Some(fallback), None) => {
                let message = format!("fallback variant `{fallback}` removed: unknown tag values are now rejected");
                self.push(&pointer, ChangeKind::UnionFallbackRemoved, Effect::REJECTS_OLD, message);
            }
            (Some(a), Some(b)) => {
                let (old_ty, new_ty) = (TypeRef::Named(a.clone()), TypeRef::Named(b.clone()));
                if let Some((kind, effect)) = relation(self.old_ir, self.new_ir, &old_ty, &new_ty).change() {
                    self.push(&pointer, kind, effect, format!("fallback variant changed from `{a}` to `{b}`"));
                }
            }
            (None, None) => {}
        }
    }

    fn untagged_unions(&mut self, old: &UntaggedUnionDef, new: &UntaggedUnionDef) {
        for (index, variant) in old.variants.iter().enumerate() {
            if !new.variants.iter().any(|v| v.ty == variant.ty) {
                let pointer = format!("{}/anyOf/{index}", self.old.pointer);
                let message = format!("union branch {} removed", show(&variant.ty));
                self.push(&pointer, ChangeKind::UnionVariantRemoved, Effect::REJECTS_OLD, message);
            }
        }
        for (index, variant) in new.variants.iter().enumerate() {
            if !old.variants.iter().any(|v| v.ty == variant.ty) {
                let pointer = format!("{}/anyOf/{index}", self.new.pointer);
                let message = format!("union branch {} added; old decoders reject values of it", show(&variant.ty));
                self.push(&pointer, ChangeKind::UnionVariantAdded, Effect::MAY_REJECT_NEW, message);
            }
        }
    }

    fn newtypes(&mut self, old: &NewtypeDef, new: &NewtypeDef) {
        let pointer = self.new.pointer.clone();
        if old.base != new.base {
            let message = format!("base type changed from {:?} to {:?}", old.base, new.base).to_lowercase();
            self.push(&pointer, ChangeKind::TypeChanged, Effect::BOTH, message);
            return;
        }
        let (a, b) = (&old.constraints, &new.constraints);
        self.bound(&pointer, "minLength", a.min_length, b.min_length, Bound::Lower);
        self.bound(&pointer, "maxLength", a.max_length, b.max_length, Bound::Upper);
        self.bound(&pointer, "minimum", a.minimum, b.minimum, Bound::Lower);
        self.bound(&pointer, "maximum", a.maximum, b.maximum, Bound::Upper);
        self.pattern(&pointer, a, b);
        // `excluded` lists the other variants' tags of a union's fallback; it changes with the union's variants,
        // which are reported on the union.
    }

    fn bound<T: Ord + Copy + Display>(
        &mut self,
        def: &str,
        keyword: &str,
        old: Option<T>,
        new: Option<T>,
        side: Bound,
    ) {
        let tightened = match (old, new) {
            (None, None) => return,
            (None, Some(_)) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) if a == b => return,
            (Some(a), Some(b)) => (side == Bound::Lower) == (b > a),
        };
        let shown = |v: Option<T>| v.map_or_else(|| "none".to_owned(), |v| v.to_string());
        let pointer = format!("{def}/{keyword}");
        let message = format!("`{keyword}` changed from {} to {}", shown(old), shown(new));
        if tightened {
            self.push(&pointer, ChangeKind::ConstraintTightened, Effect::REJECTS_OLD, message);
        } else {
            self.push(&pointer, ChangeKind::ConstraintLoosened, Effect::MAY_REJECT_NEW, message);
        }
    }

    fn pattern(&mut self, def: &str, old: &Constraints, new: &Constraints) {
        let pointer = format!("{def}/pattern");
        match (&old.pattern, &new.pattern) {
            (None, Some(p)) => self.push(
                &pointer,
                ChangeKind::ConstraintTightened,
                Effect::REJECTS_OLD,
                format!("pattern `{p}` added"),
            ),
            (Some(p), None) => self.push(
                &pointer,
                ChangeKind::ConstraintLoosened,
                Effect::MAY_REJECT_NEW,
                format!("pattern `{p}` removed"),
            ),
            (Some(a), Some(b)) if a != b => {
                // Whether one regular expression matches a subset of another is not decided here: assume each
                // accepts strings the other rejects.
                let effect = Effect { rejects_old: true, rejects_new: NewMessages::Possible };
                let message = format!("pattern changed from `{a}` to `{b}`");
                self.push(&pointer, ChangeKind::ConstraintChanged, effect, message);
            }
            _ => {}
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bound {
    Lower,
    Upper,
}

fn kind_name(kind: &TypeKind) -> &'static str {
    match kind {
        TypeKind::Struct(_) => "an object",
        TypeKind::StringEnum(_) => "a string enum",
        TypeKind::TaggedUnion(_) => "a tagged union",
        TypeKind::UntaggedUnion(_) => "an untagged union",
        TypeKind::Newtype(_) => "a constrained primitive",
        TypeKind::Alias(_) => "an alias",
    }
}

/// A type reference in messages: `string`, `array of ThreadId`, `ThreadId`.
pub(crate) fn show(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Named(name) => format!("`{name}`"),
        TypeRef::String => "string".into(),
        TypeRef::Integer => "integer".into(),
        TypeRef::Number => "number".into(),
        TypeRef::Boolean => "boolean".into(),
        TypeRef::Array(inner) => format!("array of {}", show(inner)),
        TypeRef::Map(inner) => format!("map of {}", show(inner)),
        TypeRef::Any => "any JSON".into(),
    }
}

fn list(values: &[String]) -> String {
    values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
}
