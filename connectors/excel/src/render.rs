//! The whole workbook written out with rust_xlsxwriter: throughline's sheets laid out for people
//! (frozen header, filters, dropdowns, dates, overdue rows in red, right to left for Hebrew),
//! every other sheet and column carried over cell by cell.

use std::collections::HashMap;

use rust_xlsxwriter::{
    Color, ConditionalFormatFormula, DataValidation, DataValidationErrorStyle, ExcelDateTime,
    Format, FormatAlign, FormatBorder, FormatUnderline, Formula, Note, Workbook as XlsxWorkbook,
    Worksheet, XlsxError, column_number_to_name,
};

use crate::book::{Align, Cell, Line, Look, Sheet, Visibility};
use crate::layout::{Baseline, Layout};
use crate::mapping::{ExcelMapping, Field, IdColumn, Language};
use crate::workbook::{BASELINE_MARK, BASELINE_SHEET, MAX_ROWS, Workbook};
use throughline_grid::mapping::norm;
use throughline_grid::{StatusCell, Words};

/// Rows below the last one that still get the dropdowns and the overdue colouring, so rows
/// people add by hand behave like the others.
const SPARE_ROWS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum RowKind {
    Header,
    Task,
    Entry,
    /// Rows people added, and anything above the header.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum DateKind {
    None,
    Date,
    DateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Style {
    kind: RowKind,
    field: Option<Field>,
    archived: bool,
    date: DateKind,
    rtl: bool,
}

struct Formats<'m> {
    mapping: &'m ExcelMapping,
    cache: HashMap<(Style, Option<Look>), Format>,
}

impl Formats<'_> {
    /// Throughline's format for a cell, with the look people gave it on top.
    fn get(&mut self, style: Style, look: Option<&Look>) -> &Format {
        let mapping = self.mapping;
        self.cache.entry((style, look.cloned())).or_insert_with(|| {
            let f = build_format(mapping, style);
            match look {
                Some(look) => apply_look(f, look, style.date != DateKind::None),
                None => f,
            }
        })
    }
}

fn build_format(mapping: &ExcelMapping, s: Style) -> Format {
    let mut f = Format::new().set_align(FormatAlign::Top);
    if s.kind == RowKind::Header {
        return f
            .set_bold()
            .set_background_color(Color::RGB(0xDDE4EE))
            .set_border_bottom(FormatBorder::Thin)
            .set_text_wrap();
    }
    f = match s.date {
        DateKind::Date => f.set_num_format(&mapping.date_format),
        DateKind::DateTime => f.set_num_format(format!("{} hh:mm", mapping.date_format)),
        DateKind::None => f,
    };
    if s.kind != RowKind::Other {
        match s.field {
            Some(Field::Id) => f = f.set_font_color(Color::RGB(0x808080)).set_font_size(9),
            Some(Field::Task) if s.kind == RowKind::Task => f = f.set_bold(),
            Some(Field::Task) if s.kind == RowKind::Entry && mapping.entry_indent > 0 => {
                f = f
                    .set_align(if s.rtl {
                        FormatAlign::Right
                    } else {
                        FormatAlign::Left
                    })
                    .set_indent(mapping.entry_indent);
            }
            Some(Field::Description) => f = f.set_text_wrap(),
            Some(Field::Done) => f = f.set_align(FormatAlign::Center),
            _ => {}
        }
        if s.archived && s.field.is_some() {
            f = f.set_font_color(Color::RGB(0x9A9A9A)).set_italic();
        }
    }
    f
}

