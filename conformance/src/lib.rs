//! Conformance harness: the router and the validator against the real Codex app-server.
//!
//! `cargo xtask conformance` installs the pinned Codex release, then runs three scenarios against
//! `codex app-server` (stdio, JSON Lines) with a fresh `CODEX_HOME` and two loopback mocks: the Responses API
//! ([`mock_model`], the model behind delegated turns) and the realtime WebSocket ([`mock_voice`], the voice model).
//! Every frame is recorded ([`capture`]); each scenario asserts on what the real server did, then validates and
//! decodes its capture ([`check`]). See README "Conformance against the real app-server".

pub mod app_server;
pub mod capture;
pub mod check;
pub mod mock_model;
pub mod mock_voice;
mod router_driver;
mod run;
mod scenario_r;
mod scenario_s;
mod scenario_u;

pub use run::{Options, RunSummary, ScenarioOutcome, run};
