//! Streaming validator of recorded handoff traffic (design.md, "Recorded traffic and the validator").
//!
//! A capture is read frame by frame ([`read`]), each frame is classified and checked against its def from the
//! canonical contract, request ids are tracked per server and direction, and app-server frames go through the
//! flow rules (crate `handoff-flow`). Diagnostics come back per input ([`FileReport`]) and render as human lines or JSON.
//!
//! ```
//! let schemas = handoff_validator::Schemas::canonical().unwrap();
//! let capture = "{\"method\":\"thread/resumed\",\"params\":{}}\n";
//! let report = handoff_validator::validate_reader(&schemas, &Default::default(), "-", capture.as_bytes(), None).unwrap();
//! assert_eq!(report.diagnostics[0].rule, "rpc/unknown-method");
//! ```

pub mod check;
pub mod cli;
pub mod compiled;
pub mod fixtures;
pub mod frame;
mod pipeline;
pub mod read;
pub mod report;
mod requests;
mod schemas;
mod strict;
pub mod tap;
pub mod timeline;
pub mod timeline_cli;
pub mod timeline_html;
pub mod timeline_mermaid;

/// The flow rules live in the shared `handoff-flow` crate (one piece of code with the router).
pub(crate) use handoff_flow as flow;

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

pub use check::{CaptureCheck, CheckOptions, Location};
pub use report::{Diagnostic, FileReport, Severity, exit_code, render_human, render_json};
pub use schemas::{Schemas, UnknownDef};
pub use strict::unknown_members as strict_unknown_members;

/// Default limit on one line (or array element): bigger frames are reported, not loaded.
pub const DEFAULT_MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Inputs above this size get a progress bar when stderr is a terminal.
const PROGRESS_MIN_BYTES: u64 = 4 * 1024 * 1024;

/// Read buffer per input: big enough that syscalls do not show in a profile.
const READ_BUFFER_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone)]
pub struct Config {
    /// Report members the contract does not know as `strict/unknown-member` warnings.
    pub strict: bool,
    pub max_line_bytes: usize,
    /// The check compiled from the IR, every frame through it first (on by default; off, every frame is parsed into
    /// a `Value` and checked by `jsonschema` alone: only there to compare).
    pub fast_path: bool,
    /// App-servers by id and display name (`--server ID=NAME`), added to each capture's `servers` header (a name
    /// given here wins): the flow rules attribute handoffs that name a server by display name.
    pub servers: Vec<handoff_flow::ServerInfo>,
}

impl Default for Config {
    fn default() -> Config {
        Config { strict: false, max_line_bytes: DEFAULT_MAX_LINE_BYTES, fast_path: true, servers: Vec::new() }
    }
}

impl Schemas {
    /// The canonical contract, compiled.
    pub fn canonical() -> Result<Schemas, String> {
        let contract = handoff_schema::Contract::canonical().map_err(|e| format!("the canonical schema: {e}"))?;
        Schemas::compile(&contract)
    }
}

/// Validates one capture from any reader. `path` names it in the report. I/O errors are returned (exit code 2).
pub fn validate_reader<R: BufRead>(
    schemas: &Schemas,
    config: &Config,
    path: &str,
    input: R,
    progress: Option<&ProgressBar>,
) -> io::Result<FileReport> {
    let pipeline::Outcome { finished, messages } = pipeline::run(schemas, config, input, progress)?;
    Ok(FileReport {
        path: path.to_owned(),
        messages,
        diagnostics: finished.diagnostics,
        notes: finished.notes,
        read_error: None,
        omitted: finished.omitted,
    })
}

/// Validates every path (`-` = stdin), one after the other (each one's frames are checked in parallel); reports come
/// back in argument order.
pub fn validate_paths(schemas: &Schemas, config: &Config, paths: &[String]) -> Vec<FileReport> {
    let bars = io::stderr().is_terminal().then(MultiProgress::new);
    paths.iter().map(|path| validate_path(schemas, config, path, bars.as_ref())).collect()
}

fn validate_path(schemas: &Schemas, config: &Config, path: &str, bars: Option<&MultiProgress>) -> FileReport {
    let outcome = if path == "-" {
        validate_reader(schemas, config, path, BufReader::with_capacity(READ_BUFFER_BYTES, io::stdin().lock()), None)
    } else {
        File::open(path).and_then(|file| {
            let size = file.metadata()?.len();
            let bar = bars.filter(|_| size > PROGRESS_MIN_BYTES).map(|bars| {
                let bar = bars.add(ProgressBar::new(size));
                let style =
                    ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar());
                bar.set_style(style);
                bar.set_message(path.to_owned());
                bar
            });
            let reader = BufReader::with_capacity(READ_BUFFER_BYTES, file);
            let report = validate_reader(schemas, config, path, reader, bar.as_ref());
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            report
        })
    };
    outcome.unwrap_or_else(|error| FileReport {
        path: path.to_owned(),
        read_error: Some(error.to_string()),
        ..FileReport::default()
    })
}
