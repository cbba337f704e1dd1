//! Installing one Codex release into the cache: npm into a temporary directory beside the target, renamed into
//! place only once complete, then the app-server's JSON Schema generated the same way.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::InstallError;
use crate::platform;

/// Written last into a finished npm install, before it is renamed into place: a release directory without it was
/// put there some other way (by hand, or by an older tool) and is installed afresh.
const COMPLETE_MARKER: &str = ".handoff-install-complete";
/// One file every generated schema directory holds; its absence means the generation did not finish.
const SCHEMA_SENTINEL: &str = "ClientRequest.json";
/// How much of a failing tool's output an error quotes.
const TAIL_LINES: usize = 20;
/// Leftover temporary directories older than this belong to an interrupted run, not to one still going.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// One installed release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    /// The exact release, e.g. `0.171.0`.
    pub version: String,
    /// `<cache_root>/codex/<version>`, holding `node_modules/` and `schema/`.
    pub dir: PathBuf,
    /// The platform binary (run it directly; the Node launcher is not needed).
    pub codex: PathBuf,
    /// Output of `codex app-server generate-json-schema --experimental`.
    pub schema_dir: PathBuf,
}

/// Installs releases into one cache with one npm; [`crate::install`] uses the defaults.
#[derive(Debug, Clone)]
pub struct Installer {
    cache_root: PathBuf,
    npm: OsString,
}

impl Default for Installer {
    fn default() -> Self {
        Self::new()
    }
}

impl Installer {
    /// The team's cache ([`crate::cache_root`]) and the `npm` on `PATH`.
    pub fn new() -> Self {
        let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
        Installer { cache_root: crate::cache_root(), npm: npm.into() }
    }

    pub fn with_cache_root(mut self, cache_root: impl Into<PathBuf>) -> Self {
        self.cache_root = cache_root.into();
        self
    }

    /// The npm program to run (a name looked up on `PATH`, or a path).
    pub fn with_npm(mut self, npm: impl Into<OsString>) -> Self {
        self.npm = npm.into();
        self
    }

    /// Where `version` is (or would be) installed.
    pub fn release_dir(&self, version: &str) -> PathBuf {
        self.cache_root.join("codex").join(version)
    }

    pub fn install(&self, version: &str) -> Result<Installation, InstallError> {
        check_version(version)?;
        let binary = platform::codex_binary_in_node_modules()
            .ok_or(InstallError::UnsupportedPlatform { os: std::env::consts::OS, arch: std::env::consts::ARCH })?;
        let dir = self.release_dir(version);
        if !is_complete(&dir) {
            self.install_release(version, &dir, &binary)?;
        }
        let codex = dir.join("node_modules").join(&binary);
        if !codex.is_file() {
            return Err(InstallError::BinaryMissing { version: version.to_owned(), path: codex });
        }
        let schema_dir = dir.join("schema");
        if !schema_dir.join(SCHEMA_SENTINEL).is_file() {
            generate_schema(version, &codex, &dir, &schema_dir)?;
        }
        Ok(Installation { version: version.to_owned(), dir, codex, schema_dir })
    }

    fn install_release(&self, version: &str, dir: &Path, binary: &Path) -> Result<(), InstallError> {
        let parent = dir.parent().expect("a release dir is <cache>/codex/<version>");
        fs::create_dir_all(parent).map_err(InstallError::io("create", parent))?;
        remove_stale_partials(parent, &format!(".{version}.partial-"));
        if dir.exists() {
            // Not finished by us (interrupted before the rename cannot happen, so: made by hand or by other tools).
            fs::remove_dir_all(dir).map_err(InstallError::io("remove the incomplete install", dir))?;
        }
        let partial = parent.join(format!(".{version}.partial-{}", unique_suffix()));
        let result = self.npm_install(version, &partial, binary).and_then(|()| {
            match fs::rename(&partial, dir) {
                Ok(()) => Ok(()),
                // Another process finished the same release first: use theirs.
                Err(_) if is_complete(dir) => Ok(()),
                Err(source) => Err(InstallError::Io {
                    action: "move the finished install into place at",
                    path: dir.to_owned(),
                    source,
                }),
            }
        });
        if partial.exists() {
            let _ = fs::remove_dir_all(&partial);
        }
        result
    }

    fn npm_install(&self, version: &str, partial: &Path, binary: &Path) -> Result<(), InstallError> {
        fs::create_dir_all(partial).map_err(InstallError::io("create", partial))?;
        // A package.json of its own keeps npm from walking up to some enclosing project.
        let manifest = partial.join("package.json");
        fs::write(&manifest, "{\n  \"private\": true\n}\n").map_err(InstallError::io("write", &manifest))?;
        let output = Command::new(&self.npm)
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(partial)
            .arg(format!("@openai/codex@{version}"))
            .current_dir(partial)
            .output()
            .map_err(|source| InstallError::NpmMissing { npm: self.npm.to_string_lossy().into_owned(), source })?;
        if !output.status.success() {
            return Err(npm_error(version, &output));
        }
        let codex = partial.join("node_modules").join(binary);
        if !codex.is_file() {
            let path = self.release_dir(version).join("node_modules").join(binary);
            return Err(InstallError::BinaryMissing { version: version.to_owned(), path });
        }
        let marker = partial.join(COMPLETE_MARKER);
        fs::write(&marker, format!("{version}\n")).map_err(InstallError::io("write", &marker))
    }
}

