//! `spreadsheets:batchUpdate`: the request kinds throughline sends, and the ones people's edits
//! make (insert, delete, move and sort rows), applied all or nothing as Google does. Row
//! metadata lives on the row, so it moves with the row through every one of them, and goes
//! when its row is deleted.

use serde_json::{Map, Value, json};

use super::dimensions::*;
use super::fields::{Mask, merge};
use super::model::{ApiError, Meta, MetaLoc, Row, Sheet, Spreadsheet};

/// The kinds a `Request` may be, as the discovery document lists them; those the emulator
/// does not model answer with a plain error rather than pretending.
const KNOWN_ELSEWHERE: &[&str] = &[
    "addBanding",
    "addChart",
    "addDataSource",
    "addDimensionGroup",
    "addFilterView",
    "addNamedRange",
    "addSlicer",
    "addTable",
    "autoFill",
    "autoResizeDimensions",
    "cancelDataSourceRefresh",
    "clearBasicFilter",
    "copyPaste",
    "cutPaste",
    "deleteBanding",
    "deleteConditionalFormatRule",
    "deleteDataSource",
    "deleteDimensionGroup",
    "deleteDuplicates",
    "deleteEmbeddedObject",
    "deleteFilterView",
    "deleteNamedRange",
    "deleteRange",
    "deleteTable",
    "duplicateFilterView",
    "duplicateSheet",
    "findReplace",
    "insertRange",
    "pasteData",
    "randomizeRange",
    "refreshDataSource",
    "setBasicFilter",
    "textToColumns",
    "trimWhitespace",
    "updateBanding",
    "updateBorders",
    "updateChartSpec",
    "updateConditionalFormatRule",
    "updateDataSource",
    "updateDimensionGroup",
    "updateEmbeddedObjectBorder",
    "updateEmbeddedObjectPosition",
    "updateFilterView",
    "updateNamedRange",
    "updateProtectedRange",
    "updateSlicerSpec",
    "updateTable",
];

/// Apply a batch to a copy; the caller keeps the copy only when every request succeeded.
pub fn batch_update(s: &mut Spreadsheet, requests: &[Value]) -> Result<Vec<Value>, ApiError> {
    let mut replies = Vec::new();
    for (i, request) in requests.iter().enumerate() {
        let Some(obj) = request.as_object().filter(|o| o.len() == 1) else {
            return Err(ApiError::invalid(format!(
                "Invalid requests[{i}]: exactly one kind of request must be set"
            )));
        };
        let (kind, body) = obj.iter().next().expect("one member");
        let fail = |e: ApiError| ApiError {
            message: if e.message.starts_with("Invalid JSON payload") {
                e.message
            } else {
                format!("Invalid requests[{i}].{kind}: {}", e.message)
            },
            ..e
        };
        let reply = apply(s, kind, body, i).map_err(fail)?;
        replies.push(reply);
    }
    Ok(replies)
}

fn apply(s: &mut Spreadsheet, kind: &str, b: &Value, i: usize) -> Result<Value, ApiError> {
    match kind {
        "addSheet" => add_sheet(s, b),
        "deleteSheet" => delete_sheet(s, b),
        "updateSheetProperties" => update_sheet_properties(s, b),
        "updateSpreadsheetProperties" => update_spreadsheet_properties(s, b),
        "insertDimension" => insert_dimension(s, b),
        "appendDimension" => append_dimension(s, b),
        "deleteDimension" => delete_dimension(s, b),
        "moveDimension" => move_dimension(s, b),
        "sortRange" => sort_range(s, b),
        "mergeCells" => merge_cells(s, b),
        "unmergeCells" => unmerge_cells(s, b),
        "updateDimensionProperties" => update_dimension_properties(s, b),
        "updateCells" => update_cells(s, b),
        "repeatCell" => repeat_cell(s, b),
        "setDataValidation" => set_data_validation(s, b),
        "addProtectedRange" => add_protected_range(s, b),
        "deleteProtectedRange" => delete_protected_range(s, b),
        "addConditionalFormatRule" => add_conditional_format_rule(s, b),
        "createDeveloperMetadata" => create_metadata(s, b),
        "updateDeveloperMetadata" => update_developer_metadata(s, b),
        "deleteDeveloperMetadata" => delete_developer_metadata(s, b),
        other if KNOWN_ELSEWHERE.contains(&other) => Err(ApiError::invalid(format!(
            "the emulator does not model {other} requests"
        ))),
        other => Err(ApiError::bad_field(
            &format!("requests[{i}]"),
            format!(
                "Invalid JSON payload received. Unknown name \"{other}\" at 'requests[{i}]': Cannot find field."
            ),
        )),
    }
}

