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

pub fn build(
    rows: &Rows<'_>,
    columns: &Columns,
    process: ProcessSettings,
    report: &mut Report,
    progress: &Progress,
) -> PlaybookOut {
    let grid = rows.grid;
    let stage_col = columns.get(Field::Stage);
    let step_col = columns
        .get(Field::Step)
        .or_else(|| columns.get(Field::Title));
    let owner_col = columns.get(Field::Owner);
    let role_col = columns.get(Field::Role);
    let days_col = columns.get(Field::Days);
    let unit = columns
        .fields
        .get(&Field::Days)
        .and_then(|c| duration::header_unit(&c.title));
    if let (Some(u), Some(c)) = (unit, columns.fields.get(&Field::Days))
        && u != duration::Unit::Days
    {
        report.layout.push(format!(
            "column {} counts {}; they were turned into business days (a week is 5)",
            c.describe(),
            u.words()
        ));
    }
    let id_col = columns.get(Field::Id);
    let field_cols: Vec<u32> = columns.fields.values().map(|c| c.col).collect();
    let data = rows.data_rows();

    let levels: HashMap<u32, u32> = match step_col {
        Some(col) if stage_col.is_none() => data
            .clone()
            .map(|r| (r, super::tasks::level(rows, r, col)))
            .collect(),
        _ => HashMap::new(),
    };
    let top = levels.values().copied().min().unwrap_or(0);
    let layout = if stage_col.is_some() {
        Layout::StageColumn
    } else if levels.values().any(|l| *l > top) {
        Layout::Indented
    } else if data.clone().any(|r| matches!(rows.shape(r, &field_cols), Shape::Heading { col } if grid.merge_at(r, col).is_some_and(|m| m.last_col > m.first_col))) {
        Layout::Headings
    } else {
        Layout::EachRow
    };
    match layout {
        Layout::Headings => report.layout.push("stage names were read from the heading rows (merged across the columns) above their steps".into()),
        Layout::Indented => report.layout.push("the unindented rows became stages and the indented rows below each their steps".into()),
        Layout::EachRow if step_col.is_some() => report.layout.push("there is no Stage column, so each row became a stage".into()),
        _ => {}
    }

    let mut roles: Vec<RoleOut> = Vec::new();
    let mut done: Vec<Building> = Vec::new();
    let mut current: Option<Building> = None;
    let mut seen_stage_ids: HashMap<String, CellRef> = HashMap::new();
    let bar = progress.bar("Reading rows", (data.end - data.start) as u64);

    for row in data.clone() {
        bar.set((row - data.start) as u64);
        report.rows_read += 1;
        let shape = rows.shape(row, &field_cols);
        let heading = match shape {
            Shape::Blank => {
                report.skip(row, SkipReason::Blank);
                continue;
            }
            Shape::Totals => {
                report.skip(row, SkipReason::Totals);
                continue;
            }
            Shape::RepeatedHeader => {
                report.skip(row, SkipReason::RepeatedHeader);
                continue;
            }
            Shape::Heading { col } if layout == Layout::Headings => {
                Some((col, rows.text(row, col).unwrap_or_default()))
            }
            Shape::Heading { .. } => {
                report.skip(row, SkipReason::Heading);
                continue;
            }
            Shape::Data => None,
        };
        let step = step_col.and_then(|c| rows.text(row, c));
        // Which stage this row belongs to, and whether it starts one.
        let stage_name = match layout {
            Layout::StageColumn => stage_col
                .and_then(|c| rows.text(row, c))
                .map(|n| (n, grid.cell_ref(row, stage_col.unwrap_or(0)))),
            Layout::Headings => heading.clone().map(|(col, n)| (n, grid.cell_ref(row, col))),
            Layout::EachRow => step
                .clone()
                .map(|n| (n, grid.cell_ref(row, step_col.unwrap_or(0)))),
            Layout::Indented => step
                .clone()
                .filter(|_| levels.get(&row).copied().unwrap_or(0) == top)
                .map(|n| (n, grid.cell_ref(row, step_col.unwrap_or(0)))),
        };
        let starts_new = match (&stage_name, &current) {
            (Some((name, _)), Some(b)) => {
                normalize(name) != normalize(&b.stage.name) || layout == Layout::EachRow
            }
            (Some(_), None) => true,
            (None, _) => false,
        };
        if starts_new {
            let (name, at) = stage_name.clone().expect("checked");
            if let Some(b) = current.take() {
                done.push(b);
            }
            let explicit = id_col
                .filter(|_| layout != Layout::StageColumn || step_col.is_none())
                .and_then(|c| rows.text(row, c));
            let base = slug(explicit.as_deref().unwrap_or(&name));
            let mut id = base.clone();
            let mut n = 2;
            while seen_stage_ids.contains_key(&id) {
                id = format!("{base}-{n}");
                n += 1;
            }
            if id != base {
                report.renamed.push(format!(
                    "{at}: the stage \"{name}\" appears again after other stages (first at {}); this one's id is \"{id}\"",
                    seen_stage_ids[&base]
                ));
            }
            seen_stage_ids.insert(id.clone(), at.clone());
            current = Some(Building {
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
                days_at: days_col.map(|c| grid.cell_ref(row, c)),
                keys: HashMap::new(),
            });
        }
        let Some(b) = current.as_mut() else {
            let at = grid.cell_ref(row, stage_col.or(step_col).unwrap_or(0));
            report.problem(
                at,
                "this row comes before any stage name, so it belongs to no stage; row skipped",
            );
            report.skip(row, SkipReason::Problem);
            continue;
        };
        if heading.is_some() {
            continue;
        }
        // In an indented plan the stage's own row is no step of it.
        let step = if layout == Layout::Indented && starts_new {
            None
        } else {
            step
        };

        // Owner: a role name, or a person's e-mail address (then the role is named after them).
        let role_text = role_col
            .and_then(|c| rows.text(row, c))
            .or_else(|| owner_col.and_then(|c| rows.text(row, c)));
        // With both a Role and an Owner column, the owner cell names a person of that role.
        let named_person = if role_col.is_some() {
            owner_col.and_then(|c| rows.text(row, c))
        } else {
            None
        };
        let role_id = role_text.map(|text| {
            let (id, name, person) = match text.split_once('@') {
                Some((local, _)) => (slug(local), local.to_string(), Some(text.clone())),
                None => (slug(&text), text.clone(), None),
            };
            let role = match roles.iter_mut().position(|r| r.id == id) {
                Some(i) => &mut roles[i],
                None => {
                    roles.push(RoleOut {
                        id: id.clone(),
                        name,
                        people: Vec::new(),
                    });
                    roles.last_mut().expect("just pushed")
                }
            };
            for p in person.into_iter().chain(named_person.clone()) {
                if !role.people.contains(&p) {
                    role.people.push(p);
                }
            }
            id
        });
        let role_at = grid.cell_ref(row, role_col.or(owner_col).unwrap_or(0));
        let mut entry_role = None;
        if let Some(id) = role_id {
            match &b.owner {
                None => b.owner = Some((id, role_at)),
                Some((owner, _)) if *owner == id => {}
                Some((owner, first)) => {
                    if step.is_some() && layout != Layout::EachRow {
                        entry_role = Some(id);
                    } else {
                        report.problem(role_at, format!(
                            "the stage \"{}\" already has the owner \"{owner}\" (from {first}); this one was not used",
                            b.stage.name
                        ));
                    }
                }
            }
        }

        if let Some(col) = days_col {
            let value = rows.value(row, col);
            if !value.is_blank() {
                let at = grid.cell_ref(row, col);
                let parsed = duration::read(value, unit).map(|d| {
                    let d = d.expect("not blank");
                    if let Some(note) = &d.note {
                        report.problem(at.clone(), note.clone());
                    }
                    d.days
                });
                match parsed {
                    Ok(days) if step.is_some() && layout == Layout::Indented => {
                        b.step_days += days;
                    }
                    Ok(days) => match &b.days {
                        None => b.days = Some((days, at)),
                        Some((d, _)) if *d == days => {}
                        // A merged days cell repeats the same value; anything else is a clash.
                        Some((d, first)) => report.problem(at, format!(
                            "the stage \"{}\" already has {d} days (from {first}); {days} was not used",
                            b.stage.name
                        )),
                    },
                    Err(why) => report.problem(at, why),
                }
            }
        }

        if layout != Layout::EachRow
            && let Some(text) = step
        {
            let explicit = id_col
                .filter(|_| step_col.is_some() && layout == Layout::StageColumn)
                .and_then(|c| rows.text(row, c));
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
                    "{}: \"{text}\" is already a step of \"{}\"; its key is \"{key}\"",
                    grid.cell_ref(row, step_col.unwrap_or(0)),
                    b.stage.name
                ));
            }
            b.stage.checklist.push(EntryOut {
                key,
                text,
                role: entry_role,
            });
        }
    }
    bar.finish();
    if let Some(b) = current.take() {
        done.push(b);
    }

    let default_owner = || match process.lang {
        Lang::He => RoleOut {
            id: "owner".into(),
            name: "אחראי".into(),
            people: Vec::new(),
        },
        Lang::En => RoleOut {
            id: "owner".into(),
            name: "Owner".into(),
            people: Vec::new(),
        },
    };
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
                    roles.push(default_owner());
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
