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
use std::sync::mpsc;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use rayon::prelude::*;

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
    let mut report = FileReport { path: path.to_owned(), ..FileReport::default() };
    let options = CheckOptions { strict: config.strict, fast_path: config.fast_path };
    let mut reader = read::FrameReader::new(input, config.max_line_bytes)?;
    let header = reader.servers_header()?;
    // A pipeline of three stages: this thread reads frames into batches, a second thread prepares each batch (in
    // parallel, rayon), a third applies the prepared batches in capture order. Each stage works on its own batch
    // while the others work on theirs; the channels hold at most three batches, so memory stays bounded.
    let (to_prepare, unprepared) = mpsc::sync_channel::<RawBatch>(1);
    let (sender, receiver) = mpsc::sync_channel::<PreparedBatch>(2);
    // Applied batches' buffers go back to the reading stage, so batches reuse a few buffers instead of allocating.
    let (recycle, recycled) = mpsc::channel::<Vec<u8>>();
    let (read_outcome, finished) = std::thread::scope(|scope| {
        let applier = scope.spawn(move || {
            let mut check = CaptureCheck::new(schemas, options);
            if let Some(header) = header {
                match header.servers {
                    Ok(servers) => check.add_servers(servers),
                    Err(message) => check.parse_error(Location { line: header.line, index: header.index }, message),
                }
            }
            check.add_servers(config.servers.clone());
            for PreparedBatch { bytes, items } in receiver {
                for (at, range, prepared) in items {
                    check.apply(at, &bytes[range], prepared);
                }
                let _ = recycle.send(bytes);
            }
            check.finish()
        });
        // The preparing stage, so that reading the next batch overlaps preparing this one (also with one rayon
        // thread). It stops when the reader is done, or early when the applying stage has (it panicked).
        let preparer = scope.spawn(move || {
            for batch in unprepared {
                if sender.send(batch.prepare(schemas, options)).is_err() {
                    break;
                }
            }
        });
        let mut batch = Batch { recycled, ..Batch::default() };
        let read_outcome = read_batches(&mut reader, &mut batch, config, &mut report, progress, &to_prepare);
        drop(to_prepare);
        let prepared = preparer.join();
        let checked = applier.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        prepared.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (read_outcome, checked)
    });
    read_outcome?;
    report.diagnostics = finished.diagnostics;
    report.notes = finished.notes;
    report.omitted = finished.omitted;
    Ok(report)
}

/// The reading stage: frames into batches, each handed to the preparing stage.
fn read_batches<R: BufRead>(
    reader: &mut read::FrameReader<R>,
    batch: &mut Batch,
    config: &Config,
    report: &mut FileReport,
    progress: Option<&ProgressBar>,
    sender: &mpsc::SyncSender<RawBatch>,
) -> io::Result<()> {
    while let Some(frame) = reader.next_frame()? {
        match frame {
            read::RawFrame::Frame { line, index, bytes, last_unterminated } => {
                report.messages += 1;
                batch.push(Location { line, index }, Item::Frame { bytes, last_unterminated });
            }
            read::RawFrame::TooLong { line, index, len } => {
                report.messages += 1;
                let limit = config.max_line_bytes;
                let message =
                    format!("frame of {len} bytes is longer than the limit of {limit} bytes (--max-line-bytes)");
                batch.push(Location { line, index }, Item::Unparsable(message));
            }
            read::RawFrame::Broken { line, index, message } => {
                batch.push(Location { line, index }, Item::Unparsable(message));
            }
        }
        // The later stages only stop early if one panicked; the panic is re-raised by the caller.
        if batch.is_full() && sender.send(batch.take()).is_err() {
            return Ok(());
        }
        if let Some(bar) = progress
            && report.messages.is_multiple_of(4096)
        {
            bar.set_position(reader.consumed);
        }
    }
    if !batch.items.is_empty() {
        let _ = sender.send(batch.take());
    }
    Ok(())
}

/// What the reader found at one place of the capture.
enum Item<'a> {
    Frame {
        bytes: &'a [u8],
        last_unterminated: bool,
    },
    /// A reader-level `parse` violation (over-long frame, broken array, empty capture).
    Unparsable(String),
}

