//! Success metrics (`[[metric]]` in a playbook or an items file): what is measured, its target,
//! and by when. Values arrive later (`throughline metric record`) and `report` shows each
//! metric against its target over time.
//!
//! ```toml
//! [[metric]]
//! id = "weekly-active"
//! name = "Weekly active share of employees"
//! unit = "%"
//! target = 40
//! after_golive = 60          # or: by = 2027-06-01
//! higher_is_better = true    # the default
//! ```
//!
//! `after_golive = N` counts N business days from a go-live: that of `item` when it is named,
//! else of the only item of the items file it is written in, else (in a playbook) of the
//! process's first item.

use std::collections::HashMap;

use jiff::civil::Date;

use super::fields::{At, Expect, Fields, Files, Problems, check_id};
use super::{Item, Process};
use crate::schedule::BusinessCalendar;

/// One success metric, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub id: String,
    pub name: String,
    /// `%`, `posts`, … (may be empty).
    pub unit: String,
    pub target: f64,
    /// The day the target should be reached.
    pub by: Date,
    /// How `by` was written: `by = DATE` or `after_golive = N` (of `item`).
    pub by_written: MetricBy,
    pub higher_is_better: bool,
    /// The playbook's process or the item's; `None` for a dated metric in an items file.
    pub process: Option<String>,
    /// The file and line it is written at, for messages (`items/launch.toml:12`).
    pub place: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MetricBy {
    Date,
    AfterGolive { days: u32, item: String },
}

impl Metric {
    /// Whether a value reaches the target.
    pub fn met(&self, value: f64) -> bool {
        if self.higher_is_better {
            value >= self.target
        } else {
            value <= self.target
        }
    }
}

#[derive(Debug)]
pub(crate) struct RawMetric {
    pub at: At<()>,
    pub id: Option<At<String>>,
    pub name: Option<At<String>>,
    pub unit: Option<At<String>>,
    pub target: Option<At<f64>>,
    pub by: Option<At<Date>>,
    pub after_golive: Option<At<u32>>,
    pub item: Option<At<String>>,
    pub higher_is_better: Option<At<bool>>,
}

const KEYS: &[&str] = &[
    "id",
    "name",
    "unit",
    "target",
    "by",
    "after_golive",
    "item",
    "higher_is_better",
];

/// The `[[metric]]` tables of a playbook or an items file.
pub(crate) fn read_metrics(top: &Fields<'_, '_>, problems: &mut Problems) -> Vec<RawMetric> {
    let expect = Expect {
        what: "a list of tables, each written [[metric]]",
        example: "[[metric]]",
    };
    top.tables("metric", "this metric", expect, problems)
        .iter()
        .map(|m| read_metric(m, problems))
        .collect()
}

fn read_metric(m: &Fields<'_, '_>, problems: &mut Problems) -> RawMetric {
    m.check_keys(KEYS, problems);
    let id = m.req_str(
        "id",
        Expect {
            what: "a short name in quotes",
            example: "\"weekly-active\"",
        },
        problems,
    );
    let id = id.filter(|id| check_id(id, "id", problems));
    let target_expect = Expect {
        what: "the number to reach",
        example: "40",
    };
    if m.get("target").is_none() {
        m.missing("target", target_expect, problems);
    }
    let higher_is_better = read_higher_is_better(m, problems);
    let (by, after_golive) = read_when(m, problems);
    RawMetric {
        at: m.at(()),
        id,
        name: m.req_text(
            "name",
            Expect {
                what: "what is measured",
                example: "\"Weekly active share of employees\"",
            },
            problems,
        ),
        unit: m.text(
            "unit",
            Expect {
                what: "the unit in quotes",
                example: "\"%\"",
            },
            problems,
        ),
        target: m.number("target", target_expect, problems),
        by,
        after_golive,
        item: m.str(
            "item",
            Expect {
                what: "an item id in quotes",
                example: "\"launch\"",
            },
            problems,
        ),
        higher_is_better,
    }
}

/// `higher_is_better`: true or false.
fn read_higher_is_better(m: &Fields<'_, '_>, problems: &mut Problems) -> Option<At<bool>> {
    m.get("higher_is_better").and_then(|v| match v.get_ref() {
        toml::de::DeValue::Boolean(b) => Some(At::new(*b, m.file, v.span())),
        _ => {
            problems.add(
                m.file,
                v.span(),
                "`higher_is_better` must be true or false, like higher_is_better = false for \
                 help-desk questions that should go down",
            );
            None
        }
    })
}

