//! The stage graph of each process as a flowchart, in Mermaid (`flowchart LR`) or Graphviz dot.
//!
//! Output depends only on the processes given, so the same files always give the same bytes
//! (fit for committing next to the playbook and diffing). Node ids are generated ASCII because
//! stage ids may be written in any script; every label is quoted and escaped, so Hebrew,
//! quotes, `#`, `<` and brackets in names are shown as written and never break the syntax.
//!
//! A process with stages after go-live (`after_golive`) gets a go-live node: the last stages
//! before it lead into it, and it leads to each stage anchored on it, the edge labelled with
//! the business days in between. An `after` link from a stage before go-live to one after it
//! is drawn through that node rather than around it.

use std::fmt::Write as _;

use crate::model::{Lang, Process, Stage};

/// The flowchart language to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Mermaid `flowchart LR`: renders in GitHub, GitLab, Notion and the Mermaid live editor.
    Mermaid,
    /// Graphviz dot with `rankdir=LR`: `dot -Tsvg graph.dot > graph.svg`.
    Dot,
}

/// One flowchart holding every process given, each as its own group, in the order given.
pub fn render(processes: &[&Process], format: Format) -> String {
    match format {
        Format::Mermaid => mermaid(processes),
        Format::Dot => dot(processes),
    }
}

/// What a stage's box says, one line each: the stage name, the owner's role name, the duration.
pub fn stage_label(process: &Process, stage: &Stage) -> [String; 3] {
    let owner = process
        .role(&stage.owner)
        .map_or(stage.owner.as_str(), |role| role.name.as_str());
    [
        stage.name.clone(),
        owner.to_string(),
        duration(stage.days, process.lang),
    ]
}

/// "2 days", "1 day" or "milestone", in the process's language.
pub fn duration(days: u32, lang: Lang) -> String {
    match (lang, days) {
        (Lang::En, 0) => "milestone".to_string(),
        (Lang::En, 1) => "1 day".to_string(),
        (Lang::En, n) => format!("{n} days"),
        (Lang::He, 0) => "אבן דרך".to_string(),
        (Lang::He, 1) => "יום אחד".to_string(),
        (Lang::He, n) => format!("{n} ימים"),
    }
}

/// Mermaid `flowchart LR`; milestones are diamonds, other stages rounded boxes.
pub fn mermaid(processes: &[&Process]) -> String {
    let mut out = String::from("flowchart LR\n");
    for (p, process) in processes.iter().enumerate() {
        let ids = node_ids(p, process);
        let _ = writeln!(out, "  subgraph p{p}[\"{}\"]", mermaid_text(&process.name));
        for (stage, id) in process.stages.iter().zip(&ids) {
            let label = stage_label(process, stage)
                .iter()
                .map(|line| mermaid_text(line))
                .collect::<Vec<_>>()
                .join("<br>");
            let (open, close) = if stage.days == 0 {
                ("{", "}")
            } else {
                ("(", ")")
            };
            let _ = writeln!(out, "    {id}{open}\"{label}\"{close}");
        }
        let golive = golive_id(p);
        if has_forward(process) {
            let label = mermaid_text(golive_word(process.lang));
            let _ = writeln!(out, "    {golive}([\"{label}\"])");
        }
        for (from, to, label) in edges(process, &ids, &golive) {
            match label {
                Some(l) => {
                    let _ = writeln!(out, "    {from} -->|\"{}\"| {to}", mermaid_text(&l));
                }
                None => {
                    let _ = writeln!(out, "    {from} --> {to}");
                }
            }
        }
        out.push_str("  end\n");
    }
    out
}

