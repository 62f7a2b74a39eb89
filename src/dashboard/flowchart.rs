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

/// Past this many columns the chart runs top to bottom instead, so that a long process
/// stays readable in a page's width.
const MAX_ACROSS: usize = 5;
/// The gap between layers when running top to bottom.
const GAP_DOWN: f64 = 40.0;

/// Where every node goes.
struct Layout {
    /// Top to bottom (else across, in reading direction).
    down: bool,
    width: f64,
    height: f64,
    stages: Vec<(f64, f64)>,
    golive: Option<(f64, f64)>,
}

impl Layout {
    fn of(p: &Process, edges: &[(Node, Node, Option<String>)]) -> Layout {
        let (cols, golive_col) = columns(p, edges);
        let layers = cols
            .iter()
            .copied()
            .chain(golive_col)
            .max()
            .map_or(1, |m| m + 1);
        let mut in_layer = vec![0usize; layers];
        let mut place = |c: usize| {
            in_layer[c] += 1;
            in_layer[c] - 1
        };
        let stage_slots: Vec<usize> = cols.iter().map(|&c| place(c)).collect();
        let golive_slot = golive_col.map(&mut place);
        let most = in_layer.iter().copied().max().unwrap_or(1).max(1);
        let down = layers > MAX_ACROSS;
        let (width, height) = if down {
            let w = PAD * 2.0 + most as f64 * BOX_W + (most - 1) as f64 * GAP_Y * 2.0;
            (
                w,
                PAD * 2.0 + layers as f64 * BOX_H + (layers - 1) as f64 * GAP_DOWN,
            )
        } else {
            let w = PAD * 2.0 + layers as f64 * BOX_W + (layers - 1) as f64 * GAP_X;
            (
                w,
                PAD * 2.0 + most as f64 * BOX_H + (most - 1) as f64 * GAP_Y,
            )
        };
        let rtl = p.lang.is_rtl();
        let at = |layer: usize, slot: usize| -> (f64, f64) {
            let (x, y) = if down {
                // Each layer centred across the width.
                let step = BOX_W + GAP_Y * 2.0;
                let offset = (most - in_layer[layer]) as f64 * step / 2.0;
                (
                    PAD + offset + slot as f64 * step,
                    PAD + layer as f64 * (BOX_H + GAP_DOWN),
                )
            } else {
                (
                    PAD + layer as f64 * (BOX_W + GAP_X),
                    PAD + slot as f64 * (BOX_H + GAP_Y),
                )
            };
            (if rtl { width - x - BOX_W } else { x }, y)
        };
        Layout {
            down,
            width,
            height,
            stages: cols
                .iter()
                .zip(&stage_slots)
                .map(|(&c, &r)| at(c, r))
                .collect(),
            golive: golive_col.zip(golive_slot).map(|(c, r)| at(c, r)),
        }
    }

    fn pos(&self, n: Node) -> (f64, f64) {
        match n {
            Node::Stage(s) => self.stages[s],
            Node::Golive => self.golive.unwrap_or((PAD, PAD)),
        }
    }
}

