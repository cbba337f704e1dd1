//! Every message fixture against the canonical schema, the generated Rust types, and the schema `schemars`
//! derives for those types: all three must agree on what is valid.

use codex_handoff_contract::registry;
use contract_tests::{DefFixtures, load_all, open_policy_validator};
use handoff_schema::Contract;
use serde_json::Value;

fn canonical_validator(contract: &Contract, def: &str) -> jsonschema::Validator {
    let schema = contract.def_schema(def).unwrap_or_else(|| panic!("fixture file {def}.json names no schema def"));
    jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("canonical def {def} does not compile: {e}"))
}

fn derived_validator(def: &str) -> jsonschema::Validator {
    let entry = registry::find(def).unwrap_or_else(|| panic!("no generated Rust type for def {def}"));
    let schema = (entry.json_schema)();
    jsonschema::draft202012::new(schema.as_value())
        .unwrap_or_else(|e| panic!("schemars schema of {def} does not compile: {e}"))
}

#[test]
fn every_def_has_valid_and_invalid_fixtures() {
    let contract = Contract::canonical().unwrap();
    let fixtures: Vec<String> = load_all().into_iter().map(|(name, _)| name).collect();
    let defs: Vec<String> = contract.document["$defs"].as_object().unwrap().keys().cloned().collect();
    let mut sorted_defs = defs.clone();
    sorted_defs.sort();
    assert_eq!(fixtures, sorted_defs, "tests/fixtures/messages must hold exactly one file per schema def");
    for (name, DefFixtures { valid, invalid, .. }) in load_all() {
        assert!(!valid.is_empty(), "{name}.json has no valid case");
        assert!(!invalid.is_empty(), "{name}.json has no invalid case");
    }
}

