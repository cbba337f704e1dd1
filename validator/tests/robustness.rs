//! Bad input never panics: arbitrary bytes and mutated valid captures always give exit code 0, 1 or 2.

use std::path::Path;

use handoff_validator::cli::{Args, Format, run};
use handoff_validator::{Config, Schemas, validate_reader};
use proptest::prelude::*;

fn schemas() -> &'static Schemas {
    static SCHEMAS: std::sync::OnceLock<Schemas> = std::sync::OnceLock::new();
    SCHEMAS.get_or_init(|| Schemas::canonical().unwrap())
}

fn valid_captures() -> &'static Vec<Vec<u8>> {
    static CAPTURES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    CAPTURES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/traffic/valid");
        let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        files.iter().filter(|p| !p.to_string_lossy().ends_with(".md")).map(|p| std::fs::read(p).unwrap()).collect()
    })
}

/// Validates in memory with a small frame limit (so the over-limit path runs too) and in both strict modes.
fn validate_all_ways(bytes: &[u8]) {
    for (strict, max_line_bytes) in [(false, 16 * 1024 * 1024), (true, 64)] {
        let config = Config { strict, max_line_bytes, ..Config::default() };
        let report = validate_reader(schemas(), &config, "mem", bytes, None).unwrap();
        for d in &report.diagnostics {
            assert!(d.line >= 1, "{d:?}");
            assert!(!d.message.is_empty());
            assert!(d.pointer.is_empty() || d.pointer.starts_with('/'), "{d:?}");
        }
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let byte = prop_oneof![
        Just(b'"'),
        Just(b'{'),
        Just(b'}'),
        Just(b'['),
        Just(b']'),
        Just(b','),
        Just(b'\\'),
        Just(b'\n'),
        Just(0xff),
        Just(0xc3),
        any::<u8>()
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(at, b)| Edit::Flip(at, b)),
        (any::<usize>(), byte).prop_map(|(at, b)| Edit::Insert(at, b)),
        (any::<usize>(), 1..40usize).prop_map(|(at, n)| Edit::Delete(at, n)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for edit in edits {
        let len = bytes.len().max(1);
        match *edit {
            Edit::Flip(at, b) if !bytes.is_empty() => bytes[at % len] = b,
            Edit::Insert(at, b) => bytes.insert(at % (bytes.len() + 1), b),
            Edit::Delete(at, n) if !bytes.is_empty() => {
                let start = at % len;
                let end = (start + n).min(bytes.len());
                bytes.drain(start..end);
            }
            Edit::Truncate(at) => bytes.truncate(at % (bytes.len() + 1)),
            _ => {}
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        validate_all_ways(&bytes);
    }

    #[test]
    fn json_looking_noise_never_panics(text in "[\\[\\]{}\",:\\\\ \nab01-]{0,200}") {
        validate_all_ways(text.as_bytes());
    }

    #[test]
    fn mutated_valid_captures_never_panic(which in any::<usize>(), edits in proptest::collection::vec(edit(), 1..6)) {
        let captures = valid_captures();
        let original = captures[which % captures.len()].clone();
        validate_all_ways(&apply(original, &edits));
    }
}

proptest! {
    // Through the CLI entry point, with a real file: only the documented exit codes.
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn the_cli_exits_0_1_or_2(which in any::<usize>(), edits in proptest::collection::vec(edit(), 0..4)) {
        let captures = valid_captures();
        let bytes = apply(captures[which % captures.len()].clone(), &edits);
        let path = std::env::temp_dir().join(format!("handoff-validator-robust-{}.bin", std::process::id()));
        std::fs::write(&path, &bytes).unwrap();
        let args = Args {
            format: Format::Json,
            strict: false,
            max_line_bytes: 1024,
            no_fast_path: false,
            servers: Vec::new(),
            paths: vec![path.to_string_lossy().into_owned()],
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(&args, &mut out, &mut err);
        prop_assert!(code <= 1, "a readable file never exits 2: {code}");
        let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
        prop_assert_eq!(code == 0, report["violations"].as_array().unwrap().is_empty());
        let _ = std::fs::remove_file(path);
    }
}
