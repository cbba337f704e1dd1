//! Swift generated from the hand-built IR (`hand_built/mod.rs`, the one `rust_compiled.rs` compiles as Rust).
//!
//! Without a Swift toolchain this checks that the package renders and every file parses (tree-sitter). With
//! `CONTRACT_SWIFT_CHECKS_DIR` set (`.ci/swift` does, before it enters its Swift root), it also writes a Swift
//! package there: the generated library plus `swift_compiled/main.swift`, hand-written decode/encode expectations
//! that `.ci/swift` builds with warnings as errors and runs.

mod hand_built;
mod swift_common;

use std::path::PathBuf;

use handoff_codegen::swift;
use swift_common::{swift_files, syntax_problems};

const MANIFEST: &str = r#"// swift-tools-version:5.9
import PackageDescription

let package = Package(
    name: "HandBuiltChecks",
    targets: [
        .target(name: "CodexHandoffContract", path: "Sources/CodexHandoffContract"),
        .executableTarget(name: "Checks", dependencies: ["CodexHandoffContract"], path: "Sources/Checks"),
    ]
)
"#;

#[test]
fn swift_from_the_hand_built_ir_renders_and_parses_and_is_written_for_the_swift_compiler() {
    let output = swift::generate(&hand_built::ir(hand_built::every_construct())).expect("renders every construct");
    let sources: Vec<(&str, &str)> =
        swift_files(&output).into_iter().filter(|(path, _)| path.contains("/Sources/")).collect();
    assert!(sources.len() >= 3, "{:?}", sources.iter().map(|(p, _)| p).collect::<Vec<_>>());
    for (path, source) in &sources {
        let problems = syntax_problems(source);
        assert!(problems.is_empty(), "{path}:\n{}", problems.join("\n"));
    }
    let Some(dir) = std::env::var_os("CONTRACT_SWIFT_CHECKS_DIR") else { return };
    let dir = PathBuf::from(dir);
    let library = dir.join("Sources/CodexHandoffContract");
    if library.exists() {
        std::fs::remove_dir_all(&library).unwrap();
    }
    std::fs::create_dir_all(&library).unwrap();
    for (path, source) in &sources {
        let name = path.rsplit('/').next().unwrap();
        std::fs::write(library.join(name), source).unwrap();
    }
    std::fs::create_dir_all(dir.join("Sources/Checks")).unwrap();
    std::fs::write(dir.join("Sources/Checks/main.swift"), include_str!("swift_compiled/main.swift")).unwrap();
    std::fs::write(dir.join("Package.swift"), MANIFEST).unwrap();
}
