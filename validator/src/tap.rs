//! The validating stdio tap: `handoff-validate tap [OPTIONS] -- COMMAND [ARGS…]` (and `cargo xtask tap`).
//!
//! The client starts the tap where it would start `codex app-server`. The tap spawns COMMAND and copies the
//! client's stdin to it and its stdout back, byte for byte and line by line (stderr is inherited, untouched). Each
//! forwarding thread hands a copy of every line to a checking thread over an unbounded channel, so a slow check or
//! a violation never blocks, delays or changes traffic.
//!
//! The checking thread writes each line as a capture entry `{"ts_ms","dir","server_id","json"}` (client → server is
//! `out`, server → client is `in`) and feeds exactly that entry to [`CaptureCheck`], the checker `validate` runs:
//! the recording (`--record`) therefore gives `validate` the same diagnostics, at the same line numbers, as the tap
//! printed live. A line that is not JSON is recorded as a string (`"json":"<the text>"`), which the checker
//! reports as a `parse` violation.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::check::{self, CaptureCheck, CheckOptions, Location};
use crate::report::{Diagnostic, Severity};
use crate::{DEFAULT_MAX_LINE_BYTES, Schemas};

/// Exit code when the tap itself cannot run (bad arguments, unstartable child, unwritable record or log).
const TAP_FAILED: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `LABEL:LINE: error[rule]: message (at /pointer)` per diagnostic, as `validate` prints them.
    Human,
    /// One JSON object per diagnostic per line (the fields of `validate --format json`'s violations).
    Json,
}

/// Run COMMAND (e.g. `codex app-server`) behind a validating tap: traffic passes unchanged, every line is checked
/// as it passes, diagnostics go to stderr (or --log) as they happen. Exits with COMMAND's exit status.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Write the session as a JSONL entries capture that `validate` checks the same way.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// The server id of this connection in the capture (as the client knows the app-server).
    #[arg(long, value_name = "ID", default_value = "local")]
    pub server_id: String,
    /// The server's display name: when given, the recording starts with a `{"servers":[{"id","name"}]}` header line
    /// (issue 16's server list, which the capture reader learns to skip and use).
    #[arg(long, value_name = "NAME")]
    pub server_name: Option<String>,
    /// Write diagnostics to FILE instead of stderr.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Diagnostics format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Also warn (rule strict/unknown-member) about members the contract does not know.
    #[arg(long)]
    pub strict: bool,
    /// Lines longer than this are still forwarded, and reported as `parse` violations.
    #[arg(long, default_value_t = DEFAULT_MAX_LINE_BYTES as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_line_bytes: u64,
    /// The command to run and its arguments (after `--`).
    #[arg(required = true, last = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

/// Which way a line travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    /// Client → server (`out` in a capture).
    Out,
    /// Server → client (`in`).
    In,
}

impl Dir {
    fn as_str(self) -> &'static str {
        match self {
            Dir::Out => "out",
            Dir::In => "in",
        }
    }
}

/// What the forwarding threads tell the checking thread.
enum Event {
    Line {
        dir: Dir,
        ts_ms: u64,
        bytes: Vec<u8>,
    },
    /// The child exited and its stdout is drained: finish the check.
    End,
}

