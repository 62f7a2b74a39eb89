//! `--as items`: a content calendar, one work item per row.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::civil::Date;

use super::columns::{Columns, Field, normalize};
use super::dates::{self, DateOrder, Evidence, Reading, Resolved};
use super::grid::{UNCALCULATED, Value};
use super::mapfile::Mapping;
use super::progress::Progress;
use super::report::{Ambiguous, Report, SkipReason};
use super::rows::{Rows, Shape};
use crate::model::{Lang, slug};

/// A process that already exists in the output folder's deployment.
#[derive(Debug, Clone)]
pub struct KnownProcess {
    pub id: String,
    pub name: String,
    /// (id, name)
    pub roles: Vec<(String, String)>,
    /// The owner of the first stage: who an "Owner" column most likely names.
    pub first_owner: Option<String>,
    /// Stage ids, in order.
    pub stages: Vec<String>,
}

pub struct Context<'a> {
    pub map: &'a Mapping,
    pub known: &'a [KnownProcess],
    /// The process of items whose row names none.
    pub default_process: String,
    pub lang: Lang,
    /// What the date column holds, in messages: "go-live date", or "due date" for tasks.
    pub date_word: &'static str,
    /// Rows that name a group of tasks (a phase, a monday.com group), not an item.
    pub group_rows: &'a std::collections::HashSet<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ItemOut {
    /// The sheet row it came from (0-based, absolute).
    pub row: u32,
    pub id: String,
    pub process: String,
    pub title: String,
    pub golive: Date,
    pub people: BTreeMap<String, String>,
    pub channel: Option<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Default)]
pub struct Items {
    pub items: Vec<ItemOut>,
    /// The role the Owner column fills.
    pub owner_role: Option<String>,
    /// Everyone named in the Owner column, in order of first appearance.
    pub owners: Vec<String>,
}

/// A row that has a title and a date cell, waiting for the column's date order.
struct Pending {
    row: u32,
    title: String,
    key: Option<String>,
    reading: Reading,
}

pub fn build(
    rows: &Rows<'_>,
    columns: &mut Columns,
    ctx: &Context<'_>,
    report: &mut Report,
    progress: &Progress,
) -> Items {
    let grid = rows.grid;
    let title_col = columns.get(Field::Title).expect("checked before");
    let date_col = columns.get(Field::GoLive).expect("checked before");
    attach_role_columns(columns, ctx);
    let pending = read_rows(rows, columns, ctx, report, progress);
    let order = decide_order(&pending, ctx, rows, date_col, report);
    let mut dated: Vec<(Pending, Date)> = Vec::with_capacity(pending.len());
    for p in pending {
        let value = rows.value(p.row, date_col);
        match date_of(
            &p,
            value,
            order,
            grid.cell_ref(p.row, date_col),
            ctx,
            report,
        ) {
            Some(d) => dated.push((p, d)),
            None => report.skip(p.row, SkipReason::Problem),
        }
    }

    let ids = assign_ids(&dated, grid, columns.get(Field::Id), title_col, report);
    // A row skipped for its key needs no word about its date.
    let skipped: std::collections::HashSet<u32> = dated
        .iter()
        .zip(&ids)
        .filter(|(_, id)| id.is_none())
        .map(|((p, _), _)| p.row)
        .collect();
    report.ambiguous.retain(|a| !skipped.contains(&a.at.row));
    let out = make_items(rows, columns, ctx, dated, ids, report);
    report.created.push(format!(
        "{} item{}",
        out.items.len(),
        if out.items.len() == 1 { "" } else { "s" }
    ));
    out
}

