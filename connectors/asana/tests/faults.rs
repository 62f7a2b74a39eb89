//! Expired sync tokens and page offsets, 429s, 500s, lost replies and an access token that
//! expires in the middle of a cycle: each converges with nothing lost or duplicated.

mod common;

use common::{Mode, Setup, identities, plan, task};
use serde_json::json;
use throughline_asana::AsanaConnector;
use throughline_asana::emulator::{Fault, FaultRule};
use throughline_connector::http::Outcome;
use throughline_connector::{Applied, Change, Connector, ConnectorError, DesiredTask, Observation};

/// What the engine does about creation, cycle after cycle: observe, create the tasks that are
/// missing, and the missing entries of tasks that are there (at their place). Returns the last
/// observation.
async fn converge(c: &mut AsanaConnector, desired: &[DesiredTask], cycles: usize) -> Observation {
    let mut cursor = None;
    for _ in 0..cycles {
        let obs = c.observe(cursor.clone()).await.expect("observe");
        let seen = identities(&obs);
        let mut missing: Vec<Change> = Vec::new();
        for t in desired {
            let Some(found) = obs
                .tasks
                .iter()
                .find(|o| o.identity.as_deref() == Some(t.identity.as_str()))
            else {
                missing.push(Change::CreateTask { task: t.clone() });
                continue;
            };
            for (index, e) in t.entries.iter().enumerate() {
                if !seen.contains_key(&e.identity) {
                    missing.push(Change::CreateEntry {
                        parent_remote_id: found.remote_id.clone(),
                        parent_identity: t.identity.clone(),
                        context: t.context.clone(),
                        index,
                        entry: e.clone(),
                    });
                }
            }
        }
        if missing.is_empty() {
            return obs;
        }
        let _ = c.apply(&missing).await;
        cursor = obs.cursor;
    }
    c.observe(cursor).await.expect("observe")
}

fn assert_each_once(obs: &Observation, desired: &[DesiredTask]) {
    let seen = identities(obs);
    for t in desired {
        assert_eq!(
            seen.get(&t.identity),
            Some(&1),
            "`{}` must be there once",
            t.identity
        );
        for e in &t.entries {
            assert_eq!(
                seen.get(&e.identity),
                Some(&1),
                "entry `{}` must be there once",
                e.identity
            );
        }
    }
    assert!(seen.values().all(|n| *n == 1), "duplicates: {seen:?}");
}

#[tokio::test]
async fn an_expired_sync_token_reads_the_whole_project_and_loses_nothing() {
    let s = Setup::new(Mode::Marker).await;
    let desired = plan(3, &["draft", "review"], 2);
    let mut c = s.connector();
    converge(&mut c, &desired, 2).await;
    let cursor = c.cursor();

    // While throughline is away: Ben ticks a subtask and completes a task, and the token expires.
    let entry = s.gid_of("item-001/review/k1");
    s.person_puts(&entry, json!({"completed": true})).await;
    let t = s.gid_of("item-002/draft");
    s.person_puts(&t, json!({"completed": true})).await;
    s.emu.expire_sync_tokens();
    s.emu.clear_requests();

    let mut fresh = s.connector();
    let obs = fresh.observe(cursor).await.unwrap();
    assert_each_once(&obs, &desired);
    let find = |id: &str| {
        obs.tasks
            .iter()
            .find(|t| t.identity.as_deref() == Some(id))
            .unwrap()
    };
    assert_eq!(
        find("item-002/draft").state,
        throughline_connector::State::Done
    );
    let review = find("item-001/review");
    assert!(
        review
            .entries
            .iter()
            .any(|e| e.identity.as_deref() == Some("item-001/review/k1") && e.checked)
    );
    assert!(
        review
            .entries
            .iter()
            .any(|e| e.identity.as_deref() == Some("item-001/review/k0") && !e.checked)
    );
    let log = s.emu.requests();
    assert_eq!(log[0].path, "/events");
    assert_eq!(log[0].status, 412, "the expired token is refused");
    assert!(
        log.iter().any(|r| r.path == "/batch"
            && r.actions
                .iter()
                .any(|a| a.ends_with("/tasks") && a.starts_with("GET"))),
        "the project is listed again"
    );

    // The fresh token works: nothing changed, one request.
    s.emu.clear_requests();
    let again = fresh.observe(obs.cursor.clone()).await.unwrap();
    assert_eq!(again.tasks, obs.tasks);
    assert_eq!(s.emu.requests().len(), 1);
}

