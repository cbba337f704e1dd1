//! Schema evolution: for each kind of change, an old/new pair of small schemas and the classification it must get,
//! then the same checks on the real schema.
//!
//! The small contract has one def per direction of use, so each change is seen both where the client decodes it
//! and where it encodes it:
//! - `Dec`, params of the server notification `test/notify` (decoded by the client), reaching `Color`, `Shape` (a
//!   tagged union of `Circle` and `Square`) and `IdOrCount` (an untagged union);
//! - `Enc`, params of the client request `test/send` (encoded by the client), reaching `Mode` and `Limit`;
//! - `Args`, the closed arguments of the realtime tool `act` (written by the model, decoded by the client), reaching
//!   `ThreadId`;
//! - `Unused`, which nothing refers to.

use handoff_schema::compat::{self, Class, Effect, NewMessages, Report, Usage};
use handoff_schema::{Contract, Ir, SCHEMA_JSON};
use serde_json::{Value, json};

use Class::{Breaking as B, Compatible as C};

fn base() -> Value {
    let s = |description: &str| json!({ "description": description, "type": "string" });
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Compat test contract",
        "description": "A small contract for the compat tests.",
        "x-version": "1.2.0",
        "x-rpc": {
            "test/notify": { "direction": "server_notification", "params": "#/$defs/Dec" },
            "test/send": { "direction": "client_request", "params": "#/$defs/Enc" }
        },
        "x-realtime-tools": [
            { "name": "act", "aliases": ["legacy_act"], "arguments": "#/$defs/Args", "description": "Act." }
        ],
        "$defs": {
            "Dec": {
                "description": "Decoded by the client.",
                "type": "object",
                "properties": {
                    "id": s("Id."),
                    "note": s("Note."),
                    "count": { "description": "Count.", "type": "integer" },
                    "color": { "description": "Color.", "$ref": "#/$defs/Color" },
                    "shape": { "description": "Shape.", "$ref": "#/$defs/Shape" },
                    "either": { "description": "Either.", "$ref": "#/$defs/IdOrCount" }
                },
                "required": ["id"]
            },
            "Enc": {
                "description": "Encoded by the client.",
                "type": "object",
                "properties": {
                    "id": s("Id."),
                    "note": s("Note."),
                    "count": { "description": "Count.", "type": "integer" },
                    "mode": { "description": "Mode.", "$ref": "#/$defs/Mode" },
                    "limit": { "description": "Limit.", "$ref": "#/$defs/Limit" }
                },
                "required": ["id"]
            },
            "Args": {
                "description": "Tool arguments.",
                "type": "object",
                "properties": {
                    "server": { "description": "Server.", "type": "string", "x-aliases": ["server_hint"] },
                    "thread_id": { "description": "Thread.", "$ref": "#/$defs/ThreadId" }
                },
                "required": ["server"],
                "additionalProperties": false
            },
            "ThreadId": {
                "description": "Thread id.",
                "type": "string",
                "minLength": 1,
                "maxLength": 128,
                "pattern": "^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
            },
            "Limit": { "description": "Limit.", "type": "integer", "minimum": 1, "maximum": 100 },
            "Color": { "description": "Color.", "type": "string", "enum": ["red", "green"] },
            "Mode": { "description": "Mode.", "type": "string", "enum": ["fast", "slow"] },
            "Shape": {
                "description": "Shape.",
                "x-closed": true,
                "oneOf": [{ "$ref": "#/$defs/Circle" }, { "$ref": "#/$defs/Square" }]
            },
            "Circle": {
                "description": "Circle.",
                "type": "object",
                "properties": {
                    "kind": { "description": "Tag.", "const": "circle" },
                    "r": { "description": "Radius.", "type": "number" }
                },
                "required": ["kind"]
            },
            "Square": {
                "description": "Square.",
                "type": "object",
                "properties": {
                    "kind": { "description": "Tag.", "const": "square" },
                    "side": { "description": "Side.", "type": "number" }
                },
                "required": ["kind"]
            },
            "IdOrCount": {
                "description": "A string or an integer.",
                "anyOf": [{ "type": "string" }, { "type": "integer" }]
            },
            "Unused": {
                "description": "Nothing refers to it.",
                "type": "object",
                "properties": { "a": s("A.") }
            }
        }
    })
}

