//! What people do to a workbook between syncs, and what throughline does about it: edits made
//! between an observation and a write, a workbook open in Excel, damaged files, duplicate IDs,
//! their own words for done, Hebrew processes, one sheet per stage, sheets of their own,
//! archiving, texts and dates a cell cannot hold.

use super::*;

#[tokio::test]
async fn a_row_a_person_edits_between_observe_and_apply_is_not_overwritten() {
    let (_dir, path, mut c) = setup("plan.xlsx");
    observe(&mut c).await;
    let (a, b) = (task("a", "copy", &[]), task("b", "copy", &[]));
    apply_ok(
        &mut c,
        &[
            Change::CreateTask { task: a.clone() },
            Change::CreateTask { task: b.clone() },
        ],
    )
    .await;

    observe(&mut c).await;
    // While the engine plans, a person ticks "a" and writes a note on "b".
    person_edits(&path, |wb| {
        set_cell(wb, "a/copy", Field::Done, text("✓"));
        wb.book.sheets[0].set(0, 10, text("Notes"));
        let (s, r, _) = locate(wb, "b/copy", Field::Id);
        wb.book.sheets[s].set(r, 10, text("waiting for legal"));
    });
    let results = c
        .apply(&[
            update_state(&a, State::Doing),
            update_state(&b, State::Doing),
        ])
        .await;
    assert!(
        matches!(results[0], Err(ConnectorError::VersionMismatch { .. })),
        "{results:?}"
    );
    assert!(
        results[0]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("'Content pipeline'!2"),
        "{results:?}"
    );
    assert!(results[1].is_ok(), "{results:?}");

    let obs = observe(&mut c).await;
    assert_eq!(
        find(&obs, "a/copy").state,
        State::Done,
        "the person's tick is kept"
    );
    assert_eq!(
        find(&obs, "b/copy").state,
        State::Doing,
        "the other change is merged in"
    );
    let wb = read_back(&path);
    let (s, r, _) = locate(&wb, "b/copy", Field::Id);
    assert_eq!(wb.book.sheets[s].cell(r, 10).text(), "waiting for legal");
}

#[tokio::test]
async fn a_workbook_open_in_excel_is_not_written() {
    let (dir, path, mut c) = setup("plan.xlsx");
    observe(&mut c).await;
    let t = task("a", "copy", &[]);
    apply_ok(&mut c, &[Change::CreateTask { task: t.clone() }]).await;
    let before = std::fs::read(&path).unwrap();
    std::fs::write(dir.path().join("~$plan.xlsx"), b"owner").unwrap();
    observe(&mut c).await;
    let results = c.apply(&[update_state(&t, State::Done)]).await;
    let err = results[0].as_ref().unwrap_err();
    assert!(err.is_retryable(), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("plan.xlsx") && msg.contains("close"), "{msg}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[tokio::test]
async fn a_damaged_file_or_wrong_extension_is_a_clear_error() {
    let (dir, path, mut c) = setup("plan.xlsx");
    std::fs::write(&path, b"this is not a zip").unwrap();
    let e = c.observe(None).await.unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("plan.xlsx") && msg.contains("plan.bak.xlsx"),
        "{msg}"
    );
    let results = c
        .apply(&[Change::CreateTask {
            task: task("a", "copy", &[]),
        }])
        .await;
    assert!(results[0].is_err());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"this is not a zip",
        "a file it cannot read is never overwritten"
    );

    let mut c = ExcelConnector::new("plan", dir.path().join("plan.xls"), ExcelMapping::default());
    let e = c.observe(None).await.unwrap_err();
    assert!(
        matches!(e, ConnectorError::Invalid { .. }) && e.to_string().contains(".xlsx"),
        "{e}"
    );
}

