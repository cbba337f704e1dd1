use thiserror::Error;

/// Why a schema document cannot be lowered. Every variant names the JSON pointer of the offending node,
/// so the author can find it: the schema is hand-written and these errors are its compiler messages.
#[derive(Debug, Error)]
pub enum SchemaError {
    #[error("{source_name}: not valid JSON: {error}")]
    Json { source_name: String, error: serde_json::Error },
    #[error("{pointer}: does not conform to the JSON Schema 2020-12 meta-schema: {message}")]
    MetaSchema { pointer: String, message: String },
    #[error("{pointer}: unsupported schema construct: {reason}")]
    Unsupported { pointer: String, reason: String },
    #[error("{pointer}: {reason}")]
    Invalid { pointer: String, reason: String },
}

impl SchemaError {
    pub(crate) fn unsupported(pointer: &str, reason: impl Into<String>) -> Self {
        SchemaError::Unsupported { pointer: pointer.to_owned(), reason: reason.into() }
    }
    pub(crate) fn invalid(pointer: &str, reason: impl Into<String>) -> Self {
        SchemaError::Invalid { pointer: pointer.to_owned(), reason: reason.into() }
    }

    /// The JSON pointer the error is about, when it has one.
    pub fn pointer(&self) -> Option<&str> {
        match self {
            SchemaError::Json { .. } => None,
            SchemaError::MetaSchema { pointer, .. }
            | SchemaError::Unsupported { pointer, .. }
            | SchemaError::Invalid { pointer, .. } => Some(pointer),
        }
    }
}
