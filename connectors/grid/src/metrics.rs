//! The "Metrics" tab of a grid target (a sheet of the workbook, a tab of the spreadsheet).
//!
//! Row 1 holds the titles `ID | Name | Unit | Target | By | Date | Value` (Hebrew titles in a
//! Hebrew grid; columns are found by title, in either language). throughline adds one row per
//! `[[metric]]` that has no row yet, with its ID, name, unit, target and by-date, and never
//! writes a row again: what a person typed stays. A person types the day measured in `Date`
//! and the value in `Value`; for a later measurement they add a row below, with the metric's ID
//! or with the ID left empty (an empty ID belongs to the metric of the row above). Each cycle
//! reads every (Date, Value) pair; a value that is not a number, a value without a date, and an
//! ID that is no metric are reported at their cell and skipped.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use throughline_connector::metrics::{MetricReading, MetricSpec, MetricsRead};

use crate::cell::{Cell, number_text, read_date};
use crate::mapping::Language;

/// The tab's name.
pub const TAB: &str = "Metrics";

/// The columns, in the order throughline writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The metric's id (throughline writes it; a person may type it on a row of their own).
    Id,
    /// What is measured (throughline writes it).
    Name,
    /// The unit (throughline writes it).
    Unit,
    /// The value to reach (throughline writes it).
    Target,
    /// The day to reach it by (throughline writes it).
    By,
    /// The day measured (a person types it).
    Date,
    /// The measured value (a person types it).
    Value,
}

impl Column {
    /// Every column, in the order throughline writes them.
    pub const ALL: [Column; 7] = [
        Column::Id,
        Column::Name,
        Column::Unit,
        Column::Target,
        Column::By,
        Column::Date,
        Column::Value,
    ];

    /// The column's title in a tab of this language.
    pub fn title(self, language: Language) -> &'static str {
        let i = self as usize;
        match language {
            Language::English => ["ID", "Name", "Unit", "Target", "By", "Date", "Value"][i],
            Language::Hebrew => ["מזהה", "שם", "יחידה", "יעד", "עד תאריך", "תאריך", "ערך"][i],
        }
    }

    fn of_title(title: &str) -> Option<Column> {
        let t = title.trim();
        Column::ALL.into_iter().find(|c| {
            Language::ALL
                .into_iter()
                .any(|l| c.title(l).eq_ignore_ascii_case(t))
        })
    }
}

/// Where each column is (0-based), found by title in the first row; `None` for a tab with no
/// titles yet (throughline writes them).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsLayout {
    columns: [Option<usize>; 7],
}

impl MetricsLayout {
    /// The layout throughline writes: the columns in order, from A.
    pub fn written() -> MetricsLayout {
        MetricsLayout {
            columns: [0, 1, 2, 3, 4, 5, 6].map(Some),
        }
    }

    /// No column yet (a new tab, or one whose first row names none): [`Self::add_missing`]
    /// places them all.
    pub fn empty() -> MetricsLayout {
        MetricsLayout { columns: [None; 7] }
    }

    /// The columns of a tab whose first row is `header`; `None` when it names no column.
    pub fn detect(header: &[Cell<'_>]) -> Option<MetricsLayout> {
        let mut columns = [None; 7];
        for (i, cell) in header.iter().enumerate() {
            if let Some(c) = Column::of_title(&cell.text())
                && columns[c as usize].is_none()
            {
                columns[c as usize] = Some(i);
            }
        }
        columns
            .iter()
            .any(Option::is_some)
            .then_some(MetricsLayout { columns })
    }

    /// Where column `c` is (0-based), if the tab has it.
    pub fn column(&self, c: Column) -> Option<usize> {
        self.columns[c as usize]
    }

    /// Titles missing from the tab, appended after its last column: (column, title).
    pub fn add_missing(&mut self, width: usize, language: Language) -> Vec<(usize, &'static str)> {
        let mut next = width.max(
            self.columns
                .iter()
                .flatten()
                .map(|c| c + 1)
                .max()
                .unwrap_or(0),
        );
        let mut added = Vec::new();
        for c in Column::ALL {
            if self.columns[c as usize].is_none() {
                self.columns[c as usize] = Some(next);
                added.push((next, c.title(language)));
                next += 1;
            }
        }
        added
    }

    /// The fixed cells of a metric's new row: (column, cell).
    pub fn fixed_cells(&self, m: &MetricSpec) -> Vec<(usize, FixedCell)> {
        let values = [
            (Column::Id, FixedCell::Text(m.id.clone())),
            (Column::Name, FixedCell::Text(m.name.clone())),
            (Column::Unit, FixedCell::Text(m.unit.clone())),
            (Column::Target, FixedCell::Number(m.target)),
            (Column::By, FixedCell::Date(m.by)),
        ];
        values
            .into_iter()
            .filter_map(|(c, v)| self.column(c).map(|i| (i, v)))
            .collect()
    }
}

/// A cell throughline writes on a metric's row.
#[derive(Debug, Clone, PartialEq)]
pub enum FixedCell {
    /// Id, name or unit.
    Text(String),
    /// The target.
    Number(f64),
    /// The by-date, a date cell.
    Date(Date),
}

/// What one cycle makes of the tab: the values typed and the problems found, and the metrics
/// that need a row (in the order of `metrics`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsTab {
    /// The values typed and the cells skipped.
    pub read: MetricsRead,
    /// Metrics with no row on the tab yet: the connector adds one for each.
    pub missing: Vec<MetricSpec>,
}

