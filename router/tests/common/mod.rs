//! Shared helpers of the router's integration tests.
#![allow(dead_code)]

pub mod fake_server;
// The validator's flow checker, compiled here from its one source file so the router's tests check their traffic
// with the real rules without depending on the whole validator crate.
#[path = "../../../validator/src/flow.rs"]
pub mod flow;
pub mod harness;
