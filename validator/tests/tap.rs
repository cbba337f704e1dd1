//! The stdio tap against a fake app-server process (`tests/tap/fake-app-server.sh`, driven by a step script):
//! byte-exact forwarding, live diagnostics, exit status, signal forwarding, an unstartable command, and recordings
//! that `validate` judges exactly as the tap did (replaying every single-server flow fixture through it).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_handoff-validate");
/// Generous: the tests run beside seven other builds on two cores.
const PATIENCE: Duration = Duration::from_secs(60);

fn fake_server() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tap/fake-app-server.sh")
}

fn traffic_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/traffic")
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("handoff-tap-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts `handoff-validate tap TAP_ARGS -- COMMAND…` with piped stdio.
fn start_tap(tap_args: &[&str], command: &[&str]) -> Child {
    let mut tap = Command::new(BINARY);
    tap.arg("tap")
        .args(tap_args)
        .arg("--")
        .args(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // The tap and its command get default SIGINT and SIGTERM whatever this test inherited: a test run started in
    // the background by a non-interactive shell (as CI may be) inherits SIGINT ignored, the tap's command keeps it
    // ignored (a disposition passes through exec), and the forwarded SIGINT would then end nothing.
    // SAFETY: between fork and exec the closure only calls signal(2), which is async-signal-safe.
    unsafe {
        tap.pre_exec(|| {
            for signal in [libc::SIGINT, libc::SIGTERM] {
                if libc::signal(signal, libc::SIG_DFL) == libc::SIG_ERR {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    tap.spawn().expect("handoff-validate starts")
}

/// Lines of a child's stream, delivered over a channel so a test can wait with a timeout.
fn lines_of(stream: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            if sender.send(line).is_err() {
                return;
            }
        }
    });
    receiver
}

fn next_line(lines: &mpsc::Receiver<String>, what: &str) -> String {
    lines.recv_timeout(PATIENCE).unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Waits for the child's exit code, killing it after [`PATIENCE`].
fn exit_code(mut child: Child) -> Option<i32> {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if started.elapsed() > PATIENCE {
            let _ = child.kill();
            panic!("the tap did not exit");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn forwards_bytes_unchanged_in_both_directions() {
    let dir = scratch("bytes");
    let received = dir.join("received.bin");
    // `tee` as the server: it writes what it receives to a file and echoes it back to the client.
    let tee = format!("tee {}", received.display());
    let mut tap = start_tap(&[], &["sh", "-c", &tee]);
    let mut input: Vec<u8> = Vec::new();
    input.extend_from_slice(b"{\"id\":1,\"method\":\"initialize\",\"params\":{}}\n");
    input.extend_from_slice(b"  {\"method\":\"initialized\"}  \r\n");
    input.extend_from_slice(b"\n");
    input.extend_from_slice(b"not json at all \xff\xfe \\ \"\n");
    input.extend_from_slice("ünïcödé ✓\t\n".as_bytes());
    input.extend_from_slice(b"{\"method\":\"initialized\"} no newline at the end");
    let mut stdin = tap.stdin.take().unwrap();
    let mut stdout = tap.stdout.take().unwrap();
    let mut stderr = tap.stderr.take().unwrap();
    stdin.write_all(&input).unwrap();
    drop(stdin);
    let mut echoed = Vec::new();
    stdout.read_to_end(&mut echoed).unwrap();
    let mut log = String::new();
    stderr.read_to_string(&mut log).unwrap();
    assert_eq!(exit_code(tap), Some(0), "{log}");
    assert_eq!(std::fs::read(&received).unwrap(), input, "the server received other bytes than the client sent");
    assert_eq!(echoed, input, "the client received other bytes than the server sent");
    // The three non-JSON lines are reported in both directions (tee echoes them), never changed.
    assert_eq!(log.matches("error[parse]").count(), 6, "{log}");
    assert!(log.contains("10 message(s)"), "{log}");
}

#[test]
fn diagnostics_appear_while_the_session_runs() {
    let dir = scratch("live");
    let script = dir.join("script");
    // An answer to a request that was never sent, then the server waits for the client's next line.
    std::fs::write(&script, "<\n>{\"id\":99,\"result\":{}}\n<\n>{\"method\":\"bye\",\"params\":{}}\n").unwrap();
    let mut tap = start_tap(&[], &[fake_server().to_str().unwrap(), script.to_str().unwrap()]);
    let mut stdin = tap.stdin.take().unwrap();
    let stdout = lines_of(tap.stdout.take().unwrap());
    let stderr = lines_of(tap.stderr.take().unwrap());
    stdin.write_all(b"{\"method\":\"initialized\"}\n").unwrap();
    stdin.flush().unwrap();
    assert_eq!(next_line(&stdout, "the orphan answer"), "{\"id\":99,\"result\":{}}");
    // The session is still open (the server waits for our next line): the diagnostic must already be there.
    let diagnostic = next_line(&stderr, "the live diagnostic");
    assert!(diagnostic.starts_with("tap:2: error[rpc/orphan-response]"), "{diagnostic}");
    stdin.write_all(b"{\"method\":\"initialized\"}\n").unwrap();
    drop(stdin);
    assert_eq!(next_line(&stdout, "the last line"), "{\"method\":\"bye\",\"params\":{}}");
    let diagnostic = next_line(&stderr, "the unknown method");
    assert!(diagnostic.starts_with("tap:4: error[rpc/unknown-method]"), "{diagnostic}");
    let summary = next_line(&stderr, "the summary");
    assert!(summary.contains("4 message(s): 2 error(s)"), "{summary}");
    assert_eq!(exit_code(tap), Some(0));
}

#[test]
fn exits_with_the_commands_status() {
    for status in [0, 1, 7, 200] {
        let tap = start_tap(&[], &["sh", "-c", &format!("exit {status}")]);
        assert_eq!(exit_code(tap), Some(status));
    }
    // A child killed by a signal: 128 + the signal, as a shell reports it.
    let tap = start_tap(&[], &["sh", "-c", "kill -KILL $$"]);
    assert_eq!(exit_code(tap), Some(128 + 9));
}

#[test]
fn forwards_sigint_and_sigterm_to_the_command() {
    let dir = scratch("signals");
    let script = dir.join("script");
    std::fs::write(&script, ">ready\n<\n").unwrap();
    for (signal, expected, said) in [(libc::SIGTERM, 55, "got SIGTERM"), (libc::SIGINT, 42, "got SIGINT")] {
        let mut tap = start_tap(&[], &[fake_server().to_str().unwrap(), script.to_str().unwrap()]);
        let _stdin = tap.stdin.take().unwrap();
        let stdout = lines_of(tap.stdout.take().unwrap());
        let stderr = lines_of(tap.stderr.take().unwrap());
        assert_eq!(next_line(&stdout, "the server's ready line"), "ready");
        let pid = libc::pid_t::try_from(tap.id()).unwrap();
        // SAFETY: kill(2) on our own child process.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        assert_eq!(exit_code(tap), Some(expected), "signal {signal}");
        let said_lines: Vec<String> = stderr.try_iter().collect();
        assert!(said_lines.iter().any(|line| line.contains(said)), "{said_lines:?}");
    }
}

#[test]
fn a_command_that_cannot_start_is_exit_2() {
    let tap = start_tap(&[], &["/nonexistent/codex", "app-server"]);
    let output = tap.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot start `/nonexistent/codex`"), "{stderr}");
    // No command at all is a usage error, also 2.
    let output = Command::new(BINARY).args(["tap", "--record", "x"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// The frames of a JSON Lines entries capture whose app-server frames all travel on one connection.
fn single_connection(capture: &Path) -> Option<(String, Vec<(String, String)>)> {
    let text = std::fs::read_to_string(capture).ok()?;
    let mut server = None;
    let mut frames = Vec::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let entry: Value = serde_json::from_str(line).ok()?;
        let id = entry.get("server_id")?.as_str()?.to_owned();
        if id == "realtime" || server.get_or_insert_with(|| id.clone()) != &id {
            return None;
        }
        let message = match entry.get("json")? {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        frames.push((entry.get("dir")?.as_str()?.to_owned(), message));
    }
    Some((server?, frames))
}

/// (line, rule, pointer, message) of `validate --format json`'s violations, or of the tap's JSON diagnostic lines.
fn violations(values: impl IntoIterator<Item = Value>) -> Vec<(u64, String, String, String)> {
    let mut out: Vec<_> = values
        .into_iter()
        .map(|v| {
            let text = |key: &str| v[key].as_str().unwrap_or_default().to_owned();
            (v["line"].as_u64().unwrap(), text("rule"), text("pointer"), text("message"))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn recordings_of_the_flow_fixtures_validate_as_the_tap_reported() {
    let dir = scratch("record");
    let mut replayed = 0;
    for folder in ["valid", "invalid"] {
        let mut captures: Vec<PathBuf> = std::fs::read_dir(traffic_fixtures().join(folder))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
            .collect();
        captures.sort();
        for capture in captures {
            let Some((server_id, frames)) = single_connection(&capture) else { continue };
            let name = capture.file_name().unwrap().to_string_lossy().into_owned();
            // The fake server plays the fixture's server side, in the fixture's order.
            let script: String = frames
                .iter()
                .map(|(dir, message)| if dir == "in" { format!(">{message}\n") } else { "<\n".to_owned() })
                .collect();
            let script_path = dir.join(format!("{name}.script"));
            std::fs::write(&script_path, script).unwrap();
            let record = dir.join(&name);
            let mut tap = start_tap(
                &["--record", record.to_str().unwrap(), "--server-id", &server_id, "--format", "json"],
                &[fake_server().to_str().unwrap(), script_path.to_str().unwrap()],
            );
            let mut stdin = tap.stdin.take().unwrap();
            let stdout = lines_of(tap.stdout.take().unwrap());
            let stderr = lines_of(tap.stderr.take().unwrap());
            // Play the client side: send each `out` frame only after the server's frames before it arrived, so
            // the recording keeps the fixture's order.
            for (dir, message) in &frames {
                if dir == "out" {
                    writeln!(stdin, "{message}").unwrap();
                    stdin.flush().unwrap();
                } else {
                    assert_eq!(&next_line(&stdout, &format!("{name}: a server frame")), message);
                }
            }
            drop(stdin);
            assert_eq!(exit_code(tap), Some(0), "{name}");
            let lines: Vec<Value> = stderr.iter().map(|line| serde_json::from_str(&line).unwrap()).collect();
            let (summary, live): (Vec<Value>, Vec<Value>) =
                lines.into_iter().partition(|line| line.get("summary").is_some());
            assert_eq!(summary.len(), 1, "{name}");
            let tap_said = violations(live);

            let validated = Command::new(BINARY).args(["--format", "json"]).arg(&record).output().unwrap();
            let report: Value = serde_json::from_slice(&validated.stdout).unwrap();
            let validate_said = violations(report["violations"].as_array().unwrap().clone());
            // Warnings (an unattributed handoff) leave the exit code at 0; errors make it 1.
            let errors = report["violations"].as_array().unwrap().iter().filter(|v| v["severity"] != "warning").count();
            assert_eq!(tap_said, validate_said, "{name}: the tap and validate disagree on the recording");
            // And both agree with the fixture itself: same frames, same line numbers.
            let original = Command::new(BINARY).args(["--format", "json"]).arg(&capture).output().unwrap();
            let report: Value = serde_json::from_slice(&original.stdout).unwrap();
            let fixture_said = violations(report["violations"].as_array().unwrap().clone());
            assert_eq!(tap_said, fixture_said, "{name}: the tap disagrees with validate on the fixture");
            assert_eq!(validated.status.code(), Some(if errors == 0 { 0 } else { 1 }), "{name}");
            replayed += 1;
        }
    }
    // flow-finalize-twice, flow-start-new-thread and flow-unknown-server are single-connection captures; the
    // others span two app-servers, which one tap (one connection) cannot play.
    assert!(replayed >= 3, "only {replayed} fixtures replayed");
}