#[tokio::test]
async fn duplicate_ids_are_all_reported() {
    let (_dir, path, mut c) = setup("plan.xlsx");
    observe(&mut c).await;
    apply_ok(
        &mut c,
        &[Change::CreateTask {
            task: task("a", "copy", &[]),
        }],
    )
    .await;
    person_edits(&path, |wb| {
        let s = &mut wb.book.sheets[0];
        let copy = s.rows[1].clone();
        s.rows.push(copy);
    });
    let obs = observe(&mut c).await;
    let dups: Vec<_> = obs
        .tasks
        .iter()
        .filter(|t| t.identity.as_deref() == Some("a/copy"))
        .collect();
    assert_eq!(dups.len(), 2);
    assert_ne!(dups[0].remote_id, dups[1].remote_id);
    // The engine may archive the copy by its remote id.
    let copy = dups[1].remote_id.clone();
    let results = c
        .apply(&[Change::ArchiveTask {
            remote_id: copy.clone(),
            identity: "a/copy".into(),
            context: TaskContext::default(),
        }])
        .await;
    assert_eq!(results[0], Ok(Applied::Archived));
    let obs = observe(&mut c).await;
    assert!(obs.tasks.iter().any(|t| t.remote_id == copy && t.archived));
    assert!(
        obs.tasks
            .iter()
            .any(|t| t.remote_id == "a/copy" && !t.archived)
    );
}

#[tokio::test]
async fn a_create_for_a_row_already_there_takes_it_over() {
    let (_dir, path, mut c) = setup("plan.xlsx");
    observe(&mut c).await;
    let t = task("a", "copy", &["one", "two"]);
    apply_ok(&mut c, &[Change::CreateTask { task: t.clone() }]).await;
    // A person deleted the task row but left its checklist rows.
    person_edits(&path, |wb| {
        wb.book.sheets[0].rows.remove(1);
    });
    let obs = observe(&mut c).await;
    assert!(
        obs.tasks
            .iter()
            .all(|o| o.identity.as_deref() != Some("a/copy"))
    );
    apply_ok(&mut c, &[Change::CreateTask { task: t.clone() }]).await;
    let obs = observe(&mut c).await;
    let seen = find(&obs, "a/copy");
    assert_eq!(
        seen.entries.len(),
        2,
        "the checklist rows are reused, not doubled: {:?}",
        seen.entries
    );
    let ids: Vec<_> = obs
        .tasks
        .iter()
        .filter_map(|t| t.identity.clone())
        .collect();
    assert_eq!(ids, vec!["a/copy".to_string()]);
}

#[tokio::test]
async fn people_type_their_own_words_for_done() {
    let (_dir, path, mut c) = setup("plan.xlsx");
    observe(&mut c).await;
    let tasks: Vec<_> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|i| task(i, "copy", &["k"]))
        .collect();
    let creates: Vec<_> = tasks
        .iter()
        .map(|t| Change::CreateTask { task: t.clone() })
        .collect();
    apply_ok(&mut c, &creates).await;
    person_edits(&path, |wb| {
        set_cell(wb, "a/copy", Field::Status, text("בוצע"));
        set_cell(wb, "b/copy", Field::Status, text("  DONE "));
        set_cell(wb, "c/copy", Field::Done, text("X"));
        set_cell(wb, "d/copy", Field::Done, Cell::Bool(true));
        set_cell(wb, "e/copy", Field::Status, text("in progress"));
        set_cell(wb, "a/copy/k", Field::Done, text("✔"));
        set_cell(wb, "b/copy/k", Field::Status, text("הושלם"));
    });
    let obs = observe(&mut c).await;
    for id in ["a/copy", "b/copy", "c/copy", "d/copy"] {
        assert_eq!(find(&obs, id).state, State::Done, "{id}");
    }
    assert_eq!(find(&obs, "e/copy").state, State::Doing);
    assert!(find(&obs, "a/copy").entries[0].checked);
    assert!(find(&obs, "b/copy").entries[0].checked);
    assert!(!find(&obs, "c/copy").entries[0].checked);
}

