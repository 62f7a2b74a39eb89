//! `--as tasks`: a task tracker, one row per task with an owner, a due date and a status.
//!
//! The model's tasks are an item's stages, so a tracker becomes:
//! - without groups: a one-stage process named after the sheet, and one item per row whose
//!   go-live date is the row's due date (the stage is due on it) and whose `people.owner` is
//!   the row's owner;
//! - with groups (a Project or Campaign column, group heading rows as monday.com exports them,
//!   or parent rows above indented sub-tasks): one item per group with a process of its own,
//!   whose stages are the group's rows. Each stage is scheduled forward from the item's go-live
//!   date (`after_golive`, the group's first working day) so that it is due on the row's own
//!   date, owned by a role holding the row's person, as long as its duration.
//!
//! Each row's status is kept: see [`StatusOut`].

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::civil::{Date, Weekday};

use super::columns::{Columns, Field};
use super::duration::{self, header_unit};
use super::grid::{CellRef, Value};
use super::items::ItemOut;
use super::playbook::{EntryOut, PlaybookOut, ProcessSettings, RoleOut, StageOut};
use super::report::Report;
use super::rows::{Rows, Shape};
use super::status::{self, RowStatus};
use crate::model::{Lang, entry_id, slug};
use crate::schedule::BusinessCalendar;

/// A row's status, for the state store: the task it belongs to and where it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusOut {
    /// `item/stage`.
    pub identity: String,
    pub status: RowStatus,
    pub at: CellRef,
}

/// Rows that name a group, and the group each task row belongs to.
#[derive(Debug, Default)]
pub struct Groups {
    pub group_rows: HashSet<u32>,
    /// Task row → (group name, where the name is).
    pub of_row: HashMap<u32, (String, CellRef)>,
    /// Group names in the order they first appear.
    pub order: Vec<String>,
    /// How the groups were found, for the report.
    pub how: Option<&'static str>,
}

/// Indentation of a row's title: the sheet's outline level, the cell's indent, or leading
/// spaces (two to a level).
pub fn level(rows: &Rows<'_>, row: u32, col: u32) -> u32 {
    let grid = rows.grid;
    let spaces = match rows.value(row, col) {
        Value::Text(t) => {
            let lead = t
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t' || *c == '\u{A0}')
                .map(|c| if c == '\t' { 2 } else { 1 })
                .sum::<u32>();
            lead.div_ceil(2)
        }
        _ => 0,
    };
    let outline = grid.outline_levels.get(&row).copied().unwrap_or(0);
    let indent = grid.indents.get(&(row, col)).copied().unwrap_or(0);
    spaces.max(outline.into()).max(indent.into())
}

/// Find the groups of a tracker.
pub fn groups(rows: &Rows<'_>, columns: &Columns, header_row: u32) -> Groups {
    let mut g = Groups::default();
    let Some(title_col) = columns.get(Field::Title) else {
        return g;
    };
    let field_cols: Vec<u32> = columns.fields.values().map(|c| c.col).collect();
    let data: Vec<u32> = rows
        .data_rows()
        .filter(|r| {
            !rows.grid.step_rows.contains(r)
                && !matches!(
                    rows.shape(*r, &field_cols),
                    Shape::Blank | Shape::Totals | Shape::RepeatedHeader
                )
        })
        .collect();
    if let Some(project) = columns.get(Field::Project) {
        for &row in &data {
            if let Some(name) = rows.text(row, project) {
                g.add(row, name, rows.grid.cell_ref(row, project));
            }
        }
        g.how = Some("the project column");
        return g;
    }
    let found_parent = outline_groups(rows, columns, &data, title_col, &mut g);
    if !g.group_rows.is_empty() && header_row > 0 {
        name_from_above(rows, &data, header_row - 1, &mut g);
    }
    if !g.group_rows.is_empty() {
        g.how = Some(if found_parent {
            "the parent rows above indented sub-tasks"
        } else {
            "the group heading rows"
        });
    }
    g
}

impl Groups {
    /// `row` is a task of the group `name`, named at `at`.
    fn add(&mut self, row: u32, name: String, at: CellRef) {
        if !self.order.contains(&name) {
            self.order.push(name.clone());
        }
        self.of_row.insert(row, (name, at));
    }
}

