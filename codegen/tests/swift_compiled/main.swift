// Decode/encode expectations for the Swift generated from the hand-built IR (codegen/tests/hand_built/mod.rs),
// the Swift counterpart of codegen/tests/rust_compiled/checks.rs. `.ci/swift` builds this with the generated
// library and runs it; it prints `ok <name>` or `FAILED <name>: <why>` per expectation and exits 1 when any
// failed. The expected values are written here by hand, never taken from the generated code.

import CodexHandoffContract
import Foundation

func decode<T: Decodable>(_ type: T.Type, _ text: String) -> Result<T, Error> {
    Result { try JSONDecoder().decode(T.self, from: Data(text.utf8)) }
}

/// A JSON text as the generated `JSONValue`, for comparisons that ignore member order.
func json(_ text: String) -> JSONValue? {
    try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
}

func encoded<T: Encodable>(_ value: T) -> JSONValue? {
    guard let data = try? JSONEncoder().encode(value) else { return nil }
    return json(String(decoding: data, as: UTF8.self))
}

final class Checks {
    var failed: [String] = []

    func that(_ name: String, _ ok: Bool, _ detail: String = "") {
        if ok {
            print("ok \(name)")
        } else {
            print("FAILED \(name): \(detail)")
            failed.append(name)
        }
    }

    func decodes<T: Decodable>(_ name: String, _ type: T.Type, _ text: String, _ expect: (T) -> Bool) {
        switch decode(T.self, text) {
        case .success(let value): that(name, expect(value), "\(value)")
        case .failure(let error): that(name, false, "\(error)")
        }
    }

    func refuses<T: Decodable>(_ name: String, _ type: T.Type, _ text: String, _ needle: String? = nil) {
        switch decode(T.self, text) {
        case .success(let value): that(name, false, "decoded to \(value)")
        case .failure(let error):
            let message = "\(error)"
            that(name, needle.map { message.contains($0) } ?? true, "\(message) lacks \(needle ?? "")")
        }
    }

    func roundTrips<T: Codable>(_ name: String, _ type: T.Type, _ text: String, _ expected: String) {
        switch decode(T.self, text) {
        case .success(let value):
            let written = encoded(value)
            that(name, written != nil && written == json(expected), "wrote \(String(describing: written))")
        case .failure(let error): that(name, false, "\(error)")
        }
    }

    func encodes<T: Encodable>(_ name: String, _ value: T, _ expected: String) {
        let written = encoded(value)
        that(name, written != nil && written == json(expected), "wrote \(String(describing: written))")
    }
}