#[tokio::test]
async fn unticking_a_done_row_is_noticed() {
    let (_dir, path, mut c) = setup("plan.xlsx");
    observe(&mut c).await;
    let mut t = task("a", "copy", &[]);
    t.state = State::Done;
    apply_ok(&mut c, &[Change::CreateTask { task: t.clone() }]).await;
    // The status still says "Done"; the person only removed the tick.
    person_edits(&path, |wb| set_cell(wb, "a/copy", Field::Done, Cell::Empty));
    assert_eq!(find(&observe(&mut c).await, "a/copy").state, State::Todo);
    // Ticked again, and then the status changed to "In progress" with the tick left: the
    // status is what the person changed since throughline wrote the row.
    observe(&mut c).await;
    apply_ok(&mut c, &[update_state(&t, State::Done)]).await;
    person_edits(&path, |wb| {
        set_cell(wb, "a/copy", Field::Status, text("In progress"))
    });
    assert_eq!(find(&observe(&mut c).await, "a/copy").state, State::Doing);
}

#[tokio::test]
async fn hebrew_processes_get_right_to_left_sheets_with_hebrew_headers() {
    let (_dir, path, mut c) = setup("plan.xlsx");
    observe(&mut c).await;
    let mut t = task("launch", "brief", &["ok"]);
    t.context = context("launch", "השקה פנימית", "launch", "brief", true, 0);
    t.fields.title = "כתיבת בריף".into();
    t.state = State::Doing;
    let en = task("sale", "copy", &[]);
    apply_ok(
        &mut c,
        &[
            Change::CreateTask { task: t.clone() },
            Change::CreateTask { task: en },
        ],
    )
    .await;
    let wb = read_back(&path);
    let he = sheet(&wb, "השקה פנימית");
    assert!(he.view.right_to_left);
    assert_eq!(he.cell(0, 0).text(), "מזהה");
    assert_eq!(he.cell(0, 3).text(), "משימה");
    assert_eq!(he.cell(1, 7).text(), "בתהליך");
    assert!(!sheet(&wb, "Content pipeline").view.right_to_left);
    let obs = observe(&mut c).await;
    assert_eq!(find(&obs, "launch/brief").state, State::Doing);
    assert_eq!(find(&obs, "launch/brief").fields.title, "כתיבת בריף");
}

#[tokio::test]
async fn one_sheet_per_stage_when_the_mapping_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.xlsx");
    let mapping = ExcelMapping::from_toml(
        &"[layout]\nsheet_per = \"stage\"\nid_column = \"hidden\"\n"
            .parse()
            .unwrap(),
    )
    .unwrap();
    let mut c = ExcelConnector::new("plan", &path, mapping);
    observe(&mut c).await;
    apply_ok(
        &mut c,
        &[
            Change::CreateTask {
                task: task("a", "copy", &[]),
            },
            Change::CreateTask {
                task: task("a", "design", &[]),
            },
            Change::CreateTask {
                task: task("b", "copy", &[]),
            },
        ],
    )
    .await;
    let wb = read_back(&path);
    assert_eq!(sheet(&wb, "Stage copy").rows.len(), 3);
    assert_eq!(sheet(&wb, "Stage design").rows.len(), 2);
    assert_eq!(
        sheet(&wb, "Stage copy")
            .view
            .columns
            .get(&0)
            .map(|v| v.hidden),
        Some(true)
    );
    assert_eq!(observe(&mut c).await.tasks.len(), 3);
}

