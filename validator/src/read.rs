//! Capture readers: split a byte stream into frames without loading the whole input.
//!
//! Two physical layouts exist: JSON Lines (formats 1 and 3 of design.md; one frame per line) and the mobile
//! recorder's dump (format 2; one JSON array whose elements are the frames). The layout is detected from the first
//! non-whitespace byte. Both readers keep one reusable buffer of at most `max_frame_bytes`, so memory stays flat
//! however large the capture is.

use std::io::{self, BufRead, Read};

use handoff_flow::ServerInfo;
use serde_json::Value;

/// One frame as the reader found it, before any JSON parsing.
#[derive(Debug)]
pub enum RawFrame<'a> {
    /// The frame's bytes; `index` is the array element number for dumps.
    Frame { line: u64, index: Option<u64>, bytes: &'a [u8], last_unterminated: bool },
    /// A frame longer than the limit; its bytes were skipped.
    TooLong { line: u64, index: Option<u64>, len: u64 },
    /// The capture's layout is broken at `line` (truncated array, data after the array, empty file); reading stops.
    Broken { line: u64, index: Option<u64>, message: String },
}

/// Physical layout of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    JsonLines,
    Array,
}

/// Reads frames from either layout.
pub struct FrameReader<R> {
    input: R,
    layout: Layout,
    max_frame_bytes: usize,
    buffer: Vec<u8>,
    /// Line of the next unread byte (1-based).
    line: u64,
    /// Array dumps only: the next element number and the scanner state.
    next_index: u64,
    array_state: ArrayState,
    finished: bool,
    /// Set once a frame (or a layout error) was produced, to tell an empty capture apart.
    produced: bool,
    /// Bytes consumed so far, for the progress bar.
    pub consumed: u64,
    /// The first frame, read by [`FrameReader::servers_header`] when it was not a header.
    stashed: Option<Outcome>,
}