/// Runs the tap; returns the exit code (the child's status, or 2 when the tap cannot run).
pub fn run(args: &Args) -> u8 {
    let log: Box<dyn Write + Send> = match &args.log {
        Some(path) => match File::create(path) {
            Ok(file) => Box::new(file),
            Err(error) => {
                eprintln!("tap: error: cannot create the log {}: {error}", path.display());
                return TAP_FAILED;
            }
        },
        None => Box::new(io::stderr()),
    };
    let record = match &args.record {
        Some(path) => match File::create(path) {
            Ok(file) => Some(BufWriter::new(file)),
            Err(error) => {
                eprintln!("tap: error: cannot create the record {}: {error}", path.display());
                return TAP_FAILED;
            }
        },
        None => None,
    };
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let mut child = match Command::new(program)
        .args(rest)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        // Its own process group: a Ctrl-C at the terminal reaches the tap only, which forwards it once.
        .process_group(0)
        .spawn()
    {
        Ok(child) => child,
        Err(error) => {
            eprintln!("tap: error: cannot start `{}`: {error}", program.to_string_lossy());
            return TAP_FAILED;
        }
    };
    let signals = match forward_signals(&child) {
        Ok(signals) => signals,
        Err(error) => {
            eprintln!("tap: error: cannot install signal handlers: {error}");
            let _ = child.kill();
            let _ = child.wait();
            return TAP_FAILED;
        }
    };

    let (events, received) = mpsc::channel::<Event>();
    let checker = Checker::new(args, log, record);
    // The contract is compiled on the checking thread while traffic already flows: the client never waits for it.
    let checking = thread::spawn(move || checker.run(received));

    let child_stdin = child.stdin.take().expect("stdin is piped");
    let client_events = events.clone();
    // Not joined: it may sit in a read of the client's stdin after the child is gone; the process exit ends it.
    thread::spawn(move || forward_client(io::stdin().lock(), child_stdin, &client_events));
    let child_stdout = child.stdout.take().expect("stdout is piped");
    let server_events = events.clone();
    let from_server = thread::spawn(move || forward_server(child_stdout, io::stdout(), &server_events));

    let status = child.wait();
    signals.close();
    let _ = from_server.join();
    let _ = events.send(Event::End);
    let summary = checking.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let code = match status {
        Ok(status) => status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
        Err(error) => {
            eprintln!("tap: error: waiting for the child: {error}");
            i32::from(TAP_FAILED)
        }
    };
    if summary.failed {
        return TAP_FAILED;
    }
    summary.print(args.format, code);
    u8::try_from(code).unwrap_or(1)
}

/// Forwards SIGINT and SIGTERM received by the tap to the child, until closed.
fn forward_signals(child: &Child) -> io::Result<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    let handle = signals.handle();
    let pid = libc::pid_t::try_from(child.id()).map_err(io::Error::other)?;
    thread::spawn(move || {
        for signal in signals.forever() {
            // SAFETY: kill(2) with our own child's pid and a valid signal number has no memory effects.
            unsafe {
                libc::kill(pid, signal);
            }
        }
    });
    Ok(handle)
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Client → child, line by line. The copy goes to the checker before the line is written, so the recording keeps
/// the causal order (a request is recorded before its answer can arrive).
fn forward_client(input: impl BufRead, mut child: ChildStdin, events: &mpsc::Sender<Event>) {
    forward_lines(input, Dir::Out, events, |line| child.write_all(line).and_then(|()| child.flush()));
    // Dropping `child` closes its stdin: the child sees the client's end of input.
}

/// Child → client, line by line; the tap keeps reading (and checking) even when the client stopped listening.
fn forward_server(output: impl Read, mut client: impl Write, events: &mpsc::Sender<Event>) {
    let mut listening = true;
    forward_lines(BufReader::new(output), Dir::In, events, |line| {
        if listening && client.write_all(line).and_then(|()| client.flush()).is_err() {
            listening = false;
        }
        Ok(())
    });
}

/// Reads whole lines (the last one may lack its newline) and hands each to `write` unchanged; stops at the end of
/// input or when `write` fails.
fn forward_lines(
    mut input: impl BufRead,
    dir: Dir,
    events: &mpsc::Sender<Event>,
    mut write: impl FnMut(&[u8]) -> io::Result<()>,
) {
    let mut line = Vec::new();
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        // The checker may be gone only after a panic, which the main thread re-raises.
        let _ = events.send(Event::Line { dir, ts_ms: now_ms(), bytes: line.clone() });
        if write(&line).is_err() {
            return;
        }
    }
}

/// The capture entry for one line (without its line ending): the message inline when the line is JSON, else the
/// line's text as a JSON string.
fn entry_line(ts_ms: u64, dir: Dir, server_id: &str, content: &[u8]) -> Vec<u8> {
    let mut entry = format!(
        "{{\"ts_ms\":{ts_ms},\"dir\":\"{}\",\"server_id\":{},\"json\":",
        dir.as_str(),
        serde_json::Value::from(server_id)
    )
    .into_bytes();
    if serde_json::from_slice::<serde::de::IgnoredAny>(content).is_ok() {
        entry.extend_from_slice(content);
    } else {
        let text = String::from_utf8_lossy(content);
        entry.extend_from_slice(serde_json::Value::from(text.as_ref()).to_string().as_bytes());
    }
    entry.push(b'}');
    entry
}

/// The servers header line of a recording.
fn servers_header(id: &str, name: &str) -> String {
    serde_json::json!({ "servers": [{ "id": id, "name": name }] }).to_string()
}

