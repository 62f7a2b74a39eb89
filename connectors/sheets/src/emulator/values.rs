//! The values endpoints: `values.get/update/append/batchGet/batchUpdate` and their data-filter
//! forms.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::model::{ApiError, DateRender, Input, Rect, Render, Spreadsheet};
use super::requests::{self, metadata_matching};
use super::routes::*;
use super::server::*;

pub(super) fn input_of(v: Option<&str>) -> Result<Input, ApiError> {
    Input::parse(v)
}

pub(super) fn values_of(v: &Value, field: &str) -> Result<Vec<Vec<Value>>, ApiError> {
    let bad = || {
        ApiError::bad_field(
            field,
            format!(
                "Invalid value at '{field}' (type.googleapis.com/google.protobuf.ListValue), {}",
                v
            ),
        )
    };
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(rows) => rows
            .iter()
            .map(|r| match r {
                Value::Array(cells) => Ok(cells.clone()),
                _ => Err(bad()),
            })
            .collect(),
        _ => Err(bad()),
    }
}

pub(super) fn columns_of(v: &Value) -> Result<bool, ApiError> {
    match v.as_str() {
        None | Some("ROWS") | Some("DIMENSION_UNSPECIFIED") => Ok(false),
        Some("COLUMNS") => Ok(true),
        Some(o) => Err(ApiError::invalid(format!(
            "Invalid value at 'data.major_dimension', \"{o}\""
        ))),
    }
}

pub(super) fn update_response(s: &Spreadsheet, rect: &Rect, cells: usize) -> Value {
    json!({
        "spreadsheetId": s.id,
        "updatedRange": s.range_name(rect),
        "updatedRows": rect.r1 - rect.r0,
        "updatedColumns": rect.c1 - rect.c0,
        "updatedCells": cells,
    })
}

pub(super) fn values_update(
    s: &mut Spreadsheet,
    req: &Req<'_>,
    range: &str,
    now: Timestamp,
) -> Result<Value, ApiError> {
    let input = input_of(req.param("valueInputOption"))?;
    let body = req.json()?;
    check_keys(body, &["range", "majorDimension", "values"], "")?;
    let values = values_of(&body["values"], "data.values")?;
    let cols = columns_of(&body["majorDimension"])?;
    let mut copy = s.clone();
    let (rect, bounded) = copy.resolve_for_write(range)?;
    let (written, cells) = copy.write(&rect, bounded, &values, cols, input, range)?;
    copy.touch(now);
    *s = copy;
    Ok(update_response(s, &written, cells))
}

/// The body of a batch of value writes (`values:batchUpdate`, `values:batchUpdateByDataFilter`):
/// its keys checked, and how its values are read.
fn batch_write_body<'a>(req: &'a Req<'_>) -> Result<(&'a Value, Input), ApiError> {
    let body = req.json()?;
    check_keys(
        body,
        &[
            "valueInputOption",
            "data",
            "includeValuesInResponse",
            "responseValueRenderOption",
            "responseDateTimeRenderOption",
        ],
        "",
    )?;
    let input = input_of(body["valueInputOption"].as_str())?;
    Ok((body, input))
}

/// What a batch of value writes reports: totals over every range written, and each range's
/// own response.
#[derive(Default)]
struct Totals {
    rows: usize,
    columns: usize,
    cells: usize,
    sheets: std::collections::BTreeSet<usize>,
    responses: Vec<Value>,
}

impl Totals {
    fn add(&mut self, written: &Rect, cells: usize, response: Value) {
        self.rows += written.r1 - written.r0;
        self.columns = self.columns.max(written.c1 - written.c0);
        self.cells += cells;
        self.sheets.insert(written.sheet);
        self.responses.push(response);
    }

    fn answer(self, spreadsheet: &str) -> Value {
        let mut out = json!({"spreadsheetId": spreadsheet, "totalUpdatedRows": self.rows,
                             "totalUpdatedColumns": self.columns, "totalUpdatedCells": self.cells,
                             "totalUpdatedSheets": self.sheets.len()});
        if !self.responses.is_empty() {
            out["responses"] = json!(self.responses);
        }
        out
    }
}

pub(super) fn values_batch_update(
    s: &mut Spreadsheet,
    req: &Req<'_>,
    now: Timestamp,
) -> Result<Value, ApiError> {
    let (body, input) = batch_write_body(req)?;
    let mut copy = s.clone();
    let mut totals = Totals::default();
    for (i, d) in body["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        check_keys(
            d,
            &["range", "majorDimension", "values"],
            &format!("data[{i}]"),
        )?;
        let range = d["range"].as_str().unwrap_or("");
        let values = values_of(&d["values"], &format!("data[{i}].values"))?;
        let cols = columns_of(&d["majorDimension"])?;
        let (rect, bounded) = copy.resolve_for_write(range)?;
        let (written, cells) = copy.write(&rect, bounded, &values, cols, input, range)?;
        let response = update_response(&copy, &written, cells);
        totals.add(&written, cells, response);
    }
    copy.touch(now);
    *s = copy;
    Ok(totals.answer(&s.id))
}

