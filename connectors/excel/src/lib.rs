//! throughline's connector for Excel workbooks (`.xlsx`).
//!
//! The workbook is a file that people open, edit, sort and save while throughline runs, so the
//! connector is built around these constraints:
//!
//! - **Whole-file rewrite.** An `.xlsx` is a zip of XML parts; there is no safe way to patch one
//!   row in place. Each `apply` reads the file once (calamine), makes all of the cycle's
//!   changes in memory, and writes the whole workbook once (rust_xlsxwriter): to a temporary
//!   file in the same folder, flushed to disk, then renamed over the old one, so a crash leaves
//!   the old or the new workbook, never half of one. The version it replaced is kept as
//!   `<name>.bak.xlsx`. Read once, write once per cycle: the floor in docs/sync.md.
//! - **People edit concurrently.** If the file changed between `observe` and `apply` (its bytes
//!   are compared), the changes are applied onto the fresh content, never onto the stale copy;
//!   a row a person edited in between is left as they saved it and reported as
//!   [`ConnectorError::VersionMismatch`]. The file is checked again right before the rename. A
//!   workbook open in Excel or LibreOffice (their lock file is next to it) is not written: the
//!   error says to close it, and the next cycle writes.
//! - **Rows are found by identity, never by position.** The ID column holds `item/stage` for a
//!   task and `item/stage/key` for a checklist entry, so sorting, filtering, moving columns
//!   (headers are matched by title, in English or Hebrew) and inserting rows are all fine. Rows
//!   without an ID, columns and sheets people added are theirs: their values, formulas, cell
//!   formatting, merged cells, column widths and hidden state are carried over on every write.
//!   What calamine cannot read is lost on a write: charts, pictures, comments, and data
//!   validation or conditional formatting people added themselves.
//! - **Status has two columns.** A status dropdown and a done tick. When they disagree, the one
//!   a person changed since throughline last wrote the row wins (throughline keeps the columns
//!   as it wrote them in a very hidden sheet named `throughline`); see `state_from` in
//!   `mappings/excel.toml`. People's own words ("x", "✓", "בוצע"...) are read as done.
//! - **Excel's limits.** Sheet names: 31 characters, no `\ / ? * [ ] :`, unique ignoring case.
//!   Cells: 32,767 characters (a longer title is refused with an error, never cut). Sheets:
//!   1,048,576 rows. Dates are real date cells in the 1900 date system. Text that starts with
//!   `=`, `+`, `-` or `@` is written as text, never as a formula.
//! - **Never destroy.** Archiving marks the row (status "Archived", greyed) and keeps it.
//!
//! Everything is local file I/O, done synchronously inside the async calls: a workbook of
//! 10,000 tasks reads and writes in well under a second.
//!
//! What Excel shares with Google Sheets (the columns and header matching, the status words and
//! the Status/Done rule, the date reader, the identity index, the row checks) is the grid core,
//! `throughline-grid`; this crate is how a workbook file holds it.

mod apply;
mod book;
mod file;
mod layout;
mod mapping;
mod metrics;
mod render;
pub mod target;
mod workbook;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use throughline_connector::{
    Applied, Capabilities, Change, Connector, ConnectorError, Observation, StateSupport,
};

pub use file::backup_path;
pub use mapping::{
    DEFAULT_TOML, ExcelMapping, Field, HeaderLanguage, IdColumn, Language, MappingError, SheetPer,
    StateFrom, StatusWords,
};

use apply::Applier;
use workbook::Workbook;

/// How many times `apply` starts over when the file keeps changing under it.
const WRITE_ATTEMPTS: usize = 3;

/// One Excel workbook as a throughline target.
pub struct ExcelConnector {
    target: String,
    path: PathBuf,
    mapping: ExcelMapping,
    seen: Option<Seen>,
}

/// What the last observation (or write) saw.
struct Seen {
    /// Hash of the file's bytes; `None` when there was no file.
    hash: Option<u64>,
    /// The parsed workbook for that content, reused by `apply` when the file is unchanged.
    workbook: Option<Workbook>,
    /// Row versions by remote id.
    versions: HashMap<String, String>,
}

