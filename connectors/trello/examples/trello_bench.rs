//! Requests per cycle for 200 items × 6 stages against the emulator: the first push, a cycle
//! with nothing to do, and 10 ticks made in Trello pulled back; next to the floor in
//! docs/sync.md and to a one-request-per-object approach (a card, then its checklist, then each
//! item; measured by turning template copies off).
//!
//! `cargo run --release -p throughline-trello --example trello_bench` (or bench/requests.sh).

use std::time::{Duration, Instant};

use jiff::civil::Date;
use throughline_connector::identity::Identity;
use throughline_connector::{
    Change, Connector, DesiredEntry, DesiredTask, EntryFields, Observation, State, TaskContext,
    TaskFields,
};
use throughline_trello::emulator::{Emulator, RateLimits};
use throughline_trello::{Secret, TrelloConnector, TrelloMapping, TrelloSettings};

const ITEMS: usize = 200;
const STAGES: [&str; 6] = ["Idea", "Copy", "Design", "Review", "Approval", "Publish"];
const CHECKLIST: [&str; 3] = ["Draft", "Check facts", "Sign off"];

fn desired() -> Vec<DesiredTask> {
    let mut out = Vec::new();
    for i in 0..ITEMS {
        for (s, stage) in STAGES.iter().enumerate() {
            let task = Identity::task(&format!("post-{i:03}"), &stage.to_lowercase());
            let identity = task.to_string();
            let due = Date::constant(2027, 1, 1)
                .checked_add(jiff::Span::new().days((i + s) as i64))
                .unwrap();
            out.push(DesiredTask {
                identity: identity.clone(),
                fields: TaskFields {
                    title: format!("Post {i}: {stage}"),
                    description: format!("{stage} for post {i}"),
                    group: (*stage).to_owned(),
                    owner: Some("dana@example.com".to_owned()),
                    start: Some(due),
                    due: Some(due),
                },
                state: State::Todo,
                context: TaskContext {
                    position: out.len() as u64,
                    channel: Some("Blog".to_owned()),
                    ..TaskContext::default()
                },
                entries: CHECKLIST
                    .iter()
                    .map(|t| DesiredEntry {
                        identity: task
                            .with_key(&t.to_lowercase().replace(' ', "-"))
                            .to_string(),
                        fields: EntryFields {
                            text: format!("{t} ({stage})"),
                            owner: None,
                            due: None,
                        },
                        checked: false,
                    })
                    .collect(),
            });
        }
    }
    out
}

/// The engine's decisions, reduced to this benchmark: create what is missing, set ticks.
fn plan(desired: &[DesiredTask], obs: &Observation, ticks: &[(String, bool)]) -> Vec<Change> {
    let mut changes = Vec::new();
    for d in desired {
        let Some(o) = obs
            .tasks
            .iter()
            .find(|o| o.identity.as_deref() == Some(&d.identity))
        else {
            changes.push(Change::CreateTask { task: d.clone() });
            continue;
        };
        for e in &d.entries {
            let want = ticks
                .iter()
                .find(|(id, _)| *id == e.identity)
                .map(|(_, c)| *c);
            if let (Some(want), Some(oe)) = (
                want,
                o.entries
                    .iter()
                    .find(|x| x.identity.as_deref() == Some(&e.identity)),
            ) && oe.checked != want
            {
                changes.push(Change::UpdateEntry {
                    parent_remote_id: o.remote_id.clone(),
                    remote_id: oe.remote_id.clone(),
                    identity: e.identity.clone(),
                    fields: None,
                    checked: Some(want),
                    unarchive: false,
                });
            }
        }
    }
    changes
}

struct Counts {
    first_push: usize,
    no_op: usize,
    ticks_pulled: usize,
    ticks_pushed: usize,
    seconds: f64,
}

