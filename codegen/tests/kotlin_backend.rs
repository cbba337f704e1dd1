//! The Kotlin backend's refusals: names that would make the generated sources ambiguous are errors with the def's
//! location, never broken Kotlin. What the sources do is tested by the Kotlin compiler and JUnit
//! (`generated/kotlin`, run by `.ci/kotlin`), not here.

use handoff_codegen::kotlin;
use handoff_schema::Contract;
use serde_json::Value;

fn schema() -> Value {
    serde_json::from_str(handoff_schema::SCHEMA_JSON).unwrap()
}

#[test]
fn a_def_named_like_a_type_the_sources_use_is_refused() {
    for name in ["Regex", "StrictLong", "ObjectShape"] {
        let mut schema = schema();
        schema["$defs"][name] =
            serde_json::json!({ "description": "Shadows a name the sources use.", "type": "string" });
        let ir = Contract::from_value(schema).expect("schema lowers").ir;
        let error = kotlin::generate(&ir).expect_err("the name would shadow a type the sources use");
        assert!(error.to_string().contains(&format!("`{name}`")), "{error}");
    }
}

#[test]
fn an_open_object_member_named_extra_is_refused() {
    let mut schema = schema();
    let thread = &mut schema["$defs"]["Thread"];
    assert_ne!(thread["additionalProperties"], Value::Bool(false), "Thread must be an open object for this test");
    thread["properties"]["extra"] = serde_json::json!({ "description": "Clashes.", "type": "string" });
    let ir = Contract::from_value(schema).expect("schema lowers").ir;
    let error = kotlin::generate(&ir).expect_err("`extra` holds the unknown members");
    assert!(error.to_string().contains("extra"), "{error}");
}

#[test]
fn the_maven_and_gradle_builds_and_the_tests_are_generated() {
    let ir = Contract::canonical().unwrap().ir;
    let output = kotlin::generate(&ir).unwrap();
    let paths: Vec<&str> = output.files.iter().map(|f| f.path.as_str()).collect();
    for expected in [
        "generated/kotlin/pom.xml",
        "generated/kotlin/build.gradle.kts",
        "generated/kotlin/settings.gradle.kts",
        "generated/kotlin/src/test/kotlin/dev/codex/handoff/contract/ContractTest.kt",
    ] {
        assert!(paths.contains(&expected), "{expected} missing from {paths:?}");
    }
}
