//! Loading of the shared message fixtures under `tests/fixtures/messages/`.
//!
//! One file per schema def, `<DefName>.json`:
//! `{"valid": [{"case", "value", "canonical"?}], "aliased": [{"case", "value", "canonical"}], "invalid": [{"case", "value"}]}`.
//!
//! - `valid`: the canonical schema accepts `value`, and a decode/encode round trip gives `canonical` back when that is
//!   given (a `null` optional member is written back as absent), else `value` itself.
//! - `aliased` (optional): values that spell a member with one of its legacy `x-aliases` (`server_hint`). The schema
//!   describes the canonical wire form, so it rejects them; every generated decoder accepts them and writes
//!   `canonical`, which the schema accepts.
//! - `invalid`: the schema and every decoder reject `value`.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefFixtures {
    pub valid: Vec<ValidCase>,
    #[serde(default)]
    pub aliased: Vec<ValidCase>,
    pub invalid: Vec<InvalidCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidCase {
    pub case: String,
    pub value: Value,
    #[serde(default)]
    pub canonical: Option<Value>,
}

impl ValidCase {
    /// What a round trip must produce.
    pub fn expected_round_trip(&self) -> &Value {
        self.canonical.as_ref().unwrap_or(&self.value)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvalidCase {
    pub case: String,
    pub value: Value,
}

/// `tests/fixtures/messages` in this checkout.
pub fn messages_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/messages")
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace").to_path_buf()
}

/// Every fixture file, by def name, in name order. Panics with the file name on a malformed file: a broken
/// fixture is a test failure, not something to skip.
pub fn load_all() -> Vec<(String, DefFixtures)> {
    let mut entries: Vec<_> = std::fs::read_dir(messages_dir())
        .expect("tests/fixtures/messages exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    entries.sort();
    entries
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let fixtures = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (name, fixtures)
        })
        .collect()
}

/// The canonical def `def` with every open enum (the IR's policy: enums the client decodes) taking any string: what
/// a decoder that keeps unlisted values accepts. An `invalid` fixture value it accepts is invalid only for an
/// unlisted enum value, which a decoder keeps unchanged.
pub fn open_policy_validator(contract: &handoff_schema::Contract, def: &str) -> jsonschema::Validator {
    let mut schema = contract.def_schema(def).expect("fixture def exists");
    for open in contract.ir.types.values() {
        if let handoff_schema::TypeKind::StringEnum(e) = &open.kind
            && e.openness.is_open()
        {
            schema["$defs"][&open.name] = serde_json::json!({ "type": "string" });
        }
    }
    jsonschema::draft202012::new(&schema).expect("the relaxed schema compiles")
}
