//! [`StateStore`] for [`PostgresStore`]: the same queries as SQLite's, in the same orders.

use jiff::Timestamp;
use postgres::Row;
use postgres::types::ToSql;

use super::write::write_batch;
use super::{
    Failure, PostgresStore, identity, nanos, nanos_clamped, parse_kind, parse_state, timestamp,
};
use crate::state::{
    Action, Batch, Event, Forgotten, Handoff, Intent, Link, MetricValue, PlannedDates, Snooze,
    StateError, StateStore, StatusRecord,
};

const STATUS_COLUMNS: &str = "identity, state, source_target, source_person, at, reason";

fn status_from_row(row: &Row) -> StatusRecord {
    StatusRecord {
        identity: identity(row, 0),
        state: parse_state(row.get(1)),
        source_target: row.get(2),
        source_person: row.get(3),
        at: timestamp(row, 4),
        reason: row.get(5),
    }
}

fn link_from_row(row: &Row) -> Link {
    Link {
        target: row.get(0),
        identity: identity(row, 1),
        parent: row.get(2),
        remote_id: row.get(3),
        pushed: row.get(4),
        pulled: row.get::<_, Option<&str>>(5).map(parse_state),
        remote_version: row.get(6),
        archived: row.get(7),
        updated_at: timestamp(row, 8),
        pulled_reason: row.get(9),
    }
}

fn event_from_row(row: &Row) -> Event {
    Event {
        kind: parse_kind(row.get(0)),
        target: row.get(1),
        identity: row.get(2),
        detail: row.get(3),
        resolution: row.get(4),
        person: row.get(5),
        at: timestamp(row, 6),
    }
}

/// Hide a recommendation until a day (a later snooze of the same id replaces it).
fn upsert_snooze(tx: &mut postgres::Transaction<'_>, s: &Snooze) -> Result<(), Failure> {
    tx.execute(
        "INSERT INTO snoozes (recommendation, until, at) VALUES ($1, $2, $3)
         ON CONFLICT (recommendation) DO UPDATE SET until = excluded.until, at = excluded.at",
        &[&s.id, &s.until.to_string(), &nanos(s.at)?],
    )?;
    Ok(())
}

impl PostgresStore {
    /// Every row of one query, each turned into a value by `map`.
    fn rows<T: Send>(
        &self,
        what: &str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        map: fn(&Row) -> T,
    ) -> Result<Vec<T>, StateError> {
        self.read(what, |client| {
            Ok(client.query(sql, params)?.iter().map(map).collect())
        })
    }

    /// Every task's planned dates as they were pushed, by task, oldest first.
    pub fn planned_history(&self) -> Result<Vec<PlannedDates>, StateError> {
        self.rows(
            "the planned dates' history",
            "SELECT identity, start, due, at FROM planned_history ORDER BY identity, seq",
            &[],
            |row| {
                let date = |s: Option<String>| s.and_then(|s| s.parse().ok());
                PlannedDates {
                    identity: row.get(0),
                    start: date(row.get(1)),
                    due: date(row.get(2)),
                    at: timestamp(row, 3),
                }
            },
        )
    }

    /// Every value, by metric, oldest measurement first.
    pub fn metric_values(&self) -> Result<Vec<MetricValue>, StateError> {
        self.rows(
            "the metrics' values",
            "SELECT metric, value, at, note FROM metric_values ORDER BY metric, at, seq",
            &[],
            |row| MetricValue {
                metric: row.get(0),
                value: row.get(1),
                at: timestamp(row, 2),
                note: row.get(3),
            },
        )
    }

    /// Hide recommendation `id` until `until` (a later snooze of the same id replaces it).
    pub fn snooze(&mut self, s: &Snooze) -> Result<(), StateError> {
        self.write(
            format_args!("cannot snooze recommendation {:?}", s.id),
            |tx, _| upsert_snooze(tx, s),
        )
    }

    /// The snoozed recommendations, by id.
    pub fn snoozes(&self) -> Result<Vec<Snooze>, StateError> {
        let rows = self.rows(
            "the snoozed recommendations",
            "SELECT recommendation, until, at FROM snoozes ORDER BY recommendation",
            &[],
            |row| {
                (
                    row.get::<_, String>(0),
                    row.get::<_, String>(1),
                    timestamp(row, 2),
                )
            },
        )?;
        rows.into_iter()
            .map(|(id, until, at)| {
                let until = until.parse().map_err(|e| StateError::Corrupt {
                    path: self.name(),
                    message: format!("the snooze of {id:?} has no valid day ({e})"),
                })?;
                Ok(Snooze { id, until, at })
            })
            .collect()
    }

    /// One `(key, value, updated_at)` upsert: the webhook secrets and calendar tokens.
    fn keep_keyed(
        &mut self,
        upsert: &'static str,
        [key, value]: [&str; 2],
        at: Timestamp,
        what: std::fmt::Arguments<'_>,
    ) -> Result<(), StateError> {
        self.write(what, |tx, _| {
            tx.execute(upsert, &[&key, &value, &nanos(at)?])?;
            Ok(())
        })
    }
}

