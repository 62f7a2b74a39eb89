//! What a cycle costs in requests, and what people do to the sheet between cycles: sorts,
//! moves, inserted columns, deleted metadata, a tab of their own with our name, quotas.

mod common;

use std::time::Duration;

use jiff::civil::date;
use serde_json::{Value, json};
use throughline_connector::http::RetryPolicy;
use throughline_connector::{
    Change, Connector, DesiredEntry, DesiredTask, EntryFields, State, TaskContext, TaskFields,
};
use throughline_sheets::emulator::{Fault, FaultRule, Quotas, Render};
use throughline_sheets::{Field, ROW_KEY};

fn task(n: usize) -> DesiredTask {
    let identity = format!("item{n:03}/copy");
    DesiredTask {
        identity: identity.clone(),
        fields: TaskFields {
            title: format!("Item {n:03}: Copy"),
            description: String::new(),
            group: "Copy".into(),
            owner: Some("dana@example.com".into()),
            start: Some(date(2026, 12, 1)),
            due: Some(date(2026, 12, 3)),
        },
        state: State::Todo,
        context: TaskContext {
            process: "content".into(),
            process_name: "Content".into(),
            item_title: format!("Item {n:03}"),
            ..Default::default()
        },
        entries: vec![DesiredEntry {
            identity: format!("{identity}/brief"),
            fields: EntryFields {
                text: "Brief approved".into(),
                owner: None,
                due: None,
            },
            checked: false,
        }],
    }
}

fn rename(t: &DesiredTask, title: &str) -> Change {
    let mut fields = t.fields.clone();
    fields.title = title.to_owned();
    Change::UpdateTask {
        remote_id: t.identity.clone(),
        identity: t.identity.clone(),
        context: t.context.clone(),
        fields: Some(fields),
        previous: Some(t.fields.clone()),
        state: None,
        unarchive: false,
    }
}

/// API requests since the last call, as `METHOD last-path-part`.
fn calls(sheet: &common::Sheet) -> Vec<String> {
    let out = sheet
        .emu
        .requests()
        .iter()
        .filter(|r| r.is_api())
        .map(|r| {
            let last = r.path.rsplit(['/', ':']).next().unwrap_or("").to_owned();
            let kind = if r.path.starts_with("/drive/") {
                "files.get".to_owned()
            } else {
                last
            };
            format!(
                "{} {}",
                r.method,
                if kind.len() > 40 {
                    "spreadsheets.get".into()
                } else {
                    kind
                }
            )
        })
        .collect();
    sheet.emu.clear_requests();
    out
}

async fn created(
    sheet: &common::Sheet,
    n: usize,
) -> (throughline_sheets::SheetsConnector, Vec<DesiredTask>) {
    let tasks: Vec<DesiredTask> = (0..n).map(task).collect();
    let mut c = sheet.connector();
    c.observe(None).await.unwrap();
    let changes: Vec<Change> = tasks
        .iter()
        .map(|t| Change::CreateTask { task: t.clone() })
        .collect();
    for r in c.apply(&changes).await {
        r.unwrap();
    }
    (c, tasks)
}

#[tokio::test]
async fn a_quiet_cycle_is_one_drive_call_and_a_push_two_requests_whatever_the_rows() {
    let sheet = common::Sheet::new().await;
    sheet.emu.clear_requests();
    let (mut c, tasks) = created(&sheet, 60).await;
    let first_push = calls(&sheet);
    assert_eq!(
        first_push,
        [
            "GET files.get",
            "GET spreadsheets.get",
            "POST batchUpdate",
            "POST batchUpdateByDataFilter"
        ],
        "an empty sheet is read in two calls; 60 tasks and 60 entries are written in two"
    );
    let obs = c.observe(None).await.unwrap();
    assert_eq!(obs.tasks.len(), 60);
    assert_eq!(
        calls(&sheet),
        ["GET files.get", "GET spreadsheets.get", "GET batchGet"]
    );
    // Nothing changed: one call, from this process or a restarted one with the cursor.
    let again = c.observe(obs.cursor.clone()).await.unwrap();
    assert_eq!(again, obs);
    let mut fresh = sheet.connector();
    let restarted = fresh.observe(obs.cursor.clone()).await.unwrap();
    assert_eq!(restarted.tasks, obs.tasks);
    assert_eq!(calls(&sheet), ["GET files.get", "GET files.get"]);
    assert!(c.apply(&[]).await.is_empty());
    assert!(calls(&sheet).is_empty());

    // 30 updates: values only, one request.
    let changes: Vec<Change> = tasks[..30]
        .iter()
        .map(|t| rename(t, &format!("{} (v2)", t.fields.title)))
        .collect();
    for r in fresh.apply(&changes).await {
        r.unwrap();
    }
    assert_eq!(calls(&sheet), ["POST batchUpdateByDataFilter"]);
    // A person's edit moves the version: the next observation reads again.
    sheet.emu.person(&sheet.id, |p| {
        p.type_in("Sheet1!A1", vec![vec![json!("note")]]).unwrap()
    });
    let moved = fresh.observe(restarted.cursor).await.unwrap();
    assert_eq!(
        calls(&sheet),
        ["GET files.get", "GET spreadsheets.get", "GET batchGet"]
    );
    assert!(
        moved
            .tasks
            .iter()
            .filter(|t| t.fields.title.ends_with("(v2)"))
            .count()
            == 30
    );
}

