//! The repository-root `Package.swift` that lets an app add the Swift package by repository URL.

mod swift_common;

use std::path::Path;

use handoff_codegen::{diff, swift};

#[test]
fn the_root_manifest_parses_and_points_at_the_generated_package() {
    let output = swift::root_manifest();
    assert_eq!(output.files.len(), 1);
    let manifest = &output.files[0];
    assert_eq!(manifest.path, "Package.swift");
    assert!(manifest.contents.starts_with("// swift-tools-version:5.9\n"), "SwiftPM reads the version from line 1");

    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let paths: Vec<&str> =
        manifest.contents.split("path: \"").skip(1).map(|rest| rest.split('"').next().unwrap()).collect();
    assert_eq!(
        paths,
        [format!("{}/Sources/{}", swift::ROOT, swift::MODULE), format!("{}/Tests/{}", swift::ROOT, swift::TEST_TARGET)]
    );
    for path in paths {
        assert!(workspace.join(path).is_dir(), "{path} is not a directory of the checkout");
    }
}

#[test]
fn the_root_manifest_owns_only_itself() {
    // The repository root holds everything else too: comparing the root output must not call those orphans.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let drift = diff(workspace, &[swift::root_manifest()]).unwrap();
    assert!(drift.iter().all(|d| d.path == "Package.swift"), "{drift:?}");
}
