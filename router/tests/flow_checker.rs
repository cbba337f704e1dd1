//! Runs the validator's flow checker unit tests against this crate's state machine.
mod common;