#[tokio::test]
async fn an_expired_page_offset_starts_the_listing_over() {
    let s = Setup::new(Mode::Marker).await;
    // 230 tasks: three pages of at most 100.
    let desired = plan(230, &["draft"], 0);
    let mut c = s.connector();
    converge(&mut c, &desired, 2).await;

    let listing = format!("/projects/{}/tasks", s.seeded.project);
    s.emu.inject(
        FaultRule::new(Fault::ExpireCursors)
            .times(1)
            .on("GET", &listing),
    );
    s.emu.clear_requests();
    let obs = s.connector().observe(None).await.unwrap();
    assert_each_once(&obs, &desired);
    assert_eq!(obs.tasks.len(), 230);
    let pages: Vec<_> = s
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.path == listing)
        .collect();
    assert_eq!(
        pages[0].status, 400,
        "the expired offset is refused: {pages:?}"
    );
    assert!(pages[0].query.contains("offset="));
    assert!(
        !pages[1].query.contains("offset="),
        "the listing starts over: {pages:?}"
    );
    assert!(pages[1..].iter().all(|p| p.status == 200));
}

#[tokio::test]
async fn rate_limited_batches_wait_as_told_and_create_everything_once() {
    let s = Setup::new(Mode::Marker).await;
    let desired = plan(6, &["draft", "review"], 1);
    s.emu.inject(
        FaultRule::new(Fault::RateLimited { retry_after: 1 })
            .times(2)
            .on("POST", "/batch"),
    );
    let mut c = s.connector();
    let obs = c.observe(None).await.unwrap();
    let changes: Vec<Change> = desired
        .iter()
        .map(|t| Change::CreateTask { task: t.clone() })
        .collect();
    let results = c.apply(&changes).await;
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(Applied::Created { .. }))),
        "{results:?}"
    );
    let statuses: Vec<u16> = s
        .emu
        .requests()
        .iter()
        .filter(|r| r.path == "/batch")
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
    let after = c.observe(obs.cursor).await.unwrap();
    assert_each_once(&after, &desired);
}

#[tokio::test]
async fn a_rate_limited_batch_is_tried_as_often_as_the_shared_policy_says_and_no_more() {
    let s = Setup::new(Mode::Marker).await;
    let mut settings = s.settings();
    settings.limits.retry.max_attempts = 2;
    let mut c = AsanaConnector::new(settings).unwrap();
    c.observe(None).await.unwrap();
    let before = s.emu.requests().len();
    s.emu.inject(
        FaultRule::new(Fault::RateLimited { retry_after: 1 })
            .times(20)
            .on("POST", "/batch"),
    );
    let changes: Vec<Change> = plan(3, &["draft"], 0)
        .into_iter()
        .map(|task| Change::CreateTask { task })
        .collect();
    let results = c.apply(&changes).await;
    // Two attempts at the one batch, each told to wait a second; then the cycle gives up and
    // says how long Asana asked to be left alone (the daemon backs off at least that long).
    let batches: Vec<u16> = s.emu.requests()[before..]
        .iter()
        .filter(|r| r.path == "/batch")
        .map(|r| r.status)
        .collect();
    assert_eq!(batches, [429, 429], "one policy, not a loop around it");
    for r in &results {
        assert!(
            matches!(r, Err(ConnectorError::RateLimited { retry_after: Some(w), .. }) if w.as_secs() == 1),
            "{r:?}"
        );
    }
}

#[tokio::test]
async fn concurrent_writes_stay_within_asanas_limit() {
    let s = Setup::new(Mode::Marker).await;
    // Asana allows 15 writes at once; here it allows 3, and so does the connector.
    s.emu.set_concurrency_limits(50, 3);
    let mut settings = s.settings();
    settings.limits.concurrent_writes = 3;
    let mut c = AsanaConnector::new(settings).unwrap();
    let desired = plan(40, &["draft"], 0);
    c.observe(None).await.unwrap();
    let changes: Vec<Change> = desired
        .iter()
        .map(|t| Change::CreateTask { task: t.clone() })
        .collect();
    let results = c.apply(&changes).await;
    assert!(results.iter().all(Result::is_ok));
    assert!(
        s.emu.requests().iter().all(|r| r.status != 429),
        "no request was refused for concurrency"
    );

    // A connector allowed more than Asana accepts is refused some, waits, and still converges.
    let mut settings = s.settings();
    settings.limits.concurrent_writes = 15;
    s.emu.set_concurrency_limits(50, 1);
    let mut eager = AsanaConnector::new(settings).unwrap();
    let more = plan(40, &["review"], 0);
    let obs = converge(&mut eager, &more, 3).await;
    let mut all = desired.clone();
    all.extend(more);
    assert_each_once(&obs, &all);
}

