//! Behaviour of the connector against real files in a temporary folder. People's edits are
//! simulated by editing the workbook's cells and saving it the way Excel would: the hidden
//! `throughline` sheet is kept as it was.

// A test reads as one scenario, top to bottom; the 80-line limit is for library code.
#![allow(clippy::too_many_lines)]

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use jiff::civil::Date;
use throughline_connector::conformance::{self, Harness};
use throughline_connector::{
    Applied, Change, Connector, ConnectorError, DesiredEntry, DesiredTask, EntryFields,
    Observation, ObservedTask, State, TaskContext, TaskFields,
};

use super::*;
use crate::book::{Cell, Line, Look, Sheet};
use crate::layout::detect;

// --- A person with the workbook open ---------------------------------------------------------

/// Open, edit, save — keeping what a person's save keeps (including the hidden sheet).
fn person_edits(path: &Path, edit: impl FnOnce(&mut Workbook)) {
    let mapping = ExcelMapping::default();
    let bytes = std::fs::read(path).unwrap();
    let ours = |s: &Sheet| detect(s, &mapping).map(|l| l.field_columns());
    let mut wb = Workbook::new(book::read(&bytes, &ours).unwrap(), &mapping);
    edit(&mut wb);
    // A person's edits may add or remove header rows or sheets: look at the sheets afresh.
    wb.layouts = wb.book.sheets.iter().map(|s| detect(s, &mapping)).collect();
    let baseline: Vec<_> = wb.baseline.iter().map(|(k, v)| (k.clone(), *v)).collect();
    let out = render::render(&wb, &mapping, &baseline).unwrap();
    std::fs::write(path, out).unwrap();
}

/// The sheet and row of an identity, and the column of a field there.
fn locate(wb: &Workbook, identity: &str, field: Field) -> (usize, usize, usize) {
    let index = wb.index();
    let loc = index
        .tasks
        .iter()
        .flat_map(|t| {
            std::iter::once((&t.identity, t.loc))
                .chain(t.entries.iter().map(|e| (&e.identity, e.loc)))
        })
        .find(|(id, _)| id.as_str() == identity)
        .unwrap_or_else(|| panic!("no row for {identity}"))
        .1;
    let col = wb.layouts[loc.sheet].as_ref().unwrap().col(field).unwrap();
    (loc.sheet, loc.row, col)
}

