//! The fake target: people's actions, call counts, faults and snapshots.

use jiff::civil::date;
use throughline_connector::fake::{ChangeFilter, FakeTarget};
use throughline_connector::{
    Applied, Change, ChangeKind, Connector, ConnectorError, DesiredEntry, DesiredTask, EntryFields,
    State, StateSupport, TaskContext, TaskFields,
};

fn task(identity: &str, entries: &[&str]) -> DesiredTask {
    DesiredTask {
        identity: identity.to_owned(),
        fields: TaskFields {
            title: format!("Task {identity}"),
            description: "כתוב טיוטה".to_owned(),
            group: "Draft".to_owned(),
            owner: Some("dana@example.com".to_owned()),
            start: Some(date(2025, 12, 29)),
            due: Some(date(2026, 1, 2)),
        },
        state: State::Doing,
        context: TaskContext::default(),
        entries: entries
            .iter()
            .map(|k| DesiredEntry {
                identity: format!("{identity}/{k}"),
                fields: EntryFields {
                    text: k.to_string(),
                    owner: None,
                    due: None,
                },
                checked: false,
            })
            .collect(),
    }
}

fn create(identity: &str, entries: &[&str]) -> Change {
    Change::CreateTask {
        task: task(identity, entries),
    }
}

fn retryable(message: &str) -> ConnectorError {
    ConnectorError::Retryable {
        message: message.to_owned(),
    }
}

fn created_id(result: &Result<Applied, ConnectorError>) -> String {
    match result {
        Ok(Applied::Created { remote_id, .. }) => remote_id.clone(),
        other => panic!("expected a created object, got {other:?}"),
    }
}

#[tokio::test]
async fn remote_ids_are_deterministic_across_tasks_and_entries() {
    let target = FakeTarget::new("t", StateSupport::Full);
    let mut c = target.connector();
    let results = c
        .apply(&[create("a/x", &["k1", "k2"]), create("b/x", &[])])
        .await;
    assert_eq!(
        results[0],
        Ok(Applied::Created {
            remote_id: "fake-1".into(),
            entries: vec![
                ("a/x/k1".into(), "fake-2".into()),
                ("a/x/k2".into(), "fake-3".into())
            ],
            version: Some("1".into()),
        })
    );
    assert_eq!(created_id(&results[1]), "fake-4");
}

#[tokio::test]
async fn done_or_not_targets_hold_doing_as_todo_and_people_follow_the_same_rule() {
    let target = FakeTarget::new("t", StateSupport::DoneOrNot);
    let mut c = target.connector();
    c.apply(&[create("a/x", &[])]).await;
    assert_eq!(target.snapshot().task("a/x").unwrap().state, State::Todo);
    target.set_state("a/x", State::Done);
    assert_eq!(c.observe(None).await.unwrap().tasks[0].state, State::Done);
    target.set_state("a/x", State::Doing);
    assert_eq!(c.observe(None).await.unwrap().tasks[0].state, State::Todo);
}

#[tokio::test]
async fn person_actions_are_observed_and_attributed() {
    let target = FakeTarget::new("t", StateSupport::Full);
    let mut c = target.connector();
    c.apply(&[create("a/x", &["k"])]).await;
    let before = c.observe(None).await.unwrap().tasks[0].clone();
    assert_eq!(
        before.modified_by, None,
        "throughline's own writes are not a person's"
    );

    target.set_actor(Some("noa@example.com"));
    target.edit_task("a/x", |f| f.title = "Renamed in the tool".into());
    target.check_entry("a/x/k", true);
    let after = c.observe(None).await.unwrap().tasks[0].clone();
    assert_eq!(after.fields.title, "Renamed in the tool");
    assert_eq!(after.modified_by.as_deref(), Some("noa@example.com"));
    assert!(after.modified > before.modified);
    assert_ne!(after.version, before.version);
    assert!(after.entries[0].checked);
    assert_eq!(
        after.entries[0].modified_by.as_deref(),
        Some("noa@example.com")
    );

    target.edit_entry("a/x/k", |f| f.text = "בדיקה".into());
    assert_eq!(
        target.snapshot().task("a/x").unwrap().entries[0]
            .fields
            .text,
        "בדיקה"
    );
    target.archive_task("a/x");
    assert!(target.snapshot().task("a/x").unwrap().archived);
}

#[tokio::test]
async fn deleting_outright_and_foreign_objects() {
    let target = FakeTarget::new("t", StateSupport::Full);
    let mut c = target.connector();
    c.apply(&[create("a/x", &["k"]), create("b/x", &[])]).await;
    assert_eq!(target.delete("a/x/k"), 1);
    assert_eq!(target.delete("b/x"), 1);
    assert_eq!(target.delete("b/x"), 0);
    let foreign = target.add_task(Some("zz/unknown"), TaskFields::default(), State::Todo);
    let plain = target.add_task(None, TaskFields::default(), State::Done);

    let obs = c.observe(None).await.unwrap();
    let ids: Vec<_> = obs
        .tasks
        .iter()
        .map(|t| (t.remote_id.as_str(), t.identity.as_deref()))
        .collect();
    assert_eq!(
        ids,
        [
            ("fake-1", Some("a/x")),
            (foreign.as_str(), Some("zz/unknown")),
            (plain.as_str(), None)
        ]
    );
    assert!(obs.tasks[0].entries.is_empty());

    let update = Change::UpdateTask {
        remote_id: "fake-3".into(),
        identity: "b/x".into(),
        context: TaskContext::default(),
        fields: None,
        previous: None,
        state: Some(State::Done),
        unarchive: false,
    };
    assert!(matches!(
        c.apply(&[update]).await[0],
        Err(ConnectorError::NotFound { .. })
    ));
}

