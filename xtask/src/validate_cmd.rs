//! `cargo xtask validate [--format human|json] [--strict] [--max-line-bytes N] PATH...`, and the traffic fixture
//! check that `cargo xtask gen` runs.

use std::io;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use handoff_validator::Schemas;
use handoff_validator::fixtures::check_fixtures;

/// The validator's own arguments (shared with the `handoff-validate` binary).
pub type Args = handoff_validator::cli::Args;

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let code = handoff_validator::cli::run(args, &mut io::stdout().lock(), &mut io::stderr().lock());
    Ok(ExitCode::from(code))
}

/// Directory of the recorded-traffic fixtures, relative to the workspace root.
pub const TRAFFIC_FIXTURES: &str = "tests/fixtures/traffic";

/// Validates every traffic fixture: valid/ clean, invalid/ exactly as its `.expected` file says.
/// Exit code 1 with a readable diff per failing capture.
pub fn check_traffic_fixtures(root: &Path) -> anyhow::Result<ExitCode> {
    let schemas = Schemas::canonical().map_err(anyhow::Error::msg)?;
    let dir = root.join(TRAFFIC_FIXTURES);
    let outcome = check_fixtures(&schemas, &dir).with_context(|| format!("reading {}", dir.display()))?;
    if outcome.failures.is_empty() {
        println!("{} traffic fixture(s) give their expected diagnostics", outcome.checked);
        return Ok(ExitCode::SUCCESS);
    }
    for failure in &outcome.failures {
        eprintln!("{failure}");
    }
    eprintln!(
        "{} of {} traffic fixture(s) under {TRAFFIC_FIXTURES} do not give their expected diagnostics \
         (format: {TRAFFIC_FIXTURES}/README.md)",
        outcome.failures.len(),
        outcome.checked
    );
    Ok(ExitCode::from(1))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: super::Args,
    }

    #[test]
    fn arguments_follow_the_cli_contract() {
        let cli = Cli::try_parse_from(["validate", "--format", "json", "--strict", "--max-line-bytes", "10", "a", "-"])
            .unwrap();
        assert_eq!(cli.args.paths, ["a", "-"]);
        assert!(cli.args.strict);
        assert_eq!(cli.args.config().max_line_bytes, 10);
        // Wrong arguments are clap errors, which exit 2.
        for bad in
            [&["validate"][..], &["validate", "--format", "xml", "a"], &["validate", "--max-line-bytes", "0", "a"]]
        {
            let error = Cli::try_parse_from(bad).err().unwrap();
            assert_eq!(error.exit_code(), 2, "{bad:?}");
        }
    }

    #[test]
    fn the_committed_traffic_fixtures_pass() {
        let code = super::check_traffic_fixtures(&crate::workspace_root()).unwrap();
        assert_eq!(code, std::process::ExitCode::SUCCESS);
    }
}