/// Accepts one exact release (`1.2.3`, `1.2.3-alpha.4`); refuses ranges, tags and anything path-like, which npm
/// would resolve to some other release or which would escape the cache.
pub(crate) fn check_version(version: &str) -> Result<(), InstallError> {
    let invalid = || InstallError::InvalidVersion { version: version.to_owned() };
    let (core, pre) = match version.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (version, None),
    };
    let core_ok = core.split('.').count() == 3
        && core.split('.').all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    let pre_ok = pre.is_none_or(|pre| {
        pre.split('.').all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    });
    if core_ok && pre_ok { Ok(()) } else { Err(invalid()) }
}

fn is_complete(dir: &Path) -> bool {
    dir.join(COMPLETE_MARKER).is_file()
}

/// Tells "no such version/package" (npm's ETARGET and E404 codes) apart from every other npm failure.
fn npm_error(version: &str, output: &Output) -> InstallError {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let said = format!("{stderr}{stdout}");
    let not_found = said.lines().any(|line| {
        let line = line.trim();
        line.contains("code ETARGET") || line.contains("code E404")
    });
    if not_found {
        let detail = said
            .lines()
            .map(str::trim)
            .find(|line| line.contains("notarget No matching") || line.contains("404 Not Found"))
            .or_else(|| said.lines().map(str::trim).find(|line| line.contains("code E")))
            .unwrap_or("npm found no such release")
            .to_owned();
        return InstallError::NotOnRegistry { version: version.to_owned(), detail };
    }
    InstallError::NpmFailed { version: version.to_owned(), status: output.status.to_string(), stderr_tail: tail(&said) }
}

fn generate_schema(version: &str, codex: &Path, dir: &Path, schema_dir: &Path) -> Result<(), InstallError> {
    let partial = dir.join(format!(".schema.partial-{}", unique_suffix()));
    // An empty CODEX_HOME of its own: the user's config must not change what the generator writes.
    let home = dir.join("codex-home");
    fs::create_dir_all(&home).map_err(InstallError::io("create", &home))?;
    let failed =
        |status: String, detail: String| InstallError::SchemaGeneration { version: version.to_owned(), status, detail };
    let result = Command::new(codex)
        .args(["app-server", "generate-json-schema", "--experimental", "--out"])
        .arg(&partial)
        .env("CODEX_HOME", &home)
        .current_dir(dir)
        .output()
        .map_err(|source| failed("not started".to_owned(), format!("cannot run {}: {source}", codex.display())))
        .and_then(|output| {
            if !output.status.success() {
                let said =
                    format!("{}{}", String::from_utf8_lossy(&output.stderr), String::from_utf8_lossy(&output.stdout));
                return Err(failed(output.status.to_string(), tail(&said)));
            }
            if !partial.join(SCHEMA_SENTINEL).is_file() {
                return Err(failed(
                    output.status.to_string(),
                    format!("it exited successfully but wrote no {SCHEMA_SENTINEL} into {}", partial.display()),
                ));
            }
            if schema_dir.exists() {
                fs::remove_dir_all(schema_dir)
                    .map_err(InstallError::io("remove the incomplete schema dir", schema_dir))?;
            }
            match fs::rename(&partial, schema_dir) {
                Ok(()) => Ok(()),
                Err(_) if schema_dir.join(SCHEMA_SENTINEL).is_file() => Ok(()),
                Err(source) => Err(InstallError::Io {
                    action: "move the generated schema into place at",
                    path: schema_dir.to_owned(),
                    source,
                }),
            }
        });
    if partial.exists() {
        let _ = fs::remove_dir_all(&partial);
    }
    result
}

/// Removes temporary directories an interrupted run left behind (each can hold hundreds of MB); recent ones may
/// belong to an install running right now and stay.
fn remove_stale_partials(parent: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(prefix) {
            continue;
        }
        let stale = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age > STALE_AFTER));
        if stale {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{}-{nanos}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|line| !line.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(TAIL_LINES);
    if lines.is_empty() { "(no output)".to_owned() } else { lines[start..].join("\n") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_releases_pass_and_ranges_tags_and_paths_do_not() {
        for good in ["0.171.0", "1.2.3-alpha.4", "10.0.0-rc-1"] {
            assert!(check_version(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "latest",
            "^0.171.0",
            "0.171",
            "0.171.0.1",
            "../0.171.0",
            "0.171.x",
            "0.171.0-",
            "0.171.0 ",
            "v0.171.0",
        ] {
            assert!(matches!(check_version(bad), Err(InstallError::InvalidVersion { .. })), "{bad:?}");
        }
    }

    #[test]
    fn the_tail_keeps_the_last_lines() {
        let text: String = (0..30).map(|i| format!("line {i}\n")).collect();
        let kept = tail(&text);
        assert!(kept.starts_with("line 10\n") && kept.ends_with("line 29"), "{kept}");
        assert_eq!(tail("\n \n"), "(no output)");
    }
}
