//! Rust generated from a hand-built IR that holds every construct and presence state, compiled and run.
//!
//! The IR (`hand_built/mod.rs`) has each presence state, members named like Rust keywords (`type`, `match`, `self`), open and
//! closed enums and unions, a tag value named like the fallback variant (in a closed union, where it is allowed),
//! newtypes with every constraint kind, maps, arrays, any-JSON, an untagged union, an alias and a struct big
//! enough to get a builder. The generated crate and `rust_compiled/checks.rs` (decode/encode expectations
//! written by hand) are built as one scratch workspace under the target dir with the workspace's `Cargo.lock`,
//! offline; `checks` exits non-zero naming every expectation that failed.

mod hand_built;

use std::path::{Path, PathBuf};
use std::process::Command;

use hand_built::{def, every_construct, field, ir, object, string_enum};
use handoff_codegen::{CodegenError, rust};
use handoff_schema::{EnumOrigin, Group, Openness, Presence, TypeDef, TypeKind, TypeRef};

/// Writes `contents` unless the file already holds it, so cargo's fingerprints stay put on re-runs.
fn write_if_changed(path: &Path, contents: &str) {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return;
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

const CHECKS_MANIFEST: &str = r#"[package]
name = "checks"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
codex-handoff-contract = { path = "../contract" }
serde = "1"
serde_json = "1"
"#;

#[test]
fn generated_rust_compiles_and_decodes_and_encodes_every_construct() {
    let output = rust::generate(&ir(every_construct())).expect("the Rust backend renders every construct");
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rust_compiled");
    let contract = scratch.join("contract");
    for file in &output.files {
        let relative = file.path.strip_prefix(&format!("{}/", rust::ROOT)).expect("under the backend's root");
        write_if_changed(&contract.join(relative), &file.contents);
    }
    // Its own workspace, so cargo does not take the scratch dir for a stray member of this one; the lock file
    // pins the versions this workspace already has, which is what makes `--offline` work.
    write_if_changed(
        &scratch.join("Cargo.toml"),
        "[workspace]\nmembers = [\"contract\", \"checks\"]\nresolver = \"2\"\n",
    );
    let lock = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock")).unwrap();
    // Every run, so a version bump in this workspace reaches the scratch build (cargo prunes the copy to what the
    // scratch workspace uses; that changes no fingerprint).
    write_if_changed(&scratch.join("Cargo.lock"), &lock);
    write_if_changed(&scratch.join("checks/Cargo.toml"), CHECKS_MANIFEST);
    write_if_changed(&scratch.join("checks/src/main.rs"), include_str!("rust_compiled/checks.rs"));

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let run = Command::new(cargo)
        .args(["run", "--offline", "--quiet", "-p", "checks", "--manifest-path"])
        .arg(scratch.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(scratch.join("target"))
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "the checks failed ({}):\n{stdout}\n{stderr}", run.status);
    assert!(!stderr.contains("warning"), "the generated crate or the checks compile with warnings:\n{stderr}");
    // The checks print one line per expectation; a run that checked nothing must not pass.
    let passed = stdout.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(passed >= 30, "only {passed} checks ran:\n{stdout}");
}

fn unsupported(types: Vec<TypeDef>) -> (String, String, String) {
    match rust::generate(&ir(types)) {
        Err(CodegenError::Unsupported { type_name, pointer, reason, .. }) => (type_name, pointer, reason),
        other => panic!("expected an unsupported-IR error, got {other:?}"),
    }
}

#[test]
fn an_open_union_with_a_tag_named_like_its_fallback_is_refused_with_its_location() {
    let mut types = every_construct();
    let shape = types.iter_mut().find(|t| t.name == "Shape").unwrap();
    let TypeKind::TaggedUnion(union) = &mut shape.kind else { unreachable!() };
    union.variants[0].name = "unknown".to_owned();
    let (type_name, pointer, reason) = unsupported(types);
    assert_eq!((type_name.as_str(), pointer.as_str()), ("Shape", "/$defs/Shape"));
    assert!(reason.contains("`Unknown` clashes with the fallback variant"), "{reason}");
}

#[test]
fn an_open_enum_value_named_like_its_unknown_case_is_refused_with_its_location() {
    let mut types = every_construct();
    types.push(def("Weather", Group::Common, string_enum(&["sunny", "unknown"], EnumOrigin::Enum, Openness::Open)));
    let (type_name, pointer, reason) = unsupported(types);
    assert_eq!((type_name.as_str(), pointer.as_str()), ("Weather", "/$defs/Weather"));
    assert!(reason.contains("`unknown`"), "{reason}");
}

#[test]
fn an_open_object_member_named_extra_is_refused_with_its_location() {
    let mut types = every_construct();
    types.push(def(
        "Roomy",
        Group::Common,
        object(vec![field("extra", "extra", TypeRef::String, Presence::Required)], false),
    ));
    let (type_name, pointer, reason) = unsupported(types);
    assert_eq!((type_name.as_str(), pointer.as_str()), ("Roomy", "/$defs/X/properties/extra"));
    assert!(reason.contains("reserved for the unknown members"), "{reason}");
}
