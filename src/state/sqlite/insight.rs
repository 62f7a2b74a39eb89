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

/// The dates a link's pushed fields carry (`start`, `due`), when it is a task's.
fn pushed_dates(link: &crate::state::Link) -> Option<(Option<String>, Option<String>)> {
    if link.parent.is_some() {
        return None;
    }
    let pushed: serde_json::Value = serde_json::from_str(link.pushed.as_deref()?).ok()?;
    // The engine keeps `{"fields": {…}}`; a bare object of fields reads the same.
    let fields = pushed.get("fields").unwrap_or(&pushed);
    let date = |key: &str| fields.get(key).and_then(|v| v.as_str()).map(str::to_string);
    let (start, due) = (date("start"), date("due"));
    (start.is_some() || due.is_some()).then_some((start, due))
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
        let Some((start, due)) = pushed_dates(link) else {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Batch, Link, StateStore};

    #[test]
    fn planned_dates_are_kept_when_they_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut store = SqliteStore::open(&path).unwrap();
        let link = |target: &str, id: &str, due: &str, at: &str| Link {
            target: target.into(),
            identity: id.into(),
            parent: None,
            remote_id: format!("{target}-{id}"),
            pushed: Some(format!(
                r#"{{"fields":{{"title":"t","start":"2026-11-02","due":"{due}","owner":null}}}}"#
            )),
            pulled: None,
            pulled_reason: None,
            remote_version: None,
            archived: false,
            updated_at: at.parse().unwrap(),
        };
        let batches = [
            // Two targets push the same first plan; then the due date moves twice, once back.
            vec![
                link("xl", "a/copy", "2026-11-04", "2026-11-01T09:00:00Z"),
                link("trello", "a/copy", "2026-11-04", "2026-11-01T09:00:00Z"),
            ],
            vec![link("xl", "a/copy", "2026-11-04", "2026-11-02T09:00:00Z")],
            vec![link("xl", "a/copy", "2026-11-06", "2026-11-03T09:00:00Z")],
            vec![link("xl", "a/copy", "2026-11-04", "2026-11-04T09:00:00Z")],
        ];
        for put_links in batches {
            store
                .commit(Batch {
                    put_links,
                    ..Default::default()
                })
                .unwrap();
        }
        let dues: Vec<String> = store
            .planned_history()
            .unwrap()
            .iter()
            .map(|p| p.due.unwrap().to_string())
            .collect();
        assert_eq!(dues, ["2026-11-04", "2026-11-06", "2026-11-04"]);
    }

    #[test]
    fn metric_values_and_snoozes_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let at = |s: &str| -> Timestamp { s.parse().unwrap() };
        {
            let mut store = SqliteStore::open(&path).unwrap();
            for (value, when, note) in [
                (31.5, "2027-03-18T09:00:00Z", None),
                (12.0, "2027-03-11T09:00:00Z", Some("first count")),
            ] {
                let v = MetricValue {
                    metric: "active".into(),
                    value,
                    at: at(when),
                    note: note.map(Into::into),
                };
                store.record_metric(&v, at("2027-03-20T10:00:00Z")).unwrap();
            }
            let s = |until: &str| Snooze {
                id: "late-stage/launch/approval".into(),
                until: until.parse().unwrap(),
                at: at("2027-03-20T10:00:00Z"),
            };
            store.snooze(&s("2027-04-01")).unwrap();
            store.snooze(&s("2027-04-15")).unwrap();
        }
        let store = SqliteStore::open_read_only(&path).unwrap();
        let values: Vec<(f64, Option<String>)> = store
            .metric_values()
            .unwrap()
            .into_iter()
            .map(|v| (v.value, v.note))
            .collect();
        // Oldest measurement first, whatever order they were recorded in.
        assert_eq!(values, [(12.0, Some("first count".into())), (31.5, None)]);
        let snoozes = store.snoozes().unwrap();
        assert_eq!(snoozes.len(), 1);
        assert_eq!(snoozes[0].until.to_string(), "2027-04-15");
        // Read only: nothing can be written.
        let mut ro = store;
        assert!(
            ro.snooze(&snoozes[0])
                .unwrap_err()
                .to_string()
                .contains("read")
        );
    }
}
