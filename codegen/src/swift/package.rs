//! `Package.swift` and the XCTest target that decodes the shared message fixtures, for `swift test`.

use handoff_schema::{Ir, TypeKind};

use super::code::{Code, string_literal};
use super::{MODULE, TEST_TARGET};

/// The package manifest. `sources_dir` is where the package's `Sources/` and `Tests/` are, relative to the
/// manifest: `None` for `generated/swift/Package.swift` itself (SwiftPM's default layout), `Some("generated/swift")`
/// for the copy at the repository root that lets an app add the package by repository URL.
pub(crate) fn package_swift(sources_dir: Option<&str>) -> String {
    let path = |subdir: &str, target: &str| match sources_dir {
        Some(dir) => format!(", path: {}", string_literal(&format!("{dir}/{subdir}/{target}"))),
        None => String::new(),
    };
    let target_path = path("Sources", MODULE);
    let test_path = path("Tests", TEST_TARGET);
    // SwiftPM reads `swift-tools-version` from the very first line, so the generated-file header comes after it.
    format!(
        r#"// swift-tools-version:5.9
{header}
import PackageDescription

let package = Package(
    name: "{MODULE}",
    platforms: [
        .iOS(.v16),
        .macOS(.v13),
    ],
    products: [
        .library(name: "{MODULE}", targets: ["{MODULE}"]),
    ],
    targets: [
        .target(name: "{MODULE}"{target_path}),
        .testTarget(name: "{TEST_TARGET}", dependencies: ["{MODULE}"]{test_path}),
    ]
)
"#,
        header = crate::header("//").trim_end(),
    )
}

/// The XCTest file: every valid fixture decodes and re-encodes to its canonical form, every invalid one is
/// rejected, plus checks of the behaviours the fixtures cannot show on their own (unknown enum values, aliases).
pub(crate) fn fixture_tests_swift(ir: &Ir) -> String {
    let mut code = Code::new();
    code.line("import Foundation");
    code.line("import XCTest");
    code.blank();
    code.line(format!("import {MODULE}"));
    code.blank();
    code.doc(
        "Decodes the shared message fixtures (`tests/fixtures/messages/<Type>.json` in the contract repository) with\n\
         the generated types. Run from a checkout of the repository: `cd generated/swift && swift test`.",
    );
    code.open("final class FixtureTests: XCTestCase");
    // Computed rather than stored: no shared mutable-looking global state for strict concurrency checking.
    code.doc("Every generated type by its schema name: decodes JSON as the type and encodes it back.");
    code.open("static var codecs: [String: Codec]");
    code.line("[");
    code.indented(|code| {
        for def in ir.types.values() {
            // Module-qualified: `Thread` alone is ambiguous next to Foundation's.
            code.line(format!("{}: roundTrip({MODULE}.{}.self),", string_literal(&def.name), def.name));
        }
    });
    code.line("]");
    code.close();
    code.blank();
    code.doc("The open objects: they keep members this contract does not know and write them back.");
    code.open("static var openObjects: Set<String>");
    let open: Vec<String> = ir
        .types
        .values()
        .filter(|def| matches!(&def.kind, TypeKind::Struct(s) if !s.closed))
        .map(|def| string_literal(&def.name))
        .collect();
    code.line(format!("[{}]", open.join(", ")));
    code.close();
    code.blank();
    code.raw(FIXED_TESTS);
    if let Some(TypeKind::Newtype(_)) = ir.types.get("ThreadId").map(|d| &d.kind) {
        code.blank();
        code.raw(THREAD_ID_TEST);
    }
    let open_enums: Vec<&str> = ir
        .types
        .values()
        .filter(|d| matches!(&d.kind, TypeKind::StringEnum(e) if e.openness.is_open()))
        .map(|d| d.name.as_str())
        .collect();
    if !open_enums.is_empty() {
        code.blank();
        code.open("func testStringEnumsKeepUnknownValues() throws");
        code.line("let newer = \"a-value-from-a-newer-server\"");
        for name in open_enums {
            // Module-qualified like the codecs: an enum's name may also exist in Foundation or XCTest.
            let ty = format!("{MODULE}.{name}");
            code.line(format!(
                "XCTAssertEqual(try JSONDecoder().decode({ty}.self, from: jsonString(newer)), .unknown(newer))"
            ));
            code.line(format!("XCTAssertEqual(try JSONEncoder().encode({ty}.unknown(newer)), try jsonString(newer))"));
            code.line(format!("XCTAssertTrue({ty}(rawValue: newer).isUnknown)"));
        }
        code.close();
    }
    code.close();
    code.blank();
    code.raw(HELPERS);
    format!("{}\n{}", crate::header("//"), code.finish())
}