fn set_cell(wb: &mut Workbook, identity: &str, field: Field, cell: Cell) {
    let (s, r, c) = locate(wb, identity, field);
    wb.book.sheets[s].set(r, c, cell);
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

// --- The conformance suite -------------------------------------------------------------------

struct ExcelHarness {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

#[async_trait]
impl Harness for ExcelHarness {
    type C = ExcelConnector;

    async fn connector(&mut self) -> ExcelConnector {
        ExcelConnector::new("workbook", &self.path, ExcelMapping::default())
    }

    async fn person_sets_state(&mut self, identity: &str, state: State) {
        // As people do it: tick "done"; pick "in progress" (and untick); pick "to do".
        person_edits(&self.path, |wb| {
            let lang = wb.layouts.iter().flatten().next().unwrap().language;
            let words = ExcelMapping::default();
            let status = words.status_words(lang).clone();
            match state {
                State::Done => set_cell(wb, identity, Field::Done, text("✓")),
                State::Doing => {
                    set_cell(wb, identity, Field::Status, text(&status.doing));
                    set_cell(wb, identity, Field::Done, Cell::Empty);
                }
                State::Todo => {
                    set_cell(wb, identity, Field::Status, text(&status.todo));
                    set_cell(wb, identity, Field::Done, Cell::Empty);
                }
                State::Blocked => unreachable!("these tests block no task"),
            }
        });
    }

    async fn person_checks_entry(&mut self, identity: &str, checked: bool) {
        person_edits(&self.path, |wb| {
            set_cell(
                wb,
                identity,
                Field::Done,
                if checked { text("x") } else { Cell::Empty },
            )
        });
    }
}

#[tokio::test]
async fn conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conformance.xlsx");
    let mut harness = ExcelHarness { _dir: dir, path };
    conformance::run(&mut harness).await;
}

// --- Samples ---------------------------------------------------------------------------------

fn context(
    process: &str,
    name: &str,
    item: &str,
    stage: &str,
    rtl: bool,
    position: u64,
) -> TaskContext {
    TaskContext {
        process: process.into(),
        process_name: name.into(),
        item: item.into(),
        item_title: format!("Item {item}"),
        stage: stage.into(),
        stage_name: format!("Stage {stage}"),
        role: "writer".into(),
        golive: Some(Date::constant(2026, 12, 10)),
        channel: None,
        timezone: "Asia/Jerusalem".into(),
        rtl,
        position,
        blocked_reason: None,
    }
}

fn task(item: &str, stage: &str, keys: &[&str]) -> DesiredTask {
    let identity = format!("{item}/{stage}");
    DesiredTask {
        identity: identity.clone(),
        fields: TaskFields {
            title: format!("{stage} for {item}"),
            description: String::new(),
            group: stage.to_string(),
            owner: Some("dana@example.com".into()),
            start: Some(Date::constant(2026, 12, 6)),
            due: Some(Date::constant(2026, 12, 8)),
        },
        state: State::Todo,
        context: context("content", "Content pipeline", item, stage, false, 0),
        entries: keys.iter().map(|k| entry(&identity, k)).collect(),
    }
}

fn update_state(t: &DesiredTask, state: State) -> Change {
    update(t, None, Some(state))
}

/// An update of a task made from `t`: new fields and/or state, `t`'s fields as the previous.
fn update(t: &DesiredTask, fields: Option<TaskFields>, state: Option<State>) -> Change {
    Change::UpdateTask {
        remote_id: t.identity.clone(),
        identity: t.identity.clone(),
        context: t.context.clone(),
        fields,
        previous: Some(t.fields.clone()),
        state,
        unarchive: false,
    }
}

/// A checklist entry `key` of the task `identity`, unchecked.
fn entry(identity: &str, key: &str) -> DesiredEntry {
    DesiredEntry {
        identity: format!("{identity}/{key}"),
        fields: EntryFields {
            text: format!("Check {key}"),
            owner: None,
            due: None,
        },
        checked: false,
    }
}

async fn observe(c: &mut ExcelConnector) -> Observation {
    c.observe(None).await.expect("observe")
}

fn find<'o>(obs: &'o Observation, identity: &str) -> &'o ObservedTask {
    obs.tasks
        .iter()
        .find(|t| t.identity.as_deref() == Some(identity))
        .unwrap_or_else(|| panic!("{identity} not observed"))
}

async fn apply_ok(c: &mut ExcelConnector, changes: &[Change]) -> Vec<Applied> {
    c.apply(changes)
        .await
        .into_iter()
        .map(|r| r.expect("change applied"))
        .collect()
}

fn setup(name: &str) -> (tempfile::TempDir, PathBuf, ExcelConnector) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    let c = ExcelConnector::new("plan", &path, ExcelMapping::default());
    (dir, path, c)
}

fn sheet<'w>(wb: &'w Workbook, name: &str) -> &'w Sheet {
    &wb.book.sheets[wb
        .book
        .sheet_index(name)
        .unwrap_or_else(|| panic!("no sheet {name}"))]
}

fn read_back(path: &Path) -> Workbook {
    let mapping = ExcelMapping::default();
    let ours = |s: &Sheet| detect(s, &mapping).map(|l| l.field_columns());
    Workbook::new(
        book::read(&std::fs::read(path).unwrap(), &ours).unwrap(),
        &mapping,
    )
}

// --- Behaviour -------------------------------------------------------------------------------

#[tokio::test]
async fn a_missing_file_is_an_empty_target_and_the_first_apply_makes_it() {
    let (_dir, path, mut c) = setup("plan.xlsx");
    let obs = observe(&mut c).await;
    assert!(obs.tasks.is_empty());
    let t = task("spring-sale", "copy", &["facts", "tone"]);
    let applied = apply_ok(&mut c, &[Change::CreateTask { task: t.clone() }]).await;
    assert!(
        matches!(&applied[0], Applied::Created { remote_id, entries, version: Some(_) }
        if remote_id == "spring-sale/copy" && entries.len() == 2)
    );
    assert!(path.exists());
    assert!(!backup_path(&path).exists(), "no previous version to keep");
    let wb = read_back(&path);
    let s = sheet(&wb, "Content pipeline");
    assert_eq!(s.cell(0, 0).text(), "ID");
    assert_eq!(s.cell(1, 0).text(), "spring-sale/copy");
    assert_eq!(s.cell(2, 0).text(), "spring-sale/copy/facts");
    assert_eq!(s.cell(1, 3).text(), "copy for spring-sale");
    assert_eq!(
        s.cell(1, 6),
        &Cell::date(Some(Date::constant(2026, 12, 8))),
        "due is a real date"
    );
    assert_eq!(s.cell(1, 7).text(), "To do");
    assert!(
        wb.baseline.contains_key("spring-sale/copy/tone"),
        "the hidden sheet remembers the state columns"
    );

    let obs = observe(&mut c).await;
    let seen = find(&obs, "spring-sale/copy");
    assert_eq!(seen.fields, t.fields);
    assert_eq!(seen.entries.len(), 2);
    assert!(seen.modified.is_some(), "modified is the file's time");
}

