//! Shared helpers of the router's integration tests (here, beside the validator, so neither crate needs the
//! other: both depend only on `handoff-flow`).
#![allow(dead_code)]

pub mod fake_server;
pub mod harness;