/// The test methods; they read the fixture files, so they do not depend on which types the schema has.
const FIXED_TESTS: &str = r#"    /// Empties `swift.jsonl` once, before any test appends its verdicts.
    override class func setUp() {
        super.setUp()
        Verdicts.start()
    }

    /// Every case of every message fixture: a valid one decodes and re-encodes (keys sorted) to its canonical
    /// form (`canonical`, else the value itself); an aliased one (a legacy member name) to its canonical form;
    /// an invalid one is refused.
    func testMessageFixtures() throws {
        var lines: [VerdictLine] = []
        for (typeName, file) in try loadMessageFixtures() {
            let codec = try XCTUnwrap(Self.codecs[typeName], "no generated type for fixture \(typeName).json")
            for (section, cases) in [("valid", file.valid), ("aliased", file.aliased), ("invalid", file.invalid)] {
                for fixture in cases {
                    let label = "\(typeName).json \(section) case \"\(fixture.name)\""
                    let decoded: Decoded?
                    do {
                        decoded = try codec(fixture.value)
                    } catch {
                        decoded = nil
                        if section != "invalid" {
                            XCTFail("\(label) does not decode: \(error)")
                        }
                    }
                    let canonical = try decoded.map { try JSONDecoder().decode(JSONValue.self, from: $0.reencoded) }
                    lines.append(.message(def: typeName, section: section, name: fixture.name, canonical: canonical))
                    guard let decoded, let canonical else {
                        continue
                    }
                    if section == "invalid" {
                        // Documented leniency: string enums keep values they do not list (`unknown`), which the
                        // schema's closed `enum` refuses. The verdict file still says "accepted".
                        if !decoded.keepsUnknownEnumValue {
                            XCTFail("\(label) decodes, as \(String(decoding: decoded.reencoded, as: UTF8.self))")
                        }
                        continue
                    }
                    let expected = try JSONDecoder().decode(JSONValue.self, from: fixture.canonical ?? fixture.value)
                    XCTAssertEqual(canonical, expected, "\(label) re-encodes differently")
                }
            }
        }
        XCTAssertFalse(lines.isEmpty, "no message fixtures")
        try Verdicts.append(lines)
    }

    /// Every valid case of an open object, with a member this contract does not know added (at the top level):
    /// the member survives the round trip, nested values and all.
    func testUnknownMembersSurviveRoundTrip() throws {
        let unknown: JSONValue = ["nested": [1, true, .null, "text"], "n": 2.5]
        var checked = 0
        for (typeName, file) in try loadMessageFixtures() where Self.openObjects.contains(typeName) {
            let codec = try XCTUnwrap(Self.codecs[typeName])
            for fixture in file.valid {
                guard case .object(var members) = try JSONDecoder().decode(JSONValue.self, from: fixture.value) else {
                    continue
                }
                members["x_member_from_a_newer_server"] = unknown
                let decoded = try codec(try JSONEncoder().encode(JSONValue.object(members)))
                let back = try JSONDecoder().decode(JSONValue.self, from: decoded.reencoded)
                guard case .object(let written) = back else {
                    XCTFail("\(typeName).json case \"\(fixture.name)\" re-encodes as a non-object")
                    continue
                }
                XCTAssertEqual(
                    written["x_member_from_a_newer_server"], unknown,
                    "\(typeName).json case \"\(fixture.name)\" loses an unknown member"
                )
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 0, "no open object has a valid fixture")
    }

    /// Every call of `tests/fixtures/realtime/tool_calls.json` gets its verdict from `Realtime.parseToolCall`:
    /// accepted under the canonical tool name, or refused with the expected error kind.
    func testToolCallFixtures() throws {
        let calls = try loadToolCalls()
        XCTAssertFalse(calls.isEmpty, "no tool calls in the fixture")
        var lines: [VerdictLine] = []
        for (index, call) in calls.enumerated() {
            let label = "tool_calls.json call \(index) (\(call.name) \(call.arguments))"
            do {
                let parsed = try Realtime.parseToolCall(name: call.name, arguments: call.arguments)
                lines.append(.toolCall(index: index, tool: parsed.name, errorKind: nil))
                XCTAssertEqual(call.expect, "ok", "\(label) is accepted")
                XCTAssertEqual(parsed.name, call.tool, "\(label) parsed as the wrong tool")
            } catch let error as Realtime.ToolCallError {
                // The verdict format names a tool only for an accepted call (as Rust, TypeScript and Kotlin write it).
                lines.append(.toolCall(index: index, tool: nil, errorKind: error.kind.rawValue))
                XCTAssertEqual(error.kind.rawValue, call.expect, "\(label): \(error)")
                XCTAssertEqual(error.tool, call.tool, "\(label): the error names the wrong tool")
            }
        }
        try Verdicts.append(lines)
    }"#;

/// Constraint checks of `ThreadId`, the type that guards model output.
const THREAD_ID_TEST: &str = r#"    func testThreadIdChecksItsConstraints() throws {
        XCTAssertEqual(try ThreadId("thr_123").rawValue, "thr_123")
        XCTAssertNotNil(ThreadId(rawValue: "7f9c2ba4-e88f-4d1a-9e37-4b6f0c7d8e21"))
        // The limits themselves: one character, and 128 (the longest allowed), in code and on the wire.
        for good in ["a", "a:b.c-d_e", String(repeating: "a", count: 128)] {
            XCTAssertEqual(try ThreadId(good).rawValue, good)
            XCTAssertEqual(try JSONDecoder().decode(ThreadId.self, from: jsonString(good)).rawValue, good)
        }
        for bad in ["", " thr", "_thr", "a/b", "thr\n", "thr ", String(repeating: "a", count: 129)] {
            XCTAssertThrowsError(try ThreadId(bad), "ThreadId accepted \(String(reflecting: bad))")
            XCTAssertThrowsError(try JSONDecoder().decode(ThreadId.self, from: jsonString(bad)))
        }
    }"#;

