//! Every write, each in one transaction that first checks the lease's epoch (the fence), one
//! step per kind of change as in SQLite's `write.rs`.

use std::fmt::Display;

use postgres::Transaction;
use postgres::types::ToSql;
use throughline_connector::{Identity, State};

use super::{Failure, PostgresStore, is_foreign_key, kind_text, lease, nanos, source_text};
use crate::state::{Batch, Event, Intent, Link, StateError, StatusRecord};

impl PostgresStore {
    /// Runs `f` in a transaction under the fence; anything failing rolls all of it back.
    pub(super) fn write<R: Send>(
        &mut self,
        what: impl Display,
        f: impl FnOnce(&mut Transaction<'_>, &str) -> Result<R, Failure> + Send,
    ) -> Result<R, StateError> {
        let conn = self.conn.get_mut();
        let name = conn.name.clone();
        let Some(fence) = &self.fence else {
            return Err(StateError::Sql {
                path: name,
                message: "this store was opened read-only (for plan or status) and cannot \
                          record anything; this is a bug in throughline, please report it"
                    .to_owned(),
            });
        };
        let (holder, epoch, period) = (fence.holder(), fence.epoch(), fence.period());
        conn.run(|client| {
            let mut tx = client.transaction()?;
            lease::check_fence(&mut tx, &name, holder, epoch, period)?;
            let out = f(&mut tx, &name)?;
            tx.commit()?;
            Ok(out)
        })
        .map_err(|e| e.into_state(&name, what))
    }
}

/// The error of one step, with what it was doing; the transaction rolls back.
fn failed(name: &str, what: String) -> impl FnOnce(Failure) -> Failure + '_ {
    move |e| match e {
        Failure::Sql(e) if e.as_db_error().is_some() => Failure::Store(StateError::Sql {
            path: name.to_owned(),
            message: format!(
                "{what}: {}; nothing of this step was recorded",
                source_text(&e)
            ),
        }),
        Failure::Refused(why) => Failure::Store(StateError::Sql {
            path: name.to_owned(),
            message: format!("{what}: {why}; nothing of this step was recorded"),
        }),
        other => other,
    }
}

pub(super) fn write_batch(
    tx: &mut Transaction<'_>,
    name: &str,
    batch: &Batch,
) -> Result<(), Failure> {
    if !batch.put_links.is_empty() {
        put_links(tx, name, &batch.put_links)?;
    }
    if !batch.add_intents.is_empty() {
        add_intents(tx, name, &batch.add_intents)?;
    }
    for (target, identity) in &batch.clear_intents {
        tx.execute(
            "DELETE FROM intents WHERE target = $1 AND identity = $2",
            &[target, &identity.as_str()],
        )
        .map_err(Failure::from)
        .map_err(failed(
            name,
            format!("cannot clear the intent to create {identity:?} in target {target:?}"),
        ))?;
    }
    if !batch.statuses.is_empty() {
        record_statuses(tx, name, &batch.statuses)?;
    }
    if !batch.events.is_empty() {
        record_events(tx, name, &batch.events)?;
    }
    set_cursors(tx, name, &batch.cursors)?;
    set_overrides(tx, name, &batch.overrides)
}

fn put_links(tx: &mut Transaction<'_>, name: &str, links: &[Link]) -> Result<(), Failure> {
    let put = tx
        .prepare(
            "INSERT INTO links (target, identity, parent, remote_id, pushed, pulled,
                                remote_version, archived, updated_at, pulled_reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (target, identity) DO UPDATE SET
                parent = excluded.parent, remote_id = excluded.remote_id,
                pushed = excluded.pushed, pulled = excluded.pulled,
                pulled_reason = excluded.pulled_reason,
                remote_version = excluded.remote_version, archived = excluded.archived,
                updated_at = excluded.updated_at",
        )
        .map_err(Failure::from)
        .map_err(failed(name, "preparing to record links".into()))?;
    // Tasks before entries, so the foreign key finds an entry's task in the same batch.
    let tasks = links.iter().filter(|link| link.parent.is_none());
    let entries = links.iter().filter(|link| link.parent.is_some());
    for link in tasks.chain(entries) {
        let what = || {
            format!(
                "cannot record the link of {:?} in target {:?}",
                link.identity, link.target
            )
        };
        let result = nanos(link.updated_at).and_then(|updated_at| {
            let parent = link.parent.as_deref();
            let pulled = link.pulled.map(State::as_str);
            // Only a blocked status has a reason (a CHECK of the table).
            let reason = link
                .pulled_reason
                .as_deref()
                .filter(|_| link.pulled == Some(State::Blocked));
            let params: [&(dyn ToSql + Sync); 10] = [
                &link.target,
                &link.identity.as_str(),
                &parent,
                &link.remote_id.as_str(),
                &link.pushed,
                &pulled,
                &link.remote_version,
                &link.archived,
                &updated_at,
                &reason,
            ];
            Ok(tx.execute(&put, &params)?)
        });
        if let Err(e) = result {
            let what = match &link.parent {
                Some(parent) if is_foreign_key(&e) => format!(
                    "cannot record the link of {:?} in target {:?}: its task {parent:?} has no link in that target",
                    link.identity, link.target
                ),
                _ => what(),
            };
            return Err(failed(name, what)(e));
        }
    }
    record_planned(tx, links).map_err(failed(
        name,
        "cannot record the tasks' planned dates".into(),
    ))
}

