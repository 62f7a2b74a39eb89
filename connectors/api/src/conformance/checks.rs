//! What the cases check with: applying and observing with located failures, and the
//! comparisons of what was sent with what came back.

use jiff::civil::Date;

use crate::identity::Identity;
use crate::{
    Applied, Capabilities, Change, Connector, DesiredTask, Observation, ObservedEntry,
    ObservedTask, RemoteId, State, TaskContext, TaskFields,
};

pub(super) fn fail(case: &str, message: impl std::fmt::Display) -> ! {
    panic!("conformance case `{case}` failed: {message}")
}

pub(super) fn ensure(case: &str, ok: bool, message: impl std::fmt::Display) {
    if !ok {
        fail(case, message)
    }
}

pub(super) async fn observe<C: Connector>(
    case: &str,
    c: &mut C,
    cursor: Option<serde_json::Value>,
) -> Observation {
    c.observe(cursor)
        .await
        .unwrap_or_else(|e| fail(case, format!("observe of `{}` failed: {e}", c.target())))
}

/// Observe, then apply (as the engine does); every change must succeed.
pub(super) async fn apply_ok<C: Connector>(
    case: &str,
    c: &mut C,
    changes: &[Change],
) -> Vec<Applied> {
    let _ = observe(case, c, None).await;
    let results = c.apply(changes).await;
    ensure(
        case,
        results.len() == changes.len(),
        format!("{} changes gave {} results", changes.len(), results.len()),
    );
    results
        .into_iter()
        .zip(changes)
        .map(|(r, change)| {
            r.unwrap_or_else(|e| {
                fail(
                    case,
                    format!("{:?} of `{}` failed: {e}", change.kind(), change.identity()),
                )
            })
        })
        .collect()
}

pub(super) async fn create<C: Connector>(case: &str, c: &mut C, task: &DesiredTask) -> RemoteId {
    let applied = apply_ok(case, c, &[Change::CreateTask { task: task.clone() }]).await;
    match applied.into_iter().next() {
        Some(Applied::Created { remote_id, .. }) => remote_id,
        other => fail(
            case,
            format!("CreateTask of `{}` returned {other:?}", task.identity),
        ),
    }
}

/// Bring a task's fields to `task.fields`; the state stays.
pub(super) fn update_fields(task: &DesiredTask, remote_id: &str, previous: TaskFields) -> Change {
    Change::UpdateTask {
        remote_id: remote_id.to_owned(),
        identity: task.identity.clone(),
        context: task.context.clone(),
        fields: Some(task.fields.clone()),
        previous: Some(previous),
        state: None,
        unarchive: false,
    }
}

/// Set a task's state; the fields stay.
pub(super) fn update_state(task: &DesiredTask, remote_id: &str, state: State) -> Change {
    Change::UpdateTask {
        remote_id: remote_id.to_owned(),
        identity: task.identity.clone(),
        context: task.context.clone(),
        fields: None,
        previous: None,
        state: Some(state),
        unarchive: false,
    }
}

pub(super) fn expect_updated(case: &str, applied: &Applied) {
    ensure(
        case,
        matches!(applied, Applied::Updated { .. }),
        format!("an update returned {applied:?}, not Updated"),
    );
}

/// The one task with this identity.
pub(super) fn one<'o>(case: &str, obs: &'o Observation, identity: &str) -> &'o ObservedTask {
    let mut found = obs
        .tasks
        .iter()
        .filter(|t| t.identity.as_deref() == Some(identity));
    let task = found.next().unwrap_or_else(|| {
        fail(
            case,
            format!("no observed task carries identity `{identity}`"),
        )
    });
    let more = found.count();
    ensure(
        case,
        more == 0,
        format!("{} observed tasks carry identity `{identity}`", more + 1),
    );
    task
}