#[test]
fn valid_fixtures_pass_the_canonical_schema_and_round_trip_through_rust() {
    let contract = Contract::canonical().unwrap();
    let mut failures = Vec::new();
    for (def, fixtures) in load_all() {
        let validator = canonical_validator(&contract, &def);
        let entry = registry::find(&def).unwrap();
        for case in &fixtures.valid {
            let label = format!("{def} / {}", case.case);
            if let Some(error) = validator.iter_errors(&case.value).next() {
                failures.push(format!("{label}: canonical schema rejects it: {error} (at {})", error.instance_path()));
                continue;
            }
            match (entry.round_trip)(case.value.clone()) {
                Err(error) => failures.push(format!("{label}: Rust type rejects it: {error}")),
                Ok(written) if &written != case.expected_round_trip() => failures.push(format!(
                    "{label}: round trip changed the value\n  expected: {}\n  got:      {written}",
                    case.expected_round_trip()
                )),
                Ok(_) => {}
            }
            if let Some(canonical) = &case.canonical {
                // The canonical form is itself a valid message that round-trips unchanged.
                if !validator.is_valid(canonical) {
                    failures.push(format!("{label}: canonical form is rejected by the schema"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn aliased_fixtures_decode_to_their_canonical_form() {
    let contract = Contract::canonical().unwrap();
    let mut failures = Vec::new();
    let mut count = 0;
    for (def, fixtures) in load_all() {
        let validator = canonical_validator(&contract, &def);
        let entry = registry::find(&def).unwrap();
        for case in &fixtures.aliased {
            count += 1;
            let label = format!("{def} / {}", case.case);
            let Some(canonical) = &case.canonical else {
                failures.push(format!("{label}: an aliased case needs its canonical form"));
                continue;
            };
            if validator.is_valid(&case.value) {
                failures.push(format!("{label}: the schema accepts the aliased spelling; it belongs under `valid`"));
            }
            if !validator.is_valid(canonical) {
                failures.push(format!("{label}: the schema rejects the canonical form"));
            }
            match (entry.round_trip)(case.value.clone()) {
                Ok(written) if &written == canonical => {}
                Ok(written) => failures.push(format!("{label}: decoded and wrote {written}, expected {canonical}")),
                Err(error) => failures.push(format!("{label}: Rust type rejects it: {error}")),
            }
        }
    }
    assert!(count >= 4, "the x-aliases of the tool arguments must be covered by fixtures");
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn invalid_fixtures_are_rejected_by_the_canonical_schema_and_by_rust() {
    let contract = Contract::canonical().unwrap();
    let mut failures = Vec::new();
    let mut kept_unlisted = 0;
    for (def, fixtures) in load_all() {
        let validator = canonical_validator(&contract, &def);
        let open_policy = open_policy_validator(&contract, &def);
        let entry = registry::find(&def).unwrap();
        for case in &fixtures.invalid {
            let label = format!("{def} / {}", case.case);
            if validator.is_valid(&case.value) {
                failures.push(format!("{label}: canonical schema accepts it"));
            }
            if let Ok(written) = (entry.round_trip)(case.value.clone()) {
                // The one leniency: an open enum keeps a value the contract does not list, unchanged.
                if open_policy.is_valid(&case.value) && written == case.value {
                    kept_unlisted += 1;
                } else {
                    failures.push(format!("{label}: Rust type accepts it, writing {written}"));
                }
            }
        }
    }
    assert!(kept_unlisted >= 1, "the fixtures must show an open enum keeping an unlisted value");
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn derived_schemas_agree_with_the_canonical_defs_on_every_fixture() {
    let contract = Contract::canonical().unwrap();
    let mut failures = Vec::new();
    for (def, fixtures) in load_all() {
        let canonical = canonical_validator(&contract, &def);
        let derived = derived_validator(&def);
        let cases = fixtures
            .valid
            .iter()
            .map(|c| (&c.case, &c.value))
            .chain(fixtures.invalid.iter().map(|c| (&c.case, &c.value)));
        for (case, value) in cases {
            let (want, got) = (canonical.is_valid(value), derived.is_valid(value));
            if want != got {
                let verdict = |ok: bool| if ok { "accepts" } else { "rejects" };
                failures.push(format!(
                    "{def} / {case}: canonical def {} but schema_for!({def}) {}: {value}",
                    verdict(want),
                    verdict(got)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} disagreement(s):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_generated_type_is_a_def_or_synthesized_from_one() {
    let contract = Contract::canonical().unwrap();
    for entry in registry::TYPES {
        let def = contract.ir.types.get(entry.name).unwrap_or_else(|| panic!("{} is not in the IR", entry.name));
        assert_eq!(contract.def_schema(entry.name).is_none(), def.synthesized, "{}", entry.name);
    }
    assert_eq!(registry::TYPES.len(), contract.ir.types.len());
}

#[test]
fn thread_id_constructor_enforces_the_schema_rule() {
    use codex_handoff_contract::ThreadId;
    for good in ["thr_123", "0199a7f2-5c1e-7b40-9d2a-3f6e8c1b2a90", "a", "x.y:z-1"] {
        assert_eq!(ThreadId::new(good).unwrap().as_str(), good);
    }
    for bad in ["", " ", "../x", "a/b", "thr 1", "\u{7}x", "_x"] {
        let error = ThreadId::new(bad).unwrap_err();
        assert_eq!(error.type_name, "ThreadId");
        assert_eq!(error.value, bad);
    }
    let too_long = "a".repeat(129);
    assert!(ThreadId::new(too_long).unwrap_err().reason.contains("128"));
    assert!(ThreadId::new("a".repeat(128)).is_ok());
    // A multi-byte id counts characters, not bytes, as JSON Schema's maxLength does; the pattern still rejects it.
    assert!(ThreadId::new("é").is_err());
}

#[test]
fn unknown_members_of_open_objects_survive_a_round_trip() {
    let value: Value = serde_json::json!({"id": "thr_1", "createdAt": 1764115200, "gitInfo": {"branch": "main"}});
    let thread: codex_handoff_contract::Thread = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(thread.extra.len(), 2);
    assert_eq!(serde_json::to_value(&thread).unwrap(), value);
}

#[test]
fn handoff_items_dispatch_on_their_tag() {
    use codex_handoff_contract::{RealtimeItem, ThreadRealtimeItemAddedNotification};
    let params = serde_json::json!({
        "threadId": "voice_1",
        "item": {"type": "handoff_request", "handoff_id": "h1", "item_id": "i1", "input_transcript": "run the tests",
                 "active_transcript": [], "server": "bigpc", "thread_id": "thr_123"}
    });
    let added: ThreadRealtimeItemAddedNotification = serde_json::from_value(params).unwrap();
    let RealtimeItem::HandoffRequest(handoff) = added.item else { panic!("expected a handoff request") };
    assert_eq!(handoff.thread_id.as_ref().map(|t| t.as_str()), Some("thr_123"));
    assert_eq!(handoff.server.as_deref(), Some("bigpc"));

    let other: RealtimeItem = serde_json::from_value(serde_json::json!({"type": "message", "role": "user"})).unwrap();
    assert!(matches!(other, RealtimeItem::Unknown(ref o) if o.type_.as_str() == "message"));

    // A malformed handoff must not slip through as "some other item".
    let broken = serde_json::from_value::<RealtimeItem>(serde_json::json!({"type": "handoff_request"}));
    assert!(broken.unwrap_err().to_string().contains("handoff_id"));
}