/// Groups from the rows themselves: a row is a group when it is less indented than the row
/// after it, or when it holds a name alone (no date, owner or status) and task rows follow
/// it. Returns whether a group was a parent of indented rows.
fn outline_groups(
    rows: &Rows<'_>,
    columns: &Columns,
    data: &[u32],
    title_col: u32,
    g: &mut Groups,
) -> bool {
    let field_cols: Vec<u32> = columns.fields.values().map(|c| c.col).collect();
    let bare = |row: u32| {
        [Field::GoLive, Field::Owner, Field::Status]
            .iter()
            .filter_map(|f| columns.get(*f))
            .all(|c| rows.value(row, c).is_blank())
    };
    let levels: Vec<u32> = data.iter().map(|r| level(rows, *r, title_col)).collect();
    // Parents of indented rows, outermost first; and the last group heading, which holds
    // until the next one.
    let mut stack: Vec<(u32, String, CellRef)> = Vec::new();
    let mut heading_group: Option<(String, CellRef)> = None;
    let mut found_parent = false;
    for (i, &row) in data.iter().enumerate() {
        let heading = match rows.shape(row, &field_cols) {
            Shape::Heading { col } => Some(col),
            _ => None,
        };
        let name_col = heading.unwrap_or(title_col);
        let Some(name) = rows.text(row, name_col) else {
            continue;
        };
        let next_deeper = levels.get(i + 1).is_some_and(|n| *n > levels[i]);
        let next_is_task = data.get(i + 1).is_some_and(|n| !bare(*n));
        let is_group = next_deeper || ((heading.is_some() || bare(row)) && next_is_task);
        while stack.last().is_some_and(|(l, ..)| *l >= levels[i]) {
            stack.pop();
        }
        if is_group {
            g.group_rows.insert(row);
            let at = rows.grid.cell_ref(row, name_col);
            if next_deeper {
                found_parent = true;
                stack.push((levels[i], name, at));
            } else {
                stack.clear();
                heading_group = Some((name, at));
            }
            continue;
        }
        let group = stack
            .last()
            .map(|(_, n, at)| (n, at))
            .or(heading_group.as_ref().map(|(n, at)| (n, at)));
        if let Some((name, at)) = group {
            g.add(row, name.clone(), at.clone());
        }
    }
    found_parent
}

/// A board export names its first group above the header row: one cell alone on the row
/// `above` names the rows before the first group row.
fn name_from_above(rows: &Rows<'_>, data: &[u32], above: u32, g: &mut Groups) {
    let grid = rows.grid;
    let cells: Vec<u32> = grid
        .col_range()
        .filter(|c| !grid.get(above, *c).is_blank())
        .collect();
    let [col] = cells.as_slice() else {
        return;
    };
    let Some(name) = grid.get(above, *col).text() else {
        return;
    };
    let first_group = g.group_rows.iter().min().copied().unwrap_or(u32::MAX);
    let mut named = false;
    for &row in data.iter().take_while(|r| **r < first_group) {
        if let std::collections::hash_map::Entry::Vacant(e) = g.of_row.entry(row) {
            e.insert((name.clone(), grid.cell_ref(above, *col)));
            named = true;
        }
    }
    if named {
        g.order.insert(0, name);
    }
}

/// What the tracker becomes.
#[derive(Debug, Default)]
pub struct TasksOut {
    pub playbooks: Vec<PlaybookOut>,
    pub items: Vec<ItemOut>,
    pub statuses: Vec<StatusOut>,
}

/// Everything [`build`] needs besides the rows.
pub struct Setup<'a> {
    /// The process of an ungrouped tracker: id and name (after the sheet).
    pub process_id: String,
    pub process_name: String,
    pub lang: Lang,
    /// `[process]` settings for a process id and name.
    pub settings: &'a mut dyn FnMut(String, String) -> ProcessSettings,
}

fn weekday(day: &str) -> Weekday {
    match day {
        "sun" => Weekday::Sunday,
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        _ => Weekday::Saturday,
    }
}

/// Each task row's status and duration, as the sheet gives them.
struct Facts {
    status: HashMap<u32, RowStatus>,
    days: HashMap<u32, Length>,
    status_col: Option<u32>,
}

/// Whether some task has steps of its own (an export's checklist items or subtasks): then the
/// tasks are stages, even without groups, for a stage's checklist is every item's.
pub fn with_steps(rows: &Rows<'_>, built: &[ItemOut]) -> bool {
    built.iter().any(|i| rows.grid.steps.contains_key(&i.row))
}

