//! The README's "Swift package" section: the item its program decodes is a valid `handoff_request` carrying
//! `thread_id` by the schema itself. That the code compiles and runs against the package is `.ci/swift`'s job.

mod swift_common;

use codex_handoff_contract::RealtimeItem;
use handoff_schema::Contract;

fn swift_section() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README.md");
    let start = readme.find("\n## Swift package\n").expect("README has a `## Swift package` section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map(|i| i + 4).unwrap_or(rest.len());
    rest[..end].to_owned()
}

fn swift_blocks(section: &str) -> Vec<String> {
    section.split("```swift\n").skip(1).map(|block| block.split("```").next().unwrap_or("").to_owned()).collect()
}

#[test]
fn readme_item_is_a_valid_handoff_request_with_thread_id() {
    let example = &swift_blocks(&swift_section())[1];
    let json = example
        .split("#\"\"\"\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\"\"\"#").next())
        .expect("the example's JSON in a #\"\"\" literal");
    let value: serde_json::Value = serde_json::from_str(json).expect("the example's item is JSON");
    let contract = Contract::canonical().expect("canonical contract");
    let schema = contract.def_schema("RealtimeItem").expect("RealtimeItem def");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    assert!(validator.is_valid(&value), "the README's item is not a valid RealtimeItem");
    match serde_json::from_value::<RealtimeItem>(value).expect("decodes with the generated Rust types") {
        RealtimeItem::HandoffRequest(handoff) => {
            assert_eq!(handoff.thread_id.as_ref().map(|t| t.as_str()), Some("thr_123"));
        }
        other => panic!("not a handoff_request: {other:?}"),
    }
}
