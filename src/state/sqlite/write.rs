//! One batch written inside the caller's transaction, one step per kind of change.

use std::path::Path;

use rusqlite::{Connection, params};
use throughline_connector::{Identity, State};

use super::{KindCol, Nanos, StateCol, insight, is_foreign_key, sql};
use crate::state::{Batch, Event, Intent, Link, StateError, StatusRecord};

pub(super) fn write_batch(tx: &Connection, path: &Path, batch: &Batch) -> Result<(), StateError> {
    if !batch.put_links.is_empty() {
        put_links(tx, path, &batch.put_links)?;
    }
    if !batch.add_intents.is_empty() {
        add_intents(tx, path, &batch.add_intents)?;
    }
    if !batch.clear_intents.is_empty() {
        clear_intents(tx, path, &batch.clear_intents)?;
    }
    if !batch.statuses.is_empty() {
        record_statuses(tx, path, &batch.statuses)?;
    }
    if !batch.events.is_empty() {
        record_events(tx, path, &batch.events)?;
    }
    set_cursors(tx, path, &batch.cursors)?;
    set_overrides(tx, path, &batch.overrides)
}

/// The error of one step; the transaction rolls back, so nothing of the batch is kept.
fn failed(path: &Path, what: String) -> impl FnOnce(rusqlite::Error) -> StateError + '_ {
    move |e: rusqlite::Error| {
        let mut error = sql(path, what)(e);
        if let StateError::Sql { message, .. } = &mut error {
            message.push_str("; nothing of this step was recorded");
        }
        error
    }
}

fn put_links(tx: &Connection, path: &Path, links: &[Link]) -> Result<(), StateError> {
    let mut put = tx
        .prepare_cached(
            "INSERT INTO links (target, identity, parent, remote_id, pushed, pulled,
                                remote_version, archived, updated_at, pulled_reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (target, identity) DO UPDATE SET
                parent = excluded.parent, remote_id = excluded.remote_id,
                pushed = excluded.pushed, pulled = excluded.pulled,
                pulled_reason = excluded.pulled_reason,
                remote_version = excluded.remote_version, archived = excluded.archived,
                updated_at = excluded.updated_at",
        )
        .map_err(failed(path, "preparing to record links".into()))?;
    // Tasks before entries, so the foreign key finds an entry's task in the same batch
    // whatever order the batch lists them in.
    let tasks = links.iter().filter(|link| link.parent.is_none());
    let entries = links.iter().filter(|link| link.parent.is_some());
    for link in tasks.chain(entries) {
        put.execute(params![
            link.target,
            link.identity,
            link.parent,
            link.remote_id,
            link.pushed,
            link.pulled.map(StateCol),
            link.remote_version,
            link.archived,
            Nanos(link.updated_at),
            // Only a blocked status has a reason (a CHECK of the table).
            link.pulled_reason
                .as_deref()
                .filter(|_| link.pulled == Some(State::Blocked)),
        ])
        .map_err(|e| {
            let what = match &link.parent {
                Some(parent) if is_foreign_key(&e) => format!(
                    "cannot record the link of {:?} in target {:?}: its task {parent:?} has no link in that target",
                    link.identity, link.target
                ),
                _ => format!(
                    "cannot record the link of {:?} in target {:?}",
                    link.identity, link.target
                ),
            };
            failed(path, what)(e)
        })?;
    }
    insight::record_planned(tx, links).map_err(failed(
        path,
        "cannot record the tasks' planned dates".into(),
    ))
}

fn add_intents(tx: &Connection, path: &Path, intents: &[Intent]) -> Result<(), StateError> {
    // A repeated intent keeps its first time: that is when the create may have gone out.
    let mut add = tx
        .prepare_cached(
            "INSERT INTO intents (target, identity, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (target, identity) DO NOTHING",
        )
        .map_err(failed(path, "preparing to record intents".into()))?;
    for intent in intents {
        add.execute(params![
            intent.target,
            intent.identity,
            Nanos(intent.created_at)
        ])
        .map_err(failed(
            path,
            format!(
                "cannot record the intent to create {:?} in target {:?}",
                intent.identity, intent.target
            ),
        ))?;
    }
    Ok(())
}