/// The checking thread's state: the record, the log and what was printed.
struct Checker {
    label: String,
    server_id: String,
    header: Option<String>,
    /// The server's display name (`--server-name`), for attributing handoffs that name it.
    server_name: Option<String>,
    format: Format,
    options: CheckOptions,
    max_line_bytes: usize,
    log: Box<dyn Write + Send>,
    record: Option<BufWriter<File>>,
    record_path: Option<PathBuf>,
}

/// What the tap saw, for its closing line.
struct Summary {
    /// The tap could not check (exit 2 whatever the command's status).
    failed: bool,
    label: String,
    messages: u64,
    errors: usize,
    warnings: usize,
    notes: Vec<String>,
    log: Box<dyn Write + Send>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    path: &'a str,
    line: u64,
    index: Option<u64>,
    rule: &'a str,
    method: Option<&'a str>,
    pointer: &'a str,
    message: &'a str,
    severity: Severity,
}

impl Checker {
    fn new(args: &Args, log: Box<dyn Write + Send>, record: Option<BufWriter<File>>) -> Checker {
        Checker {
            label: args.record.as_ref().map_or_else(|| "tap".to_owned(), |path| path.display().to_string()),
            server_id: args.server_id.clone(),
            header: args.server_name.as_ref().map(|name| servers_header(&args.server_id, name)),
            server_name: args.server_name.clone(),
            format: args.format,
            options: CheckOptions { strict: args.strict, fast_path: true },
            max_line_bytes: usize::try_from(args.max_line_bytes).unwrap_or(usize::MAX),
            log,
            record,
            record_path: args.record.clone(),
        }
    }

    fn run(mut self, events: mpsc::Receiver<Event>) -> Summary {
        let schemas = match Schemas::canonical() {
            Ok(schemas) => schemas,
            Err(error) => {
                // Cannot happen with the embedded contract; if it does, traffic still flows, unchecked, and the
                // tap says so and exits 2.
                self.warn(&format!("cannot compile the contract, traffic is NOT checked: {error}"));
                for _ in events {}
                return Summary::failed(self.label, self.log);
            }
        };
        let schemas = &schemas;
        let mut check = CaptureCheck::new(schemas, self.options);
        // The recording's servers header names this connection: the flow rules attribute handoffs by it, as
        // `validate` does when it reads the header back.
        if let Some(name) = &self.server_name {
            check.add_servers(vec![handoff_flow::ServerInfo::new(self.server_id.clone(), name.clone())]);
        }
        let mut line_number = 0u64;
        let mut messages = 0u64;
        let mut printed: Vec<Diagnostic> = Vec::new();
        if let Some(header) = self.header.take() {
            // The header is read by the capture reader, not checked as a frame; it still takes line 1.
            line_number += 1;
            self.record_line(header.as_bytes());
        }
        for event in events {
            let Event::Line { dir, ts_ms, bytes } = event else { break };
            let content = trim_line_end(&bytes);
            // Blank lines carry no frame; `validate` skips them too.
            if content.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
                continue;
            }
            line_number += 1;
            messages += 1;
            let entry = entry_line(ts_ms, dir, &self.server_id, content);
            self.record_line(&entry);
            let at = Location { line: line_number, index: None };
            if entry.len() > self.max_line_bytes {
                let (len, limit) = (entry.len(), self.max_line_bytes);
                let message = crate::read::too_long(len as u64, limit);
                check.parse_error(at, message);
            } else {
                check.apply(at, &entry, check::prepare(schemas, self.options, &entry, false));
            }
            for diagnostic in &check.listed()[printed.len()..] {
                self.emit(diagnostic);
            }
            printed.extend_from_slice(&check.listed()[printed.len()..]);
        }
        let finished = check.finish();
        // The end checks (handoffs still open) add diagnostics about earlier frames: print those not printed yet.
        let mut already: HashMap<(u64, &str, &str, &str), usize> = HashMap::new();
        for d in &printed {
            *already.entry((d.line, &d.rule, &d.pointer, &d.message)).or_default() += 1;
        }
        for diagnostic in &finished.diagnostics {
            match already.get_mut(&(diagnostic.line, &diagnostic.rule, &diagnostic.pointer, &diagnostic.message)) {
                Some(count) if *count > 0 => *count -= 1,
                _ => self.emit(diagnostic),
            }
        }
        if let Some(mut record) = self.record.take()
            && let Err(error) = record.flush()
        {
            self.warn(&format!("cannot write the record: {error}"));
        }
        let omitted_errors: u64 =
            finished.omitted.iter().filter(|((s, _), _)| *s == Severity::Error).map(|(_, n)| n).sum();
        let omitted_warnings: u64 =
            finished.omitted.iter().filter(|((s, _), _)| *s == Severity::Warning).map(|(_, n)| n).sum();
        Summary {
            failed: false,
            errors: finished.diagnostics.iter().filter(|d| d.severity == Severity::Error).count()
                + omitted_errors as usize,
            warnings: finished.diagnostics.iter().filter(|d| d.severity == Severity::Warning).count()
                + omitted_warnings as usize,
            notes: finished.notes,
            label: self.label,
            messages,
            log: self.log,
        }
    }

    /// Appends one line to the record; a write error is reported once and ends the recording (never the traffic).
    fn record_line(&mut self, line: &[u8]) {
        let Some(record) = self.record.as_mut() else { return };
        let written = record.write_all(line).and_then(|()| record.write_all(b"\n")).and_then(|()| record.flush());
        if let Err(error) = written {
            self.record = None;
            let path = self.record_path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
            self.warn(&format!("cannot write the record {path}: {error}; recording stopped"));
        }
    }

    fn warn(&mut self, text: &str) {
        let _ = writeln!(self.log, "tap: warning: {text}");
    }

    fn emit(&mut self, d: &Diagnostic) {
        let text = match self.format {
            Format::Human => {
                let severity = match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                let at = if d.pointer.is_empty() { String::new() } else { format!(" (at {})", d.pointer) };
                format!("{}:{}: {severity}[{}]: {}{at}", self.label, d.line, d.rule, d.message)
            }
            Format::Json => serde_json::to_string(&JsonDiagnostic {
                path: &self.label,
                line: d.line,
                index: d.index,
                rule: &d.rule,
                method: d.method.as_deref(),
                pointer: &d.pointer,
                message: &d.message,
                severity: d.severity,
            })
            .expect("a diagnostic always serializes"),
        };
        let _ = writeln!(self.log, "{text}");
        let _ = self.log.flush();
    }
}

