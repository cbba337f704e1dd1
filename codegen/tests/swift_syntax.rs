//! Every Swift file the backend produces parses with tree-sitter's Swift grammar: zero ERROR and zero
//! MISSING nodes, both for the in-memory output and for the files committed under `generated/swift`.
//! No Swift compiler runs on the project's machines, so this is the syntax gate.

mod swift_common;

use std::path::{Path, PathBuf};

use handoff_codegen::{header, swift};
use handoff_schema::Contract;
use swift_common::{swift_files, syntax_problems};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("codegen is inside the workspace").to_path_buf()
}

fn assert_parses(path: &str, source: &str) {
    let problems = syntax_problems(source);
    assert!(problems.is_empty(), "{path} does not parse as Swift:\n  {}", problems.join("\n  "));
}

#[test]
fn every_generated_swift_file_parses() {
    let contract = Contract::canonical().expect("canonical contract");
    let output = swift::generate(&contract.ir).expect("swift backend");
    let files = swift_files(&output);
    assert!(files.len() >= 8, "expected the package's source, method, support and test files, got {}", files.len());
    for (path, source) in files {
        assert_parses(path, source);
    }
}

#[test]
fn committed_swift_files_parse() {
    let root = workspace_root().join(swift::ROOT);
    let mut pending = vec![root.clone()];
    let mut checked = 0;
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "swift") {
                let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_parses(&path.display().to_string(), &source);
                checked += 1;
            }
        }
    }
    assert!(checked >= 8, "expected the committed package under {}, found {checked} .swift files", root.display());
}

#[test]
fn every_swift_file_carries_the_generated_header() {
    let contract = Contract::canonical().expect("canonical contract");
    let output = swift::generate(&contract.ir).expect("swift backend");
    let preamble = header("//");
    for (path, source) in swift_files(&output) {
        if path.ends_with("/Package.swift") {
            // SwiftPM needs the tools version on line one; the header follows it.
            assert!(source.starts_with("// swift-tools-version:5.9\n"), "{path}: tools version first");
            assert!(source["// swift-tools-version:5.9\n".len()..].starts_with(&preamble), "{path}: header second");
        } else {
            assert!(source.starts_with(&preamble), "{path} lacks the generated-file header");
        }
    }
}

#[test]
fn output_is_deterministic_indented_with_spaces_and_without_trailing_whitespace() {
    let contract = Contract::canonical().expect("canonical contract");
    let first = swift::generate(&contract.ir).expect("swift backend");
    let second = swift::generate(&contract.ir).expect("swift backend");
    assert_eq!(first, second, "two runs differ");
    for file in &first.files {
        // Text inside a multi-line string literal (Realtime.swift's tools JSON) is data, not layout.
        let mut in_literal = false;
        for (index, line) in file.contents.lines().enumerate() {
            let at = format!("{}:{}", file.path, index + 1);
            if line.contains("\"\"\"") {
                in_literal = !in_literal;
                continue;
            }
            if in_literal {
                continue;
            }
            assert!(!line.ends_with(' '), "{at}: trailing whitespace");
            assert!(!line.contains('\t'), "{at}: tab");
            let indent = line.len() - line.trim_start_matches(' ').len();
            assert_eq!(indent % 4, 0, "{at}: indentation is not a multiple of four spaces");
        }
        assert!(file.contents.ends_with('\n') && !file.contents.ends_with("\n\n"), "{}: one final newline", file.path);
    }
}

/// The checker itself: broken Swift must be reported with a position, or the gate above proves nothing.
#[test]
fn syntax_checker_reports_errors_with_their_position() {
    assert!(syntax_problems("public struct A {\n    public var x: Int\n}\n").is_empty());
    let problems = syntax_problems("public struct A {\n    public var x: = 3\n}\n");
    assert!(!problems.is_empty(), "a missing type went unnoticed");
    assert!(problems[0].starts_with("2:"), "problem not located on line 2: {problems:?}");
    let problems = syntax_problems("public struct A {\n    var x: [Int\n}\n");
    assert_eq!(problems, ["2:16: MISSING `]`"]);
    let problems = syntax_problems("struct A {\n    var x: Int\n");
    assert_eq!(problems, ["3:1: MISSING `}`"]);
}
