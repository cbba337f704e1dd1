//! The traffic fixtures: valid/ captures are clean, invalid/ captures give exactly their `.expected` diagnostics.

use std::path::Path;

use handoff_validator::Schemas;
use handoff_validator::fixtures::check_fixtures;

#[test]
fn traffic_fixtures_give_their_expected_diagnostics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/traffic");
    let schemas = Schemas::canonical().unwrap();
    let outcome = check_fixtures(&schemas, &dir).unwrap();
    assert!(outcome.failures.is_empty(), "{}", outcome.failures.join("\n"));
    // At least the validator's own captures (valid and invalid, every format) were found.
    assert!(outcome.checked >= 11, "only {} captures checked", outcome.checked);
}

#[test]
fn every_non_flow_rule_has_an_invalid_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/traffic/invalid");
    let mut listed = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "expected") {
            listed.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    for rule in
        ["parse", "schema", "rpc/unknown-method", "rpc/orphan-response", "rpc/duplicate-id", "strict/unknown-member"]
    {
        assert!(listed.contains(&format!(" {rule} ")), "no invalid fixture expects `{rule}`");
    }
}
