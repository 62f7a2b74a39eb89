//! A row the spreadsheet cannot hold fails alone: the other rows of the same apply are
//! written, and the failure names the task and the cell.

// A test reads as one scenario, top to bottom; the 80-line limit is for library code.
#![allow(clippy::too_many_lines)]

mod common;

use jiff::civil::{Date, date};
use throughline_connector::{
    Change, Connector, ConnectorError, DesiredTask, State, TaskContext, TaskFields,
};

fn task(item: &str, due: Date) -> DesiredTask {
    DesiredTask {
        identity: format!("{item}/copy"),
        fields: TaskFields {
            title: format!("{item}: Copy"),
            description: String::new(),
            group: "Copy".into(),
            owner: None,
            start: None,
            due: Some(due),
        },
        state: State::Todo,
        context: TaskContext {
            process: "content".into(),
            process_name: "Content".into(),
            item_title: item.into(),
            ..Default::default()
        },
        entries: Vec::new(),
    }
}

#[tokio::test]
async fn a_date_no_cell_reads_back_fails_its_own_row_and_the_others_are_written() {
    let sheet = common::Sheet::new().await;
    let mut c = sheet.connector();
    c.observe(None).await.unwrap();
    let first = task("a", date(2026, 12, 3));
    let changes: Vec<Change> = [
        first.clone(),
        // The first year is still a date in a spreadsheet (a negative serial number).
        task("b", Date::constant(1, 1, 1)),
        // Before it, the serial number would read back as no date at all.
        task("z", Date::MIN),
        task("c", date(2026, 12, 4)),
    ]
    .into_iter()
    .map(|task| Change::CreateTask { task })
    .collect();
    let results = c.apply(&changes).await;
    for i in [0, 1, 3] {
        assert!(results[i].is_ok(), "{:?}", results[i]);
    }
    let e = results[2].as_ref().unwrap_err();
    assert!(matches!(e, ConnectorError::Invalid { .. }), "{e:?}");
    let text = e.to_string();
    for part in [
        "\"z/copy\"",
        "due date -009999-01-01",
        "0001-01-01",
        "new row",
    ] {
        assert!(text.contains(part), "{part:?} not in {text}");
    }
    let obs = c.observe(None).await.unwrap();
    let mut written: Vec<_> = obs
        .tasks
        .iter()
        .map(|t| (t.identity.clone().unwrap(), t.fields.due))
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            ("a/copy".to_string(), Some(date(2026, 12, 3))),
            ("b/copy".to_string(), Some(Date::constant(1, 1, 1))),
            ("c/copy".to_string(), Some(date(2026, 12, 4))),
        ]
    );

    // A row already there: its update fails alone and names its cell; the row keeps its date.
    let mut fields = first.fields.clone();
    fields.due = Some(Date::MIN);
    let (tab, row) = sheet.row_of("a/copy").unwrap();
    let results = c
        .apply(&[
            Change::UpdateTask {
                remote_id: first.identity.clone(),
                identity: first.identity.clone(),
                context: first.context.clone(),
                fields: Some(fields),
                previous: None,
                state: None,
                unarchive: false,
            },
            Change::UpdateTask {
                remote_id: "c/copy".into(),
                identity: "c/copy".into(),
                context: first.context.clone(),
                fields: None,
                previous: None,
                state: Some(State::Done),
                unarchive: false,
            },
        ])
        .await;
    let text = results[0].as_ref().unwrap_err().to_string();
    let cell = format!("{tab}!");
    assert!(
        text.contains("\"a/copy\"")
            && text.contains(&cell)
            && text.contains(&format!("{}:", row + 1)),
        "{text}"
    );
    assert!(results[1].is_ok(), "{:?}", results[1]);
    let obs = c.observe(None).await.unwrap();
    let find = |id: &str| {
        obs.tasks
            .iter()
            .find(|t| t.identity.as_deref() == Some(id))
            .unwrap()
    };
    assert_eq!(find("a/copy").fields.due, Some(date(2026, 12, 3)));
    assert_eq!(find("c/copy").state, State::Done);
}