impl ExcelConnector {
    /// The connector for the workbook at `path` (made by the first apply when it is not
    /// there); nothing is read until the first observation.
    pub fn new(
        target_id: impl Into<String>,
        path: impl Into<PathBuf>,
        mapping: ExcelMapping,
    ) -> ExcelConnector {
        ExcelConnector {
            target: target_id.into(),
            path: path.into(),
            mapping,
            seen: None,
        }
    }

    /// The workbook's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How tasks look in the workbook.
    pub fn mapping(&self) -> &ExcelMapping {
        &self.mapping
    }

    fn file(&self) -> String {
        self.path.display().to_string()
    }

    fn check_path(&self) -> Result<(), ConnectorError> {
        let ext = self
            .path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase());
        if ext.as_deref() != Some("xlsx") {
            return Err(ConnectorError::Invalid {
                message: format!(
                    "target `{}`: {} is not an .xlsx file; throughline reads and writes Excel workbooks (.xlsx) only, so give `path` a name ending in .xlsx",
                    self.target,
                    self.file()
                ),
            });
        }
        Ok(())
    }

    fn parse(&self, snap: &file::Snapshot) -> Result<Workbook, ConnectorError> {
        let mapping = &self.mapping;
        let ours = |sheet: &book::Sheet| layout::detect(sheet, mapping).map(|l| l.field_columns());
        let book = book::read(&snap.bytes, &ours).map_err(|e| ConnectorError::Fatal {
            message: format!(
                "{} is not a workbook throughline can read ({}). If it was damaged, restore it from {}, or move it \
                 away and run `throughline target reset {}`: the next sync then writes a fresh one, keeping every status",
                self.file(),
                e.0,
                backup_path(&self.path).display(),
                self.target
            ),
        })?;
        Ok(Workbook::new(book, &self.mapping))
    }

    /// The workbook for this content: the one parsed at the last observation when the file is
    /// unchanged since, else parsed now.
    fn workbook_for(&mut self, snap: Option<&file::Snapshot>) -> Result<Workbook, ConnectorError> {
        let hash = snap.map(|s| s.hash);
        if let Some(seen) = self.seen.as_mut().filter(|s| s.hash == hash)
            && let Some(wb) = seen.workbook.take()
        {
            return Ok(wb);
        }
        match snap {
            Some(snap) => self.parse(snap),
            None => Ok(Workbook::empty()),
        }
    }

    fn try_apply(
        &mut self,
        changes: &[Change],
    ) -> Result<Option<Vec<Result<Applied, ConnectorError>>>, ConnectorError> {
        let snap = file::load(&self.path)?;
        let hash = snap.as_ref().map(|s| s.hash);
        let mut wb = self.workbook_for(snap.as_ref())?;
        let file_label = self.file();
        let seen = self.seen.as_ref();
        // Only when a person saved the file since the observation do rows need guarding.
        let guard = seen.filter(|s| s.hash != hash).map(|s| &s.versions);
        let (mut results, changed) = {
            let mut applier = Applier::new(&mut wb, &self.mapping, &file_label, guard);
            let results = applier.apply(changes);
            (results, applier.changed)
        };
        if !changed {
            // Nothing to write (every change failed): keep the parsed workbook for next time.
            if let Some(seen) = self.seen.as_mut().filter(|s| s.hash == hash) {
                seen.workbook = Some(wb);
            }
            return Ok(Some(results));
        }
        if let Some(lock) = file::lock_file(&self.path) {
            return Err(ConnectorError::Retryable {
                message: format!(
                    "{} is open in Excel or LibreOffice (its lock file {} is there); close the workbook and the next sync writes it. If nobody has it open, delete the lock file",
                    self.file(),
                    lock.display()
                ),
            });
        }
        let bytes =
            render::render(&wb, &self.mapping, &wb.baseline_rows(&self.mapping)).map_err(|e| {
                ConnectorError::Invalid {
                    message: format!("cannot write {}: {e}", self.file()),
                }
            })?;
        // A person may have saved while this was being prepared: then start over on their version.
        let now = file::load(&self.path)?.map(|s| s.hash);
        if now != hash {
            return Ok(None);
        }
        file::replace(
            &self.path,
            &bytes,
            snap.as_ref().map(|s| s.bytes.as_slice()),
        )?;

        let versions = wb.versions(&self.mapping);
        for (result, change) in results.iter_mut().zip(changes) {
            let version = versions.get(change_remote_id(change, result)).cloned();
            match result {
                Ok(Applied::Updated { version: v }) | Ok(Applied::Created { version: v, .. }) => {
                    *v = version
                }
                _ => {}
            }
        }
        self.seen = Some(Seen {
            hash: Some(throughline_grid::fnv1a(&bytes)),
            workbook: None,
            versions,
        });
        Ok(Some(results))
    }
}

