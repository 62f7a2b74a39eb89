//! Trello's rate limits, enforced by the emulator as Trello does (on a shorter window so the
//! test runs in seconds): a big push never hits them and still uses at least 90% of them. (The
//! shared limiter keeps a tenth of each window as burst, so a long push runs at 90% and a bit.)

mod common;

use common::{Board, STAGES, task};
use throughline_connector::{Change, Connector, DesiredTask, State};
use throughline_trello::TrelloMapping;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_of_1000_tasks_never_hits_the_limits_and_uses_at_least_90_percent_of_them() {
    let board = Board::new(TrelloMapping::default()).await;
    let limits = board.emu.rate_limits();
    let mut c = board.connector();
    c.observe(None).await.expect("the board reads");
    board.emu.clear_requests();

    let tasks: Vec<DesiredTask> = (0..1000).map(|i| task(i, State::Todo, &[])).collect();
    let changes: Vec<Change> = tasks
        .iter()
        .map(|t| Change::CreateTask { task: t.clone() })
        .collect();
    let results = c.apply(&changes).await;
    for (r, t) in results.iter().zip(&tasks) {
        assert!(r.is_ok(), "creating `{}` failed: {r:?}", t.identity);
    }

    let log = board.emu.requests();
    let too_many = log.iter().filter(|r| r.status == 429).count();
    assert_eq!(
        too_many, 0,
        "the emulator answered 429 to {too_many} requests"
    );
    let span = log.last().unwrap().at - log.first().unwrap().at;
    let rate = (log.len() - 1) as f64 / span.as_secs_f64();
    let allowed = f64::from(limits.token_max) / limits.window.as_secs_f64();
    println!(
        "1,000 tasks: {} requests in {:.2} s = {rate:.1} per s; Trello allows {allowed:.0} per s per \
         token ({:.1}% used)",
        log.len(),
        span.as_secs_f64(),
        100.0 * rate / allowed
    );
    assert!(
        rate >= 0.9 * allowed,
        "the push used {:.1}% of the allowed rate",
        100.0 * rate / allowed
    );
    let creates = log
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/cards")
        .count();
    assert_eq!(
        creates,
        1000 + STAGES.len(),
        "one copy per card, plus one template card per stage (the checklists differ by stage)"
    );

    let obs = c.observe(None).await.expect("the board reads");
    assert_eq!(obs.tasks.len(), 1000);
    for t in &tasks {
        let seen: Vec<_> = obs
            .tasks
            .iter()
            .filter(|o| o.identity.as_deref() == Some(t.identity.as_str()))
            .collect();
        assert_eq!(seen.len(), 1, "`{}` is on {} cards", t.identity, seen.len());
        let ids: Vec<_> = seen[0].entries.iter().map(|e| e.identity.clone()).collect();
        let want: Vec<_> = t.entries.iter().map(|e| Some(e.identity.clone())).collect();
        assert_eq!(ids, want);
    }
}
