//! The installer against stand-in npm and codex programs (shell scripts), so every path but the real download runs
//! without the network; one test asks the real registry for a release that does not exist.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use handoff_upstream::{InstallError, Installer, codex_binary_in_node_modules};

/// A scratch directory removed when the test ends.
fn scratch(name: &str) -> TempDir {
    tempfile::Builder::new().prefix(&format!("handoff-upstream-{name}-")).tempdir().unwrap()
}

fn script(path: &Path, body: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, format!("#!/bin/sh\n{body}")).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A codex stand-in that logs each run and writes a one-file schema dir (or fails, when `fail` is set).
fn codex_body(log: &Path, fail: bool) -> String {
    let log = log.display();
    if fail {
        format!("echo codex >> '{log}'\necho 'schema writer broke' >&2\nexit 3\n")
    } else {
        format!(
            "echo codex >> '{log}'\n[ \"$1 $2 $3 $4\" = 'app-server generate-json-schema --experimental --out' ] || exit 9\n\
             mkdir -p \"$5\" && echo '{{\"oneOf\":[]}}' > \"$5/ClientRequest.json\"\n"
        )
    }
}

/// An npm stand-in: logs its arguments, then runs `body` with `$prefix` set to the install directory.
fn fake_npm(scratch: &Path, body: &str) -> PathBuf {
    let npm = scratch.join("bin/npm");
    let log = scratch.join("npm.log").display().to_string();
    script(&npm, &format!("echo \"$*\" >> '{log}'\nprefix=\"$5\"\n{body}"));
    npm
}

/// npm that "installs" a working codex stand-in.
fn working_npm(scratch: &Path, codex_fails: bool) -> PathBuf {
    let binary = codex_binary_in_node_modules().expect("a platform Codex ships for");
    let codex_script = scratch.join("codex.sh");
    script(&codex_script, &codex_body(&scratch.join("codex.log"), codex_fails));
    fake_npm(
        scratch,
        &format!(
            "mkdir -p \"$prefix/node_modules/$(dirname '{binary}')\" && cp '{}' \"$prefix/node_modules/{binary}\"\n",
            codex_script.display(),
            binary = binary.display()
        ),
    )
}

fn runs(log: &Path) -> usize {
    fs::read_to_string(log).map(|text| text.lines().count()).unwrap_or(0)
}

