//! The checking pipeline of one capture.
//!
//! The calling thread reads the capture in batches (chunks of whole lines for JSON Lines, frames cut one by one for
//! array dumps) and hands each batch to the rayon pool as a task of its own: a worker splits its lines and runs the
//! order-independent half of every frame's check ([`check::prepare`]: UTF-8, the compiled one-pass check, parsing).
//! The calling thread applies the prepared batches in capture order ([`CaptureCheck::apply`]: ids, result defs,
//! flow rules) as they come back, and reads more while the workers are busy. Several batches are in flight at
//! once, so no worker waits on a barrier at the end of a batch, and at most `2 × threads + 2` of them, so memory
//! stays flat however large the capture is.
//!
//! Nothing here blocks a pool thread: the workers only prepare and send. Called on a pool thread itself (a library
//! user's own `par_iter`), the pipeline prepares each batch inline on that thread instead, since waiting there for
//! another worker could wait forever on a one-thread pool.

use std::collections::BTreeMap;
use std::io::{self, BufRead};
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::mpsc;

use indicatif::ProgressBar;

use crate::check::{self, CaptureCheck, CheckOptions, Finished, Location, Prepared};
use crate::read::{self, Chunk, ChunkBuf, FrameReader, LineChunks, RawFrame};
use crate::{Config, Schemas};

/// A batch is handed to the pool once it holds this many bytes (a chunk of lines) or frames (an array dump).
const BATCH_BYTES: usize = 512 << 10;
const BATCH_FRAMES: usize = 2048;

/// What the pipeline found in one capture.
pub(crate) struct Outcome {
    pub finished: Finished,
    /// Frames read: lines and array elements, valid or not, the `servers` header left out.
    pub messages: u64,
}

/// Checks one capture. I/O errors are returned (exit code 2).
pub(crate) fn run<R: BufRead>(
    schemas: &Schemas,
    config: &Config,
    input: R,
    progress: Option<&ProgressBar>,
) -> io::Result<Outcome> {
    let options = CheckOptions { strict: config.strict, fast_path: config.fast_path };
    let mut source = match FrameReader::new(input, config.max_line_bytes)?.into_line_chunks(BATCH_BYTES) {
        Ok(chunks) => Source::Lines(chunks),
        Err(frames) => Source::Frames(frames),
    };
    let first_line = match &source {
        Source::Lines(chunks) => Some(chunks.first_line()),
        Source::Frames(_) => None,
    };
    let mut applier = Applier::new(schemas, options, config, first_line);
    // On a pool thread, waiting for other workers could wait forever: prepare inline there.
    let inline = rayon::current_thread_index().is_some();
    let max_in_flight = if inline { 1 } else { 2 * rayon::current_num_threads() as u64 + 2 };
    let (prepared_sender, prepared) = mpsc::channel::<(u64, std::thread::Result<PreparedBatch>)>();
    let mut buffers: Vec<ChunkBuf> = Vec::new();
    let mut waiting: BTreeMap<u64, PreparedBatch> = BTreeMap::new();
    let (mut sent, mut applied, mut read_all) = (0u64, 0u64, false);
    rayon::in_place_scope_fifo(|pool| -> io::Result<()> {
        loop {
            while !read_all && sent - applied < max_in_flight {
                let mut bytes = buffers.pop().unwrap_or_default();
                let Some(items) = source.next_batch(&mut bytes, config.max_line_bytes)? else {
                    read_all = true;
                    break;
                };
                let batch = RawBatch { bytes, items, max_line_bytes: config.max_line_bytes };
                let seq = sent;
                sent += 1;
                if inline {
                    waiting.insert(seq, batch.prepare(schemas, options));
                } else {
                    let sender = prepared_sender.clone();
                    pool.spawn_fifo(move |_| {
                        // A panic is handed to the applying thread, which re-raises it, instead of leaving it
                        // waiting for this batch forever.
                        let outcome = catch_unwind(AssertUnwindSafe(|| batch.prepare(schemas, options)));
                        let _ = sender.send((seq, outcome));
                    });
                }
                if let Some(bar) = progress {
                    bar.set_position(source.consumed());
                }
            }
            while let Some(batch) = waiting.remove(&applied) {
                buffers.push(applier.apply(batch));
                applied += 1;
            }
            if applied == sent {
                if read_all {
                    return Ok(());
                }
                continue;
            }
            // Every batch sent and not yet applied is on its way: its task always sends (panics included).
            let (seq, batch) = prepared.recv().expect("the pipeline keeps a sender");
            waiting.insert(seq, batch.unwrap_or_else(|panic| resume_unwind(panic)));
        }
    })?;
    Ok(applier.finish())
}