#[tokio::test]
async fn calls_are_counted_by_kind() {
    let target = FakeTarget::new("t", StateSupport::Full);
    let mut c = target.connector();
    c.observe(None).await.unwrap();
    c.apply(&[create("a/x", &[]), create("b/x", &[])]).await;
    let archive = Change::ArchiveTask {
        remote_id: "fake-1".into(),
        identity: "a/x".into(),
        context: TaskContext::default(),
    };
    c.apply(&[archive]).await;
    c.find("a/x").await.unwrap();
    let calls = target.calls();
    assert_eq!(
        (calls.observe, calls.apply, calls.find, calls.total()),
        (1, 2, 1, 4)
    );
    assert_eq!(calls.changes_of(ChangeKind::CreateTask), 2);
    assert_eq!(calls.changes_of(ChangeKind::ArchiveTask), 1);
    assert_eq!(calls.changes_of(ChangeKind::UpdateTask), 0);
    assert_eq!(calls.all_changes(), 3);
    target.reset_calls();
    assert_eq!(target.calls().total(), 0);
    assert_eq!(target.calls_made(), 4);
}

#[tokio::test]
async fn failing_calls_fail_whole_and_change_nothing() {
    let target = FakeTarget::new("t", StateSupport::Full);
    let mut c = target.connector();
    target.fail_next_calls(2, retryable("502 bad gateway"));
    assert_eq!(c.observe(None).await, Err(retryable("502 bad gateway")));
    let results = c.apply(&[create("a/x", &[]), create("b/x", &[])]).await;
    assert_eq!(results, vec![Err(retryable("502 bad gateway")); 2]);
    assert!(target.snapshot().tasks.is_empty());
    assert!(
        c.observe(None).await.is_ok(),
        "only the next two calls fail"
    );

    // Call numbers count every call since the target was made.
    assert_eq!(target.calls_made(), 3);
    target.fail_call(
        5,
        ConnectorError::Auth {
            message: "token revoked".into(),
        },
    );
    assert!(c.observe(None).await.is_ok());
    assert!(matches!(
        c.find("a/x").await,
        Err(ConnectorError::Auth { .. })
    ));
    assert!(c.observe(None).await.is_ok());
}

#[tokio::test]
async fn failing_one_change_leaves_the_rest_of_the_batch() {
    let target = FakeTarget::new("t", StateSupport::Full);
    let mut c = target.connector();
    target.fail_change(ChangeFilter::Identity("b/x".into()), retryable("timeout"));
    let results = c
        .apply(&[create("a/x", &[]), create("b/x", &[]), create("c/x", &[])])
        .await;
    assert!(results[0].is_ok() && results[2].is_ok());
    assert_eq!(results[1], Err(retryable("timeout")));
    assert!(target.snapshot().task("b/x").is_none());
    // Once only.
    assert!(c.apply(&[create("b/x", &[])]).await[0].is_ok());

    target.fail_changes(
        ChangeFilter::Kind(ChangeKind::ArchiveTask),
        retryable("nope"),
    );
    for _ in 0..3 {
        let archive = Change::ArchiveTask {
            remote_id: "fake-1".into(),
            identity: "a/x".into(),
            context: TaskContext::default(),
        };
        assert_eq!(c.apply(&[archive]).await[0], Err(retryable("nope")));
    }
    target.clear_faults();
    assert!(!target.snapshot().task("a/x").unwrap().archived);
}

#[tokio::test]
async fn a_lost_reply_leaves_the_object_behind_and_a_naive_retry_duplicates_it() {
    let target = FakeTarget::new("t", StateSupport::Full);
    let mut c = target.connector();
    target.lose_reply(
        ChangeFilter::Kind(ChangeKind::CreateTask),
        retryable("connection reset"),
    );
    assert_eq!(
        c.apply(&[create("a/x", &["k"])]).await[0],
        Err(retryable("connection reset"))
    );
    assert_eq!(target.remote_id("a/x").as_deref(), Some("fake-1"));
    assert!(target.snapshot().duplicates().is_empty());

    c.apply(&[create("a/x", &["k"])]).await;
    assert_eq!(
        target.snapshot().duplicates(),
        vec!["a/x".to_owned(), "a/x/k".to_owned()]
    );
}

#[tokio::test]
async fn empty_observations_hide_everything_once() {
    let target = FakeTarget::new("t", StateSupport::Full);
    let mut c = target.connector();
    c.apply(&[create("a/x", &[])]).await;
    target.empty_observations(1);
    assert!(c.observe(None).await.unwrap().tasks.is_empty());
    assert_eq!(c.observe(None).await.unwrap().tasks.len(), 1);
    assert_eq!(
        target.snapshot().tasks.len(),
        1,
        "the objects are still there"
    );
}

#[tokio::test]
async fn snapshots_compare_content_across_runs_whatever_the_remote_ids() {
    let one = FakeTarget::new("t", StateSupport::Full);
    let two = FakeTarget::new("t", StateSupport::Full);
    two.add_task(Some("tmp/x"), TaskFields::default(), State::Todo);
    two.delete("tmp/x");
    one.connector()
        .apply(&[create("a/x", &["k"]), create("b/x", &[])])
        .await;
    two.connector()
        .apply(&[create("b/x", &[]), create("a/x", &["k"])])
        .await;
    assert_ne!(
        one.snapshot(),
        two.snapshot(),
        "remote ids and order differ"
    );
    assert_eq!(one.snapshot().content(), two.snapshot().content());

    two.check_entry("a/x/k", true);
    assert_ne!(one.snapshot().content(), two.snapshot().content());
}