#[tokio::test]
async fn a_sheet_people_made_with_the_same_name_is_left_alone() {
    let (_dir, path, mut c) = setup("plan.xlsx");
    observe(&mut c).await;
    apply_ok(
        &mut c,
        &[Change::CreateTask {
            task: task("a", "copy", &[]),
        }],
    )
    .await;
    person_edits(&path, |wb| {
        wb.book.sheets[0].name = "Old plan".into();
        let mut mine = Sheet::new("Content pipeline");
        mine.set(0, 0, text("My own list"));
        wb.book.sheets.push(mine);
        let mut named_like_ours = Sheet::new("throughline");
        named_like_ours.set(0, 0, text("Our team's notes about throughline"));
        wb.book.sheets.push(named_like_ours);
    });
    observe(&mut c).await;
    apply_ok(
        &mut c,
        &[Change::CreateTask {
            task: task("b", "copy", &[]),
        }],
    )
    .await;
    let wb = read_back(&path);
    assert_eq!(
        sheet(&wb, "Content pipeline").cell(0, 0).text(),
        "My own list"
    );
    assert_eq!(sheet(&wb, "Content pipeline 2").cell(1, 0).text(), "b/copy");
    assert_eq!(
        sheet(&wb, "Old plan").cell(1, 0).text(),
        "a/copy",
        "renamed sheets keep working"
    );
    assert_eq!(
        sheet(&wb, "throughline").cell(0, 0).text(),
        "Our team's notes about throughline"
    );
    assert!(
        wb.baseline.contains_key("b/copy"),
        "the bookkeeping sheet found another name"
    );
    assert_eq!(observe(&mut c).await.tasks.len(), 2);
}

#[tokio::test]
async fn archived_rows_stay_and_come_back() {
    let (_dir, path, mut c) = setup("plan.xlsx");
    observe(&mut c).await;
    let mut t = task("a", "copy", &["one"]);
    t.state = State::Done;
    apply_ok(&mut c, &[Change::CreateTask { task: t.clone() }]).await;
    observe(&mut c).await;
    let archive = Change::ArchiveTask {
        remote_id: t.identity.clone(),
        identity: t.identity.clone(),
        context: t.context.clone(),
    };
    assert_eq!(apply_ok(&mut c, &[archive]).await, vec![Applied::Archived]);
    let wb = read_back(&path);
    assert_eq!(
        sheet(&wb, "Content pipeline").rows.len(),
        3,
        "no row is deleted"
    );
    assert_eq!(sheet(&wb, "Content pipeline").cell(1, 7).text(), "Archived");
    let obs = observe(&mut c).await;
    let seen = find(&obs, "a/copy");
    assert!(seen.archived);
    assert_eq!(
        seen.state,
        State::Done,
        "the tick keeps the state while archived"
    );
    let unarchive = Change::UpdateTask {
        remote_id: t.identity.clone(),
        identity: t.identity.clone(),
        context: t.context.clone(),
        fields: None,
        previous: None,
        state: None,
        unarchive: true,
    };
    apply_ok(&mut c, &[unarchive]).await;
    let obs = observe(&mut c).await;
    let seen = find(&obs, "a/copy");
    assert!(!seen.archived);
    assert_eq!(seen.state, State::Done);
}

#[tokio::test]
async fn too_long_text_is_refused_not_cut() {
    let (_dir, _path, mut c) = setup("plan.xlsx");
    observe(&mut c).await;
    let mut t = task("a", "copy", &[]);
    t.fields.description = "x".repeat(40_000);
    let results = c
        .apply(&[
            Change::CreateTask { task: t },
            Change::CreateTask {
                task: task("b", "copy", &[]),
            },
        ])
        .await;
    assert!(
        matches!(&results[0], Err(ConnectorError::Invalid { message }) if message.contains("32767")),
        "{results:?}"
    );
    assert!(results[1].is_ok());
}

#[tokio::test]
async fn capabilities_follow_the_mapping_columns() {
    let c = ExcelConnector::new("plan", "plan.xlsx", ExcelMapping::default());
    let caps = c.capabilities();
    assert!(
        caps.description
            && caps.owner
            && caps.start
            && caps.due
            && caps.entry_owner
            && caps.entry_due
    );
    assert_eq!(caps.batch_size, usize::MAX);
    let m = ExcelMapping::from_toml(
        &"[layout]\ncolumns = [\"id\", \"task\", \"status\", \"due\"]\n"
            .parse()
            .unwrap(),
    )
    .unwrap();
    let caps = ExcelConnector::new("plan", "plan.xlsx", m).capabilities();
    assert!(!caps.owner && !caps.description && !caps.start && caps.due);
}

