//! Unanswered requests, per server id and per sender, with a bound on how many are remembered.
//!
//! The mobile recorder stores requests but no responses, so in its captures every request stays unanswered. To keep
//! memory flat on such captures, each scope remembers at most [`MAX_OPEN_REQUESTS`]; beyond that the oldest are
//! forgotten, and that scope no longer reports orphan responses (a response might answer a forgotten request).
//! A note in the report says so.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::collections::hash_map::Entry;

use foldhash::HashMap;

use serde_json::Value;

use crate::compiled::NodeId;

/// Unanswered requests remembered per server and sender (about 100 bytes each).
pub const MAX_OPEN_REQUESTS: usize = 16 * 1024;

/// A request id as JSON-RPC compares them: `7` and `"7"` are different ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RequestId {
    Int(i64),
    Str(String),
}

impl RequestId {
    /// `None` for ids that are neither strings nor 64-bit integers (the envelope check reports those).
    pub fn from_value(value: &Value) -> Option<RequestId> {
        match value {
            Value::String(s) => Some(RequestId::Str(s.clone())),
            Value::Number(n) => n.as_i64().map(RequestId::Int),
            _ => None,
        }
    }

    pub fn show(&self) -> String {
        match self {
            RequestId::Int(n) => n.to_string(),
            RequestId::Str(s) => format!("{s:?}"),
        }
    }
}

#[derive(Debug)]
pub struct Pending<'s> {
    /// Borrowed from the contract for known methods, so tracking a request allocates nothing.
    pub method: Cow<'s, str>,
    /// The def of the method's result, for a method of the contract that has one.
    pub result_def: Option<ResultDef<'s>>,
    pub line: u64,
    /// Order of arrival in its scope, to tell a re-used id from the entry the order queue remembers.
    seq: u64,
}

/// The def a request's result is checked against: its name, and its compiled node (`None` for a def the compiled
/// contract lacks, which the check reports), looked up once per method rather than per response.
#[derive(Debug, Clone, Copy)]
pub struct ResultDef<'s> {
    pub name: &'s str,
    pub node: Option<NodeId>,
}

/// What a response found.
pub enum Answer<'s> {
    /// The request it answers, now removed.
    Request(Pending<'s>),
    /// No such unanswered request.
    Orphan,
    /// No such request remembered, but older ones were forgotten: it may answer one of those.
    Unknown,
}

#[derive(Default)]
struct Scope<'s> {
    open: HashMap<RequestId, Pending<'s>>,
    /// Arrival order, for forgetting the oldest; entries already answered are skipped lazily.
    order: VecDeque<(u64, RequestId)>,
    next_seq: u64,
    forgotten: u64,
    /// Line of the request whose arrival first made the scope forget one.
    forgetting_since: Option<u64>,
}

/// Requests are scoped by server id and by who sent them: `[client → server, server → client]`.
#[derive(Default)]
pub struct RequestTable<'s> {
    /// Hashed with foldhash: ids and server names come from the capture, but the table is bounded per scope and a
    /// capture is a file its owner hands over, so the speed matters more than flooding resistance.
    /// Found by a borrowed server id in one lookup (`entry_ref`), the id copied only for a new server.
    servers: hashbrown::HashMap<String, [Scope<'s>; 2], foldhash::fast::RandomState>,
}