/// The flowchart of one process as one `<svg>`.
pub fn svg(p: &Process, id: &str, title: &str) -> String {
    let edges = edges(p);
    let layout = Layout::of(p, &edges);
    let rtl = p.lang.is_rtl();
    let mut out = String::new();
    let id = escape(id);
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="flow" role="img" aria-labelledby="{id}-title" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" direction="ltr" font-family="system-ui, 'DejaVu Sans', sans-serif"><title id="{id}-title">{}</title><defs><marker id="{id}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#4f5965"/></marker></defs>"##,
        escape(title),
        w = layout.width,
        h = layout.height,
    );
    for (from, to, label) in &edges {
        let (a, b) = (layout.pos(*from), layout.pos(*to));
        arrow(&mut out, a, b, (layout.down, rtl), label.as_deref(), &id);
    }
    for (s, stage) in p.stages.iter().enumerate() {
        let (x, y) = layout.pos(Node::Stage(s));
        stage_box(&mut out, x, y, &stage_label(p, stage), stage.days == 0);
    }
    if let Some((x, y)) = layout.golive {
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

/// An arrow from one box to the next: side to facing side across, bottom to top down.
/// `(down, rtl)`: the layout's direction.
fn arrow(
    out: &mut String,
    from: (f64, f64),
    to: (f64, f64),
    (down, rtl): (bool, bool),
    label: Option<&str>,
    id: &str,
) {
    let d = if down {
        let (x1, y1) = (from.0 + BOX_W / 2.0, from.1 + BOX_H);
        let (x2, y2) = (to.0 + BOX_W / 2.0, to.1);
        let mid = (y1 + y2) / 2.0;
        format!("M{x1:.1},{y1:.1} C{x1:.1},{mid:.1} {x2:.1},{mid:.1} {x2:.1},{y2:.1}")
    } else {
        let (x1, x2) = if rtl {
            (from.0, to.0 + BOX_W)
        } else {
            (from.0 + BOX_W, to.0)
        };
        let (y1, y2) = (from.1 + BOX_H / 2.0, to.1 + BOX_H / 2.0);
        let mid = (x1 + x2) / 2.0;
        format!("M{x1:.1},{y1:.1} C{mid:.1},{y1:.1} {mid:.1},{y2:.1} {x2:.1},{y2:.1}")
    };
    let _ = write!(
        out,
        r##"<path d="{d}" fill="none" stroke="#4f5965" stroke-width="1.4" marker-end="url(#{id}-arrow)"/>"##
    );
    if let Some(l) = label {
        let (x, y) = if down {
            (to.0 + BOX_W / 2.0 + 6.0, to.1 - GAP_DOWN / 2.0 + 4.0)
        } else {
            (
                (from.0 + to.0 + BOX_W) / 2.0,
                (from.1 + to.1 + BOX_H) / 2.0 - 5.0,
            )
        };
        let anchor = if down { "start" } else { "middle" };
        let _ = write!(
            out,
            r##"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" font-size="10.5" fill="#1b1f24">{}</text>"##,
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

    /// The x and y of each stage's box, in stage order.
    fn boxes(svg: &str) -> Vec<(f64, f64)> {
        let attr = |g: &str, name: &str| -> f64 {
            let v = g.split(&format!(" {name}=\"")).nth(1).unwrap();
            v[..v.find('"').unwrap()].parse().unwrap()
        };
        svg.split("<g class=\"stage\">")
            .skip(1)
            .map(|g| {
                let rect = &g[g.find("<rect").unwrap()..];
                (attr(rect, "x"), attr(rect, "y"))
            })
            .collect()
    }

    #[test]
    fn a_short_process_runs_across_in_its_reading_direction() {
        let mut p = process("content");
        p.stages.truncate(3); // idea, then copy and design after it
        let ltr = boxes(&svg(&p, "f", "t"));
        assert!(ltr[0].0 < ltr[1].0 && ltr[1].0 == ltr[2].0, "{ltr:?}");
        p.lang = Lang::He;
        let rtl = boxes(&svg(&p, "f", "t"));
        assert!(rtl[0].0 > rtl[1].0 && rtl[1].0 == rtl[2].0, "{rtl:?}");
    }

    #[test]
    fn a_long_process_runs_down_mirrored_in_hebrew() {
        let p = process("internal-launch");
        let svg = svg(&p, "flow", "השקה");
        let at = boxes(&svg);
        let first = p.stages.iter().position(|s| s.after.is_empty()).unwrap();
        let top = at.iter().map(|b| b.1).fold(f64::MAX, f64::min);
        assert_eq!(at[first].1, top, "the first stage is on top");
        // Two stages side by side in one layer: the one written first is on the right.
        let mut pairs = 0;
        for i in 0..at.len() {
            for j in i + 1..at.len() {
                if at[i].1 == at[j].1 {
                    assert!(
                        at[i].0 > at[j].0,
                        "{} before {}",
                        p.stages[i].id,
                        p.stages[j].id
                    );
                    pairs += 1;
                }
            }
        }
        assert!(pairs > 0, "the example has parallel stages");
        let height: f64 = svg
            .split("viewBox=\"0 0 ")
            .nth(1)
            .unwrap()
            .split(['"', ' '])
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let width: f64 = svg
            .split("viewBox=\"0 0 ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(height > width, "top to bottom: {width} × {height}");
    }
}
