//! What throughline's two grid connectors, Excel (`throughline-excel`) and Google Sheets
//! (`throughline-sheets`), share: one copy of each rule about a sheet of rows.
//!
//! - [`mapping`]: the columns, header titles and status words of a mapping file, in English and
//!   Hebrew, read and checked the same way for both tools.
//! - [`layout`]: where throughline's columns are, found by header title, never by position.
//! - [`words`]: the status words (one table), ticks, the Status/Done agreement rule, the
//!   unknown-status-word report and what an update writes to the state columns.
//! - [`cell`]: a cell as the rules read it, and the one reader of dates people type.
//! - [`index`]: which identity rows are tasks and which are checklist entries of which task.
//! - [`rows`]: a row read back as a task or entry, the checks that fail one row's change
//!   alone (texts too long for a cell, dates a cell cannot hold), and row versions.
//! - [`observe`](mod@observe): the observation of a grid, tasks with their entries.
//! - [`changes`]: a change of the engine by kind, as a grid applies it; what a grid holds.
//! - [`names`]: sheet names within the tool's limit, and their numbered alternatives.
//!
//! What stays in each connector is how its tool stores cells and rows (calamine and
//! rust_xlsxwriter; the Sheets API's JSON and developer metadata), how it counts date serial
//! numbers (Excel's 1900 calendar has a phantom 29 February; Sheets' has not), and its own
//! limits and mapping keys.

pub mod cell;
pub mod changes;
pub mod index;
pub mod layout;
pub mod mapping;
pub mod metrics;
pub mod names;
pub mod observe;
pub mod rows;
pub mod words;

pub use cell::{Cell, parse_date_text, read_date};
pub use changes::{capabilities, entry_created};
pub use index::{EntryRow, Index, TaskRow};
pub use layout::Layout;
pub use mapping::{
    Field, GridMapping, HeaderLanguage, IdColumn, Language, MappingError, StateFrom, StatusWords,
    Tables,
};
pub use observe::{entry_version, observe, task_version};
pub use rows::{
    RowChecks, RowRead, check_dates, check_entry_identity, check_task_dates, fnv1a, version_of,
};
pub use words::{Before, EntryWrite, StateWrite, StatusCell, Words};
