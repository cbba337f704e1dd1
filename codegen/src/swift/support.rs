//! `Support.swift`: the small runtime the generated types share. It is fixed text apart from the contract
//! version; the helpers are `internal` so they do not leak into an app's namespace, except the types an app
//! handles (`JSONValue`, `ContractConstraintError`, `HandoffContract`).

use handoff_schema::Ir;

use super::code::string_literal;

pub(crate) fn support_swift(ir: &Ir) -> String {
    format!(
        "{}\nimport Foundation\n\n/// Facts about the contract these types were generated from.\npublic enum HandoffContract {{\n    /// Version of the contract schema (`x-version`); its major number is raised for breaking changes.\n    public static let version = {}\n}}\n\n{}",
        crate::header("//"),
        string_literal(&ir.version),
        BODY
    )
}

const BODY: &str = r#"/// Any JSON value: members whose shape the app-server owns and the handoff flow does not use, and the unknown
/// members an open object keeps so a decode/encode round trip loses nothing.
public enum JSONValue: Codable, Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Bool before the numbers and integers before doubles, so `true` and `3` keep their JSON kind.
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null:
            try container.encodeNil()
        case .bool(let value):
            try container.encode(value)
        case .integer(let value):
            try container.encode(value)
        case .number(let value):
            try container.encode(value)
        case .string(let value):
            try container.encode(value)
        case .array(let value):
            try container.encode(value)
        case .object(let value):
            try container.encode(value)
        }
    }
}

extension JSONValue {
    /// The JSON form of an encodable value, e.g. typed params for a `JsonRpcRequest`.
    public init<T: Encodable>(encoding value: T) throws {
        let data = try JSONEncoder().encode(value)
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Decodes this JSON as `T`, e.g. a notification's `params` as the method's params type.
    public func decode<T: Decodable>(as type: T.Type) throws -> T {
        let data = try JSONEncoder().encode(self)
        return try JSONDecoder().decode(type, from: data)
    }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) {
        self = .integer(value)
    }
}

extension JSONValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) {
        self = .number(value)
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension JSONValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: JSONValue...) {
        self = .array(elements)
    }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

/// A value broke a constraint of its schema type (pattern, length, range, excluded value).
public struct ContractConstraintError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The schema type whose constraint failed.
    public let typeName: String
    /// The offending value, as text.
    public let value: String
    /// What the value must be.
    public let reason: String

    public init(typeName: String, value: String, reason: String) {
        self.typeName = typeName
        self.value = value
        self.reason = reason
    }

    public var description: String {
        "invalid \(typeName) \"\(value)\": \(reason)"
    }
}

/// A member-level refusal of a decoder: a closed object met a member it does not have, or one member was given
/// under two spellings (its name and a legacy alias, or the same name twice).
public struct ContractMemberError: Error, CustomStringConvertible {
    /// What kind of refusal this is.
    public enum Kind: String, Sendable, Hashable {
        case unknownMember = "unknown_member"
        case duplicateMember = "duplicate_member"
    }

    public let kind: Kind
    /// Where in the decoded value the member is.
    public let codingPath: [any CodingKey]
    public let reason: String

    public init(kind: Kind, codingPath: [any CodingKey], reason: String) {
        self.kind = kind
        self.codingPath = codingPath
        self.reason = reason
    }

    public var description: String {
        let path = codingPath.map(\.stringValue).joined(separator: ".")
        return path.isEmpty ? reason : "\(path): \(reason)"
    }
}

/// A coding key made from any member name: reads and writes members that are not known at compile time
/// (unknown members of open objects, legacy aliases).
struct AnyCodingKey: CodingKey, Hashable, Sendable {
    var stringValue: String
    var intValue: Int?

    init(_ name: String) {
        self.stringValue = name
        self.intValue = nil
    }

