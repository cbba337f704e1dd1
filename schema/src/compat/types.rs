//! How the set of values a type reference accepts changed: the same, wider, narrower, or something else.

use std::collections::BTreeSet;

use crate::ir::{Ir, NewtypeDef, Primitive, TypeDef, TypeKind, TypeRef};

use super::{ChangeKind, Effect};

/// The old type compared with the new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// Same type; a def with the same name is compared on its own.
    Same,
    /// A different def of the same shape: only the generated type's name changes.
    Renamed,
    /// The new type accepts every old value and more.
    Wider,
    /// The new type accepts only some of the old values.
    Narrower,
    /// Neither contains the other.
    Changed,
}

impl Relation {
    /// The finding kind and wire effect of a type change; `None` when nothing changed.
    pub fn change(self) -> Option<(ChangeKind, Effect)> {
        match self {
            Relation::Same => None,
            Relation::Renamed => Some((ChangeKind::TypeRenamed, Effect::NONE)),
            Relation::Wider => Some((ChangeKind::TypeWidened, Effect::MAY_REJECT_NEW)),
            Relation::Narrower => Some((ChangeKind::TypeNarrowed, Effect::REJECTS_OLD)),
            Relation::Changed => Some((ChangeKind::TypeChanged, Effect::BOTH)),
        }
    }

    fn reverse(self) -> Relation {
        match self {
            Relation::Wider => Relation::Narrower,
            Relation::Narrower => Relation::Wider,
            other => other,
        }
    }
}

/// Compares a type reference of the old contract with one of the new contract.
pub fn relation(old_ir: &Ir, new_ir: &Ir, old: &TypeRef, new: &TypeRef) -> Relation {
    if let (TypeRef::Named(a), TypeRef::Named(b)) = (old, new) {
        if a == b {
            return Relation::Same;
        }
        return match (old_ir.types.get(a), new_ir.types.get(b)) {
            (Some(old_def), Some(new_def))
                if equivalent_defs(old_ir, new_ir, old_def, new_def, &mut BTreeSet::new()) =>
            {
                Relation::Renamed
            }
            _ => Relation::Changed,
        };
    }
    if old == new {
        return Relation::Same;
    }
    match (old, new) {
        (_, TypeRef::Any) => Relation::Wider,
        (TypeRef::Any, _) => Relation::Narrower,
        (TypeRef::Integer, TypeRef::Number) => Relation::Wider,
        (TypeRef::Number, TypeRef::Integer) => Relation::Narrower,
        (TypeRef::Array(a), TypeRef::Array(b)) | (TypeRef::Map(a), TypeRef::Map(b)) => relation(old_ir, new_ir, a, b),
        (plain, TypeRef::Named(name)) => refines(new_ir, name, plain).unwrap_or(Relation::Changed),
        (TypeRef::Named(name), plain) => refines(old_ir, name, plain).map_or(Relation::Changed, Relation::reverse),
        _ => Relation::Changed,
    }
}

/// How the def `name` relates to the unnamed type `plain` when it replaces it: a constrained string or integer,
/// or a string enum, is narrower than its base; a union holding `plain` as a branch is wider.
fn refines(ir: &Ir, name: &str, plain: &TypeRef) -> Option<Relation> {
    match &ir.types.get(name)?.kind {
        TypeKind::Newtype(NewtypeDef { base: Primitive::String, .. }) | TypeKind::StringEnum(_)
            if *plain == TypeRef::String =>
        {
            Some(Relation::Narrower)
        }
        TypeKind::Newtype(NewtypeDef { base: Primitive::Integer, .. }) if *plain == TypeRef::Integer => {
            Some(Relation::Narrower)
        }
        TypeKind::UntaggedUnion(u) if u.variants.iter().any(|v| v.ty == *plain) => Some(Relation::Wider),
        TypeKind::Alias(inner) if inner == plain => Some(Relation::Renamed),
        _ => None,
    }
}

/// True when two defs accept the same values, whatever they are called. `seen` holds the pairs under comparison,
/// so recursive types compare as equal where they recurse.
fn equivalent_defs(
    old_ir: &Ir,
    new_ir: &Ir,
    old: &TypeDef,
    new: &TypeDef,
    seen: &mut BTreeSet<(String, String)>,
) -> bool {
    if !seen.insert((old.name.clone(), new.name.clone())) {
        return true;
    }
    let same_ref =
        |a: &TypeRef, b: &TypeRef, seen: &mut BTreeSet<(String, String)>| equivalent_refs(old_ir, new_ir, a, b, seen);
    match (&old.kind, &new.kind) {
        (TypeKind::Struct(a), TypeKind::Struct(b)) => {
            a.closed == b.closed
                && a.fields.len() == b.fields.len()
                && a.fields.iter().all(|fa| {
                    b.fields.iter().any(|fb| {
                        fa.wire_name == fb.wire_name
                            && fa.presence == fb.presence
                            && fa.aliases == fb.aliases
                            && same_ref(&fa.ty, &fb.ty, seen)
                    })
                })
        }
        (TypeKind::StringEnum(a), TypeKind::StringEnum(b)) => {
            let values =
                |e: &crate::ir::StringEnumDef| e.values.iter().map(|v| v.wire.clone()).collect::<BTreeSet<_>>();
            values(a) == values(b)
        }
        (TypeKind::TaggedUnion(a), TypeKind::TaggedUnion(b)) => {
            a.tag == b.tag
                && a.variants.len() == b.variants.len()
                && a.fallback.is_some() == b.fallback.is_some()
                && a.variants.iter().all(|va| {
                    b.variants.iter().any(|vb| {
                        va.tag_value == vb.tag_value
                            && same_ref(
                                &TypeRef::Named(va.type_name.clone()),
                                &TypeRef::Named(vb.type_name.clone()),
                                seen,
                            )
                    })
                })
                && match (&a.fallback, &b.fallback) {
                    (Some(fa), Some(fb)) => same_ref(&TypeRef::Named(fa.clone()), &TypeRef::Named(fb.clone()), seen),
                    _ => true,
                }
        }
        (TypeKind::UntaggedUnion(a), TypeKind::UntaggedUnion(b)) => {
            a.variants.len() == b.variants.len()
                && a.variants.iter().zip(&b.variants).all(|(va, vb)| same_ref(&va.ty, &vb.ty, seen))
        }
        (TypeKind::Newtype(a), TypeKind::Newtype(b)) => a == b,
        (TypeKind::Alias(a), TypeKind::Alias(b)) => same_ref(a, b, seen),
        _ => false,
    }
}

fn equivalent_refs(
    old_ir: &Ir,
    new_ir: &Ir,
    old: &TypeRef,
    new: &TypeRef,
    seen: &mut BTreeSet<(String, String)>,
) -> bool {
    match (old, new) {
        (TypeRef::Named(a), TypeRef::Named(b)) => match (old_ir.types.get(a), new_ir.types.get(b)) {
            (Some(old_def), Some(new_def)) => equivalent_defs(old_ir, new_ir, old_def, new_def, seen),
            _ => false,
        },
        (TypeRef::Array(a), TypeRef::Array(b)) | (TypeRef::Map(a), TypeRef::Map(b)) => {
            equivalent_refs(old_ir, new_ir, a, b, seen)
        }
        _ => old == new,
    }
}
