//! One row read back as a task or an entry, the checks that fail one row's change alone
//! (before anything of it is written, so the other rows go through), and the row versions
//! that tell a person's edit from throughline's own.

use jiff::civil::Date;
use serde::Serialize;
use throughline_connector::identity::Identity;
use throughline_connector::{ConnectorError, DesiredTask, EntryFields, TaskFields};

use crate::cell::Cell;
use crate::mapping::Field;
use crate::words::{Before, StatusCell, Words};

/// One row as throughline reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct RowRead {
    /// The task, description, stage, owner (when not blank), start and due columns; an
    /// entry's text is in the task column.
    pub fields: TaskFields,
    /// What the status column says.
    pub status: StatusCell,
    /// Whether the done column is ticked (`None` without one).
    pub ticked: Option<bool>,
}

impl RowRead {
    /// Read a row: `cell` gives a field's cell (`None` when the sheet lacks the column),
    /// `date` reads a date cell as the tool counts dates.
    pub fn read<'c>(
        cell: impl Fn(Field) -> Option<Cell<'c>>,
        words: &Words<'_>,
        date: impl Fn(&Cell<'_>) -> Option<Date>,
    ) -> RowRead {
        let text = |f: Field| cell(f).map(|c| c.text().into_owned()).unwrap_or_default();
        let date = |f: Field| cell(f).and_then(|c| date(&c));
        let owner = text(Field::Owner).trim().to_owned();
        RowRead {
            fields: TaskFields {
                title: text(Field::Task),
                description: text(Field::Description),
                group: text(Field::Stage),
                owner: (!owner.is_empty()).then_some(owner),
                start: date(Field::Start),
                due: date(Field::Due),
            },
            status: cell(Field::Status).map_or(StatusCell::Empty, |c| words.status(&c)),
            ticked: cell(Field::Done).map(|c| words.ticked(&c)),
        }
    }

    /// The row as a task's fields.
    pub fn task_fields(&self) -> TaskFields {
        self.fields.clone()
    }

    /// The row as a checklist entry's fields.
    pub fn entry_fields(&self) -> EntryFields {
        EntryFields {
            text: self.fields.title.clone(),
            owner: self.fields.owner.clone(),
            due: self.fields.due,
        }
    }

    /// The status column holds the archived word.
    pub fn archived(&self) -> bool {
        self.status == StatusCell::Archived
    }

    /// The state columns as they stand, with no state kept.
    pub fn before(&self) -> Before {
        Before {
            status: self.status,
            ticked: self.ticked.unwrap_or(false),
            state: None,
        }
    }
}

/// What one cell of the tool holds, for the checks that fail a row's change alone.
#[derive(Debug, Clone, Copy)]
pub struct RowChecks<'a> {
    /// The most characters a cell holds.
    pub max_chars: usize,
    /// The cell, in messages: "an Excel cell".
    pub cell: &'a str,
    /// Where an identity is kept, in messages: "the ID column of plan.xlsx".
    pub home: &'a str,
    /// Added to the advice to shorten a text: " (plan.xlsx)".
    pub place: &'a str,
}

impl RowChecks<'_> {
    /// An identity a cell can hold as it is (no padding, within the limit).
    pub fn identity(&self, identity: &str) -> Result<(), ConnectorError> {
        if identity.trim().is_empty()
            || identity.trim() != identity
            || identity.chars().count() > self.max_chars
        {
            return Err(ConnectorError::Invalid {
                message: format!("identity {identity:?} cannot be kept in {}", self.home),
            });
        }
        Ok(())
    }

    /// A text that fits a cell: a longer one is refused, never cut.
    pub fn fits(&self, what: &str, text: &str) -> Result<(), ConnectorError> {
        if text.chars().count() > self.max_chars {
            return Err(ConnectorError::Invalid {
                message: format!(
                    "the {what} \"{}…\" is longer than the {} characters {} holds; shorten it \
                     in the playbook{}",
                    text.chars().take(40).collect::<String>(),
                    self.max_chars,
                    self.cell,
                    self.place
                ),
            });
        }
        Ok(())
    }

    /// A new task and its entries: identities a cell holds, each entry's under its task's,
    /// texts that fit.
    pub fn new_task(&self, task: &DesiredTask) -> Result<(), ConnectorError> {
        self.identity(&task.identity)?;
        self.task_fields(&task.fields)?;
        for e in &task.entries {
            check_entry_identity(&task.identity, &e.identity)?;
            self.entry_fields(&e.fields)?;
        }
        Ok(())
    }

    /// A task's texts fit their cells.
    pub fn task_fields(&self, f: &TaskFields) -> Result<(), ConnectorError> {
        self.fits("title", &f.title)?;
        self.fits("description", &f.description)?;
        self.fits("stage", &f.group)?;
        self.fits("owner", f.owner.as_deref().unwrap_or(""))
    }

    /// An entry's texts fit their cells.
    pub fn entry_fields(&self, f: &EntryFields) -> Result<(), ConnectorError> {
        self.fits("checklist text", &f.text)?;
        self.fits("owner", f.owner.as_deref().unwrap_or(""))
    }
}