fn lower(doc: Value) -> Ir {
    match Contract::from_value(doc) {
        Ok(contract) => contract.ir,
        Err(error) => panic!("test schema does not lower: {error}"),
    }
}

fn def<'a>(doc: &'a mut Value, name: &str) -> &'a mut Value {
    &mut doc["$defs"][name]
}

fn prop<'a>(doc: &'a mut Value, name: &str, member: &str) -> &'a mut Value {
    &mut doc["$defs"][name]["properties"][member]
}

fn require(doc: &mut Value, name: &str, member: &str) {
    let required = &mut doc["$defs"][name]["required"];
    if required.is_null() {
        *required = json!([]);
    }
    required.as_array_mut().unwrap().push(json!(member));
}

fn unrequire(doc: &mut Value, name: &str, member: &str) {
    doc["$defs"][name]["required"].as_array_mut().unwrap().retain(|m| m != member);
}

fn remove_prop(doc: &mut Value, name: &str, member: &str) {
    doc["$defs"][name]["properties"].as_object_mut().unwrap().shift_remove(member);
    unrequire(doc, name, member);
}

fn keep(_: &mut Value) {}

/// One change: how the old and new schemas differ from the base, and the (def, kind, class) of every finding.
struct Case {
    name: &'static str,
    old: fn(&mut Value),
    new: fn(&mut Value),
    expect: &'static [(&'static str, &'static str, Class)],
}

