//! The parallel pipeline (chunks of lines, several batches in flight, prepared on the pool, applied in capture order)
//! gives exactly the report of checking the same capture one frame at a time, and it always finishes: several large
//! captures in one call, a one-thread pool, a caller that is itself a pool thread.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use handoff_validator::check::{self, CaptureCheck, CheckOptions, Location};
use handoff_validator::read::{self, FrameReader, RawFrame};
use handoff_validator::{Config, FileReport, Schemas, validate_reader};

fn schemas() -> &'static Schemas {
    static SCHEMAS: std::sync::OnceLock<Schemas> = std::sync::OnceLock::new();
    SCHEMAS.get_or_init(|| Schemas::canonical().unwrap())
}

/// The reference: the capture read frame by frame, each frame prepared and applied before the next is read.
fn one_by_one(config: &Config, capture: &[u8]) -> FileReport {
    let schemas = schemas();
    let options = CheckOptions { strict: config.strict, fast_path: config.fast_path };
    let mut reader = FrameReader::new(capture, config.max_line_bytes).unwrap();
    let mut check = CaptureCheck::new(schemas, options);
    if let Some(header) = reader.servers_header().unwrap() {
        match header.servers {
            Ok(servers) => check.add_servers(servers),
            Err(message) => check.parse_error(Location { line: header.line, index: header.index }, message),
        }
    }
    check.add_servers(config.servers.clone());
    let mut messages = 0;
    while let Some(frame) = reader.next_frame().unwrap() {
        match frame {
            RawFrame::Frame { line, index, bytes, last_unterminated } => {
                messages += 1;
                let prepared = check::prepare(schemas, options, bytes, last_unterminated);
                check.apply(Location { line, index }, bytes, prepared);
            }
            RawFrame::TooLong { line, index, len } => {
                messages += 1;
                check.parse_error(Location { line, index }, read::too_long(len, config.max_line_bytes));
            }
            RawFrame::Broken { line, index, message } => check.parse_error(Location { line, index }, message),
        }
    }
    let finished = check.finish();
    FileReport {
        path: "capture".into(),
        messages,
        diagnostics: finished.diagnostics,
        notes: finished.notes,
        read_error: None,
        omitted: finished.omitted,
    }
}

fn assert_same(pipelined: &FileReport, reference: &FileReport, what: &str) {
    assert_eq!(pipelined.messages, reference.messages, "{what}: frames");
    assert_eq!(pipelined.diagnostics.len(), reference.diagnostics.len(), "{what}: diagnostics");
    for (got, want) in pipelined.diagnostics.iter().zip(&reference.diagnostics) {
        assert_eq!(got, want, "{what}");
    }
    assert_eq!(pipelined.notes, reference.notes, "{what}: notes");
    assert_eq!(pipelined.omitted, reference.omitted, "{what}: omitted");
}

/// Every JSON Lines traffic fixture, valid and invalid, one after the other.
fn fixture_lines() -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/traffic");
    let mut files = Vec::new();
    for dir in ["valid", "invalid", "real"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "jsonl") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for file in files {
        out.extend(std::fs::read(file).unwrap());
        if out.last() != Some(&b'\n') {
            out.push(b'\n');
        }
    }
    out
}

/// A capture of several batches: the fixtures repeated, with frames that exercise the reader at batch edges: blank
/// and whitespace lines, `\r\n`, bytes that are not UTF-8, a line longer than a batch but within the limit, lines
/// beyond the limit (one of them longer than a batch), a last line without its newline.
fn mixed_capture(limit: usize) -> Vec<u8> {
    let fixtures = fixture_lines();
    let mut capture = Vec::new();
    let mut round = 0;
    while capture.len() < 3_000_000 {
        capture.extend_from_slice(&fixtures);
        match round % 5 {
            0 => capture.extend_from_slice(b"\n   \n\t\r\n{\"method\":\"initialized\"}\r\n"),
            1 => capture.extend_from_slice(b"{\"method\":\"init\xffialized\"}\n"),
            2 => {
                // Within the limit, longer than a batch (512 KiB).
                let text = "x".repeat(limit - 64);
                capture.extend_from_slice(format!("{{\"method\":\"initialized\",\"pad\":\"{text}\"}}\n").as_bytes());
            }
            3 => capture.extend_from_slice(format!("{}\n", "y".repeat(limit + 1)).as_bytes()),
            _ => capture.extend_from_slice(format!("{}\n", "z".repeat(2 * limit)).as_bytes()),
        }
        round += 1;
    }
    capture.extend_from_slice(b"{\"method\":\"initialized\"}");
    capture
}

