//! The timeline as Mermaid `sequenceDiagram`s, one per handoff (folded deltas, violations as notes), small enough
//! for a pull-request comment. A capture without handoffs gets one diagram of its first rows.

use std::fmt::Write as _;

use crate::timeline::{Kind, Row, Timeline};

/// Rows drawn per diagram; the rest is summed up in a note.
const MAX_ROWS: usize = 60;

/// Mermaid text may not hold `;`, `#` or line breaks as they are; keep it plain and short.
fn text(raw: &str) -> String {
    let short: String =
        if raw.chars().count() > 120 { raw.chars().take(117).chain("…".chars()).collect() } else { raw.to_owned() };
    let mut out = String::with_capacity(short.len());
    for c in short.chars() {
        match c {
            // Mermaid reads `;` as a statement end and `#…;` as an entity: write both as entity codes.
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub fn render(timeline: &Timeline) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "%% handoff timeline of {}", text(&timeline.path));
    if let Some(error) = &timeline.read_error {
        let _ = writeln!(out, "%% cannot read the capture: {}", text(error));
        return out;
    }
    if timeline.handoffs.is_empty() {
        let rows: Vec<&Row> = timeline.rows.iter().collect();
        diagram(&mut out, timeline, "whole capture (no handoffs)", &rows);
        return out;
    }
    for (index, handoff) in timeline.handoffs.iter().enumerate() {
        let rows: Vec<&Row> = timeline.rows.iter().filter(|row| row.handoff == Some(index)).collect();
        let title =
            format!("handoff {} → {} ({} violation(s))", handoff.handoff_id, handoff.target, handoff.violations);
        diagram(&mut out, timeline, &title, &rows);
    }
    out
}

fn diagram(out: &mut String, timeline: &Timeline, title: &str, rows: &[&Row]) {
    let _ = writeln!(out, "\n```mermaid\nsequenceDiagram\n    title {}", text(title));
    let mut used: Vec<usize> = rows.iter().flat_map(|row| [row.from, row.to]).collect();
    used.sort_unstable();
    used.dedup();
    for &party in &used {
        let _ = writeln!(out, "    participant P{party} as {}", text(&timeline.parties[party].label));
    }
    for row in rows.iter().take(MAX_ROWS) {
        let label = if row.count > 1 { format!("{} ×{}", row.label, row.count) } else { row.label.clone() };
        let label = format!("{}: {}", row.line, text(&label));
        if row.from == row.to {
            let _ = writeln!(out, "    Note over P{}: {label}", row.from);
        } else {
            let arrow = if matches!(row.kind, Kind::Response | Kind::Error) { "-->>" } else { "->>" };
            let _ = writeln!(out, "    P{}{arrow}P{}: {label}", row.from, row.to);
        }
        if let Some(phase) = &row.phase {
            let _ = writeln!(out, "    Note right of P{}: phase {}", row.to.max(row.from), text(phase));
        }
        for &v in &row.violations {
            let violation = &timeline.violations[v];
            let (a, b) = (row.from.min(row.to), row.from.max(row.to));
            let over = if a == b { format!("P{a}") } else { format!("P{a},P{b}") };
            let _ = writeln!(out, "    Note over {over}: ⚠ {}: {}", text(&violation.rule), text(&violation.message));
        }
    }
    if rows.len() > MAX_ROWS {
        let _ = writeln!(out, "    Note over P{}: … {} more row(s) in the HTML report", used[0], rows.len() - MAX_ROWS);
    }
    out.push_str("```\n");
}