impl Summary {
    fn failed(label: String, log: Box<dyn Write + Send>) -> Summary {
        Summary { failed: true, label, messages: 0, errors: 0, warnings: 0, notes: Vec::new(), log }
    }

    fn print(mut self, format: Format, exit: i32) {
        let text = match format {
            Format::Human => {
                let mut text = String::new();
                for note in &self.notes {
                    text.push_str(&format!("{}: note: {note}\n", self.label));
                }
                text.push_str(&format!(
                    "tap: {} message(s): {} error(s), {} warning(s); the command exited with status {exit}",
                    self.messages, self.errors, self.warnings
                ));
                text
            }
            Format::Json => serde_json::json!({
                "summary": {
                    "path": self.label,
                    "messages": self.messages,
                    "errors": self.errors,
                    "warnings": self.warnings,
                    "notes": self.notes,
                    "exit_status": exit,
                }
            })
            .to_string(),
        };
        let _ = writeln!(self.log, "{text}");
        let _ = self.log.flush();
    }
}

/// The line without its `\n` or `\r\n`.
fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_are_embedded_and_other_lines_become_strings() {
        let entry = entry_line(5, Dir::Out, "local", br#"{"id":1,"method":"initialize"}"#);
        assert_eq!(
            String::from_utf8(entry).unwrap(),
            r#"{"ts_ms":5,"dir":"out","server_id":"local","json":{"id":1,"method":"initialize"}}"#
        );
        let entry = entry_line(6, Dir::In, "a\"b", b"hello \"world\"");
        assert_eq!(
            String::from_utf8(entry).unwrap(),
            r#"{"ts_ms":6,"dir":"in","server_id":"a\"b","json":"hello \"world\""}"#
        );
    }

    #[test]
    fn line_ends_are_trimmed_for_the_check_only() {
        assert_eq!(trim_line_end(b"{}\r\n"), b"{}");
        assert_eq!(trim_line_end(b"{}\n"), b"{}");
        assert_eq!(trim_line_end(b"{}"), b"{}");
    }

    #[test]
    fn the_header_names_the_server() {
        assert_eq!(servers_header("srv_1", "bigpc"), r#"{"servers":[{"id":"srv_1","name":"bigpc"}]}"#);
    }
}