fn clear_intents(
    tx: &Connection,
    path: &Path,
    intents: &[(String, Identity)],
) -> Result<(), StateError> {
    let mut clear = tx
        .prepare_cached("DELETE FROM intents WHERE target = ?1 AND identity = ?2")
        .map_err(failed(path, "preparing to clear intents".into()))?;
    for (target, identity) in intents {
        clear.execute(params![target, identity]).map_err(failed(
            path,
            format!("cannot clear the intent to create {identity:?} in target {target:?}"),
        ))?;
    }
    Ok(())
}

fn record_statuses(
    tx: &Connection,
    path: &Path,
    statuses: &[StatusRecord],
) -> Result<(), StateError> {
    let mut history = tx
        .prepare_cached(
            "INSERT INTO status_history (identity, state, source_target, source_person, at,
                                         reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(failed(path, "preparing to record statuses".into()))?;
    // The last one recorded is current, whatever its time: which status wins is the
    // engine's decision (conflict policy), not the store's.
    let mut current = tx
        .prepare_cached(
            "INSERT INTO status (identity, state, source_target, source_person, at, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (identity) DO UPDATE SET
                state = excluded.state, reason = excluded.reason,
                source_target = excluded.source_target,
                source_person = excluded.source_person, at = excluded.at",
        )
        .map_err(failed(path, "preparing to record statuses".into()))?;
    for status in statuses {
        let row = params![
            status.identity,
            StateCol(status.state),
            status.source_target,
            status.source_person,
            Nanos(status.at),
            status
                .reason
                .as_deref()
                .filter(|_| status.state == State::Blocked),
        ];
        history
            .execute(row)
            .and_then(|_| current.execute(row))
            .map_err(failed(
                path,
                format!("cannot record the status of {:?}", status.identity),
            ))?;
    }
    Ok(())
}

fn record_events(tx: &Connection, path: &Path, events: &[Event]) -> Result<(), StateError> {
    let mut add = tx
        .prepare_cached(
            "INSERT INTO events (kind, target, identity, detail, resolution, person, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(failed(path, "preparing to record events".into()))?;
    for event in events {
        add.execute(params![
            KindCol(event.kind),
            event.target,
            event.identity,
            event.detail,
            event.resolution,
            event.person,
            Nanos(event.at),
        ])
        .map_err(failed(
            path,
            format!("cannot record the event {:?}", event.detail),
        ))?;
    }
    Ok(())
}

fn set_cursors(
    tx: &Connection,
    path: &Path,
    cursors: &[(String, Option<serde_json::Value>)],
) -> Result<(), StateError> {
    for (target, value) in cursors {
        let result = match value {
            Some(value) => tx
                .prepare_cached(
                    "INSERT INTO cursors (target, value) VALUES (?1, ?2)
                     ON CONFLICT (target) DO UPDATE SET value = excluded.value",
                )
                .and_then(|mut stmt| stmt.execute(params![target, value.to_string()])),
            None => tx
                .prepare_cached("DELETE FROM cursors WHERE target = ?1")
                .and_then(|mut stmt| stmt.execute([target])),
        };
        result.map_err(failed(
            path,
            format!("cannot record the cursor of target {target:?}"),
        ))?;
    }
    Ok(())
}

fn set_overrides(
    tx: &Connection,
    path: &Path,
    overrides: &[(Identity, String, Option<String>)],
) -> Result<(), StateError> {
    for (identity, field, value) in overrides {
        let result = match value {
            Some(value) => tx
                .prepare_cached(
                    "INSERT INTO overrides (identity, field, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (identity, field) DO UPDATE SET value = excluded.value",
                )
                .and_then(|mut stmt| stmt.execute(params![identity, field, value])),
            None => tx
                .prepare_cached("DELETE FROM overrides WHERE identity = ?1 AND field = ?2")
                .and_then(|mut stmt| stmt.execute(params![identity, field])),
        };
        result.map_err(failed(
            path,
            format!("cannot record the accepted value of {field:?} for {identity:?}"),
        ))?;
    }
    Ok(())
}