/// `deleteSheet`.
fn delete_sheet(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let idx = s.sheet_index(int(b, "sheetId")? as i32)?;
    if s.sheets.len() == 1 {
        return Err(ApiError::invalid(
            "You can't remove all the sheets in a document.",
        ));
    }
    let id = s.sheets[idx].id;
    s.sheets.remove(idx);
    s.meta
        .retain(|_, m| !matches!(m.loc, MetaLoc::Sheet(x) | MetaLoc::Row(x) if x == id));
    Ok(json!({}))
}

/// `updateSpreadsheetProperties`.
fn update_spreadsheet_properties(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let mask = mask_of(b)?;
    let p = b.get("properties").cloned().unwrap_or(json!({}));
    if mask.wants(&["title"]) {
        s.title = str_of(&p, "title").unwrap_or_default();
    }
    if mask.wants(&["locale"]) {
        s.locale = str_of(&p, "locale").unwrap_or_default();
    }
    if mask.wants(&["timeZone"]) {
        s.time_zone = str_of(&p, "timeZone").unwrap_or_default();
    }
    Ok(json!({}))
}

/// `updateDimensionProperties`.
fn update_dimension_properties(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let (sheet, rows, start, end) = dimension_range(s, &b["range"])?;
    let mask = mask_of(b)?;
    let props = b["properties"].as_object().cloned().unwrap_or_default();
    let sh = &mut s.sheets[sheet];
    for k in start..end {
        let target = if rows {
            sh.rows.get_mut(k).map(|r| &mut r.props)
        } else {
            sh.columns.get_mut(k)
        };
        let target =
            target.ok_or_else(|| ApiError::invalid("The range is beyond the sheet's grid"))?;
        merge(target, &props, &mask);
    }
    Ok(json!({}))
}

/// `repeatCell`.
fn repeat_cell(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let rect = grid_range(s, &b["range"])?;
    let mask = mask_of(b)?;
    let cell = b["cell"].as_object().cloned().unwrap_or_default();
    for r in rect.1..rect.2 {
        for c in rect.3..rect.4 {
            merge(s.sheets[rect.0].rows[r].cell_mut(c), &cell, &mask);
        }
    }
    Ok(json!({}))
}

/// `setDataValidation`.
fn set_data_validation(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let rect = grid_range(s, &b["range"])?;
    let rule = b.get("rule").filter(|r| !r.is_null()).cloned();
    if let Some(rule) = &rule {
        let kind = rule["condition"]["type"].as_str().unwrap_or("");
        if kind.is_empty() {
            return Err(ApiError::invalid(
                "A data validation rule needs a condition type",
            ));
        }
        if kind == "ONE_OF_LIST"
            && rule["condition"]["values"]
                .as_array()
                .is_none_or(Vec::is_empty)
        {
            return Err(ApiError::invalid("ONE_OF_LIST needs at least one value"));
        }
    }
    for r in rect.1..rect.2 {
        for c in rect.3..rect.4 {
            let cell = s.sheets[rect.0].rows[r].cell_mut(c);
            match &rule {
                Some(rule) => {
                    cell.insert("dataValidation".to_owned(), rule.clone());
                }
                None => {
                    cell.remove("dataValidation");
                }
            }
        }
    }
    Ok(json!({}))
}

/// `addProtectedRange`.
fn add_protected_range(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let mut p = b["protectedRange"].clone();
    let rect = grid_range(s, &p["range"])?;
    s.next_protected_id += 1;
    p["protectedRangeId"] = json!(s.next_protected_id);
    if p.get("requestingUserCanEdit").is_none() {
        p["requestingUserCanEdit"] = json!(true);
    }
    s.sheets[rect.0].protected.push(p.clone());
    Ok(json!({"addProtectedRange": {"protectedRange": p}}))
}