#[tokio::test]
async fn rows_are_found_by_their_metadata_whatever_people_did_to_the_rows() {
    let sheet = common::Sheet::new().await;
    let (mut c, tasks) = created(&sheet, 4).await;
    let sid = sheet
        .emu
        .person(&sheet.id, |p| p.sheet_id("Content"))
        .unwrap();
    c.observe(None).await.unwrap();
    // Between the observation and the write: a sort (Z to A), a row moved to the top, a row of
    // the person's own inserted above everything.
    sheet.emu.person(&sheet.id, |p| {
        p.batch_update(vec![
            json!({"sortRange": {"range": {"sheetId": sid, "startRowIndex": 1}, "sortSpecs": [{"dimensionIndex": 3, "sortOrder": "DESCENDING"}]}}),
            json!({"moveDimension": {"source": {"sheetId": sid, "dimension": "ROWS", "startIndex": 8, "endIndex": 9}, "destinationIndex": 1}}),
            json!({"insertDimension": {"range": {"sheetId": sid, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}}}),
        ])
        .unwrap();
        p.type_in("'Content'!D2", vec![vec![json!("Printer quotes")]]).unwrap();
    });
    let results = c.apply(&[rename(&tasks[1], "Item 001 renamed")]).await;
    assert!(results[0].is_ok(), "{results:?}");
    assert_eq!(
        sheet.cell("item001/copy", Field::Task, Render::Formatted),
        json!("Item 001 renamed")
    );
    for t in [&tasks[0], &tasks[2], &tasks[3]] {
        assert_eq!(
            sheet.cell(&t.identity, Field::Task, Render::Formatted),
            json!(t.fields.title)
        );
    }
    let obs = c.observe(None).await.unwrap();
    assert_eq!(obs.tasks.len(), 4);
    assert!(obs.tasks.iter().all(|t| t.entries.len() == 1));
    let printer = sheet.emu.person(&sheet.id, |p| {
        p.values("'Content'!A2:J2", Render::Formatted)
    });
    assert_eq!(
        printer,
        vec![vec![
            json!(""),
            json!(""),
            json!(""),
            json!("Printer quotes")
        ]]
    );

    // A deleted task row: an update to it is NotFound, the others go through.
    let (_, row) = sheet.row_of("item002/copy").unwrap();
    sheet.emu.person(&sheet.id, |p| {
        p.batch_update(vec![json!({"deleteDimension": {"range": {"sheetId": sid, "dimension": "ROWS", "startIndex": row, "endIndex": row + 1}}})]).unwrap()
    });
    let results = c
        .apply(&[
            rename(&tasks[2], "gone"),
            rename(&tasks[3], "Item 003 renamed"),
        ])
        .await;
    assert!(
        matches!(
            results[0],
            Err(throughline_connector::ConnectorError::NotFound { .. })
        ),
        "{results:?}"
    );
    assert!(results[1].is_ok());
}