fn apply_look(mut f: Format, look: &Look, is_date: bool) -> Format {
    if look.bold {
        f = f.set_bold();
    }
    if look.italic {
        f = f.set_italic();
    }
    if look.underline {
        f = f.set_underline(FormatUnderline::Single);
    }
    if look.strike {
        f = f.set_font_strikethrough();
    }
    if let Some(c) = look.font_color {
        f = f.set_font_color(Color::RGB(c));
    }
    if let Some(size) = look.font_size {
        f = f.set_font_size(size as f64 / 100.0);
    }
    if let Some(name) = &look.font_name {
        f = f.set_font_name(name);
    }
    if let Some(c) = look.fill {
        f = f.set_background_color(Color::RGB(c));
    }
    // A date keeps throughline's date format unless the cell had a number format of its own.
    if let Some(nf) = look
        .num_format
        .as_ref()
        .filter(|nf| !is_date || nf.contains(['y', 'd', 'm']))
    {
        f = f.set_num_format(nf);
    }
    if look.wrap {
        f = f.set_text_wrap();
    }
    f = match look.horizontal {
        Some(Align::Start) => f.set_align(FormatAlign::Left),
        Some(Align::Center) => f.set_align(FormatAlign::Center),
        Some(Align::End) => f.set_align(FormatAlign::Right),
        Some(Align::Justify) => f.set_align(FormatAlign::Justify),
        None => f,
    };
    f = match look.vertical {
        Some(Align::Start) => f.set_align(FormatAlign::Top),
        Some(Align::Center) => f.set_align(FormatAlign::VerticalCenter),
        Some(Align::Justify) => f.set_align(FormatAlign::VerticalJustify),
        Some(Align::End) | None => f,
    };
    if look.indent > 0 {
        f = f.set_indent(look.indent);
    }
    apply_borders(f, look.borders)
}

/// A cell's borders as it had them: left, right, top, bottom.
fn apply_borders(mut f: Format, borders: [Option<(Line, Option<u32>)>; 4]) -> Format {
    let border = |line: Line| match line {
        Line::Thin => FormatBorder::Thin,
        Line::Medium => FormatBorder::Medium,
        Line::Thick => FormatBorder::Thick,
        Line::Double => FormatBorder::Double,
        Line::Dashed => FormatBorder::Dashed,
        Line::Dotted => FormatBorder::Dotted,
        Line::Hair => FormatBorder::Hair,
    };
    let [left, right, top, bottom] = borders;
    if let Some((line, color)) = left {
        f = f.set_border_left(border(line));
        if let Some(c) = color {
            f = f.set_border_left_color(Color::RGB(c));
        }
    }
    if let Some((line, color)) = right {
        f = f.set_border_right(border(line));
        if let Some(c) = color {
            f = f.set_border_right_color(Color::RGB(c));
        }
    }
    if let Some((line, color)) = top {
        f = f.set_border_top(border(line));
        if let Some(c) = color {
            f = f.set_border_top_color(Color::RGB(c));
        }
    }
    if let Some((line, color)) = bottom {
        f = f.set_border_bottom(border(line));
        if let Some(c) = color {
            f = f.set_border_bottom_color(Color::RGB(c));
        }
    }
    f
}

