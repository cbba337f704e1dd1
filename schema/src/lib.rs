//! The canonical handoff contract: `protocol.schema.json`, embedded, checked and lowered to an [`Ir`].
//!
//! ```
//! let contract = handoff_schema::Contract::canonical().unwrap();
//! assert!(contract.ir.method("thread/resume").is_some());
//! ```

pub mod compat;
mod error;
mod groups;
pub mod ir;
mod lower;
pub mod names;

use serde_json::{Value, json};

pub use error::SchemaError;
pub use ir::*;
pub use lower::escape as escape_pointer_token;

/// The schema file, as committed. Editing it and running `cargo xtask gen` is how the contract changes.
pub const SCHEMA_JSON: &str = include_str!("../protocol.schema.json");

/// Path of the schema file relative to the workspace root, for messages and generated headers.
pub const SCHEMA_PATH: &str = "schema/protocol.schema.json";

/// A checked schema document and its IR.
#[derive(Debug, Clone)]
pub struct Contract {
    /// The schema document as JSON, for consumers that validate instances with a JSON Schema engine.
    pub document: Value,
    pub ir: Ir,
}

impl Contract {
    /// The embedded canonical contract.
    pub fn canonical() -> Result<Contract, SchemaError> {
        Contract::from_str(SCHEMA_JSON, SCHEMA_PATH)
    }

    /// Parses, checks against the 2020-12 meta-schema, and lowers a schema document.
    /// `source_name` names the document in error messages.
    pub fn from_str(text: &str, source_name: &str) -> Result<Contract, SchemaError> {
        let document: Value = serde_json::from_str(text)
            .map_err(|error| SchemaError::Json { source_name: source_name.to_owned(), error })?;
        Contract::from_value(document)
    }

    pub fn from_value(document: Value) -> Result<Contract, SchemaError> {
        check_meta_schema(&document)?;
        let ir = lower::lower(&document)?;
        Ok(Contract { document, ir })
    }

    /// A standalone schema for one def: the def by `$ref` with every def beside it, so a JSON Schema engine
    /// resolves its references. `None` when the contract has no such def.
    pub fn def_schema(&self, name: &str) -> Option<Value> {
        let defs = self.document.get("$defs")?;
        defs.get(name)?;
        Some(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": format!("#/$defs/{name}"),
            "$defs": defs,
        }))
    }
}

fn check_meta_schema(document: &Value) -> Result<(), SchemaError> {
    let validator = jsonschema::draft202012::meta::validator();
    match validator.iter_errors(document).next() {
        None => Ok(()),
        Some(error) => {
            Err(SchemaError::MetaSchema { pointer: error.instance_path().to_string(), message: error.to_string() })
        }
    }
}