/// Every data row with a title and a date cell, waiting for the column's date order; the
/// others are skipped with their reason.
fn read_rows(
    rows: &Rows<'_>,
    columns: &Columns,
    ctx: &Context<'_>,
    report: &mut Report,
    progress: &Progress,
) -> Vec<Pending> {
    let field_cols: Vec<u32> = columns
        .fields
        .values()
        .map(|c| c.col)
        .chain(columns.people.iter().map(|(_, c)| c.col))
        .collect();
    let data = rows.data_rows();
    let bar = progress.bar("Reading rows", (data.end - data.start) as u64);
    let mut pending = Vec::new();
    for row in data.clone() {
        bar.set((row - data.start) as u64);
        report.rows_read += 1;
        if let Some(reason) = skip_reason(rows, row, &field_cols, ctx) {
            report.skip(row, reason);
            continue;
        }
        match pending_row(rows, row, columns, ctx, report) {
            Some(p) => pending.push(p),
            None => report.skip(row, SkipReason::Problem),
        }
    }
    bar.finish();
    pending
}

/// Why a row is not data: a group row, blank, totals, a repeated header or a heading.
fn skip_reason(
    rows: &Rows<'_>,
    row: u32,
    field_cols: &[u32],
    ctx: &Context<'_>,
) -> Option<SkipReason> {
    if ctx.group_rows.contains(&row) {
        return Some(SkipReason::Group);
    }
    if rows.grid.step_rows.contains(&row) {
        return Some(SkipReason::Step);
    }
    match rows.shape(row, field_cols) {
        Shape::Blank => Some(SkipReason::Blank),
        Shape::Totals => Some(SkipReason::Totals),
        Shape::RepeatedHeader => Some(SkipReason::RepeatedHeader),
        Shape::Heading { .. } => Some(SkipReason::Heading),
        Shape::Data => None,
    }
}

/// A data row's title, key and date cell; `None` (with the problem reported) when it lacks
/// a title or a date, or one of them shows an error.
fn pending_row(
    rows: &Rows<'_>,
    row: u32,
    columns: &Columns,
    ctx: &Context<'_>,
    report: &mut Report,
) -> Option<Pending> {
    let grid = rows.grid;
    let title_col = columns.get(Field::Title).expect("checked before");
    let date_col = columns.get(Field::GoLive).expect("checked before");
    if let Some((col, message)) = [(title_col, "a title"), (date_col, "a date")]
        .iter()
        .find_map(|&(c, what)| cell_error(rows.value(row, c), what).map(|m| (c, m)))
    {
        report.problem(grid.cell_ref(row, col), message);
        return None;
    }
    let title = rows.text(row, title_col);
    let date_value = rows.value(row, date_col);
    let reading = dates::read(date_value, grid.date_system);
    match (title, &reading) {
        (None, Reading::Blank) => {
            report.problem(
                grid.cell_ref(row, title_col),
                format!(
                    "this row has no title and no {}, so it makes no item; row skipped",
                    ctx.date_word
                ),
            );
            None
        }
        (None, _) => {
            report.problem(
                grid.cell_ref(row, title_col),
                format!(
                    "the row dated \"{}\" has no title; row skipped",
                    date_value.text().unwrap_or_default()
                ),
            );
            None
        }
        (Some(title), Reading::Blank) => {
            report.problem(
                grid.cell_ref(row, date_col),
                format!("\"{title}\" has no {}; row skipped", ctx.date_word),
            );
            None
        }
        (Some(title), _) => Some(Pending {
            row,
            title,
            key: columns.get(Field::Id).and_then(|c| rows.text(row, c)),
            reading,
        }),
    }
}