#[tokio::test]
async fn server_errors_and_lost_replies_converge_without_duplicates() {
    let s = Setup::new(Mode::Marker).await;
    let desired = plan(8, &["draft", "review"], 2);
    let mut c = s.connector();
    // The sections exist already, so the faults below hit batches of task creates.
    converge(&mut c, &desired[..2], 2).await;
    let obs = c.observe(c.cursor()).await.unwrap();
    let before = s.emu.task_count();

    // A 500 on one batch of creates: those creates did not happen and are not repeated blindly.
    s.emu.inject(
        FaultRule::new(Fault::Status(500))
            .times(1)
            .on("POST", "/batch"),
    );
    // A reply lost after Asana created the tasks: the next cycle finds them by identity.
    s.emu.inject(
        FaultRule::new(Fault::DropAfterApply)
            .times(1)
            .on("POST", "/batch"),
    );
    let changes: Vec<Change> = desired[2..]
        .iter()
        .map(|t| Change::CreateTask { task: t.clone() })
        .collect();
    let results = c.apply(&changes).await;
    // 14 creates: one batch of 10 refused (500), one of 4 carried out with its answer lost.
    let failed = results.iter().filter(|r| r.is_err()).count();
    assert_eq!(failed, 14, "{results:?}");
    assert_eq!(
        s.emu.task_count(),
        before + 4,
        "the refused batch made nothing, the lost reply's batch made its 4 tasks (and no subtasks)"
    );
    let _ = obs;
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(ConnectorError::is_retryable),
        "{results:?}"
    );

    // 503s on the events feed are retried within the observation.
    s.emu.inject(
        FaultRule::new(Fault::Status(503))
            .times(2)
            .on("GET", "/events"),
    );
    let obs = converge(&mut c, &desired, 3).await;
    assert_each_once(&obs, &desired);
    assert_eq!(
        s.emu.task_count(),
        16 * 3,
        "16 tasks with 2 subtasks each, nothing more"
    );

    // A 500 on a batch of updates (safe to repeat) is retried within the same call.
    s.emu.inject(
        FaultRule::new(Fault::Status(500))
            .times(1)
            .on("POST", "/batch"),
    );
    let done: Vec<Change> = obs
        .tasks
        .iter()
        .map(|t| Change::UpdateTask {
            remote_id: t.remote_id.clone(),
            identity: t.identity.clone().unwrap(),
            context: task("x", "draft", 0, &[]).context,
            fields: None,
            previous: None,
            state: Some(throughline_connector::State::Done),
            unarchive: false,
        })
        .collect();
    let results = c.apply(&done).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let after = c.observe(obs.cursor.clone()).await.unwrap();
    assert!(
        after
            .tasks
            .iter()
            .all(|t| t.state == throughline_connector::State::Done)
    );
}

#[tokio::test]
async fn an_access_token_that_expires_mid_cycle_is_refreshed() {
    let s = Setup::new(Mode::OAuth).await;
    let desired = plan(12, &["draft", "review"], 1);
    let mut c = s.connector();
    let obs = c.observe(None).await.unwrap();
    let before = throughline_asana::oauth::read_token_file(&s.token_file()).unwrap();

    // Between observing and writing, Asana lets the access token lapse.
    s.emu.expire_access_tokens();
    s.emu.clear_requests();
    let changes: Vec<Change> = desired
        .iter()
        .map(|t| Change::CreateTask { task: t.clone() })
        .collect();
    let results = c.apply(&changes).await;
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(Applied::Created { .. }))),
        "{results:?}"
    );
    let log = s.emu.requests();
    assert!(
        log.iter().any(|r| r.status == 401),
        "the old token was refused: {log:?}"
    );
    let after = throughline_asana::oauth::read_token_file(&s.token_file()).unwrap();
    assert_ne!(
        after.access_token, before.access_token,
        "the new access token is kept"
    );
    assert_eq!(after.refresh_token, before.refresh_token);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(s.token_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A restarted process uses the kept token without refreshing.
    s.emu.clear_requests();
    let mut fresh = s.connector();
    let seen = fresh.observe(obs.cursor).await.unwrap();
    assert_each_once(&seen, &desired);
    assert!(s.emu.requests().iter().all(|r| r.status != 401));
}