/// A column index as its letters (0 = A, 26 = AA).
pub fn column_letters(mut index: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// How a tab's cells are read: its name (for messages), its columns, its date format and
/// time zone, and how its tool counts date serial numbers.
struct Reader<'a, S> {
    tab: &'a str,
    layout: &'a MetricsLayout,
    date_format: &'a str,
    tz: &'a TimeZone,
    serial: S,
}

impl<S: Fn(f64) -> Option<Date>> Reader<'_, S> {
    fn at<'r>(&self, row: &'r [Cell<'_>], c: Column) -> Cell<'r> {
        match self.layout.column(c).and_then(|i| row.get(i)) {
            Some(Cell::Text(s)) => Cell::Text(std::borrow::Cow::Borrowed(s)),
            Some(Cell::Number(n)) => Cell::Number(*n),
            Some(Cell::Bool(b)) => Cell::Bool(*b),
            Some(Cell::Date(d)) => Cell::Date(*d),
            Some(Cell::Empty) | None => Cell::Empty,
        }
    }

    /// `Metrics!G5` for row index `r` (0 = the sheet's row 2).
    fn name(&self, r: usize, c: Column) -> String {
        format!(
            "{}!{}{}",
            self.tab,
            column_letters(self.layout.column(c).unwrap_or(0)),
            r + 2
        )
    }

    /// The value of row `r` (not empty) for `metric`, or why it is skipped.
    fn reading(&self, r: usize, row: &[Cell<'_>], metric: &str) -> Result<MetricReading, String> {
        let value = self.at(row, Column::Value);
        let number = match &value {
            Cell::Number(n) => Some(*n),
            Cell::Text(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
            _ => None,
        };
        let Some(number) = number else {
            return Err(format!(
                "{}: \"{}\" is not a number; the value of {metric} is skipped. Type the measured \
                 value as a number, like 37.5",
                self.name(r, Column::Value),
                value.text(),
            ));
        };
        let date = self.at(row, Column::Date);
        let Some(day) = read_date(&date, self.date_format, self.tz, &self.serial) else {
            let what = if date.text().trim().is_empty() {
                "no date".to_string()
            } else {
                format!("\"{}\", which is not a date", date.text())
            };
            return Err(format!(
                "{}: the value {} of {metric} has {what}; it is skipped. Type the day it was \
                 measured, like 2027-03-18",
                self.name(r, Column::Date),
                number_text(number),
            ));
        };
        Ok(MetricReading {
            metric: metric.to_string(),
            at: day,
            value: number,
            cell: self.name(r, Column::Value),
        })
    }
}

/// Read the tab's rows below the titles (`rows[0]` is the sheet's row 2). `tab` names the tab
/// in messages; `serial` turns a date serial number into a date (the tools count differently).
pub fn read(
    tab: &str,
    layout: &MetricsLayout,
    rows: &[Vec<Cell<'_>>],
    metrics: &[MetricSpec],
    date_format: &str,
    tz: &TimeZone,
    serial: impl Fn(f64) -> Option<Date>,
) -> MetricsTab {
    let reader = Reader {
        tab,
        layout,
        date_format,
        tz,
        serial,
    };
    let mut out = MetricsTab::default();
    let mut seen = vec![false; metrics.len()];
    let mut current: Option<usize> = None;
    for (r, row) in rows.iter().enumerate() {
        let id = reader.at(row, Column::Id).text().trim().to_string();
        if !id.is_empty() {
            current = metrics.iter().position(|m| m.id == id);
            match current {
                Some(i) => seen[i] = true,
                None => {
                    let known: Vec<&str> = metrics.iter().map(|m| m.id.as_str()).collect();
                    out.read.problems.push(format!(
                        "{}: \"{id}\" is not a metric of this deployment; its row is skipped. \
                         Type one of: {}",
                        reader.name(r, Column::Id),
                        known.join(", ")
                    ));
                    continue;
                }
            }
        }
        if reader.at(row, Column::Value).text().trim().is_empty() {
            continue;
        }
        let Some(metric) = current.map(|i| &metrics[i]) else {
            out.read.problems.push(format!(
                "{}: a value with no metric (no ID in this row or above); type the metric's ID \
                 in {}",
                reader.name(r, Column::Value),
                reader.name(r, Column::Id)
            ));
            continue;
        };
        match reader.reading(r, row, &metric.id) {
            Ok(reading) => out.read.readings.push(reading),
            Err(problem) => out.read.problems.push(problem),
        }
    }
    out.missing = metrics
        .iter()
        .zip(seen)
        .filter(|(_, seen)| !seen)
        .map(|(m, _)| m.clone())
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn spec(id: &str) -> MetricSpec {
        MetricSpec {
            id: id.into(),
            name: format!("{id} name"),
            unit: "%".into(),
            target: 40.0,
            by: "2027-06-01".parse().unwrap(),
        }
    }

    fn t(s: &str) -> Cell<'_> {
        Cell::Text(Cow::Borrowed(s))
    }

    #[test]
    fn typed_values_are_read_and_bad_cells_reported_at_their_place() {
        let header = ["Value", "ID", "Name", "Date"].map(t);
        let layout = MetricsLayout::detect(&header).unwrap();
        let rows = vec![
            vec![Cell::Number(12.0), t("active"), t("x"), t("2027-03-11")],
            vec![t("31.5"), Cell::Empty, Cell::Empty, t("2027-03-18")],
            vec![t("abc"), t("active"), Cell::Empty, t("2027-03-25")],
            vec![Cell::Number(3.0), t("posts"), Cell::Empty, Cell::Empty],
            vec![Cell::Number(1.0), t("nope"), Cell::Empty, t("2027-03-25")],
        ];
        let metrics = [spec("active"), spec("posts"), spec("groups")];
        let tab = read(
            "Metrics",
            &layout,
            &rows,
            &metrics,
            "yyyy-mm-dd",
            &TimeZone::UTC,
            |_| None,
        );
        let got: Vec<(&str, String, f64, &str)> = tab
            .read
            .readings
            .iter()
            .map(|r| {
                (
                    r.metric.as_str(),
                    r.at.to_string(),
                    r.value,
                    r.cell.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("active", "2027-03-11".into(), 12.0, "Metrics!A2"),
                ("active", "2027-03-18".into(), 31.5, "Metrics!A3"),
            ]
        );
        assert_eq!(tab.read.problems.len(), 3, "{:?}", tab.read.problems);
        assert!(tab.read.problems[0].starts_with("Metrics!A4: \"abc\" is not a number"));
        assert!(tab.read.problems[1].starts_with("Metrics!D5: the value 3 of posts has no date"));
        assert!(tab.read.problems[2].starts_with("Metrics!B6: \"nope\" is not a metric"));
        assert_eq!(tab.missing, [spec("groups")]);
    }

    #[test]
    fn missing_titles_are_added_after_the_last_column_and_hebrew_titles_are_read() {
        let header = ["מזהה", "ערך", "הערות שלי"].map(t);
        let mut layout = MetricsLayout::detect(&header).unwrap();
        assert_eq!(layout.column(Column::Value), Some(1));
        let added = layout.add_missing(3, Language::Hebrew);
        assert_eq!(added[0], (3, "שם"));
        assert_eq!(layout.column(Column::Date), Some(7));
        assert_eq!(column_letters(27), "AB");
        assert!(MetricsLayout::detect(&[t("notes")]).is_none());
    }
}