/// Graphviz dot, left to right; milestones are diamonds, each process a labelled cluster.
pub fn dot(processes: &[&Process]) -> String {
    let mut out = String::from(concat!(
        "digraph throughline {\n",
        "  rankdir=LR;\n",
        "  fontname=\"Helvetica\";\n",
        "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n",
    ));
    for (p, process) in processes.iter().enumerate() {
        let ids = node_ids(p, process);
        let _ = writeln!(out, "  subgraph cluster_p{p} {{");
        let _ = writeln!(out, "    label=\"{}\";", dot_text(&process.name));
        for (stage, id) in process.stages.iter().zip(&ids) {
            let label = stage_label(process, stage)
                .iter()
                .map(|line| dot_text(line))
                .collect::<Vec<_>>()
                .join("\\n");
            let shape = if stage.days == 0 {
                ", shape=diamond"
            } else {
                ""
            };
            let _ = writeln!(out, "    {id} [label=\"{label}\"{shape}];");
        }
        let golive = golive_id(p);
        if has_forward(process) {
            let label = dot_text(golive_word(process.lang));
            let _ = writeln!(
                out,
                "    {golive} [label=\"{label}\", shape=ellipse, style=bold];"
            );
        }
        for (from, to, label) in edges(process, &ids, &golive) {
            match label {
                Some(l) => {
                    let _ = writeln!(out, "    {from} -> {to} [label=\"{}\"];", dot_text(&l));
                }
                None => {
                    let _ = writeln!(out, "    {from} -> {to};");
                }
            }
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}

/// `p<process>_<stage index>` plus the ASCII letters and digits of the stage id, for a reader
/// of the source. The indexes alone keep ids unique; the prefix keeps them clear of keywords
/// (`end`, `graph`, `subgraph`).
fn node_ids(p: usize, process: &Process) -> Vec<String> {
    process
        .stages
        .iter()
        .enumerate()
        .map(|(s, stage)| {
            let mut id = format!("p{p}_{s}");
            let readable: String = stage
                .id
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .take(40)
                .collect();
            let readable = readable.trim_matches('_');
            if !readable.is_empty() {
                id.push('_');
                id.push_str(readable);
            }
            id
        })
        .collect()
}

/// The go-live node of process `p`; stage ids always have a digit after `p{p}_`.
fn golive_id(p: usize) -> String {
    format!("p{p}_golive")
}

fn golive_word(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Go-live",
        Lang::He => "עלייה לאוויר",
    }
}

/// "+2 business days" from go-live to a stage anchored on it, in the process's language.
pub fn after_golive_label(n: u32, lang: Lang) -> String {
    match (lang, n) {
        (Lang::En, 0) => "same day".to_string(),
        (Lang::En, 1) => "+1 business day".to_string(),
        (Lang::En, n) => format!("+{n} business days"),
        (Lang::He, 0) => "באותו יום".to_string(),
        (Lang::He, 1) => "+יום עבודה אחד".to_string(),
        (Lang::He, n) => format!("+{n} ימי עבודה"),
    }
}

fn has_forward(process: &Process) -> bool {
    process.stages.iter().any(|s| s.after_golive.is_some())
}

/// Which stages are after go-live: `after_golive`, or waiting for such a stage (as scheduled).
fn forward_stages(process: &Process) -> Vec<bool> {
    let index = |stage_id: &str| process.stages.iter().position(|s| s.id == stage_id);
    let mut forward: Vec<bool> = process
        .stages
        .iter()
        .map(|s| s.after_golive.is_some())
        .collect();
    // Until nothing changes: `after` may point down the file too.
    loop {
        let mut changed = false;
        for (s, stage) in process.stages.iter().enumerate() {
            if !forward[s]
                && stage
                    .after
                    .iter()
                    .any(|a| index(a).is_some_and(|b| forward[b]))
            {
                forward[s] = true;
                changed = true;
            }
        }
        if !changed {
            return forward;
        }
    }
}

/// Every link as (from node, to node, label), in stage order then `after` order: each `after`
/// link, and with stages after go-live, the links into and out of the go-live node.
fn edges<'a>(
    process: &Process,
    ids: &'a [String],
    golive: &'a str,
) -> Vec<(&'a str, &'a str, Option<String>)> {
    let index = |stage_id: &str| process.stages.iter().position(|s| s.id == stage_id);
    let with_golive = has_forward(process);
    let forward = forward_stages(process);
    let mut edges = Vec::new();
    for (s, stage) in process.stages.iter().enumerate() {
        if let Some(n) = stage.after_golive {
            edges.push((
                golive,
                ids[s].as_str(),
                Some(after_golive_label(n, process.lang)),
            ));
        }
        for before in &stage.after {
            // A validated model names only stages of its own process.
            if let Some(b) = index(before) {
                if with_golive && forward[s] && !forward[b] {
                    continue; // drawn through the go-live node
                }
                edges.push((ids[b].as_str(), ids[s].as_str(), None));
            }
        }
    }
    if with_golive {
        // The last stages before go-live: no successor before go-live.
        for (b, stage) in process.stages.iter().enumerate() {
            let leads_on = process
                .stages
                .iter()
                .enumerate()
                .any(|(s, next)| !forward[s] && next.after.contains(&stage.id));
            if !forward[b] && !leads_on {
                edges.push((ids[b].as_str(), golive, None));
            }
        }
    }
    edges
}