/// The row's date in the column's order; `None` (with the problem reported at `at`) when the
/// cell holds no real date.
fn date_of(
    p: &Pending,
    value: &Value,
    order: DateOrder,
    at: super::grid::CellRef,
    ctx: &Context<'_>,
    report: &mut Report,
) -> Option<Date> {
    let not_real = |why: &str| {
        format!(
            "\"{}\" is not a real date: {why}; row skipped",
            value.text().unwrap_or_default()
        )
    };
    match &p.reading {
        Reading::Date(d) => Some(*d),
        Reading::Serial { date, .. } => {
            report
                .serials
                .push((at, value.text().unwrap_or_default(), *date));
            Some(*date)
        }
        Reading::Numeric { a, b, c } => match dates::resolve(*a, *b, *c, order) {
            Resolved::Date { date, ambiguous } => {
                if ambiguous {
                    report.ambiguous.push(Ambiguous {
                        at,
                        text: value.text().unwrap_or_default(),
                        date,
                    });
                }
                Some(date)
            }
            Resolved::Mismatch(why) => {
                report.problem(
                    at,
                    format!(
                        "\"{}\" {why}. Check the date, or set date_order in a mapping file; row skipped",
                        value.text().unwrap_or_default()
                    ),
                );
                None
            }
            Resolved::Impossible(why) => {
                report.problem(at, not_real(&why));
                None
            }
        },
        Reading::Impossible(why) => {
            report.problem(at, not_real(why));
            None
        }
        Reading::NotADate | Reading::Blank => {
            report.problem(
                at,
                format!(
                    "\"{}\" is not a date; write the {} like 2026-03-04; row skipped",
                    value.text().unwrap_or_default(),
                    ctx.date_word
                ),
            );
            None
        }
    }
}

/// The items of the dated rows that got an id, with their process, people, channel and notes.
fn make_items(
    rows: &Rows<'_>,
    columns: &Columns,
    ctx: &Context<'_>,
    dated: Vec<(Pending, Date)>,
    ids: Vec<Option<String>>,
    report: &mut Report,
) -> Items {
    let owner_role = columns.has(Field::Owner).then(|| owner_role(ctx));
    let mut out = Items {
        owner_role: owner_role.clone(),
        ..Items::default()
    };
    // Every row may name someone else: a set, not a search of the list.
    let mut owners_seen: HashSet<String> = HashSet::new();
    for ((p, golive), id) in dated.into_iter().zip(ids) {
        let Some(id) = id else {
            report.skip(p.row, SkipReason::Problem);
            continue;
        };
        let process = match columns
            .get(Field::Process)
            .and_then(|c| rows.text(p.row, c))
        {
            Some(text) => process_id(&text, ctx.known),
            None => ctx.default_process.clone(),
        };
        let mut people = BTreeMap::new();
        if let (Some(role), Some(col)) = (&owner_role, columns.get(Field::Owner))
            && let Some(person) = rows.text(p.row, col)
        {
            if owners_seen.insert(person.clone()) {
                out.owners.push(person.clone());
            }
            people.insert(role.clone(), person);
        }
        for (role, col) in &columns.people {
            if let Some(person) = rows.text(p.row, col.col) {
                people.insert(role.clone(), person);
            }
        }
        out.items.push(ItemOut {
            row: p.row,
            id,
            process,
            title: p.title,
            golive,
            people,
            channel: columns
                .get(Field::Channel)
                .and_then(|c| rows.text(p.row, c)),
            notes: columns.get(Field::Notes).and_then(|c| rows.text(p.row, c)),
        });
    }
    out
}

/// A cell showing an error value instead of data.
pub fn cell_error(value: &Value, what: &str) -> Option<String> {
    match value {
        Value::Error(e) if e == UNCALCULATED => Some(format!("holds {e}; row skipped")),
        Value::Error(e) => Some(format!(
            "shows the error {e} instead of {what}; fix the formula; row skipped"
        )),
        _ => None,
    }
}

/// Columns titled with a role of the default process ("Designer") name that role's person.
fn attach_role_columns(columns: &mut Columns, ctx: &Context<'_>) {
    let Some(process) = ctx.known.iter().find(|p| p.id == ctx.default_process) else {
        return;
    };
    let unused = columns.unused.clone();
    for col in unused {
        let n = normalize(&col.title);
        if let Some((id, _)) = process
            .roles
            .iter()
            .find(|(id, name)| normalize(id) == n || normalize(name) == n)
            && !columns.people.iter().any(|(r, _)| r == id)
        {
            columns.add_people(id.clone(), col.col, col.title.clone(), false);
        }
    }
}

/// The role an Owner column fills: the mapping file's `owner_role`, else the owner of the
/// process's first stage, else the starter playbook's `owner`.
fn owner_role(ctx: &Context<'_>) -> String {
    if let Some(r) = &ctx.map.owner_role {
        return r.clone();
    }
    ctx.known
        .iter()
        .find(|p| p.id == ctx.default_process)
        .and_then(|p| p.first_owner.clone())
        .unwrap_or_else(|| "owner".to_string())
}

