//! What a cycle costs in requests: the floor in docs/sync.md (one events request when
//! nothing changed; writes in batches of ten), checked exactly.

mod common;

use common::{Mode, Setup, plan};
use serde_json::json;
use throughline_connector::{Change, Connector};

/// Requests the connector (Ana's token) sent since the log was cleared.
fn sent(s: &Setup) -> Vec<String> {
    s.emu
        .requests()
        .into_iter()
        .filter(|r| r.user == s.seeded.user)
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect()
}

#[tokio::test]
async fn a_cycle_costs_what_the_floor_says() {
    let s = Setup::new(Mode::Marker).await;
    // 20 items × 3 stages, 2 checklist entries each: 60 tasks, 120 subtasks.
    let desired = plan(20, &["draft", "review", "publish"], 2);
    let mut c = s.connector();
    s.emu.clear_requests();

    // First push into an empty project.
    let obs = c.observe(None).await.unwrap();
    assert_eq!(
        sent(&s),
        ["GET /events 412", "POST /batch 200"],
        "a first look: a sync token, then fields, sections and tasks in one batch"
    );
    s.emu.clear_requests();
    let changes: Vec<Change> = desired
        .iter()
        .map(|t| Change::CreateTask { task: t.clone() })
        .collect();
    assert!(c.apply(&changes).await.iter().all(Result::is_ok));
    let push = sent(&s);
    // 3 new sections one by one, 60 tasks in 6 batches, 120 subtasks in 2 rounds of 6.
    assert_eq!(push.len(), 3 + 6 + 12, "{push:?}");
    assert!(push.iter().all(|r| r == "POST /batch 200"));

    // The next look reads the events of the push (100 a page), and nothing else: the
    // connector knows what it wrote.
    s.emu.clear_requests();
    let after_push = c.observe(c.cursor()).await.unwrap();
    let pages = sent(&s);
    assert!(
        pages.iter().all(|r| r == "GET /events 200"),
        "{:#?}",
        s.emu.requests()
    );
    // 60 tasks added to the project and to a section, 120 subtasks added to their tasks.
    assert_eq!(pages.len(), (60 * 2 + 120_usize).div_ceil(100));
    assert_eq!(after_push.tasks.len(), 60);

    // Nothing changed: one request, whichever cursor is stored.
    s.emu.clear_requests();
    let quiet = c.observe(c.cursor()).await.unwrap();
    assert_eq!(sent(&s), ["GET /events 200"], "{:#?}", s.emu.requests());
    assert_eq!(quiet.tasks.len(), 60);
    s.emu.clear_requests();
    let again = s.connector().observe(quiet.cursor.clone()).await.unwrap();
    assert_eq!(sent(&s), ["GET /events 200"], "a restarted process too");
    same(&again, &quiet);

    // The observation's own cursor (taken before the push) costs one batch re-read of what
    // was written, once.
    s.emu.clear_requests();
    let stale = s.connector().observe(obs.cursor.clone()).await.unwrap();
    let reread = sent(&s);
    assert_eq!(reread[0], "GET /events 200");
    // The event pages, then one batch with the sections and the first 100 tasks, the new
    // tasks' subtasks (60 in 6 batches) and the people seen on them.
    assert_eq!(reread.len(), 3 + 1 + 6 + 1, "{reread:?}");
    same(&stale, &quiet);

    // A person ticks 10 subtasks of 10 tasks: the feed, then their subtasks in one batch.
    for i in 0..10 {
        let gid = s.gid_of(&format!("item-{i:03}/review/k1"));
        s.person_puts(&gid, json!({"completed": true})).await;
    }
    s.emu.clear_requests();
    let ticked = c.observe(c.cursor()).await.unwrap();
    assert_eq!(
        sent(&s),
        ["GET /events 200", "POST /batch 200"],
        "{:?}",
        s.emu
            .requests()
            .iter()
            .map(|r| &r.actions)
            .collect::<Vec<_>>()
    );
    let checked = ticked
        .tasks
        .iter()
        .flat_map(|t| &t.entries)
        .filter(|e| e.checked)
        .count();
    assert_eq!(checked, 10);

    // And 10 tasks completed: the same.
    for i in 0..10 {
        let gid = s.gid_of(&format!("item-{:03}/publish", i + 5));
        s.person_puts(&gid, json!({"completed": true})).await;
    }
    s.emu.clear_requests();
    let done = c.observe(c.cursor()).await.unwrap();
    assert_eq!(sent(&s), ["GET /events 200", "POST /batch 200"]);
    assert_eq!(
        done.tasks
            .iter()
            .filter(|t| t.state == throughline_connector::State::Done)
            .count(),
        10
    );
}

/// The same tasks, in any order; on a difference, the first differing task.
fn same(a: &throughline_connector::Observation, b: &throughline_connector::Observation) {
    let sorted = |o: &throughline_connector::Observation| {
        let mut t = o.tasks.clone();
        t.sort_by(|x, y| x.remote_id.cmp(&y.remote_id));
        t
    };
    let (a, b) = (sorted(a), sorted(b));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
}
