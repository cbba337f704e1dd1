//! `cargo xtask report [--format html|mermaid|json] [-o OUT] CAPTURE…`: the timeline report of
//! `handoff_validator::timeline_cli`.

use std::io;
use std::process::ExitCode;

pub type Args = handoff_validator::timeline_cli::Args;

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let code = handoff_validator::timeline_cli::run(args, &mut io::stdout().lock(), &mut io::stderr().lock());
    Ok(ExitCode::from(code))
}