fn change_remote_id<'c>(
    change: &'c Change,
    result: &'c Result<Applied, ConnectorError>,
) -> &'c str {
    match (change, result) {
        (_, Ok(Applied::Created { remote_id, .. })) => remote_id,
        (Change::UpdateTask { remote_id, .. }, _)
        | (Change::ArchiveTask { remote_id, .. }, _)
        | (Change::UpdateEntry { remote_id, .. }, _)
        | (Change::ArchiveEntry { remote_id, .. }, _) => remote_id,
        (change, _) => change.identity(),
    }
}

#[async_trait]
impl Connector for ExcelConnector {
    fn target(&self) -> &str {
        &self.target
    }

    /// Owners are written as text: everyone has a place here.
    fn capabilities(&self) -> Capabilities {
        throughline_grid::capabilities(&self.mapping, StateSupport::Full)
    }

    async fn observe(
        &mut self,
        _cursor: Option<serde_json::Value>,
    ) -> Result<Observation, ConnectorError> {
        self.check_path()?;
        let snap = file::load(&self.path)?;
        let Some(snap) = snap else {
            self.seen = Some(Seen {
                hash: None,
                workbook: None,
                versions: HashMap::new(),
            });
            return Ok(Observation {
                tasks: Vec::new(),
                cursor: None,
            });
        };
        let wb = self.workbook_for(Some(&snap))?;
        let modified = snap
            .modified
            .and_then(|m| jiff::Timestamp::try_from(m).ok());
        let tasks = wb.observe(&self.mapping, modified);
        let mut versions = HashMap::new();
        for t in &tasks {
            versions.insert(t.remote_id.clone(), t.version.clone().unwrap_or_default());
            for e in &t.entries {
                versions.insert(
                    e.remote_id.clone(),
                    workbook::entry_version(&e.fields, e.checked, e.archived),
                );
            }
        }
        let cursor = serde_json::json!({ "content": format!("{:016x}", snap.hash) });
        self.seen = Some(Seen {
            hash: Some(snap.hash),
            workbook: Some(wb),
            versions,
        });
        Ok(Observation {
            tasks,
            cursor: Some(cursor),
        })
    }

    async fn metrics(
        &mut self,
        specs: &[throughline_connector::metrics::MetricSpec],
    ) -> Result<throughline_connector::metrics::MetricsRead, ConnectorError> {
        self.keep_metrics(specs)
    }

    async fn apply(&mut self, changes: &[Change]) -> Vec<Result<Applied, ConnectorError>> {
        if changes.is_empty() {
            return Vec::new();
        }
        if let Err(e) = self.check_path() {
            return vec![Err(e); changes.len()];
        }
        for _ in 0..WRITE_ATTEMPTS {
            match self.try_apply(changes) {
                Ok(Some(results)) => return results,
                Ok(None) => continue,
                Err(e) => {
                    // Nothing was written: the next observation starts from the file as it is.
                    self.seen = None;
                    return vec![Err(e); changes.len()];
                }
            }
        }
        let e = ConnectorError::Retryable {
            message: format!(
                "{} kept changing while throughline was writing it (someone is saving it repeatedly); nothing was written, the next sync tries again",
                self.file()
            ),
        };
        vec![Err(e); changes.len()]
    }
}

#[cfg(test)]
mod tests;
