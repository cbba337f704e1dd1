//! `cargo xtask report [--format html|mermaid|json] [-o OUT] CAPTURE…` (and `handoff-validate report …`).
//!
//! Each capture is validated (the same run as `validate`) and read again for its timeline. One capture writes to
//! OUT (a file) or stdout; several need `-o DIR` and write `DIR/<capture file name>.<html|md|json>`. Exit 0 when
//! every capture is clean, 1 when any has a violation (the report is written all the same), 2 when a capture
//! cannot be read or the output cannot be written.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

use crate::timeline::{self, Timeline};
use crate::{Config, Schemas, timeline_html, timeline_mermaid, validate_reader};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One self-contained HTML page per capture.
    Html,
    /// Mermaid sequence diagrams, one per handoff.
    Mermaid,
    /// The timeline model as JSON.
    Json,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Mermaid => "md",
            Format::Json => "json",
        }
    }
}

/// Render captures as timelines: lanes per party, handoffs with their phases, violations on their frames.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value = "html")]
    pub format: Format,
    /// Output file (one capture) or directory (several); stdout when absent and there is one capture.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Capture files.
    #[arg(required = true, value_name = "CAPTURE")]
    pub captures: Vec<PathBuf>,
}

/// Builds the timeline of one capture file (validated first, so its violations are the validator's).
pub fn timeline_of(schemas: &Schemas, path: &Path) -> Timeline {
    let name = path.display().to_string();
    let config = Config::default();
    let report = match File::open(path) {
        Ok(file) => validate_reader(schemas, &config, &name, BufReader::new(file), None),
        Err(error) => return timeline::unreadable(&name, error.to_string()),
    };
    let report = match report {
        Ok(report) => report,
        Err(error) => return timeline::unreadable(&name, error.to_string()),
    };
    let built = File::open(path)
        .and_then(|file| timeline::build(schemas, &report, BufReader::new(file), config.max_line_bytes));
    built.unwrap_or_else(|error| timeline::unreadable(&name, error.to_string()))
}

pub fn render(format: Format, timeline: &Timeline) -> String {
    match format {
        Format::Html => timeline_html::render(timeline),
        Format::Mermaid => timeline_mermaid::render(timeline),
        Format::Json => {
            let mut text = serde_json::to_string_pretty(timeline).expect("a timeline always serializes");
            text.push('\n');
            text
        }
    }
}

/// Runs the command; returns the exit code.
pub fn run(args: &Args, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    if args.captures.len() > 1 && args.output.is_none() {
        let _ = writeln!(stderr, "error: several captures need `-o DIR` (one report file per capture)");
        return 2;
    }
    let schemas = match Schemas::canonical() {
        Ok(schemas) => schemas,
        Err(error) => {
            let _ = writeln!(stderr, "error: {error}");
            return 2;
        }
    };
    if args.captures.len() > 1
        && let Some(dir) = &args.output
        && let Err(error) = std::fs::create_dir_all(dir)
    {
        let _ = writeln!(stderr, "error: cannot create {}: {error}", dir.display());
        return 2;
    }
    let mut code = 0;
    for capture in &args.captures {
        let timeline = timeline_of(&schemas, capture);
        if let Some(error) = &timeline.read_error {
            let _ = writeln!(stderr, "{}: error: cannot read input: {error}", capture.display());
            code = 2;
            continue;
        }
        let text = render(args.format, &timeline);
        let written = match &args.output {
            None => stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()),
            Some(out) => {
                let target = if args.captures.len() > 1 {
                    let name =
                        capture.file_name().map_or_else(|| "capture".into(), |n| n.to_string_lossy().into_owned());
                    out.join(format!("{name}.{}", args.format.extension()))
                } else {
                    out.clone()
                };
                std::fs::write(&target, text)
                    .map_err(|error| io::Error::new(error.kind(), format!("{}: {error}", target.display())))
            }
        };
        if let Err(error) = written {
            let _ = writeln!(stderr, "error: cannot write the report: {error}");
            return 2;
        }
        if code == 0 && timeline.violations.iter().any(|v| v.severity == crate::Severity::Error) {
            code = 1;
        }
    }
    code
}
