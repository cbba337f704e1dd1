//! Reading what `codex app-server generate-json-schema --experimental` wrote: the method lists (one file per
//! direction, each a draft-07 `oneOf` with one branch per method) and the type definitions of its bundles.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use handoff_schema::Direction;
use serde_json::{Map, Value};

/// The file that lists the methods of each direction.
pub const METHOD_FILES: [(&str, Direction); 4] = [
    ("ClientRequest.json", Direction::ClientRequest),
    ("ServerRequest.json", Direction::ServerRequest),
    ("ServerNotification.json", Direction::ServerNotification),
    ("ClientNotification.json", Direction::ClientNotification),
];

/// Bundles holding every type definition (v2 first: where both define a name, the v2 one is the current type).
const BUNDLES: [&str; 2] = ["codex_app_server_protocol.v2.schemas.json", "codex_app_server_protocol.schemas.json"];

/// One upstream method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamMethod {
    pub direction: Direction,
    /// The upstream type of its params, when it takes any.
    pub params: Option<String>,
}

/// The parts of an upstream schema directory the comparison needs.
#[derive(Debug, Clone, Default)]
pub struct UpstreamSchema {
    pub methods: BTreeMap<String, UpstreamMethod>,
    /// Type definitions by name (draft-07 schemas whose `$ref`s are `#/definitions/<Name>`).
    pub types: BTreeMap<String, Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not JSON: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{}{pointer}: {message}", path.display())]
    Shape { path: PathBuf, pointer: String, message: String },
}

impl UpstreamSchema {
    /// Reads the four method files (required) and the type bundles (those present).
    pub fn read(dir: &Path) -> Result<UpstreamSchema, ReadError> {
        let mut schema = UpstreamSchema::default();
        for (file, direction) in METHOD_FILES {
            let path = dir.join(file);
            let doc = read_json(&path)?;
            schema.add_methods(&path, &doc, direction)?;
            schema.add_definitions(&doc);
        }
        for bundle in BUNDLES {
            let path = dir.join(bundle);
            if path.exists() {
                let doc = read_json(&path)?;
                schema.add_definitions(&doc);
            }
        }
        Ok(schema)
    }

    /// Builds the method list from one direction's document (`{"oneOf": [...]}`).
    pub fn add_methods(&mut self, path: &Path, doc: &Value, direction: Direction) -> Result<(), ReadError> {
        let shape = |pointer: String, message: &str| ReadError::Shape {
            path: path.to_owned(),
            pointer,
            message: message.to_owned(),
        };
        let branches = doc
            .get("oneOf")
            .and_then(Value::as_array)
            .ok_or_else(|| shape(String::new(), "expected a `oneOf` over the methods"))?;
        for (index, branch) in branches.iter().enumerate() {
            let pointer = format!("/oneOf/{index}/properties/method");
            let method = branch.pointer("/properties/method").ok_or_else(|| shape(pointer.clone(), "missing"))?;
            let name = method
                .get("const")
                .or_else(|| method.get("enum").and_then(Value::as_array).filter(|v| v.len() == 1).map(|v| &v[0]))
                .and_then(Value::as_str)
                .ok_or_else(|| shape(pointer.clone(), "expected the method name as a one-value `enum` or a `const`"))?;
            let params = branch.pointer("/properties/params").and_then(referenced_type);
            let method = UpstreamMethod { direction, params };
            if let Some(previous) = self.methods.insert(name.to_owned(), method)
                && previous.direction != direction
            {
                let message = format!(
                    "method `{name}` is listed for two directions ({} and {})",
                    previous.direction.wire(),
                    direction.wire()
                );
                return Err(shape(pointer, &message));
            }
        }
        Ok(())
    }

    fn add_definitions(&mut self, doc: &Value) {
        let Some(definitions) = doc.get("definitions").and_then(Value::as_object) else { return };
        for (name, def) in definitions {
            // The top bundle nests the v2 definitions under `v2`; read through it.
            if name == "v2" && !def.as_object().is_some_and(is_schema_like) {
                if let Some(nested) = def.as_object() {
                    for (name, def) in nested {
                        self.types.entry(name.clone()).or_insert_with(|| def.clone());
                    }
                }
                continue;
            }
            self.types.entry(name.clone()).or_insert_with(|| def.clone());
        }
    }
}

fn is_schema_like(obj: &Map<String, Value>) -> bool {
    ["type", "oneOf", "anyOf", "allOf", "$ref", "enum", "properties"].iter().any(|k| obj.contains_key(*k))
}

/// The type a `params` schema names: a `$ref`, or the `$ref` of an `anyOf` with `null` (optional params).
fn referenced_type(node: &Value) -> Option<String> {
    if let Some(target) = node.get("$ref").and_then(Value::as_str) {
        return Some(ref_name(target).to_owned());
    }
    node.get("anyOf")?
        .as_array()?
        .iter()
        .find_map(|branch| branch.get("$ref")?.as_str().map(|t| ref_name(t).to_owned()))
}

/// `#/definitions/v2/Thread` → `Thread`.
pub fn ref_name(target: &str) -> &str {
    target.rsplit('/').next().unwrap_or(target)
}

fn read_json(path: &Path) -> Result<Value, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io { path: path.to_owned(), source })?;
    serde_json::from_str(&text).map_err(|source| ReadError::Json { path: path.to_owned(), source })
}