/// Where batches come from.
enum Source<R> {
    /// JSON Lines: chunks of whole lines, split by the workers.
    Lines(LineChunks<R>),
    /// Array dumps: frames cut one by one by the reader.
    Frames(FrameReader<R>),
}

impl<R: BufRead> Source<R> {
    /// The next batch, its bytes in `bytes`; `None` at the end of the capture.
    fn next_batch(&mut self, bytes: &mut ChunkBuf, max_line_bytes: usize) -> io::Result<Option<RawItems>> {
        match self {
            Source::Lines(chunks) => Ok(chunks.next_chunk(bytes)?.map(|chunk| match chunk {
                Chunk::Lines => RawItems::Lines,
                Chunk::TooLong { len } => RawItems::TooLong { len },
            })),
            Source::Frames(reader) => {
                bytes.clear();
                let mut items = Vec::new();
                while bytes.len() < BATCH_BYTES && items.len() < BATCH_FRAMES {
                    let Some(frame) = reader.next_frame()? else { break };
                    let (at, item) = match frame {
                        RawFrame::Frame { line, index, bytes: frame, last_unterminated } => {
                            let start = bytes.len();
                            bytes.extend_from_slice(frame);
                            (Location { line, index }, RawItem::Frame { range: start..bytes.len(), last_unterminated })
                        }
                        RawFrame::TooLong { line, index, len } => {
                            let message = read::too_long(len, max_line_bytes);
                            (Location { line, index }, RawItem::Unparsable { message, counted: true })
                        }
                        RawFrame::Broken { line, index, message } => {
                            (Location { line, index }, RawItem::Unparsable { message, counted: false })
                        }
                    };
                    items.push((at, item));
                }
                Ok((!items.is_empty()).then_some(RawItems::Frames(items)))
            }
        }
    }

    fn consumed(&self) -> u64 {
        match self {
            Source::Lines(chunks) => chunks.consumed,
            Source::Frames(reader) => reader.consumed,
        }
    }
}

/// A batch on its way to a worker.
struct RawBatch {
    bytes: ChunkBuf,
    items: RawItems,
    max_line_bytes: usize,
}

enum RawItems {
    /// Whole lines following the last batch's, split (and counted) where they are prepared.
    Lines,
    /// One line longer than the limit, following the last batch's lines, its bytes skipped.
    TooLong { len: u64 },
    /// Frames already cut (array dumps, over-long lines), each with its place in the capture.
    Frames(Vec<(Location, RawItem)>),
}

enum RawItem {
    Frame {
        range: Range<usize>,
        last_unterminated: bool,
    },
    /// A reader-level `parse` violation; `counted` says whether it stands for a frame (an over-long one) rather
    /// than for the capture's layout (a broken array, an empty capture).
    Unparsable {
        message: String,
        counted: bool,
    },
}

/// A prepared batch on its way back: its bytes and, per frame, where it is in the capture, its range in `bytes` and
/// what [`check::prepare`] made of it.
struct PreparedBatch {
    bytes: ChunkBuf,
    items: Vec<PreparedItem>,
    /// For lines: how many lines the batch holds; its items' line numbers count from 0, its first line, which only
    /// the applying thread knows (it follows the lines of every batch before). `None`: items are where they say.
    lines: Option<u64>,
}

struct PreparedItem {
    at: Location,
    range: Range<usize>,
    prepared: Prepared,
    /// A frame (or an over-long one), as opposed to a layout error.
    counted: bool,
}