/// The ranges a data filter names.
pub(super) fn filter_ranges(s: &Spreadsheet, f: &Value) -> Result<Vec<Rect>, ApiError> {
    if let Some(r) = f.get("a1Range").and_then(Value::as_str) {
        return Ok(vec![s.resolve(r)?]);
    }
    if let Some(g) = f.get("gridRange") {
        let (sheet, r0, r1, c0, c1) = requests::grid_range(s, g)?;
        return Ok(vec![Rect {
            sheet,
            r0,
            r1,
            c0,
            c1,
        }]);
    }
    if let Some(lookup) = f.get("developerMetadataLookup") {
        let mut out = Vec::new();
        for id in metadata_matching(s, lookup) {
            let m = &s.meta[&id];
            match m.loc {
                super::model::MetaLoc::Row(_) => {
                    if let Some((sheet, row)) = s.meta_row(id) {
                        let sh = &s.sheets[sheet];
                        out.push(Rect {
                            sheet,
                            r0: row,
                            r1: row + 1,
                            c0: 0,
                            c1: sh.col_count as usize,
                        });
                    }
                }
                super::model::MetaLoc::Sheet(sid) => {
                    let sheet = s.sheet_index(sid)?;
                    let sh = &s.sheets[sheet];
                    out.push(Rect {
                        sheet,
                        r0: 0,
                        r1: sh.rows.len(),
                        c0: 0,
                        c1: sh.col_count as usize,
                    });
                }
                super::model::MetaLoc::Spreadsheet => {}
            }
        }
        return Ok(out);
    }
    Err(ApiError::invalid(
        "A data filter needs developerMetadataLookup, a1Range or gridRange",
    ))
}

pub(super) fn values_by_filter(
    s: &mut Spreadsheet,
    req: &Req<'_>,
    now: Timestamp,
) -> Result<Value, ApiError> {
    let (body, input) = batch_write_body(req)?;
    let mut copy = s.clone();
    let mut totals = Totals::default();
    for (i, d) in body["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        check_keys(
            d,
            &["dataFilter", "majorDimension", "values"],
            &format!("data[{i}]"),
        )?;
        let values = values_of(&d["values"], &format!("data[{i}].values"))?;
        let cols = columns_of(&d["majorDimension"])?;
        for rect in filter_ranges(&copy, &d["dataFilter"])? {
            let name = copy.range_name(&rect);
            let (written, cells) = copy.write(&rect, true, &values, cols, input, &name)?;
            let mut r = update_response(&copy, &written, cells);
            r.as_object_mut().map(|o| o.remove("spreadsheetId"));
            r["dataFilter"] = d["dataFilter"].clone();
            totals.add(&written, cells, r);
        }
    }
    if totals.cells > 0 {
        copy.touch(now);
    }
    *s = copy;
    Ok(totals.answer(&s.id))
}

pub(super) fn get_by_filter(s: &Spreadsheet, req: &Req<'_>) -> Result<Value, ApiError> {
    let body = req.json()?;
    let render = match body["valueRenderOption"].as_str() {
        Some("UNFORMATTED_VALUE") => Render::Unformatted,
        Some("FORMULA") => Render::Formula,
        _ => Render::Formatted,
    };
    let dates = match body["dateTimeRenderOption"].as_str() {
        Some("FORMATTED_STRING") => DateRender::FormattedString,
        _ => DateRender::Serial,
    };
    let cols = columns_of(&body["majorDimension"])?;
    let mut out = Vec::new();
    for f in body["dataFilters"].as_array().cloned().unwrap_or_default() {
        for rect in filter_ranges(s, &f)? {
            out.push(json!({"valueRange": value_range(s, &rect, render, dates, cols), "dataFilters": [f]}));
        }
    }
    let mut answer = json!({"spreadsheetId": s.id});
    if !out.is_empty() {
        answer["valueRanges"] = json!(out);
    }
    Ok(answer)
}

pub(super) fn append(
    s: &mut Spreadsheet,
    req: &Req<'_>,
    range: &str,
    now: Timestamp,
) -> Result<Value, ApiError> {
    let input = input_of(req.param("valueInputOption"))?;
    let body = req.json()?;
    check_keys(body, &["range", "majorDimension", "values"], "")?;
    let values = values_of(&body["values"], "data.values")?;
    let cols = columns_of(&body["majorDimension"])?;
    let mut copy = s.clone();
    let rect = copy.resolve(range)?;
    // The table, as Google finds it: from the range's top-left cell, the filled cells to its
    // right, and the rows below while they have anything in those columns. No table when that
    // cell is empty: the values go there.
    let sheet = &copy.sheets[rect.sheet];
    let filled = |r: usize, c: usize| sheet.cell(r, c).is_some_and(super::model::has_value);
    let table = filled(rect.r0, rect.c0).then(|| {
        let mut c1 = rect.c0 + 1;
        while c1 < sheet.col_count as usize && filled(rect.r0, c1) {
            c1 += 1;
        }
        let mut r1 = rect.r0 + 1;
        while r1 < sheet.rows.len() && (rect.c0..c1).any(|c| filled(r1, c)) {
            r1 += 1;
        }
        Rect {
            sheet: rect.sheet,
            r0: rect.r0,
            r1,
            c0: rect.c0,
            c1,
        }
    });
    let at = table.map_or(rect.r0, |t| t.r1);
    let height = if cols {
        values.iter().map(Vec::len).max().unwrap_or(0)
    } else {
        values.len()
    };
    let needed = at + height;
    let sheet = &mut copy.sheets[rect.sheet];
    if req.param("insertDataOption") == Some("INSERT_ROWS") {
        for _ in 0..height {
            sheet
                .rows
                .insert(at.min(sheet.rows.len()), Default::default());
        }
    } else if needed > sheet.rows.len() {
        sheet.rows.resize(needed, Default::default());
    }
    let start = Rect {
        sheet: rect.sheet,
        r0: at,
        r1: needed,
        c0: rect.c0,
        c1: copy.sheets[rect.sheet].col_count as usize,
    };
    let (written, cells) = copy.write(&start, false, &values, cols, input, range)?;
    copy.touch(now);
    *s = copy;
    let mut out = json!({"spreadsheetId": s.id, "updates": update_response(s, &written, cells)});
    if let Some(t) = table {
        out["tableRange"] = json!(s.range_name(&t));
    }
    Ok(out)
}

// --- Drive ------------------------------------------------------------------------------------
