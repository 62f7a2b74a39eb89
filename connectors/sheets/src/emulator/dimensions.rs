//! The `batchUpdate` requests that insert, delete, move, merge and sort rows and columns: row
//! metadata and merges follow their rows.

use serde_json::{Map, Value, json};

use super::model::{ApiError, Cell, Eff, Row, Sheet, Spreadsheet};
use super::requests::{dimension, dimension_range, grid_range, int, str_of};

/// `insertDimension`.
pub(super) fn insert_dimension(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let (sheet, rows, start, end) = dimension_range(s, &b["range"])?;
    let inherit_before = b["inheritFromBefore"].as_bool().unwrap_or(false);
    let sh = &mut s.sheets[sheet];
    let count = if rows { sh.row_count() } else { sh.col_count } as usize;
    if start > count {
        return Err(ApiError::invalid(format!(
            "Cannot insert {} starting at {start}: the sheet has only {count}",
            if rows { "rows" } else { "columns" }
        )));
    }
    if start == 0 && inherit_before {
        return Err(ApiError::invalid(
            "Cannot inherit properties from before when inserting at the start.",
        ));
    }
    insert(sh, rows, start, end - start, inherit_before);
    // A merge grows when rows or columns go inside it, and moves when they go before.
    let n = end - start;
    let shifted = merges(sh)
        .into_iter()
        .map(|m| {
            let (a, b) = if rows { (m.0, m.1) } else { (m.2, m.3) };
            let (a, b) = if start <= a {
                (a + n, b + n)
            } else if start < b {
                (a, b + n)
            } else {
                (a, b)
            };
            if rows {
                (a, b, m.2, m.3)
            } else {
                (m.0, m.1, a, b)
            }
        })
        .collect();
    set_merges(sh, shifted);
    Ok(json!({}))
}

/// `appendDimension`.
pub(super) fn append_dimension(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let sheet = s.sheet_index(int(b, "sheetId")? as i32)?;
    let rows = dimension(b.get("dimension"))?;
    let n = int(b, "length")? as usize;
    if n == 0 {
        return Err(ApiError::invalid("length must be greater than 0"));
    }
    let sh = &mut s.sheets[sheet];
    let at = if rows { sh.row_count() } else { sh.col_count } as usize;
    insert(sh, rows, at, n, false);
    Ok(json!({}))
}

/// `deleteDimension`.
pub(super) fn delete_dimension(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let (sheet, rows, start, end) = dimension_range(s, &b["range"])?;
    let sh = &s.sheets[sheet];
    let count = if rows { sh.row_count() } else { sh.col_count } as usize;
    if end > count {
        return Err(ApiError::invalid("The range is beyond the sheet's grid"));
    }
    if rows && end - start >= count {
        return Err(ApiError::invalid(
            "You can't delete all the rows on the sheet.",
        ));
    }
    let gone: Vec<i32> = if rows {
        s.sheets[sheet].rows[start..end]
            .iter()
            .flat_map(|r| r.meta.clone())
            .collect()
    } else {
        Vec::new()
    };
    let sh = &mut s.sheets[sheet];
    if rows {
        sh.rows.drain(start..end);
    } else {
        for row in &mut sh.rows {
            if row.cells.len() > start {
                let e = end.min(row.cells.len());
                row.cells.drain(start..e);
            }
        }
        sh.columns.drain(start..end.min(sh.columns.len()));
        sh.col_count -= (end - start) as u32;
    }
    for id in gone {
        s.meta.remove(&id);
    }
    // Merges shrink with the rows or columns deleted from them; one left with a single
    // cell is no merge any more.
    let n = end - start;
    let at = |i: usize| {
        if i <= start {
            i
        } else if i >= end {
            i - n
        } else {
            start
        }
    };
    let sh = &mut s.sheets[sheet];
    let shrunk = merges(sh)
        .into_iter()
        .map(|m| {
            if rows {
                (at(m.0), at(m.1), m.2, m.3)
            } else {
                (m.0, m.1, at(m.2), at(m.3))
            }
        })
        .filter(|m| (m.1 - m.0) * (m.3 - m.2) > 1)
        .collect();
    set_merges(sh, shrunk);
    Ok(json!({}))
}