    init?(stringValue: String) {
        self.init(stringValue)
    }

    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

extension Decoder {
    /// The members outside `known`, for an open object's `extra`.
    func unknownMembers(known: Set<String>) throws -> [String: JSONValue] {
        let container = try self.container(keyedBy: AnyCodingKey.self)
        var extra: [String: JSONValue] = [:]
        for key in container.allKeys where !known.contains(key.stringValue) {
            extra[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
        }
        return extra
    }

    /// Throws for the first member (in name order) outside `known`: a closed object accepts only its own.
    func rejectUnknownMembers(known: Set<String>, typeName: String) throws {
        let container = try self.container(keyedBy: AnyCodingKey.self)
        let unknown = container.allKeys.filter { !known.contains($0.stringValue) }
        if let key = unknown.min(by: { $0.stringValue < $1.stringValue }) {
            throw ContractMemberError(
                kind: .unknownMember,
                codingPath: codingPath + [key as any CodingKey],
                reason: "unknown member `\(key.stringValue)`: \(typeName) is a closed object"
            )
        }
    }
}

extension Encoder {
    /// Writes an open object's unknown members back, in name order; a member the type models wins over an
    /// `extra` entry of the same name.
    func encodeUnknownMembers(_ extra: [String: JSONValue], known: Set<String>) throws {
        var container = self.container(keyedBy: AnyCodingKey.self)
        for (key, value) in extra.sorted(by: { $0.key < $1.key }) where !known.contains(key) {
            try container.encode(value, forKey: AnyCodingKey(key))
        }
    }
}

extension KeyedDecodingContainer {
    /// Decodes the required member `key`, or else the one of its legacy `aliases` that is present
    /// (e.g. `server_hint` for `server`). Aliases are read, never written.
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key, aliases: [String], decoder: any Decoder) throws -> T {
        let members = try decoder.container(keyedBy: AnyCodingKey.self)
        guard let spelling = try presentSpelling(of: key, aliases: aliases, in: members) else {
            let accepted = aliases.map { "`\($0)`" }.joined(separator: ", ")
            throw DecodingError.keyNotFound(
                key,
                DecodingError.Context(
                    codingPath: codingPath,
                    debugDescription: "missing member `\(key.stringValue)` (also accepted as \(accepted))"
                )
            )
        }
        return try members.decode(type, forKey: AnyCodingKey(spelling))
    }

    /// Decodes the optional member `key`, or else the one of its legacy `aliases` that is present. Absent gives
    /// nil; an explicit null gives nil only when the member is `nullable`, and is a type error otherwise.
    func decodeIfPresent<T: Decodable>(
        _ type: T.Type,
        forKey key: Key,
        aliases: [String],
        nullable: Bool,
        decoder: any Decoder
    ) throws -> T? {
        let members = try decoder.container(keyedBy: AnyCodingKey.self)
        guard let spelling = try presentSpelling(of: key, aliases: aliases, in: members) else {
            return nil
        }
        return try members.decodeIfPresent(type, forKey: AnyCodingKey(spelling), nullable: nullable)
    }

    /// Decodes the optional member `key`: absent gives nil; an explicit null gives nil only when the member is
    /// `nullable` (the schema allows `null`), and is a type error otherwise, as in the other languages.
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key, nullable: Bool) throws -> T? {
        guard contains(key) else {
            return nil
        }
        if try decodeNil(forKey: key) {
            if nullable {
                return nil
            }
            throw DecodingError.valueNotFound(
                type,
                DecodingError.Context(
                    codingPath: codingPath + [key as any CodingKey],
                    debugDescription: "member `\(key.stringValue)` is null; leave it out instead"
                )
            )
        }
        return try decode(type, forKey: key)
    }

    /// The name under which the member is present: its own or one alias. Two spellings at once are
    /// ambiguous and an error, as in the schema's other implementations.
    private func presentSpelling(
        of key: Key,
        aliases: [String],
        in members: KeyedDecodingContainer<AnyCodingKey>
    ) throws -> String? {
        let present = ([key.stringValue] + aliases).filter { members.contains(AnyCodingKey($0)) }
        if present.count > 1 {
            let spellings = present.map { "`\($0)`" }.joined(separator: " and ")
            throw ContractMemberError(
                kind: .duplicateMember,
                codingPath: codingPath,
                reason: "member `\(key.stringValue)` is given twice, as \(spellings)"
            )
        }
        return present.first
    }

    /// Decodes an any-JSON member: absent gives nil, while an explicit null is a value (`.null`) and is kept,
    /// so a round trip writes it back.
    func decodeJSONIfPresent(forKey key: Key) throws -> JSONValue? {
        if contains(key) {
            return try decode(JSONValue.self, forKey: key)
        }
        return nil
    }
}

/// A string enum that keeps the values the contract does not list in an `unknown(String)` case, so a newer
/// server never breaks an older app.
public protocol OpenStringEnum: RawRepresentable where RawValue == String {
    /// True for a value the contract does not list.
    var isUnknown: Bool { get }
}

extension String {
    /// True when the ICU regular expression `pattern` matches the whole string. Comparing the match with the
    /// full range matters: ICU's `$` also matches before a final newline, which the schema's pattern rejects.
    func matchesWhole(pattern: String) -> Bool {
        guard let range = self.range(of: pattern, options: .regularExpression) else {
            return false
        }
        return range == startIndex..<endIndex
    }
}
"#;
