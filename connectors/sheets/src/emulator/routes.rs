//! The route table of Sheets v4 and Drive v3, and `spreadsheets.get` with its grid data.

use axum::http::Method;
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::drive::*;
use super::fields::Mask;
use super::model::{ApiError, DateRender, Rect, Render, Spreadsheet};
use super::requests::{self, metadata_matching};
use super::server::*;
use super::values::*;
use super::{Token, World, watch};

// The route table: one arm per endpoint, read as a list, not as logic.
#[allow(clippy::too_many_lines)]
pub(super) fn route(world: &mut World, req: &Req<'_>, caller: &Token) -> Result<Answer, ApiError> {
    let path = req.path;
    if path == "/drive/v3/files" {
        return match *req.method {
            Method::GET => drive_list(world, req, caller),
            Method::POST => drive_create(world, req, caller),
            _ => Err(method_not_allowed()),
        };
    }
    if path == "/drive/v3/channels/stop" && *req.method == Method::POST {
        let (status, body) = watch::stop(world, req.json.as_ref());
        return Ok(Answer::with_status(status, body));
    }
    if let Some(file) = path
        .strip_prefix("/drive/v3/files/")
        .and_then(|rest| rest.strip_suffix("/watch"))
    {
        return drive_watch(world, req, file, caller);
    }
    if let Some(rest) = path.strip_prefix("/drive/v3/files/") {
        return drive_get(world, req, rest, caller);
    }
    let Some(rest) = path.strip_prefix("/v4/spreadsheets") else {
        return Err(ApiError {
            code: 404,
            status: "NOT_FOUND",
            message: format!("The requested URL {path} was not found on this server."),
            details: None,
        });
    };
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    if rest.is_empty() && *req.method == Method::POST {
        return create(world, req, caller);
    }
    // `ID`, `ID:batchUpdate`, `ID/values/...`, `ID/developerMetadata...`.
    let (id, tail) = match rest.find(['/', ':']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let s = world
        .spreadsheets
        .get_mut(id)
        .ok_or_else(ApiError::not_found)?;
    if let Some(people) = &s.shared_with
        && !people.contains(&caller.principal)
    {
        return Err(ApiError {
            code: 403,
            status: "PERMISSION_DENIED",
            message: "The caller does not have permission".to_owned(),
            details: None,
        });
    }
    let m = req.method.clone();
    let now = Timestamp::now();
    let answer = match (m, tail) {
        (Method::GET, "") => get(s, req),
        (Method::POST, ":batchUpdate") => {
            let body = req.json()?;
            let list = body["requests"].as_array().cloned().unwrap_or_default();
            check_keys(
                body,
                &[
                    "requests",
                    "includeSpreadsheetInResponse",
                    "responseRanges",
                    "responseIncludeGridData",
                ],
                "",
            )?;
            let mut copy = s.clone();
            let replies = requests::batch_update(&mut copy, &list)?;
            if !list.is_empty() {
                copy.touch(now);
            }
            *s = copy;
            let mut out = json!({"spreadsheetId": s.id, "replies": replies});
            if body["includeSpreadsheetInResponse"].as_bool() == Some(true) {
                out["updatedSpreadsheet"] = spreadsheet_json(s, None, false, &Mask::default());
            }
            Ok(out)
        }
        (Method::GET, "/values:batchGet") => batch_get(s, req),
        (Method::POST, "/values:batchUpdate") => values_batch_update(s, req, now),
        (Method::POST, "/values:batchUpdateByDataFilter") => values_by_filter(s, req, now),
        (Method::POST, "/values:batchGetByDataFilter") => get_by_filter(s, req),
        (Method::POST, "/values:batchClear") => {
            let body = req.json()?;
            let mut cleared = Vec::new();
            let mut copy = s.clone();
            for r in body["ranges"].as_array().cloned().unwrap_or_default() {
                let rect = copy.resolve(r.as_str().unwrap_or(""))?;
                copy.clear(&rect);
                cleared.push(copy.range_name(&rect));
            }
            copy.touch(now);
            *s = copy;
            Ok(json!({"spreadsheetId": s.id, "clearedRanges": cleared}))
        }
        (Method::POST, "/developerMetadata:search") => {
            let body = req.json()?;
            let mut out = Vec::new();
            for f in body["dataFilters"].as_array().cloned().unwrap_or_default() {
                for id in metadata_matching(s, &f["developerMetadataLookup"]) {
                    out.push(
                        json!({"developerMetadata": s.meta_json(&s.meta[&id]), "dataFilters": [f]}),
                    );
                }
            }
            Ok(if out.is_empty() {
                json!({})
            } else {
                json!({"matchedDeveloperMetadata": out})
            })
        }
        (Method::GET, t) if t.starts_with("/developerMetadata/") => {
            let mid: i32 = t["/developerMetadata/".len()..]
                .parse()
                .map_err(|_| ApiError::not_found())?;
            let m = s.meta.get(&mid).ok_or_else(ApiError::not_found)?;
            Ok(s.meta_json(m))
        }
        (m, t) if t.starts_with("/values/") => {
            let range = &t["/values/".len()..];
            if let Some(r) = range.strip_suffix(":append") {
                if m != Method::POST {
                    return Err(method_not_allowed());
                }
                append(s, req, r, now)
            } else if let Some(r) = range.strip_suffix(":clear") {
                if m != Method::POST {
                    return Err(method_not_allowed());
                }
                let mut copy = s.clone();
                let rect = copy.resolve(r)?;
                copy.clear(&rect);
                copy.touch(now);
                *s = copy;
                Ok(json!({"spreadsheetId": s.id, "clearedRange": s.range_name(&rect)}))
            } else if m == Method::GET {
                let rect = s.resolve(range)?;
                let (render, dates, cols) = render_options(req)?;
                Ok(value_range(s, &rect, render, dates, cols))
            } else if m == Method::PUT {
                values_update(s, req, range, now)
            } else {
                Err(method_not_allowed())
            }
        }
        _ => Err(ApiError {
            code: 404,
            status: "NOT_FOUND",
            message: format!("The requested URL {path} was not found on this server."),
            details: None,
        }),
    }?;
    Ok(Answer::ok(answer))
}

pub(super) fn method_not_allowed() -> ApiError {
    ApiError {
        code: 405,
        status: "UNKNOWN",
        message: "Method not allowed.".to_owned(),
        details: None,
    }
}

/// Unknown members of a request body are refused as Google's JSON parser does.
pub(super) fn check_keys(body: &Value, known: &[&str], at: &str) -> Result<(), ApiError> {
    if let Some(o) = body.as_object() {
        for k in o.keys() {
            if !known.contains(&k.as_str()) {
                let place = if at.is_empty() {
                    String::new()
                } else {
                    format!(" at '{at}'")
                };
                return Err(ApiError::bad_field(
                    at,
                    format!(
                        "Invalid JSON payload received. Unknown name \"{k}\"{place}: Cannot find field."
                    ),
                ));
            }
        }
    }
    Ok(())
}

pub(super) fn render_options(req: &Req<'_>) -> Result<(Render, DateRender, bool), ApiError> {
    let render = match req.param("valueRenderOption") {
        None | Some("FORMATTED_VALUE") => Render::Formatted,
        Some("UNFORMATTED_VALUE") => Render::Unformatted,
        Some("FORMULA") => Render::Formula,
        Some(o) => {
            return Err(ApiError::invalid(format!(
                "Invalid value at 'value_render_option', \"{o}\""
            )));
        }
    };
    let dates = match req.param("dateTimeRenderOption") {
        None | Some("SERIAL_NUMBER") => DateRender::Serial,
        Some("FORMATTED_STRING") => DateRender::FormattedString,
        Some(o) => {
            return Err(ApiError::invalid(format!(
                "Invalid value at 'date_time_render_option', \"{o}\""
            )));
        }
    };
    let cols = match req.param("majorDimension") {
        None | Some("ROWS") | Some("DIMENSION_UNSPECIFIED") => false,
        Some("COLUMNS") => true,
        Some(o) => {
            return Err(ApiError::invalid(format!(
                "Invalid value at 'major_dimension', \"{o}\""
            )));
        }
    };
    Ok((render, dates, cols))
}

pub(super) fn value_range(
    s: &Spreadsheet,
    rect: &Rect,
    render: Render,
    dates: DateRender,
    cols: bool,
) -> Value {
    let values = s.read(rect, render, dates, cols);
    let mut out = json!({"range": s.range_name(rect), "majorDimension": if cols { "COLUMNS" } else { "ROWS" }});
    if !values.is_empty() {
        out["values"] = json!(values);
    }
    out
}

pub(super) fn get(s: &Spreadsheet, req: &Req<'_>) -> Result<Value, ApiError> {
    let mask = match req.param("fields") {
        Some(f) => Mask::parse(f).map_err(|e| ApiError::bad_field("fields", e))?,
        None => Mask::default(),
    };
    let ranges = req.params("ranges");
    let grid = req.param("fields").is_some() && mask.wants(&["sheets", "data"])
        || req.param("includeGridData") == Some("true");
    let limit: Option<Vec<Rect>> = if ranges.is_empty() {
        None
    } else {
        Some(
            ranges
                .iter()
                .map(|r| s.resolve(r))
                .collect::<Result<_, _>>()?,
        )
    };
    let full = spreadsheet_json(s, limit.as_deref(), grid, &mask);
    Ok(mask.apply(&full))
}

/// The spreadsheet as `spreadsheets.get` answers, with grid data when asked (only for
/// `ranges` when given). The mask says which parts of the grid data are worth building.
pub fn spreadsheet_json(
    s: &Spreadsheet,
    ranges: Option<&[Rect]>,
    grid: bool,
    mask: &Mask,
) -> Value {
    let want_cells = mask.wants(&["sheets", "data", "rowData"]);
    let sheets: Vec<Value> = s
        .sheets
        .iter()
        .enumerate()
        .filter(|(i, _)| ranges.is_none_or(|r| r.iter().any(|r| r.sheet == *i)))
        .map(|(i, sh)| {
            let mut out = json!({"properties": sh.properties(i)});
            let meta: Vec<Value> = s
                .meta
                .values()
                .filter(|m| m.loc == super::model::MetaLoc::Sheet(sh.id))
                .map(|m| s.meta_json(m))
                .collect();
            if !meta.is_empty() {
                out["developerMetadata"] = json!(meta);
            }
            if !sh.protected.is_empty() {
                let mut p: Vec<Value> = sh.protected.clone();
                for pr in &mut p {
                    if let Some(r) = pr.get_mut("range") {
                        r["sheetId"] = json!(sh.id);
                    }
                }
                out["protectedRanges"] = json!(p);
            }
            if !sh.conditional.is_empty() {
                out["conditionalFormats"] = json!(sh.conditional);
            }
            if !sh.merges.is_empty() {
                out["merges"] = json!(sh.merges);
            }
            if grid {
                let rects: Vec<Rect> = match ranges {
                    Some(r) => r.iter().filter(|r| r.sheet == i).copied().collect(),
                    None => vec![Rect {
                        sheet: i,
                        r0: 0,
                        r1: sh.rows.len(),
                        c0: 0,
                        c1: sh.col_count as usize,
                    }],
                };
                let data: Vec<Value> = rects.iter().map(|r| grid_data(s, r, want_cells)).collect();
                out["data"] = json!(data);
            }
            out
        })
        .collect();
    let mut out = json!({
        "spreadsheetId": s.id,
        "properties": {
            "title": s.title,
            "locale": s.locale,
            "autoRecalc": "ON_CHANGE",
            "timeZone": s.time_zone,
            "defaultFormat": {
                "backgroundColor": {"red": 1, "green": 1, "blue": 1},
                "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
                "verticalAlignment": "BOTTOM",
                "wrapStrategy": "OVERFLOW_CELL",
                "textFormat": {"foregroundColor": {}, "fontFamily": "arial,sans,sans-serif", "fontSize": 10,
                               "bold": false, "italic": false, "strikethrough": false, "underline": false,
                               "foregroundColorStyle": {"rgbColor": {}}},
                "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}}
            }
        },
        "sheets": sheets,
        "spreadsheetUrl": format!("https://docs.google.com/spreadsheets/d/{}/edit", s.id),
    });
    let meta: Vec<Value> = s
        .meta
        .values()
        .filter(|m| m.loc == super::model::MetaLoc::Spreadsheet)
        .map(|m| s.meta_json(m))
        .collect();
    if !meta.is_empty() {
        out["developerMetadata"] = json!(meta);
    }
    out
}

pub(super) fn grid_data(s: &Spreadsheet, r: &Rect, cells: bool) -> Value {
    let mut out = Map::new();
    if r.r0 > 0 {
        out.insert("startRow".into(), json!(r.r0));
    }
    if r.c0 > 0 {
        out.insert("startColumn".into(), json!(r.c0));
    }
    if cells {
        let rows = trim_empty((r.r0..r.r1).map(|row| row_data(s, r, row)).collect());
        if !rows.is_empty() {
            out.insert("rowData".into(), json!(rows));
        }
    }
    out.insert("rowMetadata".into(), json!(row_metadata(s, r)));
    out.insert("columnMetadata".into(), json!(column_metadata(s, r)));
    Value::Object(out)
}

/// Without the empty objects at the end (Google leaves them out).
fn trim_empty(mut values: Vec<Value>) -> Vec<Value> {
    while values
        .last()
        .is_some_and(|v| v.as_object().is_some_and(Map::is_empty))
    {
        values.pop();
    }
    values
}

/// One row of `rowData`: each cell as stored, with its effective and formatted value.
fn row_data(s: &Spreadsheet, r: &Rect, row: usize) -> Value {
    let sh = &s.sheets[r.sheet];
    let values: Vec<Value> = (r.c0..r.c1)
        .map(|c| {
            let mut cell: Map<String, Value> = sh.cell(row, c).cloned().unwrap_or_default();
            if cell.contains_key("userEnteredValue") {
                let eff = s.render(r.sheet, row, c, Render::Unformatted, DateRender::Serial);
                let ev = match eff {
                    Value::Bool(b) => json!({"boolValue": b}),
                    Value::Number(n) => json!({"numberValue": n}),
                    Value::String(t) => json!({"stringValue": t}),
                    _ => json!({}),
                };
                cell.insert("effectiveValue".into(), ev);
                let shown = s.render(
                    r.sheet,
                    row,
                    c,
                    Render::Formatted,
                    DateRender::FormattedString,
                );
                cell.insert("formattedValue".into(), shown);
            }
            Value::Object(cell)
        })
        .collect();
    let values = trim_empty(values);
    if values.is_empty() {
        json!({})
    } else {
        json!({"values": values})
    }
}

fn row_metadata(s: &Spreadsheet, r: &Rect) -> Vec<Value> {
    let sh = &s.sheets[r.sheet];
    (r.r0..r.r1)
        .map(|row| {
            let rr = &sh.rows[row];
            let mut m =
                json!({"pixelSize": rr.props.get("pixelSize").cloned().unwrap_or(json!(21))});
            if rr.props.get("hiddenByUser") == Some(&json!(true)) {
                m["hiddenByUser"] = json!(true);
            }
            let dm: Vec<Value> = rr
                .meta
                .iter()
                .filter_map(|id| s.meta.get(id))
                .map(|x| s.meta_json(x))
                .collect();
            if !dm.is_empty() {
                m["developerMetadata"] = json!(dm);
            }
            m
        })
        .collect()
}

fn column_metadata(s: &Spreadsheet, r: &Rect) -> Vec<Value> {
    let sh = &s.sheets[r.sheet];
    (r.c0..r.c1)
        .map(|c| {
            let p = sh.columns.get(c).cloned().unwrap_or_default();
            let mut m = json!({"pixelSize": p.get("pixelSize").cloned().unwrap_or(json!(100))});
            if p.get("hiddenByUser") == Some(&json!(true)) {
                m["hiddenByUser"] = json!(true);
            }
            m
        })
        .collect()
}

pub(super) fn create(world: &mut World, req: &Req<'_>, caller: &Token) -> Result<Answer, ApiError> {
    let body = req.json.clone().unwrap_or(json!({}));
    let id = super::new_spreadsheet_id();
    let title = body["properties"]["title"]
        .as_str()
        .unwrap_or("Untitled spreadsheet");
    let mut s = Spreadsheet::new(&id, title, Timestamp::now());
    s.shared_with = None;
    let _ = caller;
    let out = spreadsheet_json(&s, None, false, &Mask::default());
    world.spreadsheets.insert(id, s);
    Ok(Answer::ok(out))
}

pub(super) fn batch_get(s: &Spreadsheet, req: &Req<'_>) -> Result<Value, ApiError> {
    let (render, dates, cols) = render_options(req)?;
    let mut out = Vec::new();
    for r in req.params("ranges") {
        let rect = s.resolve(r)?;
        out.push(value_range(s, &rect, render, dates, cols));
    }
    let mut answer = json!({"spreadsheetId": s.id});
    if !out.is_empty() {
        answer["valueRanges"] = json!(out);
    }
    Ok(answer)
}
