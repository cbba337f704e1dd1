//! The command-line contract of `cargo xtask`: usage errors exit 2 with a usage message.

use std::process::{Command, Output};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask")).args(args).output().expect("the xtask binary runs")
}

#[test]
fn unknown_subcommands_print_usage_and_exit_2() {
    let output = xtask(&["generate"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unrecognized subcommand 'generate'"), "{stderr}");
    assert!(stderr.contains("Usage:"), "{stderr}");
}

#[test]
fn unknown_flags_print_usage_and_exit_2() {
    let output = xtask(&["gen", "--chek"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--chek") && stderr.contains("Usage:"), "{stderr}");
}

#[test]
fn a_missing_subcommand_is_a_usage_error() {
    assert_eq!(xtask(&[]).status.code(), Some(2));
}

#[test]
fn help_lists_the_gen_command() {
    let output = xtask(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("gen"));
}
