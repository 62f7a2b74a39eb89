//! What one observation saw: throughline's tabs (recognised by their marker), where each
//! identity row is now (by its developer metadata, or by the ID column when the metadata is
//! gone), and the cells of throughline's columns. The snapshot goes into the observation's
//! cursor, so a cycle in which Drive reports no change costs one request and no parsing.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use throughline_connector::{
    ConnectorError, EntryFields, ObservedEntry, ObservedTask, State, StatusCells, TaskFields,
    UnknownStatusWord,
};

use crate::a1::{column_letters, quote_title};
use crate::client::FileMeta;
use crate::mapping::{Field, Language, SheetsMapping, norm};
use crate::words::{Seen, StatusCell, Words, read_date, text};

/// Developer metadata key on each of throughline's rows; the value is the row's identity.
pub const ROW_KEY: &str = "throughline.id";
/// Developer metadata key on each of throughline's tabs; the value is the tab name it was
/// made for (people may rename the tab).
pub const TAB_KEY: &str = "throughline.tab";
/// How far down a header row is looked for (people put a title or a note above it).
const HEADER_SEARCH_ROWS: usize = 10;

/// Where throughline's columns are in one of its tabs (0-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Layout {
    pub header_row: u32,
    pub hebrew: bool,
    pub cols: [Option<u32>; 10],
}

impl Layout {
    pub fn col(&self, f: Field) -> Option<u32> {
        self.cols[f.index()]
    }

    pub fn language(&self) -> Language {
        if self.hebrew {
            Language::Hebrew
        } else {
            Language::English
        }
    }