fn leftovers(cache: &Path) -> Vec<String> {
    match fs::read_dir(cache.join("codex")) {
        Ok(entries) => entries.map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn installs_once_then_reuses_the_complete_install() {
    let scratch = scratch("reuse");
    let cache = scratch.path().join("cache");
    let installer = Installer::new().with_cache_root(&cache).with_npm(working_npm(scratch.path(), false));

    let first = installer.install("1.2.3").unwrap();
    assert_eq!(first.version, "1.2.3");
    assert_eq!(first.dir, cache.join("codex/1.2.3"));
    assert_eq!(first.codex, first.dir.join("node_modules").join(codex_binary_in_node_modules().unwrap()));
    assert_eq!(first.schema_dir, first.dir.join("schema"));
    assert!(first.codex.is_file() && first.schema_dir.join("ClientRequest.json").is_file());
    let npm_args = fs::read_to_string(scratch.path().join("npm.log")).unwrap();
    assert!(npm_args.starts_with("install --no-audit --no-fund --prefix "), "{npm_args}");
    assert!(npm_args.trim_end().ends_with(" @openai/codex@1.2.3"), "{npm_args}");

    let second = installer.install("1.2.3").unwrap();
    assert_eq!(second, first);
    assert_eq!(runs(&scratch.path().join("npm.log")), 1, "npm ran again for a complete install");
    assert_eq!(runs(&scratch.path().join("codex.log")), 1, "the schema was generated again");
    assert_eq!(leftovers(&cache), ["1.2.3"], "temporary dirs left behind");
}

#[test]
fn an_install_not_finished_by_the_installer_is_redone() {
    let scratch = scratch("incomplete");
    let cache = scratch.path().join("cache");
    let binary = codex_binary_in_node_modules().unwrap();
    // What an interrupted npm run writing straight into place would leave: the binary, but no completion marker.
    let stale = cache.join("codex/1.2.3");
    script(&stale.join("node_modules").join(&binary), "exit 1\n");
    fs::write(stale.join("half-written"), "").unwrap();
    let installer = Installer::new().with_cache_root(&cache).with_npm(working_npm(scratch.path(), false));

    let installation = installer.install("1.2.3").unwrap();
    assert_eq!(runs(&scratch.path().join("npm.log")), 1);
    assert!(!installation.dir.join("half-written").exists(), "the incomplete install was taken over");
    assert!(installation.schema_dir.join("ClientRequest.json").is_file());
}

#[test]
fn a_failing_npm_leaves_nothing_that_looks_installed() {
    let scratch = scratch("npm-fails");
    let cache = scratch.path().join("cache");
    let npm = fake_npm(
        scratch.path(),
        "mkdir -p \"$prefix/node_modules/@openai\"\necho 'npm error code ECONNRESET' >&2\necho 'npm error network aborted' >&2\nexit 1\n",
    );
    let error = Installer::new().with_cache_root(&cache).with_npm(npm).install("1.2.3").unwrap_err();
    match &error {
        InstallError::NpmFailed { version, stderr_tail, .. } => {
            assert_eq!(version, "1.2.3");
            assert!(stderr_tail.contains("ECONNRESET") && stderr_tail.contains("network aborted"), "{stderr_tail}");
        }
        other => panic!("expected NpmFailed, got {other:?}"),
    }
    assert!(error.to_string().contains("npm install of @openai/codex@1.2.3 failed"), "{error}");
    assert!(leftovers(&cache).is_empty(), "{:?}", leftovers(&cache));
}

#[test]
fn npm_saying_etarget_or_e404_means_not_on_the_registry() {
    for (code, line) in [
        ("ETARGET", "npm error notarget No matching version found for @openai/codex@9.9.9."),
        ("E404", "npm error 404 Not Found - GET https://registry.npmjs.org/@openai%2fcodex"),
    ] {
        let scratch = scratch("not-found");
        let npm = fake_npm(scratch.path(), &format!("echo 'npm error code {code}' >&2\necho '{line}' >&2\nexit 1\n"));
        let cache = scratch.path().join("cache");
        match Installer::new().with_cache_root(&cache).with_npm(npm).install("9.9.9") {
            Err(InstallError::NotOnRegistry { version, detail }) => {
                assert_eq!(version, "9.9.9");
                assert_eq!(detail, line, "{code}");
            }
            other => panic!("{code}: expected NotOnRegistry, got {other:?}"),
        }
        assert!(leftovers(&cache).is_empty());
    }
}

#[test]
fn a_missing_npm_is_reported_as_such() {
    let scratch = scratch("no-npm");
    let error = Installer::new()
        .with_cache_root(scratch.path().join("cache"))
        .with_npm(scratch.path().join("no/such/npm"))
        .install("1.2.3")
        .unwrap_err();
    assert!(matches!(error, InstallError::NpmMissing { .. }), "{error:?}");
    assert!(error.to_string().contains("cannot run npm"), "{error}");
}

#[test]
fn an_install_without_the_platform_binary_is_refused() {
    let scratch = scratch("no-binary");
    let cache = scratch.path().join("cache");
    let npm = fake_npm(scratch.path(), "mkdir -p \"$prefix/node_modules/@openai/codex\"\n");
    match Installer::new().with_cache_root(&cache).with_npm(npm).install("1.2.3") {
        Err(InstallError::BinaryMissing { version, path }) => {
            assert_eq!(version, "1.2.3");
            assert_eq!(path, cache.join("codex/1.2.3/node_modules").join(codex_binary_in_node_modules().unwrap()));
        }
        other => panic!("expected BinaryMissing, got {other:?}"),
    }
    assert!(leftovers(&cache).is_empty(), "{:?}", leftovers(&cache));
}

#[test]
fn a_failed_schema_generation_is_reported_and_retried_without_reinstalling() {
    let scratch = scratch("schema-fails");
    let cache = scratch.path().join("cache");
    let installer = Installer::new().with_cache_root(&cache).with_npm(working_npm(scratch.path(), true));
    match installer.install("1.2.3") {
        Err(InstallError::SchemaGeneration { version, detail, .. }) => {
            assert_eq!(version, "1.2.3");
            assert!(detail.contains("schema writer broke"), "{detail}");
        }
        other => panic!("expected SchemaGeneration, got {other:?}"),
    }
    let release = cache.join("codex/1.2.3");
    assert!(!release.join("schema").exists());
    assert_eq!(
        fs::read_dir(&release)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains("partial"))
            .count(),
        0,
        "a partial schema dir was left behind"
    );

    // The codex binary works again (say, a fixed environment): the npm install is reused, the schema generated.
    let codex = release.join("node_modules").join(codex_binary_in_node_modules().unwrap());
    script(&codex, &codex_body(&scratch.path().join("codex.log"), false));
    let installation = installer.install("1.2.3").unwrap();
    assert!(installation.schema_dir.join("ClientRequest.json").is_file());
    assert_eq!(runs(&scratch.path().join("npm.log")), 1);
    assert_eq!(runs(&scratch.path().join("codex.log")), 2);
}

#[test]
fn a_version_that_is_not_one_exact_release_never_reaches_npm() {
    let scratch = scratch("bad-version");
    let npm = fake_npm(scratch.path(), "exit 0\n");
    for version in ["latest", "^0.171.0", "../../etc"] {
        let error =
            Installer::new().with_cache_root(scratch.path().join("cache")).with_npm(&npm).install(version).unwrap_err();
        assert!(matches!(error, InstallError::InvalidVersion { .. }), "{version}: {error:?}");
    }
    assert_eq!(runs(&scratch.path().join("npm.log")), 0);
}

/// The real npm and registry: a release that does not exist is told apart from other npm failures.
#[test]
fn the_real_registry_has_no_bogus_release() {
    let scratch = scratch("registry");
    let cache = scratch.path().join("cache");
    match Installer::new().with_cache_root(&cache).install("0.0.0-handoff-no-such-release") {
        Err(InstallError::NotOnRegistry { version, detail }) => {
            assert_eq!(version, "0.0.0-handoff-no-such-release");
            assert!(detail.contains("No matching version"), "{detail}");
        }
        other => panic!("expected NotOnRegistry from the real npm, got {other:?}"),
    }
    assert!(leftovers(&cache).is_empty(), "{:?}", leftovers(&cache));
}
