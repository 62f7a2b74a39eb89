//! Drive v3 for spreadsheets: `files.list` with the query terms people write, `files.get`,
//! `files.create`, `files.delete` and `files.watch`.

use axum::http::Method;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::fields::Mask;
use super::model::{ApiError, Spreadsheet};
use super::routes::*;
use super::server::*;
use super::{Token, World, watch};

pub(super) fn drive_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub(super) fn drive_get(
    world: &mut World,
    req: &Req<'_>,
    id: &str,
    caller: &Token,
) -> Result<Answer, ApiError> {
    let not_found = || drive_not_found(id);
    let Some(s) = world.spreadsheets.get(id) else {
        return Ok(not_found());
    };
    if !visible_to(s, caller) {
        return Ok(not_found());
    }
    match *req.method {
        Method::GET => {}
        // gspread's `del_spreadsheet`: gone, with an empty 204.
        Method::DELETE => {
            world.spreadsheets.remove(id);
            return Ok(Answer {
                status: 204,
                body: Value::Null,
                headers: Vec::new(),
            });
        }
        _ => return Err(method_not_allowed()),
    }
    let full = drive_file(s);
    let Some(fields) = req.param("fields") else {
        return Ok(Answer::ok(drive_file_short(&full)));
    };
    let mask = Mask::parse(fields).map_err(ApiError::invalid)?;
    if let Some(bad) = unknown_field(&mask, &full) {
        return Ok(bad);
    }
    Ok(Answer::ok(mask.apply(&full)))
}

pub(super) const SPREADSHEET_MIME: &str = "application/vnd.google-apps.spreadsheet";

/// Whether the caller may see the spreadsheet at all.
/// `files.watch`: a channel on a spreadsheet the caller can see.
pub(super) fn drive_watch(
    world: &mut World,
    req: &Req<'_>,
    file: &str,
    caller: &Token,
) -> Result<Answer, ApiError> {
    if *req.method != Method::POST {
        return Err(method_not_allowed());
    }
    if !world
        .spreadsheets
        .get(file)
        .is_some_and(|s| visible_to(s, caller))
    {
        return Ok(drive_not_found(file));
    }
    let (status, body) = watch::watch(world, file, req.json.as_ref());
    Ok(Answer::with_status(status, body))
}

pub(super) fn visible_to(s: &Spreadsheet, caller: &Token) -> bool {
    s.shared_with
        .as_ref()
        .is_none_or(|p| p.contains(&caller.principal))
}

/// A spreadsheet as a Drive `File`, with every field the emulator knows.
pub(super) fn drive_file(s: &Spreadsheet) -> Value {
    json!({
        "kind": "drive#file",
        "id": s.id,
        "name": s.title,
        "mimeType": SPREADSHEET_MIME,
        "createdTime": drive_time(s.created),
        "modifiedTime": drive_time(s.modified),
        "version": s.version.to_string(),
        "trashed": false,
    })
}

/// The fields Drive answers with when no `fields` are asked for.
pub(super) fn drive_file_short(full: &Value) -> Value {
    json!({"kind": full["kind"], "id": full["id"], "name": full["name"], "mimeType": full["mimeType"]})
}

/// Drive's 404 for a file the caller cannot see.
pub(super) fn drive_not_found(id: &str) -> Answer {
    let message = format!("File not found: {id}.");
    Answer {
        status: 404,
        body: json!({"error": {"code": 404, "message": message, "errors": [{
            "message": message, "domain": "global", "reason": "notFound",
            "location": "fileId", "locationType": "parameter"}]}}),
        headers: Vec::new(),
    }
}

/// Drive's error body for a 400 on one parameter.
pub(super) fn drive_bad_parameter(message: &str, reason: &str, location: &str) -> Answer {
    Answer {
        status: 400,
        body: json!({"error": {"code": 400, "message": message, "errors": [{
            "message": message, "domain": "global", "reason": reason,
            "location": location, "locationType": "parameter"}]}}),
        headers: Vec::new(),
    }
}