/// `deleteProtectedRange`.
fn delete_protected_range(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let id = int(b, "protectedRangeId")?;
    let before: usize = s.sheets.iter().map(|sh| sh.protected.len()).sum();
    for sh in &mut s.sheets {
        sh.protected
            .retain(|p| p["protectedRangeId"].as_i64() != Some(id));
    }
    if s.sheets.iter().map(|sh| sh.protected.len()).sum::<usize>() == before {
        return Err(ApiError::invalid(format!(
            "No protected range with id: {id}"
        )));
    }
    Ok(json!({}))
}

/// `addConditionalFormatRule`.
fn add_conditional_format_rule(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let rule = b["rule"].clone();
    let first = rule["ranges"]
        .get(0)
        .cloned()
        .ok_or_else(|| ApiError::invalid("A conditional format rule needs a range"))?;
    let rect = grid_range(s, &first)?;
    let sh = &mut s.sheets[rect.0];
    let at = (b["index"].as_u64().unwrap_or(0) as usize).min(sh.conditional.len());
    sh.conditional.insert(at, rule);
    Ok(json!({}))
}

/// `updateDeveloperMetadata`.
fn update_developer_metadata(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let mask = mask_of(b)?;
    let with = b["developerMetadata"].clone();
    let mut ids = Vec::new();
    for f in b["dataFilters"].as_array().cloned().unwrap_or_default() {
        ids.extend(metadata_matching(s, &f["developerMetadataLookup"]));
    }
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::new();
    for id in ids {
        if let Some(m) = s.meta.get_mut(&id) {
            if mask.wants(&["metadataKey"]) {
                m.key = str_of(&with, "metadataKey").unwrap_or_default();
            }
            if mask.wants(&["metadataValue"]) {
                m.value = str_of(&with, "metadataValue").unwrap_or_default();
            }
            if mask.wants(&["visibility"]) {
                m.visibility = str_of(&with, "visibility").unwrap_or_default();
            }
        }
        if let Some(m) = s.meta.get(&id) {
            out.push(s.meta_json(m));
        }
    }
    Ok(json!({"updateDeveloperMetadata": {"developerMetadata": out}}))
}

/// `deleteDeveloperMetadata`.
fn delete_developer_metadata(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let ids = metadata_matching(s, &b["dataFilter"]["developerMetadataLookup"]);
    let mut deleted = Vec::new();
    for id in ids {
        if let Some(m) = s.meta.get(&id) {
            deleted.push(s.meta_json(m));
        }
        s.meta.remove(&id);
        for sh in &mut s.sheets {
            for row in &mut sh.rows {
                row.meta.retain(|m| *m != id);
            }
        }
    }
    Ok(json!({"deleteDeveloperMetadata": {"deletedDeveloperMetadata": deleted}}))
}

pub(super) fn int(b: &Value, key: &str) -> Result<i64, ApiError> {
    match b.get(key) {
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| ApiError::invalid(format!("{key} must be a number"))),
        None => Ok(0),
    }
}

