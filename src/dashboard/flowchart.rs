//! A process's flowchart as SVG, drawn on the server: the stages in columns by how many stages
//! come before them (the longest chain of `after`), with the go-live node between the stages
//! before it and those after it, as `throughline graph` draws it in Mermaid and dot.
//!
//! Right to left for a Hebrew playbook: the first stage on the right.

use std::fmt::Write;

use crate::model::{Lang, Process};
use crate::report::charts::escape;
use crate::report::graph::{after_golive_label, stage_label};

const BOX_W: f64 = 168.0;
const BOX_H: f64 = 64.0;
const GAP_X: f64 = 58.0;
const GAP_Y: f64 = 22.0;
const PAD: f64 = 16.0;

/// One node: a stage (by index) or the go-live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Stage(usize),
    Golive,
}

/// Which stages come after go-live: `after_golive`, or waiting for such a stage.
fn forward(p: &Process) -> Vec<bool> {
    let index = |id: &str| p.stages.iter().position(|s| s.id == id);
    let mut fwd: Vec<bool> = p.stages.iter().map(|s| s.after_golive.is_some()).collect();
    loop {
        let mut changed = false;
        for (s, stage) in p.stages.iter().enumerate() {
            if !fwd[s] && stage.after.iter().any(|a| index(a).is_some_and(|b| fwd[b])) {
                fwd[s] = true;
                changed = true;
            }
        }
        if !changed {
            return fwd;
        }
    }
}

/// Every arrow as (from, to, label).
fn edges(p: &Process) -> Vec<(Node, Node, Option<String>)> {
    let index = |id: &str| p.stages.iter().position(|s| s.id == id);
    let fwd = forward(p);
    let with_golive = fwd.iter().any(|f| *f);
    let mut out = Vec::new();
    for (s, stage) in p.stages.iter().enumerate() {
        if let Some(n) = stage.after_golive {
            out.push((
                Node::Golive,
                Node::Stage(s),
                Some(after_golive_label(n, p.lang)),
            ));
        }
        for b in stage.after.iter().filter_map(|a| index(a)) {
            if with_golive && fwd[s] && !fwd[b] {
                continue; // drawn through the go-live node
            }
            out.push((Node::Stage(b), Node::Stage(s), None));
        }
    }
    if with_golive {
        for (b, stage) in p.stages.iter().enumerate() {
            let leads_on = p
                .stages
                .iter()
                .enumerate()
                .any(|(s, next)| !fwd[s] && next.after.contains(&stage.id));
            if !fwd[b] && !leads_on {
                out.push((Node::Stage(b), Node::Golive, None));
            }
        }
    }
    out
}

