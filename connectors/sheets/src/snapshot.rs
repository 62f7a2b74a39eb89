//! What one observation saw: throughline's tabs (recognised by their marker), where each
//! identity row is now (by its developer metadata, or by the ID column when the metadata is
//! gone), and the cells of throughline's columns. The snapshot goes into the observation's
//! cursor, so a cycle in which Drive reports no change costs one request and no parsing.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use throughline_connector::{ConnectorError, ObservedTask, State, StatusCells};
pub(crate) use throughline_grid::Layout;
use throughline_grid::{RowRead, StatusCell, Words};

use crate::a1::{column_letters, quote_title};
use crate::client::FileMeta;
use crate::mapping::{Field, SheetsMapping};
use crate::words::{Seen, read_date, text, view};

/// Developer metadata key on each of throughline's rows; the value is the row's identity.
pub const ROW_KEY: &str = "throughline.id";
/// Developer metadata key on each of throughline's tabs; the value is the tab name it was
/// made for (people may rename the tab).
pub const TAB_KEY: &str = "throughline.tab";

/// The header row among the first rows: one with at least the identity, task and status
/// titles (in either of the mapping's languages).
fn detect(rows: &[Vec<Value>], mapping: &SheetsMapping) -> Option<Layout> {
    Layout::detect(rows.iter().map(|row| row.iter().map(text)), mapping)
}

/// One identity row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Row {
    /// 0-based row index at observation time.
    pub row: u32,
    /// The developer metadata carrying the identity; `None` when only the ID column has it.
    pub metadata_id: Option<i32>,
    pub identity: String,
    /// Throughline's cells, indexed by [`Field`] (null where the tab lacks the column).
    pub cells: Vec<Value>,
}

impl Row {
    pub fn cell(&self, f: Field) -> &Value {
        self.cells.get(f.index()).unwrap_or(&Value::Null)
    }
}

/// One of throughline's tabs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tab {
    pub sheet_id: i32,
    pub title: String,
    /// The tab name it was made for (its marker's value).
    pub key: String,
    pub row_count: u32,
    pub col_count: u32,
    pub layout: Layout,
    /// The last row with anything in it (people's rows too).
    pub last_used_row: Option<u32>,
    pub rows: Vec<Row>,
}

/// Everything one observation saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    /// Drive's version of the spreadsheet this stands for.
    pub version: String,
    pub modified: Option<Timestamp>,
    pub tabs: Vec<Tab>,
    /// Every tab title and sheet id in the spreadsheet, people's included.
    pub titles: Vec<String>,
    pub sheet_ids: Vec<i32>,
    /// Every developer metadata id in use, to pick new ones.
    pub metadata_ids: Vec<i32>,
    /// The state columns of each identity as last seen or written.
    pub seen: BTreeMap<String, Seen>,
    /// What each row's status and done cells hold beyond its state, as of this look.
    #[serde(skip)]
    pub status_cells: BTreeMap<String, StatusCells>,
}