/// A 400 for the first name in the mask that the answer does not have.
pub(super) fn unknown_field(mask: &Mask, full: &Value) -> Option<Answer> {
    let name = mask
        .children
        .keys()
        .find(|name| *name != "*" && full.get(name.as_str()).is_none())?;
    Some(drive_bad_parameter(
        &format!("Invalid field selection {name}"),
        "invalidParameter",
        "fields",
    ))
}

/// One term of a Drive search query, as gspread and people write them.
#[derive(Debug, PartialEq)]
pub(super) enum Term {
    /// `mimeType = '…'` (or `!=`).
    Mime(String, bool),
    /// `name = '…'` (or `!=`).
    Name(String, bool),
    /// `name contains '…'`.
    NameContains(String),
    /// `trashed = true|false`.
    Trashed(bool),
    /// `'…' in parents` / `parents in '…'`: folders are not modelled, so only `root` matches.
    Parent(String),
}

/// Parse `q`: terms joined by `and`. `None` for anything else (Drive answers "Invalid Value").
pub(super) fn parse_query_terms(q: &str) -> Option<Vec<Term>> {
    let mut terms = Vec::new();
    let mut rest = q.trim();
    loop {
        let (term, after) = parse_term(rest)?;
        terms.push(term);
        rest = after.trim_start();
        if rest.is_empty() {
            return Some(terms);
        }
        rest = rest.strip_prefix("and")?;
        if !rest.starts_with(char::is_whitespace) {
            return None;
        }
        rest = rest.trim_start();
    }
}

pub(super) fn parse_term(text: &str) -> Option<(Term, &str)> {
    let text = text.trim_start();
    if text.starts_with(['\'', '"']) {
        let (value, rest) = quoted(text)?;
        let rest = rest.trim_start().strip_prefix("in")?.trim_start();
        let rest = rest.strip_prefix("parents")?;
        return Some((Term::Parent(value), rest));
    }
    let word_end = text
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(text.len());
    let (field, rest) = text.split_at(word_end);
    let rest = rest.trim_start();
    let (op, rest) = ["!=", "=", "contains", "in"]
        .iter()
        .find_map(|op| rest.strip_prefix(op).map(|r| (*op, r.trim_start())))?;
    match (field, op) {
        ("trashed", "=") => {
            let end = rest
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(rest.len());
            let flag = match &rest[..end] {
                "true" => true,
                "false" => false,
                _ => return None,
            };
            Some((Term::Trashed(flag), &rest[end..]))
        }
        ("mimeType", "=" | "!=") => {
            let (v, rest) = quoted(rest)?;
            Some((Term::Mime(v, op == "="), rest))
        }
        ("name", "=" | "!=") => {
            let (v, rest) = quoted(rest)?;
            Some((Term::Name(v, op == "="), rest))
        }
        ("name", "contains") => {
            let (v, rest) = quoted(rest)?;
            Some((Term::NameContains(v), rest))
        }
        ("parents", "in") => {
            let (v, rest) = quoted(rest)?;
            Some((Term::Parent(v), rest))
        }
        _ => None,
    }
}

/// A string in single or double quotes, with `\'` and `\\` escapes.
pub(super) fn quoted(text: &str) -> Option<(String, &str)> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let mut out = String::new();
    let mut chars = text[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?.1),
            c if c == quote => return Some((out, &text[1 + i + 1..])),
            c => out.push(c),
        }
    }
    None
}

pub(super) fn term_matches(t: &Term, s: &Spreadsheet) -> bool {
    match t {
        Term::Mime(m, eq) => (m == SPREADSHEET_MIME) == *eq,
        Term::Name(n, eq) => (s.title == *n) == *eq,
        Term::NameContains(n) => s.title.to_lowercase().contains(&n.to_lowercase()),
        Term::Trashed(t) => !*t,
        Term::Parent(p) => p == "root",
    }
}

