//! `throughline state migrate`: a SQLite state file copied into a PostgreSQL store, every table
//! row for row (history, events, notices, secrets and all, with their running numbers), in one
//! transaction under the lease, then read back and compared before it commits.
//!
//! The copy goes by the tables' own columns rather than through [`StateStore`](crate::state::StateStore):
//! both stores have the same tables and columns (a test keeps them so), and a copy by column
//! cannot forget a table a later version adds.

use std::cmp::Ordering;
use std::path::Path;

use postgres::Transaction;
use postgres::types::{ToSql, Type};
use rusqlite::types::ValueRef;

use super::{Failure, PostgresStore};
use crate::state::StateError;

/// One value, as both stores can hold it (a flag is a number, as SQLite keeps it).
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// One table's rows, in a canonical order (every column, left to right).
#[derive(Debug, Clone, PartialEq)]
struct Table {
    name: String,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

/// What was copied: rows per table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Copied {
    pub tables: Vec<(String, usize)>,
}

impl Copied {
    pub fn rows(&self) -> usize {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

fn compare(a: &Value, b: &Value) -> Ordering {
    use Value::*;
    match (a, b) {
        (Null, Null) => Ordering::Equal,
        (Null, _) => Ordering::Less,
        (_, Null) => Ordering::Greater,
        (Int(a), Int(b)) => a.cmp(b),
        (Real(a), Real(b)) => a.total_cmp(b),
        (Text(a), Text(b)) => a.as_bytes().cmp(b.as_bytes()),
        (Int(_), _) => Ordering::Less,
        (_, Int(_)) => Ordering::Greater,
        (Real(_), _) => Ordering::Less,
        (_, Real(_)) => Ordering::Greater,
    }
}

fn sort_rows(rows: &mut [Vec<Value>]) {
    rows.sort_by(|a, b| {
        a.iter()
            .zip(b)
            .map(|(x, y)| compare(x, y))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
}

/// Every table of the SQLite file (at the current schema: open it with `SqliteStore::open`
/// first, which upgrades it and holds its lock).
fn read_sqlite(path: &Path) -> Result<Vec<Table>, StateError> {
    let failed = |e: rusqlite::Error| StateError::Sql {
        path: path.display().to_string(),
        message: format!("reading it for the copy: {e}"),
    };
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(failed)?;
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(failed)?;
    let mut tables = Vec::new();
    for name in names {
        let mut columns: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{name}')"))
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(failed)?;
        columns.sort();
        let list = quoted(&columns);
        let mut stmt = conn
            .prepare(&format!("SELECT {list} FROM \"{name}\""))
            .map_err(failed)?;
        let width = columns.len();
        let mut rows: Vec<Vec<Value>> = stmt
            .query_map([], |r| {
                (0..width)
                    .map(|i| {
                        Ok(match r.get_ref(i)? {
                            ValueRef::Null => Value::Null,
                            ValueRef::Integer(n) => Value::Int(n),
                            ValueRef::Real(x) => Value::Real(x),
                            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into()),
                            ValueRef::Blob(b) => Value::Text(String::from_utf8_lossy(b).into()),
                        })
                    })
                    .collect()
            })
            .and_then(|rows| rows.collect())
            .map_err(failed)?;
        sort_rows(&mut rows);
        tables.push(Table {
            name,
            columns,
            rows,
        });
    }
    Ok(tables)
}

fn quoted(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The same tables as PostgreSQL holds them, in the same canonical order.
fn read_postgres(tx: &mut Transaction<'_>, like: &[Table]) -> Result<Vec<Table>, Failure> {
    let mut tables = Vec::new();
    for table in like {
        let list = quoted(&table.columns);
        let mut rows: Vec<Vec<Value>> = Vec::new();
        for row in tx.query(&format!("SELECT {list} FROM \"{}\"", table.name), &[])? {
            let mut values = Vec::with_capacity(table.columns.len());
            for (i, column) in row.columns().iter().enumerate() {
                values.push(
                    match *column.type_() {
                        Type::BOOL => row
                            .get::<_, Option<bool>>(i)
                            .map(|b| Value::Int(i64::from(b))),
                        Type::INT8 => row.get::<_, Option<i64>>(i).map(Value::Int),
                        Type::INT4 => row.get::<_, Option<i32>>(i).map(|n| Value::Int(n.into())),
                        Type::FLOAT8 => row.get::<_, Option<f64>>(i).map(Value::Real),
                        _ => row.get::<_, Option<String>>(i).map(Value::Text),
                    }
                    .unwrap_or(Value::Null),
                );
            }
            rows.push(values);
        }
        sort_rows(&mut rows);
        tables.push(Table {
            name: table.name.clone(),
            columns: table.columns.clone(),
            rows,
        });
    }
    Ok(tables)
}

/// The PostgreSQL type of each column of `table`.
fn column_types(tx: &mut Transaction<'_>, table: &Table) -> Result<Vec<Type>, Failure> {
    let list = quoted(&table.columns);
    let stmt = tx.prepare(&format!("SELECT {list} FROM \"{}\" LIMIT 0", table.name))?;
    Ok(stmt.columns().iter().map(|c| c.type_().clone()).collect())
}

fn param(value: &Value, ty: &Type) -> Box<dyn ToSql + Sync + Send> {
    match (value, ty) {
        (Value::Null, &Type::BOOL) => Box::new(None::<bool>),
        (Value::Null, &Type::INT8) => Box::new(None::<i64>),
        (Value::Null, &Type::INT4) => Box::new(None::<i32>),
        (Value::Null, &Type::FLOAT8) => Box::new(None::<f64>),
        (Value::Null, _) => Box::new(None::<String>),
        (Value::Int(n), &Type::BOOL) => Box::new(*n != 0),
        (Value::Int(n), &Type::INT4) => Box::new(i32::try_from(*n).unwrap_or(i32::MAX)),
        (Value::Int(n), &Type::FLOAT8) => Box::new(*n as f64),
        (Value::Int(n), _) => Box::new(*n),
        (Value::Real(x), _) => Box::new(*x),
        (Value::Text(t), _) => Box::new(t.clone()),
    }
}

/// Rows in any table (the destination must be empty unless replacing).
fn count_rows(tx: &mut Transaction<'_>, tables: &[Table]) -> Result<Vec<(String, i64)>, Failure> {
    let mut counts = Vec::new();
    for t in tables {
        let n: i64 = tx
            .query_one(&format!("SELECT count(*) FROM \"{}\"", t.name), &[])?
            .get(0);
        counts.push((t.name.clone(), n));
    }
    Ok(counts)
}

fn insert(tx: &mut Transaction<'_>, table: &Table) -> Result<(), Failure> {
    let types = column_types(tx, table)?;
    let holes: Vec<String> = (1..=table.columns.len()).map(|i| format!("${i}")).collect();
    let stmt = tx.prepare(&format!(
        "INSERT INTO \"{}\" ({}) VALUES ({})",
        table.name,
        quoted(&table.columns),
        holes.join(", ")
    ))?;
    // A task's link before its entries' (the foreign key); SQLite's order otherwise.
    let parent = table.columns.iter().position(|c| c == "parent");
    let mut rows: Vec<&Vec<Value>> = table.rows.iter().collect();
    if let Some(p) = parent {
        rows.sort_by_key(|row| row[p] != Value::Null);
    }
    for row in rows {
        let params: Vec<Box<dyn ToSql + Sync + Send>> =
            row.iter().zip(&types).map(|(v, t)| param(v, t)).collect();
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| &**p as &(dyn ToSql + Sync)).collect();
        tx.execute(&stmt, &refs)?;
    }
    if table.columns.iter().any(|c| c == "seq") {
        // The running number goes on after the copied ones.
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence('\"{0}\"', 'seq'),
                               GREATEST((SELECT max(seq) FROM \"{0}\"), 1),
                               (SELECT max(seq) FROM \"{0}\") IS NOT NULL)",
                table.name
            ),
            &[],
        )?;
    }
    Ok(())
}

impl PostgresStore {
    /// Copies the SQLite state file at `from` into this store (opened with
    /// [`PostgresStore::open`], so it holds the lease), compares the copy with the file, and
    /// commits only if they agree. An store that already holds anything is refused unless
    /// `replace` (then its rows go, in the same transaction).
    pub fn copy_from_sqlite(&mut self, from: &Path, replace: bool) -> Result<Copied, StateError> {
        let source = read_sqlite(from)?;
        let from_text = from.display().to_string();
        self.write("copying the state file", move |tx, name| {
            let counts = count_rows(tx, &source)?;
            let filled: Vec<String> = counts
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(t, n)| format!("{t} ({n})"))
                .collect();
            if !filled.is_empty() && !replace {
                return Err(Failure::Refused(format!(
                    "the database already holds a state ({}); copy into an empty database, or \
                     add --replace to drop what it holds",
                    filled.join(", ")
                )));
            }
            // Entries' links before tasks' (the foreign key), then everything else.
            tx.execute("DELETE FROM links WHERE parent IS NOT NULL", &[])?;
            for table in &source {
                tx.execute(&format!("DELETE FROM \"{}\"", table.name), &[])?;
            }
            // links first: nothing refers to other tables.
            for table in &source {
                insert(tx, table)?;
            }
            let copy = read_postgres(tx, &source)?;
            verify(&source, &copy, &from_text, name)?;
            Ok(Copied {
                tables: source
                    .iter()
                    .map(|t| (t.name.clone(), t.rows.len()))
                    .collect(),
            })
        })
    }
}

/// Counts, then every value: the copy must read back exactly as the file.
fn verify(source: &[Table], copy: &[Table], from: &str, to: &str) -> Result<(), Failure> {
    for (a, b) in source.iter().zip(copy) {
        if a.rows.len() != b.rows.len() {
            return Err(Failure::Refused(format!(
                "the copy of table {} has {} rows, the file {} has {}; nothing was kept",
                a.name,
                b.rows.len(),
                from,
                a.rows.len()
            )));
        }
        if let Some(i) = a.rows.iter().zip(&b.rows).position(|(x, y)| x != y) {
            return Err(Failure::Refused(format!(
                "row {} of table {} reads back differently from {to} ({:?}) than from {from} \
                 ({:?}); nothing was kept; please report this",
                i + 1,
                a.name,
                b.rows[i],
                a.rows[i]
            )));
        }
    }
    Ok(())
}