    /// The header row among the first rows: one with at least the identity, task and status
    /// titles (in either of the mapping's languages).
    fn detect(rows: &[Vec<Value>], mapping: &SheetsMapping) -> Option<Layout> {
        for (r, row) in rows.iter().enumerate().take(HEADER_SEARCH_ROWS) {
            let mut cols = [None; 10];
            let mut hebrew = false;
            for (c, cell) in row.iter().enumerate() {
                let t = norm(&text(cell));
                if t.is_empty() {
                    continue;
                }
                'langs: for lang in Language::ALL {
                    for field in Field::ALL {
                        if cols[field.index()].is_none()
                            && norm(&mapping.headers(lang)[field.index()]) == t
                        {
                            cols[field.index()] = Some(c as u32);
                            if field == Field::Id {
                                hebrew = lang == Language::Hebrew;
                            }
                            break 'langs;
                        }
                    }
                }
            }
            let found = |f: Field| cols[f.index()].is_some();
            if found(Field::Id) && found(Field::Task) && found(Field::Status) {
                return Some(Layout {
                    header_row: r as u32,
                    hebrew,
                    cols,
                });
            }
        }
        None
    }
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
        let mut metadata_ids = Vec::new();
        for sheet in &found.structure.sheets {
            metadata_ids.extend(sheet.developer_metadata.iter().map(|m| m.metadata_id));
            for data in &sheet.data {
                for rm in &data.row_metadata {
                    metadata_ids.extend(rm.developer_metadata.iter().map(|m| m.metadata_id));
                }
            }
        }
        let mut tabs = Vec::new();
        let mut mismatches = 0;
        for (n, &i) in found.ours.iter().enumerate() {
            let sheet = &found.structure.sheets[i];
            let values: Vec<Vec<Value>> = value_ranges
                .get(n)
                .and_then(|vr| vr.get("values"))
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default();
            let key = sheet
                .developer_metadata
                .iter()
                .find(|m| m.metadata_key == TAB_KEY)
                .map(|m| m.metadata_value.clone())
                .unwrap_or_default();
            let Some(layout) = Layout::detect(&values, mapping) else {
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
            // Row metadata by row index.
            let mut row_meta: HashMap<u32, (i32, String)> = HashMap::new();
            for data in &sheet.data {
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
            let last_used_row = values
                .iter()
                .rposition(|r| r.iter().any(|c| !text(c).is_empty()))
                .map(|r| r as u32);
            let mut rows = Vec::new();
            let mut claimed: HashSet<String> = row_meta.values().map(|(_, v)| v.clone()).collect();
            // Only rows with values or metadata can hold a task: visiting just those keeps a
            // metadata entry far down the sheet (`startRow` is the API's word) from costing a
            // pass over every row above it.
            let mut present: Vec<u32> = (0..values.len())
                .filter_map(|r| u32::try_from(r).ok())
                .chain(row_meta.keys().copied())
                .filter(|r| *r > layout.header_row)
                .collect();
            present.sort_unstable();
            present.dedup();
            for r in present {
                let cells_of = |row: Option<&Vec<Value>>| -> Vec<Value> {
                    Field::ALL
                        .iter()
                        .map(|f| {
                            layout
                                .col(*f)
                                .and_then(|c| row.and_then(|row| row.get(c as usize)))
                                .cloned()
                                .unwrap_or(Value::Null)
                        })
                        .collect()
                };
                let row_values = values.get(r as usize);
                let cells = cells_of(row_values);
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
            tabs.push(Tab {
                sheet_id: sheet.properties.sheet_id,
                title: sheet.properties.title.clone(),
                key,
                row_count: sheet.properties.grid_properties.row_count,
                col_count: sheet.properties.grid_properties.column_count,
                layout,
                last_used_row,
                rows,
            });
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
        let words = Words { mapping };
        let mut seen = BTreeMap::new();
        let mut cells = BTreeMap::new();
        for tab in &self.tabs {
            for row in &tab.rows {
                let (status, ticked) = state_cells(&words, &tab.layout, row);
                let before = self.seen.get(&row.identity).copied();
                let state = words.resolve(status, ticked, before);
                // Only a write puts or clears the note: what the last one did is carried on.
                let noted = before.is_some_and(|b| b.noted);
                let other = status == StatusCell::Other;
                let unknown = other.then(|| UnknownStatusWord {
                    word: text(row.cell(Field::Status)),
                    cell: format!(
                        "{}!{}{}",
                        quote_title(&tab.title),
                        column_letters(tab.layout.col(Field::Status).unwrap_or_default()),
                        row.row + 1
                    ),
                    accepted: words.accepted(),
                });
                cells.insert(
                    row.identity.clone(),
                    StatusCells {
                        unknown,
                        disagree: words.disagree(status, ticked),
                        note_outdated: other != noted,
                    },
                );
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
        let words = Words { mapping };
        let index = Index::build(self);
        let modified = self.modified;
        index
            .tasks
            .iter()
            .map(|t| {
                let tab = &self.tabs[t.loc.tab];
                let row = &tab.rows[t.loc.row];
                let read = RowRead::read(row, &tab.layout, &words, tz);
                let state = self.state_of(&row.identity, &words, &tab.layout, row);
                let fields = read.task_fields();
                let archived = read.archived;
                let entries = t
                    .entries
                    .iter()
                    .map(|e| {
                        let etab = &self.tabs[e.loc.tab];
                        let erow = &etab.rows[e.loc.row];
                        let read = RowRead::read(erow, &etab.layout, &words, tz);
                        let checked = self.state_of(&erow.identity, &words, &etab.layout, erow)
                            == State::Done;
                        ObservedEntry {
                            remote_id: e.remote_id.clone(),
                            identity: Some(erow.identity.clone()),
                            fields: read.entry_fields(),
                            checked,
                            archived: read.archived,
                            modified,
                            modified_by: None,
                        }
                    })
                    .collect();
                ObservedTask {
                    remote_id: t.remote_id.clone(),
                    identity: Some(row.identity.clone()),
                    version: Some(version_of(&(&fields, state, archived))),
                    fields,
                    state,
                    archived,
                    modified,
                    modified_by: None,
                    entries,
                    status_cells: self
                        .status_cells
                        .get(&row.identity)
                        .cloned()
                        .unwrap_or_default(),
                }
            })
            .collect()
    }

    fn state_of(&self, identity: &str, words: &Words<'_>, layout: &Layout, row: &Row) -> State {
        match self.seen.get(identity) {
            Some(seen) => seen.state,
            None => {
                let (status, ticked) = state_cells(words, layout, row);
                words.resolve(status, ticked, None)
            }
        }
    }
}

fn state_cells(words: &Words<'_>, layout: &Layout, row: &Row) -> (StatusCell, Option<bool>) {
    let status = words.status(row.cell(Field::Status));
    let ticked = layout
        .col(Field::Done)
        .map(|_| words.ticked(row.cell(Field::Done)));
    (status, ticked)
}

/// One row as throughline reads it.
pub(crate) struct RowRead {
    pub title: String,
    pub description: String,
    pub group: String,
    pub owner: Option<String>,
    pub start: Option<jiff::civil::Date>,
    pub due: Option<jiff::civil::Date>,
    pub archived: bool,
}

impl RowRead {
    pub fn read(row: &Row, layout: &Layout, words: &Words<'_>, tz: &TimeZone) -> RowRead {
        let t = |f: Field| {
            if layout.col(f).is_some() {
                text(row.cell(f))
            } else {
                String::new()
            }
        };
        let date = |f: Field| {
            layout
                .col(f)
                .and_then(|_| read_date(row.cell(f), &words.mapping.date_format, tz))
        };
        let owner = t(Field::Owner).trim().to_owned();
        RowRead {
            title: t(Field::Task),
            description: t(Field::Description),
            group: t(Field::Stage),
            owner: (!owner.is_empty()).then_some(owner),
            start: date(Field::Start),
            due: date(Field::Due),
            archived: words.status(row.cell(Field::Status)) == StatusCell::Archived,
        }
    }

    pub fn task_fields(&self) -> TaskFields {
        TaskFields {
            title: self.title.clone(),
            description: self.description.clone(),
            group: self.group.clone(),
            owner: self.owner.clone(),
            start: self.start,
            due: self.due,
        }
    }

    pub fn entry_fields(&self) -> EntryFields {
        EntryFields {
            text: self.title.clone(),
            owner: self.owner.clone(),
            due: self.due,
        }
    }
}

/// A stable short hash of a value's JSON (FNV-1a: the same across processes and versions).
pub(crate) fn version_of<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_vec(value).expect("plain data serializes");
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in json {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Where a row is in the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Loc {
    pub tab: usize,
    pub row: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct TaskRow {
    pub remote_id: String,
    pub loc: Loc,
    pub entries: Vec<EntryRow>,
}

#[derive(Debug, Clone)]
pub(crate) struct EntryRow {
    pub remote_id: String,
    pub loc: Loc,
}

/// Which identity rows are tasks and which are entries (and of which task). An entry's
/// identity extends its task's (`item/stage/key` under `item/stage`): that is how it finds its
/// task after people sort the tab.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub tasks: Vec<TaskRow>,
    /// Entry rows whose task row is gone: kept in the sheet, not observed.
    pub orphans: Vec<EntryRow>,
}

impl Index {
    pub fn build(snapshot: &Snapshot) -> Index {
        let mut rows: Vec<(&str, Loc, u32)> = Vec::new();
        for (t, tab) in snapshot.tabs.iter().enumerate() {
            for (r, row) in tab.rows.iter().enumerate() {
                rows.push((&row.identity, Loc { tab: t, row: r }, row.row));
            }
        }
        rows.sort_by_key(|(_, loc, at)| (loc.tab, *at));
        let ids: HashSet<&str> = rows.iter().map(|(id, _, _)| *id).collect();
        let slashes = |id: &str| -> Vec<usize> { id.match_indices('/').map(|(i, _)| i).collect() };
        let is_task = |id: &str| slashes(id).iter().all(|&i| !ids.contains(&id[..i]));
        let parent_of = |id: &str| -> Option<String> {
            slashes(id)
                .iter()
                .rev()
                .map(|&i| &id[..i])
                .find(|p| ids.contains(p) && is_task(p))
                .map(str::to_owned)
        };
        let mut count: HashMap<&str, usize> = HashMap::new();
        let mut index = Index::default();
        let mut task_at: HashMap<String, usize> = HashMap::new();
        let mut entries: Vec<(String, EntryRow)> = Vec::new();
        for (id, loc, _) in &rows {
            let n = count.entry(id).or_insert(0);
            *n += 1;
            let remote_id = if *n == 1 {
                id.to_string()
            } else {
                format!("{id}#{n}")
            };
            if is_task(id) && id.matches('/').count() >= 2 {
                index.orphans.push(EntryRow {
                    remote_id,
                    loc: *loc,
                });
            } else if is_task(id) {
                task_at.entry(id.to_string()).or_insert(index.tasks.len());
                index.tasks.push(TaskRow {
                    remote_id,
                    loc: *loc,
                    entries: Vec::new(),
                });
            } else if let Some(parent) = parent_of(id) {
                entries.push((
                    parent,
                    EntryRow {
                        remote_id,
                        loc: *loc,
                    },
                ));
            }
        }
        for (parent, entry) in entries {
            match task_at.get(&parent) {
                Some(&t) => index.tasks[t].entries.push(entry),
                None => index.orphans.push(entry),
            }
        }
        index
    }
}

// Fuzz properties of the spreadsheet read (private, hence here).
#[cfg(test)]
#[path = "fuzz_tests.rs"]
mod fuzz_tests;