#[tokio::test]
async fn every_write_keeps_the_previous_version_as_a_backup() {
    let (_dir, path, mut c) = setup("plan.xlsx");
    let t = task("a", "copy", &[]);
    observe(&mut c).await;
    apply_ok(&mut c, &[Change::CreateTask { task: t.clone() }]).await;
    let first = std::fs::read(&path).unwrap();
    observe(&mut c).await;
    apply_ok(&mut c, &[update_state(&t, State::Done)]).await;
    assert_eq!(std::fs::read(backup_path(&path)).unwrap(), first);
    assert_ne!(std::fs::read(&path).unwrap(), first);
}

#[tokio::test]
async fn all_changes_of_one_apply_are_one_write() {
    let (dir, path, mut c) = setup("plan.xlsx");
    observe(&mut c).await;
    let changes: Vec<Change> = (0..50)
        .map(|i| Change::CreateTask {
            task: task(&format!("item-{i}"), "copy", &["a", "b"]),
        })
        .collect();
    apply_ok(&mut c, &changes).await;
    // One write: the file exists, and nothing was there to back up, so no backup was made —
    // a second write within the apply would have left one.
    assert!(path.exists());
    assert!(!backup_path(&path).exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let obs = observe(&mut c).await;
    assert_eq!(obs.tasks.len(), 50);
    // In the order they were sent, each task followed by its entries.
    let wb = read_back(&path);
    let s = sheet(&wb, "Content pipeline");
    assert_eq!(s.cell(1, 0).text(), "item-0/copy");
    assert_eq!(s.cell(2, 0).text(), "item-0/copy/a");
    assert_eq!(s.cell(3, 0).text(), "item-0/copy/b");
    assert_eq!(s.cell(4, 0).text(), "item-1/copy");
}

#[tokio::test]
async fn rows_people_sort_and_move_are_still_found() {
    let (_dir, path, mut c) = setup("plan.xlsx");
    observe(&mut c).await;
    let tasks = [
        task("a", "copy", &["one", "two"]),
        task("b", "copy", &["three"]),
    ];
    let creates: Vec<_> = tasks
        .iter()
        .map(|t| Change::CreateTask { task: t.clone() })
        .collect();
    apply_ok(&mut c, &creates).await;
    let before = observe(&mut c).await;

    // Sort the data rows backwards, and move the Task column to the far right.
    person_edits(&path, |wb| {
        let s = &mut wb.book.sheets[0];
        let mut data = s.rows.split_off(1);
        data.reverse();
        s.rows.extend(data);
        for row in &mut s.rows {
            row.resize(10, Cell::Empty);
            let task = row.remove(3);
            row.push(task);
        }
    });
    let after = observe(&mut c).await;
    for t in &tasks {
        let (a, b) = (find(&before, &t.identity), find(&after, &t.identity));
        assert_eq!(a.fields, b.fields);
        assert_eq!(a.state, b.state);
        let ids = |o: &ObservedTask| {
            let mut v: Vec<_> = o.entries.iter().map(|e| e.identity.clone()).collect();
            v.sort();
            v
        };
        assert_eq!(ids(a), ids(b));
    }
    // And an update lands in the right row.
    apply_ok(&mut c, &[update_state(&tasks[1], State::Done)]).await;
    let obs = observe(&mut c).await;
    assert_eq!(find(&obs, "b/copy").state, State::Done);
    assert_eq!(find(&obs, "a/copy").state, State::Todo);
}

#[tokio::test]
async fn what_people_added_survives_a_write() {
    let (_dir, path, mut c) = setup("plan.xlsx");
    observe(&mut c).await;
    let t = task("a", "copy", &["one"]);
    let u = task("b", "copy", &[]);
    apply_ok(
        &mut c,
        &[
            Change::CreateTask { task: t.clone() },
            Change::CreateTask { task: u.clone() },
        ],
    )
    .await;

    person_edits(&path, |wb| {
        let s = &mut wb.book.sheets[0];
        // A notes column with a value and a formula, a row of their own, and a sheet.
        s.set(0, 10, text("Notes"));
        s.set(1, 10, text("call the printer"));
        let green = Look {
            fill: Some(0xC6EFCE),
            ..Look::default()
        };
        s.looks.insert((1, 10), green);
        let amber = Look {
            fill: Some(0xFFEB9C),
            ..Look::default()
        };
        s.looks.insert((1, 3), amber);
        s.set(
            3,
            10,
            Cell::Formula {
                formula: "LEN(D4)".into(),
                cached: Box::new(Cell::Number(10.0)),
            },
        );
        s.set(5, 3, text("My own reminder row"));
        let mut mine = Sheet::new("Budget");
        mine.set(0, 0, text("Cost"));
        mine.set(1, 0, Cell::Number(120.5));
        // Their formatting: a bold red header on yellow, money, a merged title, a boxed cell.
        let header = Look {
            bold: true,
            font_color: Some(0xC00000),
            fill: Some(0xFFFF00),
            ..Look::default()
        };
        mine.looks.insert((0, 0), header);
        let money = Look {
            num_format: Some("#,##0.00 [$₪-40D]".into()),
            ..Look::default()
        };
        mine.looks.insert((1, 0), money);
        mine.set(0, 2, text("Q1 budget"));
        mine.merges.push((0, 2, 0, 4));
        let boxed = Look {
            borders: [Some((Line::Thin, None)); 4],
            ..Look::default()
        };
        mine.looks.insert((6, 6), boxed);
        mine.set(
            2,
            0,
            Cell::Formula {
                formula: "A2*2".into(),
                cached: Box::new(Cell::Number(241.0)),
            },
        );
        mine.set(3, 0, Cell::date(Some(Date::constant(2026, 1, 31))));
        wb.book.sheets.push(mine);
    });
    observe(&mut c).await;
    let mut t2 = t.clone();
    t2.fields.title = "Copy, rewritten".into();
    apply_ok(
        &mut c,
        &[
            update(&t, Some(t2.fields.clone()), Some(State::Doing)),
            Change::CreateTask {
                task: task("c", "copy", &[]),
            },
        ],
    )
    .await;

    let wb = read_back(&path);
    let s = sheet(&wb, "Content pipeline");
    assert_eq!(s.cell(0, 10).text(), "Notes");
    assert_eq!(
        s.cell(1, 10).text(),
        "call the printer",
        "the note stays on its task's row"
    );
    assert_eq!(s.cell(1, 3).text(), "Copy, rewritten");
    assert!(matches!(s.cell(3, 10), Cell::Formula { formula, .. } if formula == "LEN(D4)"));
    assert_eq!(
        s.cell(5, 3).text(),
        "My own reminder row",
        "a row without an ID stays where it was"
    );
    assert_eq!(
        s.cell(6, 0).text(),
        "c/copy",
        "new tasks go below everything"
    );
    let b = sheet(&wb, "Budget");
    assert_eq!(b.cell(1, 0), &Cell::Number(120.5));
    let header = &b.looks[&(0, 0)];
    assert!(header.bold && header.font_color == Some(0xC00000) && header.fill == Some(0xFFFF00));
    assert_eq!(
        b.looks[&(1, 0)].num_format.as_deref(),
        Some("#,##0.00 [$₪-40D]")
    );
    assert_eq!(b.merges, vec![(0, 2, 0, 4)]);
    assert!(
        b.looks[&(6, 6)].borders.iter().all(|l| l.is_some()),
        "an empty boxed cell keeps its box"
    );
    let notes = s.looks.get(&(1, 10));
    assert_eq!(
        notes.and_then(|l| l.fill),
        Some(0xC6EFCE),
        "a highlight in their column stays"
    );
    let highlighted = s.looks.get(&(1, 3));
    assert_eq!(
        highlighted.and_then(|l| l.fill),
        Some(0xFFEB9C),
        "a highlighted task cell stays"
    );
    assert!(matches!(b.cell(2, 0), Cell::Formula { formula, .. } if formula == "A2*2"));
    assert_eq!(b.cell(3, 0), &Cell::date(Some(Date::constant(2026, 1, 31))));
    assert!(
        wb.layouts[wb.book.sheet_index("Budget").unwrap()].is_none(),
        "their sheet is not taken for ours"
    );
}

// Edits, locks, damage, duplicates, words, languages, archiving and limits.
mod edits;
