//! The traffic fixtures check run by `cargo xtask gen` and the tests: captures under `valid/` must be clean,
//! captures under `invalid/` must give exactly the diagnostics of their `.expected` file (format in
//! tests/fixtures/traffic/README.md), and captures of the real app-server under `real/` (recorded by
//! `cargo xtask conformance`) must give exactly theirs, which may list none.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

use crate::{Config, Diagnostic, Schemas, validate_reader};

/// One expected (or actual) diagnostic, as compared: the message is deliberately left out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    pub line: u64,
    pub index: Option<u64>,
    pub rule: String,
    pub pointer: String,
}

impl Expected {
    pub fn of(diagnostic: &Diagnostic) -> Expected {
        Expected {
            line: diagnostic.line,
            index: diagnostic.index,
            rule: diagnostic.rule.clone(),
            pointer: diagnostic.pointer.clone(),
        }
    }

    /// The `.expected` line: `LINE INDEX RULE POINTER`, `-` for no index and for the empty pointer.
    pub fn to_line(&self) -> String {
        let index = self.index.map_or_else(|| "-".to_owned(), |i| i.to_string());
        let pointer = if self.pointer.is_empty() { "-" } else { &self.pointer };
        format!("{} {index} {} {pointer}", self.line, self.rule)
    }
}

/// Parses an `.expected` file; errors name the offending line.
pub fn parse_expected(text: &str) -> Result<Vec<Expected>, String> {
    let mut out = Vec::new();
    for (number, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |what: &str| format!("line {}: {what}: `{raw}` (want `LINE INDEX RULE POINTER`)", number + 1);
        let mut rest = line;
        let mut field = || {
            rest = rest.trim_start();
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let (token, tail) = rest.split_at(end);
            rest = tail;
            token
        };
        let (frame_line, index, rule) = (field(), field(), field().to_owned());
        // The pointer is the rest of the line: JSON pointers may contain spaces.
        let pointer = rest.trim().to_owned();
        if rule.is_empty() {
            return Err(bad("too few fields"));
        }
        if pointer.is_empty() {
            return Err(bad("no pointer (write `-` for the whole message)"));
        }
        let frame_line: u64 = frame_line.parse().map_err(|_| bad("LINE is not a number"))?;
        let index = match index {
            "-" => None,
            n => Some(n.parse().map_err(|_| bad("INDEX is neither `-` nor a number"))?),
        };
        let pointer = if pointer == "-" { String::new() } else { pointer };
        out.push(Expected { line: frame_line, index, rule, pointer });
    }
    Ok(out)
}

/// Result of checking a fixture directory.
#[derive(Debug, Default)]
pub struct FixtureOutcome {
    /// Captures checked.
    pub checked: usize,
    /// One readable paragraph per failing capture.
    pub failures: Vec<String>,
}

/// What a fixture folder promises about its captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Folder {
    /// `valid/`: no diagnostic, no `.expected` file.
    Valid,
    /// `invalid/`: an `.expected` file listing at least one diagnostic.
    Invalid,
    /// `real/`: an `.expected` file, which may list none (a real server's capture may validate clean).
    Real,
}

/// Checks every capture under `dir/valid`, `dir/invalid` and `dir/real`.
pub fn check_fixtures(schemas: &Schemas, dir: &Path) -> io::Result<FixtureOutcome> {
    let mut outcome = FixtureOutcome::default();
    for (sub, folder_kind) in [("valid", Folder::Valid), ("invalid", Folder::Invalid), ("real", Folder::Real)] {
        let must_be_clean = folder_kind == Folder::Valid;
        let folder = dir.join(sub);
        if !folder.is_dir() {
            continue;
        }
        let mut entries: Vec<PathBuf> =
            fs::read_dir(&folder)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
        entries.sort();
        for path in entries {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            if !path.is_file() || name.ends_with(".md") {
                continue;
            }
            if let Some(capture) = name.strip_suffix(".expected") {
                if must_be_clean {
                    outcome.failures.push(format!("{}: `.expected` files belong under invalid/", path.display()));
                } else if !folder.join(capture).is_file() {
                    outcome.failures.push(format!("{}: no capture named `{capture}` beside it", path.display()));
                }
                continue;
            }
            outcome.checked += 1;
            if let Some(failure) = check_one(schemas, &path, &name, folder_kind)? {
                outcome.failures.push(failure);
            }
        }
    }
    Ok(outcome)
}