const CASES: &[Case] = &[
    Case { name: "no change", old: keep, new: keep, expect: &[] },
    // Members added.
    Case {
        name: "optional member added to an open encoded object",
        old: keep,
        new: |d| *prop(d, "Enc", "extra") = json!({ "description": "Extra.", "type": "string" }),
        expect: &[("Enc", "field-added", C)],
    },
    Case {
        name: "optional member added to an open decoded object",
        old: keep,
        new: |d| *prop(d, "Dec", "extra") = json!({ "description": "Extra.", "type": "string" }),
        expect: &[("Dec", "field-added", C)],
    },
    Case {
        name: "optional member added to closed tool arguments: old decoders reject it as unknown",
        old: keep,
        new: |d| *prop(d, "Args", "extra") = json!({ "description": "Extra.", "type": "string" }),
        expect: &[("Args", "field-added", B)],
    },
    Case {
        name: "required member added to an open encoded object: old clients do not send it",
        old: keep,
        new: |d| {
            *prop(d, "Enc", "extra") = json!({ "description": "Extra.", "type": "string" });
            require(d, "Enc", "extra");
        },
        expect: &[("Enc", "required-field-added", B)],
    },
    Case {
        name: "required member added to a closed object",
        old: keep,
        new: |d| {
            *prop(d, "Args", "extra") = json!({ "description": "Extra.", "type": "string" });
            require(d, "Args", "extra");
        },
        expect: &[("Args", "required-field-added", B)],
    },
    // Presence.
    Case {
        name: "member became required (tool arguments)",
        old: keep,
        new: |d| require(d, "Args", "thread_id"),
        expect: &[("Args", "field-required", B)],
    },
    Case {
        name: "member became required (encoded)",
        old: keep,
        new: |d| require(d, "Enc", "note"),
        expect: &[("Enc", "field-required", B)],
    },
    Case {
        name: "member no longer required, decoded: old decoders insist on it",
        old: keep,
        new: |d| unrequire(d, "Dec", "id"),
        expect: &[("Dec", "field-optional", B)],
    },
    Case {
        name: "member no longer required, encoded: new clients may omit it, old servers got it from old clients",
        old: keep,
        new: |d| unrequire(d, "Enc", "id"),
        expect: &[("Enc", "field-optional", C)],
    },
    Case {
        name: "member made nullable, decoded",
        old: keep,
        new: |d| prop(d, "Dec", "note")["type"] = json!(["string", "null"]),
        expect: &[("Dec", "field-nullable", B)],
    },
    Case {
        name: "member made nullable, encoded",
        old: keep,
        new: |d| prop(d, "Enc", "note")["type"] = json!(["string", "null"]),
        expect: &[("Enc", "field-nullable", C)],
    },
    Case {
        name: "nullable member made non-nullable, encoded",
        old: |d| prop(d, "Enc", "note")["type"] = json!(["string", "null"]),
        new: keep,
        expect: &[("Enc", "field-non-nullable", B)],
    },
    Case {
        name: "nullable member made non-nullable, decoded",
        old: |d| prop(d, "Dec", "note")["type"] = json!(["null", "string"]),
        new: keep,
        expect: &[("Dec", "field-non-nullable", B)],
    },
    // Members removed.
    Case {
        name: "required member removed, encoded: old servers insist on it",
        old: keep,
        new: |d| remove_prop(d, "Enc", "id"),
        expect: &[("Enc", "field-removed", B)],
    },
    Case {
        name: "required member removed, decoded",
        old: keep,
        new: |d| remove_prop(d, "Dec", "id"),
        expect: &[("Dec", "field-removed", B)],
    },
    Case {
        name: "optional member removed from an open object: kept as unknown",
        old: keep,
        new: |d| remove_prop(d, "Dec", "note"),
        expect: &[("Dec", "field-removed", C)],
    },
    Case {
        name: "optional member removed from a closed object: old messages that carry it are rejected",
        old: keep,
        new: |d| remove_prop(d, "Args", "thread_id"),
        expect: &[("Args", "field-removed", B)],
    },
    // Types.
    Case {
        name: "type widened, decoded",
        old: keep,
        new: |d| prop(d, "Dec", "count")["type"] = json!("number"),
        expect: &[("Dec", "type-widened", B)],
    },
    Case {
        name: "type widened, encoded",
        old: keep,
        new: |d| prop(d, "Enc", "count")["type"] = json!("number"),
        expect: &[("Enc", "type-widened", C)],
    },
    Case {
        name: "type narrowed, encoded",
        old: |d| prop(d, "Enc", "count")["type"] = json!("number"),
        new: keep,
        expect: &[("Enc", "type-narrowed", B)],
    },
    Case {
        name: "plain string narrowed to a constrained def",
        old: keep,
        new: |d| *prop(d, "Dec", "note") = json!({ "description": "Note.", "$ref": "#/$defs/ThreadId" }),
        expect: &[("Dec", "type-narrowed", B)],
    },
    Case {
        name: "member type widened to any JSON, encoded",
        old: keep,
        new: |d| *prop(d, "Enc", "note") = json!({ "description": "Note." }),
        expect: &[("Enc", "type-widened", C)],
    },
    Case {
        name: "type replaced, encoded",
        old: keep,
        new: |d| prop(d, "Enc", "note")["type"] = json!("boolean"),
        expect: &[("Enc", "type-changed", B)],
    },
    Case {
        name: "def renamed with the same shape",
        old: keep,
        new: |d| {
            let shape = def(d, "IdOrCount").clone();
            *def(d, "StringOrInt") = shape;
            prop(d, "Dec", "either")["$ref"] = json!("#/$defs/StringOrInt");
        },
        expect: &[("Dec", "type-renamed", C), ("StringOrInt", "def-added", C)],
    },
    // Objects opened and closed.
    Case {
        name: "object closed",
        old: keep,
        new: |d| def(d, "Enc")["additionalProperties"] = json!(false),
        expect: &[("Enc", "object-closed", B)],
    },
    Case {
        name: "object opened, decoded",
        old: |d| def(d, "Dec")["additionalProperties"] = json!(false),
        new: keep,
        expect: &[("Dec", "object-opened", B)],
    },
    Case {
        name: "object opened, encoded",
        old: |d| def(d, "Enc")["additionalProperties"] = json!(false),
        new: keep,
        expect: &[("Enc", "object-opened", C)],
    },
    // Enums.
    Case {
        name: "enum value added, decoded: the enum is open, old decoders keep the value",
        old: keep,
        new: |d| def(d, "Color")["enum"] = json!(["red", "green", "blue"]),
        expect: &[("Color", "enum-value-added", C)],
    },
    Case {
        name: "enum value added, decoded but closed by the schema",
        old: |d| def(d, "Color")["x-closed"] = json!(true),
        new: |d| {
            def(d, "Color")["x-closed"] = json!(true);
            def(d, "Color")["enum"] = json!(["red", "green", "blue"]);
        },
        expect: &[("Color", "enum-value-added", B)],
    },
    Case {
        name: "enum value added, encoded",
        old: keep,
        new: |d| def(d, "Mode")["enum"] = json!(["fast", "slow", "turbo"]),
        expect: &[("Mode", "enum-value-added", C)],
    },
    Case {
        name: "enum value removed, encoded",
        old: keep,
        new: |d| def(d, "Mode")["enum"] = json!(["fast"]),
        expect: &[("Mode", "enum-value-removed", B)],
    },
    Case {
        name: "enum value removed, decoded",
        old: keep,
        new: |d| def(d, "Color")["enum"] = json!(["green"]),
        expect: &[("Color", "enum-value-removed", B)],
    },
    // Unions.
    Case {
        name: "union variant added without a fallback",
        old: keep,
        new: add_triangle,
        expect: &[("Shape", "union-variant-added", B), ("Triangle", "def-added", C)],
    },
    Case {
        name: "union variant added where old decoders have a fallback",
        old: add_fallback,
        new: |d| {
            add_fallback(d);
            add_triangle(d);
            prop(d, "OtherShape", "kind")["not"] = json!({ "enum": ["circle", "square", "triangle"] });
        },
        expect: &[("Shape", "union-variant-added", C), ("Triangle", "def-added", C)],
    },
    Case {
        name: "union variant removed",
        old: keep,
        new: |d| {
            def(d, "Shape")["oneOf"] = json!([{ "$ref": "#/$defs/Circle" }]);
            d["$defs"].as_object_mut().unwrap().shift_remove("Square");
        },
        expect: &[("Shape", "union-variant-removed", B), ("Square", "def-removed", C)],
    },
    Case {
        name: "union fallback added, decoded: old decoders reject the tags it takes",
        old: keep,
        new: add_fallback,
        expect: &[("OtherShape", "def-added", C), ("Shape", "union-fallback-added", B)],
    },
    Case {
        name: "union fallback removed",
        old: add_fallback,
        new: keep,
        expect: &[("OtherShape", "def-removed", C), ("Shape", "union-fallback-removed", B)],
    },
    Case {
        name: "tag constant changed: the variant is replaced",
        old: keep,
        new: |d| prop(d, "Circle", "kind")["const"] = json!("round"),
        expect: &[
            ("Circle", "const-changed", B),
            ("Shape", "union-variant-added", B),
            ("Shape", "union-variant-removed", B),
        ],
    },
    Case {
        name: "member added to a union variant, reached through the union",
        old: keep,
        new: |d| require_new_member(d, "Circle"),
        expect: &[("Circle", "required-field-added", B)],
    },
    Case {
        name: "untagged union branch removed",
        old: keep,
        new: |d| def(d, "IdOrCount")["anyOf"] = json!([{ "type": "string" }, { "type": "boolean" }]),
        expect: &[("IdOrCount", "union-variant-added", B), ("IdOrCount", "union-variant-removed", B)],
    },
    // Constraints.
    Case {
        name: "pattern added",
        old: |d| {
            def(d, "ThreadId").as_object_mut().unwrap().shift_remove("pattern");
        },
        new: keep,
        expect: &[("ThreadId", "constraint-tightened", B)],
    },
    Case {
        name: "pattern changed",
        old: keep,
        new: |d| def(d, "ThreadId")["pattern"] = json!("^[a-z0-9_]+$"),
        expect: &[("ThreadId", "constraint-changed", B)],
    },
    Case {
        name: "maximum length lowered",
        old: keep,
        new: |d| def(d, "ThreadId")["maxLength"] = json!(64),
        expect: &[("ThreadId", "constraint-tightened", B)],
    },
    Case {
        name: "maximum length raised, decoded: old decoders reject the longer ids",
        old: keep,
        new: |d| def(d, "ThreadId")["maxLength"] = json!(256),
        expect: &[("ThreadId", "constraint-loosened", B)],
    },
    Case {
        name: "range tightened, encoded",
        old: keep,
        new: |d| def(d, "Limit")["minimum"] = json!(10),
        expect: &[("Limit", "constraint-tightened", B)],
    },
    Case {
        name: "range loosened, encoded",
        old: keep,
        new: |d| {
            def(d, "Limit").as_object_mut().unwrap().shift_remove("maximum");
        },
        expect: &[("Limit", "constraint-loosened", C)],
    },
    // Annotations and additions.
    Case {
        name: "descriptions and defaults changed",
        old: keep,
        new: |d| {
            def(d, "Dec")["description"] = json!("Decoded by the client, now with more words.");
            prop(d, "Enc", "note")["description"] = json!("A note.");
            prop(d, "Enc", "count")["default"] = json!(3);
        },
        expect: &[("Dec", "doc-changed", C), ("Enc", "doc-changed", C), ("Enc", "field-default-changed", C)],
    },
    Case {
        name: "member alias removed",
        old: keep,
        new: |d| {
            prop(d, "Args", "server").as_object_mut().unwrap().shift_remove("x-aliases");
        },
        expect: &[("Args", "field-alias-removed", B)],
    },
    Case {
        name: "member alias added",
        old: keep,
        new: |d| prop(d, "Args", "server")["x-aliases"] = json!(["server_hint", "serverHint"]),
        expect: &[("Args", "field-alias-added", C)],
    },
    Case {
        name: "a def nothing uses changed",
        old: keep,
        new: |d| require(d, "Unused", "a"),
        expect: &[("Unused", "field-required", C)],
    },
    Case {
        name: "new def",
        old: keep,
        new: |d| *def(d, "Brand") = json!({ "description": "New.", "type": "string", "enum": ["x"] }),
        expect: &[("Brand", "def-added", C)],
    },
    // The method table and the tools.
    Case {
        name: "method added",
        old: keep,
        new: |d| d["x-rpc"]["test/other"] = json!({ "direction": "client_request" }),
        expect: &[("x-rpc", "method-added", C)],
    },
    Case {
        name: "method removed",
        old: |d| d["x-rpc"]["test/other"] = json!({ "direction": "server_notification" }),
        new: keep,
        expect: &[("x-rpc", "method-removed", B)],
    },
    Case {
        name: "method direction changed",
        old: keep,
        new: |d| d["x-rpc"]["test/send"]["direction"] = json!("client_notification"),
        expect: &[("x-rpc", "method-direction-changed", B)],
    },
    Case {
        name: "method params def replaced",
        old: keep,
        new: |d| d["x-rpc"]["test/send"]["params"] = json!("#/$defs/Unused"),
        expect: &[("x-rpc", "type-changed", B)],
    },
    Case {
        name: "open method params given a def",
        old: |d| {
            d["x-rpc"]["test/send"].as_object_mut().unwrap().shift_remove("params");
        },
        new: keep,
        expect: &[("x-rpc", "type-narrowed", B)],
    },
    Case {
        name: "request result def dropped to any JSON, decoded",
        old: |d| d["x-rpc"]["test/send"]["result"] = json!("#/$defs/Unused"),
        new: keep,
        expect: &[("x-rpc", "type-widened", B)],
    },
    Case {
        name: "tool added",
        old: keep,
        new: |d| {
            d["x-realtime-tools"].as_array_mut().unwrap().push(json!({
                "name": "other", "arguments": "#/$defs/Args", "description": "Other."
            }));
        },
        expect: &[("x-realtime-tools", "tool-added", C)],
    },
    Case {
        name: "tool removed",
        old: |d| {
            d["x-realtime-tools"].as_array_mut().unwrap().push(json!({
                "name": "other", "arguments": "#/$defs/Args", "description": "Other."
            }));
        },
        new: keep,
        expect: &[("x-realtime-tools", "tool-removed", B)],
    },
    Case {
        name: "tool alias removed",
        old: keep,
        new: |d| {
            d["x-realtime-tools"][0].as_object_mut().unwrap().shift_remove("aliases");
        },
        expect: &[("x-realtime-tools", "tool-alias-removed", B)],
    },
    Case {
        name: "tool renamed keeping its old name as an alias",
        old: keep,
        new: |d| {
            d["x-realtime-tools"][0]["name"] = json!("do");
            d["x-realtime-tools"][0]["aliases"] = json!(["act", "legacy_act"]);
        },
        expect: &[("x-realtime-tools", "tool-renamed", C)],
    },
    Case {
        name: "tool now declared by the app-server",
        old: keep,
        new: |d| d["x-realtime-tools"][0]["declared_by"] = json!("app-server"),
        expect: &[("x-realtime-tools", "tool-declarer-changed", C)],
    },
    Case {
        name: "tool alias split off as a tool of its own",
        old: keep,
        new: |d| {
            d["x-realtime-tools"][0].as_object_mut().unwrap().shift_remove("aliases");
            d["x-realtime-tools"].as_array_mut().unwrap().push(json!({
                "name": "legacy_act", "arguments": "#/$defs/Args", "description": "Other.", "declared_by": "app-server"
            }));
        },
        expect: &[("x-realtime-tools", "tool-added", C), ("x-realtime-tools", "tool-alias-removed", B)],
    },
    Case {
        name: "tool description changed",
        old: keep,
        new: |d| d["x-realtime-tools"][0]["description"] = json!("Act now."),
        expect: &[("x-realtime-tools", "doc-changed", C)],
    },
];