/// A process named in a row: a known process's id or name, else a new id from the text.
pub fn process_id(text: &str, known: &[KnownProcess]) -> String {
    let n = normalize(text);
    known
        .iter()
        .find(|p| normalize(&p.id) == n || normalize(&p.name) == n)
        .map(|p| p.id.clone())
        .unwrap_or_else(|| slug(text))
}

/// One order for the whole column: the mapping file's, else what unambiguous dates in the
/// column show, else the sheet's language.
fn decide_order(
    pending: &[Pending],
    ctx: &Context<'_>,
    rows: &Rows<'_>,
    col: u32,
    report: &mut Report,
) -> DateOrder {
    let numeric: Vec<&Pending> = pending
        .iter()
        .filter(|p| matches!(p.reading, Reading::Numeric { .. }))
        .collect();
    let first = |e: Evidence| numeric.iter().find(|p| p.reading.evidence() == Some(e));
    let count = |e: Evidence| {
        numeric
            .iter()
            .filter(|p| p.reading.evidence() == Some(e))
            .count()
    };
    let (dmy, mdy) = (count(Evidence::Dmy), count(Evidence::Mdy));
    let locale = match ctx.lang {
        Lang::He => (DateOrder::Dmy, "the sheet is in Hebrew"),
        Lang::En => (
            DateOrder::Mdy,
            "the sheet is in English; if they are day/month, set date_order = \"dmy\" in a mapping file",
        ),
    };
    let example = |e: Evidence| {
        first(e)
            .map(|p| {
                let text = rows.value(p.row, col).text().unwrap_or_default();
                format!("{} \"{text}\"", rows.grid.cell_ref(p.row, col))
            })
            .unwrap_or_default()
    };
    let (order, why) = if let Some(o) = ctx.map.date_order {
        (o, "set in the mapping file".to_string())
    } else if dmy > 0 && mdy == 0 {
        (
            DateOrder::Dmy,
            format!(
                "as {} shows, which can only be day/month",
                example(Evidence::Dmy)
            ),
        )
    } else if mdy > 0 && dmy == 0 {
        (
            DateOrder::Mdy,
            format!(
                "as {} shows, which can only be month/day",
                example(Evidence::Mdy)
            ),
        )
    } else if dmy > 0 && mdy > 0 {
        let o = if dmy > mdy {
            DateOrder::Dmy
        } else if mdy > dmy {
            DateOrder::Mdy
        } else {
            locale.0
        };
        (
            o,
            format!(
                "the column mixes both orders ({dmy} day-first like {}, {mdy} month-first like {}); the others are listed as problems",
                example(Evidence::Dmy),
                example(Evidence::Mdy)
            ),
        )
    } else {
        (locale.0, locale.1.to_string())
    };
    if !numeric.is_empty() {
        report.date_order = Some(format!("{} ({why})", order.words()));
    }
    order
}