fn check_one(schemas: &Schemas, path: &Path, name: &str, folder: Folder) -> io::Result<Option<String>> {
    let must_be_clean = folder == Folder::Valid;
    let config = Config { strict: name.starts_with("strict-"), ..Config::default() };
    let shown = path.display().to_string();
    let report = validate_reader(schemas, &config, &shown, BufReader::new(File::open(path)?), None)?;
    let mut actual: Vec<Expected> = report.diagnostics.iter().map(Expected::of).collect();
    actual.sort();
    let expected = if must_be_clean {
        Vec::new()
    } else {
        let expected_path = path.with_file_name(format!("{name}.expected"));
        let text = match fs::read_to_string(&expected_path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Ok(Some(format!(
                    "{shown}: missing {}; it gives:\n{}",
                    expected_path.display(),
                    listing(&report.diagnostics)
                )));
            }
            Err(error) => return Err(error),
        };
        let mut expected = match parse_expected(&text) {
            Ok(expected) => expected,
            Err(error) => return Ok(Some(format!("{}: {error}", expected_path.display()))),
        };
        if expected.is_empty() && folder == Folder::Invalid {
            return Ok(Some(format!(
                "{}: lists no diagnostic; invalid captures need at least one",
                expected_path.display()
            )));
        }
        expected.sort();
        expected
    };
    if actual == expected {
        return Ok(None);
    }
    let mut text = format!(
        "{shown}: diagnostics differ from {}\n",
        if must_be_clean { "none (valid/)" } else { "the .expected file" }
    );
    let (mut e, mut a) = (0, 0);
    while e < expected.len() || a < actual.len() {
        match (expected.get(e), actual.get(a)) {
            (Some(x), Some(y)) if x == y => {
                e += 1;
                a += 1;
            }
            (Some(x), Some(y)) if x < y => {
                let _ = writeln!(text, "  - expected, not given: {}", x.to_line());
                e += 1;
            }
            (Some(x), None) => {
                let _ = writeln!(text, "  - expected, not given: {}", x.to_line());
                e += 1;
            }
            (_, Some(y)) => {
                let message = report
                    .diagnostics
                    .iter()
                    .find(|d| Expected::of(d) == *y)
                    .map(|d| d.message.as_str())
                    .unwrap_or_default();
                let _ = writeln!(text, "  + given, not expected: {}    # {message}", y.to_line());
                a += 1;
            }
            (None, None) => break,
        }
    }
    Ok(Some(text))
}

fn listing(diagnostics: &[Diagnostic]) -> String {
    diagnostics.iter().map(|d| format!("  {}    # {}\n", Expected::of(d).to_line(), d.message)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_lines_parse_with_any_spacing() {
        let text = "# why\n\n3 - rpc/orphan-response /id\n12   4  schema   /params/a b\n1 - parse -\n";
        let parsed = parse_expected(text).unwrap();
        assert_eq!(
            parsed[0],
            Expected { line: 3, index: None, rule: "rpc/orphan-response".into(), pointer: "/id".into() }
        );
        assert_eq!(
            parsed[1],
            Expected { line: 12, index: Some(4), rule: "schema".into(), pointer: "/params/a b".into() }
        );
        assert_eq!(parsed[2].pointer, "");
        assert_eq!(parsed[2].to_line(), "1 - parse -");
    }

    #[test]
    fn bad_expected_lines_are_named() {
        assert!(parse_expected("3 - schema").unwrap_err().contains("line 1"));
        assert!(parse_expected("x - schema /a").unwrap_err().contains("LINE"));
        assert!(parse_expected("\n1 y schema /a").unwrap_err().contains("line 2"));
    }
}
