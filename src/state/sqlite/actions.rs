//! The dashboard's actions (sync now, settle a conflict, accept a drift, snooze a
//! recommendation), each kept with who and when, and the one way the daemon's own dashboard
//! writes while the daemon holds the single-writer lock.

use std::path::Path;

use jiff::Timestamp;
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};

use super::{BUSY_TIMEOUT, Nanos, SCHEMA_VERSION, SqliteStore, check_owner, open_error, sql};
use crate::state::{Action, Batch, Snooze, StateError, StatusRecord};

impl SqliteStore {
    /// A second connection that writes, for the process that already holds the single-writer
    /// lock: the daemon's own dashboard. The lock keeps other *processes* from syncing the same
    /// state; within the daemon, SQLite itself orders the two connections' transactions (each
    /// write takes the database's write lock first and waits up to the busy timeout). Refused
    /// when this process does not hold the lock, or the file is not at this build's schema
    /// (the daemon migrates it when it opens it).
    pub fn open_beside_lock_holder(path: &Path) -> Result<SqliteStore, StateError> {
        let lock = SqliteStore::lock_path(path);
        let holder = std::fs::read_to_string(&lock)
            .ok()
            .and_then(|t| t.trim().parse::<u32>().ok());
        if holder != Some(std::process::id()) {
            return Err(open_error(
                path,
                format!(
                    "only the process holding its lock ({}) may write beside it, and this one does not; stop the other throughline process, or act from the dashboard of the daemon that holds it",
                    lock.display()
                ),
            ));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(sql(path, "setting the busy timeout"))?;
        let version = check_owner(&conn, path)?;
        if version != SCHEMA_VERSION {
            return Err(open_error(
                path,
                format!(
                    "it is at schema {version}, not {SCHEMA_VERSION}; restart the daemon so it upgrades the file"
                ),
            ));
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql(path, "setting synchronous"))?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(sql(path, "enabling foreign keys"))?;
        Ok(SqliteStore {
            conn,
            path: path.to_owned(),
            lock: None,
        })
    }

    /// Whether this store may write: it holds the lock, or it is a connection beside the
    /// holder's (a read-only or in-memory store may not).
    fn writes(&self) -> bool {
        self.lock.is_some()
            || (!self.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true)
                && self.conn.path().is_some_and(|p| !p.is_empty()))
    }

    pub(super) fn record_action_in(
        &mut self,
        action: &Action,
        statuses: &[StatusRecord],
        snooze: Option<&Snooze>,
    ) -> Result<(), StateError> {
        if !self.writes() {
            return Err(self.read_only_error());
        }
        let path = self.path.clone();
        let what = format!(
            "recording the dashboard action {:?} of {:?}",
            action.action, action.who
        );
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(&path, "starting a transaction"))?;
        if !statuses.is_empty() {
            let batch = Batch {
                statuses: statuses.to_vec(),
                ..Batch::default()
            };
            super::write::write_batch(&tx, &path, &batch)?;
        }
        if let Some(s) = snooze {
            tx.execute(
                "INSERT INTO snoozes (recommendation, until, at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (recommendation) DO UPDATE SET until = excluded.until,
                     at = excluded.at",
                params![s.id, s.until.to_string(), Nanos(s.at)],
            )
            .map_err(sql(
                &path,
                format_args!("cannot snooze recommendation {:?}", s.id),
            ))?;
        }
        tx.execute(
            "INSERT INTO actions (action, who, subject, detail, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                action.action,
                action.who,
                action.subject,
                action.detail,
                Nanos(action.at)
            ],
        )
        .map_err(sql(&path, &what))?;
        tx.commit().map_err(sql(&path, &what))
    }

    pub(super) fn actions_since(
        &self,
        since: Option<Timestamp>,
    ) -> Result<Vec<Action>, StateError> {
        self.query(
            "the dashboard's actions",
            "SELECT action, who, subject, detail, at FROM actions
             WHERE ?1 IS NULL OR at >= ?1 ORDER BY seq",
            params![since.map(Nanos)],
            |r| {
                Ok(Action {
                    action: r.get(0)?,
                    who: r.get(1)?,
                    subject: r.get(2)?,
                    detail: r.get(3)?,
                    at: r.get::<_, Nanos>(4)?.0,
                })
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;
    use throughline_connector::State;

    use super::*;
    use crate::state::StateStore;

    fn action(kind: &str, at: i64) -> Action {
        Action {
            action: kind.into(),
            who: "dana".into(),
            subject: "spring-sale/copy".into(),
            detail: "kept studio's done".into(),
            at: Timestamp::from_second(at).unwrap(),
        }
    }

    #[test]
    fn an_action_is_kept_with_what_it_writes_in_one_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mut store = SqliteStore::open(&path).unwrap();
        let status = StatusRecord {
            identity: "spring-sale/copy".into(),
            state: State::Done,
            reason: None,
            source_target: Some("studio".into()),
            source_person: Some("dana".into()),
            at: Timestamp::from_second(100).unwrap(),
        };
        store
            .record_action(&action("settle", 100), std::slice::from_ref(&status), None)
            .unwrap();
        let snooze = Snooze {
            id: "late-stage:copy".into(),
            until: date(2027, 1, 1),
            at: Timestamp::from_second(200).unwrap(),
        };
        store
            .record_action(&action("snooze", 200), &[], Some(&snooze))
            .unwrap();
        assert_eq!(store.statuses().unwrap(), vec![status]);
        assert_eq!(store.all_snoozes().unwrap(), vec![snooze]);
        let all = store.actions(None).unwrap();
        assert_eq!(
            all.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
            ["settle", "snooze"]
        );
        assert_eq!(
            store
                .actions(Some(Timestamp::from_second(150).unwrap()))
                .unwrap()
                .len(),
            1
        );
        // A read-only store refuses, and writes nothing.
        let reader = SqliteStore::open_read_only(&path).unwrap();
        let mut reader = reader;
        assert!(
            reader
                .record_action(&action("sync_now", 300), &[], None)
                .is_err()
        );
        assert_eq!(reader.actions(None).unwrap().len(), 2);
    }

    #[test]
    fn only_the_lock_holder_writes_beside_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        // No one holds the lock: refused.
        SqliteStore::open(&path).unwrap();
        assert!(SqliteStore::open_beside_lock_holder(&path).is_err());
        // This process holds it: a second writer works, and the holder sees its rows.
        let holder = SqliteStore::open(&path).unwrap();
        let mut beside = SqliteStore::open_beside_lock_holder(&path).unwrap();
        beside
            .record_action(&action("sync_now", 1), &[], None)
            .unwrap();
        assert_eq!(holder.actions(None).unwrap().len(), 1);
    }
}
