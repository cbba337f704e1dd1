//! IR → the `codex-handoff-contract` crate under `generated/rust`: serde + schemars types, constraint-checked
//! newtypes, a typed JSON-RPC method table and a registry of every type. Tokens are built with `quote` and
//! printed with `prettyplease`, so the output is formatted without a rustfmt binary.
//!
//! The types are written one module per protocol area ([`Group`], the split every backend shares) under
//! `src/types/`; the crate root re-exports them all, so `codex_handoff_contract::ThreadId` does not depend on
//! the area a type sits in.

mod common;
mod enums;
mod methods;
mod newtypes;
mod registry;
mod structs;
mod support;
mod unions;

use std::collections::BTreeSet;

use handoff_schema::{Group, Ir, TypeDef, TypeKind};
use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::{CodegenError, Output, header};
use common::{inner_doc_lines, rust_type, type_doc, type_ident};

const BACKEND: &str = "rust";
pub const ROOT: &str = "generated/rust";
pub const CRATE_NAME: &str = "codex-handoff-contract";

pub fn generate(ir: &Ir) -> Result<Output, CodegenError> {
    let mut output = Output::new(ROOT);
    output.add("Cargo.toml", cargo_toml(ir));
    output.add("src/lib.rs", render(lib_rs(ir))?);
    let areas: Vec<Group> = Group::ALL.into_iter().filter(|g| ir.types_in(*g).next().is_some()).collect();
    output.add("src/types/mod.rs", render(types_mod_rs(&areas))?);
    for group in &areas {
        output.add(&format!("src/types/{}.rs", area_module(*group)), render(area_rs(ir, *group)?)?);
    }
    output.add("src/methods.rs", render(methods::methods_rs(ir))?);
    output.add("src/realtime.rs", render(crate::realtime::rust_module(ir)?)?);
    output.add("src/registry.rs", render(registry::registry_rs(ir))?);
    output.add("src/support.rs", render(support::support_rs(ir))? + support::OBJECT_ONLY_MACRO);
    Ok(output)
}

fn render(tokens: TokenStream) -> Result<String, CodegenError> {
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| CodegenError::Render { backend: BACKEND, reason: e.to_string() })?;
    Ok(format!("{}\n{}", header("//"), space_items(&prettyplease::unparse(&file))))
}

/// prettyplease puts top-level items on consecutive lines; a blank line after each closing brace or
/// top-level statement makes the output read like hand-formatted Rust.
fn space_items(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + source.len() / 16);
    let mut lines = source.lines().peekable();
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let ends_item =
            line == "}" || line == "];" || (!line.starts_with(' ') && !line.starts_with("//") && line.ends_with(';'));
        let ends_module_doc = line.starts_with("//!");
        let next = lines.peek().copied().unwrap_or("");
        // A run of one-line `mod`/`use` declarations stays together, as rustfmt would leave it.
        let declaration =
            |l: &str| ["mod ", "pub mod ", "use ", "pub use "].iter().any(|p| l.starts_with(p)) && l.ends_with(';');
        let in_declarations = declaration(line) && declaration(next);
        // Inside an impl or a module: a blank line between one item's closing brace and the next item.
        let ends_nested_item = (line == "    }" || line.starts_with("    const ") && line.ends_with(';'))
            && ["    ///", "    pub ", "    fn ", "    #["].iter().any(|p| next.starts_with(p));
        if ends_nested_item {
            out.push('\n');
        }
        if (ends_item && !in_declarations || ends_module_doc && !next.starts_with("//!"))
            && !next.is_empty()
            && next != "}"
        {
            out.push('\n');
        }
    }
    out
}

fn cargo_toml(ir: &Ir) -> String {
    // Self-contained (no workspace inheritance) so an app can depend on this directory alone.
    format!(
        r#"{header}
[package]
name = "{CRATE_NAME}"
version = "{version}"
edition = "2021"
rust-version = "1.80"
description = "Generated Rust types of the Codex realtime handoff contract."
license = "Apache-2.0"
publish = false

[lib]
path = "src/lib.rs"

[dependencies]
regex = {{ version = "1", default-features = false, features = ["std", "perf"] }}
schemars = {{ version = "1", default-features = false, features = ["derive", "std"] }}
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"
"#,
        header = header("#"),
        version = ir.version,
    )
}

fn lib_rs(ir: &Ir) -> TokenStream {
    let title = inner_doc_lines(&format!(
        "{}\n\n{}\n\nContract version {}. Every type derives `serde` and `schemars::JsonSchema` and uses the exact \
         wire names; open objects keep unknown members in `extra`, closed ones reject them.",
        ir.title, ir.description, ir.version
    ));
    // `rustfmt::skip` on each module: these files are formatted by prettyplease, and the workspace's
    // `cargo fmt --check` must not fight the generator over them.
    quote! {
        #title

        #[rustfmt::skip]
        pub mod methods;
        #[rustfmt::skip]
        pub mod realtime;
        #[rustfmt::skip]
        pub mod registry;
        #[rustfmt::skip]
        mod support;
        #[rustfmt::skip]
        mod types;

        pub use support::*;
        pub use types::*;
    }
}

/// The module (file stem) of an area: `ThreadsAndTurns` → `threads_and_turns`.
fn area_module(group: Group) -> proc_macro2::Ident {
    format_ident!("{}", group.stem().to_snake_case())
}

fn types_mod_rs(areas: &[Group]) -> TokenStream {
    let modules: Vec<_> = areas.iter().map(|group| area_module(*group)).collect();
    quote! {
        //! The contract's types, one module per protocol area; the crate root re-exports every type.
        #(mod #modules;)*
        #(pub use #modules::*;)*
    }
}

/// One area's types, in name order, importing the types of other areas they refer to by name.
fn area_rs(ir: &Ir, group: Group) -> Result<TokenStream, CodegenError> {
    let mut items = Vec::new();
    let mut imports: BTreeSet<&str> = BTreeSet::new();
    for def in ir.types_in(group) {
        imports.extend(def.kind.references().into_iter().filter(|name| ir.type_def(name).group != group));
        if matches!(def.kind, TypeKind::Newtype(_)) {
            imports.insert("ConstraintError");
        }
        items.push(type_tokens(ir, def)?);
    }
    let imports: Vec<_> = imports.into_iter().map(type_ident).collect();
    let imports = match imports.as_slice() {
        [] => quote!(),
        [one] => quote!(use crate::#one;),
        many => quote!(use crate::{ #(#many),* };),
    };
    let summary = inner_doc_lines(group.summary());
    Ok(quote! {
        #summary
        #imports
        #(#items)*
    })
}

fn type_tokens(ir: &Ir, def: &TypeDef) -> Result<TokenStream, CodegenError> {
    Ok(match &def.kind {
        TypeKind::Struct(s) => structs::struct_tokens(ir, def, s)?,
        TypeKind::StringEnum(e) => enums::enum_tokens(def, e)?,
        TypeKind::TaggedUnion(u) => unions::tagged_union_tokens(ir, def, u)?,
        TypeKind::UntaggedUnion(u) => unions::untagged_union_tokens(ir, def, u),
        TypeKind::Newtype(n) => newtypes::newtype_tokens(def, n),
        TypeKind::Alias(ty) => {
            let doc = type_doc(def);
            let name = type_ident(&def.name);
            let ty = rust_type(ty);
            quote! { #doc pub type #name = #ty; }
        }
    })
}