/// `moveDimension`.
pub(super) fn move_dimension(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let (sheet, rows, start, end) = dimension_range(s, &b["source"])?;
    let dest = int(b, "destinationIndex")? as usize;
    let sh = &mut s.sheets[sheet];
    let count = if rows { sh.row_count() } else { sh.col_count } as usize;
    if end > count || dest > count {
        return Err(ApiError::invalid("The range is beyond the sheet's grid"));
    }
    if rows {
        move_block(&mut sh.rows, start, end, dest);
    } else {
        for row in &mut sh.rows {
            if row.cells.len() < count {
                row.cells.resize(count, Map::new());
            }
            move_block(&mut row.cells, start, end, dest);
        }
        move_block(&mut sh.columns, start, end, dest);
    }
    Ok(json!({}))
}

/// `unmergeCells`.
pub(super) fn unmerge_cells(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let (sheet, r0, r1, c0, c1) = grid_range(s, &b["range"])?;
    let sh = &mut s.sheets[sheet];
    let inside = |m: &Merge| r0 <= m.0 && m.1 <= r1 && c0 <= m.2 && m.3 <= c1;
    if merges(sh)
        .iter()
        .any(|m| overlaps(m, &(r0, r1, c0, c1)) && !inside(m))
    {
        return Err(ApiError::invalid(
            "The range must not partially span a merge: select all of a merged range to \
             unmerge it.",
        ));
    }
    let kept: Vec<Merge> = merges(sh).into_iter().filter(|m| !inside(m)).collect();
    set_merges(sh, kept);
    Ok(json!({}))
}

/// Insert `n` rows or columns at `at`, taking formats and validation (never values or
/// metadata) from the neighbour before (or after) them.
pub(super) fn insert(sh: &mut Sheet, rows: bool, at: usize, n: usize, inherit_before: bool) {
    let look = |cells: &[Cell]| -> Vec<Cell> {
        cells
            .iter()
            .map(|c| {
                let mut kept = Map::new();
                for k in ["userEnteredFormat", "dataValidation"] {
                    if let Some(v) = c.get(k) {
                        kept.insert(k.to_owned(), v.clone());
                    }
                }
                kept
            })
            .collect()
    };
    if rows {
        let neighbour = if inherit_before {
            at.checked_sub(1)
        } else {
            Some(at)
        };
        let template = neighbour
            .and_then(|r| sh.rows.get(r))
            .map(|r| look(&r.cells))
            .unwrap_or_default();
        let new = Row {
            cells: template,
            meta: Vec::new(),
            props: Map::new(),
        };
        for _ in 0..n {
            sh.rows.insert(at, new.clone());
        }
    } else {
        for row in &mut sh.rows {
            let neighbour = if inherit_before {
                at.checked_sub(1)
            } else {
                Some(at)
            };
            let template = neighbour
                .and_then(|c| row.cells.get(c))
                .map(|c| look(std::slice::from_ref(c)).remove(0))
                .unwrap_or_default();
            if row.cells.len() >= at {
                for _ in 0..n {
                    row.cells.insert(at, template.clone());
                }
            }
        }
        for _ in 0..n {
            sh.columns.insert(at.min(sh.columns.len()), Map::new());
        }
        sh.col_count += n as u32;
    }
}

/// A merged range of a sheet: rows `.0` to `.1`, columns `.2` to `.3` (ends excluded).
pub(super) type Merge = (usize, usize, usize, usize);

/// A sheet's merges, as kept in `Sheet::merges` (Google's `GridRange` without the sheet id).
pub(super) fn merges(sh: &Sheet) -> Vec<Merge> {
    let at = |m: &Value, k: &str| m[k].as_u64().unwrap_or(0) as usize;
    sh.merges
        .iter()
        .map(|m| {
            (
                at(m, "startRowIndex"),
                at(m, "endRowIndex"),
                at(m, "startColumnIndex"),
                at(m, "endColumnIndex"),
            )
        })
        .collect()
}

pub(super) fn set_merges(sh: &mut Sheet, list: Vec<Merge>) {
    sh.merges = list
        .into_iter()
        .map(|(r0, r1, c0, c1)| {
            json!({"startRowIndex": r0, "endRowIndex": r1,
                   "startColumnIndex": c0, "endColumnIndex": c1})
        })
        .collect();
}

pub(super) fn overlaps(a: &Merge, b: &Merge) -> bool {
    a.0 < b.1 && b.0 < a.1 && a.2 < b.3 && b.2 < a.3
}

