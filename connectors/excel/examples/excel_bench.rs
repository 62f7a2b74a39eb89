//! How long the Excel connector takes, and how much memory, for a large workbook.
//!
//! `cargo run --release -p throughline-excel --example excel_bench -- [TASKS] [ENTRIES_PER_TASK]`
//!
//! Prints wall time for: the first full write, a no-op cycle (observe, nothing to apply), and a
//! cycle that updates 1% of the tasks; and the process's peak memory (Linux). Not a test: it
//! reports, it does not judge.

use std::time::Instant;

use jiff::civil::Date;
use throughline_connector::{
    Change, Connector, DesiredEntry, DesiredTask, EntryFields, State, TaskContext, TaskFields,
};
use throughline_excel::{ExcelConnector, ExcelMapping};

fn task(i: usize, entries: usize) -> DesiredTask {
    let item = format!("item-{i:05}");
    let stage = ["idea", "copy", "design", "approval", "publish"][i % 5];
    let identity = format!("{item}/{stage}");
    let due = Date::constant(2026, 1, 1)
        .checked_add(jiff::Span::new().days((i % 700) as i64))
        .unwrap();
    DesiredTask {
        identity: identity.clone(),
        fields: TaskFields {
            title: format!("{stage} for post {i}"),
            description: "Write it, check it, ship it.".into(),
            group: stage.into(),
            owner: Some(format!("person{}@example.com", i % 17)),
            start: Some(due.saturating_sub(jiff::Span::new().days(3))),
            due: Some(due),
        },
        state: State::Todo,
        context: TaskContext {
            process: "content".into(),
            process_name: "Content pipeline".into(),
            item: item.clone(),
            item_title: format!("Post {i}"),
            stage: stage.into(),
            stage_name: stage.into(),
            position: i as u64,
            ..TaskContext::default()
        },
        entries: (0..entries)
            .map(|k| DesiredEntry {
                identity: format!("{identity}/check-{k}"),
                fields: EntryFields {
                    text: format!("Check {k}"),
                    owner: None,
                    due: Some(due),
                },
                checked: false,
            })
            .collect(),
    }
}

fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let entries: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.xlsx");
    let mut c = ExcelConnector::new("bench", &path, ExcelMapping::default());
    let tasks: Vec<DesiredTask> = (0..n).map(|i| task(i, entries)).collect();

    let t = Instant::now();
    c.observe(None).await.expect("observe");
    let creates: Vec<Change> = tasks
        .iter()
        .map(|t| Change::CreateTask { task: t.clone() })
        .collect();
    let failed = c
        .apply(&creates)
        .await
        .iter()
        .filter(|r| r.is_err())
        .count();
    assert_eq!(failed, 0);
    let full = t.elapsed();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);

    let t = Instant::now();
    let obs = c.observe(None).await.expect("observe");
    let noop_results = c.apply(&[]).await;
    let noop = t.elapsed();
    assert!(noop_results.is_empty());
    assert_eq!(obs.tasks.len(), n);

    let t = Instant::now();
    c.observe(None).await.expect("observe");
    let updates: Vec<Change> = tasks
        .iter()
        .step_by(100)
        .map(|t| Change::UpdateTask {
            remote_id: t.identity.clone(),
            identity: t.identity.clone(),
            context: t.context.clone(),
            fields: None,
            previous: None,
            state: Some(State::Done),
            unarchive: false,
        })
        .collect();
    let failed = c
        .apply(&updates)
        .await
        .iter()
        .filter(|r| r.is_err())
        .count();
    assert_eq!(failed, 0);
    let update = t.elapsed();

    println!(
        "{n} tasks × {entries} entries ({} rows, {:.1} MB file)",
        n * (1 + entries),
        size as f64 / 1e6
    );
    println!("full write (observe empty + create all): {full:?}");
    println!("no-op cycle (observe + empty apply):     {noop:?}");
    println!(
        "update cycle ({} tasks, observe + apply): {update:?}",
        updates.len()
    );
    if let Some(mb) = peak_memory_mb() {
        println!("peak memory: {mb:.0} MB");
    }
}