/// Build the processes and items from the rows the items reader accepted (`built`, one per
/// task row, ids already unique).
pub fn build(
    rows: &Rows<'_>,
    columns: &Columns,
    groups: &Groups,
    built: Vec<ItemOut>,
    mut setup: Setup<'_>,
    report: &mut Report,
) -> TasksOut {
    let facts = read_facts(rows, columns, &built, setup.lang, report);
    let groups_named = if !groups.of_row.is_empty() {
        split_groups(groups, built, &setup, report)
    } else if with_steps(rows, &built) {
        // The rows of one process share its one stage, and so its checklist: rows with
        // checklists of their own need a stage each.
        report.layout.push(format!(
            "the tasks have checklists of their own, so they are the stages of one item, \"{}\", \
             each with its checklist (the tasks of a one-stage process would share one)",
            setup.process_name
        ));
        vec![(setup.process_name.clone(), built)]
    } else {
        return one_process(rows, built, &facts, &mut setup, report);
    };

    let mut out = TasksOut::default();
    let mut used_ids: HashSet<String> = HashSet::new();
    let mut tasks = 0;
    for (name, members) in groups_named {
        tasks += members.len();
        group_process(
            rows,
            columns,
            &facts,
            &mut setup,
            &mut used_ids,
            name,
            members,
            &mut out,
            report,
        );
    }
    report.created.push(format!(
        "{tasks} task{} in {} group{}",
        if tasks == 1 { "" } else { "s" },
        out.items.len(),
        if out.items.len() == 1 { "" } else { "s" }
    ));
    if let Some(how) = groups.how {
        report
            .layout
            .push(format!("the tasks were grouped into items by {how}"));
    }
    out
}

fn read_facts(
    rows: &Rows<'_>,
    columns: &Columns,
    built: &[ItemOut],
    lang: Lang,
    report: &mut Report,
) -> Facts {
    let grid = rows.grid;
    let status_col = columns.get(Field::Status);
    let days_col = columns.fields.get(&Field::Days).cloned();
    let start_col = columns.get(Field::Start);
    let unit = days_col.as_ref().and_then(|c| header_unit(&c.title));
    // Each row's status and duration.
    let mut row_status: HashMap<u32, RowStatus> = HashMap::new();
    let mut row_days: HashMap<u32, Length> = HashMap::new();
    for item in built {
        if let Some(col) = status_col {
            match status::read_value(rows.value(item.row, col)) {
                Ok(Some(s)) => {
                    row_status.insert(item.row, s);
                }
                Ok(None) => {}
                Err(why) => report.problem(grid.cell_ref(item.row, col), why),
            }
        }
        if let Some(col) = &days_col {
            match duration::read(rows.value(item.row, col.col), unit) {
                Ok(Some(d)) => {
                    if let Some(note) = d.note {
                        report.problem(grid.cell_ref(item.row, col.col), note);
                    }
                    row_days.insert(item.row, Length::Days(d.days));
                }
                Ok(None) => {}
                Err(why) => report.problem(grid.cell_ref(item.row, col.col), why),
            }
        } else if let Some(col) = start_col
            && let Some(start) = start_date(rows.value(item.row, col), grid, lang)
        {
            if start <= item.golive {
                // Counted in the process's work week once the process is known.
                row_days.insert(item.row, Length::Since(start));
            } else {
                report.problem(
                    grid.cell_ref(item.row, col),
                    format!(
                        "the start {start} is after the due date {}; the task takes 1 day",
                        item.golive
                    ),
                );
            }
        }
    }

    Facts {
        status: row_status,
        days: row_days,
        status_col,
    }
}

