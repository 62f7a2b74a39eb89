//! The tabs of one apply and the structure request: new tabs (marker, header, formats,
//! validation, protection), inserted rows with their metadata, repaired metadata and notes,
//! bottom first so the positions above stay as observed.

use super::*;

impl Planner<'_> {
    // --- Tabs ----------------------------------------------------------------------------------

    /// The tab a new task goes to, planned if needed. A tab of the same name that is not
    /// throughline's is never taken over.
    pub(super) fn tab_for(&mut self, ctx: &TaskContext) -> usize {
        let wanted = self.mapping.tab_for(&ctx.process, &ctx.process_name);
        if let Some(i) = self.tabs.iter().position(|t| t.key == wanted) {
            return i;
        }
        let taken: HashSet<String> = self
            .snap
            .titles
            .iter()
            .chain(self.tabs.iter().map(|t| &t.title))
            .map(|t| t.to_lowercase())
            .collect();
        let title = (1..)
            .map(|n| {
                if n == 1 {
                    wanted.clone()
                } else {
                    numbered(&wanted, n)
                }
            })
            .find(|t| !taken.contains(&t.to_lowercase()))
            .expect("some numbered name is free");
        let sheet_id = loop {
            let id = rand::random_range(1..i32::MAX);
            if self.used_sheet_ids.insert(id) {
                break id;
            }
        };
        let language = self.mapping.language_for(ctx.rtl);
        let header_row = self.mapping.header_row - 1;
        let layout = Layout::new_sheet(self.mapping, language, header_row as usize);
        let tab = TabPlan {
            sheet_id,
            title,
            key: wanted,
            layout,
            // The header, and one empty row under it that new rows go above.
            row_count: header_row + 2,
            is_new: true,
            rtl: ctx.rtl,
            append_at: header_row + 1,
        };
        let metadata_id = self.new_id();
        self.setup
            .extend(tab_setup(&tab, self.mapping, metadata_id));
        self.tabs.push(tab);
        self.tabs.len() - 1
    }

    // --- The requests --------------------------------------------------------------------------

    pub(super) fn finish(mut self, outcomes: Vec<Outcome>) -> Plan {
        let mut structure = std::mem::take(&mut self.setup);
        let inserted = self.insert_rows(&mut structure);
        let shifts = inserted.shifts;
        for ins in &self.inserts {
            let tab = &self.tabs[ins.tab];
            let at = inserted.rows[&ins.seq];
            structure.push(row_metadata(
                tab.sheet_id,
                at,
                ins.metadata_id,
                &ins.identity,
            ));
        }
        for (tab, row, id, identity) in &self.repairs {
            let at = row + shift(&shifts[*tab], *row);
            structure.push(row_metadata(self.tabs[*tab].sheet_id, at, *id, identity));
        }
        for (tab, row, col, text) in &self.notes {
            let at = row + shift(&shifts[*tab], *row);
            let cell = match text {
                Some(t) => json!({"note": t}),
                None => json!({}),
            };
            structure.push(json!({"updateCells": {
                "range": {"sheetId": self.tabs[*tab].sheet_id,
                          "startRowIndex": at, "endRowIndex": at + 1,
                          "startColumnIndex": col, "endColumnIndex": col + 1},
                "rows": [{"values": [cell]}],
                "fields": "note"}}));
        }
        // Rows inserted at the end of a range do not take its validation and formats: set them
        // again over all of throughline's rows of the tab.
        for (t, rows) in inserted.grown {
            structure.extend(data_area(&self.tabs[t], self.mapping, rows));
        }
        Plan {
            structure,
            writes: self.writes,
            outcomes,
            tabs: self.tabs,
            shifts,
        }
    }

    /// The requests that insert the planned rows, bottom first so the positions above stay as
    /// observed; and where the rows end up.
    fn insert_rows(&self, structure: &mut Vec<Value>) -> Inserted {
        let mut inserted = Inserted {
            shifts: vec![Vec::new(); self.tabs.len()],
            rows: HashMap::new(),
            grown: BTreeMap::new(),
        };
        for (t, tab) in self.tabs.iter().enumerate() {
            // Blocks of rows inserted before the same row, in the order they were planned.
            let mut blocks: BTreeMap<u32, Vec<&Insert>> = BTreeMap::new();
            for ins in self.inserts.iter().filter(|i| i.tab == t) {
                blocks.entry(ins.before).or_default().push(ins);
            }
            if blocks.is_empty() {
                continue;
            }
            for (&before, block) in blocks.iter().rev() {
                let n = block.len() as u32;
                if before >= tab.row_count {
                    structure.push(json!({"appendDimension": {
                        "sheetId": tab.sheet_id, "dimension": "ROWS", "length": n}}));
                } else {
                    structure.push(json!({"insertDimension": {
                        "range": {"sheetId": tab.sheet_id, "dimension": "ROWS",
                                  "startIndex": before, "endIndex": before + n},
                        "inheritFromBefore": before > tab.header_row() + 1}}));
                }
            }
            let mut above = 0;
            for (&before, block) in &blocks {
                let mut sorted = block.clone();
                sorted.sort_by_key(|i| i.seq);
                for (j, ins) in sorted.iter().enumerate() {
                    inserted.rows.insert(ins.seq, before + above + j as u32);
                }
                inserted.shifts[t].push((before, block.len() as u32));
                above += block.len() as u32;
            }
            inserted.grown.insert(t, tab.row_count + above);
        }
        inserted
    }
}