/// The parts of `spreadsheets.get` the connector asks for.
#[derive(Debug, Deserialize)]
struct Structure {
    #[serde(default)]
    sheets: Vec<SheetStructure>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SheetStructure {
    properties: SheetProperties,
    #[serde(default)]
    developer_metadata: Vec<Metadata>,
    #[serde(default)]
    data: Vec<GridData>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SheetProperties {
    #[serde(default)]
    sheet_id: i32,
    #[serde(default)]
    title: String,
    #[serde(default)]
    grid_properties: GridProperties,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GridProperties {
    #[serde(default)]
    row_count: u32,
    #[serde(default)]
    column_count: u32,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    #[serde(default)]
    metadata_id: i32,
    #[serde(default)]
    metadata_key: String,
    #[serde(default)]
    metadata_value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GridData {
    #[serde(default)]
    start_row: u32,
    #[serde(default)]
    row_metadata: Vec<DimensionMeta>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DimensionMeta {
    #[serde(default)]
    developer_metadata: Vec<Metadata>,
}

impl Structure {
    /// Every developer metadata id in use, to pick new ones.
    fn metadata_ids(&self) -> Vec<i32> {
        let mut ids = Vec::new();
        for sheet in &self.sheets {
            ids.extend(sheet.developer_metadata.iter().map(|m| m.metadata_id));
            for data in &sheet.data {
                for rm in &data.row_metadata {
                    ids.extend(rm.developer_metadata.iter().map(|m| m.metadata_id));
                }
            }
        }
        ids
    }
}

impl SheetStructure {
    /// The identity metadata of each row that has one: row index → (metadata id, identity).
    fn row_metadata(&self) -> HashMap<u32, (i32, String)> {
        let mut row_meta = HashMap::new();
        for data in &self.data {
            for (k, rm) in data.row_metadata.iter().enumerate() {
                // A row past the last row number a sheet can have does not exist.
                let Some(r) = u32::try_from(k)
                    .ok()
                    .and_then(|k| data.start_row.checked_add(k))
                else {
                    break;
                };
                if let Some(m) = rm
                    .developer_metadata
                    .iter()
                    .find(|m| m.metadata_key == ROW_KEY)
                {
                    row_meta
                        .entry(r)
                        .or_insert((m.metadata_id, m.metadata_value.clone()));
                }
            }
        }
        row_meta
    }
}

/// One of throughline's tabs as read, and how many of its rows' ID cells name another identity
/// than their metadata.
fn read_tab(
    sheet: &SheetStructure,
    values: &[Vec<Value>],
    mapping: &SheetsMapping,
) -> Result<(Tab, usize), ConnectorError> {
    let key = sheet
        .developer_metadata
        .iter()
        .find(|m| m.metadata_key == TAB_KEY)
        .map(|m| m.metadata_value.clone())
        .unwrap_or_default();
    let Some(layout) = detect(values, mapping) else {
        return Err(ConnectorError::Invalid {
            message: format!(
                "the header row of tab '{}' is gone (throughline looks for the titles \
                 {}, {} and {} in its first rows). Undo the change in the sheet \
                 (Edit → Undo, or File → Version history), or rename the tab and let \
                 the next sync make a new one",
                sheet.properties.title,
                mapping.headers_en[Field::Id.index()],
                mapping.headers_en[Field::Task.index()],
                mapping.headers_en[Field::Status.index()],
            ),
        });
    };
    let row_meta = sheet.row_metadata();
    let last_used_row = values
        .iter()
        .rposition(|r| r.iter().any(|c| !text(c).is_empty()))
        .map(|r| r as u32);
    let (rows, mismatches) = identity_rows(values, &layout, &row_meta);
    let tab = Tab {
        sheet_id: sheet.properties.sheet_id,
        title: sheet.properties.title.clone(),
        key,
        row_count: sheet.properties.grid_properties.row_count,
        col_count: sheet.properties.grid_properties.column_count,
        layout,
        last_used_row,
        rows,
    };
    Ok((tab, mismatches))
}

/// The identity rows of a tab: found by their metadata, or by the ID column when the metadata
/// is gone; and how many ID cells name another identity than their row's metadata.
fn identity_rows(
    values: &[Vec<Value>],
    layout: &Layout,
    row_meta: &HashMap<u32, (i32, String)>,
) -> (Vec<Row>, usize) {
    let mut mismatches = 0;
    let mut rows = Vec::new();
    let mut claimed: HashSet<String> = row_meta.values().map(|(_, v)| v.clone()).collect();
    // Only rows with values or metadata can hold a task: visiting just those keeps a
    // metadata entry far down the sheet (`startRow` is the API's word) from costing a
    // pass over every row above it.
    let mut present: Vec<u32> = (0..values.len())
        .filter_map(|r| u32::try_from(r).ok())
        .chain(row_meta.keys().copied())
        .filter(|r| *r as usize > layout.header_row)
        .collect();
    present.sort_unstable();
    present.dedup();
    for r in present {
        let row_values = values.get(r as usize);
        let cells: Vec<Value> = Field::ALL
            .iter()
            .map(|f| {
                layout
                    .col(*f)
                    .and_then(|c| row_values.and_then(|row| row.get(c)))
                    .cloned()
                    .unwrap_or(Value::Null)
            })
            .collect();
        let id_cell = text(&cells[Field::Id.index()]).trim().to_owned();
        match row_meta.get(&r) {
            Some((metadata_id, identity)) => {
                if !id_cell.is_empty() && &id_cell != identity {
                    mismatches += 1;
                }
                rows.push(Row {
                    row: r,
                    metadata_id: Some(*metadata_id),
                    identity: identity.clone(),
                    cells,
                });
            }
            // The metadata is gone (the sheet was copied, the row re-typed): the ID
            // column is the fallback, unless a row with metadata has that identity
            // (then this is a person's copy of it).
            None if id_cell.contains('/') && !claimed.contains(&id_cell) => {
                claimed.insert(id_cell.clone());
                rows.push(Row {
                    row: r,
                    metadata_id: None,
                    identity: id_cell,
                    cells,
                });
            }
            None => {}
        }
    }
    (rows, mismatches)
}

/// Throughline's tabs as `spreadsheets.get` shows them, before their values are read.
pub(crate) struct TabsFound {
    structure: Structure,
    pub ours: Vec<usize>,
}

impl TabsFound {
    pub fn read(body: Value) -> Result<TabsFound, ConnectorError> {
        let structure: Structure =
            serde_json::from_value(body).map_err(|e| ConnectorError::Fatal {
                message: format!(
                    "Google Sheets described the spreadsheet in a way throughline cannot read \
                     ({e}). Please report this."
                ),
            })?;
        let ours = structure
            .sheets
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.developer_metadata
                    .iter()
                    .any(|m| m.metadata_key == TAB_KEY)
            })
            .map(|(i, _)| i)
            .collect();
        Ok(TabsFound { structure, ours })
    }

    pub fn titles(&self) -> Vec<String> {
        self.ours
            .iter()
            .map(|&i| self.structure.sheets[i].properties.title.clone())
            .collect()
    }
}

/// What a fresh read produced, and how many rows disagreed with their metadata.
pub(crate) struct Read {
    pub snapshot: Snapshot,
    /// Rows whose ID cell names another identity than their metadata: the rows moved between
    /// the two reads, or a person typed over the ID.
    pub mismatches: usize,
}

impl Snapshot {
    /// Put the structure and the tabs' values together. `value_ranges` are in the order of
    /// [`TabsFound::titles`].
    pub fn build(
        found: TabsFound,
        value_ranges: &[Value],
        meta: &FileMeta,
        mapping: &SheetsMapping,
        previous_seen: BTreeMap<String, Seen>,
    ) -> Result<Read, ConnectorError> {
        let metadata_ids = found.structure.metadata_ids();
        let mut tabs = Vec::new();
        let mut mismatches = 0;
        for (n, &i) in found.ours.iter().enumerate() {
            let sheet = &found.structure.sheets[i];
            let values: Vec<Vec<Value>> = value_ranges
                .get(n)
                .and_then(|vr| vr.get("values"))
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default();
            let (tab, moved) = read_tab(sheet, &values, mapping)?;
            mismatches += moved;
            tabs.push(tab);
        }
        let mut snapshot = Snapshot {
            version: meta.version.clone(),
            modified: meta.modified,
            tabs,
            titles: found
                .structure
                .sheets
                .iter()
                .map(|s| s.properties.title.clone())
                .collect(),
            sheet_ids: found
                .structure
                .sheets
                .iter()
                .map(|s| s.properties.sheet_id)
                .collect(),
            metadata_ids,
            seen: previous_seen,
            status_cells: BTreeMap::new(),
        };
        snapshot.refresh_seen(mapping);
        Ok(Read {
            snapshot,
            mismatches,
        })
    }

    /// Resolve every row's state against what was seen before, and remember this look.
    fn refresh_seen(&mut self, mapping: &SheetsMapping) {
        let words = mapping.words();
        let mut seen = BTreeMap::new();
        let mut cells = BTreeMap::new();
        for tab in &self.tabs {
            for row in &tab.rows {
                let (status, ticked) = state_cells(&words, &tab.layout, row);
                let before = self.seen.get(&row.identity).copied();
                let state = words.resolve(status, ticked, before.map(Seen::before));
                // Only a write puts or clears the note: what the last one did is carried on.
                let noted = before.is_some_and(|b| b.noted);
                let status_cells = words.status_cells(status, ticked, noted, || {
                    let col = tab.layout.col(Field::Status).unwrap_or_default() as u32;
                    let cell = format!(
                        "{}!{}{}",
                        quote_title(&tab.title),
                        column_letters(col),
                        row.row + 1
                    );
                    (text(row.cell(Field::Status)), cell)
                });
                cells.insert(row.identity.clone(), status_cells);
                seen.insert(
                    row.identity.clone(),
                    Seen {
                        status,
                        ticked: ticked.unwrap_or(false),
                        state,
                        noted,
                    },
                );
            }
        }
        self.seen = seen;
        self.status_cells = cells;
    }

    /// Every task with its entries, as people left them.
    pub fn observe(&self, mapping: &SheetsMapping, tz: &TimeZone) -> Vec<ObservedTask> {
        let words = mapping.words();
        throughline_grid::observe(
            &self.index(),
            self.modified,
            |_, loc| {
                let (tab, row) = self.row_at(loc);
                let read = read_row(row, &tab.layout, mapping, tz);
                (read, self.state_of(&words, &tab.layout, row))
            },
            |task, read| {
                let cells = self.status_cells.get(&task.identity);
                // A blocked task's reason, where the tab has the column (read from the row,
                // so a snapshot restored from the cursor tells it too; a reason left beside
                // another status word is not shown: it is no longer why the task waits).
                let (tab, row) = self.row_at(task.loc);
                let reason = text(row.cell(Field::Reason)).trim().to_owned();
                let blocked = read.status == StatusCell::Blocked;
                StatusCells {
                    holds_reason: tab.layout.col(Field::Reason).is_some(),
                    blocked_reason: (blocked && !reason.is_empty()).then_some(reason),
                    ..cells.cloned().unwrap_or_default()
                }
            },
        )
    }

    /// The tab and row at a place of the index.
    pub fn row_at(&self, loc: Loc) -> (&Tab, &Row) {
        let tab = &self.tabs[loc.tab];
        (tab, &tab.rows[loc.row])
    }

    fn state_of(&self, words: &Words<'_>, layout: &Layout, row: &Row) -> State {
        match self.seen.get(&row.identity) {
            Some(seen) => seen.state,
            None => {
                let (status, ticked) = state_cells(words, layout, row);
                words.resolve(status, ticked, None)
            }
        }
    }

    /// Which identity rows are tasks and which are entries (and of which task), in tab and
    /// row order.
    pub fn index(&self) -> Index {
        let mut rows: Vec<(&str, Loc, u32)> = Vec::new();
        for (t, tab) in self.tabs.iter().enumerate() {
            for (r, row) in tab.rows.iter().enumerate() {
                rows.push((&row.identity, Loc { tab: t, row: r }, row.row));
            }
        }
        rows.sort_by_key(|(_, loc, at)| (loc.tab, *at));
        Index::build(rows.into_iter().map(|(id, loc, _)| (id, loc)))
    }
}

fn state_cells(words: &Words<'_>, layout: &Layout, row: &Row) -> (StatusCell, Option<bool>) {
    let status = words.status(&view(row.cell(Field::Status)));
    let ticked = layout
        .col(Field::Done)
        .map(|_| words.ticked(&view(row.cell(Field::Done))));
    (status, ticked)
}

/// One row as throughline reads it.
pub(crate) fn read_row(
    row: &Row,
    layout: &Layout,
    mapping: &SheetsMapping,
    tz: &TimeZone,
) -> RowRead {
    let cell = |f: Field| layout.col(f).map(|_| view(row.cell(f)));
    let date = |c: &throughline_grid::Cell<'_>| read_date(c, &mapping.date_format, tz);
    RowRead::read(cell, &mapping.words(), date)
}

/// Where a row is in the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Loc {
    pub tab: usize,
    pub row: usize,
}

/// Which identity rows are tasks and which are entries (and of which task): the grid core's
/// identity index over the snapshot's rows.
pub(crate) type Index = throughline_grid::Index<Loc>;

// Fuzz properties of the spreadsheet read (private, hence here).
#[cfg(test)]
#[path = "fuzz_tests.rs"]
mod fuzz_tests;