/// No groups: one process named after the sheet, one stage, an item per row.
fn one_process(
    rows: &Rows<'_>,
    built: Vec<ItemOut>,
    facts: &Facts,
    setup: &mut Setup<'_>,
    report: &mut Report,
) -> TasksOut {
    let grid = rows.grid;
    let mut out = TasksOut::default();
    let settings = (setup.settings)(setup.process_id.clone(), setup.process_name.clone());
    let days = shared_days(&built, facts, &calendar(&settings), report);
    let mut people: Vec<String> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for item in &built {
        if let Some(p) = item.people.get("owner")
            && seen.insert(p)
        {
            people.push(p.clone());
        }
    }
    let stage_id = "task".to_string();
    let (stage_name, role_name) = match setup.lang {
        Lang::He => ("משימה", "אחראי"),
        Lang::En => ("Task", "Owner"),
    };
    for item in &built {
        if let Some(s) = facts.status.get(&item.row) {
            out.statuses.push(StatusOut {
                identity: format!("{}/{stage_id}", item.id),
                status: *s,
                at: grid.cell_ref(item.row, facts.status_col.unwrap_or(0)),
            });
        }
    }
    if people.is_empty() {
        report
            .notes
            .push(super::playbook::placeholder_note(&["owner"]));
    }
    out.playbooks.push(PlaybookOut {
        process: settings,
        roles: vec![RoleOut {
            id: "owner".into(),
            name: role_name.into(),
            people,
        }],
        stages: vec![StageOut {
            id: stage_id,
            name: stage_name.into(),
            owner: "owner".into(),
            days,
            checklist: Vec::new(),
            after: None,
            after_golive: None,
        }],
        comment: vec![
            "A one-stage process written by `throughline import` from a task tracker: each item"
                .into(),
            "is one row of the sheet, due on its go-live date, owned by the row's owner.".into(),
        ],
    });
    report.created.push(format!(
        "{} task{} in one process",
        built.len(),
        if built.len() == 1 { "" } else { "s" }
    ));
    out.items = built;
    out
}