/// Where one apply's inserted rows go.
struct Inserted {
    /// Per tab: rows inserted before an observation-time row, and how many.
    shifts: Vec<Vec<(u32, u32)>>,
    /// Each insert's row after the batch.
    rows: HashMap<usize, u32>,
    /// Tabs that grew, with their new row count.
    grown: BTreeMap<usize, u32>,
}

/// How far the rows inserted above an observation-time row move it down.
pub(super) fn shift(shifts: &[(u32, u32)], row: u32) -> u32 {
    shifts
        .iter()
        .filter(|(before, _)| *before <= row)
        .map(|(_, n)| n)
        .sum()
}

fn row_metadata(sheet_id: i32, row: u32, id: i32, identity: &str) -> Value {
    json!({"createDeveloperMetadata": {"developerMetadata": {
        "metadataId": id,
        "metadataKey": ROW_KEY,
        "metadataValue": identity,
        "location": {"dimensionRange": {
            "sheetId": sheet_id, "dimension": "ROWS", "startIndex": row, "endIndex": row + 1}},
        "visibility": "DOCUMENT"}}})
}

/// A new tab: its grid, marker, header (bold, frozen), identity column, conditional formats
/// and the warning-only protection of throughline's columns.
fn tab_setup(tab: &TabPlan, mapping: &SheetsMapping, marker_id: i32) -> Vec<Value> {
    let l = tab;
    let ncols = mapping.columns.len() as u32;
    let mut out = vec![
        json!({"addSheet": {"properties": {
            "sheetId": tab.sheet_id,
            "title": tab.title,
            "sheetType": "GRID",
            "rightToLeft": tab.rtl,
            "gridProperties": {"rowCount": tab.row_count, "columnCount": ncols,
                               "frozenRowCount": l.header_row() + 1}}}}),
        json!({"createDeveloperMetadata": {"developerMetadata": {
            "metadataId": marker_id,
            "metadataKey": TAB_KEY,
            "metadataValue": tab.key,
            "location": {"sheetId": tab.sheet_id},
            "visibility": "DOCUMENT"}}}),
    ];
    out.extend(header(tab, mapping));
    out.extend(conditional_formats(tab, mapping));
    if mapping.protect {
        out.push(protection(tab, mapping));
    }
    out
}

/// The header row (bold, grey) and the look of the identity column.
fn header(tab: &TabPlan, mapping: &SheetsMapping) -> Vec<Value> {
    let l = tab;
    let lang = tab.layout.language;
    let mut out = Vec::new();
    let titles: Vec<Value> = mapping
        .columns
        .iter()
        .map(|f| {
            json!({"userEnteredValue": {"stringValue": mapping.headers(lang)[f.index()]},
                   "userEnteredFormat": {"textFormat": {"bold": true},
                       "backgroundColor": {"red": 0.9, "green": 0.9, "blue": 0.9}}})
        })
        .collect();
    out.push(json!({"updateCells": {
        "rows": [{"values": titles}],
        "fields": "userEnteredValue,userEnteredFormat(textFormat,backgroundColor)",
        "start": {"sheetId": tab.sheet_id, "rowIndex": l.header_row(), "columnIndex": 0}}}));
    if let Some(c) = l.col(Field::Id) {
        let props = match mapping.id_column {
            IdColumn::Narrow => json!({"pixelSize": 60}),
            IdColumn::Hidden => json!({"hiddenByUser": true}),
        };
        let fields = match mapping.id_column {
            IdColumn::Narrow => "pixelSize",
            IdColumn::Hidden => "hiddenByUser",
        };
        out.push(json!({"updateDimensionProperties": {
            "range": {"sheetId": tab.sheet_id, "dimension": "COLUMNS",
                      "startIndex": c, "endIndex": c + 1},
            "properties": props, "fields": fields}}));
    }
    out
}