#[tokio::test]
async fn a_row_that_lost_its_metadata_is_found_by_its_id_and_gets_it_back() {
    let sheet = common::Sheet::new().await;
    let (mut c, tasks) = created(&sheet, 3).await;
    let lost: Vec<i32> = sheet.emu.person(&sheet.id, |p| {
        p.metadata()
            .into_iter()
            .filter(|(_, k, v)| k == ROW_KEY && v.starts_with("item001"))
            .map(|m| m.0)
            .collect()
    });
    assert_eq!(lost.len(), 2);
    sheet.emu.person(&sheet.id, |p| {
        let reqs: Vec<Value> = lost
            .iter()
            .map(|id| json!({"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {"metadataId": id}}}}))
            .collect();
        p.batch_update(reqs).unwrap();
    });
    let obs = c.observe(None).await.unwrap();
    assert_eq!(obs.tasks.len(), 3, "found by the ID column");
    let t = obs
        .tasks
        .iter()
        .find(|t| t.identity.as_deref() == Some("item001/copy"))
        .unwrap();
    assert_eq!(t.entries.len(), 1);
    for r in c.apply(&[rename(&tasks[1], "Item 001 by ID")]).await {
        r.unwrap();
    }
    assert_eq!(
        sheet.row_of("item001/copy").map(|r| r.1),
        Some(3),
        "its metadata is back"
    );
    assert_eq!(
        sheet.cell("item001/copy", Field::Task, Render::Formatted),
        json!("Item 001 by ID")
    );
    let again = c.observe(None).await.unwrap();
    assert_eq!(again.tasks.len(), 3);
}

#[tokio::test]
async fn peoples_columns_formulas_and_tabs_are_left_alone() {
    let sheet = common::Sheet::new().await;
    // A tab of the person's own already has the name throughline wants.
    sheet.emu.person(&sheet.id, |p| {
        p.batch_update(vec![
            json!({"addSheet": {"properties": {"title": "Content"}}}),
        ])
        .unwrap();
        p.type_in("'Content'!A1", vec![vec![json!("my own notes")]])
            .unwrap();
    });
    let (mut c, tasks) = created(&sheet, 2).await;
    let tabs = sheet.emu.person(&sheet.id, |p| p.tabs());
    assert_eq!(tabs, ["Sheet1", "Content", "Content 2"]);
    let sid = sheet
        .emu
        .person(&sheet.id, |p| p.sheet_id("Content 2"))
        .unwrap();
    // A column of the person's own between throughline's, with a formula.
    sheet.emu.person(&sheet.id, |p| {
        p.batch_update(vec![json!({"insertDimension": {"range": {"sheetId": sid, "dimension": "COLUMNS", "startIndex": 4, "endIndex": 5}}})]).unwrap();
        p.type_in("'Content 2'!E1", vec![vec![json!("Words")], vec![json!("=LEN(D2)")], vec![json!("=LEN(D3)")]]).unwrap();
    });
    c.observe(None).await.unwrap();
    for r in c
        .apply(&[
            rename(&tasks[0], "=HYPERLINK(\"x\")"),
            rename(&tasks[1], "+972 short"),
        ])
        .await
    {
        r.unwrap();
    }
    let formulas = sheet.emu.person(&sheet.id, |p| {
        p.values("'Content 2'!E2:E3", Render::Formula)
    });
    assert_eq!(
        formulas,
        vec![vec![json!("=LEN(D2)")], vec![json!("=LEN(D3)")]]
    );
    let shown = sheet.emu.person(&sheet.id, |p| {
        p.values("'Content 2'!D2:E3", Render::Unformatted)
    });
    // The formulas see throughline's text as text (an entry row is under each task).
    assert_eq!(
        shown,
        vec![
            vec![json!("=HYPERLINK(\"x\")"), json!(15)],
            vec![json!("Brief approved"), json!(14)]
        ]
    );
    assert_eq!(
        sheet.cell("item001/copy", Field::Task, Render::Formula),
        json!("+972 short")
    );
    let mine = sheet.emu.person(&sheet.id, |p| {
        p.values("'Content'!A1:B2", Render::Formatted)
    });
    assert_eq!(mine, vec![vec![json!("my own notes")]]);
    let obs = c.observe(None).await.unwrap();
    assert_eq!(obs.tasks[0].fields.title, "=HYPERLINK(\"x\")");
    // Dates are real dates with a date format.
    assert_eq!(
        sheet.cell("item000/copy", Field::Due, Render::Unformatted),
        json!(46359)
    );
    assert_eq!(
        sheet.cell("item000/copy", Field::Due, Render::Formatted),
        json!("2026-12-03")
    );
}

#[tokio::test]
async fn over_quota_the_connector_backs_off_and_gets_through() {
    let sheet = common::Sheet::new().await;
    let (_, _) = created(&sheet, 2).await;
    sheet.emu.set_quotas(Quotas {
        reads: 2,
        writes: 60,
        window: Duration::from_millis(400),
        enabled: true,
    });
    let mut settings = sheet.settings("sheet");
    settings.retry = Some(RetryPolicy {
        max_attempts: 30,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
        max_elapsed: Duration::from_secs(60),
    });
    let mut c = throughline_sheets::SheetsConnector::new(settings).unwrap();
    sheet.emu.clear_requests();
    for _ in 0..3 {
        let obs = c
            .observe(None)
            .await
            .expect("gets through after backing off");
        assert_eq!(obs.tasks.len(), 2);
        sheet.emu.person(&sheet.id, |p| {
            p.type_in("Sheet1!A1", vec![vec![json!(rand_word())]])
                .unwrap()
        });
    }
    let log = sheet.emu.requests();
    let limited: Vec<_> = log.iter().filter(|r| r.status == 429).collect();
    assert!(!limited.is_empty(), "the quota was hit");
    assert_eq!(
        limited[0].response.as_ref().unwrap()["error"]["status"],
        "RESOURCE_EXHAUSTED"
    );

    // A 503 on the value write is retried (it is idempotent); a 500 on the structure batch is
    // not (it inserts rows), and the creates fail for the next cycle.
    sheet.emu.set_quotas(Quotas::off());
    sheet.emu.inject(
        FaultRule::new(Fault::Status(503))
            .path("batchUpdateByDataFilter")
            .times(1),
    );
    c.observe(None).await.unwrap();
    let t = task(7);
    let r = c.apply(&[Change::CreateTask { task: t.clone() }]).await;
    assert!(r[0].is_ok(), "{r:?}");
    sheet.emu.inject(
        FaultRule::new(Fault::StatusAfterApply(500))
            .path(":batchUpdate")
            .times(1),
    );
    c.observe(None).await.unwrap();
    let r = c.apply(&[Change::CreateTask { task: task(8) }]).await;
    assert!(matches!(&r[0], Err(e) if e.is_retryable()), "{r:?}");
    // The next cycle adopts the row the failed call made instead of adding another.
    c.observe(None).await.unwrap();
    let r = c.apply(&[Change::CreateTask { task: task(8) }]).await;
    assert!(r[0].is_ok(), "{r:?}");
    let rows = sheet
        .emu
        .person(&sheet.id, |p| p.rows_with_metadata(ROW_KEY, "item008/copy"));
    assert_eq!(rows.len(), 1);
    let obs = c.observe(None).await.unwrap();
    let seen = obs
        .tasks
        .iter()
        .find(|x| x.identity.as_deref() == Some("item008/copy"))
        .unwrap();
    assert_eq!(seen.fields, task(8).fields);
}

fn rand_word() -> String {
    format!("edit {}", std::process::id() as u64 + rand_counter())
}

fn rand_counter() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[tokio::test]
async fn a_hebrew_playbook_gets_a_right_to_left_tab_with_dropdown_checkbox_dates_and_protection() {
    let sheet = common::Sheet::new().await;
    let mut t = task(1);
    t.context.process_name = "תהליך תוכן".into();
    t.context.rtl = true;
    t.fields.title = "כתיבת טיוטה".into();
    let mut c = sheet.connector();
    c.observe(None).await.unwrap();
    for r in c.apply(&[Change::CreateTask { task: t.clone() }]).await {
        r.unwrap();
    }
    let snap = sheet.emu.person(&sheet.id, |p| p.snapshot());
    let tab = snap["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["properties"]["title"] == "תהליך תוכן")
        .expect("a tab named after the playbook");
    assert_eq!(tab["properties"]["rightToLeft"], true);
    assert_eq!(tab["properties"]["gridProperties"]["frozenRowCount"], 1);
    let rows = tab["data"][0]["rowData"].as_array().unwrap();
    let cell = |r: usize, c: usize| rows[r]["values"][c].clone();
    assert_eq!(cell(0, 0)["userEnteredValue"]["stringValue"], "מזהה");
    assert_eq!(cell(0, 7)["userEnteredValue"]["stringValue"], "סטטוס");
    assert_eq!(cell(0, 0)["userEnteredFormat"]["textFormat"]["bold"], true);
    // The status dropdown offers the Hebrew words, not strictly; done is a checkbox.
    let status = &cell(1, 7)["dataValidation"];
    assert_eq!(status["condition"]["type"], "ONE_OF_LIST");
    assert_eq!(status["condition"]["values"][2]["userEnteredValue"], "תקוע");
    assert_eq!(status["condition"]["values"][3]["userEnteredValue"], "בוצע");
    assert_eq!(status["strict"], false);
    assert_eq!(cell(1, 7)["userEnteredValue"]["stringValue"], "לביצוע");
    assert_eq!(cell(1, 8)["dataValidation"]["condition"]["type"], "BOOLEAN");
    assert_eq!(cell(1, 8)["userEnteredValue"]["boolValue"], false);
    // Dates are numbers with a date format.
    assert_eq!(cell(1, 6)["userEnteredValue"]["numberValue"], 46359.0);
    assert_eq!(
        cell(1, 6)["userEnteredFormat"]["numberFormat"]["type"],
        "DATE"
    );
    assert_eq!(cell(1, 6)["formattedValue"], "2026-12-03");
    // Warning-only protection over throughline's columns; status, done and reason left open.
    let p = &tab["protectedRanges"][0];
    assert_eq!(p["warningOnly"], true);
    let open: Vec<u64> = p["unprotectedRanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["startColumnIndex"].as_u64().unwrap())
        .collect();
    assert_eq!(open, [7, 8, 9]);
    assert_eq!(tab["conditionalFormats"].as_array().unwrap().len(), 2);
    // And it reads back as sent.
    let obs = c.observe(None).await.unwrap();
    assert_eq!(obs.tasks[0].fields, t.fields);
}