/// The days of the one stage all rows share: the rows' own when they agree, else 1 (with a
/// note saying why).
fn shared_days(
    built: &[ItemOut],
    facts: &Facts,
    cal: &BusinessCalendar,
    report: &mut Report,
) -> u32 {
    let mut lengths: Vec<u32> = built
        .iter()
        .map(|i| days_of(&facts.days, i.row, i.golive, cal))
        .collect();
    lengths.sort_unstable();
    lengths.dedup();
    match lengths.as_slice() {
        [] => 1,
        [one] => *one,
        _ => {
            report.notes.push(format!(
                "the rows take different numbers of days ({}), but the tasks of one process share \
                 one stage, so each task is due on its row's date and takes 1 day. Add a Project \
                 column to give each group its own stages and durations",
                lengths
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            1
        }
    }
}

/// The rows of each group, in sheet order; rows of no group form a group of their own.
fn split_groups(
    groups: &Groups,
    built: Vec<ItemOut>,
    setup: &Setup<'_>,
    report: &mut Report,
) -> Vec<(String, Vec<ItemOut>)> {
    let mut by_group: BTreeMap<usize, Vec<ItemOut>> = BTreeMap::new();
    let mut loose: Vec<ItemOut> = Vec::new();
    for item in built {
        match groups.of_row.get(&item.row) {
            Some((name, _)) => {
                let i = groups.order.iter().position(|n| n == name).unwrap_or(0);
                by_group.entry(i).or_default().push(item);
            }
            None => loose.push(item),
        }
    }
    let mut groups_named: Vec<(String, Vec<ItemOut>)> = by_group
        .into_iter()
        .map(|(i, rows)| (groups.order[i].clone(), rows))
        .collect();
    if !loose.is_empty() {
        report.notes.push(format!(
            "{} row{} to no group; {} the group \"{}\"",
            loose.len(),
            if loose.len() == 1 {
                " belongs"
            } else {
                "s belong"
            },
            if loose.len() == 1 {
                "it forms"
            } else {
                "they form"
            },
            setup.process_name
        ));
        groups_named.push((setup.process_name.clone(), loose));
    }
    groups_named
}

/// One group: an item with a process of its own, a stage per row due on the row's date.
#[allow(clippy::too_many_arguments)] // the group and everything its stages are made from
fn group_process(
    rows: &Rows<'_>,
    columns: &Columns,
    facts: &Facts,
    setup: &mut Setup<'_>,
    used_ids: &mut HashSet<String>,
    name: String,
    members: Vec<ItemOut>,
    out: &mut TasksOut,
    report: &mut Report,
) {
    let base = slug(&name);
    let mut id = base.clone();
    let mut n = 2;
    while !used_ids.insert(id.clone()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    let settings = (setup.settings)(id.clone(), name.clone());
    let cal = calendar(&settings);
    // Each row's days and start, then the group's first working day.
    let spans: Vec<(u32, Date)> = members
        .iter()
        .map(|m| {
            let days = days_of(&facts.days, m.row, m.golive, &cal);
            let start = if days == 0 {
                cal.on_or_before(m.golive)
            } else {
                cal.back(m.golive, days - 1)
            };
            (days, start)
        })
        .collect();
    let golive = spans
        .iter()
        .map(|(_, s)| *s)
        .min()
        .unwrap_or_else(|| members[0].golive);
    let mut group = GroupStages {
        rows,
        facts,
        date_col: columns.get(Field::GoLive),
        id: &id,
        cal: &cal,
        golive,
        lang: setup.lang,
        roles: Roles::default(),
        stages: Vec::new(),
        stage_ids: HashMap::new(),
    };
    for (m, &(days, start)) in members.iter().zip(&spans) {
        group.add(m, days, start, out, report);
    }
    let GroupStages { roles, stages, .. } = group;
    let roles = roles.list;
    if roles.iter().any(|r| r.people.is_empty()) {
        report
            .notes
            .push(super::playbook::placeholder_note(&["owner"]));
    }
    out.playbooks.push(PlaybookOut {
        process: settings,
        roles,
        stages,
        comment: vec![
            format!(
                "The group \"{name}\" of a task tracker, written by `throughline import`: one stage"
            ),
            "per row, each due on its row's date (after_golive counts working days from the".into(),
            "item's go-live date, the group's first working day).".into(),
        ],
    });
    out.items.push(ItemOut {
        row: members[0].row,
        id: id.clone(),
        process: id,
        title: name,
        golive,
        people: BTreeMap::new(),
        channel: None,
        notes: None,
    });
}

/// A group's process while its stages are made, one per row.
struct GroupStages<'a> {
    rows: &'a Rows<'a>,
    facts: &'a Facts,
    /// The due-date column.
    date_col: Option<u32>,
    /// The group's item and process id.
    id: &'a str,
    cal: &'a BusinessCalendar,
    /// The item's go-live date: the group's first working day.
    golive: Date,
    lang: Lang,
    roles: Roles,
    stages: Vec<StageOut>,
    /// Stage id → how many rows had it, to number repeats.
    stage_ids: HashMap<String, usize>,
}

impl GroupStages<'_> {
    /// The stage of the row `m`, `days` long from `start`, and its status.
    fn add(
        &mut self,
        m: &ItemOut,
        days: u32,
        start: Date,
        out: &mut TasksOut,
        report: &mut Report,
    ) {
        let (grid, facts) = (self.rows.grid, self.facts);
        let owner = self.owner(m);
        let stage_id = self.stage_id(&m.title);
        let due = if days == 0 {
            start
        } else {
            self.cal.forward(start, days - 1)
        };
        if due != m.golive {
            report.problem(
                grid.cell_ref(m.row, self.date_col.unwrap_or(0)),
                format!(
                    "{} is not a working day of the process; the task is due on {due}",
                    m.golive
                ),
            );
        }
        if let Some(s) = facts.status.get(&m.row) {
            out.statuses.push(StatusOut {
                identity: format!("{}/{stage_id}", self.id),
                status: *s,
                at: grid.cell_ref(m.row, facts.status_col.unwrap_or(0)),
            });
        }
        let checklist = self.checklist(m, &stage_id, out);
        self.stages.push(StageOut {
            id: stage_id,
            name: m.title.clone(),
            owner,
            days,
            checklist,
            after: Some(Vec::new()),
            after_golive: Some(self.cal.count(self.golive, start).saturating_sub(1)),
        });
    }

    /// The row's steps (an export's checklist items or subtasks) as its stage's checklist, each
    /// with a key unique in the stage; a step done in the export is recorded done.
    fn checklist(&self, m: &ItemOut, stage_id: &str, out: &mut TasksOut) -> Vec<EntryOut> {
        let Some(steps) = self.rows.grid.steps.get(&m.row) else {
            return Vec::new();
        };
        let mut keys: HashMap<String, usize> = HashMap::new();
        let mut checklist = Vec::with_capacity(steps.len());
        for step in steps {
            let base = slug(&step.text);
            let n = keys.entry(base.clone()).or_insert(0);
            *n += 1;
            let key = if *n == 1 { base } else { format!("{base}-{n}") };
            if step.done {
                out.statuses.push(StatusOut {
                    identity: entry_id(self.id, stage_id, &key),
                    status: RowStatus::Done,
                    at: self
                        .rows
                        .grid
                        .cell_ref(m.row, self.facts.status_col.unwrap_or(0)),
                });
            }
            checklist.push(EntryOut {
                key,
                text: step.text.clone(),
                role: None,
            });
        }
        checklist
    }

    /// The role of the row's person; a row without one belongs to the role "owner".
    fn owner(&mut self, m: &ItemOut) -> String {
        if let Some(person) = m.people.values().next() {
            return self.roles.of(person);
        }
        if !self.roles.list.iter().any(|r| r.id == "owner") {
            self.roles.list.push(RoleOut {
                id: "owner".into(),
                name: if self.lang == Lang::He {
                    "אחראי"
                } else {
                    "Owner"
                }
                .into(),
                people: Vec::new(),
            });
        }
        "owner".to_string()
    }

    /// A stage id from the row's title, numbered when the title repeats in the group.
    fn stage_id(&mut self, title: &str) -> String {
        let base = slug(title);
        let count = self.stage_ids.entry(base.clone()).or_insert(0);
        *count += 1;
        if *count == 1 {
            base
        } else {
            format!("{base}-{count}")
        }
    }
}

/// A start date cell: a date, or text read as the sheet's language reads dates.
fn start_date(value: &Value, grid: &super::grid::Grid, lang: Lang) -> Option<Date> {
    use super::dates::{DateOrder, Reading, Resolved, read, resolve};
    match read(value, grid.date_system) {
        Reading::Date(d) | Reading::Serial { date: d, .. } => Some(d),
        Reading::Numeric { a, b, c } => {
            let order = if lang == Lang::He {
                DateOrder::Dmy
            } else {
                DateOrder::Mdy
            };
            match resolve(a, b, c, order) {
                Resolved::Date { date, .. } => Some(date),
                _ => None,
            }
        }
        _ => None,
    }
}

fn calendar(settings: &ProcessSettings) -> BusinessCalendar {
    let week: Vec<Weekday> = settings.workweek.iter().map(|d| weekday(d)).collect();
    BusinessCalendar::from_parts(jiff::tz::TimeZone::UTC, &week, [])
}

/// How long a row's work takes, as the sheet says it.
#[derive(Debug, Clone, Copy)]
enum Length {
    Days(u32),
    /// From a start date to the due date.
    Since(Date),
}

/// A row's business days: its duration, or the working days from its start to its due date.
fn days_of(row_days: &HashMap<u32, Length>, row: u32, due: Date, cal: &BusinessCalendar) -> u32 {
    match row_days.get(&row) {
        Some(Length::Days(d)) => *d,
        Some(Length::Since(start)) => cal.count(*start, due).max(1),
        None => 1,
    }
}

/// The roles of a group's people, one per person (named after them), with indexes: a group
/// may have a different person on every row.
#[derive(Default)]
struct Roles {
    list: Vec<RoleOut>,
    by_person: HashMap<String, String>,
    /// The next number to try after each name's slug.
    next: HashMap<String, usize>,
    ids: HashSet<String>,
}

impl Roles {
    /// The role of one person, added on first use.
    fn of(&mut self, person: &str) -> String {
        if let Some(id) = self.by_person.get(person) {
            return id.clone();
        }
        let name = person
            .split(['<', '@'])
            .next()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(person)
            .to_string();
        let base = slug(&name);
        let mut id = base.clone();
        while self.ids.contains(&id) || id == "owner" {
            let n = self.next.entry(base.clone()).or_insert(2);
            id = format!("{base}-{n}");
            *n += 1;
        }
        self.ids.insert(id.clone());
        self.by_person.insert(person.to_string(), id.clone());
        self.list.push(RoleOut {
            id: id.clone(),
            name,
            people: vec![person.to_string()],
        });
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_person_gets_one_role_named_after_them_numbered_when_names_meet() {
        let mut roles = Roles::default();
        let ids: Vec<String> = [
            "dana@a.example",
            "dana@b.example",
            "Dana <dana@c.example>",
            "dana@a.example",
            "owner@a.example",
            "owner@b.example",
        ]
        .iter()
        .map(|p| roles.of(p))
        .collect();
        assert_eq!(
            ids,
            ["dana", "dana-2", "dana-3", "dana", "owner-2", "owner-3"]
        );
        assert_eq!(roles.list.len(), 5);
        assert_eq!(roles.list[2].name, "Dana");
        assert_eq!(roles.list[2].people, ["Dana <dana@c.example>"]);
    }
}
