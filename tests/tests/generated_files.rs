//! The committed generated files are exactly what the schema gives today (what `cargo xtask gen --check`
//! enforces), and a schema edit is noticed.

use contract_tests::workspace_root;
use handoff_codegen::{DriftKind, GEN_COMMAND, diff, generate_all};
use handoff_schema::{Contract, SCHEMA_JSON};

#[test]
fn committed_generated_files_match_the_schema() {
    let contract = Contract::canonical().unwrap();
    let outputs = generate_all(&contract.ir).unwrap();
    let drift = diff(&workspace_root(), &outputs).unwrap();
    let listing: Vec<String> = drift.iter().map(ToString::to_string).collect();
    assert!(drift.is_empty(), "generated files are out of date; run `{GEN_COMMAND}`:\n{}", listing.join("\n"));
}

#[test]
fn generation_is_deterministic() {
    let contract = Contract::canonical().unwrap();
    assert_eq!(generate_all(&contract.ir).unwrap(), generate_all(&contract.ir).unwrap());
}

#[test]
fn editing_a_description_makes_the_rust_types_stale() {
    let edited = SCHEMA_JSON.replacen("The thread to resume.", "The thread to resume, by id.", 1);
    assert_ne!(edited, SCHEMA_JSON, "the description used by this test is gone from the schema");
    let contract = Contract::from_str(&edited, "edited schema").unwrap();
    let drift = diff(&workspace_root(), &generate_all(&contract.ir).unwrap()).unwrap();
    let stale: Vec<&str> = drift.iter().filter(|d| d.kind == DriftKind::Stale).map(|d| d.path.as_str()).collect();
    assert!(stale.contains(&"generated/rust/src/types/threads_and_turns.rs"), "stale files: {stale:?}");
    assert!(drift.iter().all(|d| d.kind == DriftKind::Stale), "{drift:?}");
}

#[test]
fn every_generated_file_carries_the_do_not_edit_header() {
    let contract = Contract::canonical().unwrap();
    for output in generate_all(&contract.ir).unwrap() {
        for file in &output.files {
            // JSON has no comments; package manifests that are JSON say it in a member instead.
            if file.path.ends_with(".json") {
                continue;
            }
            let head: String = file.contents.lines().take(3).collect::<Vec<_>>().join("\n");
            assert!(
                head.contains(GEN_COMMAND) && head.contains("@generated"),
                "{} lacks the header:\n{head}",
                file.path
            );
        }
    }
}
