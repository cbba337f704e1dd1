//! What can go wrong while installing a Codex release, each with the detail a reader needs to act on it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("invalid Codex version {version:?}: expected one exact release such as 0.171.0")]
    InvalidVersion { version: String },

    #[error("Codex ships no binary for {os}/{arch}")]
    UnsupportedPlatform { os: &'static str, arch: &'static str },

    #[error("@openai/codex@{version} is not on the npm registry ({detail})")]
    NotOnRegistry { version: String, detail: String },

    #[error("cannot run npm ({npm}): {source}; install Node.js with npm and put npm on PATH")]
    NpmMissing {
        npm: String,
        #[source]
        source: std::io::Error,
    },

    #[error("npm install of @openai/codex@{version} failed ({status}); npm said:\n{stderr_tail}")]
    NpmFailed { version: String, status: String, stderr_tail: String },

    #[error("the Codex binary for this platform is missing after installing @openai/codex@{version}: expected {}", path.display())]
    BinaryMissing { version: String, path: PathBuf },

    #[error("`codex app-server generate-json-schema` of {version} failed ({status}):\n{detail}")]
    SchemaGeneration { version: String, status: String, detail: String },

    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl InstallError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| InstallError::Io { action, path, source }
    }
}
