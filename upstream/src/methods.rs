//! The method table: our `x-rpc` against upstream's method lists, and bringing `x-rpc` in line.
//!
//! Every upstream method belongs in `x-rpc` with upstream's direction. A method upstream lacks stays only when its
//! entry says where it comes from (`"x-origin": "fork"`, say); the rest are gone upstream and are removed. The
//! params and result defs of kept methods are ours and stay as they are.

use std::collections::BTreeMap;

use handoff_schema::Direction;
use serde_json::{Map, Value, json};

use crate::upstream_schema::UpstreamSchema;

/// The `x-rpc` entry member that keeps a method upstream lacks.
pub const ORIGIN: &str = "x-origin";

/// One difference between `x-rpc` and upstream's methods.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum MethodChange {
    /// Upstream has it, we do not.
    Added { method: String, direction: Direction },
    /// We list it, upstream does not, and nothing says where it comes from.
    Removed { method: String, direction: Direction },
    /// Both have it, in different directions.
    DirectionChanged { method: String, ours: Direction, upstream: Direction },
}

impl MethodChange {
    pub fn method(&self) -> &str {
        match self {
            MethodChange::Added { method, .. }
            | MethodChange::Removed { method, .. }
            | MethodChange::DirectionChanged { method, .. } => method,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            MethodChange::Added { .. } => "method-missing",
            MethodChange::Removed { .. } => "method-not-upstream",
            MethodChange::DirectionChanged { .. } => "method-direction-differs",
        }
    }

    /// What `cargo xtask upstream` does (or, under `--check`, would do) about it.
    pub fn describe(&self) -> String {
        match self {
            MethodChange::Added { method, direction } => {
                format!("`{method}` ({}) is upstream but not in x-rpc: added", direction.wire())
            }
            MethodChange::Removed { method, direction } => format!(
                "`{method}` ({}) is in x-rpc but not upstream, and has no `{ORIGIN}`: removed",
                direction.wire()
            ),
            MethodChange::DirectionChanged { method, ours, upstream } => format!(
                "`{method}` is a {} upstream but a {} in x-rpc: direction changed",
                upstream.wire(),
                ours.wire()
            ),
        }
    }
}

/// A method upstream lacks that stays because its entry names its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptMethod {
    pub method: String,
    pub origin: String,
}

/// The comparison of the method table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MethodReport {
    /// Sorted by method.
    pub changes: Vec<MethodChange>,
    pub kept: Vec<KeptMethod>,
}

/// Why an `x-rpc` table could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("/x-rpc{pointer}: {message}")]
pub struct TableError {
    pub pointer: String,
    pub message: String,
}

/// Compares the schema document's `x-rpc` with upstream's methods.
pub fn compare(x_rpc: &Map<String, Value>, upstream: &UpstreamSchema) -> Result<MethodReport, TableError> {
    let mut report = MethodReport::default();
    for (method, entry) in x_rpc {
        let ours = entry_direction(method, entry)?;
        match upstream.methods.get(method) {
            Some(theirs) if theirs.direction != ours => report.changes.push(MethodChange::DirectionChanged {
                method: method.clone(),
                ours,
                upstream: theirs.direction,
            }),
            Some(_) => {}
            None => match entry.get(ORIGIN) {
                Some(Value::String(origin)) if !origin.trim().is_empty() => {
                    report.kept.push(KeptMethod { method: method.clone(), origin: origin.clone() })
                }
                Some(_) => {
                    return Err(TableError {
                        pointer: format!("/{}/{ORIGIN}", handoff_schema::escape_pointer_token(method)),
                        message: "must be a non-empty string naming where the method comes from".to_owned(),
                    });
                }
                None => report.changes.push(MethodChange::Removed { method: method.clone(), direction: ours }),
            },
        }
    }
    for (method, theirs) in &upstream.methods {
        if !x_rpc.contains_key(method) {
            report.changes.push(MethodChange::Added { method: method.clone(), direction: theirs.direction });
        }
    }
    report.changes.sort_by(|a, b| a.method().cmp(b.method()));
    Ok(report)
}

