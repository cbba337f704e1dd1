//! The Codex release the contract tracks.
//!
//! `codex-version` (beside this crate's manifest) names one exact `@openai/codex` release. [`install`] puts that
//! release from the npm registry into a cache directory outside the work tree and has its app-server write the
//! protocol as JSON Schema there; `cargo xtask upstream` compares the contract with that schema, and the
//! conformance harness runs the installed binary.

mod error;
mod install;
pub mod methods;
mod platform;
pub mod report;
pub mod upstream_schema;

use std::path::PathBuf;

pub use error::InstallError;
pub use install::{Installation, Installer};
pub use platform::codex_binary_in_node_modules;

/// The pinned release, as written in `upstream/codex-version` (trimmed).
pub fn pinned_version() -> &'static str {
    include_str!("../codex-version").trim()
}

/// Where installed releases live: `$CODEX_HANDOFF_CACHE`, else `$HOME/.cache/codex-handoff-contract`.
///
/// Releases go under `codex/<version>/` of this directory, the team's shared cache convention.
pub fn cache_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("CODEX_HANDOFF_CACHE").filter(|dir| !dir.is_empty()) {
        return PathBuf::from(dir);
    }
    match std::env::var_os("HOME").filter(|home| !home.is_empty()) {
        Some(home) => PathBuf::from(home).join(".cache").join("codex-handoff-contract"),
        // No home directory (some CI sandboxes): a cache that lasts as long as the temp dir does.
        None => std::env::temp_dir().join("codex-handoff-contract"),
    }
}

/// Installs `@openai/codex@<version>` into `<cache_root>/codex/<version>/` with npm (reused when a complete install
/// is there) and generates its app-server JSON Schema (`--experimental`) into `schema/` beside it (once).
pub fn install(version: &str) -> Result<Installation, InstallError> {
    Installer::new().install(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pin_is_one_exact_release() {
        let version = pinned_version();
        let parts: Vec<&str> = version.split('.').collect();
        assert_eq!(parts.len(), 3, "{version:?}");
        assert!(parts.iter().all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())), "{version:?}");
        assert!(install::check_version(version).is_ok());
    }
}
