//! Where the launcher package's platform binary lands inside `node_modules`.
//!
//! `@openai/codex` is a small Node launcher; the real binary comes as an optional dependency aliased as
//! `@openai/codex-<os>-<arch>`, under `vendor/<target triple>/bin/`. We run that binary directly, without node.

use std::path::PathBuf;

/// The binary's path relative to `node_modules`, or `None` on a platform Codex does not ship for.
pub fn codex_binary_in_node_modules() -> Option<PathBuf> {
    let (package, triple) = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => ("codex-linux-x64", "x86_64-unknown-linux-musl"),
        ("linux", "aarch64") => ("codex-linux-arm64", "aarch64-unknown-linux-musl"),
        ("macos", "x86_64") => ("codex-darwin-x64", "x86_64-apple-darwin"),
        ("macos", "aarch64") => ("codex-darwin-arm64", "aarch64-apple-darwin"),
        ("windows", "x86_64") => ("codex-win32-x64", "x86_64-pc-windows-msvc"),
        ("windows", "aarch64") => ("codex-win32-arm64", "aarch64-pc-windows-msvc"),
        _ => return None,
    };
    let binary = if cfg!(windows) { "codex.exe" } else { "codex" };
    Some(["@openai", package, "vendor", triple, "bin", binary].iter().collect())
}