/// Brings `x-rpc` in line: adds, removes and redirects as `report` says, keeps every other entry as it is, and
/// orders the table by method name (as the schema keeps it).
pub fn apply(x_rpc: &mut Map<String, Value>, report: &MethodReport) {
    let mut table: BTreeMap<String, Value> = std::mem::take(x_rpc).into_iter().collect();
    for change in &report.changes {
        match change {
            MethodChange::Added { method, direction } => {
                table.insert(method.clone(), json!({ "direction": direction.wire() }));
            }
            MethodChange::Removed { method, .. } => {
                table.remove(method);
            }
            MethodChange::DirectionChanged { method, upstream, .. } => {
                if let Some(Value::Object(entry)) = table.get_mut(method) {
                    entry.insert("direction".to_owned(), Value::String(upstream.wire().to_owned()));
                    // A notification has no result.
                    if !upstream.is_request() {
                        entry.remove("result");
                    }
                }
            }
        }
    }
    x_rpc.extend(table);
}

fn entry_direction(method: &str, entry: &Value) -> Result<Direction, TableError> {
    let pointer = format!("/{}/direction", handoff_schema::escape_pointer_token(method));
    let wire = entry
        .get("direction")
        .and_then(Value::as_str)
        .ok_or_else(|| TableError { pointer: pointer.clone(), message: "missing or not a string".to_owned() })?;
    Direction::from_wire(wire).ok_or_else(|| TableError { pointer, message: format!("`{wire}` is no direction") })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream_schema::UpstreamMethod;

    fn upstream(methods: &[(&str, Direction)]) -> UpstreamSchema {
        let mut schema = UpstreamSchema::default();
        for (name, direction) in methods {
            schema.methods.insert((*name).to_owned(), UpstreamMethod { direction: *direction, params: None });
        }
        schema
    }

    fn table(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn adds_removes_redirects_and_keeps_marked_methods() {
        let mut ours = table(json!({
            "thread/resume": {"direction": "client_request", "params": "#/$defs/ThreadResumeParams", "result": "#/$defs/ThreadResumeResponse"},
            "gone/away": {"direction": "client_request"},
            "flipped": {"direction": "server_request", "result": "#/$defs/X"},
            "thread/realtime/finalizeHandoff": {"direction": "client_request", "x-origin": "fork"},
        }));
        let theirs = upstream(&[
            ("thread/resume", Direction::ClientRequest),
            ("flipped", Direction::ServerNotification),
            ("thread/realtime/item/started", Direction::ServerNotification),
        ]);
        let report = compare(&ours, &theirs).unwrap();
        assert_eq!(
            report.changes,
            [
                MethodChange::DirectionChanged {
                    method: "flipped".into(),
                    ours: Direction::ServerRequest,
                    upstream: Direction::ServerNotification
                },
                MethodChange::Removed { method: "gone/away".into(), direction: Direction::ClientRequest },
                MethodChange::Added {
                    method: "thread/realtime/item/started".into(),
                    direction: Direction::ServerNotification
                },
            ]
        );
        assert_eq!(
            report.kept,
            [KeptMethod { method: "thread/realtime/finalizeHandoff".into(), origin: "fork".into() }]
        );

        apply(&mut ours, &report);
        assert_eq!(
            Value::Object(ours.clone()),
            json!({
                "flipped": {"direction": "server_notification"},
                "thread/realtime/finalizeHandoff": {"direction": "client_request", "x-origin": "fork"},
                "thread/realtime/item/started": {"direction": "server_notification"},
                "thread/resume": {"direction": "client_request", "params": "#/$defs/ThreadResumeParams", "result": "#/$defs/ThreadResumeResponse"},
            })
        );
        let keys: Vec<&String> = ours.keys().collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        assert_eq!(compare(&ours, &theirs).unwrap().changes, []);
    }

    #[test]
    fn a_blank_origin_or_a_bad_direction_is_an_error() {
        let theirs = upstream(&[]);
        let error =
            compare(&table(json!({"a/b": {"direction": "client_request", "x-origin": ""}})), &theirs).unwrap_err();
        assert_eq!(error.pointer, "/a~1b/x-origin");
        let error = compare(&table(json!({"a": {"direction": "sideways"}})), &theirs).unwrap_err();
        assert_eq!(error.to_string(), "/x-rpc/a/direction: `sideways` is no direction");
    }
}