/// Text inside a quoted Mermaid label. Mermaid reads `#name;` and `#123;` as entities, so the
/// characters that mean something there (quote, `#`, HTML's `<`, `>`, `&`, and a leading
/// backtick that would start a Markdown string) are written as entities; line breaks become
/// spaces because a label is one line of source.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '\r' | '\n' | '\t' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out
}

/// Text inside a quoted dot string: backslash and quote escaped, and `&` written as `&amp;`
/// because Graphviz decodes HTML entities in every label; line breaks become spaces (the
/// caller joins label lines with dot's own `\n`).
fn dot_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' | '\t' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Role, Stage};
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    fn stage(id: &str, name: &str, owner: &str, days: u32, after: &[&str]) -> Stage {
        Stage {
            id: id.into(),
            name: name.into(),
            owner: owner.into(),
            days,
            after: after.iter().map(|s| s.to_string()).collect(),
            after_golive: None,
            checklist: Vec::new(),
        }
    }

    fn role(id: &str, name: &str) -> Role {
        Role {
            id: id.into(),
            name: name.into(),
            people: vec![format!("{id}@example.com")],
            backup: None,
            away: Vec::new(),
            max_parallel: None,
            names: Default::default(),
        }
    }

    fn process(lang: Lang, roles: Vec<Role>, stages: Vec<Stage>) -> Process {
        Process {
            id: "content".into(),
            name: "Content \"pipeline\" #1".into(),
            timezone_name: "Asia/Jerusalem".into(),
            timezone: jiff::tz::TimeZone::UTC,
            workweek: Vec::new(),
            holidays: BTreeSet::new(),
            lang,
            roles,
            stages,
            file: PathBuf::from("playbooks/content.toml"),
        }
    }

    /// The worked example of docs/dates.md: a diamond of stages with a milestone.
    fn worked_example() -> Process {
        process(
            Lang::En,
            vec![
                role("campaign", "Campaign manager"),
                role("writer", "Writer"),
                role("designer", "Designer"),
            ],
            vec![
                stage("idea", "Idea and brief", "campaign", 2, &[]),
                stage("copy", "Copy", "writer", 3, &["idea"]),
                stage("design", "Design", "designer", 3, &["idea"]),
                stage("approval", "Approval", "campaign", 1, &["copy", "design"]),
                stage("publish", "Publish", "campaign", 0, &["approval"]),
            ],
        )
    }

    #[test]
    fn mermaid_draws_every_stage_and_link_of_the_worked_example() {
        let out = mermaid(&[&worked_example()]);
        assert_eq!(
            out,
            "flowchart LR\n\
             \x20 subgraph p0[\"Content #quot;pipeline#quot; #35;1\"]\n\
             \x20   p0_0_idea(\"Idea and brief<br>Campaign manager<br>2 days\")\n\
             \x20   p0_1_copy(\"Copy<br>Writer<br>3 days\")\n\
             \x20   p0_2_design(\"Design<br>Designer<br>3 days\")\n\
             \x20   p0_3_approval(\"Approval<br>Campaign manager<br>1 day\")\n\
             \x20   p0_4_publish{\"Publish<br>Campaign manager<br>milestone\"}\n\
             \x20   p0_0_idea --> p0_1_copy\n\
             \x20   p0_0_idea --> p0_2_design\n\
             \x20   p0_1_copy --> p0_3_approval\n\
             \x20   p0_2_design --> p0_3_approval\n\
             \x20   p0_3_approval --> p0_4_publish\n\
             \x20 end\n"
        );
    }

    #[test]
    fn stages_after_go_live_hang_off_a_go_live_node() {
        let mut p = worked_example();
        let mut results = stage("results", "Results", "campaign", 1, &["publish"]);
        results.after_golive = Some(2);
        p.stages.push(results);
        p.stages
            .push(stage("report", "Report", "writer", 1, &["results"]));
        let out = mermaid(&[&p]);
        let tail = out
            .split_once("p0_3_approval --> p0_4_publish\n")
            .unwrap()
            .1;
        assert!(out.contains("    p0_golive([\"Go-live\"])\n"), "{out}");
        // publish → go-live → results (+2) → report; no publish → results around the node.
        assert_eq!(
            tail,
            "    p0_golive -->|\"+2 business days\"| p0_5_results\n\
             \x20   p0_5_results --> p0_6_report\n\
             \x20   p0_4_publish --> p0_golive\n\
             \x20 end\n"
        );
        let d = dot(&[&p]);
        assert!(d.contains("    p0_golive [label=\"Go-live\", shape=ellipse, style=bold];\n"));
        assert!(d.contains("    p0_golive -> p0_5_results [label=\"+2 business days\"];\n"));
        assert!(d.contains("    p0_4_publish -> p0_golive;\n"));
        assert!(!d.contains("p0_4_publish -> p0_5_results"));

        p.lang = Lang::He;
        assert!(mermaid(&[&p]).contains("p0_golive([\"עלייה לאוויר\"])"));
        assert!(mermaid(&[&p]).contains("-->|\"+2 ימי עבודה\"|"));
    }

    #[test]
    fn dot_draws_every_stage_and_link_of_the_worked_example() {
        let out = dot(&[&worked_example()]);
        assert!(out.starts_with("digraph throughline {\n  rankdir=LR;\n"));
        assert!(out.contains("    label=\"Content \\\"pipeline\\\" #1\";\n"));
        assert!(
            out.contains("    p0_0_idea [label=\"Idea and brief\\nCampaign manager\\n2 days\"];\n")
        );
        assert!(out.contains(
            "    p0_4_publish [label=\"Publish\\nCampaign manager\\nmilestone\", shape=diamond];\n"
        ));
        assert!(out.contains("    p0_1_copy -> p0_3_approval;\n"));
        assert_eq!(out.matches(" -> ").count(), 5);
        assert!(out.ends_with("  }\n}\n"));
    }

    #[test]
    fn hebrew_names_pass_through_and_durations_are_in_hebrew() {
        let p = process(
            Lang::He,
            vec![role("it", "מנהל המערכת (IT)")],
            vec![
                stage("יעדים", "הגדרת יעדים ״מדידים״", "it", 3, &[]),
                stage("launch", "יום ההשקה", "it", 0, &["יעדים"]),
                stage("review", "סקירה", "it", 1, &["launch"]),
            ],
        );
        let m = mermaid(&[&p]);
        // A Hebrew stage id gives no ASCII to keep: the node id is the index alone.
        assert!(
            m.contains("    p0_0(\"הגדרת יעדים ״מדידים״<br>מנהל המערכת (IT)<br>3 ימים\")\n"),
            "{m}"
        );
        assert!(m.contains("    p0_1_launch{\"יום ההשקה<br>מנהל המערכת (IT)<br>אבן דרך\"}\n"));
        assert!(m.contains("<br>יום אחד\")"));
        assert!(m.contains("    p0_0 --> p0_1_launch\n"));
        let d = dot(&[&p]);
        assert!(
            d.contains("    p0_0 [label=\"הגדרת יעדים ״מדידים״\\nמנהל המערכת (IT)\\n3 ימים\"];\n")
        );
    }

    #[test]
    fn characters_that_mean_something_are_escaped() {
        assert_eq!(
            mermaid_text("a \"b\" #c <d> & `e`"),
            "a #quot;b#quot; #35;c #lt;d#gt; #amp; #96;e#96;"
        );
        assert_eq!(mermaid_text("two\nlines"), "two lines");
        assert_eq!(mermaid_text("[x] {y} (z) |w|"), "[x] {y} (z) |w|");
        assert_eq!(dot_text("say \"hi\" \\n"), "say \\\"hi\\\" \\\\n");
        assert_eq!(dot_text("a\nb"), "a b");
        assert_eq!(dot_text("R&D &amp;"), "R&amp;D &amp;amp;");
    }

    #[test]
    fn node_ids_are_unique_ascii_and_never_a_keyword() {
        let p = process(
            Lang::En,
            vec![role("r", "R")],
            vec![
                stage("end", "End", "r", 1, &[]),
                stage("a-b", "A", "r", 1, &[]),
                stage("a_b", "B", "r", 1, &[]),
                stage("שלב", "C", "r", 1, &[]),
            ],
        );
        let ids = node_ids(3, &p);
        assert_eq!(ids, ["p3_0_end", "p3_1_a_b", "p3_2_a_b", "p3_3"]);
    }

    #[test]
    fn output_is_the_same_every_time() {
        let p = worked_example();
        assert_eq!(
            render(&[&p, &p], Format::Mermaid),
            render(&[&p, &p], Format::Mermaid)
        );
        let two = render(&[&p, &p], Format::Dot);
        assert!(two.contains("subgraph cluster_p0 {") && two.contains("subgraph cluster_p1 {"));
        assert!(two.contains("p1_4_publish"));
    }
}