impl StateStore for PostgresStore {
    fn record_action(
        &mut self,
        action: &Action,
        statuses: &[StatusRecord],
        snooze: Option<&Snooze>,
    ) -> Result<(), StateError> {
        let what = format!(
            "recording the dashboard action {:?} of {:?}",
            action.action, action.who
        );
        self.write(what, |tx, name| {
            if !statuses.is_empty() {
                let batch = Batch {
                    statuses: statuses.to_vec(),
                    ..Batch::default()
                };
                write_batch(tx, name, &batch)?;
            }
            if let Some(s) = snooze {
                upsert_snooze(tx, s)?;
            }
            tx.execute(
                "INSERT INTO actions (action, who, subject, detail, at) VALUES ($1, $2, $3, $4, $5)",
                &[
                    &action.action,
                    &action.who,
                    &action.subject,
                    &action.detail,
                    &nanos(action.at)?,
                ],
            )?;
            Ok(())
        })
    }

    fn actions(&self, since: Option<Timestamp>) -> Result<Vec<Action>, StateError> {
        let since = since.map_or(i64::MIN, nanos_clamped);
        self.rows(
            "the dashboard's actions",
            "SELECT action, who, subject, detail, at FROM actions WHERE at >= $1 ORDER BY seq",
            &[&since],
            |row| Action {
                action: row.get(0),
                who: row.get(1),
                subject: row.get(2),
                detail: row.get(3),
                at: timestamp(row, 4),
            },
        )
    }

    fn links(&self, target: &str) -> Result<Vec<Link>, StateError> {
        self.rows(
            "links",
            "SELECT target, identity, parent, remote_id, pushed, pulled, remote_version,
                    archived, updated_at, pulled_reason
             FROM links WHERE target = $1 ORDER BY identity",
            &[&target],
            link_from_row,
        )
    }

    fn intents(&self, target: &str) -> Result<Vec<Intent>, StateError> {
        self.rows(
            "intents",
            "SELECT target, identity, created_at FROM intents WHERE target = $1 ORDER BY identity",
            &[&target],
            |row| Intent {
                target: row.get(0),
                identity: identity(row, 1),
                created_at: timestamp(row, 2),
            },
        )
    }

    fn statuses(&self) -> Result<Vec<StatusRecord>, StateError> {
        let sql = format!("SELECT {STATUS_COLUMNS} FROM status ORDER BY identity");
        self.rows("statuses", &sql, &[], status_from_row)
    }

    fn status_history(&self, identity: &str) -> Result<Vec<StatusRecord>, StateError> {
        let sql =
            format!("SELECT {STATUS_COLUMNS} FROM status_history WHERE identity = $1 ORDER BY seq");
        self.rows("status history", &sql, &[&identity], status_from_row)
    }

    fn all_status_history(&self) -> Result<Vec<StatusRecord>, StateError> {
        let sql = format!("SELECT {STATUS_COLUMNS} FROM status_history ORDER BY seq");
        self.rows("status history", &sql, &[], status_from_row)
    }

    fn all_metric_values(&self) -> Result<Vec<MetricValue>, StateError> {
        self.metric_values()
    }

    fn record_metric(&mut self, v: &MetricValue, now: Timestamp) -> Result<(), StateError> {
        self.write(
            format_args!("cannot record the value of metric {:?}", v.metric),
            |tx, _| {
                tx.execute(
                    "INSERT INTO metric_values (metric, value, at, note, recorded_at)
                     VALUES ($1, $2, $3, $4, $5)",
                    &[&v.metric, &v.value, &nanos(v.at)?, &v.note, &nanos(now)?],
                )?;
                Ok(())
            },
        )
    }

    fn all_snoozes(&self) -> Result<Vec<Snooze>, StateError> {
        self.snoozes()
    }
    fn snooze(&mut self, s: &Snooze) -> Result<(), StateError> {
        PostgresStore::snooze(self, s)
    }

    fn all_planned_history(&self) -> Result<Vec<PlannedDates>, StateError> {
        self.planned_history()
    }

    /// Events at or after `since` (all of them for `None`), in the order they were recorded.
    fn events(&self, since: Option<Timestamp>) -> Result<Vec<Event>, StateError> {
        // Clamped: a bound outside the stored range still means "all" or "none".
        let since = since.map_or(i64::MIN, nanos_clamped);
        self.rows(
            "events",
            "SELECT kind, target, identity, detail, resolution, person, at FROM events
             WHERE at >= $1 ORDER BY seq",
            &[&since],
            event_from_row,
        )
    }

