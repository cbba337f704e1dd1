//! Shared helpers of the router's integration tests.

// The validator's flow checker, compiled here from its one source file so the router's tests check their traffic
// with the real rules without depending on the whole validator crate.
#[path = "../../../validator/src/flow.rs"]
#[allow(dead_code)]
pub mod flow;