/// File-level helpers of the test file.
const HELPERS: &str = r#"/// What a codec made of a fixture value.
struct Decoded {
    /// The decoded value, encoded again.
    var reencoded: Data
    /// True when the value holds a string enum's `unknown` case somewhere.
    var keepsUnknownEnumValue: Bool
}

/// Decodes a fixture value as one generated type and encodes it again.
typealias Codec = (Data) throws -> Decoded

private func roundTrip<T: Codable>(_ type: T.Type) -> Codec {
    return { data in
        let value = try JSONDecoder().decode(T.self, from: data)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Decoded(reencoded: try encoder.encode(value), keepsUnknownEnumValue: holdsUnknownEnumValue(value))
    }
}

/// Walks the value's stored members (structs, enum payloads, optionals, arrays, dictionaries).
private func holdsUnknownEnumValue(_ value: Any) -> Bool {
    if let open = value as? any OpenStringEnum, open.isUnknown {
        return true
    }
    return Mirror(reflecting: value).children.contains { holdsUnknownEnumValue($0.value) }
}

/// `text` as a JSON string document.
private func jsonString(_ text: String) throws -> Data {
    try JSONEncoder().encode(text)
}

private struct Fixture {
    var name: String
    var value: Data
    var canonical: Data?
}

private struct FixtureFile {
    var valid: [Fixture] = []
    var aliased: [Fixture] = []
    var invalid: [Fixture] = []
}

/// `tests/fixtures` of the repository this package was generated in, found from this file's path. The tests
/// fail (never skip) without it: run them from a checkout of the contract repository.
private func fixturesDirectory() throws -> URL {
    let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // CodexHandoffContractTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // swift
        .deletingLastPathComponent()  // generated
        .deletingLastPathComponent()  // repository root
        .appendingPathComponent("tests/fixtures")
    guard FileManager.default.fileExists(atPath: directory.path) else {
        throw FixtureError(message: "no fixtures at \(directory.path): run the tests from a checkout of the contract repository")
    }
    return directory
}

