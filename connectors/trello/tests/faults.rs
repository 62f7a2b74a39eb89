//! Storms of 429s, 500s, 503s and dropped answers (before and after the change is made) end in
//! the same board as a calm run: nothing lost, nothing duplicated.

// A test reads as one scenario, top to bottom; the 80-line limit is for library code.
#![allow(clippy::too_many_lines)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Board, task};
use throughline_connector::{Change, Connector, DesiredTask, Observation, State};
use throughline_trello::TrelloMapping;
use throughline_trello::emulator::{Fault, FaultRule, RateLimits};

/// What a sync engine does, reduced to what this test needs: create what is missing (by
/// identity), set states and ticks that differ.
fn plan(desired: &[DesiredTask], obs: &Observation) -> Vec<Change> {
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
        if o.state != d.state {
            changes.push(Change::UpdateTask {
                remote_id: o.remote_id.clone(),
                identity: d.identity.clone(),
                context: d.context.clone(),
                fields: None,
                previous: None,
                state: Some(d.state),
                unarchive: false,
            });
        }
        for e in &d.entries {
            if let Some(oe) = o
                .entries
                .iter()
                .find(|x| x.identity.as_deref() == Some(&e.identity))
                && oe.checked != e.checked
            {
                changes.push(Change::UpdateEntry {
                    parent_remote_id: o.remote_id.clone(),
                    remote_id: oe.remote_id.clone(),
                    identity: e.identity.clone(),
                    fields: None,
                    checked: Some(e.checked),
                    unarchive: false,
                });
            }
        }
    }
    changes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storms_of_429s_500s_and_dropped_answers_converge_with_nothing_lost_or_duplicated() {
    let board = Board::new(TrelloMapping::default()).await;
    let emu = &board.emu;
    emu.set_rate_limits(RateLimits {
        window: Duration::from_millis(200),
        ..RateLimits::default()
    });
    let desired: Vec<DesiredTask> = (0..60)
        .map(|i| {
            let state = if i % 4 == 0 { State::Done } else { State::Todo };
            task(i, state, &[i % 2 == 0, false, i % 3 == 0])
        })
        .collect();

    // Storms: 429s anywhere, creates that happen but answer 500, 503s, answers lost after the
    // change was made, reads cut off.
    emu.inject(
        FaultRule::new(Fault::Status(429))
            .probability(0.15)
            .times(40),
    );
    emu.inject(
        FaultRule::new(Fault::StatusAfterApply(500))
            .method("POST")
            .path("/cards")
            .probability(0.25)
            .times(15),
    );
    emu.inject(
        FaultRule::new(Fault::Status(503))
            .probability(0.1)
            .times(25),
    );
    emu.inject(
        FaultRule::new(Fault::DropAfterApply)
            .method("PUT")
            .probability(0.2)
            .times(10),
    );
    emu.inject(
        FaultRule::new(Fault::DropAfterApply)
            .method("POST")
            .path("/cards")
            .times(3),
    );
    emu.inject(FaultRule::new(Fault::Drop).method("GET").times(2));

    let mut settings = board.settings();
    settings.limits = throughline_trello::TrelloLimits {
        per_token: throughline_connector::http::RateQuota::new(100, Duration::from_millis(200))
            .unwrap(),
        per_key: throughline_connector::http::RateQuota::new(300, Duration::from_millis(200))
            .unwrap(),
    };
    let mut cycles = 0;
    let mut failures = 0;
    loop {
        cycles += 1;
        assert!(cycles <= 15, "no convergence after 15 cycles");
        // A new process each cycle, as after a crash.
        let mut c = throughline_trello::TrelloConnector::new(settings.clone()).unwrap();
        let obs = match c.observe(None).await {
            Ok(o) => o,
            Err(_) => {
                failures += 1;
                continue;
            }
        };
        let changes = plan(&desired, &obs);
        if changes.is_empty() {
            break;
        }
        failures += c
            .apply(&changes)
            .await
            .iter()
            .filter(|r| r.is_err())
            .count();
    }
    let log = emu.requests();
    let mut faults = BTreeMap::<String, usize>::new();
    for r in &log {
        if let Some(f) = &r.fault {
            *faults.entry(format!("{f:?}")).or_default() += 1;
        }
    }
    println!(
        "converged in {cycles} cycles, {failures} failed changes on the way; faults: {faults:?}"
    );
    assert!(!faults.is_empty(), "no fault was injected");

    emu.clear_faults();
    let mut c = board.connector();
    let obs = c.observe(None).await.unwrap();
    let mut per_identity = BTreeMap::<String, usize>::new();
    for t in &obs.tasks {
        *per_identity
            .entry(t.identity.clone().unwrap_or_default())
            .or_default() += 1;
    }
    assert_eq!(per_identity.len(), desired.len(), "{per_identity:?}");
    assert!(
        per_identity.values().all(|n| *n == 1),
        "duplicates: {per_identity:?}"
    );
    for d in &desired {
        let o = obs
            .tasks
            .iter()
            .find(|o| o.identity.as_deref() == Some(&d.identity))
            .unwrap();
        assert_eq!(o.state, d.state, "{}", d.identity);
        assert_eq!(o.fields.group, d.fields.group);
        assert_eq!(o.fields.due, d.fields.due);
        assert_eq!(o.entries.len(), 3, "{}: {:?}", d.identity, o.entries);
        for (e, oe) in d.entries.iter().zip(&o.entries) {
            assert_eq!(oe.identity.as_deref(), Some(e.identity.as_str()));
            assert_eq!(oe.checked, e.checked, "{}", e.identity);
        }
    }
}