/// Render the workbook to .xlsx bytes, with `baseline` as the state columns throughline
/// last wrote (normally [`Workbook::baseline_rows`] of what is being written).
pub(crate) fn render(
    wb: &Workbook,
    mapping: &ExcelMapping,
    baseline: &[(String, Baseline)],
) -> Result<Vec<u8>, XlsxError> {
    let mut out = XlsxWorkbook::new();
    let mut formats = Formats {
        mapping,
        cache: HashMap::new(),
    };
    let index = wb.index();
    let words = mapping.words();
    let mut kinds: HashMap<(usize, usize), RowKind> = HashMap::new();
    for t in &index.tasks {
        kinds.insert((t.loc.sheet, t.loc.row), RowKind::Task);
        for e in &t.entries {
            kinds.insert((e.loc.sheet, e.loc.row), RowKind::Entry);
        }
    }
    for e in &index.orphans {
        kinds.insert((e.loc.sheet, e.loc.row), RowKind::Entry);
    }

    let first_visible = wb
        .book
        .sheets
        .iter()
        .position(|s| s.visibility == Visibility::Visible);
    for (s, sheet) in wb.book.sheets.iter().enumerate() {
        let ws = out.add_worksheet();
        ws.set_name(&sheet.name)?;
        match sheet.visibility {
            Visibility::Visible => {}
            Visibility::Hidden => {
                ws.set_hidden(true);
            }
            Visibility::VeryHidden => {
                ws.set_very_hidden(true);
            }
        }
        if Some(s) == first_visible {
            ws.set_active(true);
        }
        if sheet.view.right_to_left {
            ws.set_right_to_left(true);
        }
        if let Some(rgb) = sheet
            .view
            .tab_color
            .as_deref()
            .and_then(|c| u32::from_str_radix(c, 16).ok())
        {
            ws.set_tab_color(Color::RGB(rgb));
        }
        match &wb.layouts[s] {
            Some(layout) => render_ours(ws, s, sheet, layout, &kinds, &words, &mut formats)?,
            None => render_theirs(ws, sheet, &mut formats)?,
        }
    }
    let mut name = BASELINE_SHEET.to_string();
    for n in 2.. {
        if wb.book.sheet_index(&name).is_none() {
            break;
        }
        name = format!("{BASELINE_SHEET} {n}");
    }
    render_baseline(&mut out, &name, baseline)?;
    // Saving is mostly compression; a lighter level halves it for a slightly larger file.
    out.set_zip_compression_level(1);
    out.save_to_buffer()
}

fn render_theirs(
    ws: &mut Worksheet,
    sheet: &Sheet,
    formats: &mut Formats<'_>,
) -> Result<(), XlsxError> {
    for (c, view) in &sheet.view.columns {
        if let Some(w) = view.width {
            ws.set_column_width(*c, w)?;
        }
        if view.hidden {
            ws.set_column_hidden(*c)?;
        }
    }
    let style = |cell: &Cell| Style {
        kind: RowKind::Other,
        field: None,
        archived: false,
        date: date_kind(cell),
        rtl: false,
    };
    for &(r0, c0, r1, c1) in &sheet.merges {
        let first = sheet.cell(r0 as usize, c0 as usize);
        let format = formats.get(style(first), sheet.looks.get(&(r0 as usize, c0 as usize)));
        // Overlapping blocks cannot be written; the cells are kept unmerged.
        if let Err(e) = ws.merge_range(r0, c0, r1, c1, "", format) {
            tracing::warn!(sheet = %sheet.name, error = %e, "a merged block was not kept");
        }
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let look = sheet.looks.get(&(r, c));
            if *cell == Cell::Empty && look.is_none() {
                continue;
            }
            write_cell(ws, r, c, cell, formats.get(style(cell), look))?;
        }
    }
    // Cells with a look and no value (a coloured empty cell, a bordered box).
    for (&(r, c), look) in &sheet.looks {
        if sheet.cell(r, c) == &Cell::Empty && !sheet.merges.iter().any(|m| in_merge(m, r, c)) {
            let format = formats.get(style(&Cell::Empty), Some(look));
            ws.write_blank(r as u32, c as u16, format)?;
        }
    }
    Ok(())
}

fn in_merge(&(r0, c0, r1, c1): &(u32, u16, u32, u16), r: usize, c: usize) -> bool {
    (r0 as usize..=r1 as usize).contains(&r) && (c0 as usize..=c1 as usize).contains(&c)
}