private struct FixtureError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

private func loadMessageFixtures() throws -> [(String, FixtureFile)] {
    let directory = try fixturesDirectory().appendingPathComponent("messages")
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        .filter { $0.hasSuffix(".json") }
        .sorted()
    return try names.map { name in
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(name): not an object")
        var file = FixtureFile()
        file.valid = try fixtures(in: root["valid"], file: name)
        file.aliased = try fixtures(in: root["aliased"], file: name)
        file.invalid = try fixtures(in: root["invalid"], file: name)
        return (String(name.dropLast(".json".count)), file)
    }
}

private func fixtures(in list: Any?, file: String) throws -> [Fixture] {
    guard let list else {
        return []
    }
    let entries = try XCTUnwrap(list as? [[String: Any]], "\(file): a section that is not a list of cases")
    return try entries.map { entry in
        let value = try XCTUnwrap(entry["value"], "\(file): a case without `value`")
        return Fixture(
            name: try XCTUnwrap(entry["case"] as? String, "\(file): a case without a `case` name"),
            value: try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]),
            canonical: try entry["canonical"].map { try JSONSerialization.data(withJSONObject: $0, options: [.fragmentsAllowed]) }
        )
    }
}

/// One call of `tests/fixtures/realtime/tool_calls.json`.
private struct ToolCallFixture: Decodable {
    var name: String
    var arguments: String
    /// `ok` or the error kind.
    var expect: String
    /// The canonical tool name; null for an unknown tool.
    var tool: String?
}

private func loadToolCalls() throws -> [ToolCallFixture] {
    struct File: Decodable {
        var calls: [ToolCallFixture]
    }
    let url = try fixturesDirectory().appendingPathComponent("realtime/tool_calls.json")
    return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).calls
}

/// One line of the cross-language verdict file (see the repository's INTERFACES of `cargo xtask verdicts`).
enum VerdictLine: Encodable {
    case message(def: String, section: String, name: String, canonical: JSONValue?)
    case toolCall(index: Int, tool: String?, errorKind: String?)

    private enum Keys: String, CodingKey {
        case suite, def, section, `case`, accepted, canonical, tool
        case errorKind = "error_kind"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case .message(let def, let section, let name, let canonical):
            try container.encode("messages", forKey: .suite)
            try container.encode(def, forKey: .def)
            try container.encode(section, forKey: .section)
            try container.encode(name, forKey: .case)
            try container.encode(canonical != nil, forKey: .accepted)
            try container.encode(canonical ?? .null, forKey: .canonical)
        case .toolCall(let index, let tool, let errorKind):
            try container.encode("tool_calls", forKey: .suite)
            try container.encode(String(index), forKey: .case)
            try container.encode(errorKind == nil, forKey: .accepted)
            if let tool {
                try container.encode(tool, forKey: .tool)
            } else {
                try container.encodeNil(forKey: .tool)
            }
            if let errorKind {
                try container.encode(errorKind, forKey: .errorKind)
            } else {
                try container.encodeNil(forKey: .errorKind)
            }
        }
    }
}

/// `$CONTRACT_VERDICTS_DIR/swift.jsonl`, when the variable is set: one JSON line per fixture case.
enum Verdicts {
    static var file: URL? {
        guard let directory = ProcessInfo.processInfo.environment["CONTRACT_VERDICTS_DIR"], !directory.isEmpty else {
            return nil
        }
        return URL(fileURLWithPath: directory).appendingPathComponent("swift.jsonl")
    }

    static func start() {
        guard let file else {
            return
        }
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data().write(to: file)
        } catch {
            fatalError("cannot write \(file.path): \(error)")
        }
    }

    static func append(_ lines: [VerdictLine]) throws {
        guard let file else {
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var text = Data()
        for line in lines {
            text.append(try encoder.encode(line))
            text.append(0x0A)
        }
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: text)
    }
}"#;
