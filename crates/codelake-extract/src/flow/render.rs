//! A readable text form of a scope's graph, for golden files, tests and `dump_file`.
//!
//! One line per node, in graph order: its number, kind, role (when not `eval`), copy (when
//! not 0), line and source text (first line, shortened), then its outgoing edges as
//! `-> dst kind` (`exception?` for an implicit exception edge: the node may raise).

use std::fmt::Write;

use super::{Access, EdgeKind, ScopeFlow};

/// The text of a span of `text`, on one line and at most `max` characters.
fn snippet(text: &str, start: usize, end: usize, max: usize) -> String {
    let s = text.get(start..end).unwrap_or("");
    let first = s.lines().next().unwrap_or("");
    let mut out: String = first.chars().take(max).collect();
    if first.chars().count() > max || s.lines().nth(1).is_some() {
        out.push('…');
    }
    out
}

/// Renders one scope's graph. `text` is the file's text (spans index into it, without a
/// BOM), `title` the scope's heading.
pub fn render(flow: &ScopeFlow, text: &str, title: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "scope {title}");
    let mut succ: Vec<Vec<String>> = vec![Vec::new(); flow.nodes.len()];
    for e in &flow.edges {
        let kind = match (e.kind, e.implicit) {
            (EdgeKind::Exception, true) => "exception?",
            (k, _) => k.as_str(),
        };
        succ[e.src as usize].push(format!("{} {kind}", e.dst));
    }
    let line_of = |off: usize| text[..off.min(text.len())].matches('\n').count() + 1;
    for (i, n) in flow.nodes.iter().enumerate() {
        let _ = write!(out, "  {i:>3} {}", n.kind);
        if n.role != "eval" {
            let _ = write!(out, ".{}", n.role);
        }
        if n.copy != 0 {
            let _ = write!(out, " #{}", n.copy);
        }
        if let Some(r) = n.range {
            let (s, e) = (r.start().to_usize(), r.end().to_usize());
            let _ = write!(out, " L{} `{}`", line_of(s), snippet(text, s, e, 32));
        }
        let events: Vec<String> = flow
            .events_of(i as u32)
            .iter()
            .map(|ev| {
                let name = flow.names[ev.var as usize].as_str();
                match ev.access {
                    Access::Read => name.to_string(),
                    Access::Write(k) => format!("{name}={k}"),
                    Access::MayWrite(k) => format!("{name}?={k}"),
                }
            })
            .collect();
        if !events.is_empty() {
            let _ = write!(out, " [{}]", events.join(" "));
        }
        if !succ[i].is_empty() {
            let _ = write!(out, " -> {}", succ[i].join(", "));
        }
        out.push('\n');
    }
    out
}
