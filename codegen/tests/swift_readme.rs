//! The README's "Swift package" section shows working code: its Swift blocks parse, the item it decodes is a
//! valid `handoff_request` carrying `thread_id`, and every generated name it uses exists with that shape.

mod swift_common;

use codex_handoff_contract::RealtimeItem;
use handoff_codegen::swift;
use handoff_schema::Contract;
use swift_common::{swift_files, syntax_problems};

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
fn readme_swift_blocks_parse() {
    let blocks = swift_blocks(&swift_section());
    assert_eq!(blocks.len(), 2, "expected a Package.swift excerpt and a decoding example");
    // The first block is the argument list of a Package(...) call.
    let manifest = format!("let package = Package(\n    name: \"MyApp\",\n{})\n", blocks[0]);
    let problems = syntax_problems(&manifest);
    assert!(problems.is_empty(), "README Package.swift excerpt:\n{}", problems.join("\n"));
    let problems = syntax_problems(&blocks[1]);
    assert!(problems.is_empty(), "README decoding example:\n{}", problems.join("\n"));
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

#[test]
fn readme_uses_generated_names() {
    let contract = Contract::canonical().expect("canonical contract");
    let output = swift::generate(&contract.ir).expect("swift backend");
    let sources: String = swift_files(&output).into_iter().map(|(_, source)| source).collect();
    for declaration in [
        "public enum RealtimeItem: Codable, Sendable, Hashable {",
        "    case handoffRequest(RealtimeHandoffRequested)\n",
        "    case unknown(RealtimeOtherItem)\n",
        "    public var threadId: ThreadId?\n",
        "public struct ThreadResumeParams: Codable, Sendable, Hashable {",
        "        threadId: ThreadId,\n",
        "    public static let threadResume = \"thread/resume\"\n",
        "    public var type: RealtimeOtherItemType\n",
        "public struct JsonRpcRequest: Codable, Sendable, Hashable {",
        "        id: RequestId,\n        method: String,\n        params: JSONValue? = nil,\n",
        "    case integer(Int64)\n",
        "    public init<T: Encodable>(encoding value: T) throws {\n",
        "    public func decode<T: Decodable>(as type: T.Type) throws -> T {\n",
    ] {
        assert!(sources.contains(declaration), "the README relies on `{}`", declaration.trim());
    }
    let package = output.files.iter().find(|f| f.path.ends_with("/Package.swift")).expect("Package.swift");
    assert!(package.contents.contains(".library(name: \"CodexHandoffContract\""));
    assert!(package.contents.contains(".iOS(.v16)") && package.contents.contains(".macOS(.v13)"));
}