fn render_ours(
    ws: &mut Worksheet,
    s: usize,
    sheet: &Sheet,
    layout: &Layout,
    kinds: &HashMap<(usize, usize), RowKind>,
    words: &Words<'_>,
    formats: &mut Formats<'_>,
) -> Result<(), XlsxError> {
    let rtl = sheet.view.right_to_left;
    let header = layout.header_row;
    let last_col = sheet.width().max(1) - 1;
    let last_row = sheet.rows.len().saturating_sub(1).max(header);
    set_columns(ws, sheet, layout, formats.mapping)?;
    for (r, row) in sheet.rows.iter().enumerate() {
        let kind = if r == header {
            RowKind::Header
        } else if r < header {
            RowKind::Other
        } else {
            kinds.get(&(s, r)).copied().unwrap_or(RowKind::Other)
        };
        let ours = OurRow {
            r,
            kind,
            sheet,
            layout,
        };
        render_our_row(ws, &ours, row, words, formats)?;
    }

    // Styled empty cells past the end of their row, in people's own columns.
    for (&(r, c), look) in &sheet.looks {
        let beyond = sheet.rows.get(r).is_none_or(|row| c >= row.len());
        if beyond && layout.field_at(c).is_none() {
            let style = Style {
                kind: RowKind::Other,
                field: None,
                archived: false,
                date: DateKind::None,
                rtl,
            };
            ws.write_blank(r as u32, c as u16, formats.get(style, Some(look)))?;
        }
    }

    ws.set_freeze_panes(header as u32 + 1, 0)?;
    ws.autofilter(header as u32, 0, last_row as u32, last_col as u16)?;
    let first = header as u32 + 1;
    let spare = ((last_row + SPARE_ROWS).min(MAX_ROWS - 1)) as u32;
    validations(ws, layout, formats.mapping, first)?;
    if let Some(due) = layout.col(Field::Due) {
        let rule = overdue_rule(layout, formats.mapping, due, first + 1);
        let cf = ConditionalFormatFormula::new()
            .set_rule(rule.as_str())
            .set_format(
                Format::new()
                    .set_background_color(Color::RGB(0xFFC7CE))
                    .set_font_color(Color::RGB(0x9C0006)),
            );
        ws.add_conditional_format(first, 0, spare, last_col as u16, &cf)?;
    }
    Ok(())
}

/// Column widths (people's, else throughline's), the hidden identity column, and the date
/// format of the date columns, for the rows people add too.
fn set_columns(
    ws: &mut Worksheet,
    sheet: &Sheet,
    layout: &Layout,
    mapping: &ExcelMapping,
) -> Result<(), XlsxError> {
    let last_col = sheet.width().max(1) - 1;
    for c in 0..=last_col {
        let field = layout.field_at(c);
        let view = sheet.view.columns.get(&(c as u16));
        let width = view
            .and_then(|v| v.width)
            .or_else(|| field.map(default_width));
        if let Some(w) = width {
            ws.set_column_width(c as u16, w)?;
        }
        let hidden = match field {
            Some(Field::Id) => {
                mapping.id_column == IdColumn::Hidden || view.is_some_and(|v| v.hidden)
            }
            _ => view.is_some_and(|v| v.hidden),
        };
        if hidden {
            ws.set_column_hidden(c as u16)?;
        }
        if matches!(field, Some(Field::Start | Field::Due)) {
            // Dates people type into new rows show as dates too.
            ws.set_column_format(
                c as u16,
                &Format::new().set_num_format(&mapping.date_format),
            )?;
        }
    }

    Ok(())
}

/// A row of one of throughline's sheets, as it is rendered.
struct OurRow<'a> {
    r: usize,
    kind: RowKind,
    sheet: &'a Sheet,
    layout: &'a Layout,
}