/// The column of each node: one more than the furthest node that points to it.
fn columns(p: &Process, edges: &[(Node, Node, Option<String>)]) -> (Vec<usize>, Option<usize>) {
    let n = p.stages.len();
    let key = |node: Node| match node {
        Node::Stage(s) => s,
        Node::Golive => n,
    };
    let mut col = vec![0usize; n + 1];
    // A validated process has no cycle, so n + 1 rounds settle every column.
    for _ in 0..=n {
        let mut changed = false;
        for (from, to, _) in edges {
            let want = col[key(*from)] + 1;
            if col[key(*to)] < want {
                col[key(*to)] = want;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let golive = edges
        .iter()
        .any(|(a, b, _)| *a == Node::Golive || *b == Node::Golive)
        .then_some(col[n]);
    col.truncate(n);
    (col, golive)
}

/// A label cut to fit a box line (about 6.6 pixels a character at 12 px).
fn fit(s: &str, px: f64) -> String {
    let max = (px / 6.6).floor() as usize;
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The flowchart of one process as one `<svg>`.
pub fn svg(p: &Process, id: &str, title: &str) -> String {
    let edges = edges(p);
    let (cols, golive_col) = columns(p, &edges);
    let ncols = cols
        .iter()
        .copied()
        .chain(golive_col)
        .max()
        .map_or(1, |m| m + 1);
    let mut rows_in = vec![0usize; ncols];
    let mut place = |c: usize| {
        let r = rows_in[c];
        rows_in[c] += 1;
        r
    };
    let stage_rows: Vec<usize> = cols.iter().map(|&c| place(c)).collect();
    let golive_row = golive_col.map(&mut place);
    let nrows = rows_in.iter().copied().max().unwrap_or(1).max(1);
    let width = PAD * 2.0 + ncols as f64 * BOX_W + (ncols.saturating_sub(1)) as f64 * GAP_X;
    let height = PAD * 2.0 + nrows as f64 * BOX_H + (nrows - 1) as f64 * GAP_Y;
    let rtl = p.lang.is_rtl();
    let at = |c: usize, r: usize| -> (f64, f64) {
        let x = PAD + c as f64 * (BOX_W + GAP_X);
        let x = if rtl { width - x - BOX_W } else { x };
        (x, PAD + r as f64 * (BOX_H + GAP_Y))
    };
    let pos = |n: Node| match n {
        Node::Stage(s) => at(cols[s], stage_rows[s]),
        Node::Golive => at(golive_col.unwrap_or(0), golive_row.unwrap_or(0)),
    };
    let mut out = String::new();
    let id = escape(id);
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="flow" role="img" aria-labelledby="{id}-title" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" direction="ltr" font-family="system-ui, 'DejaVu Sans', sans-serif"><title id="{id}-title">{}</title><defs><marker id="{id}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#4f5965"/></marker></defs>"##,
        escape(title)
    );
    for (from, to, label) in &edges {
        arrow(&mut out, pos(*from), pos(*to), rtl, label.as_deref(), &id);
    }
    for (s, stage) in p.stages.iter().enumerate() {
        let (x, y) = pos(Node::Stage(s));
        stage_box(&mut out, x, y, &stage_label(p, stage), stage.days == 0);
    }
    if golive_col.is_some() {
        let (x, y) = pos(Node::Golive);
        let word = match p.lang {
            Lang::En => "Go-live",
            Lang::He => "עלייה לאוויר",
        };
        let _ = write!(
            out,
            r##"<g class="golive"><rect x="{x:.1}" y="{:.1}" width="{BOX_W}" height="{:.1}" rx="22" fill="#17324d"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="13" font-weight="700" fill="#ffffff">{}</text></g>"##,
            y + 10.0,
            BOX_H - 20.0,
            x + BOX_W / 2.0,
            y + BOX_H / 2.0 + 4.5,
            escape(word)
        );
    }
    out.push_str("</svg>");
    out
}

fn stage_box(out: &mut String, x: f64, y: f64, lines: &[String; 3], milestone: bool) {
    let (fill, stroke) = if milestone {
        ("#fdf0d5", "#d08a00")
    } else {
        ("#ffffff", "#0b5cad")
    };
    let cx = x + BOX_W / 2.0;
    let _ = write!(
        out,
        r##"<g class="stage"><title>{}</title><rect x="{x:.1}" y="{y:.1}" width="{BOX_W}" height="{BOX_H}" rx="9" fill="{fill}" stroke="{stroke}" stroke-width="1.6"/><text x="{cx:.1}" y="{:.1}" text-anchor="middle" font-size="12.5" font-weight="700" fill="#1b1f24">{}</text><text x="{cx:.1}" y="{:.1}" text-anchor="middle" font-size="11.5" fill="#4f5965">{}</text><text x="{cx:.1}" y="{:.1}" text-anchor="middle" font-size="11.5" fill="#4f5965">{}</text></g>"##,
        escape(&lines.join(" · ")),
        y + 20.0,
        escape(&fit(&lines[0], BOX_W - 12.0)),
        y + 38.0,
        escape(&fit(&lines[1], BOX_W - 12.0)),
        y + 54.0,
        escape(&fit(&lines[2], BOX_W - 12.0)),
    );
}

/// An arrow from the side of one box to the facing side of the next, curved when the rows
/// differ.
fn arrow(
    out: &mut String,
    from: (f64, f64),
    to: (f64, f64),
    rtl: bool,
    label: Option<&str>,
    id: &str,
) {
    let (x1, x2) = if rtl {
        (from.0, to.0 + BOX_W)
    } else {
        (from.0 + BOX_W, to.0)
    };
    let (y1, y2) = (from.1 + BOX_H / 2.0, to.1 + BOX_H / 2.0);
    let mid = (x1 + x2) / 2.0;
    let _ = write!(
        out,
        r##"<path d="M{x1:.1},{y1:.1} C{mid:.1},{y1:.1} {mid:.1},{y2:.1} {x2:.1},{y2:.1}" fill="none" stroke="#4f5965" stroke-width="1.4" marker-end="url(#{id}-arrow)"/>"##
    );
    if let Some(l) = label {
        let _ = write!(
            out,
            r##"<text x="{mid:.1}" y="{:.1}" text-anchor="middle" font-size="10.5" fill="#1b1f24">{}</text>"##,
            (y1 + y2) / 2.0 - 5.0,
            escape(&fit(l, GAP_X + 40.0))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(example: &str) -> Process {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(example);
        let dep = crate::model::load(&root.join("throughline.toml")).expect("the example loads");
        dep.processes.into_iter().next().expect("a process")
    }

    #[test]
    fn every_stage_is_a_box_and_every_after_an_arrow() {
        let p = process("content");
        let svg = svg(&p, "flow-content", "Content");
        assert_eq!(svg.matches("<g class=\"stage\">").count(), p.stages.len());
        let links: usize = p.stages.iter().map(|s| s.after.len()).sum();
        assert!(svg.matches("<path d=\"M").count() >= links);
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
    }

    #[test]
    fn a_hebrew_process_runs_right_to_left() {
        let p = process("internal-launch");
        let svg = svg(&p, "flow", "השקה");
        // The first stage (no `after`) is the right-most box.
        let first = p.stages.iter().position(|s| s.after.is_empty()).unwrap();
        let boxes: Vec<f64> = svg
            .split("<g class=\"stage\">")
            .skip(1)
            .map(|g| {
                let x = g.split("<rect x=\"").nth(1).unwrap();
                x[..x.find('"').unwrap()].parse().unwrap()
            })
            .collect();
        let max = boxes.iter().cloned().fold(f64::MIN, f64::max);
        assert_eq!(boxes[first], max);
    }
}
