//! Opening the state where `throughline.toml`'s `state` key puts it: a SQLite file or a
//! PostgreSQL database. Every command goes through here, so each works on both stores.
//!
//! A writer holds its store's one-writer guard (the file's lock, PostgreSQL's lease) and
//! fails with [`StateError::Locked`] while another process (a daemon) holds it. A reader takes
//! no guard, so it works beside a running daemon.

use crate::model::StateLocation;

use super::postgres::{self, PostgresStore};
use super::{SqliteStore, StateError, StateStore};

/// The store for a command that writes, and its name for messages (the file's path, or the
/// database's address without its password). A SQLite file is made when missing.
pub fn open(location: &StateLocation) -> Result<(Box<dyn StateStore>, String), StateError> {
    match location {
        StateLocation::Sqlite(path) => Ok((
            Box::new(SqliteStore::open(path)?),
            path.display().to_string(),
        )),
        StateLocation::Url(url) => {
            let store = PostgresStore::open(&postgres::resolve_url(url)?)?;
            let name = store.name();
            Ok((Box::new(store), name))
        }
    }
}

/// The store for a command that only reads: no guard is taken, and a state never written
/// (a missing SQLite file, which is not made here, or an empty database) reads as empty.
pub fn open_read_only(location: &StateLocation) -> Result<Box<dyn StateStore>, StateError> {
    match location {
        StateLocation::Sqlite(path) => Ok(Box::new(SqliteStore::open_read_only(path)?)),
        StateLocation::Url(url) => Ok(Box::new(PostgresStore::open_read_only(
            &postgres::resolve_url(url)?,
        )?)),
    }
}
