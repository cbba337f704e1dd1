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

#[test]
fn mismatches_are_reported_as_a_readable_diff() {
    let dir = std::env::temp_dir().join(format!("handoff-fixture-diff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("valid")).unwrap();
    std::fs::create_dir_all(dir.join("invalid")).unwrap();
    // valid/ capture with a violation; invalid/ capture whose .expected is wrong on one line and misses another.
    std::fs::write(dir.join("valid/dirty.jsonl"), "{\"method\":\"nope\"}\n").unwrap();
    let capture = "{\"id\":1,\"result\":{}}\n{\"method\":\"nope\"}\n";
    std::fs::write(dir.join("invalid/two.jsonl"), capture).unwrap();
    std::fs::write(dir.join("invalid/two.jsonl.expected"), "# wrong line\n3 - rpc/orphan-response /id\n").unwrap();
    std::fs::write(dir.join("invalid/lonely.jsonl.expected"), "1 - parse -\n").unwrap();
    std::fs::write(dir.join("invalid/unlisted.jsonl"), "[]x\n").unwrap();
    let schemas = Schemas::canonical().unwrap();
    let outcome = check_fixtures(&schemas, &dir).unwrap();
    let text = outcome.failures.join("\n");
    assert_eq!(outcome.checked, 3);
    assert_eq!(outcome.failures.len(), 4, "{text}");
    assert!(text.contains("dirty.jsonl: diagnostics differ from none (valid/)"), "{text}");
    assert!(text.contains("+ given, not expected: 1 - rpc/unknown-method /method"), "{text}");
    assert!(text.contains("- expected, not given: 3 - rpc/orphan-response /id"), "{text}");
    assert!(text.contains("+ given, not expected: 1 - rpc/orphan-response /id"), "{text}");
    assert!(text.contains("+ given, not expected: 2 - rpc/unknown-method /method"), "{text}");
    assert!(text.contains("lonely.jsonl.expected: no capture named `lonely.jsonl` beside it"), "{text}");
    assert!(text.contains("unlisted.jsonl: missing"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn real_captures_need_an_expected_file_that_may_list_nothing() {
    let dir = std::env::temp_dir().join(format!("handoff-fixture-real-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("real")).unwrap();
    let clean = "{\"id\":1,\"method\":\"thread/start\",\"params\":{}}\n";
    std::fs::write(dir.join("real/clean.jsonl"), clean).unwrap();
    std::fs::write(dir.join("real/clean.jsonl.expected"), "# the real server's capture validates clean\n").unwrap();
    std::fs::write(dir.join("real/unlisted.jsonl"), clean).unwrap();
    std::fs::write(dir.join("real/drift.jsonl"), "{\"method\":\"nope\"}\n").unwrap();
    std::fs::write(dir.join("real/drift.jsonl.expected"), "\n").unwrap();
    let schemas = Schemas::canonical().unwrap();
    let outcome = check_fixtures(&schemas, &dir).unwrap();
    let text = outcome.failures.join("\n");
    assert_eq!(outcome.checked, 3);
    assert_eq!(outcome.failures.len(), 2, "{text}");
    assert!(text.contains("unlisted.jsonl: missing"), "{text}");
    assert!(text.contains("+ given, not expected: 1 - rpc/unknown-method /method"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