/// The optional first frame of a capture that lists its app-servers: `{"servers":[{"id":…,"name":…},…]}`.
#[derive(Debug)]
pub struct ServersHeader {
    pub line: u64,
    pub index: Option<u64>,
    /// The servers, or why the header is unusable (a `parse` violation at the header).
    pub servers: Result<Vec<ServerInfo>, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArrayState {
    /// Just after `[`: an element or `]`.
    First,
    /// After `,`: an element must follow.
    Element,
    /// After an element: `,` or `]`.
    Separator,
    /// After the closing `]`: only whitespace.
    Closed,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<R: BufRead> FrameReader<R> {
    /// Detects the layout from the first non-whitespace byte (a leading UTF-8 byte-order mark is skipped).
    pub fn new(mut input: R, max_frame_bytes: usize) -> io::Result<FrameReader<R>> {
        let mut line = 1;
        let mut consumed = 0u64;
        let mut layout = Layout::JsonLines;
        let mut first = true;
        loop {
            let available = input.fill_buf()?;
            if available.is_empty() {
                break;
            }
            let mut skip = 0;
            if first && available.starts_with(BOM) {
                skip = BOM.len();
            }
            first = false;
            let rest = &available[skip..];
            let whitespace = rest.iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')).count();
            line += rest[..whitespace].iter().filter(|&&b| b == b'\n').count() as u64;
            let stop = rest.get(whitespace).copied();
            let used = skip + whitespace + usize::from(stop == Some(b'['));
            if stop == Some(b'[') {
                layout = Layout::Array;
            }
            input.consume(used);
            consumed += used as u64;
            if stop.is_some() {
                break;
            }
        }
        Ok(FrameReader {
            input,
            layout,
            max_frame_bytes,
            buffer: Vec::new(),
            line,
            next_index: 0,
            array_state: ArrayState::First,
            finished: false,
            // An empty array `[]` is a well-formed dump with no frames, unlike an empty file.
            produced: layout == Layout::Array,
            consumed,
            stashed: None,
        })
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// A JSON Lines capture from here on read in chunks instead of frame by frame ([`LineChunks`]); `None` (the
    /// reader given back) for an array dump or once a frame was read.
    pub fn into_line_chunks(self, chunk_bytes: usize) -> Result<LineChunks<R>, FrameReader<R>> {
        if self.layout != Layout::JsonLines || self.produced || self.stashed.is_some() {
            return Err(self);
        }
        Ok(LineChunks {
            input: self.input,
            max_line_bytes: self.max_frame_bytes,
            chunk_bytes: chunk_bytes.max(1),
            first_line: self.line,
            carry: Vec::new(),
            ended: false,
            consumed: self.consumed,
        })
    }

    /// The next frame, or `None` at the end of the capture. I/O errors are returned as such (exit 2).
    pub fn next_frame(&mut self) -> io::Result<Option<RawFrame<'_>>> {
        if self.finished {
            return Ok(None);
        }
        let outcome = match self.stashed.take() {
            Some(outcome) => outcome,
            None => self.read_outcome()?,
        };
        match outcome {
            Outcome::Frame { line, index, len, last_unterminated } => {
                self.produced = true;
                Ok(Some(RawFrame::Frame { line, index, bytes: &self.buffer[..len], last_unterminated }))
            }
            Outcome::TooLong { line, index, len } => {
                self.produced = true;
                Ok(Some(RawFrame::TooLong { line, index, len }))
            }
            Outcome::Broken { line, index, message } => {
                self.produced = true;
                self.finished = true;
                Ok(Some(RawFrame::Broken { line, index, message }))
            }
            Outcome::End => {
                self.finished = true;
                if self.produced {
                    Ok(None)
                } else {
                    self.produced = true;
                    let message = "empty capture: no frames (the file holds only whitespace)".to_owned();
                    Ok(Some(RawFrame::Broken { line: 1, index: None, message }))
                }
            }
        }
    }

    fn read_outcome(&mut self) -> io::Result<Outcome> {
        match self.layout {
            Layout::JsonLines => self.next_line(),
            Layout::Array => self.next_element(),
        }
    }

    /// The capture's `servers` header, when its first frame is one (in either layout); otherwise the first frame is
    /// kept for [`FrameReader::next_frame`]. Call it once, before the first `next_frame`.
    pub fn servers_header(&mut self) -> io::Result<Option<ServersHeader>> {
        if self.finished || self.stashed.is_some() {
            return Ok(None);
        }
        let outcome = self.read_outcome()?;
        if let Outcome::Frame { line, index, len, .. } = outcome
            && let Some(servers) = servers_header(&self.buffer[..len])
        {
            self.produced = true;
            return Ok(Some(ServersHeader { line, index, servers }));
        }
        self.stashed = Some(outcome);
        Ok(None)
    }

    /// JSON Lines: the next non-blank line, without its `\n` / `\r\n`.
    fn next_line(&mut self) -> io::Result<Outcome> {
        loop {
            self.buffer.clear();
            let line = self.line;
            let mut len: u64 = 0;
            let mut terminated = false;
            loop {
                let available = self.input.fill_buf()?;
                if available.is_empty() {
                    break;
                }
                let (chunk, used) = match memchr::memchr(b'\n', available) {
                    Some(at) => {
                        terminated = true;
                        (&available[..at], at + 1)
                    }
                    None => (available, available.len()),
                };
                len += chunk.len() as u64;
                // Past the limit the bytes are counted, not kept: one oversized line must not take the memory.
                if len <= self.max_frame_bytes as u64 {
                    self.buffer.extend_from_slice(chunk);
                }
                self.input.consume(used);
                self.consumed += used as u64;
                if terminated {
                    break;
                }
            }
            if terminated {
                self.line += 1;
            }
            if !terminated && len == 0 {
                return Ok(Outcome::End);
            }
            if len > self.max_frame_bytes as u64 {
                return Ok(Outcome::TooLong { line, index: None, len });
            }
            if self.buffer.last() == Some(&b'\r') {
                self.buffer.pop();
            }
            if self.buffer.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
                if terminated {
                    continue;
                }
                return Ok(Outcome::End);
            }
            let len = self.buffer.len();
            return Ok(Outcome::Frame { line, index: None, len, last_unterminated: !terminated });
        }
    }

    /// Array dump: the next element's bytes, found by tracking strings and bracket depth byte by byte.
    fn next_element(&mut self) -> io::Result<Outcome> {
        self.buffer.clear();
        // Skip whitespace and separators until an element starts, the array closes or the input ends.
        loop {
            let Some(byte) = self.peek_byte()? else {
                return Ok(match self.array_state {
                    ArrayState::Closed => Outcome::End,
                    _ => Outcome::Broken {
                        line: self.line,
                        index: None,
                        message: "truncated capture: the array dump ends without its closing `]`".to_owned(),
                    },
                });
            };
            match (byte, self.array_state) {
                (b' ' | b'\t' | b'\r' | b'\n', _) => self.take_byte(byte),
                (b']', ArrayState::First | ArrayState::Separator) => {
                    self.take_byte(byte);
                    self.array_state = ArrayState::Closed;
                }
                (b',', ArrayState::Separator) => {
                    self.take_byte(byte);
                    self.array_state = ArrayState::Element;
                }
                (_, ArrayState::First | ArrayState::Element) => break,
                (_, ArrayState::Closed) => {
                    return Ok(Outcome::Broken {
                        line: self.line,
                        index: None,
                        message: format!("unexpected data after the closing `]` of the array dump: {}", show(byte)),
                    });
                }
                (_, ArrayState::Separator) => {
                    return Ok(Outcome::Broken {
                        line: self.line,
                        index: Some(self.next_index),
                        message: format!("expected `,` or `]` between array elements, found {}", show(byte)),
                    });
                }
            }
        }
        let line = self.line;
        let index = self.next_index;
        self.next_index += 1;
        let mut depth: u64 = 0;
        let mut in_string = false;
        let mut escaped = false;
        let mut len: u64 = 0;
        loop {
            let available = self.input.fill_buf()?;
            if available.is_empty() {
                let message = if depth == 0 && !in_string {
                    "truncated capture: the array dump ends without its closing `]`"
                } else {
                    "truncated capture: the last array element is cut off"
                };
                return Ok(Outcome::Broken { line, index: Some(index), message: message.to_owned() });
            }
            let mut end = None;
            let mut newlines = 0;
            for (at, &byte) in available.iter().enumerate() {
                if byte == b'\n' {
                    newlines += 1;
                }
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if byte == b'\\' {
                        escaped = true;
                    } else if byte == b'"' {
                        in_string = false;
                    }
                    continue;
                }
                match byte {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => depth -= 1,
                    b',' | b']' if depth == 0 => {
                        end = Some(at);
                        break;
                    }
                    _ => {}
                }
            }
            let used = end.unwrap_or(available.len());
            let chunk = &available[..used];
            len += chunk.len() as u64;
            if len <= self.max_frame_bytes as u64 {
                self.buffer.extend_from_slice(chunk);
            }
            self.line += newlines;
            self.input.consume(used);
            self.consumed += used as u64;
            if end.is_some() {
                break;
            }
        }
        self.array_state = ArrayState::Separator;
        if len > self.max_frame_bytes as u64 {
            return Ok(Outcome::TooLong { line, index: Some(index), len });
        }
        while self.buffer.last().is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
            self.buffer.pop();
        }
        let len = self.buffer.len();
        Ok(Outcome::Frame { line, index: Some(index), len, last_unterminated: false })
    }

    fn peek_byte(&mut self) -> io::Result<Option<u8>> {
        Ok(self.input.fill_buf()?.first().copied())
    }

    fn take_byte(&mut self, byte: u8) {
        if byte == b'\n' {
            self.line += 1;
        }
        self.input.consume(1);
        self.consumed += 1;
    }
}