#[tokio::test]
async fn a_revoked_sign_in_says_to_sign_in_again() {
    let s = Setup::new(Mode::OAuth).await;
    let mut token = throughline_asana::oauth::read_token_file(&s.token_file()).unwrap();
    token.refresh_token = "1/0:stale-refresh-value".into();
    token.access_token = None;
    throughline_asana::oauth::write_token_file(&s.token_file(), &token).unwrap();
    let err = s.connector().observe(None).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    assert!(err.to_string().contains("throughline auth asana"), "{err}");
    assert!(
        !err.to_string().contains("stale-refresh-value"),
        "no secret in the message: {err}"
    );
}

#[tokio::test]
async fn dropped_connections_and_slow_answers_on_reads_are_tried_again() {
    let s = Setup::new(Mode::Marker).await;
    let desired = plan(3, &["draft"], 1);
    let mut settings = s.settings();
    settings.limits.request_timeout = std::time::Duration::from_millis(300);
    let mut c = AsanaConnector::new(settings).unwrap();
    let obs = converge(&mut c, &desired, 2).await;

    s.emu
        .inject(FaultRule::new(Fault::Drop).times(1).on("GET", "/events"));
    s.emu.inject(
        FaultRule::new(Fault::Delay(std::time::Duration::from_secs(2)))
            .times(1)
            .on("GET", "/events"),
    );
    s.emu.clear_requests();
    let before = c.request_counts();
    let again = c
        .observe(obs.cursor.clone())
        .await
        .expect("the reads are repeated");
    assert_each_once(&again, &desired);
    let events: Vec<_> = s
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.path == "/events")
        .collect();
    assert_eq!(
        events[0].status, 0,
        "the first answer was cut off: {events:?}"
    );
    assert_eq!(events.last().unwrap().status, 200);
    let after = c.request_counts();
    let grew = |o: Outcome| after.get("GET", o) - before.get("GET", o);
    assert_eq!(grew(Outcome::Timeout), 1, "the slow answer was given up on");
    assert_eq!(grew(Outcome::Status(200)), 1);
    assert!(grew(Outcome::Status(200)) + grew(Outcome::Failed) + grew(Outcome::Timeout) >= 3);

    // A write whose connection drops before Asana acts is not repeated blindly either: the
    // change fails for this cycle, and the next cycle creates the task once.
    let more = plan(1, &["late"], 0);
    s.emu
        .inject(FaultRule::new(Fault::Drop).times(1).on("POST", "/batch"));
    let results = c
        .apply(&[Change::CreateTask {
            task: more[0].clone(),
        }])
        .await;
    assert!(
        matches!(&results[0], Err(e) if e.is_retryable()),
        "{results:?}"
    );
    let mut all = desired.clone();
    all.extend(more);
    let done = converge(&mut c, &all, 2).await;
    assert_each_once(&done, &all);
}

#[tokio::test]
async fn asanas_own_quota_is_waited_out_as_its_retry_after_says() {
    let s = Setup::new(Mode::Marker).await;
    // Asana allows 4 requests per token in any 2 seconds here (150 a minute on a free plan).
    s.emu
        .set_rate_limit_window(Some(4), std::time::Duration::from_secs(2));
    let desired = plan(3, &["draft", "review"], 2);
    let mut c = s.connector();
    let obs = converge(&mut c, &desired, 2).await;
    assert_each_once(&obs, &desired);
    let refused = s.emu.requests().iter().filter(|r| r.status == 429).count();
    assert!(refused > 0, "the quota must have been hit");
    let after = c.request_counts();
    assert_eq!(
        after.get("POST", Outcome::Status(429)) + after.get("GET", Outcome::Status(429)),
        refused as u64
    );
}

#[tokio::test]
async fn a_wrong_project_is_named_with_what_to_check() {
    let s = Setup::new(Mode::Marker).await;
    let mut settings = s.settings();
    settings.project = "1999999999999999".into();
    let err = AsanaConnector::new(settings)
        .unwrap()
        .observe(None)
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::NotFound { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("project 1999999999999999 of target `managers`"),
        "{text}"
    );
    assert!(text.contains("check `project` and `workspace`"), "{text}");

    let mut settings = s.settings();
    settings.project = "https://app.asana.com/0/123/list".into();
    let err = AsanaConnector::new(settings).err().expect("not a gid");
    assert!(err.to_string().contains("is not an Asana gid"), "{err}");
}