/// Ids from the key column, else from the title. Duplicate titles get their go-live date, then
/// a counter, in sheet order, so the same file always gives the same ids. `None` = the row
/// repeats a key and is skipped.
fn assign_ids(
    rows: &[(Pending, Date)],
    grid: &super::grid::Grid,
    key_col: Option<u32>,
    title_col: u32,
    report: &mut Report,
) -> Vec<Option<String>> {
    let mut ids: Vec<Option<String>> = vec![None; rows.len()];
    // Each id → the row that has it, for messages.
    let mut used: HashMap<String, u32> = HashMap::with_capacity(rows.len());
    let repeated_key = key_ids(rows, grid, key_col, &mut ids, &mut used, report);
    // The other rows by the slug of their title.
    let slugs: Vec<Option<String>> = rows
        .iter()
        .enumerate()
        .map(|(i, (p, _))| (ids[i].is_none() && !repeated_key[i]).then(|| slug(&p.title)))
        .collect();
    let titled = title_ids(rows, grid, title_col, &slugs, report);
    // Usually no title's id meets a key or another title's id: then each is kept as it is.
    let mut seen: HashSet<&str> = HashSet::with_capacity(titled.len());
    let clash = titled
        .iter()
        .any(|(_, id)| (!used.is_empty() && used.contains_key(id)) || !seen.insert(id));
    drop(seen);
    if !clash {
        for (i, id) in titled {
            ids[i] = Some(id);
        }
        return ids;
    }
    for (i, mut id) in titled {
        // A title's id may equal a key (or a numbered duplicate): keep the first, number this one.
        if used.contains_key(&id) {
            let base = id.clone();
            let mut n = 2;
            while used.contains_key(&id) {
                id = format!("{base}-{n}");
                n += 1;
            }
            report.renamed.push(format!(
                "{}: the id \"{base}\" is already taken; this item's id is \"{id}\"",
                grid.cell_ref(rows[i].0.row, title_col)
            ));
        }
        used.insert(id.clone(), rows[i].0.row);
        ids[i] = Some(id);
    }
    ids
}

/// Keys first: they are the user's own identities. Returns which rows repeat a key.
fn key_ids(
    rows: &[(Pending, Date)],
    grid: &super::grid::Grid,
    key_col: Option<u32>,
    ids: &mut [Option<String>],
    used: &mut HashMap<String, u32>,
    report: &mut Report,
) -> Vec<bool> {
    let mut repeated_key = vec![false; rows.len()];
    for (i, (p, _)) in rows.iter().enumerate() {
        let (Some(key), Some(col)) = (&p.key, key_col) else {
            continue;
        };
        let id = slug(key);
        if let Some(&first) = used.get(&id) {
            report.problem(
                grid.cell_ref(p.row, col),
                format!(
                    "the key \"{key}\" is already used in {}; keys must be unique; row skipped",
                    grid.cell_ref(first, col)
                ),
            );
            repeated_key[i] = true;
            continue;
        }
        used.insert(id.clone(), p.row);
        ids[i] = Some(id);
    }
    repeated_key
}

/// Ids from the title slugs (`None` = the row has its id already): a title used once is its
/// slug; repeated titles get their date, then a counter, and a note in the report. In sheet
/// order, as (row index, id).
fn title_ids(
    rows: &[(Pending, Date)],
    grid: &super::grid::Grid,
    title_col: u32,
    slugs: &[Option<String>],
    report: &mut Report,
) -> Vec<(usize, String)> {
    // Equal slugs end up side by side.
    let mut order: Vec<usize> = (0..rows.len()).filter(|&i| slugs[i].is_some()).collect();
    order.sort_by(|&a, &b| slugs[a].cmp(&slugs[b]).then(a.cmp(&b)));
    let mut titled: Vec<(usize, String)> = Vec::with_capacity(order.len());
    let mut renamed: Vec<(u32, String)> = Vec::new();
    for group in order.chunk_by(|&a, &b| slugs[a] == slugs[b]) {
        let base = slugs[group[0]].as_deref().expect("filtered above");
        if group.len() == 1 {
            titled.push((group[0], base.to_string()));
            continue;
        }
        let mut per_date: HashMap<String, usize> = HashMap::new();
        let mut made = Vec::new();
        for &i in group {
            let mut id = format!("{base}-{}", rows[i].1);
            let n = per_date.entry(id.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                id = format!("{id}-{n}");
            }
            made.push(id.clone());
            titled.push((i, id));
        }
        let cells: Vec<String> = group
            .iter()
            .map(|&i| grid.cell_ref(rows[i].0.row, title_col).to_string())
            .collect();
        renamed.push((
            rows[group[0]].0.row,
            format!(
                "the title \"{}\" appears {} times ({}); ids {}",
                rows[group[0]].0.title,
                group.len(),
                cells.join(", "),
                made.join(", ")
            ),
        ));
    }
    renamed.sort();
    report
        .renamed
        .extend(renamed.into_iter().map(|(_, text)| text));
    titled.sort_unstable_by_key(|(i, _)| *i);
    titled
}