pub(super) fn entry<'o>(case: &str, task: &'o ObservedTask, identity: &str) -> &'o ObservedEntry {
    let mut found = task
        .entries
        .iter()
        .filter(|e| e.identity.as_deref() == Some(identity));
    let e = found.next().unwrap_or_else(|| {
        let ids: Vec<_> = task.entries.iter().map(|e| &e.identity).collect();
        fail(
            case,
            format!(
                "task `{:?}` has no entry `{identity}`; its entries: {ids:?}",
                task.identity
            ),
        )
    });
    ensure(
        case,
        found.count() == 0,
        format!("entry `{identity}` is there more than once"),
    );
    e
}

/// The observed task matches what was sent, as the tool can hold it; its live entries are the
/// sent ones, in order.
pub(super) fn expect_task<'o>(
    case: &str,
    caps: &Capabilities,
    obs: &'o Observation,
    task: &DesiredTask,
) -> &'o ObservedTask {
    let id = &task.identity;
    let seen = one(case, obs, id);
    ensure(
        case,
        !seen.archived,
        format!("`{id}` is observed as archived"),
    );
    let want = caps.task_fields(&task.fields);
    ensure(
        case,
        seen.fields == want,
        format!(
            "fields of `{id}` do not round-trip:\n  sent     {want:?}\n  observed {:?}",
            seen.fields
        ),
    );
    let state = caps.state(task.state);
    ensure(
        case,
        seen.state == state,
        format!(
            "state of `{id}`: sent {} (held as {state}), observed {}",
            task.state, seen.state
        ),
    );
    let live: Vec<&ObservedEntry> = seen.entries.iter().filter(|e| !e.archived).collect();
    let live_ids: Vec<Option<&str>> = live.iter().map(|e| e.identity.as_deref()).collect();
    let want_ids: Vec<Option<&str>> = task
        .entries
        .iter()
        .map(|e| Some(e.identity.as_str()))
        .collect();
    ensure(
        case,
        live_ids == want_ids,
        format!("entries of `{id}`: sent {want_ids:?}, observed {live_ids:?} (in this order)"),
    );
    for (sent, got) in task.entries.iter().zip(&live) {
        let want = caps.entry_fields(&sent.fields);
        ensure(
            case,
            got.fields == want,
            format!(
                "fields of entry `{}` do not round-trip:\n  sent     {want:?}\n  observed {:?}",
                sent.identity, got.fields
            ),
        );
        ensure(
            case,
            got.checked == sent.checked,
            format!(
                "entry `{}`: sent checked = {}, observed {}",
                sent.identity, sent.checked, got.checked
            ),
        );
    }
    seen
}

/// Two observations hold the same tasks (order aside).
pub(super) fn same_tasks(case: &str, what: &str, a: &Observation, b: &Observation) {
    let sorted = |o: &Observation| {
        let mut tasks = o.tasks.clone();
        tasks.sort_by(|x, y| x.remote_id.cmp(&y.remote_id));
        tasks
    };
    let (a, b) = (sorted(a), sorted(b));
    ensure(
        case,
        a.len() == b.len(),
        format!(
            "{what}: {} tasks observed before, {} after",
            a.len(),
            b.len()
        ),
    );
    for (x, y) in a.iter().zip(&b) {
        ensure(
            case,
            x == y,
            format!("{what} changed the observation:\n  before {x:?}\n  after  {y:?}"),
        );
    }
}

/// The context of the suite's sample tasks: a Hebrew process in Jerusalem time.
/// The identity of the entry `key` of the suite's `task`.
pub(super) fn entry_of(task: &DesiredTask, key: &str) -> String {
    Identity::parse(&task.identity)
        .expect("the suite's tasks have `item/stage` identities")
        .with_key(key)
        .to_string()
}

pub(super) fn sample_context(item: &str, stage: &str, position: u64) -> TaskContext {
    TaskContext {
        process: "conformance".to_owned(),
        process_name: "בדיקת תאימות".to_owned(),
        item: item.to_owned(),
        item_title: format!("Item {item}"),
        stage: stage.to_owned(),
        stage_name: format!("Stage {stage}"),
        role: "writer".to_owned(),
        golive: Some(Date::constant(2025, 1, 1)),
        channel: None,
        timezone: "Asia/Jerusalem".to_owned(),
        rtl: true,
        position,
        blocked_reason: None,
    }
}