pub(super) fn str_of(b: &Value, key: &str) -> Option<String> {
    b.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn mask_of(b: &Value) -> Result<Mask, ApiError> {
    let fields = b["fields"].as_str().ok_or_else(|| {
        ApiError::invalid("At least one field must be updated, but 'fields' is empty.")
    })?;
    Mask::parse(fields).map_err(ApiError::invalid)
}

pub(super) fn dimension(v: Option<&Value>) -> Result<bool, ApiError> {
    match v.and_then(Value::as_str) {
        Some("ROWS") => Ok(true),
        Some("COLUMNS") => Ok(false),
        _ => Err(ApiError::invalid("dimension must be ROWS or COLUMNS")),
    }
}

/// A `DimensionRange`: (sheet index, rows?, start, end).
pub(super) fn dimension_range(
    s: &Spreadsheet,
    r: &Value,
) -> Result<(usize, bool, usize, usize), ApiError> {
    let sheet = s.sheet_index(int(r, "sheetId")? as i32)?;
    let rows = dimension(r.get("dimension"))?;
    let sh = &s.sheets[sheet];
    let count = if rows { sh.row_count() } else { sh.col_count } as i64;
    let start = int(r, "startIndex")?;
    let end = if r.get("endIndex").is_some() {
        int(r, "endIndex")?
    } else {
        count
    };
    if start < 0 || end <= start {
        return Err(ApiError::invalid(format!(
            "Invalid dimension range: start {start} must be before end {end}"
        )));
    }
    Ok((sheet, rows, start as usize, end as usize))
}

/// A `GridRange`: (sheet index, r0, r1, c0, c1), open sides running to the grid's edge.
pub fn grid_range(
    s: &Spreadsheet,
    r: &Value,
) -> Result<(usize, usize, usize, usize, usize), ApiError> {
    let sheet = s.sheet_index(int(r, "sheetId")? as i32)?;
    let sh = &s.sheets[sheet];
    let get = |k: &str, default: usize| -> Result<usize, ApiError> {
        match r.get(k) {
            Some(_) => Ok(int(r, k)?.max(0) as usize),
            None => Ok(default),
        }
    };
    let (rows, cols) = (sh.row_count() as usize, sh.col_count as usize);
    let (r0, r1) = (get("startRowIndex", 0)?, get("endRowIndex", rows)?);
    let (c0, c1) = (get("startColumnIndex", 0)?, get("endColumnIndex", cols)?);
    if r1 > rows || c1 > cols {
        return Err(ApiError::invalid(format!(
            "Range ({}!{}) exceeds grid limits. Max rows: {rows}, max columns: {cols}",
            sh.title,
            crate::a1::A1::format(
                &sh.title,
                r0 as u32,
                c0 as u32,
                r1.max(r0 + 1) as u32,
                c1.max(c0 + 1) as u32
            )
        )));
    }
    if r0 > r1 || c0 > c1 {
        return Err(ApiError::invalid("The range's start is after its end"));
    }
    Ok((sheet, r0, r1, c0, c1))
}

fn add_sheet(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let p = b.get("properties").cloned().unwrap_or(json!({}));
    let id = match p.get("sheetId") {
        Some(v) => {
            let id = v
                .as_i64()
                .ok_or_else(|| ApiError::invalid("sheetId must be a number"))?
                as i32;
            if id < 0 {
                return Err(ApiError::invalid("sheetId must not be negative"));
            }
            if s.sheets.iter().any(|sh| sh.id == id) {
                return Err(ApiError::invalid(format!(
                    "Sheet with id {id} already exists."
                )));
            }
            id
        }
        None => loop {
            let id = rand::random_range(1..i32::MAX);
            if s.sheets.iter().all(|sh| sh.id != id) {
                break id;
            }
        },
    };
    let title = match str_of(&p, "title") {
        Some(t) => t,
        None => (1..)
            .map(|n| format!("Sheet{n}"))
            .find(|t| s.sheet_by_title(t).is_none())
            .expect("a free name"),
    };
    if s.sheets
        .iter()
        .any(|sh| sh.title.to_lowercase() == title.to_lowercase())
    {
        return Err(ApiError::invalid(format!(
            "A sheet with the name \"{title}\" already exists. Please enter another name."
        )));
    }
    let g = &p["gridProperties"];
    let rows = g["rowCount"].as_u64().unwrap_or(1000) as u32;
    let cols = g["columnCount"].as_u64().unwrap_or(26) as u32;
    let mut sheet = Sheet::new(id, &title, rows, cols);
    sheet.frozen_rows = g["frozenRowCount"].as_u64().unwrap_or(0) as u32;
    sheet.frozen_cols = g["frozenColumnCount"].as_u64().unwrap_or(0) as u32;
    if sheet.frozen_rows >= rows && rows > 0 {
        return Err(ApiError::invalid(
            "You can't freeze all visible rows on the sheet.",
        ));
    }
    sheet.hidden = p["hidden"].as_bool().unwrap_or(false);
    sheet.rtl = p["rightToLeft"].as_bool().unwrap_or(false);
    let index = p["index"]
        .as_u64()
        .map_or(s.sheets.len(), |i| (i as usize).min(s.sheets.len()));
    s.sheets.insert(index, sheet);
    let props = s.sheets[index].properties(index);
    Ok(json!({"addSheet": {"properties": props}}))
}

fn update_sheet_properties(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let p = b.get("properties").cloned().unwrap_or(json!({}));
    let idx = s.sheet_index(int(&p, "sheetId")? as i32)?;
    let mask = mask_of(b)?;
    let named = |path: &[&str]| !mask.keeps_all() && mask.wants(path);
    if named(&["title"]) {
        let title = str_of(&p, "title").unwrap_or_default();
        if s.sheets
            .iter()
            .enumerate()
            .any(|(i, sh)| i != idx && sh.title.to_lowercase() == title.to_lowercase())
        {
            return Err(ApiError::invalid(format!(
                "A sheet with the name \"{title}\" already exists. Please enter another name."
            )));
        }
        s.sheets[idx].title = title;
    }
    if named(&["hidden"]) {
        let hidden = p["hidden"].as_bool().unwrap_or(false);
        if hidden
            && s.sheets
                .iter()
                .enumerate()
                .all(|(i, sh)| i == idx || sh.hidden)
        {
            return Err(ApiError::invalid(
                "You can't hide all the sheets in a document.",
            ));
        }
        s.sheets[idx].hidden = hidden;
    }
    if named(&["rightToLeft"]) {
        s.sheets[idx].rtl = p["rightToLeft"].as_bool().unwrap_or(false);
    }
    let g = &p["gridProperties"];
    let sh = &mut s.sheets[idx];
    if named(&["gridProperties", "rowCount"]) {
        let n = g["rowCount"].as_u64().unwrap_or(0) as usize;
        if n == 0 {
            return Err(ApiError::invalid("rowCount must be positive"));
        }
        if n < sh.rows.len() {
            let gone: Vec<i32> = sh.rows[n..].iter().flat_map(|r| r.meta.clone()).collect();
            sh.rows.truncate(n);
            for id in gone {
                s.meta.remove(&id);
            }
        } else {
            sh.rows.resize(n, Row::default());
        }
    }
    let sh = &mut s.sheets[idx];
    if named(&["gridProperties", "columnCount"]) {
        let n = g["columnCount"].as_u64().unwrap_or(0) as usize;
        if n == 0 {
            return Err(ApiError::invalid("columnCount must be positive"));
        }
        for row in &mut sh.rows {
            row.cells.truncate(n);
        }
        sh.columns.resize(n, Map::new());
        sh.col_count = n as u32;
    }
    if named(&["gridProperties", "frozenRowCount"]) {
        sh.frozen_rows = g["frozenRowCount"].as_u64().unwrap_or(0) as u32;
    }
    Ok(json!({}))
}

fn update_cells(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let mask = mask_of(b)?;
    let rows = b["rows"].as_array().cloned().unwrap_or_default();
    let (sheet, r0, r1, c0, c1) = if b.get("start").is_some() {
        let st = &b["start"];
        let sheet = s.sheet_index(int(st, "sheetId")? as i32)?;
        let r0 = int(st, "rowIndex")? as usize;
        let c0 = int(st, "columnIndex")? as usize;
        let width = rows
            .iter()
            .map(|r| r["values"].as_array().map_or(0, Vec::len))
            .max()
            .unwrap_or(0);
        (sheet, r0, r0 + rows.len(), c0, c0 + width)
    } else {
        grid_range(s, &b["range"])?
    };
    let sh = &s.sheets[sheet];
    if r1 > sh.row_count() as usize || c1 > sh.col_count as usize {
        return Err(ApiError::invalid(format!(
            "Range exceeds grid limits. Max rows: {}, max columns: {}",
            sh.row_count(),
            sh.col_count
        )));
    }
    for r in r0..r1 {
        let data = rows
            .get(r - r0)
            .and_then(|row| row["values"].as_array())
            .cloned()
            .unwrap_or_default();
        for c in c0..c1 {
            let from = data
                .get(c - c0)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            merge(s.sheets[sheet].rows[r].cell_mut(c), &from, &mask);
        }
    }
    Ok(json!({}))
}

fn create_metadata(s: &mut Spreadsheet, b: &Value) -> Result<Value, ApiError> {
    let m = &b["developerMetadata"];
    let key = str_of(m, "metadataKey")
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::invalid("metadataKey is required"))?;
    let visibility = str_of(m, "visibility")
        .filter(|v| v == "DOCUMENT" || v == "PROJECT")
        .ok_or_else(|| ApiError::invalid("visibility must be DOCUMENT or PROJECT"))?;
    let id = match m.get("metadataId") {
        Some(v) => {
            let id = v
                .as_i64()
                .ok_or_else(|| ApiError::invalid("metadataId must be a number"))?;
            if id <= 0 || id > i64::from(i32::MAX) {
                return Err(ApiError::invalid("metadataId must be positive"));
            }
            let id = id as i32;
            if s.meta.contains_key(&id) {
                return Err(ApiError::invalid(format!(
                    "Developer metadata with ID {id} already exists."
                )));
            }
            id
        }
        None => loop {
            let id = rand::random_range(1..i32::MAX);
            if !s.meta.contains_key(&id) {
                break id;
            }
        },
    };
    let loc = &m["location"];
    let meta_loc = if loc["spreadsheet"].as_bool() == Some(true) {
        MetaLoc::Spreadsheet
    } else if let Some(sheet_id) = loc.get("sheetId") {
        let sid = sheet_id.as_i64().unwrap_or(-1) as i32;
        s.sheet_index(sid)?;
        MetaLoc::Sheet(sid)
    } else if loc.get("dimensionRange").is_some() {
        let (sheet, rows, start, end) = dimension_range(s, &loc["dimensionRange"])?;
        if !rows {
            return Err(ApiError::invalid(
                "the emulator keeps developer metadata on rows, sheets and the spreadsheet only",
            ));
        }
        if end != start + 1 {
            return Err(ApiError::invalid(
                "the emulator keeps developer metadata on one row at a time",
            ));
        }
        let sh = &mut s.sheets[sheet];
        let row = sh
            .rows
            .get_mut(start)
            .ok_or_else(|| ApiError::invalid("The range is beyond the sheet's grid"))?;
        row.meta.push(id);
        MetaLoc::Row(sh.id)
    } else {
        return Err(ApiError::invalid(
            "A developer metadata location is required",
        ));
    };
    let meta = Meta {
        id,
        key,
        value: str_of(m, "metadataValue").unwrap_or_default(),
        visibility,
        loc: meta_loc,
    };
    s.meta.insert(id, meta);
    let json = s.meta_json(&s.meta[&id]);
    Ok(json!({"createDeveloperMetadata": {"developerMetadata": json}}))
}