fn add_triangle(d: &mut Value) {
    *def(d, "Triangle") = json!({
        "description": "Triangle.",
        "type": "object",
        "properties": { "kind": { "description": "Tag.", "const": "triangle" } },
        "required": ["kind"]
    });
    def(d, "Shape")["oneOf"].as_array_mut().unwrap().push(json!({ "$ref": "#/$defs/Triangle" }));
}

fn add_fallback(d: &mut Value) {
    *def(d, "OtherShape") = json!({
        "description": "A shape this contract does not know.",
        "type": "object",
        "properties": {
            "kind": { "description": "Tag.", "type": "string", "not": { "enum": ["circle", "square"] } }
        },
        "required": ["kind"]
    });
    def(d, "Shape")["oneOf"].as_array_mut().unwrap().push(json!({ "$ref": "#/$defs/OtherShape" }));
    // A fallback branch opens the union; `x-closed` beside it is a contradiction lowering refuses.
    def(d, "Shape").as_object_mut().unwrap().shift_remove("x-closed");
}

fn require_new_member(d: &mut Value, name: &str) {
    *prop(d, name, "label") = json!({ "description": "Label.", "type": "string" });
    require(d, name, "label");
}

fn compare(case: &Case) -> Report {
    let (mut old, mut new) = (base(), base());
    (case.old)(&mut old);
    (case.new)(&mut new);
    compat::compare(&lower(old), &lower(new))
}

