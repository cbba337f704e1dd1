//! Which app-servers the router can reach, and how a handoff's `server` value picks one.

/// One connected app-server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// Stable id; requests are addressed by it.
    pub id: String,
    /// Display name the voice model may use instead of the id (e.g. "bigpc").
    pub name: String,
}

impl ServerInfo {
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> ServerInfo {
        ServerInfo { id: id.into(), name: name.into() }
    }
}

/// The connected servers, and which one runs the voice session (the "local" one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterConfig {
    servers: Vec<ServerInfo>,
    local: String,
}

/// Why a `server` value did not pick exactly one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServerLookupError {
    Unknown,
    Ambiguous(Vec<String>),
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
        let wanted = server.map(str::trim).unwrap_or("");
        if wanted.is_empty() || wanted.eq_ignore_ascii_case("local") {
            return Ok(&self.local);
        }
        if let Some(server) = self.servers.iter().find(|server| server.id == wanted) {
            return Ok(&server.id);
        }
        let by_name: Vec<&ServerInfo> =
            self.servers.iter().filter(|server| server.name.eq_ignore_ascii_case(wanted)).collect();
        match by_name.as_slice() {
            [] => Err(ServerLookupError::Unknown),
            [one] => Ok(&one.id),
            several => Err(ServerLookupError::Ambiguous(several.iter().map(|server| server.id.clone()).collect())),
        }
    }

    /// "a (id a), bigpc (id srv-2)" for error texts the voice model reads back.
    pub(crate) fn describe_servers(&self) -> String {
        let names: Vec<String> =
            self.servers.iter().map(|server| format!("{} (id {})", server.name, server.id)).collect();
        names.join(", ")
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
