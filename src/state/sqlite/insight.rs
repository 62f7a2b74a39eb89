//! What `report` keeps besides status history: measured values of success metrics and the
//! recommendations a person snoozed.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{Nanos, SqliteStore, sql};
use crate::state::StateError;

/// One measured value of a success metric.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricValue {
    pub metric: String,
    pub value: f64,
    /// When it was measured (`--at`, else when it was recorded).
    pub at: Timestamp,
    pub note: Option<String>,
}

/// A recommendation hidden until a day.
#[derive(Debug, Clone, PartialEq)]
pub struct Snooze {
    pub id: String,
    pub until: jiff::civil::Date,
    pub at: Timestamp,
}

/// A task's planned dates as one push carried them.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedDates {
    pub identity: String,
    pub start: Option<jiff::civil::Date>,
    pub due: Option<jiff::civil::Date>,
    pub at: Timestamp,
}

/// In the batch's transaction: a row for each task whose pushed start or due date differs from
/// the last one recorded (several targets pushing the same dates record them once).
pub(super) fn record_planned(
    tx: &rusqlite::Connection,
    links: &[crate::state::Link],
) -> rusqlite::Result<()> {
    let mut last = tx.prepare_cached(
        "SELECT start, due FROM planned_history WHERE identity = ?1 ORDER BY seq DESC LIMIT 1",
    )?;
    let mut add = tx.prepare_cached(
        "INSERT INTO planned_history (identity, start, due, at) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for link in links {
        let Some((start, due)) = link.pushed_dates() else {
            continue;
        };
        let before: Option<(Option<String>, Option<String>)> = last
            .query_row(params![link.identity.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        if before.as_ref() != Some(&(start.clone(), due.clone())) {
            add.execute(params![
                link.identity.to_string(),
                start,
                due,
                Nanos(link.updated_at)
            ])?;
        }
    }
    Ok(())
}

impl SqliteStore {
    /// Every task's planned dates as they were pushed, by task, oldest first.
    pub fn planned_history(&self) -> Result<Vec<PlannedDates>, StateError> {
        let failed = || sql(&self.path, "cannot read the planned dates' history");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT identity, start, due, at FROM planned_history ORDER BY identity, seq",
            )
            .map_err(failed())?;
        let date = |s: Option<String>| s.and_then(|s| s.parse().ok());
        let rows = stmt
            .query_map([], |r| {
                Ok(PlannedDates {
                    identity: r.get(0)?,
                    start: date(r.get(1)?),
                    due: date(r.get(2)?),
                    at: r.get::<_, Nanos>(3)?.0,
                })
            })
            .map_err(failed())?;
        rows.collect::<Result<_, _>>().map_err(failed())
    }

    /// Keep a measured value (every value stays: the report draws them over time).
    pub fn record_metric(&mut self, v: &MetricValue, now: Timestamp) -> Result<(), StateError> {
        if self.lock.is_none() {
            return Err(self.read_only_error());
        }
        self.conn
            .execute(
                "INSERT INTO metric_values (metric, value, at, note, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![v.metric, v.value, Nanos(v.at), v.note, Nanos(now)],
            )
            .map(drop)
            .map_err(sql(
                &self.path,
                format_args!("cannot record the value of metric {:?}", v.metric),
            ))
    }

    /// Every value, by metric, oldest measurement first.
    pub fn metric_values(&self) -> Result<Vec<MetricValue>, StateError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT metric, value, at, note FROM metric_values ORDER BY metric, at, seq",
            )
            .map_err(sql(&self.path, "cannot read the metrics' values"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(MetricValue {
                    metric: r.get(0)?,
                    value: r.get(1)?,
                    at: r.get::<_, Nanos>(2)?.0,
                    note: r.get(3)?,
                })
            })
            .map_err(sql(&self.path, "cannot read the metrics' values"))?;
        rows.collect::<Result<_, _>>()
            .map_err(sql(&self.path, "cannot read the metrics' values"))
    }

    /// Hide recommendation `id` until `until` (a later snooze of the same id replaces it).
    pub fn snooze(&mut self, s: &Snooze) -> Result<(), StateError> {
        if self.lock.is_none() {
            return Err(self.read_only_error());
        }
        self.conn
            .execute(
                "INSERT INTO snoozes (recommendation, until, at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (recommendation) DO UPDATE SET until = excluded.until,
                     at = excluded.at",
                params![s.id, s.until.to_string(), Nanos(s.at)],
            )
            .map(drop)
            .map_err(sql(
                &self.path,
                format_args!("cannot snooze recommendation {:?}", s.id),
            ))
    }

    pub fn snoozes(&self) -> Result<Vec<Snooze>, StateError> {
        let failed = || sql(&self.path, "cannot read the snoozed recommendations");
        let mut stmt = self
            .conn
            .prepare_cached("SELECT recommendation, until, at FROM snoozes ORDER BY recommendation")
            .map_err(failed())?;
        let rows = stmt
            .query_map([], |r| {
                let until: String = r.get(1)?;
                let until = until.parse().map_err(|e: jiff::Error| {
                    rusqlite::Error::FromSqlConversionFailure(
                        1,
                        rusqlite::types::Type::Text,
                        e.into(),
                    )
                })?;
                Ok(Snooze {
                    id: r.get(0)?,
                    until,
                    at: r.get::<_, Nanos>(2)?.0,
                })
            })
            .map_err(failed())?;
        rows.collect::<Result<_, _>>().map_err(failed())
    }
}

// Their tests are the shared store suite's (`src/state/conformance.rs`), run on both stores.
