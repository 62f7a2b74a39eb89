//! Requests per cycle against the emulator, for N tasks (each with two checklist entries):
//! the first push, the read after it, a cycle with nothing changed, and a cycle after a person
//! ticked ten checkboxes. Compared with the floor in docs/sync.md and with a connector that
//! makes one request per row. Reports; judges nothing.
//!
//! `cargo run --release -p throughline-sheets --features emulator --example sheets_bench -- 500`

use std::time::{Duration, Instant};

use jiff::civil::date;
use serde_json::json;
use throughline_connector::http::Secret;
use throughline_connector::{
    Change, Connector, DesiredEntry, DesiredTask, EntryFields, State, TaskContext, TaskFields,
};
use throughline_sheets::emulator::Emulator;
use throughline_sheets::{
    Field, ROW_KEY, SheetsAuth, SheetsConnector, SheetsMapping, SheetsQuota, SheetsSettings,
};

fn task(n: usize) -> DesiredTask {
    let identity = format!("item{n:05}/copy");
    DesiredTask {
        identity: identity.clone(),
        fields: TaskFields {
            title: format!("Item {n}: Copy"),
            description: "Write the copy".into(),
            group: "Copy".into(),
            owner: Some("dana@example.com".into()),
            start: Some(date(2026, 12, 1)),
            due: Some(date(2026, 12, 3)),
        },
        state: State::Todo,
        context: TaskContext {
            process: "content".into(),
            process_name: "Content".into(),
            item_title: format!("Item {n}"),
            ..Default::default()
        },
        entries: ["brief", "facts"]
            .iter()
            .map(|k| DesiredEntry {
                identity: format!("{identity}/{k}"),
                fields: EntryFields {
                    text: format!("Check {k}"),
                    owner: None,
                    due: None,
                },
                checked: false,
            })
            .collect(),
    }
}

/// One measured cycle: its name, the requests it made, how long it took, the floor
/// (docs/sync.md) and the requests of a connector that makes one per row.
type Measured = (&'static str, usize, Duration, usize, usize);

/// A connector to the emulator's spreadsheet `id`, with a quota that never waits.
fn connector(emu: &Emulator, id: &str) -> SheetsConnector {
    let mut settings = SheetsSettings::new(
        "bench",
        id,
        SheetsAuth::Token(Secret::new(emu.access_token())),
    )
    .with_base_url(&emu.base_url());
    settings.quota = SheetsQuota {
        reads: 1_000_000,
        writes: 1_000_000,
        per: Duration::from_secs(60),
    };
    SheetsConnector::new(settings).expect("the connector opens")
}

/// The API requests since the last count.
fn count(emu: &Emulator) -> usize {
    let n = emu.requests().iter().filter(|r| r.is_api()).count();
    emu.clear_requests();
    n
}

/// A person ticks the done checkbox of ten tasks in the browser.
fn tick_ten(emu: &Emulator, id: &str, tasks: &[DesiredTask]) {
    let done_col = SheetsMapping::default()
        .columns
        .iter()
        .position(|f| *f == Field::Done)
        .expect("the default mapping has a done column");
    let col = throughline_sheets::a1::column_letters(done_col as u32);
    for t in tasks.iter().step_by((tasks.len() / 10).max(1)).take(10) {
        emu.person(id, |p| {
            let (tab, row) = p.rows_with_metadata(ROW_KEY, &t.identity)[0].clone();
            let cell = format!("{}!{col}{}", throughline_sheets::a1::quoted(&tab), row + 1);
            p.type_in(&cell, vec![vec![json!(true)]]).unwrap();
        });
    }
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let emu = Emulator::start().await.expect("the emulator starts");
    let id = emu.create_spreadsheet("Benchmark");
    let mut c = connector(&emu, &id);
    let tasks: Vec<DesiredTask> = (0..n).map(task).collect();
    let rows = n * 3;
    let mut report: Vec<Measured> = Vec::new();

    let t = Instant::now();
    c.observe(None).await.unwrap();
    let changes: Vec<Change> = tasks
        .iter()
        .map(|t| Change::CreateTask { task: t.clone() })
        .collect();
    for r in c.apply(&changes).await {
        r.unwrap();
    }
    report.push((
        "first push (observe + create all)",
        count(&emu),
        t.elapsed(),
        1 + 2,
        rows,
    ));

    let t = Instant::now();
    let obs = c.observe(None).await.unwrap();
    assert_eq!(obs.tasks.len(), n);
    report.push((
        "next cycle (re-read after own write)",
        count(&emu),
        t.elapsed(),
        2,
        rows,
    ));

    let t = Instant::now();
    let quiet = c.observe(obs.cursor.clone()).await.unwrap();
    assert!(c.apply(&[]).await.is_empty());
    report.push(("no-op cycle", count(&emu), t.elapsed(), 1, rows));

    tick_ten(&emu, &id, &tasks);
    let t = Instant::now();
    let ticked = c.observe(quiet.cursor.clone()).await.unwrap();
    let done = ticked
        .tasks
        .iter()
        .filter(|t| t.state == State::Done)
        .count();
    assert_eq!(done, 10);
    report.push(("10 ticks pulled", count(&emu), t.elapsed(), 2, rows));
    print_report(report, n, rows);
}

fn print_report(report: Vec<Measured>, n: usize, rows: usize) {
    println!("Google Sheets connector, {n} tasks ({rows} rows with their checklist entries)\n");
    println!(
        "{:<38} {:>9} {:>14} {:>12} {:>9}",
        "cycle", "requests", "floor", "1 per row", "time"
    );
    for (name, got, took, floor, per_row) in report {
        println!(
            "{name:<38} {got:>9} {floor:>14} {per_row:>12} {:>8.0?}",
            took
        );
    }
    println!(
        "\nAt Google's 60 writes per minute, one request per row spends {:.0} minutes on the first push; \
         this connector spends 2 requests.",
        rows as f64 / 60.0
    );
    println!(
        "The floor (docs/sync.md) counts files.get + values:batchGet for a changed sheet; the connector adds the"
    );
    println!(
        "one metadata read (spreadsheets.get with a field mask) that locates rows by identity."
    );
}
