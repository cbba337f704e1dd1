//! Which app-server a handoff's `server` value names. One function for the router and the validator, so a name
//! the router follows is the name the validator attributes.

use std::fmt;

/// One app-server: its stable id (requests and capture entries are addressed by it) and the display name the voice
/// model may use instead (e.g. "bigpc"; the prompt lists both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    pub id: String,
    pub name: String,
}

impl ServerInfo {
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> ServerInfo {
        ServerInfo { id: id.into(), name: name.into() }
    }
}

/// Why a `server` value did not pick exactly one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerLookupError {
    /// Neither an id nor a name of any known server.
    Unknown,
    /// The display name of several servers (their ids, in list order).
    Ambiguous(Vec<String>),
}

impl fmt::Display for ServerLookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerLookupError::Unknown => f.write_str("no known server has that id or name"),
            ServerLookupError::Ambiguous(ids) => write!(f, "the name of several servers ({})", ids.join(", ")),
        }
    }
}

/// Whether a `server` value means "the server the item came from": absent, blank or `local` (any ASCII case).
pub fn names_origin(value: Option<&str>) -> bool {
    let wanted = value.map(str::trim).unwrap_or("");
    wanted.is_empty() || wanted.eq_ignore_ascii_case("local")
}

/// The id of the server a handoff's `server` value names, among `servers`; `origin` is the id of the server the
/// handoff item arrived on. Absent, blank or `local` is `origin`; otherwise an exact id, else a display name
/// compared without ASCII case. Never a guess: no match, or a name several servers share, is an error.
pub fn resolve_server<'a>(
    servers: &'a [ServerInfo],
    origin: &'a str,
    value: Option<&str>,
) -> Result<&'a str, ServerLookupError> {
    if names_origin(value) {
        return Ok(origin);
    }
    let wanted = value.map(str::trim).unwrap_or("");
    if let Some(server) = servers.iter().find(|server| server.id == wanted) {
        return Ok(&server.id);
    }
    let by_name: Vec<&ServerInfo> = servers.iter().filter(|server| server.name.eq_ignore_ascii_case(wanted)).collect();
    match by_name.as_slice() {
        [] => Err(ServerLookupError::Unknown),
        [one] => Ok(&one.id),
        several => Err(ServerLookupError::Ambiguous(several.iter().map(|server| server.id.clone()).collect())),
    }
}

/// "laptop (id srv-1), bigpc (id srv-2)": the servers as error texts and diagnostics list them.
pub fn describe_servers(servers: &[ServerInfo]) -> String {
    let names: Vec<String> = servers.iter().map(|server| format!("{} (id {})", server.name, server.id)).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers() -> Vec<ServerInfo> {
        vec![
            ServerInfo::new("srv-local", "laptop"),
            ServerInfo::new("srv-2", "bigpc"),
            ServerInfo::new("srv-3", "twin"),
            ServerInfo::new("srv-4", "Twin"),
        ]
    }

    #[test]
    fn local_and_absent_pick_the_origin() {
        let servers = servers();
        assert_eq!(resolve_server(&servers, "srv-2", None), Ok("srv-2"));
        assert_eq!(resolve_server(&servers, "srv-local", Some("")), Ok("srv-local"));
        assert_eq!(resolve_server(&servers, "srv-local", Some(" LOCAL ")), Ok("srv-local"));
    }

    #[test]
    fn ids_then_names_without_case() {
        let servers = servers();
        assert_eq!(resolve_server(&servers, "srv-local", Some("srv-2")), Ok("srv-2"));
        assert_eq!(resolve_server(&servers, "srv-local", Some("BigPC")), Ok("srv-2"));
        assert_eq!(resolve_server(&servers, "srv-local", Some(" bigpc ")), Ok("srv-2"));
        // An id wins over a name: a server may be named like another's id.
        let tricky = vec![ServerInfo::new("a", "b"), ServerInfo::new("b", "c")];
        assert_eq!(resolve_server(&tricky, "a", Some("b")), Ok("b"));
    }

    #[test]
    fn unknown_or_ambiguous_is_never_guessed() {
        let servers = servers();
        assert_eq!(resolve_server(&servers, "srv-local", Some("smallpc")), Err(ServerLookupError::Unknown));
        assert_eq!(
            resolve_server(&servers, "srv-local", Some("twin")),
            Err(ServerLookupError::Ambiguous(vec!["srv-3".to_owned(), "srv-4".to_owned()]))
        );
    }

    #[test]
    fn descriptions_give_name_and_id() {
        let servers = vec![ServerInfo::new("local", "laptop"), ServerInfo::new("srv-2", "bigpc")];
        assert_eq!(describe_servers(&servers), "laptop (id local), bigpc (id srv-2)");
    }
}
