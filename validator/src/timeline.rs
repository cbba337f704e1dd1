//! The timeline of a capture: who sent what to whom, in order, with its violations and its handoffs. The model
//! behind `cargo xtask report` (rendered by `timeline_html`, `timeline_mermaid`, or as JSON).
//!
//! Parties are the lanes of the timeline: the voice model (realtime API, server id `realtime`), the client, and
//! each app-server. Frames become rows; runs of deltas fold into one row with a count, and past [`ROW_BUDGET`] rows
//! only notable frames (a violation, a handoff step) keep their own row, so a capture of a million frames stays a
//! few thousand rows. Violations come from the validator itself ([`crate::validate_reader`]), so the report marks
//! exactly what `validate` reports.
//!
//! Handoffs and their phases (the router's `HandoffPhase`) come from the validator's own flow checker
//! ([`handoff_flow::FlowCheck::observe_traced`]): the same attribution (server names, queued handoffs, reconnects,
//! handoff modes) and the same state machine as `validate`; a frame that is no step of a handoff belongs to the
//! handoff open on its server. The verdicts stay the validator's report.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

use handoff_flow::{FlowCheck, FlowDirection, FlowFinding, FlowFrame, FlowMessage, HandoffPhase, ServerInfo};
use serde::Serialize;
use serde_json::Value;

use crate::check::REALTIME_SERVER_ID;
use crate::read::{FrameReader, RawFrame};
use crate::report::{FileReport, Severity};
use crate::schemas::{self, Schemas};

/// Rows listed in full; past this, frames that are not notable are folded into "elided" rows.
pub const ROW_BUDGET: usize = 3000;
/// Rows with a violation listed in full; past this, they fold too (and the summary still counts every one).
pub const VIOLATION_ROW_BUDGET: usize = 3000;
/// A run of this many deltas (or more) between the same parties folds into one row.
const FOLD_MIN_RUN: u64 = 3;
/// Frames of a folded run kept as samples for the expanded view.
const FOLD_SAMPLES: usize = 20;

/// The client's lane while building (0); [`Builder::finish`] moves the voice model's lane before it.
const CLIENT: &str = "client";