/// When the target should be reached: `by` (a date) or `after_golive` (business days), one
/// of them.
fn read_when(m: &Fields<'_, '_>, problems: &mut Problems) -> (Option<At<Date>>, Option<At<u32>>) {
    let by = m.date("by", problems);
    let after_golive = m.count(
        "after_golive",
        Expect {
            what: "a whole number of business days after the go-live date, 0 or more",
            example: "20",
        },
        problems,
    );
    match (&by, &after_golive) {
        (Some(_), Some(a)) => problems.at(
            a,
            "write either `by` (a date) or `after_golive` (business days after the go-live), \
             not both",
        ),
        (None, None) if m.get("by").is_none() && m.get("after_golive").is_none() => {
            m.missing(
                "by",
                Expect {
                    what: "the date the target should be reached (or after_golive = N business \
                           days)",
                    example: "2027-06-01",
                },
                problems,
            );
        }
        _ => {}
    }
    (by, after_golive)
}

/// Where a metric was written: a playbook (its process) or an items file (its items).
pub(crate) enum Home<'a> {
    Playbook(Option<&'a str>),
    Items(Vec<&'a str>),
}

/// Resolve every metric; ids are unique across the deployment.
pub(crate) fn resolve(
    files: &Files,
    written: Vec<(Home<'_>, &RawMetric)>,
    processes: &[Process],
    items: &[Item],
    problems: &mut Problems,
) -> Vec<Metric> {
    let mut seen: HashMap<String, At<String>> = HashMap::new();
    let mut out = Vec::new();
    for (home, raw) in written {
        let Some(id) = &raw.id else { continue };
        if let Some(first) = seen.get(&id.value) {
            problems.at(
                id,
                format!(
                    "metric id `{}` is already used at {}; give each metric its own id",
                    id.value,
                    files.place(first)
                ),
            );
            continue;
        }
        seen.insert(id.value.clone(), id.clone());
        let (Some(name), Some(target)) = (&raw.name, &raw.target) else {
            continue;
        };
        let resolved = match (&raw.by, &raw.after_golive) {
            (Some(by), None) => {
                let process = match &home {
                    Home::Playbook(p) => p.map(str::to_string),
                    Home::Items(_) => None,
                };
                Some((by.value, MetricBy::Date, process))
            }
            (None, Some(days)) => golive_item(&home, raw, items, problems).and_then(|item| {
                let process = processes.iter().find(|p| p.id == item.process)?;
                let cal = BusinessCalendar::new(process);
                Some((
                    cal.forward(item.golive, days.value),
                    MetricBy::AfterGolive {
                        days: days.value,
                        item: item.id.clone(),
                    },
                    Some(process.id.clone()),
                ))
            }),
            _ => None,
        };
        let Some((by, by_written, process)) = resolved else {
            continue;
        };
        out.push(Metric {
            id: id.value.clone(),
            name: name.value.clone(),
            unit: raw
                .unit
                .as_ref()
                .map(|u| u.value.clone())
                .unwrap_or_default(),
            target: target.value,
            by,
            by_written,
            higher_is_better: raw.higher_is_better.as_ref().is_none_or(|h| h.value),
            process,
            place: files.place(&raw.at),
        });
    }
    out
}

/// The item whose go-live `after_golive` counts from (see the module doc).
fn golive_item<'i>(
    home: &Home<'_>,
    raw: &RawMetric,
    items: &'i [Item],
    problems: &mut Problems,
) -> Option<&'i Item> {
    if let Some(name) = &raw.item {
        let found = items.iter().find(|i| i.id == name.value);
        if found.is_none() {
            let known: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
            problems.at(
                name,
                super::validate::unknown("item", &name.value, &known, "the deployment"),
            );
        }
        return found;
    }
    match home {
        Home::Items(ids) if ids.len() == 1 => items.iter().find(|i| i.id == ids[0]),
        Home::Items(ids) => {
            problems.at(
                &raw.at,
                format!(
                    "this metric counts `after_golive` from a go-live, but its file has {} \
                     items; name one, like item = \"{}\"",
                    ids.len(),
                    ids.first().copied().unwrap_or("launch")
                ),
            );
            None
        }
        Home::Playbook(process) => {
            let first = items
                .iter()
                .filter(|i| Some(i.process.as_str()) == *process)
                .min_by_key(|i| i.golive);
            if first.is_none() {
                problems.at(
                    &raw.at,
                    "this metric counts `after_golive` from a go-live, but no item uses this \
                     playbook; write `by = DATE` instead, or add an item",
                );
            }
            first
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use crate::model::{Deployment, Diagnostics, load};

    const PLAYBOOK: &str = r#"[process]
id = "launch"
name = "Launch"
timezone = "UTC"

[roles.lead]
people = ["a@x"]

[[stage]]
id = "plan"
owner = "lead"
days = 2
"#;

    fn deployment(playbook_extra: &str, items: &str) -> Result<Deployment, Diagnostics> {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("playbooks")).unwrap();
        std::fs::create_dir_all(root.join("items")).unwrap();
        std::fs::write(
            root.join("throughline.toml"),
            "playbooks = [\"playbooks/*.toml\"]\nitems = [\"items/*.toml\"]\n",
        )
        .unwrap();
        std::fs::write(
            root.join("playbooks/launch.toml"),
            format!("{PLAYBOOK}{playbook_extra}"),
        )
        .unwrap();
        std::fs::write(root.join("items/a.toml"), items).unwrap();
        load(&root.join("throughline.toml"))
    }

    const ITEM: &str = "[[item]]\nid = \"go\"\nprocess = \"launch\"\ngolive = 2027-03-04\n";

    fn messages(d: Diagnostics) -> Vec<String> {
        d.0.iter()
            .map(|d| {
                let file = d.file.file_name().unwrap().to_string_lossy().into_owned();
                format!("{file}:{}:{}: {}", d.line, d.col, d.message)
            })
            .collect()
    }

    #[test]
    fn metrics_from_a_playbook_and_an_items_file() {
        let metric = "\n[[metric]]\nid = \"active\"\nname = \"Weekly active\"\nunit = \"%\"\ntarget = 40\nafter_golive = 5\n";
        let items = format!(
            "{ITEM}\n[[metric]]\nid = \"questions\"\nname = \"Help-desk questions\"\ntarget = 20.5\nby = 2027-04-01\nhigher_is_better = false\n"
        );
        let dep = deployment(metric, &items).unwrap();
        type Row<'a> = (
            &'a str,
            &'a str,
            f64,
            jiff::civil::Date,
            bool,
            Option<&'a str>,
        );
        let m: Vec<Row> = dep
            .metrics
            .iter()
            .map(|m| {
                (
                    m.id.as_str(),
                    m.unit.as_str(),
                    m.target,
                    m.by,
                    m.higher_is_better,
                    m.process.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            m,
            [
                // Thu 2027-03-04 + 5 business days (Mon–Fri) = Thu 03-11.
                ("active", "%", 40.0, date(2027, 3, 11), true, Some("launch")),
                ("questions", "", 20.5, date(2027, 4, 1), false, None),
            ]
        );
        assert!(dep.metrics[1].met(20.0) && !dep.metrics[1].met(21.0));
        assert!(dep.metrics[0].met(40.0) && !dep.metrics[0].met(39.9));
    }

    #[test]
    fn a_wrong_metric_is_reported_at_its_place() {
        let playbook = "\n[[metric]]\nid = \"active\"\nname = \"A\"\ntarget = \"forty\"\nby = 2027-04-01\nafter_golive = 3\n";
        let items = format!(
            "{ITEM}\n[[metric]]\nid = \"active\"\nname = \"B\"\ntarget = 1\nby = 2027-04-01\n\n[[metric]]\nid = \"q\"\nname = \"Q\"\ntarget = 1\nhigher_is_better = \"no\"\ncolour = 1\n"
        );
        let got = messages(deployment(playbook, &items).unwrap_err());
        let want = [
            "a.toml:7:6: metric id `active` is already used at ",
            "a.toml:12:1: this metric has no `by`",
            "a.toml:16:20: `higher_is_better` must be true or false",
            "a.toml:17:1: unknown key `colour` in this metric",
            "launch.toml:17:10: `target` must be the number to reach, like 40",
            "launch.toml:19:16: write either `by` (a date) or `after_golive`",
        ];
        assert!(got[0].contains("playbooks/launch.toml:15:6; give each metric its own id"));
        for w in want {
            assert!(
                got.iter().any(|g| g.starts_with(w)),
                "no {w:?} in:\n{}",
                got.join("\n")
            );
        }
    }
}