/// The ids of the metadata a `DeveloperMetadataLookup` matches.
pub fn metadata_matching(s: &Spreadsheet, lookup: &Value) -> Vec<i32> {
    s.meta
        .values()
        .filter(|m| {
            let id_ok = lookup
                .get("metadataId")
                .is_none_or(|v| v.as_i64() == Some(i64::from(m.id)));
            let key_ok = lookup
                .get("metadataKey")
                .is_none_or(|v| v.as_str() == Some(&m.key));
            let value_ok = lookup
                .get("metadataValue")
                .is_none_or(|v| v.as_str() == Some(&m.value));
            let vis_ok = lookup
                .get("visibility")
                .is_none_or(|v| v.as_str() == Some(&m.visibility));
            let type_ok = lookup.get("locationType").is_none_or(|v| {
                v.as_str()
                    == Some(match m.loc {
                        MetaLoc::Spreadsheet => "SPREADSHEET",
                        MetaLoc::Sheet(_) => "SHEET",
                        MetaLoc::Row(_) => "ROW",
                    })
            });
            id_ok && key_ok && value_ok && vis_ok && type_ok
        })
        .map(|m| m.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::model::{DateRender, Input, Render};

    /// A sheet with rows "r0".."r5" in column A, metadata `m<i>` on row i.
    fn sheet() -> Spreadsheet {
        let mut s = Spreadsheet::new("s", "t", jiff::Timestamp::UNIX_EPOCH);
        s.sheets[0] = Sheet::new(0, "Sheet1", 6, 2);
        let rect = s.resolve("Sheet1!A1").unwrap();
        let values: Vec<Vec<Value>> = (0..6).map(|i| vec![json!(format!("r{i}"))]).collect();
        s.write(&rect, false, &values, false, Input::Raw, "x")
            .unwrap();
        for i in 0..6 {
            let b = json!({"developerMetadata": {"metadataId": 100 + i, "metadataKey": "k",
                "metadataValue": format!("m{i}"), "visibility": "DOCUMENT",
                "location": {"dimensionRange": {"sheetId": 0, "dimension": "ROWS", "startIndex": i, "endIndex": i + 1}}}});
            create_metadata(&mut s, &b).unwrap();
        }
        s
    }

    /// (value in A, metadata value) per row.
    fn rows(s: &Spreadsheet) -> Vec<(String, String)> {
        (0..s.sheets[0].rows.len())
            .map(|r| {
                let v = s.render(0, r, 0, Render::Formatted, DateRender::Serial);
                let m = s.sheets[0].rows[r]
                    .meta
                    .first()
                    .map(|id| s.meta[id].value.clone())
                    .unwrap_or_default();
                (v.as_str().unwrap_or("").to_owned(), m)
            })
            .collect()
    }

    fn together(s: &Spreadsheet) -> bool {
        rows(s)
            .iter()
            .all(|(v, m)| v.is_empty() && m.is_empty() || v[1..] == m[1..])
    }

    #[test]
    fn merges_follow_inserted_and_deleted_rows_and_refuse_partial_unmerges() {
        let mut s = sheet();
        let range = |r0: u32, r1: u32| {
            json!({"sheetId": 0, "startRowIndex": r0, "endRowIndex": r1,
                   "startColumnIndex": 0, "endColumnIndex": 2})
        };
        batch_update(
            &mut s,
            &[json!({"mergeCells": {"mergeType": "MERGE_ALL", "range": range(1, 4)}})],
        )
        .unwrap();
        assert_eq!(merges(&s.sheets[0]), [(1, 4, 0, 2)]);
        assert_eq!(rows(&s)[2].0, "", "only the top-left cell keeps its value");
        // Overlapping merges are refused.
        let again = json!({"mergeCells": {"mergeType": "MERGE_ROWS", "range": range(0, 2)}});
        assert!(batch_update(&mut s, &[again]).is_err());
        // A row inserted above moves it; one inserted inside makes it taller.
        let insert = |at: u32| {
            json!({"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS",
                   "startIndex": at, "endIndex": at + 1}}})
        };
        batch_update(&mut s, &[insert(0), insert(3)]).unwrap();
        assert_eq!(merges(&s.sheets[0]), [(2, 6, 0, 2)]);
        // Deleting rows inside shrinks it; a merge left with one cell is gone.
        let delete = |a: u32, b: u32| {
            json!({"deleteDimension": {"range": {"sheetId": 0, "dimension": "ROWS",
                   "startIndex": a, "endIndex": b}}})
        };
        batch_update(&mut s, &[delete(3, 5)]).unwrap();
        assert_eq!(merges(&s.sheets[0]), [(2, 4, 0, 2)]);
        // Unmerging part of a merge is refused; all of it works.
        let unmerge = |r0, r1| json!({"unmergeCells": {"range": range(r0, r1)}});
        assert!(batch_update(&mut s, &[unmerge(2, 3)]).is_err());
        batch_update(&mut s, &[unmerge(0, 6)]).unwrap();
        assert!(s.sheets[0].merges.is_empty());
    }

    #[test]
    fn row_metadata_follows_its_row() {
        let mut s = sheet();
        batch_update(&mut s, &[
            json!({"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 2, "endIndex": 4}, "inheritFromBefore": true}}),
            json!({"moveDimension": {"source": {"sheetId": 0, "dimension": "ROWS", "startIndex": 6, "endIndex": 8}, "destinationIndex": 0}}),
            json!({"sortRange": {"range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 8}, "sortSpecs": [{"dimensionIndex": 0, "sortOrder": "DESCENDING"}]}}),
        ]).unwrap();
        assert!(together(&s), "{:?}", rows(&s));
        assert_eq!(rows(&s)[0].0, "r5");
        assert_eq!(rows(&s)[6].0, "", "empty rows sort last");
        // Deleting a row deletes its metadata.
        let at = s.meta_row(103).unwrap().1;
        batch_update(&mut s, &[json!({"deleteDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": at, "endIndex": at + 1}}})]).unwrap();
        assert!(!s.meta.contains_key(&103));
        assert!(together(&s));
    }

    #[test]
    fn a_batch_is_all_or_nothing_and_names_the_failing_request() {
        let mut s = sheet();
        let before = s.clone();
        let mut copy = s.clone();
        let e = batch_update(&mut copy, &[
            json!({"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 2}}),
            json!({"createDeveloperMetadata": {"developerMetadata": {"metadataId": 100, "metadataKey": "k", "visibility": "DOCUMENT", "location": {"sheetId": 0}}}}),
        ]).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid requests[1].createDeveloperMetadata: Developer metadata with ID 100 already exists."
        );
        assert_eq!(s, before);
        let e = batch_update(&mut s, &[json!({"updateSheetProperties": {"properties": {"sheetId": 0, "hidden": true}, "fields": "hidden"}})]).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid requests[0].updateSheetProperties: You can't hide all the sheets in a document."
        );
    }
}