/// Archived rows greyed and overdue dates red: conditional formats, right between syncs.
fn conditional_formats(tab: &TabPlan, mapping: &SheetsMapping) -> Vec<Value> {
    let l = tab;
    let ncols = mapping.columns.len() as u32;
    let mut out = Vec::new();
    let first = l.header_row() + 1;
    let letter = |f: Field| l.col(f).map(a1::column_letters);
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    if let Some(status) = letter(Field::Status) {
        // Archived rows are greyed, whatever language their word is in.
        let words: Vec<String> = Language::ALL
            .iter()
            .map(|&lang| {
                format!(
                    "${status}{}={}",
                    first + 1,
                    quote(&mapping.status_words(lang).archived)
                )
            })
            .collect();
        out.push(json!({"addConditionalFormatRule": {"index": 0, "rule": {
            "ranges": [{"sheetId": tab.sheet_id, "startRowIndex": first,
                        "startColumnIndex": 0, "endColumnIndex": ncols}],
            "booleanRule": {
                "condition": {"type": "CUSTOM_FORMULA",
                              "values": [{"userEnteredValue": format!("=OR({})", words.join(","))}]},
                "format": {"textFormat": {"foregroundColor": {"red": 0.6, "green": 0.6, "blue": 0.6}}}}}}}));
    }
    if let Some(due) = letter(Field::Due) {
        // Past due and not done: red, recomputed by Sheets every day.
        let r = first + 1;
        let not_done = match (letter(Field::Done), letter(Field::Status)) {
            (Some(done), _) => format!("${done}{r}<>TRUE"),
            (None, Some(status)) => format!(
                "AND(${status}{r}<>{},${status}{r}<>{})",
                quote(&mapping.status_en.done),
                quote(&mapping.status_he.done)
            ),
            (None, None) => "TRUE".to_owned(),
        };
        out.push(json!({"addConditionalFormatRule": {"index": 1, "rule": {
            "ranges": [{"sheetId": tab.sheet_id, "startRowIndex": first,
                        "startColumnIndex": l.col(Field::Due).unwrap_or(0),
                        "endColumnIndex": l.col(Field::Due).unwrap_or(0) + 1}],
            "booleanRule": {
                "condition": {"type": "CUSTOM_FORMULA",
                              "values": [{"userEnteredValue":
                                  format!("=AND(ISNUMBER(${due}{r}),${due}{r}<TODAY(),{not_done})")}]},
                "format": {"textFormat": {"foregroundColor": {"red": 0.8, "green": 0.0, "blue": 0.0}}}}}}}));
    }
    out
}

/// A warning-only protected range over the playbook's columns, Status and Done left free.
fn protection(tab: &TabPlan, mapping: &SheetsMapping) -> Value {
    let l = tab;
    let ncols = mapping.columns.len() as u32;
    let unprotected: Vec<Value> = mapping
        .columns
        .iter()
        .filter(|f| f.people_edit())
        .filter_map(|f| l.col(*f))
        .map(|c| json!({"sheetId": tab.sheet_id, "startColumnIndex": c, "endColumnIndex": c + 1}))
        .collect();
    json!({"addProtectedRange": {"protectedRange": {
        "range": {"sheetId": tab.sheet_id, "startColumnIndex": 0, "endColumnIndex": ncols},
        "description": "throughline keeps these columns in step with the playbook; edits \
                        here may be replaced by the next sync. Status and Done are yours.",
        "warningOnly": true,
        "unprotectedRanges": unprotected}}})
}

/// Validation and formats over throughline's rows of a tab: the status dropdown, the done
/// checkbox, and the date format of the date columns.
fn data_area(tab: &TabPlan, mapping: &SheetsMapping, rows: u32) -> Vec<Value> {
    let l = tab;
    let first = l.header_row() + 1;
    let range = |c: u32| {
        json!({"sheetId": tab.sheet_id, "startRowIndex": first, "endRowIndex": rows,
               "startColumnIndex": c, "endColumnIndex": c + 1})
    };
    let mut out = Vec::new();
    if rows <= first {
        return out;
    }
    if let Some(c) = l.col(Field::Status) {
        let words: Vec<Value> = mapping
            .status_words(tab.layout.language)
            .all()
            .iter()
            .map(|w| json!({"userEnteredValue": w}))
            .collect();
        out.push(json!({"setDataValidation": {"range": range(c), "rule": {
            "condition": {"type": "ONE_OF_LIST", "values": words},
            "showCustomUi": true, "strict": false}}}));
    }
    if let Some(c) = l.col(Field::Done) {
        out.push(json!({"setDataValidation": {"range": range(c), "rule": {
            "condition": {"type": "BOOLEAN"}, "strict": true}}}));
    }
    for f in [Field::Start, Field::Due] {
        if let Some(c) = l.col(f) {
            out.push(json!({"repeatCell": {"range": range(c),
                "cell": {"userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": mapping.date_format}}},
                "fields": "userEnteredFormat.numberFormat"}}));
        }
    }
    out
}