/// Reads `frame` as a `servers` header: `None` when it is no header (a frame with members of an entry or a
/// message), else the servers or why they are unusable. Ids must be non-empty and distinct; a missing name is the id.
pub fn servers_header(frame: &[u8]) -> Option<Result<Vec<ServerInfo>, String>> {
    // Cheap test first: only a frame that mentions `"servers"` can be a header.
    memchr::memmem::find(frame, b"\"servers\"")?;
    let Ok(Value::Object(header)) = serde_json::from_slice::<Value>(frame) else { return None };
    const OTHER: [&str; 6] = ["json", "dir", "method", "id", "result", "error"];
    if !header.contains_key("servers") || OTHER.iter().any(|member| header.contains_key(*member)) {
        return None;
    }
    let bad = |why: String| {
        Some(Err(format!("the `servers` header must be {{\"servers\":[{{\"id\":…,\"name\":…}},…]}}: {why}")))
    };
    if let Some(other) = header.keys().find(|key| *key != "servers") {
        return bad(format!("unknown member `{other}`"));
    }
    let Some(list) = header["servers"].as_array() else { return bad("`servers` is not an array".to_owned()) };
    let mut servers: Vec<ServerInfo> = Vec::with_capacity(list.len());
    for (at, entry) in list.iter().enumerate() {
        let id = entry.get("id").and_then(Value::as_str).map(str::trim).filter(|id| !id.is_empty());
        let Some(id) = id else { return bad(format!("server {at} has no non-empty string `id`")) };
        let name = match entry.get("name") {
            None | Some(Value::Null) => id,
            Some(Value::String(name)) => name.trim(),
            Some(_) => return bad(format!("the `name` of server {id:?} is not a string")),
        };
        if servers.iter().any(|server| server.id == id) {
            return bad(format!("server id {id:?} is listed twice"));
        }
        servers.push(ServerInfo::new(id, name));
    }
    Some(Ok(servers))
}

