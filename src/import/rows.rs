//! Reading the rows under the header: merged cells filled in, and the rows that hold no data
//! (blank, headings, totals, a repeated header) told apart from rows that do.

use std::collections::HashMap;

use super::columns::{Header, normalize, normalized_chars};
use super::grid::{Grid, Value, clean};

/// The data area of a sheet, below its header.
pub struct Rows<'g> {
    pub grid: &'g Grid,
    header: &'g Header,
    /// Cells covered by a merged area spanning several rows → the area's top-left cell.
    fill: HashMap<(u32, u32), (u32, u32)>,
    /// The header's titles, normalised, by column.
    titles: HashMap<u32, String>,
}

/// What kind of row this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Blank,
    Totals,
    RepeatedHeader,
    /// One cell of text: merged across columns, or in a column that holds no field.
    Heading {
        col: u32,
    },
    Data,
}

const TOTALS: &[&str] = &[
    "סה כ",
    "total",
    "totals",
    "grand total",
    "subtotal",
    "sum",
    "סהכ",
    "סך הכל",
    "סיכום",
    "סהכ כללי",
];

impl<'g> Rows<'g> {
    pub fn new(grid: &'g Grid, header: &'g Header) -> Self {
        let mut fill = HashMap::new();
        for m in &grid.merges {
            if m.last_row > m.first_row && m.first_row > header.row {
                // A merge may run far below the data (a whole column); only data rows matter.
                for row in m.first_row + 1..=m.last_row.min(grid.row_range().end) {
                    fill.insert((row, m.first_col), (m.first_row, m.first_col));
                }
            }
        }
        let titles = header
            .titles
            .iter()
            .map(|(c, t)| (*c, normalize(t)))
            .collect();
        Rows {
            grid,
            header,
            fill,
            titles,
        }
    }

    /// Absolute rows below the header.
    pub fn data_rows(&self) -> std::ops::Range<u32> {
        self.header.row + 1..self.grid.row_range().end.max(self.header.row + 1)
    }

    /// The cell's value, or for a cell inside a merged area, the area's value.
    pub fn value(&self, row: u32, col: u32) -> &Value {
        match self.fill.get(&(row, col)) {
            Some(&(r, c)) => self.grid.get(r, c),
            None => self.grid.get(row, col),
        }
    }

    /// Whether the value comes from a merged area above this row.
    pub fn is_filled(&self, row: u32, col: u32) -> bool {
        self.fill.contains_key(&(row, col))
    }

    pub fn text(&self, row: u32, col: u32) -> Option<String> {
        self.value(row, col).text()
    }

    /// Classify a row. `field_cols` are the columns a data row uses.
    pub fn shape(&self, row: u32, field_cols: &[u32]) -> Shape {
        // Counted without copying any text: this runs once per row of large sheets.
        let mut count = 0;
        let mut first: Option<(u32, &Value)> = None;
        let mut same_as_header = 0;
        for c in self.grid.col_range() {
            let v = self.grid.get(row, c);
            if v.is_blank() {
                continue;
            }
            count += 1;
            first.get_or_insert((c, v));
            if let (Value::Text(t), Some(title)) = (v, self.titles.get(&c))
                && normalized_chars(t).eq(title.chars())
            {
                same_as_header += 1;
            }
        }
        let filled = field_cols
            .iter()
            .any(|&c| self.is_filled(row, c) && !self.value(row, c).is_blank());
        let Some((first_col, first)) = first else {
            return if filled { Shape::Data } else { Shape::Blank };
        };
        if let Value::Text(t) = first
            && clean(t).chars().count() <= 16
        {
            let word: String = normalized_chars(t)
                .filter(|c| !matches!(c, '"' | '״'))
                .collect();
            if TOTALS.contains(&word.as_str()) {
                return Shape::Totals;
            }
        }
        if same_as_header >= 2 {
            return Shape::RepeatedHeader;
        }
        if count == 1 && !filled {
            let merged_across = self
                .grid
                .merge_at(row, first_col)
                .is_some_and(|m| m.last_col > m.first_col);
            if merged_across || !field_cols.contains(&first_col) {
                return Shape::Heading { col: first_col };
            }
        }
        Shape::Data
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::grid::Merge;

    fn t(s: &str) -> Value {
        if s.is_empty() {
            Value::Empty
        } else {
            Value::Text(s.into())
        }
    }

    #[test]
    fn shapes_and_merged_fill() {
        let mut g = Grid::new(
            "S",
            (0, 0),
            vec![
                vec![t("Stage"), t("Step")],
                vec![t("Copy"), t("Draft")],
                vec![t(""), t("Edit")],
                vec![t("March")],
                vec![],
                vec![t("Total"), Value::Number(3.0)],
                vec![t("Stage"), t("Step")],
                vec![t(""), t("Note")],
            ],
        );
        g.merges.push(Merge {
            first_row: 1,
            first_col: 0,
            last_row: 2,
            last_col: 0,
        });
        g.merges.push(Merge {
            first_row: 3,
            first_col: 0,
            last_row: 3,
            last_col: 1,
        });
        let header = Header {
            row: 0,
            titles: vec![(0, "Stage".into()), (1, "Step".into())],
            hebrew: false,
        };
        let rows = Rows::new(&g, &header);
        assert_eq!(rows.text(2, 0).as_deref(), Some("Copy"));
        assert!(rows.is_filled(2, 0));
        let cols = [0, 1];
        assert_eq!(rows.shape(1, &cols), Shape::Data);
        assert_eq!(rows.shape(2, &cols), Shape::Data);
        assert_eq!(rows.shape(3, &cols), Shape::Heading { col: 0 });
        assert_eq!(rows.shape(4, &cols), Shape::Blank);
        assert_eq!(rows.shape(5, &cols), Shape::Totals);
        assert_eq!(rows.shape(6, &cols), Shape::RepeatedHeader);
        assert_eq!(
            rows.shape(7, &cols),
            Shape::Data,
            "one cell in a field column is data"
        );
        assert_eq!(rows.data_rows(), 1..8);
    }
}