/// `files.list`: the caller's spreadsheets matching `q`, newest change first, a page at a time.
pub(super) fn drive_list(
    world: &mut World,
    req: &Req<'_>,
    caller: &Token,
) -> Result<Answer, ApiError> {
    let terms = match req.param("q") {
        None => Vec::new(),
        Some(q) => match parse_query_terms(q) {
            Some(t) => t,
            None => return Ok(drive_bad_parameter("Invalid Value", "invalid", "q")),
        },
    };
    let page_size = match req.param("pageSize").map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => {
            return Ok(drive_bad_parameter(
                "Invalid value for pageSize",
                "invalid",
                "pageSize",
            ));
        }
    };
    let offset = match req.param("pageToken").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match t
            .strip_prefix("page-")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) => n,
            None => {
                return Ok(drive_bad_parameter("Invalid Value", "invalid", "pageToken"));
            }
        },
    };
    let mut found: Vec<&Spreadsheet> = world
        .spreadsheets
        .values()
        .filter(|s| visible_to(s, caller) && terms.iter().all(|t| term_matches(t, s)))
        .collect();
    found.sort_by(|a, b| b.modified.cmp(&a.modified).then(a.id.cmp(&b.id)));
    let full: Vec<Value> = found.iter().map(|s| drive_file(s)).collect();
    let page: Vec<Value> = full.iter().skip(offset).take(page_size).cloned().collect();
    let mut out = json!({"kind": "drive#fileList", "incompleteSearch": false});
    if offset + page_size < full.len() {
        out["nextPageToken"] = json!(format!("page-{}", offset + page_size));
    }
    let Some(fields) = req.param("fields") else {
        out["files"] = Value::Array(page.iter().map(drive_file_short).collect());
        return Ok(Answer::ok(out));
    };
    out["files"] = Value::Array(page);
    let mask = Mask::parse(fields).map_err(ApiError::invalid)?;
    let list_fields = json!({"kind": "", "nextPageToken": "", "incompleteSearch": "", "files": ""});
    if let Some(bad) = unknown_field(&mask, &list_fields) {
        return Ok(bad);
    }
    if let Some(files) = mask.children.get("files")
        && let Some(bad) = unknown_field(
            files,
            &drive_file(&Spreadsheet::new("", "", Timestamp::now())),
        )
    {
        return Ok(bad);
    }
    Ok(Answer::ok(mask.apply(&out)))
}

/// `files.create` of a Google Sheets file (gspread's `create`): a new spreadsheet with one
/// `Sheet1`. Other kinds of file are not modelled.
pub(super) fn drive_create(
    world: &mut World,
    req: &Req<'_>,
    caller: &Token,
) -> Result<Answer, ApiError> {
    let body = req.json.clone().unwrap_or(json!({}));
    let mime = body["mimeType"].as_str().unwrap_or("");
    if mime != SPREADSHEET_MIME {
        return Ok(drive_bad_parameter(
            &format!(
                "the emulator only creates Google Sheets files (mimeType {SPREADSHEET_MIME}), \
                 not {mime:?}"
            ),
            "invalid",
            "mimeType",
        ));
    }
    // Folders are not modelled: a parent other than `root` is not found, as an unknown folder
    // is in Drive.
    if let Some(parent) = body["parents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .find(|p| *p != "root")
    {
        return Ok(drive_not_found(parent));
    }
    let id = super::new_spreadsheet_id();
    let title = body["name"].as_str().unwrap_or("Untitled spreadsheet");
    let mut s = Spreadsheet::new(&id, title, Timestamp::now());
    s.shared_with = None;
    let _ = caller;
    let full = drive_file(&s);
    world.spreadsheets.insert(id, s);
    let Some(fields) = req.param("fields") else {
        return Ok(Answer::ok(drive_file_short(&full)));
    };
    let mask = Mask::parse(fields).map_err(ApiError::invalid)?;
    if let Some(bad) = unknown_field(&mask, &full) {
        return Ok(bad);
    }
    Ok(Answer::ok(mask.apply(&full)))
}

// --- OAuth ------------------------------------------------------------------------------------
