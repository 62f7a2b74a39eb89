//! `--as playbook`: a checklist sheet. Rows of stage / step / owner / days become stages with
//! checklists, in sheet order.

use std::collections::HashMap;

use super::columns::{Columns, Field, normalize};
use super::duration;
use super::grid::CellRef;
use super::progress::Progress;
use super::report::{Report, SkipReason};
use super::rows::{Rows, Shape};
use crate::model::{Lang, slug};

/// `[process]` of a playbook the import writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessSettings {
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub workweek: Vec<&'static str>,
    pub lang: Lang,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleOut {
    pub id: String,
    pub name: String,
    pub people: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EntryOut {
    pub key: String,
    pub text: String,
    pub role: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageOut {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub days: u32,
    pub checklist: Vec<EntryOut>,
    /// `after = [...]`; `None` = the stage before it in the file.
    pub after: Option<Vec<String>>,
    pub after_golive: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlaybookOut {
    pub process: ProcessSettings,
    pub roles: Vec<RoleOut>,
    pub stages: Vec<StageOut>,
    /// Comment lines at the top of the file.
    pub comment: Vec<String>,
}

/// A stage while its rows are read.
struct Building {
    stage: StageOut,
    /// Where its name is (for messages).
    at: CellRef,
    owner: Option<(String, CellRef)>,
    days: Option<(u32, CellRef)>,
    /// The days of its indented steps, added up: the stage's days when it gives none.
    step_days: u32,
    /// The days cell to point at when none was given.
    days_at: Option<CellRef>,
    keys: HashMap<String, usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// A Stage column; an empty stage cell continues the stage above.
    StageColumn,
    /// Stage names as headings (one cell merged across the row), steps below.
    Headings,
    /// Indented rows (leading spaces, an outline level, a cell indent) under unindented
    /// ones: the unindented rows are stages, the indented ones their steps.
    Indented,
    /// Neither: every row is a stage.
    EachRow,
}

/// The columns a checklist is read from.
struct Cols {
    stage: Option<u32>,
    /// The Step column, else the Title column.
    step: Option<u32>,
    owner: Option<u32>,
    role: Option<u32>,
    days: Option<u32>,
    id: Option<u32>,
    /// The unit the Days column's title names ("Duration (weeks)").
    unit: Option<duration::Unit>,
    /// Every column with a field, to tell data rows from headings and blanks.
    fields: Vec<u32>,
}

impl Cols {
    fn of(columns: &Columns, report: &mut Report) -> Cols {
        let days = columns.fields.get(&Field::Days);
        let unit = days.and_then(|c| duration::header_unit(&c.title));
        if let (Some(u), Some(c)) = (unit, days)
            && u != duration::Unit::Days
        {
            report.layout.push(format!(
                "column {} counts {}; they were turned into business days (a week is 5)",
                c.describe(),
                u.words()
            ));
        }
        Cols {
            stage: columns.get(Field::Stage),
            step: columns
                .get(Field::Step)
                .or_else(|| columns.get(Field::Title)),
            owner: columns.get(Field::Owner),
            role: columns.get(Field::Role),
            days: columns.get(Field::Days),
            id: columns.get(Field::Id),
            unit,
            fields: columns.fields.values().map(|c| c.col).collect(),
        }
    }
}

/// The checklist while its rows are read, in sheet order.
struct Reader<'a> {
    rows: &'a Rows<'a>,
    cols: Cols,
    layout: Layout,
    /// Indented plans: each row's indent level, and the level of the stages.
    levels: HashMap<u32, u32>,
    top: u32,
    roles: Vec<RoleOut>,
    done: Vec<Building>,
    current: Option<Building>,
    seen_stage_ids: HashMap<String, CellRef>,
}

pub fn build(
    rows: &Rows<'_>,
    columns: &Columns,
    process: ProcessSettings,
    report: &mut Report,
    progress: &Progress,
) -> PlaybookOut {
    let mut reader = Reader::new(rows, Cols::of(columns, report), report);
    let data = rows.data_rows();
    let bar = progress.bar("Reading rows", (data.end - data.start) as u64);
    for row in data.clone() {
        bar.set((row - data.start) as u64);
        report.rows_read += 1;
        reader.read_row(row, report);
    }
    bar.finish();
    let Reader {
        mut roles,
        mut done,
        current,
        ..
    } = reader;
    done.extend(current);
    let stages = finish_stages(done, &mut roles, process.lang, report);
    if roles.iter().any(|r| r.people.is_empty()) {
        let names: Vec<&str> = roles
            .iter()
            .filter(|r| r.people.is_empty())
            .map(|r| r.id.as_str())
            .collect();
        report.notes.push(placeholder_note(&names));
    }
    let entries: usize = stages.iter().map(|s| s.checklist.len()).sum();
    report.created.push(format!(
        "{} stage{} with {} checklist entr{}",
        stages.len(),
        if stages.len() == 1 { "" } else { "s" },
        entries,
        if entries == 1 { "y" } else { "ies" }
    ));
    PlaybookOut {
        process,
        roles,
        stages,
        comment: Vec::new(),
    }
}

impl<'a> Reader<'a> {
    fn new(rows: &'a Rows<'a>, cols: Cols, report: &mut Report) -> Reader<'a> {
        let levels: HashMap<u32, u32> = match cols.step {
            Some(col) if cols.stage.is_none() => rows
                .data_rows()
                .map(|r| (r, super::tasks::level(rows, r, col)))
                .collect(),
            _ => HashMap::new(),
        };
        let top = levels.values().copied().min().unwrap_or(0);
        let layout = choose_layout(rows, &cols, &levels, top);
        match layout {
            Layout::Headings => report.layout.push("stage names were read from the heading rows (merged across the columns) above their steps".into()),
            Layout::Indented => report.layout.push("the unindented rows became stages and the indented rows below each their steps".into()),
            Layout::EachRow if cols.step.is_some() => report.layout.push("there is no Stage column, so each row became a stage".into()),
            _ => {}
        }
        Reader {
            rows,
            cols,
            layout,
            levels,
            top,
            roles: Vec::new(),
            done: Vec::new(),
            current: None,
            seen_stage_ids: HashMap::new(),
        }
    }

    /// One row: it may start a stage, and give the stage its owner, its days and a step.
    fn read_row(&mut self, row: u32, report: &mut Report) {
        let (rows, grid) = (self.rows, self.rows.grid);
        if grid.step_rows.contains(&row) {
            return report.skip(row, SkipReason::Step);
        }
        let heading = match rows.shape(row, &self.cols.fields) {
            Shape::Blank => return report.skip(row, SkipReason::Blank),
            Shape::Totals => return report.skip(row, SkipReason::Totals),
            Shape::RepeatedHeader => return report.skip(row, SkipReason::RepeatedHeader),
            Shape::Heading { col } if self.layout == Layout::Headings => {
                Some((col, rows.text(row, col).unwrap_or_default()))
            }
            Shape::Heading { .. } => return report.skip(row, SkipReason::Heading),
            Shape::Data => None,
        };
        let step = self.cols.step.and_then(|c| rows.text(row, c));
        let stage_name = self.stage_name(row, heading.as_ref(), step.as_deref());
        let starts_new = match (&stage_name, &self.current) {
            (Some((name, _)), Some(b)) => {
                normalize(name) != normalize(&b.stage.name) || self.layout == Layout::EachRow
            }
            (Some(_), None) => true,
            (None, _) => false,
        };
        if let Some((name, at)) = stage_name.filter(|_| starts_new) {
            self.start_stage(row, name, at, report);
        }
        if self.current.is_none() {
            let at = grid.cell_ref(row, self.cols.stage.or(self.cols.step).unwrap_or(0));
            report.problem(
                at,
                "this row comes before any stage name, so it belongs to no stage; row skipped",
            );
            return report.skip(row, SkipReason::Problem);
        }
        if heading.is_some() {
            return;
        }
        // In an indented plan the stage's own row is no step of it.
        let step = step.filter(|_| !(self.layout == Layout::Indented && starts_new));
        let entry_role = self.read_owner(row, step.is_some(), report);
        self.read_days(row, step.is_some(), report);
        if self.layout != Layout::EachRow
            && let Some(text) = step
        {
            self.add_step(row, text, entry_role, report);
        }
    }

    /// The stage this row names, and where: in the Stage column, as a heading, as the row's
    /// step (each row a stage) or as an unindented row.
    fn stage_name(
        &self,
        row: u32,
        heading: Option<&(u32, String)>,
        step: Option<&str>,
    ) -> Option<(String, CellRef)> {
        let grid = self.rows.grid;
        let step_at = || grid.cell_ref(row, self.cols.step.unwrap_or(0));
        match self.layout {
            Layout::StageColumn => {
                let col = self.cols.stage?;
                self.rows
                    .text(row, col)
                    .map(|n| (n, grid.cell_ref(row, col)))
            }
            Layout::Headings => heading.map(|(col, n)| (n.clone(), grid.cell_ref(row, *col))),
            Layout::EachRow => step.map(|n| (n.to_string(), step_at())),
            Layout::Indented => step
                .filter(|_| self.levels.get(&row).copied().unwrap_or(0) == self.top)
                .map(|n| (n.to_string(), step_at())),
        }
    }

    /// Close the stage being read and start the one named `name` at `at`, with an id of its
    /// own (a name that comes back after other stages gets a number).
    fn start_stage(&mut self, row: u32, name: String, at: CellRef, report: &mut Report) {
        self.done.extend(self.current.take());
        let explicit = self
            .cols
            .id
            .filter(|_| self.layout != Layout::StageColumn || self.cols.step.is_none())
            .and_then(|c| self.rows.text(row, c));
        let base = slug(explicit.as_deref().unwrap_or(&name));
        let mut id = base.clone();
        let mut n = 2;
        while self.seen_stage_ids.contains_key(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        if id != base {
            report.renamed.push(format!(
                "{at}: the stage \"{name}\" appears again after other stages (first at {}); this one's id is \"{id}\"",
                self.seen_stage_ids[&base]
            ));
        }
        self.seen_stage_ids.insert(id.clone(), at.clone());
        self.current = Some(Building {
            stage: StageOut {
                id,
                name,
                owner: String::new(),
                days: 0,
                checklist: Vec::new(),
                after: None,
                after_golive: None,
            },
            at,
            owner: None,
            days: None,
            step_days: 0,
            days_at: self.cols.days.map(|c| self.rows.grid.cell_ref(row, c)),
            keys: HashMap::new(),
        });
    }

    /// The row's owner: the stage's owner if it has none yet, else the role of the row's
    /// step (returned), else a clash reported.
    fn read_owner(&mut self, row: u32, is_step: bool, report: &mut Report) -> Option<String> {
        let id = self.row_role(row)?;
        let role_at = self
            .rows
            .grid
            .cell_ref(row, self.cols.role.or(self.cols.owner).unwrap_or(0));
        let each_row = self.layout == Layout::EachRow;
        let b = self.current.as_mut().expect("a stage is being read");
        match &b.owner {
            None => b.owner = Some((id, role_at)),
            Some((owner, _)) if *owner == id => {}
            Some(_) if is_step && !each_row => return Some(id),
            Some((owner, first)) => report.problem(
                role_at,
                format!(
                    "the stage \"{}\" already has the owner \"{owner}\" (from {first}); this one was not used",
                    b.stage.name
                ),
            ),
        }
        None
    }

    /// The role the row names, added to the roles with the people it names: a role name, or a
    /// person's e-mail address (then the role is named after them). With both a Role and an
    /// Owner column, the owner cell names a person of that role.
    fn row_role(&mut self, row: u32) -> Option<String> {
        let cell = |col: Option<u32>| col.and_then(|c| self.rows.text(row, c));
        let text = cell(self.cols.role).or_else(|| cell(self.cols.owner))?;
        let named_person = if self.cols.role.is_some() {
            cell(self.cols.owner)
        } else {
            None
        };
        let (id, name, person) = match text.split_once('@') {
            Some((local, _)) => (slug(local), local.to_string(), Some(text.clone())),
            None => (slug(&text), text.clone(), None),
        };
        let role = match self.roles.iter().position(|r| r.id == id) {
            Some(i) => &mut self.roles[i],
            None => {
                self.roles.push(RoleOut {
                    id: id.clone(),
                    name,
                    people: Vec::new(),
                });
                self.roles.last_mut().expect("just pushed")
            }
        };
        for p in person.into_iter().chain(named_person) {
            if !role.people.contains(&p) {
                role.people.push(p);
            }
        }
        Some(id)
    }

    /// The row's days: the stage's, or (an indented step's) added to the stage's steps' days.
    fn read_days(&mut self, row: u32, is_step: bool, report: &mut Report) {
        let Some(col) = self.cols.days else {
            return;
        };
        let value = self.rows.value(row, col);
        if value.is_blank() {
            return;
        }
        let at = self.rows.grid.cell_ref(row, col);
        let parsed = duration::read(value, self.cols.unit).map(|d| {
            let d = d.expect("not blank");
            if let Some(note) = &d.note {
                report.problem(at.clone(), note.clone());
            }
            d.days
        });
        let indented = self.layout == Layout::Indented;
        let b = self.current.as_mut().expect("a stage is being read");
        match parsed {
            Ok(days) if is_step && indented => b.step_days += days,
            Ok(days) => match &b.days {
                None => b.days = Some((days, at)),
                Some((d, _)) if *d == days => {}
                // A merged days cell repeats the same value; anything else is a clash.
                Some((d, first)) => report.problem(
                    at,
                    format!(
                        "the stage \"{}\" already has {d} days (from {first}); {days} was not used",
                        b.stage.name
                    ),
                ),
            },
            Err(why) => report.problem(at, why),
        }
    }

    /// A step of the stage, with a key unique in the stage.
    fn add_step(&mut self, row: u32, text: String, role: Option<String>, report: &mut Report) {
        let explicit = self
            .cols
            .id
            .filter(|_| self.cols.step.is_some() && self.layout == Layout::StageColumn)
            .and_then(|c| self.rows.text(row, c));
        let step_at = self.rows.grid.cell_ref(row, self.cols.step.unwrap_or(0));
        let b = self.current.as_mut().expect("a stage is being read");
        let base = slug(explicit.as_deref().unwrap_or(&text));
        let n = b.keys.entry(base.clone()).or_insert(0);
        *n += 1;
        let key = if *n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        if *n > 1 {
            report.renamed.push(format!(
                "{step_at}: \"{text}\" is already a step of \"{}\"; its key is \"{key}\"",
                b.stage.name
            ));
        }
        b.stage.checklist.push(EntryOut { key, text, role });
    }
}

/// How the sheet shows its stages: a Stage column, indented steps, merged headings, or none.
fn choose_layout(rows: &Rows<'_>, cols: &Cols, levels: &HashMap<u32, u32>, top: u32) -> Layout {
    let merged_heading = |r: u32| {
        matches!(rows.shape(r, &cols.fields), Shape::Heading { col }
            if rows.grid.merge_at(r, col).is_some_and(|m| m.last_col > m.first_col))
    };
    if cols.stage.is_some() {
        Layout::StageColumn
    } else if levels.values().any(|l| *l > top) {
        Layout::Indented
    } else if rows.data_rows().any(merged_heading) {
        Layout::Headings
    } else {
        Layout::EachRow
    }
}

/// The stages with their owner and days settled: a stage without an owner belongs to the
/// role "owner"; one without days gets its steps' days added up, else 1; each said in a note.
fn finish_stages(
    done: Vec<Building>,
    roles: &mut Vec<RoleOut>,
    lang: Lang,
    report: &mut Report,
) -> Vec<StageOut> {
    let mut no_owner = Vec::new();
    let mut no_days = Vec::new();
    let mut summed = Vec::new();
    let mut stages = Vec::new();
    for mut b in done {
        b.stage.owner = match b.owner {
            Some((id, _)) => id,
            None => {
                no_owner.push(format!("\"{}\" ({})", b.stage.name, b.at));
                if !roles.iter().any(|r| r.id == "owner") {
                    roles.push(default_owner(lang));
                }
                "owner".into()
            }
        };
        b.stage.days = match b.days {
            Some((d, _)) => d,
            None if b.step_days > 0 => {
                summed.push(format!("\"{}\" ({} days)", b.stage.name, b.step_days));
                b.step_days
            }
            None => {
                no_days.push(format!(
                    "\"{}\" ({})",
                    b.stage.name,
                    b.days_at.as_ref().unwrap_or(&b.at)
                ));
                1
            }
        };
        stages.push(b.stage);
    }
    if !no_owner.is_empty() {
        report.notes.push(format!(
            "no owner was given for {}; they belong to the role \"owner\" until you change it",
            no_owner.join(", ")
        ));
    }
    if !summed.is_empty() {
        report.notes.push(format!(
            "the days of {} are their steps' days added up",
            summed.join(", ")
        ));
    }
    if !no_days.is_empty() {
        report.notes.push(format!(
            "no number of days was given for {}; each got 1 day",
            no_days.join(", ")
        ));
    }
    stages
}

fn default_owner(lang: Lang) -> RoleOut {
    RoleOut {
        id: "owner".into(),
        name: match lang {
            Lang::He => "אחראי".into(),
            Lang::En => "Owner".into(),
        },
        people: Vec::new(),
    }
}

/// Tell the user which roles got a placeholder person instead of a real one.
pub fn placeholder_note(roles: &[&str]) -> String {
    let list: Vec<String> = roles
        .iter()
        .map(|r| format!("{r} ({})", super::emit::placeholder(r)))
        .collect();
    format!(
        "the sheet names no person for the role{} {}, so the playbook lists a placeholder address; \
         replace it with the real people's e-mail addresses before the first sync",
        if roles.len() == 1 { "" } else { "s" },
        list.join(", ")
    )
}
