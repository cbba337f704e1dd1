//! Who finishes the handoffs of a realtime session: the handoff mode of a voice thread.
//!
//! The mode is chosen by the client when it starts the voice session (`thread/realtime/start`), and it decides
//! which flow rules apply to the session's handoffs. What each server does in each mode was seen on the real
//! app-server (codex-cli 0.171.0, `cargo xtask conformance` scenarios R and U) and in upstream's source:
//!
//! - the patched server (litter fork) with `clientControlledHandoff: true` only emits the `handoff_request` item and
//!   waits: the client runs the work where the item says and answers with `resolveHandoff`/`finalizeHandoff`;
//! - without a flag, every server runs the delegated turn itself, on the voice thread (input wrapped in
//!   `<realtime_delegation>`), and answers the voice model itself (`[BACKEND]` items, a `function_call_output`);
//! - upstream's `clientManagedHandoffs: true` still runs that turn on the voice thread, but sends the voice model
//!   nothing for it: the client relays the result with `thread/realtime/appendText` or `appendSpeech`.

use std::fmt;

use serde_json::Value;

/// The fork's flag on `thread/realtime/start`: the client controls handoffs (resolve/finalize).
pub const CLIENT_CONTROLLED_FLAG: &str = "clientControlledHandoff";
/// Upstream's flag on `thread/realtime/start`: the server runs the turn, the client speaks the result.
pub const CLIENT_MANAGED_FLAG: &str = "clientManagedHandoffs";

/// Who finishes a realtime session's handoffs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandoffMode {
    /// `clientControlledHandoff: true` (patched server): the server waits; the client resumes or starts a thread on
    /// the server the item names, sends the turn there, streams the reply back with `resolveHandoff` and closes with
    /// `finalizeHandoff`. The mode the reference router implements.
    ClientControlled,
    /// No flag (every server's default): the server runs the delegated turn on the voice thread itself and answers
    /// the voice model itself. The client has nothing to send; a turn of its own runs the work twice.
    ServerManaged,
    /// `clientManagedHandoffs: true` (upstream): the server runs the delegated turn on the voice thread but sends
    /// the voice model nothing; the client relays the result with `thread/realtime/appendText`/`appendSpeech`.
    ClientManaged,
}

impl HandoffMode {
    /// Every mode, in the order the README's table lists them.
    pub const ALL: [HandoffMode; 3] =
        [HandoffMode::ClientControlled, HandoffMode::ServerManaged, HandoffMode::ClientManaged];

    /// The mode's name in diagnostics, notes and docs.
    pub fn name(self) -> &'static str {
        match self {
            HandoffMode::ClientControlled => "client-controlled",
            HandoffMode::ServerManaged => "server-managed",
            HandoffMode::ClientManaged => "client-managed",
        }
    }

    /// Whether the server runs the delegated turn itself, on the voice thread.
    pub fn server_runs_turn(self) -> bool {
        self != HandoffMode::ClientControlled
    }

    /// The mode a `thread/realtime/start` request's params ask for. A flag counts when it is `true`; absent, `null`
    /// or `false` leave the server's default (server-managed). Both flags at once ask for two modes no server
    /// can combine: [`StartedMode::Conflicting`].
    pub fn from_realtime_start(params: &Value) -> StartedMode {
        let set = |flag: &str| params.get(flag).and_then(Value::as_bool).unwrap_or(false);
        HandoffMode::from_flags(set(CLIENT_CONTROLLED_FLAG), set(CLIENT_MANAGED_FLAG))
    }

    /// The mode of a `thread/realtime/start` whose [`CLIENT_CONTROLLED_FLAG`] and [`CLIENT_MANAGED_FLAG`] are
    /// `true` or not.
    pub fn from_flags(client_controlled: bool, client_managed: bool) -> StartedMode {
        match (client_controlled, client_managed) {
            (true, true) => StartedMode::Conflicting,
            (true, false) => StartedMode::Mode(HandoffMode::ClientControlled),
            (false, true) => StartedMode::Mode(HandoffMode::ClientManaged),
            (false, false) => StartedMode::Mode(HandoffMode::ServerManaged),
        }
    }
}

impl fmt::Display for HandoffMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a `thread/realtime/start` request says about its session's handoff mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartedMode {
    Mode(HandoffMode),
    /// `clientControlledHandoff` and `clientManagedHandoffs` both `true`.
    Conflicting,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn flags_pick_the_mode() {
        let read = |params: Value| HandoffMode::from_realtime_start(&params);
        assert_eq!(read(json!({"threadId": "v"})), StartedMode::Mode(HandoffMode::ServerManaged));
        assert_eq!(
            read(json!({"threadId": "v", "clientControlledHandoff": true})),
            StartedMode::Mode(HandoffMode::ClientControlled)
        );
        assert_eq!(
            read(json!({"threadId": "v", "clientManagedHandoffs": true})),
            StartedMode::Mode(HandoffMode::ClientManaged)
        );
        assert_eq!(
            read(json!({"clientControlledHandoff": false, "clientManagedHandoffs": null})),
            StartedMode::Mode(HandoffMode::ServerManaged)
        );
        // Not a boolean: the schema check reports it; the server's default stands.
        assert_eq!(read(json!({"clientControlledHandoff": "true"})), StartedMode::Mode(HandoffMode::ServerManaged));
        assert_eq!(
            read(json!({"clientControlledHandoff": true, "clientManagedHandoffs": true})),
            StartedMode::Conflicting
        );
        assert_eq!(read(Value::Null), StartedMode::Mode(HandoffMode::ServerManaged));
    }

    #[test]
    fn only_client_controlled_leaves_the_turn_to_the_client() {
        let server_runs: Vec<bool> = HandoffMode::ALL.iter().map(|mode| mode.server_runs_turn()).collect();
        assert_eq!(server_runs, [false, true, true]);
        assert_eq!(HandoffMode::ClientManaged.to_string(), "client-managed");
    }
}