/// One row of one of throughline's sheets: throughline's look in its columns (with a
/// highlight a person gave the row), people's look in theirs, and a note on a status word the
/// mapping does not know.
fn render_our_row(
    ws: &mut Worksheet,
    ours: &OurRow<'_>,
    row: &[Cell],
    words: &Words<'_>,
    formats: &mut Formats<'_>,
) -> Result<(), XlsxError> {
    let OurRow {
        r,
        kind,
        sheet,
        layout,
    } = *ours;
    let rtl = sheet.view.right_to_left;
    let status_col = layout.col(Field::Status);
    let archived = kind != RowKind::Other
        && kind != RowKind::Header
        && status_col
            .is_some_and(|c| words.status(&sheet.cell(r, c).view()) == StatusCell::Archived);
    for (c, cell) in row.iter().enumerate() {
        if *cell == Cell::Empty
            && matches!(kind, RowKind::Other | RowKind::Header)
            && !sheet.looks.contains_key(&(r, c))
        {
            continue;
        }
        let field = layout.field_at(c);
        let mut date = date_kind(cell);
        if kind != RowKind::Header
            && matches!(field, Some(Field::Start | Field::Due))
            && date == DateKind::None
        {
            // An empty date cell keeps the date format for when a person fills it in.
            date = if cell.is_empty() {
                DateKind::Date
            } else {
                DateKind::None
            };
        }
        let style = Style {
            kind,
            field,
            archived,
            date,
            rtl,
        };
        // People's own columns keep their look; in throughline's columns only a
        // highlight a person gave the row is kept.
        let look = sheet.looks.get(&(r, c));
        let look = match (field, look) {
            (None, look) => look.cloned(),
            (Some(_), Some(l)) if l.fill.is_some() && kind != RowKind::Header => Some(Look {
                fill: l.fill,
                ..Look::default()
            }),
            _ => None,
        };
        write_cell(ws, r, c, cell, formats.get(style, look.as_ref()))?;
        // A status word the mapping does not know is kept as typed and told about on the
        // cell itself; a later write without it leaves the note out.
        if kind == RowKind::Task
            && Some(c) == status_col
            && words.status(&cell.view()) == StatusCell::Other
        {
            let note = words.note();
            ws.insert_note(
                r as u32,
                c as u16,
                &Note::new(note).add_author_prefix(false),
            )?;
        }
    }
    Ok(())
}

/// The status dropdown and the tick list, down to the last row a sheet has.
fn validations(
    ws: &mut Worksheet,
    layout: &Layout,
    mapping: &ExcelMapping,
    first: u32,
) -> Result<(), XlsxError> {
    let lang = layout.language;
    if let Some(c) = layout.col(Field::Status) {
        let w = mapping.status_words(lang);
        let list = [&w.todo, &w.doing, &w.done, &w.archived];
        let dv = DataValidation::new()
            .allow_list_strings(&list)?
            .set_error_style(DataValidationErrorStyle::Warning)
            .set_error_title(match lang {
                Language::English => "Status",
                Language::Hebrew => "סטטוס",
            })?
            .set_error_message(match lang {
                Language::English => "Pick a status from the list (throughline reads the listed words and \"done\", \"x\", \"✓\").",
                Language::Hebrew => "בחרו סטטוס מהרשימה (throughline מזהה את המילים ברשימה וגם \"בוצע\", \"x\", \"✓\").",
            })?;
        ws.add_data_validation(first, c as u16, MAX_ROWS as u32 - 1, c as u16, &dv)?;
    }
    if let Some(c) = layout.col(Field::Done) {
        let dv = DataValidation::new()
            .allow_list_strings(&[mapping.tick.as_str()])?
            .set_error_style(DataValidationErrorStyle::Information);
        ws.add_data_validation(first, c as u16, MAX_ROWS as u32 - 1, c as u16, &dv)?;
    }
    Ok(())
}