/// The `parse` message of a frame longer than the limit (its bytes were not kept).
pub fn too_long(len: u64, limit: usize) -> String {
    format!("frame of {len} bytes is longer than the limit of {limit} bytes (--max-line-bytes)")
}

/// A JSON Lines capture read in chunks of whole lines, for the validator's pipeline: the reading thread only moves
/// bytes (one read into the chunk's own buffer, no copy per line); the lines are split where they are checked, in
/// parallel ([`split_lines`]). Memory stays flat: a chunk is about `chunk_bytes`, and grows past that only for a
/// line longer than a chunk, up to the line limit; a longer line is skipped unread.
pub struct LineChunks<R> {
    input: R,
    max_line_bytes: usize,
    chunk_bytes: usize,
    /// Line number of the first chunk's first line (later ones are counted where the lines are split).
    first_line: u64,
    /// The start of a line the last chunk cut off, for the next chunk.
    carry: Vec<u8>,
    ended: bool,
    /// Bytes read so far, for the progress bar.
    pub consumed: u64,
}

/// What [`LineChunks::next_chunk`] put in the buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Chunk {
    /// Whole lines, the first of them the line after the last chunk's; only the capture's last line may lack its
    /// `\n`.
    Lines,
    /// One line longer than the limit and than a chunk: its bytes were skipped (the buffer is empty).
    TooLong { len: u64 },
}

/// A reusable batch buffer: `bytes[..len]` is the batch; the rest stays allocated and initialized, so that reading
/// the next chunk into it neither zeroes memory nor goes through the `BufRead`'s own buffer.
#[derive(Debug, Default)]
pub struct ChunkBuf {
    bytes: Vec<u8>,
    len: usize,
}

impl ChunkBuf {
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    pub fn extend_from_slice(&mut self, more: &[u8]) {
        let end = self.len + more.len();
        if self.bytes.len() < end {
            self.bytes.resize(end, 0);
        }
        self.bytes[self.len..end].copy_from_slice(more);
        self.len = end;
    }
}

impl<R: Read> LineChunks<R> {
    /// The line number of the first chunk's first line: the lines of a chunk follow those of the one before.
    pub fn first_line(&self) -> u64 {
        self.first_line
    }

