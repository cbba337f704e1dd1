//! Generated files in memory, and their comparison with what is on disk.
//!
//! Each [`Output`] owns a directory: after `apply`, that directory holds exactly the generated files, so a
//! type removed from the schema leaves no stale file behind.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// One file a backend produced; `path` is relative to the workspace root, with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: String,
    pub contents: String,
}

/// All files of one backend, under the directory it owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Directory of the files, relative to the workspace root, e.g. `generated/rust`; empty for the root itself.
    pub root: String,
    pub files: Vec<GeneratedFile>,
    /// Whether the backend owns the whole directory, so that any other file in it is an orphan to delete.
    /// False for the few files generated into shared places (the repository root).
    pub owns_root: bool,
}

impl Output {
    /// Files under a directory the backend owns entirely.
    pub fn new(root: impl Into<String>) -> Output {
        Output { root: root.into(), files: Vec::new(), owns_root: true }
    }

    /// Files placed into a directory other files live in too; only these files are compared and written.
    pub fn shared(root: impl Into<String>) -> Output {
        Output { owns_root: false, ..Output::new(root) }
    }

    /// Adds a file at `relative` under the output's root.
    pub fn add(&mut self, relative: &str, contents: impl Into<String>) {
        let path = if self.root.is_empty() { relative.to_owned() } else { format!("{}/{relative}", self.root) };
        self.files.push(GeneratedFile { path, contents: contents.into() });
    }
}

/// How a file on disk differs from what the generator produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftKind {
    Missing,
    Stale,
    /// On disk under an owned directory, but no longer generated.
    Orphaned,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub path: String,
    pub kind: DriftKind,
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            DriftKind::Missing => "missing",
            DriftKind::Stale => "stale",
            DriftKind::Orphaned => "no longer generated",
        };
        write!(f, "{}: {what}", self.path)
    }
}

/// Compares the outputs with the files under `workspace_root`, in path order. Reads, never writes.
pub fn diff(workspace_root: &Path, outputs: &[Output]) -> io::Result<Vec<Drift>> {
    let mut drift = Vec::new();
    for output in outputs {
        let expected: BTreeMap<&str, &str> =
            output.files.iter().map(|f| (f.path.as_str(), f.contents.as_str())).collect();
        let on_disk = if output.owns_root { list_files(workspace_root, &output.root)? } else { Vec::new() };
        for (path, contents) in &expected {
            let kind = match std::fs::read(workspace_root.join(path)) {
                Ok(bytes) if normalize_newlines(&bytes) == contents.as_bytes() => continue,
                Ok(_) => DriftKind::Stale,
                Err(e) if e.kind() == io::ErrorKind::NotFound => DriftKind::Missing,
                Err(e) => return Err(io::Error::new(e.kind(), format!("{path}: {e}"))),
            };
            drift.push(Drift { path: (*path).to_owned(), kind });
        }
        for path in on_disk {
            if !expected.contains_key(path.as_str()) {
                drift.push(Drift { path, kind: DriftKind::Orphaned });
            }
        }
    }
    drift.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(drift)
}

/// Brings the disk in line with the outputs: writes missing and stale files, deletes orphans. Returns what
/// it changed; a second run with the same outputs changes nothing.
pub fn apply(workspace_root: &Path, outputs: &[Output]) -> io::Result<Vec<Drift>> {
    let drift = diff(workspace_root, outputs)?;
    let contents: BTreeMap<&str, &str> =
        outputs.iter().flat_map(|o| &o.files).map(|f| (f.path.as_str(), f.contents.as_str())).collect();
    for change in &drift {
        let path = workspace_root.join(&change.path);
        let result = match change.kind {
            DriftKind::Orphaned => std::fs::remove_file(&path),
            DriftKind::Missing | DriftKind::Stale => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&path, contents[change.path.as_str()])
            }
        };
        result.map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", change.path)))?;
    }
    Ok(drift)
}

/// Files under `root` (relative to the workspace), as workspace-relative `/` paths. Build products that
/// tools put next to generated sources (`target/`, `node_modules/`, `dist/`, `.build/`) are not the generator's.
fn list_files(workspace_root: &Path, root: &str) -> io::Result<Vec<String>> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::from(root)];
    while let Some(relative) = pending.pop() {
        let dir = workspace_root.join(&relative);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", dir.display()))),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = relative.join(&name);
            if entry.file_type()?.is_dir() {
                if !matches!(name.as_str(), "target" | "node_modules" | "dist" | ".build" | ".swiftpm") {
                    pending.push(child);
                }
            } else {
                found.push(child.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    Ok(found)
}

/// Git may check text files out with CRLF on Windows; that is not staleness.
fn normalize_newlines(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut iter = bytes.iter().peekable();
    while let Some(&b) = iter.next() {
        if b == b'\r' && iter.peek() == Some(&&b'\n') {
            continue;
        }
        out.push(b);
    }
    out
}