#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub path: String,
    pub frames: u64,
    pub parties: Vec<Party>,
    pub rows: Vec<Row>,
    pub handoffs: Vec<Handoff>,
    pub violations: Vec<Violation>,
    /// Violations per rule (all of them, drawn or not).
    pub rules: Vec<RuleCount>,
    pub notes: Vec<String>,
    /// The capture could not be read at all (missing file, I/O error).
    pub read_error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Party {
    /// `realtime`, `client`, or the app-server's server id.
    pub id: String,
    pub label: String,
    pub kind: PartyKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PartyKind {
    Realtime,
    Client,
    Server,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Request,
    Response,
    Error,
    Notification,
    /// A realtime API event.
    Event,
    /// A frame that is not a readable message (not JSON, a broken entry).
    Unparsable,
    /// Frames folded away past the row budget.
    Elided,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The anchor of the row's (first) frame: `f<line>` or `f<line>-<index>`.
    pub anchor: String,
    pub line: u64,
    pub index: Option<u64>,
    pub from: usize,
    pub to: usize,
    pub kind: Kind,
    /// Method, realtime event type, or `#id` for a response.
    pub label: String,
    /// Frames in this row (more than one for a fold).
    pub count: u64,
    pub last_line: u64,
    /// Lines and labels of some folded frames.
    pub samples: Vec<(u64, String)>,
    pub handoff: Option<usize>,
    /// The handoff's phase right after this frame, when the frame changed it.
    pub phase: Option<String>,
    /// Indexes into [`Timeline::violations`].
    pub violations: Vec<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Handoff {
    pub handoff_id: String,
    pub voice_thread: String,
    /// Server id the handoff works on.
    pub target: String,
    pub start_line: u64,
    pub start_anchor: String,
    pub end_line: Option<u64>,
    /// Phase changes in order: (line, phase).
    pub phases: Vec<(u64, String)>,
    pub violations: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    pub line: u64,
    pub index: Option<u64>,
    pub anchor: String,
    pub rule: String,
    pub severity: Severity,
    pub pointer: String,
    pub message: String,
    /// The row that shows it; `None` when its frame was folded past the budgets.
    pub row: Option<usize>,
    pub handoff: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleCount {
    pub rule: String,
    pub count: u64,
    /// Anchors of the first few frames with this rule.
    pub first: Vec<String>,
}

pub fn anchor(line: u64, index: Option<u64>) -> String {
    match index {
        Some(index) => format!("f{line}-{index}"),
        None => format!("f{line}"),
    }
}

/// One frame, classified.
struct Frame {
    line: u64,
    index: Option<u64>,
    from: usize,
    to: usize,
    kind: Kind,
    label: String,
    server: Option<String>,
    message: Option<Value>,
}

/// Builds the timeline of one capture, validated by `report` (its diagnostics, from the same bytes).
pub fn build<R: BufRead>(
    schemas: &Schemas,
    report: &FileReport,
    input: R,
    max_frame_bytes: usize,
) -> std::io::Result<Timeline> {
    let mut builder = Builder::new(schemas, report);
    let mut reader = FrameReader::new(input, max_frame_bytes)?;
    while let Some(raw) = reader.next_frame()? {
        let frame = match raw {
            RawFrame::Frame { line, index, bytes, .. } => builder.classify(line, index, bytes),
            RawFrame::TooLong { line, index, .. } | RawFrame::Broken { line, index, .. } => {
                builder.unparsable(line, index)
            }
        };
        if let Some(frame) = frame {
            builder.add(frame);
        }
    }
    Ok(builder.finish())
}

/// A timeline for an input that could not be read.
pub fn unreadable(path: &str, error: String) -> Timeline {
    Timeline {
        path: path.to_owned(),
        frames: 0,
        parties: Vec::new(),
        rows: Vec::new(),
        handoffs: Vec::new(),
        violations: Vec::new(),
        rules: Vec::new(),
        notes: Vec::new(),
        read_error: Some(error),
    }
}

struct Builder<'s> {
    schemas: &'s Schemas,
    timeline: Timeline,
    /// Party index by id.
    party_index: HashMap<String, usize>,
    /// Display names from a `servers` header.
    names: HashMap<String, String>,
    /// Violation indexes by (line, index), in capture order.
    pending_violations: BTreeMap<(u64, u64), Vec<usize>>,
    /// Requests seen per (server, id text): the direction they travelled (for bare responses) and their method.
    requests: HashMap<(String, String), (usize, usize, String)>,
    flows: Flows,
    violation_rows: usize,
}

impl<'s> Builder<'s> {
    fn new(schemas: &'s Schemas, report: &FileReport) -> Builder<'s> {
        let mut violations = Vec::new();
        let mut pending_violations: BTreeMap<(u64, u64), Vec<usize>> = BTreeMap::new();
        let mut rules: BTreeMap<String, RuleCount> = BTreeMap::new();
        for d in &report.diagnostics {
            let at = anchor(d.line, d.index);
            pending_violations.entry((d.line, d.index.unwrap_or(u64::MAX))).or_default().push(violations.len());
            let rule = rules.entry(d.rule.clone()).or_insert_with(|| RuleCount {
                rule: d.rule.clone(),
                count: 0,
                first: Vec::new(),
            });
            rule.count += 1;
            if rule.first.len() < 10 && !rule.first.contains(&at) {
                rule.first.push(at.clone());
            }
            violations.push(Violation {
                line: d.line,
                index: d.index,
                anchor: at,
                rule: d.rule.clone(),
                severity: d.severity,
                pointer: d.pointer.clone(),
                message: d.message.clone(),
                row: None,
                handoff: None,
            });
        }
        for ((_, rule), count) in &report.omitted {
            rules
                .entry(rule.clone())
                .or_insert_with(|| RuleCount { rule: rule.clone(), count: 0, first: Vec::new() })
                .count += count;
        }
        let mut timeline = Timeline {
            path: report.path.clone(),
            frames: 0,
            parties: Vec::new(),
            rows: Vec::new(),
            handoffs: Vec::new(),
            violations,
            rules: rules.into_values().collect(),
            notes: report.notes.clone(),
            read_error: report.read_error.clone(),
        };
        timeline.parties.push(Party { id: CLIENT.to_owned(), label: "client".to_owned(), kind: PartyKind::Client });
        let party_index = HashMap::from([(CLIENT.to_owned(), 0)]);
        Builder {
            schemas,
            timeline,
            party_index,
            names: HashMap::new(),
            pending_violations,
            requests: HashMap::new(),
            flows: Flows::default(),
            violation_rows: 0,
        }
    }

    fn party(&mut self, id: &str) -> usize {
        if let Some(&index) = self.party_index.get(id) {
            return index;
        }
        let (label, kind) = if id == REALTIME_SERVER_ID {
            ("voice model (realtime API)".to_owned(), PartyKind::Realtime)
        } else {
            let label = match self.names.get(id) {
                Some(name) if name != id => format!("{name} ({id})"),
                _ => format!("app-server {id}"),
            };
            (label, PartyKind::Server)
        };
        let index = self.timeline.parties.len();
        self.timeline.parties.push(Party { id: id.to_owned(), label, kind });
        self.party_index.insert(id.to_owned(), index);
        index
    }

    fn unparsable(&mut self, line: u64, index: Option<u64>) -> Option<Frame> {
        Some(Frame {
            line,
            index,
            from: 0,
            to: 0,
            kind: Kind::Unparsable,
            label: "unreadable frame".to_owned(),
            server: None,
            message: None,
        })
    }

    fn classify(&mut self, line: u64, index: Option<u64>, bytes: &[u8]) -> Option<Frame> {
        let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(bytes) else {
            return self.unparsable(line, index);
        };
        // The `servers` header (issue 16): names for the lanes, not a frame.
        if object.len() == 1
            && let Some(Value::Array(servers)) = object.get("servers")
        {
            for server in servers {
                if let (Some(id), Some(name)) =
                    (server.get("id").and_then(Value::as_str), server.get("name").and_then(Value::as_str))
                {
                    self.names.insert(id.to_owned(), name.to_owned());
                    self.flows.check.add_servers([ServerInfo::new(id, name)]);
                }
            }
            return None;
        }
        if object.contains_key("json") && object.contains_key("dir") {
            let out = match object.get("dir").and_then(Value::as_str) {
                Some("out") => true,
                Some("in") => false,
                _ => return self.unparsable(line, index),
            };
            let Some(server) = object.get("server_id").and_then(Value::as_str).map(str::to_owned) else {
                return self.unparsable(line, index);
            };
            let message = match object.remove("json") {
                Some(Value::String(text)) => match serde_json::from_str::<Value>(&text) {
                    Ok(message @ Value::Object(_)) => message,
                    _ => return self.unparsable(line, index),
                },
                Some(message @ Value::Object(_)) => message,
                _ => return self.unparsable(line, index),
            };
            let lane = self.party(&server);
            let (from, to) = if out { (0, lane) } else { (lane, 0) };
            if server == REALTIME_SERVER_ID {
                let label = message.get("type").and_then(Value::as_str).unwrap_or("(event without type)").to_owned();
                return Some(Frame { line, index, from, to, kind: Kind::Event, label, server: None, message: None });
            }
            return Some(self.rpc(line, index, &server, Some((from, to)), message));
        }
        // A bare message: one app-server connection, direction from the method (or the request answered).
        self.party("app-server");
        Some(self.rpc(line, index, "app-server", None, Value::Object(object)))
    }

    /// A JSON-RPC frame on an app-server connection; `lanes` is `None` for bare messages (inferred).
    fn rpc(
        &mut self,
        line: u64,
        index: Option<u64>,
        server: &str,
        lanes: Option<(usize, usize)>,
        message: Value,
    ) -> Frame {
        let lane = self.party(server);
        let id = message.get("id").map(Value::to_string);
        let method = message.get("method").and_then(Value::as_str).map(str::to_owned);
        let (kind, label, from, to) = match (&method, &id) {
            (Some(method), _) => {
                let by_client = self.schemas.method(method).map(|rpc| schemas::sent_by_client(rpc.direction));
                let (from, to) = lanes.unwrap_or(if by_client.unwrap_or(true) { (0, lane) } else { (lane, 0) });
                let kind = if id.is_some() { Kind::Request } else { Kind::Notification };
                if let Some(id) = &id {
                    self.requests.insert((server.to_owned(), id.clone()), (from, to, method.clone()));
                }
                (kind, method.clone(), from, to)
            }
            (None, Some(id)) => {
                let asked = self.requests.remove(&(server.to_owned(), id.clone()));
                let (from, to) = lanes.unwrap_or(match &asked {
                    Some((from, to, _)) => (*to, *from),
                    None => (lane, 0),
                });
                let kind = if message.get("error").is_some() { Kind::Error } else { Kind::Response };
                let label = match &asked {
                    Some((_, _, method)) => format!("#{id} {method}"),
                    None => format!("#{id}"),
                };
                (kind, label, from, to)
            }
            (None, None) => {
                (Kind::Unparsable, "not JSON-RPC".to_owned(), lanes.map_or(0, |l| l.0), lanes.map_or(lane, |l| l.1))
            }
        };
        Frame { line, index, from, to, kind, label, server: Some(server.to_owned()), message: Some(message) }
    }

    fn add(&mut self, frame: Frame) {
        self.timeline.frames += 1;
        let violations =
            self.pending_violations.remove(&(frame.line, frame.index.unwrap_or(u64::MAX))).unwrap_or_default();
        let out_server = frame.to != 0;
        let (handoff, phase) = match (&frame.server, &frame.message) {
            (Some(server), Some(message)) => self.flows.observe(
                server,
                out_server,
                frame.line,
                &anchor(frame.line, frame.index),
                message,
                &mut self.timeline.handoffs,
            ),
            _ => (None, None),
        };
        for &v in &violations {
            self.timeline.violations[v].handoff = handoff;
            if let Some(h) = handoff {
                self.timeline.handoffs[h].violations += 1;
            }
        }
        // Past the row budget only violations keep a row of their own: a handoff's frames fold into one row per
        // handoff (its phases stay in the handoff summary), other frames into "not drawn" rows.
        let within_budget = self.timeline.rows.len() < ROW_BUDGET;
        let notable = !violations.is_empty()
            || within_budget
                && (phase.is_some() || handoff.is_some_and(|h| self.timeline.handoffs[h].start_line == frame.line));
        let foldable = violations.is_empty()
            && phase.is_none()
            && matches!(frame.kind, Kind::Notification | Kind::Event)
            && frame.label.to_ascii_lowercase().contains("delta");
        let over_budget =
            !within_budget && !notable || !violations.is_empty() && self.violation_rows >= VIOLATION_ROW_BUDGET;
        // Extend the last row when it is the same run.
        if let Some(last) = self.timeline.rows.last_mut() {
            let same_run = foldable
                && last.violations.is_empty()
                && last.phase.is_none()
                && last.from == frame.from
                && last.to == frame.to
                && last.label == frame.label
                && last.kind == frame.kind
                && last.handoff == handoff;
            let elide = over_budget && last.kind == Kind::Elided && last.handoff == handoff;
            if same_run || elide {
                last.count += 1;
                last.last_line = frame.line;
                if last.samples.len() < FOLD_SAMPLES {
                    last.samples.push((frame.line, frame.label));
                }
                return;
            }
        }
        let row_index = self.timeline.rows.len();
        for &v in &violations {
            self.timeline.violations[v].row = Some(row_index);
        }
        if !violations.is_empty() {
            self.violation_rows += 1;
        }
        let (kind, label, from, to) = if over_budget {
            let label = if handoff.is_some() { "handoff frames folded" } else { "frames not drawn" };
            (Kind::Elided, label.to_owned(), 0, 0)
        } else {
            (frame.kind, frame.label.clone(), frame.from, frame.to)
        };
        self.timeline.rows.push(Row {
            anchor: anchor(frame.line, frame.index),
            line: frame.line,
            index: frame.index,
            from,
            to,
            kind,
            samples: vec![(frame.line, frame.label)],
            label,
            count: 1,
            last_line: frame.line,
            handoff,
            phase: if over_budget { None } else { phase },
            violations: if over_budget { Vec::new() } else { violations },
        });
    }

    fn finish(mut self) -> Timeline {
        // The voice model's lane goes leftmost, so a handoff reads voice model → client → servers.
        if let Some(realtime) = self.timeline.parties.iter().position(|p| p.kind == PartyKind::Realtime) {
            let moved = |lane: usize| match lane {
                lane if lane == realtime => 0,
                lane if lane < realtime => lane + 1,
                lane => lane,
            };
            let party = self.timeline.parties.remove(realtime);
            self.timeline.parties.insert(0, party);
            for row in &mut self.timeline.rows {
                row.from = moved(row.from);
                row.to = moved(row.to);
            }
        }
        // Runs shorter than the fold threshold are not folds: keep them, their count says how many.
        for row in &mut self.timeline.rows {
            if row.count < FOLD_MIN_RUN && row.kind != Kind::Elided {
                row.samples.truncate(row.count as usize);
            }
        }
        self.timeline
    }
}

/// The handoffs of a capture as the validator's flow checker attributes them (its [`FlowCheck::observe_traced`]):
/// the same handoffs, targets, modes and phases as `validate`, from one piece of code.
#[derive(Default)]
struct Flows {
    check: FlowCheck,
    /// Index into [`Timeline::handoffs`] by the checker's handoff ordinal.
    drawn: HashMap<usize, usize>,
    /// The checker's findings, not used: the timeline's violations are the validator's report.
    scratch: Vec<FlowFinding>,
}

impl Flows {
    /// Attributes one app-server frame; returns its handoff and the phase it moved the handoff to.
    fn observe(
        &mut self,
        server: &str,
        to_server: bool,
        line: u64,
        at: &str,
        message: &Value,
        handoffs: &mut Vec<Handoff>,
    ) -> (Option<usize>, Option<String>) {
        let direction = if to_server { FlowDirection::ClientToServer } else { FlowDirection::ServerToClient };
        let frame = FlowFrame { server_id: server, direction, message: FlowMessage::Value(message), position: line };
        let trace = self.check.observe_traced(&frame, &mut self.scratch);
        self.scratch.clear();
        let Some(trace) = trace else { return (None, None) };
        let index = match trace.opened {
            Some(opened) => {
                handoffs.push(Handoff {
                    handoff_id: opened.handoff_id,
                    voice_thread: opened.voice_thread,
                    target: opened.target,
                    start_line: line,
                    start_anchor: at.to_owned(),
                    end_line: None,
                    phases: Vec::new(),
                    violations: 0,
                });
                self.drawn.insert(trace.handoff, handoffs.len() - 1);
                handoffs.len() - 1
            }
            None => match self.drawn.get(&trace.handoff) {
                Some(&index) => index,
                None => return (None, None),
            },
        };
        let handoff = &mut handoffs[index];
        if trace.ended {
            handoff.end_line = Some(line);
        }
        let phase = trace.phase.as_ref().map(phase_name);
        let changed = phase.filter(|phase| handoff.phases.last().map(|(_, last)| last) != Some(phase));
        if let Some(phase) = &changed {
            handoff.phases.push((line, phase.clone()));
        }
        (Some(index), changed)
    }
}

/// The phase as the report writes it: the router's variant name and its thread.
pub fn phase_name(phase: &HandoffPhase) -> String {
    match phase {
        HandoffPhase::Planned => "Planned".to_owned(),
        HandoffPhase::Resuming(thread) => format!("Resuming({})", thread.as_str()),
        HandoffPhase::Starting => "Starting".to_owned(),
        HandoffPhase::Ready(thread) => format!("Ready({})", thread.as_str()),
        HandoffPhase::TurnSent(thread) => format!("TurnSent({})", thread.as_str()),
        HandoffPhase::Failed => "Failed".to_owned(),
        HandoffPhase::Finalized => "Finalized".to_owned(),
        HandoffPhase::AwaitingServerTurn => "AwaitingServerTurn".to_owned(),
        HandoffPhase::ServerTurn => "ServerTurn".to_owned(),
        HandoffPhase::ServerTurnDone => "ServerTurnDone".to_owned(),
    }
}