impl<'s> RequestTable<'s> {
    /// Remembers a request; on a duplicate of an unanswered id returns the first request and remembers nothing.
    pub fn insert(
        &mut self,
        server_id: &str,
        sent_by_client: bool,
        id: RequestId,
        method: Cow<'s, str>,
        result_def: Option<ResultDef<'s>>,
        line: u64,
    ) -> Result<(), &Pending<'s>> {
        let scope = &mut self.servers.entry_ref(server_id).or_default()[slot(sent_by_client)];
        let seq = scope.next_seq;
        let duplicate = match scope.open.entry(id) {
            // Looked up again to return it (rare): a borrow returned from the match would outlive it.
            Entry::Occupied(first) => Some(first.key().clone()),
            Entry::Vacant(new) => {
                scope.order.push_back((seq, new.key().clone()));
                new.insert(Pending { method, result_def, line, seq });
                None
            }
        };
        if let Some(id) = duplicate {
            return Err(&scope.open[&id]);
        }
        scope.next_seq += 1;
        if scope.open.len() > MAX_OPEN_REQUESTS {
            scope.forget_oldest(line);
        }
        // Answered entries linger in `order` until they reach its front; compact now and then so it stays
        // proportional to the open requests.
        if scope.order.len() > 2 * scope.open.len() + 1024 {
            let open = &scope.open;
            scope.order.retain(|(seq, id)| open.get(id).is_some_and(|p| p.seq == *seq));
        }
        Ok(())
    }

    /// Removes and returns the request a response answers.
    pub fn answer(&mut self, server_id: &str, sent_by_client: bool, id: &RequestId) -> Answer<'s> {
        let Some(scope) = self.servers.get_mut(server_id).map(|scopes| &mut scopes[slot(sent_by_client)]) else {
            return Answer::Orphan;
        };
        match scope.open.remove(id) {
            Some(pending) => Answer::Request(pending),
            None if scope.forgotten > 0 => Answer::Unknown,
            None => Answer::Orphan,
        }
    }

    /// One note per scope that forgot requests.
    pub fn notes(&self) -> Vec<String> {
        let mut notes: Vec<String> = Vec::new();
        for (server_id, scopes) in &self.servers {
            for (i, scope) in scopes.iter().enumerate() {
                let Some(since) = scope.forgetting_since else { continue };
                let sender = if i == 0 { "client → app-server" } else { "app-server → client" };
                notes.push(format!(
                    "server `{server_id}`: more than {MAX_OPEN_REQUESTS} unanswered {sender} requests; the {} oldest \
                     were forgotten from line {since} on, so orphan responses and reused ids are not checked for them",
                    scope.forgotten
                ));
            }
        }
        notes.sort();
        notes
    }
}

impl Scope<'_> {
    fn forget_oldest(&mut self, line: u64) {
        while let Some((seq, id)) = self.order.pop_front() {
            if self.open.get(&id).is_some_and(|p| p.seq == seq) {
                self.open.remove(&id);
                self.forgotten += 1;
                self.forgetting_since.get_or_insert(line);
                return;
            }
        }
    }
}

fn slot(sent_by_client: bool) -> usize {
    if sent_by_client { 0 } else { 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: i64) -> RequestId {
        RequestId::Int(n)
    }

    #[test]
    fn duplicates_answers_and_orphans() {
        let mut table = RequestTable::default();
        assert!(table.insert("s", true, id(1), "a".into(), None, 1).is_ok());
        assert_eq!(table.insert("s", true, id(1), "b".into(), None, 2).unwrap_err().line, 1);
        // Other server, other sender, string id: separate.
        assert!(table.insert("t", true, id(1), "a".into(), None, 3).is_ok());
        assert!(table.insert("s", false, id(1), "a".into(), None, 4).is_ok());
        assert!(table.insert("s", true, RequestId::Str("1".into()), "a".into(), None, 5).is_ok());
        assert!(matches!(table.answer("s", true, &id(1)), Answer::Request(p) if p.line == 1));
        assert!(matches!(table.answer("s", true, &id(1)), Answer::Orphan));
        assert!(matches!(table.answer("nowhere", true, &id(1)), Answer::Orphan));
        // Answered ids can be used again.
        assert!(table.insert("s", true, id(1), "c".into(), None, 6).is_ok());
        assert!(table.notes().is_empty());
    }

    #[test]
    fn memory_is_bounded_and_the_forgetting_is_noted() {
        let mut table = RequestTable::default();
        let total = MAX_OPEN_REQUESTS as i64 + 10;
        for n in 0..total {
            table.insert("rec", true, id(n), "thread/resume".into(), None, n as u64 + 1).unwrap();
        }
        let scope = &table.servers["rec"][0];
        assert_eq!(scope.open.len(), MAX_OPEN_REQUESTS);
        assert!(scope.order.len() <= 2 * MAX_OPEN_REQUESTS + 1024);
        // The ten oldest were forgotten: a response to one is not called an orphan, and the newest are answerable.
        assert!(matches!(table.answer("rec", true, &id(3)), Answer::Unknown));
        assert!(matches!(table.answer("rec", true, &id(total - 1)), Answer::Request(_)));
        let notes = table.notes();
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("the 10 oldest were forgotten"), "{}", notes[0]);
    }

    #[test]
    fn answered_requests_do_not_pile_up_in_the_order_queue() {
        let mut table = RequestTable::default();
        for n in 0..100_000 {
            table.insert("s", true, id(n), "m".into(), None, 1).unwrap();
            assert!(matches!(table.answer("s", true, &id(n)), Answer::Request(_)));
        }
        assert!(table.servers["s"][0].order.len() <= 1025);
        assert!(table.notes().is_empty());
    }
}