#[test]
fn every_change_kind_is_classified() {
    let mut failures = Vec::new();
    for case in CASES {
        let report = compare(case);
        let mut got: Vec<_> = report.findings.iter().map(|f| (f.def.as_str(), f.kind.id(), f.class)).collect();
        let mut want = case.expect.to_vec();
        got.sort();
        want.sort();
        if got != want {
            let detail: Vec<_> =
                report.findings.iter().map(|f| format!("    {} {}: {}", f.def, f.pointer, f.message)).collect();
            failures.push(format!("{}:\n  want {want:?}\n  got  {got:?}\n{}", case.name, detail.join("\n")));
        }
    }
    assert!(failures.is_empty(), "{} case(s) misclassified:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn findings_point_at_the_changed_node() {
    let by_name = |name: &str| CASES.iter().find(|c| c.name == name).unwrap();
    let pointer_of = |name: &str| compare(by_name(name)).findings[0].pointer.clone();
    assert_eq!(pointer_of("member became required (tool arguments)"), "/$defs/Args/properties/thread_id");
    assert_eq!(pointer_of("object closed"), "/$defs/Enc/additionalProperties");
    assert_eq!(
        pointer_of("enum value added, decoded: the enum is open, old decoders keep the value"),
        "/$defs/Color/enum/2"
    );
    assert_eq!(pointer_of("enum value removed, encoded"), "/$defs/Mode/enum/1");
    assert_eq!(pointer_of("maximum length lowered"), "/$defs/ThreadId/maxLength");
    assert_eq!(pointer_of("method removed"), "/x-rpc/test~1other");
    assert_eq!(pointer_of("tool alias removed"), "/x-realtime-tools/0/aliases");
    // A synthesized tag type is reported under the def whose member made it, at that member.
    let report = compare(by_name("tag constant changed: the variant is replaced"));
    let tag = report.findings.iter().find(|f| f.kind.id() == "const-changed").unwrap();
    assert_eq!((tag.def.as_str(), tag.pointer.as_str()), ("Circle", "/$defs/Circle/properties/kind/const"));
}

#[test]
fn effects_say_which_decoders_fail() {
    let by_name = |name: &str| compare(CASES.iter().find(|c| c.name == name).unwrap()).findings.remove(0);
    let required = by_name("member became required (encoded)");
    assert!(required.effect.rejects_old);
    assert_eq!(required.effect.rejects_new, NewMessages::Accepted);
    let removed = by_name("required member removed, encoded: old servers insist on it");
    assert!(!removed.effect.rejects_old);
    assert_eq!(removed.effect.rejects_new, NewMessages::Always);
    let added = by_name("enum value added, encoded");
    assert_eq!((added.effect.rejects_old, added.effect.rejects_new), (false, NewMessages::Possible));
    assert!(added.message.contains("the enum is closed"), "{}", added.message);
    let added = by_name("enum value added, decoded: the enum is open, old decoders keep the value");
    assert_eq!(added.effect, Effect::NONE);
    assert!(added.message.contains("the enum is open"), "{}", added.message);
    let added = by_name("enum value added, decoded but closed by the schema");
    assert_eq!(added.effect.rejects_new, NewMessages::Possible);
}

#[test]
fn usage_follows_methods_tools_and_references() {
    let ir = lower(base());
    let usage = ir.usage();
    assert_eq!(usage["Dec"], Usage::DECODED);
    assert_eq!(usage["Circle"], Usage::DECODED, "reached through Dec → Shape");
    assert_eq!(usage["Enc"], Usage::ENCODED);
    assert_eq!(usage["Limit"], Usage::ENCODED, "reached through Enc");
    assert_eq!(usage["Args"], Usage::DECODED, "tool arguments are written by the model and decoded by the client");
    assert_eq!(usage["ThreadId"], Usage::DECODED);
    assert!(!usage.contains_key("Unused"));

    // A server request: its params are decoded by the client, its result encoded.
    let mut doc = base();
    doc["x-rpc"]["test/ask"] =
        json!({ "direction": "server_request", "params": "#/$defs/Enc", "result": "#/$defs/Dec" });
    let usage = lower(doc).usage();
    let both = Usage { decoded: true, encoded: true };
    assert_eq!((usage["Enc"], usage["Dec"], usage["Mode"]), (both, both, both));
}

#[test]
fn a_major_version_bump_declares_breaking_changes() {
    let mut new = base();
    require(&mut new, "Args", "thread_id");
    let report = compat::compare(&lower(base()), &lower(new.clone()));
    assert!(report.has_breaking() && report.fails());

    new["x-version"] = json!("2.0.0");
    let report = compat::compare(&lower(base()), &lower(new.clone()));
    assert!(report.has_breaking() && report.major_raised() && !report.fails());

    // A minor bump, or a lower major, declares nothing.
    for version in ["1.3.0", "0.9.0"] {
        new["x-version"] = json!(version);
        assert!(compat::compare(&lower(base()), &lower(new.clone())).fails(), "{version}");
    }
}

// The real schema.

fn canonical() -> Value {
    serde_json::from_str(SCHEMA_JSON).unwrap()
}

#[test]
fn real_schema_compared_with_itself_has_no_findings() {
    let report = compat::compare(&lower(canonical()), &lower(canonical()));
    assert_eq!(report.findings, vec![]);
    assert!(!report.fails());
}

#[test]
fn real_schema_optional_member_on_thread_resume_params_is_compatible() {
    let mut new = canonical();
    *prop(&mut new, "ThreadResumeParams", "clientTag") =
        json!({ "description": "A tag the client picks.", "type": ["string", "null"] });
    let report = compat::compare(&lower(canonical()), &lower(new));
    let kinds: Vec<_> = report.findings.iter().map(|f| (f.def.as_str(), f.kind.id(), f.class)).collect();
    assert_eq!(kinds, vec![("ThreadResumeParams", "field-added", C)]);
    assert_eq!(report.findings[0].usage, Usage::ENCODED, "thread/resume params travel client → server");
    assert!(!report.fails());
}

/// The canonical schema's `x-version` with its major number raised (`2.0.0` → `3.0.0`).
fn next_major(schema: &Value) -> String {
    let version = schema["x-version"].as_str().expect("x-version");
    let major: u64 = version.split('.').next().and_then(|m| m.parse().ok()).expect("a MAJOR.MINOR.PATCH version");
    format!("{}.0.0", major + 1)
}

#[test]
fn real_schema_requiring_thread_id_on_codex_tool_arguments_is_breaking() {
    let mut new = canonical();
    require(&mut new, "CodexToolArguments", "thread_id");
    let report = compat::compare(&lower(canonical()), &lower(new.clone()));
    let breaking: Vec<_> = report.breaking().map(|f| (f.def.as_str(), f.pointer.as_str(), f.kind.id())).collect();
    assert_eq!(
        breaking,
        vec![("CodexToolArguments", "/$defs/CodexToolArguments/properties/thread_id", "field-required")]
    );
    assert!(report.fails(), "exit 1 without a major bump");

    new["x-version"] = json!(next_major(&canonical()));
    let report = compat::compare(&lower(canonical()), &lower(new));
    assert!(report.has_breaking() && !report.fails(), "exit 0 once the major number is raised");
}

#[test]
fn real_schema_usage_of_handoff_defs() {
    let usage = lower(canonical()).usage();
    assert_eq!(usage["CodexToolArguments"], Usage::DECODED);
    assert_eq!(usage["ThreadResumeParams"], Usage::ENCODED);
    assert_eq!(usage["ThreadResumeResponse"], Usage::DECODED);
    assert_eq!(usage["RealtimeHandoffRequested"], Usage::DECODED, "a realtime item, from itemAdded");
    assert_eq!(usage["ThreadId"], Usage { decoded: true, encoded: true });
}

#[test]
fn outputs_name_the_def_pointer_and_kind() {
    let mut new = canonical();
    require(&mut new, "CodexToolArguments", "thread_id");
    let report = compat::compare(&lower(canonical()), &lower(new));
    let human = compat::render_human(&report, "OLD", "NEW");
    assert!(human.contains("\nCodexToolArguments (decoded by the client)\n"), "{human}");
    assert!(human.contains("breaking[field-required] /$defs/CodexToolArguments/properties/thread_id: "), "{human}");
    let next = next_major(&canonical());
    assert!(human.contains(&format!("raise x-version to {next}")), "{human}");

    let json = compat::render_json(&report, "OLD", "NEW");
    assert_eq!(json["passed"], json!(false));
    assert_eq!(json["breaking"], json!(1));
    assert_eq!(json["old"], json!({ "source": "OLD", "version": canonical()["x-version"] }));
    let finding = &json["findings"][0];
    assert_eq!(finding["def"], "CodexToolArguments");
    assert_eq!(finding["kind"], "field-required");
    assert_eq!(finding["class"], "breaking");
    assert_eq!(finding["usage"], json!(["decoded"]));
    assert_eq!(finding["rejects_old"], json!(true));
}