#[test]
fn pipelined_reports_equal_frame_by_frame_reports() {
    let limit = 700_000;
    let capture = mixed_capture(limit);
    for (strict, fast_path) in [(false, true), (true, true), (false, false)] {
        let config = Config { strict, fast_path, max_line_bytes: limit, ..Config::default() };
        let reference = one_by_one(&config, &capture);
        // Findings all along the capture, so in every batch.
        let lines = capture.iter().filter(|&&b| b == b'\n').count() as u64;
        let last = reference.diagnostics.iter().map(|d| d.line).max().unwrap_or(0);
        assert!(reference.diagnostics.len() > 300 && last * 10 > lines * 9, "{} findings", reference.diagnostics.len());
        let pipelined = validate_reader(schemas(), &config, "capture", &capture[..], None).unwrap();
        assert_same(&pipelined, &reference, &format!("strict {strict}, fast path {fast_path}"));
    }
}

#[test]
fn array_dumps_of_many_batches_agree_too() {
    // Every frame of the JSON Lines fixtures that is JSON, as elements of one array dump, over several batches
    // (2048 frames or 512 KiB each).
    let lines = fixture_lines();
    let mut frames: Vec<&[u8]> = Vec::new();
    for line in lines.split(|&b| b == b'\n') {
        if serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok() {
            frames.push(line);
        }
    }
    let mut capture = b"[\n".to_vec();
    let mut count = 0;
    while count < 10_000 {
        for frame in &frames {
            if count > 0 {
                capture.extend_from_slice(b",\n");
            }
            capture.extend_from_slice(frame);
            count += 1;
        }
    }
    capture.extend_from_slice(b"\n]\n");
    let config = Config::default();
    let reference = one_by_one(&config, &capture);
    assert_eq!(reference.messages, count);
    assert!(reference.diagnostics.iter().any(|d| d.index.is_some_and(|i| i > 8000)), "findings in the last batches");
    let pipelined = validate_reader(schemas(), &config, "capture", &capture[..], None).unwrap();
    assert_same(&pipelined, &reference, "array dump");
}

#[test]
fn small_captures_and_headers_agree_too() {
    let header = br#"{"servers":[{"id":"srv_7f3a91","name":"bigpc"}]}"#;
    let bad_header = br#"{"servers":[{"name":"nameless"}]}"#;
    let frame = br#"{"ts_ms":1,"dir":"in","server_id":"srv_7f3a91","json":{"method":"x"}}"#;
    let cases: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\n \n".to_vec(),
        [&header[..], b"\n"].concat(),
        [&header[..], b"\n", &frame[..], b"\n"].concat(),
        [&bad_header[..], b"\n", &frame[..]].concat(),
        [&b"\n\n"[..], &header[..], b"\r\n", &header[..]].concat(),
        [&b"["[..], &header[..], b",", &frame[..], b"]"].concat(),
        b"[]".to_vec(),
        b"[{}, {\"a\":".to_vec(),
        b"\xEF\xBB\xBF{\"method\":\"initialized\"}".to_vec(),
    ];
    for (at, capture) in cases.iter().enumerate() {
        for max_line_bytes in [16, 1 << 20] {
            let config = Config { max_line_bytes, ..Config::default() };
            let reference = one_by_one(&config, capture);
            let pipelined = validate_reader(schemas(), &config, "capture", &capture[..], None).unwrap();
            assert_same(&pipelined, &reference, &format!("case {at}, limit {max_line_bytes}"));
        }
    }
}

#[test]
fn a_pool_thread_caller_finishes_even_on_a_one_thread_pool() {
    let capture = mixed_capture(700_000);
    let config = Config { max_line_bytes: 700_000, ..Config::default() };
    let reference = one_by_one(&config, &capture);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let pipelined = pool.install(|| validate_reader(schemas(), &config, "capture", &capture[..], None).unwrap());
    assert_same(&pipelined, &reference, "on the pool's only thread");
}

/// Runs the validator binary on `paths`, failing the test if it has not finished after `limit`.
fn run_with_limit(paths: &[&Path], threads: &str, limit: Duration) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_handoff-validate"))
        .args(["--format", "json"])
        .args(paths)
        .env("RAYON_NUM_THREADS", threads)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reading = std::thread::spawn(move || {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut out).unwrap();
        out
    });
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code().unwrap_or(-1), reading.join().unwrap());
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the validator did not finish {} captures within {limit:?} ({threads} threads)", paths.len());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn several_large_captures_in_one_call_finish() {
    // A clean capture of many batches (the old pipeline hung on two such files: each file's reader blocked a pool
    // thread that its own preparing stage then waited for).
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for name in ["a.jsonl", "b.jsonl", "c.jsonl"] {
        let path = dir.path().join(name);
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for _ in 0..120_000 {
            file.write_all(b"{\"method\":\"initialized\"}\n").unwrap();
        }
        file.flush().unwrap();
        paths.push(path);
    }
    let paths: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    for threads in ["1", "2"] {
        let (code, out) = run_with_limit(&paths, threads, Duration::from_secs(60));
        assert_eq!(code, 0, "{out}");
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(report["files"], 3, "{out}");
        assert_eq!(report["messages"], 360_000, "{out}");
    }
}