/// A row of `planned_history` for each task whose pushed dates differ from the last recorded.
fn record_planned(tx: &mut Transaction<'_>, links: &[Link]) -> Result<(), Failure> {
    let last = tx.prepare(
        "SELECT start, due FROM planned_history WHERE identity = $1 ORDER BY seq DESC LIMIT 1",
    )?;
    let add = tx.prepare(
        "INSERT INTO planned_history (identity, start, due, at) VALUES ($1, $2, $3, $4)",
    )?;
    for link in links {
        let Some((start, due)) = link.pushed_dates() else {
            continue;
        };
        let id = link.identity.as_str();
        let before: Option<(Option<String>, Option<String>)> = tx
            .query_opt(&last, &[&id])?
            .map(|row| (row.get(0), row.get(1)));
        if before.as_ref() != Some(&(start.clone(), due.clone())) {
            tx.execute(&add, &[&id, &start, &due, &nanos(link.updated_at)?])?;
        }
    }
    Ok(())
}

fn add_intents(tx: &mut Transaction<'_>, name: &str, intents: &[Intent]) -> Result<(), Failure> {
    // A repeated intent keeps its first time: that is when the create may have gone out.
    let add = tx.prepare(
        "INSERT INTO intents (target, identity, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (target, identity) DO NOTHING",
    )?;
    for intent in intents {
        nanos(intent.created_at)
            .and_then(|at| {
                let params: [&(dyn ToSql + Sync); 3] =
                    [&intent.target, &intent.identity.as_str(), &at];
                Ok(tx.execute(&add, &params)?)
            })
            .map_err(failed(
                name,
                format!(
                    "cannot record the intent to create {:?} in target {:?}",
                    intent.identity, intent.target
                ),
            ))?;
    }
    Ok(())
}

fn record_statuses(
    tx: &mut Transaction<'_>,
    name: &str,
    statuses: &[StatusRecord],
) -> Result<(), Failure> {
    let history = tx.prepare(
        "INSERT INTO status_history (identity, state, source_target, source_person, at, reason)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )?;
    // The last one recorded is current, whatever its time: which status wins is the engine's
    // decision (conflict policy), not the store's.
    let current = tx.prepare(
        "INSERT INTO status (identity, state, source_target, source_person, at, reason)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (identity) DO UPDATE SET
            state = excluded.state, reason = excluded.reason,
            source_target = excluded.source_target,
            source_person = excluded.source_person, at = excluded.at",
    )?;
    for status in statuses {
        nanos(status.at)
            .and_then(|at| {
                let reason = status
                    .reason
                    .as_deref()
                    .filter(|_| status.state == State::Blocked);
                let params: [&(dyn ToSql + Sync); 6] = [
                    &status.identity.as_str(),
                    &status.state.as_str(),
                    &status.source_target,
                    &status.source_person,
                    &at,
                    &reason,
                ];
                tx.execute(&history, &params)?;
                Ok(tx.execute(&current, &params)?)
            })
            .map_err(failed(
                name,
                format!("cannot record the status of {:?}", status.identity),
            ))?;
    }
    Ok(())
}

fn record_events(tx: &mut Transaction<'_>, name: &str, events: &[Event]) -> Result<(), Failure> {
    let add = tx.prepare(
        "INSERT INTO events (kind, target, identity, detail, resolution, person, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )?;
    for event in events {
        nanos(event.at)
            .and_then(|at| {
                let identity = event.identity.as_deref();
                let params: [&(dyn ToSql + Sync); 7] = [
                    &kind_text(event.kind),
                    &event.target,
                    &identity,
                    &event.detail,
                    &event.resolution,
                    &event.person,
                    &at,
                ];
                Ok(tx.execute(&add, &params)?)
            })
            .map_err(failed(
                name,
                format!("cannot record the event {:?}", event.detail),
            ))?;
    }
    Ok(())
}

fn set_cursors(
    tx: &mut Transaction<'_>,
    name: &str,
    cursors: &[(String, Option<serde_json::Value>)],
) -> Result<(), Failure> {
    for (target, value) in cursors {
        let result = match value {
            Some(value) => tx.execute(
                "INSERT INTO cursors (target, value) VALUES ($1, $2)
                 ON CONFLICT (target) DO UPDATE SET value = excluded.value",
                &[target, &value.to_string()],
            ),
            None => tx.execute("DELETE FROM cursors WHERE target = $1", &[target]),
        };
        result.map_err(Failure::from).map_err(failed(
            name,
            format!("cannot record the cursor of target {target:?}"),
        ))?;
    }
    Ok(())
}

fn set_overrides(
    tx: &mut Transaction<'_>,
    name: &str,
    overrides: &[(Identity, String, Option<String>)],
) -> Result<(), Failure> {
    for (identity, field, value) in overrides {
        let id = identity.as_str();
        let result = match value {
            Some(value) => tx.execute(
                "INSERT INTO overrides (identity, field, value) VALUES ($1, $2, $3)
                 ON CONFLICT (identity, field) DO UPDATE SET value = excluded.value",
                &[&id, field, value],
            ),
            None => tx.execute(
                "DELETE FROM overrides WHERE identity = $1 AND field = $2",
                &[&id, field],
            ),
        };
        result.map_err(Failure::from).map_err(failed(
            name,
            format!("cannot record the accepted value of {field:?} for {identity:?}"),
        ))?;
    }
    Ok(())
}
