//! Reading a `thread/realtime/itemAdded` notification as a handoff, once for the router and the validator.

use codex_handoff_contract::{RealtimeHandoffRequested, RealtimeItem, ThreadId, ThreadRealtimeItemAddedNotification};
use serde::Deserialize;
use serde_json::Value;

use crate::json::Json;

/// What a `thread/realtime/itemAdded` notification's params hold, as far as handoffs go.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemAdded {
    /// A well-formed `handoff_request` item on `voice_thread`.
    Handoff { voice_thread: ThreadId, item: RealtimeHandoffRequested },
    /// A `handoff_request` item whose voice thread and handoff id are readable but the rest does not decode (e.g. the
    /// model passed a malformed `thread_id`). It still opens its handoff: the router answers it with an error, and
    /// that answer must find the handoff open. `server` and `thread_id` are kept where they are readable.
    Rejected {
        voice_thread: ThreadId,
        handoff_id: String,
        server: Option<String>,
        thread_id: Option<ThreadId>,
        reason: String,
    },
    /// Another kind of realtime item.
    NotHandoff,
    /// Params that do not decode and do not even name a voice thread and handoff id.
    Malformed(String),
}

impl ItemAdded {
    /// Reads the params of a `thread/realtime/itemAdded` notification.
    pub fn read(params: &Value) -> ItemAdded {
        // Decoded from the borrowed value, no copy of the item per notification; through the trait, which refuses a JSON
        // array where the generated inherent `deserialize` (serde's remote derive) would read one by position.
        match <ThreadRealtimeItemAddedNotification as Deserialize>::deserialize(params) {
            Ok(added) => ItemAdded::from_notification(added),
            Err(error) => rejected(params, error.to_string()).unwrap_or(ItemAdded::Malformed(error.to_string())),
        }
    }

    /// [`Self::read`] of params that may be given as text: decoded from the text, and only where that fails (the
    /// error message is part of the result) from the text parsed into a `Value`, so the result is [`Self::read`]'s.
    pub(crate) fn read_json(params: Json<'_>) -> ItemAdded {
        match params {
            Json::Value(params) => ItemAdded::read(params),
            Json::Text(text) => match serde_json::from_str::<ThreadRealtimeItemAddedNotification>(text.get()) {
                Ok(added) => ItemAdded::from_notification(added),
                Err(_) => ItemAdded::read(&params.to_value()),
            },
        }
    }

    fn from_notification(added: ThreadRealtimeItemAddedNotification) -> ItemAdded {
        match added.item {
            RealtimeItem::HandoffRequest(item) => ItemAdded::Handoff { voice_thread: added.thread_id, item },
            _ => ItemAdded::NotHandoff,
        }
    }

    /// The handoff's voice thread, id, `server` value and named thread, for either readable kind.
    pub fn handoff(&self) -> Option<HandoffRef<'_>> {
        match self {
            ItemAdded::Handoff { voice_thread, item } => Some(HandoffRef {
                voice_thread,
                handoff_id: &item.handoff_id,
                server: item.server.as_deref(),
                thread_id: item.thread_id.as_ref(),
            }),
            ItemAdded::Rejected { voice_thread, handoff_id, server, thread_id, .. } => {
                Some(HandoffRef { voice_thread, handoff_id, server: server.as_deref(), thread_id: thread_id.as_ref() })
            }
            ItemAdded::NotHandoff | ItemAdded::Malformed(_) => None,
        }
    }
}

/// The parts of a handoff item the flow needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HandoffRef<'a> {
    pub voice_thread: &'a ThreadId,
    pub handoff_id: &'a str,
    pub server: Option<&'a str>,
    pub thread_id: Option<&'a ThreadId>,
}

fn rejected(params: &Value, reason: String) -> Option<ItemAdded> {
    let voice_thread = ThreadId::new(params.get("threadId")?.as_str()?).ok()?;
    let item = params.get("item")?;
    if item.get("type")?.as_str()? != "handoff_request" {
        return None;
    }
    Some(ItemAdded::Rejected {
        voice_thread,
        handoff_id: item.get("handoff_id")?.as_str()?.to_owned(),
        server: item.get("server").and_then(Value::as_str).map(str::to_owned),
        thread_id: item.get("thread_id").and_then(Value::as_str).and_then(|id| ThreadId::new(id).ok()),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(item: Value) -> Value {
        json!({"threadId": "voice_1", "item": item})
    }

    #[test]
    fn reads_a_handoff_with_server_and_thread() {
        let read = ItemAdded::read(&params(json!({"type": "handoff_request", "handoff_id": "h1", "item_id": "i1",
            "input_transcript": "x", "active_transcript": [], "server": "bigpc", "thread_id": "thr_1"})));
        let handoff = read.handoff().expect("a handoff");
        assert_eq!((handoff.voice_thread.as_str(), handoff.handoff_id), ("voice_1", "h1"));
        assert_eq!(handoff.server, Some("bigpc"));
        assert_eq!(handoff.thread_id.map(ThreadId::as_str), Some("thr_1"));
        assert!(matches!(read, ItemAdded::Handoff { .. }));
    }

    #[test]
    fn upstreams_item_without_server_or_thread_is_a_handoff() {
        let read = ItemAdded::read(&params(json!({"type": "handoff_request", "handoff_id": "call_1",
            "item_id": "i1", "input_transcript": "x", "active_transcript": []})));
        let handoff = read.handoff().expect("a handoff");
        assert_eq!((handoff.server, handoff.thread_id), (None, None));
    }

    #[test]
    fn a_malformed_thread_id_is_rejected_but_still_names_its_handoff() {
        let read = ItemAdded::read(&params(json!({"type": "handoff_request", "handoff_id": "h1", "item_id": "i1",
            "input_transcript": "x", "active_transcript": [], "server": "bigpc", "thread_id": "../etc/passwd"})));
        match &read {
            ItemAdded::Rejected { handoff_id, server, thread_id, reason, .. } => {
                assert_eq!((handoff_id.as_str(), server.as_deref(), thread_id), ("h1", Some("bigpc"), &None));
                assert!(reason.contains("../etc/passwd"), "{reason}");
            }
            other => panic!("not rejected: {other:?}"),
        }
    }

    #[test]
    fn other_items_and_garbage() {
        assert_eq!(ItemAdded::read(&params(json!({"type": "message"}))), ItemAdded::NotHandoff);
        assert!(matches!(ItemAdded::read(&json!({"threadId": 5})), ItemAdded::Malformed(_)));
        assert!(matches!(ItemAdded::read(&json!({"threadId": "has space", "item": {}})), ItemAdded::Malformed(_)));
    }
}
