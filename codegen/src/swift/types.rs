//! One Swift declaration per IR type: the dispatch, type spellings and what the renderers share. Structs are
//! in [`super::structs`], string enums in [`super::enums`], unions in [`super::unions`], constraint-checked
//! newtypes in [`super::newtypes`]; typealiases are one line here.

use handoff_schema::{Field, Ir, TypeDef, TypeKind, TypeRef};

use super::code::Code;
use super::names::RESERVED_TYPE_NAMES;
use super::{enums, newtypes, structs, unions};
use crate::CodegenError;

pub(crate) const BACKEND: &str = "swift";
/// Property that keeps the unknown members of open objects.
pub(crate) const EXTRA_PROPERTY: &str = "extra";
/// Case of an open enum or open tagged union that holds every value the contract does not list.
pub(crate) const UNKNOWN_CASE: &str = "unknown";

pub(crate) fn unsupported(def: &TypeDef, pointer: &str, reason: String) -> CodegenError {
    CodegenError::Unsupported { backend: BACKEND, type_name: def.name.clone(), pointer: pointer.to_owned(), reason }
}

/// The Swift spelling of a type reference.
pub(crate) fn swift_type(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Named(name) => name.clone(),
        TypeRef::String => "String".to_owned(),
        TypeRef::Integer => "Int64".to_owned(),
        TypeRef::Number => "Double".to_owned(),
        TypeRef::Boolean => "Bool".to_owned(),
        TypeRef::Array(item) => format!("[{}]", swift_type(item)),
        TypeRef::Map(value) => format!("[String: {}]", swift_type(value)),
        TypeRef::Any => "JSONValue".to_owned(),
    }
}

/// The Swift type of a struct member: optional unless the member is required and non-null.
pub(crate) fn property_type(field: &Field) -> String {
    let base = swift_type(&field.ty);
    if field.presence.is_optional_in_code() { format!("{base}?") } else { base }
}

/// Renders `def` into `code`.
pub(crate) fn render(ir: &Ir, def: &TypeDef, code: &mut Code) -> Result<(), CodegenError> {
    if RESERVED_TYPE_NAMES.contains(&def.name.as_str()) || super::names::is_keyword(&def.name) {
        return Err(unsupported(
            def,
            &def.pointer,
            format!("`{}` clashes with a name the Swift package relies on; rename the def", def.name),
        ));
    }
    code.doc_with_pointer(&def.doc, &def.pointer);
    match &def.kind {
        TypeKind::Struct(s) => structs::render_struct(ir, def, s, code),
        TypeKind::StringEnum(e) if e.openness.is_open() => enums::render_open_enum(def, e, code),
        TypeKind::StringEnum(e) => enums::render_const_enum(def, e, code),
        TypeKind::TaggedUnion(u) => unions::render_tagged_union(def, u, code),
        TypeKind::UntaggedUnion(u) => unions::render_untagged_union(def, u, code),
        TypeKind::Newtype(n) => {
            newtypes::render_newtype(def, n, code);
            Ok(())
        }
        TypeKind::Alias(ty) => {
            code.line(format!("public typealias {} = {}", def.name, swift_type(ty)));
            Ok(())
        }
    }
}