/// `mergeCells`: one merge for the range (`MERGE_ALL`), or one per column or per row. Only the
/// top-left cell of each merge keeps its value.
pub(super) fn merge_cells(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let (sheet, r0, r1, c0, c1) = grid_range(s, &b["range"])?;
    let kind = str_of(b, "mergeType").unwrap_or_else(|| "MERGE_ALL".to_owned());
    let new: Vec<Merge> = match kind.as_str() {
        "MERGE_ALL" => vec![(r0, r1, c0, c1)],
        "MERGE_COLUMNS" => (c0..c1).map(|c| (r0, r1, c, c + 1)).collect(),
        "MERGE_ROWS" => (r0..r1).map(|r| (r, r + 1, c0, c1)).collect(),
        other => {
            return Err(ApiError::bad_field(
                "requests.merge_cells.merge_type",
                format!(
                    "Invalid value at 'requests.merge_cells.merge_type' (type.googleapis.com/\
                     google.apps.sheets.v4.MergeCellsRequest.MergeType), \"{other}\""
                ),
            ));
        }
    };
    let new: Vec<Merge> = new
        .into_iter()
        .filter(|m| (m.1 - m.0) * (m.3 - m.2) > 1)
        .collect();
    let sh = &mut s.sheets[sheet];
    let mut all = merges(sh);
    if new.iter().any(|n| all.iter().any(|m| overlaps(m, n))) {
        return Err(ApiError::invalid(
            "You can't merge cells that are already part of another merge: unmerge them first.",
        ));
    }
    for m in &new {
        for r in m.0..m.1 {
            for c in m.2..m.3 {
                if (r, c) != (m.0, m.2)
                    && let Some(cell) = sh.rows.get_mut(r).and_then(|row| row.cells.get_mut(c))
                {
                    cell.remove("userEnteredValue");
                }
            }
        }
    }
    all.extend(new);
    set_merges(sh, all);
    Ok(json!({}))
}

/// Move `items[start..end]` to before `dest` (an index before the move).
pub(super) fn move_block<T: Clone>(items: &mut Vec<T>, start: usize, end: usize, dest: usize) {
    if dest >= start && dest <= end {
        return;
    }
    let block: Vec<T> = items.drain(start..end).collect();
    let at = if dest > end {
        dest - (end - start)
    } else {
        dest
    };
    for (k, item) in block.into_iter().enumerate() {
        items.insert(at + k, item);
    }
}

pub(super) fn sort_range(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let (sheet, r0, r1, c0, c1) = grid_range(s, &b["range"])?;
    let specs: Vec<(usize, bool)> = b["sortSpecs"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|spec| {
            (
                spec["dimensionIndex"].as_u64().unwrap_or(0) as usize,
                spec["sortOrder"].as_str() != Some("DESCENDING"),
            )
        })
        .collect();
    if specs.is_empty() {
        return Err(ApiError::invalid("At least one sort spec is required"));
    }
    let keys: Vec<(usize, Vec<Eff>)> = (r0..r1)
        .map(|r| {
            (
                r,
                specs
                    .iter()
                    .map(|(c, _)| s.effective(sheet, r, *c))
                    .collect(),
            )
        })
        .collect();
    let mut order = keys.clone();
    order.sort_by(|(_, a), (_, b)| {
        for (k, (_, asc)) in specs.iter().enumerate() {
            let o = compare(&a[k], &b[k], *asc);
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        }
        std::cmp::Ordering::Equal
    });
    let sh = &mut s.sheets[sheet];
    let old: Vec<Row> = sh.rows[r0..r1].to_vec();
    for (k, (from, _)) in order.iter().enumerate() {
        let target = r0 + k;
        let src = &old[from - r0];
        let row = &mut sh.rows[target];
        // The cells of the sorted columns move; so does the row's metadata.
        for c in c0..c1 {
            let cell = src.cells.get(c).cloned().unwrap_or_default();
            *row.cell_mut(c) = cell;
        }
        row.meta = src.meta.clone();
    }
    Ok(json!({}))
}

/// Sheets' sort order: numbers, then text (ignoring case), then booleans; empty cells last
/// either way.
pub(super) fn compare(a: &Eff, b: &Eff, ascending: bool) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    let rank = |e: &Eff| match e {
        Eff::Number(_) => 0,
        Eff::Text(_) => 1,
        Eff::Bool(_) => 2,
        Eff::Error(_) => 3,
        Eff::Empty => 4,
    };
    match (a, b) {
        (Eff::Empty, Eff::Empty) => return Equal,
        (Eff::Empty, _) => return Greater,
        (_, Eff::Empty) => return Less,
        _ => {}
    }
    let o = match (a, b) {
        (Eff::Number(x), Eff::Number(y)) => x.partial_cmp(y).unwrap_or(Equal),
        (Eff::Text(x), Eff::Text(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Eff::Bool(x), Eff::Bool(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    };
    if ascending { o } else { o.reverse() }
}
