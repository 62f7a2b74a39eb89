//! Calls per cycle and wall time of the engine against the fake connector at 10,000 tasks:
//! first push, no-op, and 10 ticks pulled. Not a test; prints figures (bench/sync.sh runs it).

use std::time::Instant;

use jiff::Timestamp;
use throughline::engine::{CycleOptions, TargetRun, run_cycle};
use throughline::model::SyncSettings;
use throughline::reconcile::DriftPolicy;
use throughline::state::MemoryStore;
use throughline_connector::fake::FakeTarget;
use throughline_connector::{
    DesiredEntry, DesiredTask, EntryFields, State, StateSupport, TaskContext, TaskFields,
};

fn desired(n: usize) -> Vec<DesiredTask> {
    (0..n)
        .map(|i| {
            let identity = format!("item{:05}/stage{}", i / 8, i % 8);
            let due = jiff::civil::date(2027, 1, 1)
                .saturating_add(jiff::Span::new().days((i / 8) as i64 % 300));
            DesiredTask {
                identity: identity.clone(),
                fields: TaskFields {
                    title: format!("Item {}: stage {}", i / 8, i % 8),
                    description: String::new(),
                    group: format!("Stage {}", i % 8),
                    owner: Some(format!("person{}@example.com", i % 17)),
                    start: Some(due),
                    due: Some(due),
                },
                state: State::Todo,
                context: TaskContext {
                    position: i as u64,
                    ..Default::default()
                },
                entries: (0..3)
                    .map(|k| DesiredEntry {
                        identity: format!("{identity}/e{k}"),
                        fields: EntryFields {
                            text: format!("Entry {k}"),
                            owner: None,
                            due: Some(due),
                        },
                        checked: false,
                    })
                    .collect(),
            }
        })
        .collect()
}

fn main() {
    let tasks = 10_000;
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let mut store = MemoryStore::new();
    let model = desired(tasks);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let now: Timestamp = "2026-12-01T08:00:00Z".parse().unwrap();
    let mut cycle = |label: &str| {
        board.reset_calls();
        let mut runs = vec![TargetRun {
            id: "board".into(),
            connector: Box::new(board.connector()),
            desired: model.clone(),
            drift: DriftPolicy::default(),
            people: None,
        }];
        let started = Instant::now();
        let report = rt
            .block_on(run_cycle(
                &mut store,
                &mut runs,
                &SyncSettings::default(),
                &CycleOptions::default(),
                now,
            ))
            .unwrap();
        let elapsed = started.elapsed();
        let calls = board.calls();
        println!(
            "{label:<22} {:>7.1} ms   calls: {} observe + {} apply   changes sent: {}   ok: {}",
            elapsed.as_secs_f64() * 1e3,
            calls.observe,
            calls.apply,
            calls.all_changes(),
            report.ok()
        );
    };
    println!(
        "engine against the fake connector, {tasks} tasks × 3 checklist entries (MemoryStore):"
    );
    cycle("first push");
    cycle("no-op");
    for i in 0..10 {
        board.set_state(&format!("item{:05}/stage{}", i * 7, i % 8), State::Done);
    }
    cycle("10 ticks pulled");
    cycle("no-op after ticks");
}