    /// Fills `chunk` (emptied first) with the next chunk; `None` at the end of the capture.
    pub fn next_chunk(&mut self, chunk: &mut ChunkBuf) -> io::Result<Option<Chunk>> {
        chunk.clear();
        chunk.extend_from_slice(&self.carry);
        self.carry.clear();
        let mut target = self.chunk_bytes;
        loop {
            self.read_up_to(chunk, target)?;
            if self.ended {
                if chunk.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(Chunk::Lines));
            }
            match memchr::memrchr(b'\n', chunk.as_slice()) {
                Some(end) => {
                    self.carry.extend_from_slice(&chunk.as_slice()[end + 1..]);
                    chunk.len = end + 1;
                    return Ok(Some(Chunk::Lines));
                }
                // One line so far, longer than the limit: the rest of it is counted, not kept.
                None if chunk.len() > self.max_line_bytes => {
                    let len = self.skip_line(chunk)?;
                    return Ok(Some(Chunk::TooLong { len }));
                }
                // One line longer than a chunk (and within the limit): the chunk grows to hold it.
                None => target = chunk.len() + self.chunk_bytes,
            }
        }
    }

    /// Reads until `chunk` holds `target` bytes or the input ends.
    fn read_up_to(&mut self, chunk: &mut ChunkBuf, target: usize) -> io::Result<()> {
        if chunk.bytes.len() < target {
            chunk.bytes.resize(target, 0);
        }
        while chunk.len < target && !self.ended {
            match self.input.read(&mut chunk.bytes[chunk.len..target]) {
                Ok(0) => self.ended = true,
                Ok(read) => {
                    chunk.len += read;
                    self.consumed += read as u64;
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// Skips the rest of an over-long line whose start is in `chunk` (no `\n` in it); returns the line's length
    /// without its `\n`, and keeps what follows the line for the next chunk. `chunk` is left empty.
    fn skip_line(&mut self, chunk: &mut ChunkBuf) -> io::Result<u64> {
        let mut len = chunk.len() as u64;
        loop {
            chunk.clear();
            self.read_up_to(chunk, self.chunk_bytes)?;
            if let Some(end) = memchr::memchr(b'\n', chunk.as_slice()) {
                len += end as u64;
                self.carry.extend_from_slice(&chunk.as_slice()[end + 1..]);
                chunk.clear();
                return Ok(len);
            }
            len += chunk.len() as u64;
            if self.ended {
                chunk.clear();
                return Ok(len);
            }
        }
    }
}

/// One line of a chunk, as [`split_lines`] finds it.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A frame: line number, its range in the chunk (without `\r\n`), whether it is the capture's last line and
    /// lacks its `\n`.
    Frame { line: u64, range: std::ops::Range<usize>, last_unterminated: bool },
    /// A line longer than the limit; `len` counts its bytes without the `\n`.
    TooLong { line: u64, len: u64 },
}

/// The frames of a chunk of whole lines starting at `first_line`, blank lines (spaces, tabs, `\r`) left out, in
/// order, as [`FrameReader`] reads them one by one. Returns how many lines of the chunk end with `\n` (the next
/// chunk's first line is that many after this one's).
pub fn split_lines(chunk: &[u8], first_line: u64, max_line_bytes: usize, mut each: impl FnMut(Line)) -> u64 {
    let mut start = 0;
    let mut line = first_line;
    let mut ends = memchr::memchr_iter(b'\n', chunk);
    while start < chunk.len() {
        let (end, terminated) = match ends.next() {
            Some(end) => (end, true),
            None => (chunk.len(), false),
        };
        let len = end - start;
        if len > max_line_bytes {
            each(Line::TooLong { line, len: len as u64 });
        } else {
            let content = match chunk[start..end].last() {
                Some(b'\r') => start..end - 1,
                _ => start..end,
            };
            if !chunk[content.clone()].iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
                each(Line::Frame { line, range: content, last_unterminated: !terminated });
            }
        }
        if !terminated {
            break;
        }
        line += 1;
        start = end + 1;
    }
    line - first_line
}

enum Outcome {
    Frame { line: u64, index: Option<u64>, len: usize, last_unterminated: bool },
    TooLong { line: u64, index: Option<u64>, len: u64 },
    Broken { line: u64, index: Option<u64>, message: String },
    End,
}

fn show(byte: u8) -> String {
    if byte.is_ascii_graphic() { format!("`{}`", byte as char) } else { format!("byte 0x{byte:02x}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8], max: usize) -> (Layout, Vec<String>) {
        let mut reader = FrameReader::new(input, max).unwrap();
        let layout = reader.layout();
        let mut out = Vec::new();
        while let Some(frame) = reader.next_frame().unwrap() {
            out.push(match frame {
                RawFrame::Frame { line, index, bytes, last_unterminated } => {
                    format!("{line}:{index:?}:{}:{last_unterminated}", String::from_utf8_lossy(bytes))
                }
                RawFrame::TooLong { line, index, len } => format!("{line}:{index:?}:too long {len}"),
                RawFrame::Broken { line, index, message } => format!("{line}:{index:?}:broken {message}"),
            });
        }
        (layout, out)
    }

    #[test]
    fn json_lines_skip_blank_lines_and_count_lines() {
        let (layout, out) = frames(b"\n{\"a\":1}\r\n\n  \n{\"b\":2}", 100);
        assert_eq!(layout, Layout::JsonLines);
        assert_eq!(out, ["2:None:{\"a\":1}:false", "5:None:{\"b\":2}:true"]);
    }

    #[test]
    fn long_lines_are_skipped_and_reported() {
        let (_, out) = frames(b"{\"a\":\"xxxxxxxxxx\"}\n{}\n", 8);
        assert_eq!(out, ["1:None:too long 18", "2:None:{}:false"]);
    }

    #[test]
    fn array_elements_carry_line_and_index() {
        let input = b"\xEF\xBB\xBF\n[\n {\"json\":\"{\\\"a\\\":\\\"],\\\"}\"},\n {\"b\":[1,2]}\n]\n";
        let (layout, out) = frames(input, 100);
        assert_eq!(layout, Layout::Array);
        assert_eq!(out, ["3:Some(0):{\"json\":\"{\\\"a\\\":\\\"],\\\"}\"}:false", "4:Some(1):{\"b\":[1,2]}:false"]);
    }

    #[test]
    fn broken_arrays_are_reported() {
        assert_eq!(
            frames(b"[{}, {\"a\":", 100).1,
            ["1:Some(0):{}:false", "1:Some(1):broken truncated capture: the last array element is cut off"]
        );
        assert_eq!(
            frames(b"[{}\n", 100).1,
            ["1:Some(0):broken truncated capture: the array dump ends without its closing `]`"]
        );
        assert_eq!(
            frames(b"[{},\n", 100).1,
            ["1:Some(0):{}:false", "2:None:broken truncated capture: the array dump ends without its closing `]`"]
        );
        assert_eq!(
            frames(b"[] x", 100).1,
            ["1:None:broken unexpected data after the closing `]` of the array dump: `x`"]
        );
        // A missing comma leaves both values in one element; serde_json then rejects its trailing characters.
        assert_eq!(frames(b"[{} {}]", 100).1, ["1:Some(0):{} {}:false"]);
        assert_eq!(frames(b"[]", 100).1, Vec::<String>::new());
    }

    #[test]
    fn empty_input_is_reported_once() {
        for input in [&b""[..], b"  \n\n", b"\xEF\xBB\xBF"] {
            let (_, out) = frames(input, 100);
            assert_eq!(out, ["1:None:broken empty capture: no frames (the file holds only whitespace)"]);
        }
    }

    #[test]
    fn tiny_buffers_split_the_same_way() {
        let input = b"[{\"a\":\"x,]\"},\n{\"b\":1}]";
        let reader = std::io::BufReader::with_capacity(1, &input[..]);
        let mut frames = FrameReader::new(reader, 100).unwrap();
        let mut seen = Vec::new();
        while let Some(RawFrame::Frame { bytes, line, .. }) = frames.next_frame().unwrap() {
            seen.push((line, String::from_utf8(bytes.to_vec()).unwrap()));
        }
        assert_eq!(seen, [(1, "{\"a\":\"x,]\"}".to_owned()), (2, "{\"b\":1}".to_owned())]);
    }

    #[test]
    fn a_servers_header_is_read_first_in_both_layouts() {
        let header = r#"{"servers":[{"id":"srv_7f3a91","name":"bigpc"},{"id":"local"}]}"#;
        let frame = r#"{"ts_ms":1,"dir":"in","server_id":"local","json":{"method":"x"}}"#;
        for capture in [format!("{header}\n{frame}\n"), format!("[{header},\n{frame}]")] {
            let mut reader = FrameReader::new(capture.as_bytes(), 1000).unwrap();
            let header = reader.servers_header().unwrap().expect("a header");
            let servers = header.servers.expect("well-formed");
            assert_eq!(servers, [ServerInfo::new("srv_7f3a91", "bigpc"), ServerInfo::new("local", "local")]);
            match reader.next_frame().unwrap() {
                Some(RawFrame::Frame { line, bytes, .. }) => assert_eq!((line, bytes), (2, frame.as_bytes())),
                other => panic!("{other:?}"),
            }
            assert!(reader.next_frame().unwrap().is_none());
        }
    }

    #[test]
    fn without_a_header_the_first_frame_stays() {
        let frame = r#"{"method":"x","params":{"servers":[]}}"#;
        let mut reader = FrameReader::new(frame.as_bytes(), 1000).unwrap();
        assert!(reader.servers_header().unwrap().is_none());
        assert!(matches!(reader.next_frame().unwrap(), Some(RawFrame::Frame { line: 1, .. })));
        assert!(reader.next_frame().unwrap().is_none());
        let mut empty = FrameReader::new(&b""[..], 1000).unwrap();
        assert!(empty.servers_header().unwrap().is_none());
        assert!(matches!(empty.next_frame().unwrap(), Some(RawFrame::Broken { .. })), "still an empty capture");
    }

    #[test]
    fn bad_headers_say_why() {
        for (header, why) in [
            (r#"{"servers":5}"#, "not an array"),
            (r#"{"servers":[{"name":"x"}]}"#, "no non-empty string `id`"),
            (r#"{"servers":[{"id":"a"},{"id":"a"}]}"#, "listed twice"),
            (r#"{"servers":[{"id":"a","name":3}]}"#, "not a string"),
            (r#"{"servers":[],"extra":1}"#, "unknown member `extra`"),
        ] {
            let error = servers_header(header.as_bytes()).expect("a header").expect_err(header);
            assert!(error.contains(why), "{header}: {error}");
        }
    }

    /// One outcome of either reader, for comparing them.
    #[derive(Debug, PartialEq, Eq)]
    enum Seen {
        Frame { line: u64, bytes: Vec<u8>, last_unterminated: bool },
        TooLong { line: u64, len: u64 },
    }

    fn by_frames(input: &[u8], max: usize) -> (Vec<Seen>, bool) {
        let mut reader = FrameReader::new(input, max).unwrap();
        let (mut seen, mut empty) = (Vec::new(), false);
        while let Some(frame) = reader.next_frame().unwrap() {
            match frame {
                RawFrame::Frame { line, bytes, last_unterminated, .. } => {
                    seen.push(Seen::Frame { line, bytes: bytes.to_vec(), last_unterminated })
                }
                RawFrame::TooLong { line, len, .. } => seen.push(Seen::TooLong { line, len }),
                RawFrame::Broken { message, .. } => {
                    assert!(message.starts_with("empty capture"), "{message}");
                    empty = true;
                }
            }
        }
        (seen, empty)
    }

    /// `None` for an array dump (no chunks).
    fn by_chunks(input: &[u8], max: usize, chunk: usize, read_size: usize) -> Option<Vec<Seen>> {
        let buffered = std::io::BufReader::with_capacity(read_size, input);
        let mut chunks = FrameReader::new(buffered, max).unwrap().into_line_chunks(chunk).ok()?;
        let (mut seen, mut buffer) = (Vec::new(), ChunkBuf::default());
        let mut first_line = chunks.first_line();
        while let Some(found) = chunks.next_chunk(&mut buffer).unwrap() {
            match found {
                Chunk::Lines => {
                    first_line += split_lines(buffer.as_slice(), first_line, max, |line| {
                        seen.push(match line {
                            Line::Frame { line, range, last_unterminated } => {
                                Seen::Frame { line, bytes: buffer.as_slice()[range].to_vec(), last_unterminated }
                            }
                            Line::TooLong { line, len } => Seen::TooLong { line, len },
                        })
                    })
                }
                Chunk::TooLong { len } => {
                    assert!(buffer.is_empty());
                    seen.push(Seen::TooLong { line: first_line, len });
                    first_line += 1;
                }
            }
        }
        assert_eq!(chunks.consumed, input.len() as u64);
        Some(seen)
    }

    #[test]
    fn chunks_cut_lines_like_the_frame_reader_at_the_edges() {
        for input in [
            &b""[..],
            b"\n\n  \r\n",
            b"{}",
            b"{}\n",
            b"\xEF\xBB\xBF\n{\"a\":1}\r\n\r\n\t\n{\"b\":2}",
            b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n{}\nyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy",
            b"{}\r",
            b"          \n{}",
        ] {
            let (frames, empty) = by_frames(input, 16);
            for chunk in [1, 2, 7, 64] {
                let chunks = by_chunks(input, 16, chunk, 3).expect("JSON Lines");
                assert_eq!(chunks, frames, "{:?} in chunks of {chunk}", String::from_utf8_lossy(input));
                assert_eq!(empty, frames.is_empty());
            }
        }
    }

    proptest::proptest! {
        /// Lines of every kind (blank, `\r\n`, whitespace only, longer than the limit, longer than a chunk, the
        /// last one unterminated) come out of chunks exactly as the frame reader cuts them, whatever the chunk size.
        #[test]
        fn chunks_cut_lines_like_the_frame_reader(
            lines in proptest::collection::vec("[a{} \t\r]{0,40}", 0..30),
            final_newline: bool,
            max in 1usize..48,
            chunk in 1usize..96,
            read_size in 1usize..64,
        ) {
            let mut input = lines.join("\n");
            if final_newline {
                input.push('\n');
            }
            let (frames, empty) = by_frames(input.as_bytes(), max);
            let chunks = by_chunks(input.as_bytes(), max, chunk, read_size).expect("JSON Lines");
            proptest::prop_assert_eq!(&chunks, &frames);
            proptest::prop_assert_eq!(empty, frames.is_empty());
        }
    }
}