/// Frames gathered so that the order-independent half of their checks runs in parallel ([`check::prepare`]);
/// the order-dependent half ([`CaptureCheck::apply`]) then runs in capture order. Bounded in size, so memory
/// stays flat.
struct Batch {
    bytes: Vec<u8>,
    items: Vec<(Location, BatchItem)>,
    /// Buffers of applied batches, to reuse.
    recycled: mpsc::Receiver<Vec<u8>>,
}

impl Default for Batch {
    fn default() -> Batch {
        Batch { bytes: Vec::new(), items: Vec::new(), recycled: mpsc::channel().1 }
    }
}

/// A full batch on its way to the preparing stage: its bytes, checked to be UTF-8 as a whole by the reading stage
/// (one pass over them instead of one per frame; only a batch that is not has its frames checked one by one, and
/// the offending ones reported).
struct RawBatch {
    text: Result<String, std::string::FromUtf8Error>,
    items: Vec<(Location, BatchItem)>,
}

/// A prepared batch on its way to the applying stage: the frames' bytes and, per frame, where it is in the capture,
/// its range in `bytes` and what [`check::prepare`] made of it.
struct PreparedBatch {
    bytes: Vec<u8>,
    items: Vec<(Location, std::ops::Range<usize>, check::Prepared)>,
}

enum BatchItem {
    Frame { range: std::ops::Range<usize>, last_unterminated: bool },
    Unparsable(String),
}

/// A batch is checked once it holds this many bytes or frames.
const BATCH_BYTES: usize = 512 << 10;
const BATCH_FRAMES: usize = 2048;

impl Batch {
    fn push(&mut self, at: Location, item: Item<'_>) {
        let item = match item {
            Item::Frame { bytes, last_unterminated } => {
                let start = self.bytes.len();
                self.bytes.extend_from_slice(bytes);
                BatchItem::Frame { range: start..self.bytes.len(), last_unterminated }
            }
            Item::Unparsable(message) => BatchItem::Unparsable(message),
        };
        self.items.push((at, item));
    }

    fn is_full(&self) -> bool {
        self.bytes.len() >= BATCH_BYTES || self.items.len() >= BATCH_FRAMES
    }

    /// Empties the batch, its next buffer one the applying stage is done with (or a new one).
    fn take(&mut self) -> RawBatch {
        let mut next = self.recycled.try_recv().unwrap_or_default();
        next.clear();
        let bytes = std::mem::replace(&mut self.bytes, next);
        RawBatch { text: String::from_utf8(bytes), items: std::mem::take(&mut self.items) }
    }
}

impl RawBatch {
    /// Prepares every item (in parallel).
    fn prepare(self, schemas: &Schemas, options: CheckOptions) -> PreparedBatch {
        let text = self.text;
        let bytes = match &text {
            Ok(text) => text.as_bytes(),
            Err(error) => error.as_bytes(),
        };
        let items = self
            .items
            .into_par_iter()
            .with_min_len(256)
            .map(|(at, item)| match item {
                BatchItem::Frame { range, last_unterminated } => {
                    let prepared = match &text {
                        // Frames are cut at ASCII bytes (newlines, array punctuation), so on char boundaries.
                        Ok(text) => match text.get(range.clone()) {
                            Some(frame) => check::prepare_text(schemas, options, frame, last_unterminated),
                            None => check::prepare(schemas, options, &bytes[range.clone()], last_unterminated),
                        },
                        Err(_) => check::prepare(schemas, options, &bytes[range.clone()], last_unterminated),
                    };
                    (at, range, prepared)
                }
                BatchItem::Unparsable(message) => (at, 0..0, check::Prepared::Unparsable(message)),
            })
            .collect();
        let bytes = match text {
            Ok(text) => text.into_bytes(),
            Err(error) => error.into_bytes(),
        };
        PreparedBatch { bytes, items }
    }
}

/// Validates every path (`-` = stdin) in parallel; reports come back in argument order.
pub fn validate_paths(schemas: &Schemas, config: &Config, paths: &[String]) -> Vec<FileReport> {
    let bars = io::stderr().is_terminal().then(MultiProgress::new);
    paths.par_iter().map(|path| validate_path(schemas, config, path, bars.as_ref())).collect()
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
