//! What the Swift compiler does not check about the generated files: each carries the generated-file header,
//! and the output is deterministic, indented with spaces and free of trailing whitespace. Whether the files
//! parse and type-check is `.ci/swift`'s job (a real `swift build`); the tree-sitter helper the backend's unit
//! tests use on small hand-built IRs (which the compiler never sees) is checked here too.

mod swift_common;

use handoff_codegen::{header, swift};
use handoff_schema::Contract;
use swift_common::{swift_files, syntax_problems};

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
