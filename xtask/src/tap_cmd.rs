//! `cargo xtask tap [--record FILE] [--server-id ID] [--log FILE] [--format human|json] -- COMMAND [ARGS…]`: the
//! validating stdio tap of `handoff_validator::tap`.

use std::process::ExitCode;

pub type Args = handoff_validator::tap::Args;

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    Ok(ExitCode::from(handoff_validator::tap::run(args)))
}
