//! `diff` and `apply`: what `cargo xtask gen` and `gen --check` do to a directory tree.

use std::path::PathBuf;

use handoff_codegen::{Drift, DriftKind, Output, apply, diff};

/// A fresh scratch directory under the target dir's temp area, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("handoff-codegen-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn output(files: &[(&str, &str)]) -> Output {
    let mut output = Output::new("generated/demo");
    for (path, contents) in files {
        output.add(path, *contents);
    }
    output
}

fn drift(path: &str, kind: DriftKind) -> Drift {
    Drift { path: path.to_owned(), kind }
}

#[test]
fn apply_writes_missing_files_and_a_second_run_changes_nothing() {
    let scratch = Scratch::new("apply");
    let outputs = [output(&[("a.txt", "one\n"), ("nested/b.txt", "two\n")])];
    let changed = apply(&scratch.0, &outputs).unwrap();
    assert_eq!(
        changed,
        vec![
            drift("generated/demo/a.txt", DriftKind::Missing),
            drift("generated/demo/nested/b.txt", DriftKind::Missing)
        ]
    );
    assert_eq!(std::fs::read_to_string(scratch.0.join("generated/demo/nested/b.txt")).unwrap(), "two\n");
    assert!(apply(&scratch.0, &outputs).unwrap().is_empty());
    assert!(diff(&scratch.0, &outputs).unwrap().is_empty());
}

#[test]
fn diff_reports_stale_missing_and_orphaned_files_without_writing() {
    let scratch = Scratch::new("diff");
    apply(&scratch.0, &[output(&[("a.txt", "one\n"), ("old.txt", "gone\n")])]).unwrap();
    std::fs::write(scratch.0.join("generated/demo/a.txt"), "edited by hand\n").unwrap();
    let wanted = [output(&[("a.txt", "one\n"), ("new.txt", "three\n")])];
    let found = diff(&scratch.0, &wanted).unwrap();
    assert_eq!(
        found,
        vec![
            drift("generated/demo/a.txt", DriftKind::Stale),
            drift("generated/demo/new.txt", DriftKind::Missing),
            drift("generated/demo/old.txt", DriftKind::Orphaned),
        ]
    );
    // Reading only: the hand edit is still there.
    assert_eq!(std::fs::read_to_string(scratch.0.join("generated/demo/a.txt")).unwrap(), "edited by hand\n");
    apply(&scratch.0, &wanted).unwrap();
    assert!(!scratch.0.join("generated/demo/old.txt").exists());
    assert!(diff(&scratch.0, &wanted).unwrap().is_empty());
}

#[test]
fn crlf_checkouts_and_build_directories_are_not_drift() {
    let scratch = Scratch::new("crlf");
    let wanted = [output(&[("a.txt", "one\ntwo\n")])];
    apply(&scratch.0, &wanted).unwrap();
    std::fs::write(scratch.0.join("generated/demo/a.txt"), "one\r\ntwo\r\n").unwrap();
    std::fs::create_dir_all(scratch.0.join("generated/demo/node_modules/x")).unwrap();
    std::fs::write(scratch.0.join("generated/demo/node_modules/x/index.js"), "").unwrap();
    std::fs::create_dir_all(scratch.0.join("generated/demo/dist")).unwrap();
    std::fs::write(scratch.0.join("generated/demo/dist/index.js"), "").unwrap();
    assert!(diff(&scratch.0, &wanted).unwrap().is_empty());
}

#[test]
fn a_shared_output_compares_only_its_own_files() {
    let scratch = Scratch::new("shared");
    std::fs::write(scratch.0.join("README.md"), "not generated\n").unwrap();
    let mut root = Output::shared("");
    root.add("Package.swift", "manifest\n");
    assert_eq!(
        diff(&scratch.0, std::slice::from_ref(&root)).unwrap(),
        vec![drift("Package.swift", DriftKind::Missing)]
    );
    apply(&scratch.0, std::slice::from_ref(&root)).unwrap();
    assert!(diff(&scratch.0, &[root]).unwrap().is_empty());
    assert_eq!(std::fs::read_to_string(scratch.0.join("README.md")).unwrap(), "not generated\n");
}