#[tokio::test]
async fn checklist_rows_follow_their_task_to_a_new_stage() {
    let (_dir, path, mut c) = setup("plan.xlsx");
    observe(&mut c).await;
    let t = task("a", "copy", &["one", "two"]);
    apply_ok(&mut c, &[Change::CreateTask { task: t.clone() }]).await;
    let mut moved = t.fields.clone();
    moved.group = "Review".into();
    observe(&mut c).await;
    apply_ok(&mut c, &[update(&t, Some(moved), None)]).await;
    let wb = read_back(&path);
    let s = sheet(&wb, "Content pipeline");
    let stages: Vec<String> = (1..=3).map(|r| s.cell(r, 2).text()).collect();
    assert_eq!(
        stages,
        ["Review", "Review", "Review"],
        "filtering by stage shows the checklist too"
    );
}

#[tokio::test]
async fn an_empty_placeholder_file_is_an_empty_workbook() {
    let (_dir, path, mut c) = setup("plan.xlsx");
    std::fs::write(&path, b"").unwrap();
    assert!(observe(&mut c).await.tasks.is_empty());
    apply_ok(
        &mut c,
        &[Change::CreateTask {
            task: task("a", "copy", &[]),
        }],
    )
    .await;
    assert_eq!(observe(&mut c).await.tasks.len(), 1);
}

#[tokio::test]
async fn a_date_no_excel_cell_holds_fails_its_own_row_and_the_others_are_written() {
    let (_dir, path, mut c) = setup("plan.xlsx");
    observe(&mut c).await;
    let first = task("a", "copy", &["facts"]);
    let mut ancient = task("b", "copy", &[]);
    ancient.fields.due = Some(Date::constant(1, 1, 1));
    let last = task("c", "copy", &[]);
    let results = c
        .apply(&[
            Change::CreateTask {
                task: first.clone(),
            },
            Change::CreateTask { task: ancient },
            Change::CreateTask { task: last.clone() },
        ])
        .await;
    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert!(results[2].is_ok(), "{:?}", results[2]);
    let e = results[1].as_ref().unwrap_err();
    assert!(matches!(e, ConnectorError::Invalid { .. }), "{e:?}");
    let text = e.to_string();
    for part in ["\"b/copy\"", "due date 0001-01-01", "1900-01-01", "new row"] {
        assert!(text.contains(part), "{part:?} not in {text}");
    }
    let obs = observe(&mut c).await;
    let mut written: Vec<_> = obs
        .tasks
        .iter()
        .filter_map(|t| t.identity.clone())
        .collect();
    written.sort();
    assert_eq!(written, ["a/copy", "c/copy"]);

    // A row already there: its update fails alone and names its cell; the row keeps its date.
    let mut fields = first.fields.clone();
    fields.due = Some(Date::constant(1, 1, 1));
    let results = c
        .apply(&[
            update(&first, Some(fields), None),
            update_state(&last, State::Done),
        ])
        .await;
    let text = results[0].as_ref().unwrap_err().to_string();
    assert!(
        text.contains("\"a/copy\"") && text.contains("'Content pipeline'!G2 of"),
        "{text}"
    );
    assert!(results[1].is_ok(), "{:?}", results[1]);
    let wb = read_back(&path);
    let s = sheet(&wb, "Content pipeline");
    assert_eq!(s.cell(1, 0).text(), "a/copy");
    assert_eq!(s.cell(1, 6), &Cell::date(Some(Date::constant(2026, 12, 8))));
    let obs = observe(&mut c).await;
    assert_eq!(find(&obs, "c/copy").state, State::Done);
}