/// A checklist entry's identity extends its task's (`item/stage/key` under `item/stage`):
/// that is how its row is tied to the task after people sort the sheet.
pub fn check_entry_identity(parent: &str, entry: &str) -> Result<(), ConnectorError> {
    let entry_identity = Identity::parse(entry).ok();
    match entry_identity.as_ref().and_then(|e| e.key_under(parent)) {
        Some(key) if key.trim() == key => Ok(()),
        _ => Err(ConnectorError::Invalid {
            message: format!(
                "checklist entry \"{entry}\" must have an identity under its task's \
                 (\"{parent}/…\"): that is how its row is tied to the task after people sort the \
                 sheet"
            ),
        }),
    }
}

/// A date the tool's cells cannot hold fails its own change, before anything of its row is
/// written, so the other rows go through. `holder` names the tool ("Excel"), `first` is the
/// first date its cells hold, `cell_name` names the cell a field's date would go to.
pub fn check_dates(
    identity: &str,
    dates: &[(Field, Option<Date>)],
    first: Date,
    holder: &str,
    cell_name: impl FnOnce(Field) -> String,
) -> Result<(), ConnectorError> {
    match throughline_connector::date_before(dates, first) {
        None => Ok(()),
        Some((field, date)) => Err(throughline_connector::unwritable_date(
            identity,
            field.key(),
            date,
            &cell_name(field),
            holder,
            first,
        )),
    }
}

/// The dates of a new task and its entries, each checked as [`check_dates`] does; `cell_name`
/// names the cell of an identity's field (`true` for an entry).
pub fn check_task_dates(
    task: &DesiredTask,
    first: Date,
    holder: &str,
    cell_name: impl Fn(&str, bool, Field) -> String,
) -> Result<(), ConnectorError> {
    let f = &task.fields;
    let dates = [(Field::Start, f.start), (Field::Due, f.due)];
    check_dates(&task.identity, &dates, first, holder, |field| {
        cell_name(&task.identity, false, field)
    })?;
    for e in &task.entries {
        check_dates(
            &e.identity,
            &[(Field::Due, e.fields.due)],
            first,
            holder,
            |field| cell_name(&e.identity, true, field),
        )?;
    }
    Ok(())
}

/// A stable short hash of a value's JSON: a row's version.
pub fn version_of<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_vec(value).expect("plain data serializes");
    format!("{:016x}", fnv1a(&json))
}

/// FNV-1a: stable across Rust versions and processes, unlike `DefaultHasher`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_name_the_limit_and_the_place() {
        let checks = RowChecks {
            max_chars: 5,
            cell: "an Excel cell",
            home: "the ID column of plan.xlsx",
            place: " (plan.xlsx)",
        };
        assert!(checks.identity("a/b").is_ok());
        let e = checks.identity(" a/b").unwrap_err().to_string();
        assert!(e.contains("the ID column of plan.xlsx"), "{e}");
        assert!(checks.identity("a/b/c/d").is_err());
        let e = checks.fits("title", "too long").unwrap_err().to_string();
        assert!(
            e.contains("5 characters an Excel cell holds; shorten it in the playbook (plan.xlsx)"),
            "{e}"
        );
        assert!(check_entry_identity("a/b", "a/b/c").is_ok());
        assert!(check_entry_identity("a/b", "a/bc").is_err());
        assert!(check_entry_identity("a/b", "a/b/").is_err());
        // Deeper than `item/stage/key` is no entry identity.
        assert!(check_entry_identity("a/b", "a/b/c/d").is_err());
        assert!(check_entry_identity("a/b", "a/b/ c").is_err());
    }

    #[test]
    fn versions_are_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(version_of(&("a", 1)), version_of(&("a", 1)));
        assert_ne!(version_of(&("a", 1)), version_of(&("a", 2)));
    }
}