impl RawBatch {
    fn prepare(self, schemas: &Schemas, options: CheckOptions) -> PreparedBatch {
        let RawBatch { bytes, items, max_line_bytes } = self;
        // One UTF-8 check for the whole batch instead of one per frame; only a batch that is not UTF-8 has its frames
        // checked one by one, and the offending ones reported. Frames are cut at ASCII bytes (newlines, array
        // punctuation), so on char boundaries.
        let text = std::str::from_utf8(bytes.as_slice()).ok();
        let prepare_frame =
            |range: &Range<usize>, last_unterminated: bool| match text.and_then(|t| t.get(range.clone())) {
                Some(frame) => check::prepare_text(schemas, options, frame, last_unterminated),
                None => check::prepare(schemas, options, &bytes.as_slice()[range.clone()], last_unterminated),
            };
        let mut prepared = Vec::new();
        let lines = match items {
            RawItems::Lines => {
                prepared.reserve(bytes.len() / 128);
                let lines = read::split_lines(bytes.as_slice(), 0, max_line_bytes, |line| {
                    prepared.push(match line {
                        read::Line::Frame { line, range, last_unterminated } => PreparedItem {
                            at: Location { line, index: None },
                            prepared: prepare_frame(&range, last_unterminated),
                            range,
                            counted: true,
                        },
                        read::Line::TooLong { line, len } => PreparedItem::too_long(line, len, max_line_bytes),
                    })
                });
                Some(lines)
            }
            RawItems::TooLong { len } => {
                prepared.push(PreparedItem::too_long(0, len, max_line_bytes));
                Some(1)
            }
            RawItems::Frames(items) => {
                prepared.reserve(items.len());
                for (at, item) in items {
                    prepared.push(match item {
                        RawItem::Frame { range, last_unterminated } => PreparedItem {
                            at,
                            prepared: prepare_frame(&range, last_unterminated),
                            range,
                            counted: true,
                        },
                        RawItem::Unparsable { message, counted } => {
                            PreparedItem { at, range: 0..0, prepared: Prepared::Unparsable(message), counted }
                        }
                    });
                }
                None
            }
        };
        PreparedBatch { bytes, items: prepared, lines }
    }
}

impl PreparedItem {
    /// A line longer than the limit, at line `line` (of the capture, or of its batch).
    fn too_long(line: u64, len: u64, max_line_bytes: usize) -> PreparedItem {
        let prepared = Prepared::Unparsable(read::too_long(len, max_line_bytes));
        PreparedItem { at: Location { line, index: None }, range: 0..0, prepared, counted: true }
    }
}

/// The capture-order half, on the calling thread.
struct Applier<'s> {
    check: CaptureCheck<'s>,
    /// `--server` entries, added after the capture's own `servers` header (so that theirs win).
    configured: Option<Vec<handoff_flow::ServerInfo>>,
    messages: u64,
    /// Anything at all was read (a frame, a header, a layout error).
    read_any: bool,
    /// JSON Lines: the line number of the next batch's first line. `None` for an array dump, whose reader reports
    /// its own layout errors (`[]` is a well-formed dump with no frames); a JSON Lines capture of which nothing was
    /// read is reported here.
    next_line: Option<u64>,
}

impl<'s> Applier<'s> {
    /// `first_line`: for JSON Lines, the line number of the first batch's first line.
    fn new(schemas: &'s Schemas, options: CheckOptions, config: &Config, first_line: Option<u64>) -> Applier<'s> {
        Applier {
            check: CaptureCheck::new(schemas, options),
            configured: Some(config.servers.clone()),
            messages: 0,
            read_any: false,
            next_line: first_line,
        }
    }

    /// Applies a batch's frames in order; gives back its buffer for the next batch.
    fn apply(&mut self, batch: PreparedBatch) -> ChunkBuf {
        let PreparedBatch { bytes, items, lines } = batch;
        // A batch of lines numbers them from 0: it starts where the batches before it ended.
        let first_line = lines.and(self.next_line);
        if let (Some(next), Some(lines)) = (&mut self.next_line, lines) {
            *next += lines;
        }
        for PreparedItem { mut at, range, prepared, counted } in items {
            at.line += first_line.unwrap_or(0);
            let frame = &bytes.as_slice()[range];
            self.read_any = true;
            if let Some(configured) = self.configured.take() {
                // The capture's first frame may list its app-servers instead of being a message (an over-long
                // frame or a layout error has no bytes here, so it is none).
                if let Some(servers) = read::servers_header(frame) {
                    match servers {
                        Ok(servers) => self.check.add_servers(servers),
                        Err(message) => self.check.parse_error(at, message),
                    }
                    self.check.add_servers(configured);
                    continue;
                }
                self.check.add_servers(configured);
            }
            self.messages += u64::from(counted);
            self.check.apply(at, frame, prepared);
        }
        bytes
    }

    fn finish(mut self) -> Outcome {
        if let Some(configured) = self.configured.take() {
            self.check.add_servers(configured);
        }
        if self.next_line.is_some() && !self.read_any {
            let message = "empty capture: no frames (the file holds only whitespace)".to_owned();
            self.check.parse_error(Location { line: 1, index: None }, message);
        }
        Outcome { finished: self.check.finish(), messages: self.messages }
    }
}