func presence(_ c: Checks) {
    let minimal = #"{"type": "alpha", "requiredNullable": null}"#
    c.decodes("required-nullable may be null", Record.self, minimal) { $0.requiredNullable == nil }
    c.refuses("required-nullable must be present", Record.self, #"{"type": "alpha"}"#, "requiredNullable")
    c.decodes("required-nullable keeps a value", Record.self, #"{"type": "alpha", "requiredNullable": "x"}"#) {
        $0.requiredNullable == "x"
    }
    c.roundTrips("required-nullable null is written back as null", Record.self, minimal, minimal)
    c.refuses("required must be present", Record.self, #"{"requiredNullable": null}"#, "type")
    c.refuses("required must not be null", Closed.self, #"{"name": null}"#)
    c.refuses("optional must not be null", Record.self, #"{"type": "alpha", "requiredNullable": null, "match": null}"#)
    c.decodes("optional may be absent", Record.self, minimal) { $0.match == nil && $0.flag == nil }
    c.decodes("optional-nullable may be null", Record.self, #"{"type": "alpha", "requiredNullable": null, "self": null}"#) {
        $0.self_ == nil
    }
    c.roundTrips(
        "optional-nullable null is written as absent", Record.self,
        #"{"type": "alpha", "requiredNullable": null, "self": null}"#, minimal)
}

func keywordsAliasesAndContainers(_ c: Checks) {
    let full = #"""
        {"type": "beta-gamma", "match": "m", "self": 7, "requiredNullable": "r", "labels": ["ab", "cd"],
         "scores": {"x": 1, "y": 2}, "payload": {"any": [1, "two", null]}, "mood": "happy", "count": 3,
         "idOrName": "n", "flag": true, "later": {"kept": true}}
        """#
    c.decodes("keyword members decode under their wire names", Record.self, full) {
        $0.type == .betaGamma && $0.match == "m" && $0.self_ == 7
    }
    c.decodes("arrays, maps and any-JSON decode", Record.self, full) {
        $0.labels?.map(\.rawValue) == ["ab", "cd"] && $0.scores?["y"] == 2
            && $0.payload == .object(["any": .array([.integer(1), .string("two"), .null])])
    }
    c.decodes("an open object keeps unknown members", Record.self, full) {
        $0.extra == ["later": .object(["kept": .bool(true)])]
    }
    c.roundTrips("a full record round-trips unchanged", Record.self, full, full)
    let aliased = #"{"type": "alpha", "requiredNullable": null, "legacy_match": "old"}"#
    c.decodes("an alias is read", Record.self, aliased) { $0.match == "old" }
    c.roundTrips(
        "an alias is written under the wire name", Record.self, aliased,
        #"{"type": "alpha", "requiredNullable": null, "match": "old"}"#)
    c.refuses("map values keep their type", Record.self, #"{"type": "alpha", "requiredNullable": null, "scores": {"x": "one"}}"#)
    c.decodes("untagged: an integer is the first variant", IdOrName.self, "5") { $0 == .id(5) }
    c.decodes("untagged: a string is the second variant", IdOrName.self, #""five""#) { $0 == .name("five") }
    c.refuses("untagged: other kinds are refused", IdOrName.self, "true")
    c.decodes(
        "members named like keywords (`default`, `in`) decode", Record.self,
        #"{"type": "alpha", "requiredNullable": null, "default": "d", "in": 3}"#
    ) { $0.default == "d" && $0.in == 3 }
    c.decodes("any-JSON keeps an explicit null", Record.self, #"{"type": "alpha", "requiredNullable": null, "payload": null}"#) {
        $0.payload == .null
    }
    c.roundTrips(
        "an explicit null in any-JSON is written back", Record.self,
        #"{"type": "alpha", "requiredNullable": null, "payload": null}"#,
        #"{"type": "alpha", "requiredNullable": null, "payload": null}"#)
    c.decodes("an alias of an array checks its items", Labels.self, #"["ab"]"#) { $0.count == 1 }
    c.refuses("an alias of an array refuses a bad item", Labels.self, #"["AB"]"#, "must match")
}

func enums(_ c: Checks) {
    c.decodes("a closed enum decodes a listed value", Kind.self, #""beta-gamma""#) { $0 == .betaGamma }
    c.refuses("a closed enum refuses an unlisted value", Kind.self, #""delta""#)
    c.decodes("an open enum decodes a listed value", Mood.self, #""sad""#) { $0 == .sad }
    c.decodes("an open enum keeps an unlisted value", Mood.self, #""ecstatic""#) {
        if case .unknown(let value) = $0 { return value == "ecstatic" }
        return false
    }
    c.roundTrips("an unlisted value is written back unchanged", Mood.self, #""ecstatic""#, #""ecstatic""#)
    c.refuses("an open enum still refuses a non-string", Mood.self, "3")
    c.refuses("a variant's tag takes no other value", CircleType.self, #""square""#)
    c.that("an unknown spelling of a listed value equals the case", Mood.unknown("happy") == Mood.happy)
    c.that("a listed value never lands in unknown", Mood(rawValue: "happy") == .happy && !Mood(rawValue: "happy").isUnknown)
}

func unions(_ c: Checks) {
    c.decodes("a tag selects its variant", Shape.self, #"{"type": "circle", "radius": 2.5}"#) {
        if case .circle(let circle) = $0 { return circle.radius == 2.5 }
        return false
    }
    c.decodes("the tag may come after other members", Shape.self, #"{"radius": 1.5, "type": "circle"}"#) {
        if case .circle(let circle) = $0 { return circle.radius == 1.5 }
        return false
    }
    c.roundTrips(
        "a variant is written with its tag", Shape.self, #"{"side": 4, "type": "square", "color": "red"}"#,
        #"{"type": "square", "side": 4, "color": "red"}"#)
    c.decodes("an open union keeps an unknown tag in unknown", Shape.self, #"{"type": "hexagon", "sides": 6}"#) {
        if case .unknown(let other) = $0 { return other.type.rawValue == "hexagon" && other.extra["sides"] == .integer(6) }
        return false
    }
    c.roundTrips(
        "an unknown variant round-trips unchanged", Shape.self, #"{"type": "hexagon", "sides": 6}"#,
        #"{"type": "hexagon", "sides": 6}"#)
    c.refuses("a known tag with a bad body names the member", Shape.self, #"{"type": "circle"}"#, "radius")
    c.refuses("a closed variant refuses unknown members", Shape.self, #"{"type": "circle", "radius": 1, "x": 0}"#, "x")
    c.refuses("the tag is required", Shape.self, #"{"radius": 1}"#)
    c.refuses("the tag must be a string", Shape.self, #"{"type": 1, "radius": 1}"#)
    c.refuses("a union is an object", Shape.self, #"["circle", 1]"#)
    c.decodes("a closed union's tag named like the fallback is an ordinary variant", Command.self, #"{"kind": "unknown"}"#) {
        if case .unknown = $0 { return true }
        return false
    }
    c.decodes("a keyword member inside a union variant", Command.self, #"{"kind": "run", "self": "me"}"#) {
        if case .run(let run) = $0 { return run.self_ == "me" }
        return false
    }
    c.refuses(
        "a closed union refuses an unknown tag", Command.self, #"{"kind": "walk"}"#,
        "unknown `kind` \\\"walk\\\", expected one of `unknown`, `run`")
    c.encodes("a closed union's variant encodes with its tag", Command.unknown(UnknownCommand()), #"{"kind": "unknown"}"#)
}

func newtypes(_ c: Checks) {
    func reason(_ make: () throws -> Label) -> String {
        do {
            _ = try make()
            return ""
        } catch {
            return "\(error)"
        }
    }
    c.that("a valid string newtype", (try? Label("abc"))?.rawValue == "abc")
    c.that("a pattern is checked", reason { try Label("ABC") }.contains("must match ^[a-z]+$"), reason { try Label("ABC") })
    c.that("a length is checked", reason { try Label("") }.contains("1 to 8"), reason { try Label("") })
    c.that("a maximum length is checked", reason { try Label("abcdefghi") }.contains("1 to 8"))
    c.that("an excluded value is refused", reason { try Label("none") }.contains("none"), reason { try Label("none") })
    c.refuses("decoding checks the constraints", Label.self, #""ABC""#, "must match")
    c.decodes("an integer newtype in range", Count.self, "10") { $0.rawValue == 10 }
    c.refuses("an integer newtype below its minimum", Count.self, "0", "between 1 and 10")
    c.refuses("an integer newtype above its maximum", Count.self, "11", "between 1 and 10")
    c.refuses("a newtype inside a union variant is checked", Shape.self, #"{"type": "square", "side": 0}"#, "between 1 and 10")
}

func objects(_ c: Checks) {
    c.refuses("a struct is not decoded from an array", Closed.self, #"["n"]"#)
    c.refuses("a closed struct refuses unknown members", Closed.self, #"{"name": "n", "x": 1}"#, "x")
    c.decodes("a closed struct decodes its members", Closed.self, #"{"name": "n"}"#) { $0.name == "n" }
    c.decodes("a closed struct accepts an alias", Closed.self, #"{"legacy_name": "n"}"#) { $0.name == "n" }
    c.roundTrips("an alias is written under the wire name", Closed.self, #"{"legacy_name": "n"}"#, #"{"name": "n"}"#)
    c.roundTrips("an empty object round-trips", Empty.self, "{}", "{}")
    c.refuses("an empty closed object refuses members", Empty.self, #"{"x": 1}"#, "x")
    c.refuses("an empty object is not decoded from an array", Empty.self, "[]")
    c.encodes("an empty object encodes as {}", Empty(), "{}")
}

func initializers(_ c: Checks) {
    c.encodes("the initializer takes the required members", Record(type: .alpha), #"{"type": "alpha", "requiredNullable": null}"#)
    c.encodes("the initializer fills in a variant's tag", Circle(radius: 2), #"{"type": "circle", "radius": 2}"#)
    if let label = try? Label("c") {
        c.encodes(
            "optional members default to absent", Big(a: "a", b: 2, c: label, d: true, e: 0.5),
            #"{"a": "a", "b": 2, "c": "c", "d": true, "e": 0.5}"#)
    } else {
        c.that("a valid label for Big", false)
    }
}

let checks = Checks()
presence(checks)
keywordsAliasesAndContainers(checks)
enums(checks)
unions(checks)
newtypes(checks)
objects(checks)
initializers(checks)
if !checks.failed.isEmpty {
    print("\(checks.failed.count) check(s) failed: \(checks.failed.joined(separator: ", "))")
    exit(1)
}
