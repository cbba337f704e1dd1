//! Which app-servers the router can reach. How a handoff's `server` value picks one is shared with the validator
//! ([`handoff_flow::servers`]).

pub use handoff_flow::servers::{ServerInfo, ServerLookupError};

/// The connected servers, and which one runs the voice session (the "local" one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterConfig {
    servers: Vec<ServerInfo>,
    local: String,
}

impl RouterConfig {
    /// `local` must be the id of one of `servers`; `None` when it is not.
    pub fn new(servers: Vec<ServerInfo>, local: impl Into<String>) -> Option<RouterConfig> {
        let local = local.into();
        servers.iter().any(|server| server.id == local).then_some(RouterConfig { servers, local })
    }

    pub fn servers(&self) -> &[ServerInfo] {
        &self.servers
    }

    /// Id of the server that runs the voice session.
    pub fn local(&self) -> &str {
        &self.local
    }

    /// The server id a handoff's `server` value names: absent, empty or "local" is the local server; otherwise an
    /// exact id, else a name compared without ASCII case. Never a guess: no match or several matches is an error.
    pub(crate) fn resolve(&self, server: Option<&str>) -> Result<&str, ServerLookupError> {
        handoff_flow::resolve_server(&self.servers, &self.local, server)
    }

    /// "a (id a), bigpc (id srv-2)" for error texts the voice model reads back.
    pub(crate) fn describe_servers(&self) -> String {
        handoff_flow::describe_servers(&self.servers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> RouterConfig {
        RouterConfig::new(
            vec![
                ServerInfo::new("srv-local", "laptop"),
                ServerInfo::new("srv-2", "bigpc"),
                ServerInfo::new("srv-3", "twin"),
                ServerInfo::new("srv-4", "Twin"),
            ],
            "srv-local",
        )
        .expect("local is listed")
    }

    #[test]
    fn local_and_absent_pick_the_local_server() {
        let config = config();
        assert_eq!(config.resolve(None), Ok("srv-local"));
        assert_eq!(config.resolve(Some("")), Ok("srv-local"));
        assert_eq!(config.resolve(Some("LOCAL")), Ok("srv-local"));
    }

    #[test]
    fn ids_then_names_without_case() {
        let config = config();
        assert_eq!(config.resolve(Some("srv-2")), Ok("srv-2"));
        assert_eq!(config.resolve(Some("BigPC")), Ok("srv-2"));
        assert_eq!(config.resolve(Some(" bigpc ")), Ok("srv-2"));
    }

    #[test]
    fn unknown_or_ambiguous_is_never_guessed() {
        let config = config();
        assert_eq!(config.resolve(Some("smallpc")), Err(ServerLookupError::Unknown));
        assert_eq!(
            config.resolve(Some("twin")),
            Err(ServerLookupError::Ambiguous(vec!["srv-3".to_owned(), "srv-4".to_owned()]))
        );
    }

    #[test]
    fn local_must_be_a_listed_server() {
        assert!(RouterConfig::new(vec![ServerInfo::new("a", "a")], "b").is_none());
    }
}
