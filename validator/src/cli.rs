//! The command line shared by `cargo xtask validate` and the `handoff-validate` binary.

use std::io::Write;

use crate::{Config, DEFAULT_MAX_LINE_BYTES, Schemas, exit_code, render_human, render_json, validate_paths};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `path:line: error[rule]: message (at /pointer)` lines and a summary.
    Human,
    /// One JSON document: `{"files","messages","violations":[…]}`.
    Json,
}

/// Validate recorded traffic against the contract. Exit 0 when clean, 1 on any violation, 2 when an input cannot
/// be read or the arguments are wrong. Warnings (--strict) do not change the exit code.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Also warn (rule strict/unknown-member) about members the contract does not know, in messages with a def.
    #[arg(long)]
    pub strict: bool,
    /// Longest line (or array element) read, in bytes; longer frames are reported as `parse` violations.
    #[arg(long, default_value_t = DEFAULT_MAX_LINE_BYTES as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_line_bytes: u64,
    /// Check every frame on the slow path (schema engine on a full JSON value); for comparisons only.
    #[arg(long, hide = true)]
    pub no_fast_path: bool,
    /// An app-server's id and display name, as the voice model may name it (`--server srv_7f3a91=bigpc`);
    /// repeatable. Added to each capture's `servers` header; without either, handoffs name servers by id.
    #[arg(long = "server", value_name = "ID=NAME", value_parser = parse_server)]
    pub servers: Vec<handoff_flow::ServerInfo>,
    /// Capture files; `-` reads stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
}

impl Args {
    pub fn config(&self) -> Config {
        Config {
            strict: self.strict,
            max_line_bytes: usize::try_from(self.max_line_bytes).unwrap_or(usize::MAX),
            fast_path: !self.no_fast_path,
            servers: self.servers.clone(),
        }
    }
}

/// `ID=NAME` of `--server`: both non-empty.
fn parse_server(text: &str) -> Result<handoff_flow::ServerInfo, String> {
    match text.split_once('=') {
        Some((id, name)) if !id.trim().is_empty() && !name.trim().is_empty() => {
            Ok(handoff_flow::ServerInfo::new(id.trim(), name.trim()))
        }
        _ => Err(format!("`{text}` is not ID=NAME (e.g. srv_7f3a91=bigpc)")),
    }
}

/// Runs a validation and writes the report; returns the exit code (0, 1 or 2).
pub fn run(args: &Args, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let schemas = match Schemas::canonical() {
        Ok(schemas) => schemas,
        Err(error) => {
            let _ = writeln!(stderr, "error: {error}");
            return 2;
        }
    };
    let reports = validate_paths(&schemas, &args.config(), &args.paths);
    let text = match args.format {
        Format::Human => render_human(&reports),
        Format::Json => render_json(&reports),
    };
    if args.format == Format::Json {
        // The JSON document names unreadable inputs too; stderr repeats them for people watching a terminal.
        for report in &reports {
            if let Some(error) = &report.read_error {
                let _ = writeln!(stderr, "{}: error: cannot read input: {error}", report.path);
            }
        }
    }
    if stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).is_err() {
        return 2;
    }
    exit_code(&reports)
}
