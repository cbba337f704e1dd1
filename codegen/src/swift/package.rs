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
const FIXED_TESTS: &str = r#"    func testValidFixturesDecodeAndReencodeCanonically() throws {
        let fixtures = try loadFixtures()
        for (typeName, file) in fixtures {
            let codec = try XCTUnwrap(Self.codecs[typeName], "no generated type for fixture \(typeName).json")
            // `aliased` cases use a legacy member name: they decode, and re-encode under the canonical name.
            for fixture in file.valid + file.aliased {
                let decoded: Decoded
                do {
                    decoded = try codec(fixture.value)
                } catch {
                    XCTFail("\(typeName).json case \"\(fixture.name)\" does not decode: \(error)")
                    continue
                }
                let expected = try JSONDecoder().decode(JSONValue.self, from: fixture.canonical ?? fixture.value)
                let actual = try JSONDecoder().decode(JSONValue.self, from: decoded.reencoded)
                XCTAssertEqual(actual, expected, "\(typeName).json case \"\(fixture.name)\" re-encodes differently")
            }
        }
    }

    func testInvalidFixturesAreRejected() throws {
        let fixtures = try loadFixtures()
        for (typeName, file) in fixtures {
            let codec = try XCTUnwrap(Self.codecs[typeName], "no generated type for fixture \(typeName).json")
            for fixture in file.invalid {
                // Documented leniency 1: a null optional member reads as absent (`decodeIfPresent`), so cases
                // holding a null are not held against the decoder.
                if fixture.containsNull {
                    continue
                }
                guard let decoded = try? codec(fixture.value) else {
                    continue
                }
                // Documented leniency 2: string enums keep values they do not list (`unknown`), which the
                // schema's closed `enum` rejects.
                if decoded.keepsUnknownEnumValue {
                    continue
                }
                XCTFail("\(typeName).json invalid case \"\(fixture.name)\" decodes")
            }
        }
    }"#;

/// Constraint checks of `ThreadId`, the type that guards model output.
const THREAD_ID_TEST: &str = r#"    func testThreadIdChecksItsConstraints() throws {
        XCTAssertEqual(try ThreadId("thr_123").rawValue, "thr_123")
        XCTAssertNotNil(ThreadId(rawValue: "7f9c2ba4-e88f-4d1a-9e37-4b6f0c7d8e21"))
        for bad in ["", " thr", "a/b", "thr\n", String(repeating: "a", count: 129)] {
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
    var containsNull: Bool
}

private struct FixtureFile {
    var valid: [Fixture] = []
    var aliased: [Fixture] = []
    var invalid: [Fixture] = []
}

/// `tests/fixtures/messages` of the repository this package was generated in, found from this file's path.
private func fixturesDirectory() -> URL {
    URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // CodexHandoffContractTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // swift
        .deletingLastPathComponent()  // generated
        .deletingLastPathComponent()  // repository root
        .appendingPathComponent("tests/fixtures/messages")
}

private func loadFixtures() throws -> [(String, FixtureFile)] {
    let directory = fixturesDirectory()
    guard FileManager.default.fileExists(atPath: directory.path) else {
        throw XCTSkip("no fixtures at \(directory.path): run the tests from a checkout of the contract repository")
    }
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
    guard let list = list as? [[String: Any]] else {
        return []
    }
    return try list.map { entry in
        let value = try XCTUnwrap(entry["value"], "\(file): a case without `value`")
        return Fixture(
            name: entry["case"] as? String ?? "?",
            value: try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]),
            canonical: try entry["canonical"].map { try JSONSerialization.data(withJSONObject: $0, options: [.fragmentsAllowed]) },
            containsNull: containsNull(value)
        )
    }
}

private func containsNull(_ value: Any) -> Bool {
    switch value {
    case is NSNull:
        return true
    case let array as [Any]:
        return array.contains(where: containsNull)
    case let object as [String: Any]:
        return object.values.contains(where: containsNull)
    default:
        return false
    }
}"#;