async fn run(templates: bool) -> Counts {
    let emu = Emulator::start().await.expect("the emulator starts");
    // Counting requests, not waiting for Trello's windows.
    emu.set_rate_limits(RateLimits {
        enabled: false,
        ..RateLimits::default()
    });
    let board = emu.seed_board("Content");
    emu.add_member(&board, "dana", "Dana Levi");
    let mut s = TrelloSettings::new(
        "studio",
        &board,
        Secret::new(emu.key()),
        Secret::new(emu.token()),
    );
    s.base_url = emu.base_url();
    s.people.insert("dana@example.com".into(), "dana".into());
    s.mapping = TrelloMapping {
        templates,
        ..TrelloMapping::default()
    };
    s.limits = throughline_trello::TrelloLimits {
        per_token: throughline_connector::http::RateQuota::new(1_000_000, Duration::from_secs(1))
            .unwrap(),
        per_key: throughline_connector::http::RateQuota::new(1_000_000, Duration::from_secs(1))
            .unwrap(),
    };
    let tasks = desired();
    let started = Instant::now();
    let cycle = |ticks: Vec<(String, bool)>| {
        let s = s.clone();
        let tasks = tasks.clone();
        let emu = &emu;
        async move {
            emu.clear_requests();
            let mut c = TrelloConnector::new(s).unwrap();
            let obs = c.observe(None).await.unwrap();
            let changes = plan(&tasks, &obs, &ticks);
            for r in c.apply(&changes).await {
                r.expect("applied");
            }
            emu.requests().len()
        }
    };
    let first_push = cycle(Vec::new()).await;
    let seconds = started.elapsed().as_secs_f64();
    let no_op = cycle(Vec::new()).await;
    // Ten people tick ten items in Trello; the next cycle reads them.
    emu.person(|p| {
        for i in 0..10 {
            let card = p.card_with_marker(&format!("post-{i:03}/copy")).unwrap();
            assert!(p.set_item(&card, "Draft (Copy)", true));
        }
    });
    emu.clear_requests();
    let mut c = TrelloConnector::new(s.clone()).unwrap();
    let obs = c.observe(None).await.unwrap();
    let seen = obs
        .tasks
        .iter()
        .flat_map(|t| &t.entries)
        .filter(|e| e.checked)
        .count();
    assert_eq!(seen, 10);
    let ticks_pulled = emu.requests().len();
    // And ten ticks made elsewhere pushed to Trello.
    let ticks: Vec<(String, bool)> = (10..20)
        .map(|i| (format!("post-{i:03}/copy/draft"), true))
        .collect();
    let ticks_pushed = cycle(ticks).await;
    Counts {
        first_push,
        no_op,
        ticks_pulled,
        ticks_pushed,
        seconds,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let cards = ITEMS * STAGES.len();
    let ours = run(true).await;
    let naive = run(false).await;
    let floor_push = 1 + cards;
    println!(
        "Trello requests per cycle, {ITEMS} items × {} stages = {cards} cards, {} checklist items each",
        STAGES.len(),
        CHECKLIST.len()
    );
    println!();
    println!("| cycle | throughline | floor (docs/sync.md) | one request per object |");
    println!("|---|---:|---:|---:|");
    println!(
        "| first push | {} | {floor_push} | {} |",
        ours.first_push, naive.first_push
    );
    println!("| no-op | {} | 1 | {} |", ours.no_op, 1 + cards);
    println!(
        "| 10 ticks pulled | {} | 1 | {} |",
        ours.ticks_pulled,
        1 + cards
    );
    println!(
        "| 10 ticks pushed | {} | 11 | {} |",
        ours.ticks_pushed, naive.ticks_pushed
    );
    println!();
    println!(
        "One request per object: the push measured with template copies off (a card, its \
         checklist, then each item); the reads counted as one request for the board's cards plus \
         one per card for its checklists."
    );
    println!(
        "At Trello's 100 requests per 10 s per token, the first push takes about {:.0} minutes \
         (one per object: {:.0}); here, without limits, it took {:.1} s.",
        ours.first_push as f64 / 9.0 / 60.0,
        naive.first_push as f64 / 9.0 / 60.0,
        ours.seconds
    );
}
