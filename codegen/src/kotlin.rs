//! IR → Kotlin sources under `generated/kotlin` (package `dev.codex.handoff.contract`) for kotlinx.serialization:
//! one file per protocol area (the grouping the TypeScript and Swift packages use), plus the JSON-RPC method
//! table and the realtime tools and prompt template.
//!
//! Around the sources: a Maven `pom.xml` (CI runs `mvn -B test` through `.ci/kotlin`), a `build.gradle.kts` with
//! the same pinned versions, and JUnit tests over the shared fixtures (`tests.rs`).

mod extras;
mod names;
mod objects;
mod project;
mod tests;
mod tool_calls;
mod types;

use std::collections::{BTreeMap, BTreeSet};

use handoff_schema::{Ir, TypeKind, TypeRef};

use crate::{CodegenError, Output, header};
use handoff_schema::Group;

pub const ROOT: &str = "generated/kotlin";
pub const PACKAGE: &str = "dev.codex.handoff.contract";
/// Where the sources go under [`ROOT`]: the Gradle/Maven source layout for [`PACKAGE`].
pub const SOURCE_DIR: &str = "src/main/kotlin/dev/codex/handoff/contract";

/// Names the sources use unqualified (Kotlin and kotlinx types) or declare besides the schema's types; a def
/// with one of these names would shadow or clash, so it is refused rather than rendered into broken Kotlin.
const RESERVED_NAMES: &[&str] = &[
    "Boolean",
    "ContractTest",
    "Double",
    "Json",
    "JsonElement",
    "JsonNull",
    "JsonObject",
    "JsonPrimitive",
    "KSerializer",
    "List",
    "Long",
    "Map",
    "MethodDirection",
    "MethodInfo",
    "Methods",
    "ObjectShape",
    "Realtime",
    "Regex",
    "SerialName",
    "Serializable",
    "ServerInfo",
    "Set",
    "StrictBoolean",
    "StrictDouble",
    "StrictLong",
    "String",
    "ToolCall",
    "ToolCallException",
];

pub fn generate(ir: &Ir) -> Result<Output, CodegenError> {
    // `<Name>Serializer` objects are declared next to the types that need a custom serializer.
    let clash = ir.types.values().find(|def| {
        RESERVED_NAMES.contains(&def.name.as_str())
            || def.name.strip_suffix("Serializer").is_some_and(|base| ir.types.contains_key(base))
    });
    if let Some(def) = clash {
        return Err(CodegenError::Unsupported {
            backend: "kotlin",
            type_name: def.name.clone(),
            pointer: def.pointer.clone(),
            reason: "the name clashes with a Kotlin type or a declaration the Kotlin sources make".to_owned(),
        });
    }
    // Open objects keep unknown members in a property named `extra`.
    let extra = ir.types.values().find_map(|def| match &def.kind {
        TypeKind::Struct(s) if !s.closed => s.fields.iter().find(|f| names::property(&f.name) == "extra"),
        _ => None,
    });
    if let Some(field) = extra {
        return Err(CodegenError::Unsupported {
            backend: "kotlin",
            type_name: field.name.clone(),
            pointer: field.pointer.clone(),
            reason: "an open object's member named `extra` clashes with the property holding its unknown members"
                .to_owned(),
        });
    }
    let placement = ir.groups();
    let unions = union_memberships(ir);
    let mut output = Output::new(ROOT);
    for group in Group::ALL {
        let members: Vec<_> = ir.types.values().filter(|def| placement[&def.name] == group).collect();
        if members.is_empty() {
            continue;
        }
        let mut file = KotlinFile::default();
        for def in members {
            file.body.push('\n');
            types::render(ir, def, &unions, &mut file);
        }
        output.add(&format!("{SOURCE_DIR}/{}.kt", group.stem()), file.finish(group.summary()));
    }
    output.add(
        &format!("{SOURCE_DIR}/Methods.kt"),
        extras::methods_file(ir).finish("The JSON-RPC method table of the app-server protocol."),
    );
    output.add(
        &format!("{SOURCE_DIR}/Realtime.kt"),
        extras::realtime_file(ir)?.finish("The realtime voice model's tools and prompt guidance."),
    );
    output.add(
        &format!("{SOURCE_DIR}/ToolCalls.kt"),
        tool_calls::tool_calls_file(ir)?.finish("Parsing the voice model's function calls, which are untrusted input."),
    );
    output.add(
        &format!("{SOURCE_DIR}/ObjectSerialization.kt"),
        objects::objects_file().finish("How object types read and write what kotlinx alone would not check."),
    );
    output.add(
        &format!("{}/ContractTest.kt", tests::TEST_DIR),
        tests::contract_test_file(ir).finish("Tests over the repository's shared fixtures; run by `mvn -B test`."),
    );
    output.add("pom.xml", project::pom_xml(ir));
    output.add("build.gradle.kts", project::build_gradle_kts(ir));
    output.add("settings.gradle.kts", project::settings_gradle_kts());
    output.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(output)
}

/// For each struct, the tagged unions that list it as a variant or fallback (its Kotlin supertypes).
fn union_memberships(ir: &Ir) -> BTreeMap<String, BTreeSet<String>> {
    let mut unions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for def in ir.types.values() {
        if let TypeKind::TaggedUnion(u) = &def.kind {
            for member in u.variants.iter().map(|v| &v.type_name).chain(u.fallback.iter()) {
                unions.entry(member.clone()).or_default().insert(def.name.clone());
            }
        }
    }
    unions
}

/// A source file being written: its imports are collected while the body is rendered.
#[derive(Default)]
pub(crate) struct KotlinFile {
    imports: BTreeSet<String>,
    /// Whether the file opts in to kotlinx.serialization's experimental API (`@JsonIgnoreUnknownKeys`,
    /// `@EncodeDefault`).
    experimental: bool,
    pub(crate) body: String,
}

impl KotlinFile {
    pub(crate) fn import(&mut self, path: &str) {
        self.imports.insert(path.to_owned());
    }

    pub(crate) fn opt_in(&mut self) {
        self.experimental = true;
        self.import("kotlinx.serialization.ExperimentalSerializationApi");
    }

    /// Imports what the Kotlin spelling of `ty` needs.
    pub(crate) fn note_type(&mut self, ty: &TypeRef) {
        if names::uses_json_element(ty) {
            self.import("kotlinx.serialization.json.JsonElement");
        }
    }

    fn finish(self, summary: &str) -> String {
        let mut out = header("//");
        out.push('\n');
        if self.experimental {
            out.push_str("@file:OptIn(ExperimentalSerializationApi::class)\n\n");
        }
        out.push_str(&format!("package {PACKAGE}\n"));
        if !self.imports.is_empty() {
            out.push('\n');
        }
        for import in &self.imports {
            out.push_str(&format!("import {import}\n"));
        }
        out.push_str(&format!("\n// {summary}\n"));
        out.push_str(&self.body);
        out
    }
}