/// A row is overdue when its due date is before today and neither its status nor its done
/// column says done (or archived).
fn overdue_rule(layout: &Layout, mapping: &ExcelMapping, due: usize, first_row_a1: u32) -> String {
    let cell = |c: usize| format!("${}{first_row_a1}", column_number_to_name(c as u16));
    let quoted = |words: Vec<&String>| -> String {
        let mut seen: Vec<String> = Vec::new();
        for w in words {
            let n = norm(w);
            if !n.is_empty() && !seen.contains(&n) {
                seen.push(n);
            }
        }
        seen.iter()
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut parts = vec![
        format!("ISNUMBER({})", cell(due)),
        format!("{}<TODAY()", cell(due)),
    ];
    if let Some(c) = layout.col(Field::Status) {
        let mut words: Vec<&String> = Vec::new();
        for lang in Language::ALL {
            let w = mapping.status_words(lang);
            words.push(&w.done);
            words.push(&w.archived);
        }
        words.extend(&mapping.done_words);
        words.extend(&mapping.archived_words);
        words.push(&mapping.tick);
        parts.push(format!(
            "ISNA(MATCH(TRIM({}),{{{}}},0))",
            cell(c),
            quoted(words)
        ));
    }
    if let Some(c) = layout.col(Field::Done) {
        let mut words: Vec<&String> = mapping.done_words.iter().collect();
        words.push(&mapping.tick);
        parts.push(format!(
            "ISNA(MATCH(TRIM({}),{{{}}},0))",
            cell(c),
            quoted(words)
        ));
        parts.push(format!("{}<>TRUE", cell(c)));
    }
    format!("=AND({})", parts.join(","))
}

fn default_width(field: Field) -> f64 {
    match field {
        Field::Id => 6.0,
        Field::Item => 24.0,
        Field::Stage => 16.0,
        Field::Task => 44.0,
        Field::Owner => 22.0,
        Field::Start | Field::Due => 12.0,
        Field::Status => 13.0,
        Field::Done => 7.0,
        Field::Description => 40.0,
        Field::Reason => 30.0,
    }
}

fn date_kind(cell: &Cell) -> DateKind {
    match cell.value() {
        Cell::DateTime(dt) if dt.time() == jiff::civil::Time::midnight() => DateKind::Date,
        Cell::DateTime(_) => DateKind::DateTime,
        _ => DateKind::None,
    }
}

/// Write one cell. Text is always written as text, never read as a formula: only formulas a
/// person put in the workbook are written back as formulas.
fn write_cell(
    ws: &mut Worksheet,
    r: usize,
    c: usize,
    cell: &Cell,
    format: &Format,
) -> Result<(), XlsxError> {
    let (row, col) = (r as u32, c as u16);
    match cell {
        Cell::Empty => {
            ws.write_blank(row, col, format)?;
        }
        Cell::Text(s) => {
            ws.write_string_with_format(row, col, s, format)?;
        }
        Cell::Number(n) => {
            ws.write_number_with_format(row, col, *n, format)?;
        }
        Cell::Bool(b) => {
            ws.write_boolean_with_format(row, col, *b, format)?;
        }
        Cell::DateTime(dt) => {
            let excel =
                ExcelDateTime::from_ymd(dt.year() as u16, dt.month() as u8, dt.day() as u8)?
                    .and_hms_milli(
                        dt.hour() as u16,
                        dt.minute() as u8,
                        dt.second() as u8,
                        (dt.subsec_nanosecond() / 1_000_000) as u16,
                    )?;
            ws.write_datetime_with_format(row, col, excel, format)?;
        }
        Cell::Error(e) => {
            ws.write_string_with_format(row, col, e, format)?;
        }
        Cell::Formula { formula, cached } => {
            let result = cached.text();
            ws.write_formula_with_format(
                row,
                col,
                Formula::new(formula).set_result(result),
                format,
            )?;
        }
    }
    Ok(())
}

fn render_baseline(
    out: &mut XlsxWorkbook,
    name: &str,
    rows: &[(String, Baseline)],
) -> Result<(), XlsxError> {
    let ws = out.add_worksheet();
    ws.set_name(name)?;
    ws.set_very_hidden(true);
    ws.write_string(0, 0, BASELINE_MARK)?;
    for (i, (id, base)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, id)?;
        ws.write_string(r, 1, base.status.key())?;
        ws.write_boolean(r, 2, base.ticked)?;
        if let Some(state) = base.state {
            ws.write_string(r, 3, state.as_str())?;
        }
    }
    Ok(())
}