    fn cursor(&self, target: &str) -> Result<Option<serde_json::Value>, StateError> {
        let text: Option<String> =
            self.read(&format!("the cursor of target {target}"), |client| {
                Ok(client
                    .query_opt("SELECT value FROM cursors WHERE target = $1", &[&target])?
                    .map(|row| row.get(0)))
            })?;
        text.map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|e| StateError::Corrupt {
                path: self.name(),
                message: format!("the cursor of target {target} is not valid JSON: {e}"),
            })
    }

    fn overrides(&self) -> Result<Vec<(String, String, String)>, StateError> {
        self.rows(
            "overrides",
            "SELECT identity, field, value FROM overrides ORDER BY identity, field",
            &[],
            |row| (row.get(0), row.get(1), row.get(2)),
        )
    }

    fn commit(&mut self, batch: Batch) -> Result<(), StateError> {
        if batch.is_empty() && self.fence.is_some() {
            return Ok(());
        }
        self.write("committing", |tx, name| write_batch(tx, name, &batch))
    }

    fn forget_target(&mut self, target: &str) -> Result<Forgotten, StateError> {
        self.write(
            format_args!("forgetting the links of target {target:?}"),
            |tx, _| {
                let mut run = |sql: &str| tx.execute(sql, &[&target]).map(|n| n as usize);
                // Entries before their tasks: an entry's link refers to its task's.
                Ok(Forgotten {
                    entries: run("DELETE FROM links WHERE target = $1 AND parent IS NOT NULL")?,
                    tasks: run("DELETE FROM links WHERE target = $1")?,
                    intents: run("DELETE FROM intents WHERE target = $1")?,
                    cursor: run("DELETE FROM cursors WHERE target = $1")? > 0,
                })
            },
        )
    }

    fn notice_sent(&self, key: &str) -> Result<bool, StateError> {
        self.read(&format!("whether notice {key:?} was sent"), |client| {
            Ok(client
                .query_opt("SELECT 1 FROM notices WHERE key = $1", &[&key])?
                .is_some())
        })
    }

    fn record_notice(&mut self, key: &str, at: Timestamp) -> Result<(), StateError> {
        // The first time sent is kept.
        self.write(
            format_args!("recording that notice {key:?} was sent"),
            |tx, _| {
                tx.execute(
                    "INSERT INTO notices (key, sent_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                    &[&key, &nanos(at)?],
                )?;
                Ok(())
            },
        )
    }

    fn hook_secret(&self, target: &str) -> Result<Option<String>, StateError> {
        self.read(
            &format!("the webhook secret of target {target}"),
            |client| {
                Ok(client
                    .query_opt(
                        "SELECT secret FROM hook_secrets WHERE target = $1",
                        &[&target],
                    )?
                    .map(|row| row.get(0)))
            },
        )
    }

    fn set_hook_secret(
        &mut self,
        target: &str,
        secret: &str,
        at: Timestamp,
    ) -> Result<(), StateError> {
        self.keep_keyed(
            "INSERT INTO hook_secrets (target, secret, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (target) DO UPDATE SET
                secret = excluded.secret, updated_at = excluded.updated_at",
            [target, secret],
            at,
            format_args!("keeping the webhook secret of target {target}"),
        )
    }

    fn handoffs(&self) -> Result<Vec<Handoff>, StateError> {
        self.rows(
            "the handoffs",
            "SELECT identity, owner, ready_at, sent_at FROM handoffs ORDER BY ready_at, identity",
            &[],
            |row| Handoff {
                identity: identity(row, 0),
                owner: row.get(1),
                ready_at: timestamp(row, 2),
                sent_at: row.get::<_, Option<i64>>(3).map(|_| timestamp(row, 3)),
            },
        )
    }

    fn add_handoff(&mut self, handoff: &Handoff) -> Result<bool, StateError> {
        let id = handoff.identity.as_str();
        self.write(format_args!("recording the handoff of {id}"), |tx, _| {
            let sent = handoff.sent_at.map(nanos).transpose()?;
            let added = tx.execute(
                "INSERT INTO handoffs (identity, owner, ready_at, sent_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (identity) DO NOTHING",
                &[&id, &handoff.owner, &nanos(handoff.ready_at)?, &sent],
            )?;
            Ok(added == 1)
        })
    }

    fn handoff_sent(&mut self, identity: &str, at: Timestamp) -> Result<(), StateError> {
        self.write(
            format_args!("recording that the handoff of {identity} was sent"),
            |tx, _| {
                tx.execute(
                    "UPDATE handoffs SET sent_at = $2 WHERE identity = $1 AND sent_at IS NULL",
                    &[&identity, &nanos(at)?],
                )?;
                Ok(())
            },
        )
    }

    fn calendar_tokens(&self) -> Result<Vec<(String, String)>, StateError> {
        self.rows(
            "the calendar tokens",
            "SELECT person, token FROM calendar_tokens ORDER BY person",
            &[],
            |row| (row.get(0), row.get(1)),
        )
    }

    fn set_calendar_token(
        &mut self,
        person: &str,
        token: &str,
        at: Timestamp,
    ) -> Result<(), StateError> {
        self.keep_keyed(
            "INSERT INTO calendar_tokens (person, token, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (person) DO UPDATE SET
                token = excluded.token, updated_at = excluded.updated_at",
            [person, token],
            at,
            format_args!("keeping the calendar token of {person}"),
        )
    }
}
