//! Deciding the layout of a sheet from its columns' titles and cells together.
//!
//! Each column is profiled ([`super::profile`]). Columns whose title says nothing are given a
//! field by what they hold (a column of dates is the date, of status words the status, of
//! e-mail addresses the owner; the most varied text column the title); an id column that holds
//! links, repeats a value or holds sentences is not an id. Then three layouts are scored:
//! - a **content calendar** (→ items): calendar words ("Publish date", "Caption", "Channel");
//! - a **task tracker** (→ tasks): one row per task with an owner, a due date and a status;
//! - a **checklist** (→ a playbook): stages, steps and durations, no dates.
//!
//! The highest score wins; `--dry-run` shows every score with its reasons.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use super::Kind;
use super::columns::{Column, Columns, Field, Header, Hint, synonym};
use super::grid::{Grid, clean};
use super::profile::{Profile, profile};
use super::report::Report;

/// One layout's score and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Score {
    pub points: i32,
    pub reasons: Vec<String>,
    /// The columns it needs are there.
    pub possible: bool,
}

impl Score {
    fn add(&mut self, points: i32, why: impl Into<String>) {
        self.points += points;
        self.reasons.push(format!("{points:+} {}", why.into()));
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scores {
    pub items: Score,
    pub tasks: Score,
    pub playbook: Score,
}

impl Scores {
    pub fn get(&self, kind: Kind) -> &Score {
        match kind {
            Kind::Items => &self.items,
            Kind::Tasks => &self.tasks,
            Kind::Playbook => &self.playbook,
        }
    }

    /// `tracker 9 (+3 …, +2 …); calendar 1 (…); checklist 0 (…)`, best first.
    pub fn describe(&self) -> String {
        let mut all = [
            (Kind::Tasks, &self.tasks),
            (Kind::Items, &self.items),
            (Kind::Playbook, &self.playbook),
        ];
        all.sort_by_key(|(_, s)| std::cmp::Reverse((s.possible, s.points)));
        let mut out = String::new();
        for (i, (kind, s)) in all.iter().enumerate() {
            if i > 0 {
                out.push_str("; ");
            }
            let _ = write!(out, "{} {}", kind.short(), s.points);
            if !s.possible {
                out.push_str(" (not possible: ");
                out.push_str(kind.needs());
                out.push(')');
            } else if !s.reasons.is_empty() {
                let _ = write!(out, " ({})", s.reasons.join(", "));
            }
        }
        out
    }
}

/// Profiles of the titled columns.
pub fn profiles(grid: &Grid, header: &Header) -> BTreeMap<u32, Profile> {
    header
        .titles
        .iter()
        .map(|(c, _)| (*c, profile(grid, header.row, *c)))
        .collect()
}

fn hint(col: &Column) -> Hint {
    synonym(&col.title).map_or(Hint::None, |(s, _)| s.hint)
}

/// Give fields to the columns whose titles said nothing, by what they hold, and take the id
/// away from a column that cannot be one. Each decision is said in the report.
pub fn refine(
    grid: &Grid,
    header: &Header,
    columns: &mut Columns,
    profiles: &BTreeMap<u32, Profile>,
    report: &mut Report,
) {
    if let Some(id) = columns.fields.get(&Field::Id).cloned()
        && !columns.fields.get(&Field::Id).is_some_and(|c| c.from_map)
        && let Some(why) = not_an_id(grid, header, id.col, &profiles[&id.col])
    {
        columns.drop_field(Field::Id);
        report.layout.push(format!(
            "column {} {why}, so it is not used as the id; ids come from the titles",
            id.describe()
        ));
    }
    let unknown: Vec<Column> = columns
        .unused
        .iter()
        .filter(|c| synonym(&c.title).is_none())
        .cloned()
        .collect();
    let by_content = [
        (Field::GoLive, "dates", "the date"),
        (Field::Status, "status words", "the status"),
        (Field::Owner, "e-mail addresses", "the owner"),
        (Field::Days, "durations", "the duration"),
    ];
    for col in &unknown {
        let p = &profiles[&col.col];
        let what = p.describe();
        if let Some((field, _, words)) = by_content.iter().find(|(f, w, _)| {
            *w == what && !columns.has(*f) && (*f != Field::GoLive || p.pct(p.dates) >= 70)
        }) {
            take(columns, *field, col);
            report.layout.push(format!(
                "column {} holds {what}, so it was read as {words}",
                col.describe()
            ));
        }
    }
    if !columns.has(Field::Title) && !columns.has(Field::Step) && !columns.has(Field::Stage) {
        // The most varied column of words whose title says nothing: a caption, a concept.
        let best = unknown
            .iter()
            .filter(|c| columns.unused.iter().any(|u| u.col == c.col))
            .filter(|c| {
                let p = &profiles[&c.col];
                let text = p.filled - p.dates - p.numbers - p.emails - p.links - p.statuses;
                p.filled > 0 && p.pct(text) >= 80 && p.pct(p.distinct) >= 60
            })
            .max_by_key(|c| {
                let p = &profiles[&c.col];
                (p.distinct, std::cmp::Reverse(c.col))
            })
            .cloned();
        if let Some(col) = best {
            take(columns, Field::Title, &col);
            report.layout.push(format!(
                "column {} holds varied text, so it was read as the title",
                col.describe()
            ));
        }
    }
}

fn take(columns: &mut Columns, field: Field, col: &Column) {
    columns.unused.retain(|c| c.col != col.col);
    columns.fields.insert(field, col.clone());
}

/// Why a column titled like an id cannot be one, if it cannot.
fn not_an_id(grid: &Grid, header: &Header, col: u32, p: &Profile) -> Option<String> {
    if p.filled == 0 {
        return None;
    }
    if p.links > 0 {
        return Some("holds links".into());
    }
    if p.pct(p.id_like) < 80 {
        return Some(format!("holds {} rather than short codes", p.describe()));
    }
    // Unique over the whole column, not only the sample.
    let mut seen = HashSet::new();
    for row in header.row + 1..grid.row_range().end {
        let v = grid.get(row, col);
        let Some(text) = (match v {
            super::grid::Value::Text(t) => Some(clean(t).to_string()),
            v if v.is_blank() => None,
            v => v.text(),
        }) else {
            continue;
        };
        if text.is_empty() {
            continue;
        }
        if !seen.insert(text.clone()) {
            return Some(format!("repeats \"{text}\" ({})", grid.cell_ref(row, col)));
        }
    }
    None
}

/// Score the three layouts.
pub fn score(columns: &Columns, profiles: &BTreeMap<u32, Profile>) -> Scores {
    let col = |f: Field| columns.fields.get(&f);
    let title = col(Field::Title).or(col(Field::Step));
    let date = col(Field::GoLive);
    let mut s = Scores::default();

    s.items.possible = col(Field::Title).or(col(Field::Project)).is_some() && date.is_some();
    s.tasks.possible = col(Field::Title).is_some() && date.is_some();
    s.playbook.possible = col(Field::Stage).is_some() || title.is_some();

    if let Some(d) = date {
        let dated = profiles.get(&d.col).is_some_and(|p| p.pct(p.dates) >= 50);
        let what = format!("a date column {}", d.describe());
        match hint(d) {
            Hint::Calendar => s.items.add(3, format!("{what} with a publishing word")),
            Hint::Tracker => s.tasks.add(3, format!("{what} with a due-date word")),
            Hint::None => {
                s.items.add(1, what.clone());
                s.tasks.add(1, what);
            }
        }
        if dated {
            s.items.add(1, "dates in its cells");
            s.tasks.add(1, "dates in its cells");
        }
    } else {
        s.playbook.add(2, "no date column");
    }
    if let Some(t) = col(Field::Title) {
        match hint(t) {
            Hint::Calendar => s.items.add(2, format!("a title column {}", t.describe())),
            Hint::Tracker => s.tasks.add(2, format!("a task column {}", t.describe())),
            Hint::None => {}
        }
    }
    if let Some(c) = col(Field::Channel) {
        s.items.add(2, format!("a channel column {}", c.describe()));
    }
    if let Some(c) = col(Field::Process) {
        s.items.add(2, format!("a process column {}", c.describe()));
    }
    if let Some(o) = col(Field::Owner) {
        let people = profiles
            .get(&o.col)
            .is_some_and(|p| p.pct(p.emails.max(p.names)) >= 50);
        s.tasks.add(
            1,
            format!(
                "an owner column {}{}",
                o.describe(),
                if people { " naming people" } else { "" }
            ),
        );
        if hint(o) == Hint::Tracker {
            s.tasks.add(1, "an assignee word");
        }
    }
    if let Some(st) = col(Field::Status) {
        s.tasks.add(2, format!("a status column {}", st.describe()));
    }
    if let Some(p) = col(Field::Project) {
        s.tasks.add(1, format!("a project column {}", p.describe()));
    }
    if let Some(st) = col(Field::Start) {
        s.tasks.add(1, format!("a start column {}", st.describe()));
    }
    if let Some(st) = col(Field::Stage) {
        s.playbook
            .add(3, format!("a stage column {}", st.describe()));
    }
    if let Some(st) = col(Field::Step) {
        s.playbook
            .add(1, format!("a step column {}", st.describe()));
    }
    if let Some(d) = col(Field::Days) {
        s.playbook
            .add(2, format!("a duration column {}", d.describe()));
    }
    if let Some(r) = col(Field::Role) {
        s.playbook.add(1, format!("a role column {}", r.describe()));
    }
    s
}

/// The layout with the best score among the possible ones; a tie goes to the calendar, then
/// the tracker (the files they write keep the dates).
pub fn choose(scores: &Scores) -> Option<(Kind, String)> {
    let kinds = [Kind::Items, Kind::Tasks, Kind::Playbook];
    let best = kinds
        .iter()
        .filter(|k| scores.get(**k).possible)
        .max_by_key(|k| {
            (
                scores.get(**k).points,
                std::cmp::Reverse(kinds.iter().position(|x| x == *k)),
            )
        })?;
    let s = scores.get(*best);
    let reasons: Vec<String> = s
        .reasons
        .iter()
        .filter(|r| r.starts_with('+'))
        .map(|r| r.split_once(' ').map_or(r.as_str(), |(_, w)| w).to_string())
        .collect();
    Some((
        *best,
        format!(
            "it looks like {} most: {}",
            best.layout_words(),
            if reasons.is_empty() {
                "nothing points elsewhere".to_string()
            } else {
                reasons.join(", ")
            }
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::columns::{assign, find_header};
    use crate::import::mapfile::Mapping;

    fn grid(rows: &[&[&str]]) -> Grid {
        crate::import::grid::text_grid("Sheet1", rows)
    }

    fn detect(g: &Grid) -> (Columns, Scores, Option<(Kind, String)>, Report) {
        let map = Mapping::default();
        let header = find_header(g, &map).unwrap();
        let mut columns = assign(&header, &map, g).unwrap();
        let profiles = profiles(g, &header);
        let mut report = Report::default();
        refine(g, &header, &mut columns, &profiles, &mut report);
        let scores = score(&columns, &profiles);
        let choice = choose(&scores);
        (columns, scores, choice, report)
    }

    #[test]
    fn a_tracker_in_english_and_hebrew_is_tasks() {
        for g in [
            grid(&[
                &["Task", "Owner", "Due date", "Status"],
                &["Write brief", "Dana", "2026-03-04", "Done"],
                &["Design banner", "Noa", "2026-03-06", "In progress"],
            ]),
            grid(&[
                &["משימה", "אחראי", "תאריך יעד", "סטטוס"],
                &["לכתוב בריף", "דנה", "04/03/2026", "בוצע"],
                &["לעצב באנר", "נועה", "06/03/2026", "בתהליך"],
            ]),
        ] {
            let (columns, scores, choice, _) = detect(&g);
            assert_eq!(
                choice.as_ref().map(|c| c.0),
                Some(Kind::Tasks),
                "{}",
                scores.describe()
            );
            assert!(columns.has(Field::Status));
            let why = choice.unwrap().1;
            assert!(!why.contains("no date"), "{why}");
        }
    }

    #[test]
    fn calendars_with_caption_or_concept_are_items() {
        for title in ["Caption", "Concept"] {
            let g = grid(&[
                &[title, "Date", "Platform", "Status"],
                &[
                    "Behind the scenes of our spring shoot",
                    "2026-03-04",
                    "Instagram",
                    "Posted",
                ],
                &["Meet the team: Dana", "2026-03-06", "LinkedIn", "Draft"],
            ]);
            let (columns, scores, choice, _) = detect(&g);
            assert_eq!(
                choice.map(|c| c.0),
                Some(Kind::Items),
                "{}",
                scores.describe()
            );
            assert_eq!(columns.get(Field::Title), Some(0));
        }
    }

    #[test]
    fn a_checklist_is_a_playbook_and_says_so_truly() {
        let g = grid(&[
            &["Stage", "Step", "Owner", "Days"],
            &["Brief", "Write it", "ops", "2"],
            &["", "Approve it", "ops", ""],
        ]);
        let (_, scores, choice, _) = detect(&g);
        let (kind, why) = choice.unwrap();
        assert_eq!(kind, Kind::Playbook, "{}", scores.describe());
        assert!(why.contains("no date column"), "{why}");
    }

    #[test]
    fn columns_by_content_and_a_link_column_is_no_id() {
        let g = grid(&[
            &["Ref", "Idea", "Date", "Who does it", "Where we are"],
            &[
                "https://x.example/1",
                "Spring teaser with the new logo",
                "2026-03-04",
                "dana@example.com",
                "Done",
            ],
            &[
                "https://x.example/1",
                "Summer sale banner and copy",
                "2026-04-04",
                "noa@example.com",
                "Stuck",
            ],
        ]);
        let (columns, _, _, report) = detect(&g);
        assert!(!columns.has(Field::Id));
        assert_eq!(columns.get(Field::Title), Some(1));
        assert_eq!(columns.get(Field::GoLive), Some(2));
        assert_eq!(columns.get(Field::Owner), Some(3));
        assert_eq!(columns.get(Field::Status), Some(4));
        assert!(
            report.layout[0].contains("holds links"),
            "{:?}",
            report.layout
        );
    }

    #[test]
    fn an_id_column_must_be_unique() {
        let g = grid(&[
            &["ID", "Title", "Publish date"],
            &["P-1", "One", "2026-03-04"],
            &["P-1", "Two", "2026-03-05"],
        ]);
        let (columns, _, _, report) = detect(&g);
        assert!(!columns.has(Field::Id));
        assert!(
            report.layout[0].contains("repeats \"P-1\" (Sheet1!A3)"),
            "{:?}",
            report.layout
        );
    }
}
