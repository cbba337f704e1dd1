//! The timeline as ONE self-contained HTML page: inline CSS, inline SVG per row, a few lines of inline JS, nothing
//! loaded from the network. A lane per party, a row per frame (or folded run), handoffs framed from their item to
//! their finalize with their phase changes, every violation marked on its frame, and summary tables linking to the
//! frames.

use std::fmt::Write as _;

use crate::report::Severity;
use crate::timeline::{Kind, PartyKind, Row, Timeline};

const LANE_WIDTH: usize = 190;
const ROW_HEIGHT: usize = 30;

/// Escapes text for HTML content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn lane_x(lane: usize) -> usize {
    lane * LANE_WIDTH + LANE_WIDTH / 2
}

const STYLE: &str = r#"
body{font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#fafbfc}
header{padding:12px 20px;background:#1d2330;color:#fff}
header h1{font-size:17px;margin:0 0 4px}
header .stats span{margin-right:18px}
main{padding:12px 20px}
h2{font-size:15px;margin:22px 0 8px}
table.summary{border-collapse:collapse;margin-bottom:8px}
table.summary th,table.summary td{border:1px solid #d5d9e0;padding:3px 8px;text-align:left;vertical-align:top}
table.summary tbody tr{cursor:pointer}
table.summary tbody tr:hover{background:#eef3ff}
.lanes{position:sticky;top:0;z-index:2;display:flex;background:#fafbfc;border-bottom:2px solid #1d2330;padding:6px 0}
.lane{text-align:center;font-weight:600;box-sizing:border-box;padding:0 4px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.lane.realtime{color:#7b2fbf}.lane.client{color:#0b6e4f}.lane.server{color:#1f5fbf}
.row{display:flex;align-items:flex-start;border-left:4px solid transparent}
.row:target,.row.flash{background:#fff3b0}
.row svg{flex:none;display:block}
.row .meta{padding:6px 8px;min-width:260px;font-size:12px}
.row .line{color:#6b7280;margin-right:6px}
.row.handoff{border-left-color:#f0a030;background:#fff8ec}
.row.has-violation,.row.handoff.has-violation{background:#fde8e6}
.row.handoff-start{border-top:2px solid #f0a030}
.row.handoff-end{border-bottom:2px solid #f0a030}
.handoff-title{font-weight:600;color:#9a5b00;margin-right:6px}
.phase{display:inline-block;background:#f0a030;color:#fff;border-radius:3px;padding:0 5px;margin-right:6px;font-size:11px}
.violation{display:block;color:#b42318;font-weight:600}
.violation.warning{color:#a15c00}
.violation code{font-weight:700}
details.fold summary{cursor:pointer;list-style:none}
details.fold ol{margin:2px 0 6px 30px;padding:0;font-size:12px;color:#374151}
.elided{color:#6b7280;font-style:italic}
.empty{color:#6b7280}
.notes li{color:#374151}
"#;

/// Makes the summary rows scroll to their frame (links work without it; a whole row is a bigger target).
const SCRIPT: &str = r#"
document.querySelectorAll('table.summary tbody tr[data-target]').forEach(function (tr) {
  tr.addEventListener('click', function (event) {
    var target = document.getElementById(tr.getAttribute('data-target'));
    if (!target) { return; }
    event.preventDefault();
    target.scrollIntoView({block: 'center'});
    history.replaceState(null, '', '#' + target.id);
    document.querySelectorAll('.row.flash').forEach(function (row) { row.classList.remove('flash'); });
    target.classList.add('flash');
  });
});
"#;

pub fn render(timeline: &Timeline) -> String {
    let mut out = String::new();
    let title = format!("Handoff timeline: {}", timeline.path);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n",
        esc(&title)
    );
    let errors = timeline.violations.iter().filter(|v| v.severity == Severity::Error).count();
    let warnings = timeline.violations.len() - errors;
    let _ = writeln!(
        out,
        "<header><h1>{}</h1><div class=\"stats\"><span>{} frame(s)</span><span>{} lane(s)</span>\
         <span>{} handoff(s)</span><span id=\"violation-count\">{} error(s), {} warning(s)</span></div></header><main>",
        esc(&title),
        timeline.frames,
        timeline.parties.len(),
        timeline.handoffs.len(),
        errors,
        warnings
    );
    if let Some(error) = &timeline.read_error {
        let _ = write!(out, "<p class=\"violation\">cannot read the capture: {}</p>", esc(error));
    }
    summary(&mut out, timeline);
    if !timeline.notes.is_empty() {
        out.push_str("<h2>Notes</h2><ul class=\"notes\">");
        for note in &timeline.notes {
            let _ = write!(out, "<li>{}</li>", esc(note));
        }
        out.push_str("</ul>");
    }
    out.push_str("<h2>Timeline</h2>\n");
    lanes(&mut out, timeline);
    let mut rows = String::new();
    for (index, row) in timeline.rows.iter().enumerate() {
        render_row(&mut rows, timeline, index, row);
    }
    if timeline.rows.is_empty() {
        rows.push_str("<p class=\"empty\">No frames.</p>");
    }
    let _ = write!(out, "<div id=\"timeline\">{rows}</div>\n</main><script>{SCRIPT}</script></body></html>\n");
    out
}

fn summary(out: &mut String, timeline: &Timeline) {
    out.push_str("<h2>Violations by rule</h2>");
    if timeline.rules.is_empty() {
        out.push_str("<p class=\"empty\">No violations.</p>");
    } else {
        out.push_str(
            "<table class=\"summary\" id=\"rules\"><thead><tr><th>rule</th><th>count</th><th>frames</th></tr></thead><tbody>",
        );
        for rule in &timeline.rules {
            let target = rule.first.first().map(|a| format!(" data-target=\"{}\"", esc(a))).unwrap_or_default();
            let links: Vec<String> =
                rule.first.iter().map(|a| format!("<a href=\"#{0}\">{1}</a>", esc(a), esc(&a[1..]))).collect();
            let _ = write!(
                out,
                "<tr{target}><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&rule.rule),
                rule.count,
                links.join(", ")
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("<h2>Handoffs</h2>");
    if timeline.handoffs.is_empty() {
        out.push_str("<p class=\"empty\">No handoffs in this capture.</p>");
        return;
    }
    out.push_str(
        "<table class=\"summary\" id=\"handoffs\"><thead><tr><th>handoff</th><th>server</th><th>lines</th>\
         <th>phases</th><th>violations</th></tr></thead><tbody>",
    );
    for handoff in &timeline.handoffs {
        let end = handoff.end_line.map_or_else(|| "never finalized".to_owned(), |l| l.to_string());
        let phases: Vec<String> = handoff.phases.iter().map(|(_, p)| esc(p)).collect();
        let _ = write!(
            out,
            "<tr data-target=\"{0}\"><td><a href=\"#{0}\">{1}</a></td><td>{2}</td><td>{3}–{4}</td><td>{5}</td><td>{6}</td></tr>",
            esc(&handoff.start_anchor),
            esc(&handoff.handoff_id),
            esc(&handoff.target),
            handoff.start_line,
            esc(&end),
            phases.join(" → "),
            handoff.violations
        );
    }
    out.push_str("</tbody></table>");
}

fn lanes(out: &mut String, timeline: &Timeline) {
    out.push_str("<div class=\"lanes\" id=\"lanes\">");
    for party in &timeline.parties {
        let class = match party.kind {
            PartyKind::Realtime => "realtime",
            PartyKind::Client => "client",
            PartyKind::Server => "server",
        };
        let _ = write!(
            out,
            "<div class=\"lane {class}\" data-party=\"{}\" style=\"width:{LANE_WIDTH}px\" title=\"{1}\">{1}</div>",
            esc(&party.id),
            esc(&party.label)
        );
    }
    out.push_str("<div class=\"lane\" style=\"min-width:260px;text-align:left\">frame · violations</div></div>\n");
}

/// The lanes and the arrow of one row, as inline SVG.
fn row_svg(out: &mut String, timeline: &Timeline, row: &Row) {
    let width = timeline.parties.len() * LANE_WIDTH;
    let _ = write!(
        out,
        "<svg width=\"{width}\" height=\"{ROW_HEIGHT}\" viewBox=\"0 0 {width} {ROW_HEIGHT}\" aria-hidden=\"true\">"
    );
    for lane in 0..timeline.parties.len() {
        let x = lane_x(lane);
        let _ = write!(out, "<line x1=\"{x}\" y1=\"0\" x2=\"{x}\" y2=\"{ROW_HEIGHT}\" stroke=\"#c8ced8\"/>");
    }
    let y = ROW_HEIGHT - 8;
    let color = match row.kind {
        Kind::Request => "#1f5fbf",
        Kind::Response => "#0b6e4f",
        Kind::Error => "#b42318",
        Kind::Notification => "#555f6d",
        Kind::Event => "#7b2fbf",
        Kind::Unparsable => "#b42318",
        Kind::Elided => "#9aa3af",
    };
    let dash = if matches!(row.kind, Kind::Response | Kind::Error) { " stroke-dasharray=\"5 3\"" } else { "" };
    let label = if row.count > 1 { format!("{} ×{}", row.label, row.count) } else { row.label.clone() };
    if row.from == row.to {
        // A frame that belongs to no arrow (unreadable, elided): a mark on its lane.
        let x = lane_x(row.from);
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"10\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\" fill=\"{color}\" font-size=\"11\">{}</text>",
            x - 7,
            y - 5,
            x + 12,
            y + 4,
            esc(&label)
        );
    } else {
        let (x1, x2) = (lane_x(row.from), lane_x(row.to));
        let tip = if x2 > x1 { x2 - 6 } else { x2 + 6 };
        let width = if row.count >= 3 { 6 } else { 1 };
        let _ = write!(
            out,
            "<line x1=\"{x1}\" y1=\"{y}\" x2=\"{tip}\" y2=\"{y}\" stroke=\"{color}\" stroke-width=\"{width}\"{dash}/>\
             <path d=\"M{x2} {y} L{tip} {} L{tip} {} Z\" fill=\"{color}\"/>\
             <text x=\"{}\" y=\"{}\" fill=\"{color}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            y - 4,
            y + 4,
            x1.min(x2) + x1.abs_diff(x2) / 2,
            y - 6,
            esc(&label)
        );
    }
    if !row.violations.is_empty() {
        // A mark on the frame itself, where the eye follows the arrows.
        let x = lane_x(row.from).min(lane_x(row.to)) + lane_x(row.from).abs_diff(lane_x(row.to)) / 2;
        let _ = write!(out, "<circle cx=\"{x}\" cy=\"{y}\" r=\"5\" fill=\"#b42318\"><title>violation</title></circle>");
    }
    out.push_str("</svg>");
}

fn render_row(out: &mut String, timeline: &Timeline, index: usize, row: &Row) {
    let mut classes = vec!["row"];
    if !row.violations.is_empty() {
        classes.push("has-violation");
    }
    let handoff = row.handoff.map(|h| &timeline.handoffs[h]);
    if let Some(handoff) = handoff {
        classes.push("handoff");
        if handoff.start_line == row.line {
            classes.push("handoff-start");
        }
        if handoff.end_line.is_some_and(|end| (row.line..=row.last_line).contains(&end)) {
            classes.push("handoff-end");
        }
    }
    let _ = write!(
        out,
        "<div class=\"{}\" id=\"{}\" data-row=\"{index}\" data-kind=\"{}\"{}>",
        classes.join(" "),
        esc(&row.anchor),
        serde_json::to_value(row.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
        row.handoff.map(|h| format!(" data-handoff=\"{h}\"")).unwrap_or_default()
    );
    let folded = row.count >= 3 || row.kind == Kind::Elided && row.count > 1;
    if folded {
        out.push_str("<details class=\"fold\"><summary>");
        row_svg(out, timeline, row);
        out.push_str("</summary><ol>");
        for (line, label) in &row.samples {
            let _ = write!(out, "<li>line {line}: {}</li>", esc(label));
        }
        if row.count as usize > row.samples.len() {
            let _ =
                write!(out, "<li>… {} more, up to line {}</li>", row.count as usize - row.samples.len(), row.last_line);
        }
        out.push_str("</ol></details>");
    } else {
        row_svg(out, timeline, row);
    }
    out.push_str("<div class=\"meta\">");
    let lines =
        if row.last_line != row.line { format!("{}–{}", row.line, row.last_line) } else { row.line.to_string() };
    let element = row.index.map(|i| format!(" [{i}]")).unwrap_or_default();
    let _ = write!(out, "<span class=\"line\">line {lines}{element}</span>");
    if let Some(handoff) = handoff
        && handoff.start_line == row.line
    {
        let _ = write!(
            out,
            "<span class=\"handoff-title\">handoff {} → {}</span>",
            esc(&handoff.handoff_id),
            esc(&handoff.target)
        );
    }
    if let Some(phase) = &row.phase {
        let _ = write!(out, "<span class=\"phase\" title=\"HandoffPhase\">{}</span>", esc(phase));
    }
    if row.kind == Kind::Elided {
        let _ = write!(out, "<span class=\"elided\">{} frame(s) folded (row budget)</span>", row.count);
        if let Some(handoff) = handoff {
            let phases: Vec<String> = handoff.phases.iter().map(|(_, p)| esc(p)).collect();
            let _ = write!(out, " <span class=\"phase\" title=\"HandoffPhase\">{}</span>", phases.join(" → "));
        }
    }
    for &v in &row.violations {
        let violation = &timeline.violations[v];
        let class = if violation.severity == Severity::Warning { "violation warning" } else { "violation" };
        let at =
            if violation.pointer.is_empty() { String::new() } else { format!(" (at {})", esc(&violation.pointer)) };
        let _ = write!(
            out,
            "<span class=\"{class}\" data-rule=\"{0}\"><code>{0}</code>: {1}{at}</span>",
            esc(&violation.rule),
            esc(&violation.message)
        );
    }
    out.push_str("</div></div>\n");
}
