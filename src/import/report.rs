//! What the import did and did not understand, cell by cell, for the person who runs it.

use std::fmt;
use std::path::PathBuf;

use jiff::civil::Date;

use super::Kind;
use super::grid::CellRef;

/// Why a row produced nothing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    Blank,
    /// A title, a section heading or a note: one cell of text and nothing else.
    Heading,
    Totals,
    RepeatedHeader,
    /// Names a group of tasks (a phase, a project heading): its rows are the tasks.
    Group,
    /// An export's subtask: a step of its parent's task, not a task.
    Step,
    /// See the problem listed for the row.
    Problem,
}

impl SkipReason {
    fn words(&self) -> &'static str {
        match self {
            SkipReason::Blank => "blank",
            SkipReason::Heading => "a heading or note, not a row of data",
            SkipReason::Totals => "a totals row",
            SkipReason::RepeatedHeader => "the header repeated",
            SkipReason::Group => "a group (phase or project) of the rows below it, not a task",
            SkipReason::Step => "a subtask of another row (see the notes), not a task of its own",
            SkipReason::Problem => "see the problems below",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub reason: SkipReason,
    /// The row (0-based, absolute).
    pub row: u32,
}

/// A cell that could not be understood, or was understood only with an assumption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub at: CellRef,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// A date that could be read day-first or month-first; the column's order decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ambiguous {
    pub at: CellRef,
    pub text: String,
    pub date: Date,
}

/// A file the import writes (or would write).
#[derive(Debug, Clone)]
pub struct FileLine {
    /// Relative to the output folder.
    pub path: PathBuf,
    pub what: String,
    pub exists: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub file: String,
    pub sheet: String,
    /// How the sheet was chosen and which others there are.
    pub sheet_note: Option<String>,
    /// How a text file was decoded and split.
    pub read_notes: Vec<String>,
    pub kind: Option<Kind>,
    /// Set when `--as` was guessed: why.
    pub kind_guess: Option<String>,
    /// Every layout's score and its reasons (shown by `--dry-run`).
    pub scores: Option<String>,
    /// How many tasks are done, doing, to do, and where that is recorded.
    pub status: Option<String>,
    pub header: Option<CellRef>,
    pub header_from_map: bool,
    /// (what, column description, from the mapping file).
    pub columns: Vec<(String, String, bool)>,
    pub unused_columns: Vec<String>,
    /// Right-to-left, hidden rows/columns, merged cells, what this format cannot show.
    pub layout: Vec<String>,
    /// "day/month/year (from the mapping file)" and so on.
    pub date_order: Option<String>,
    pub ambiguous: Vec<Ambiguous>,
    /// Plain numbers read as serial dates.
    pub serials: Vec<(CellRef, String, Date)>,
    pub rows_read: usize,
    pub created: Vec<String>,
    pub skipped: Vec<Skip>,
    pub problems: Vec<Problem>,
    /// Duplicates made unique, ids adjusted.
    pub renamed: Vec<String>,
    /// Defaults the import filled in (starter playbook, missing days).
    pub notes: Vec<String>,
    pub files: Vec<FileLine>,
}

/// How many lines of a long list are shown.
const SHOW: usize = 25;

impl Report {
    pub fn problem(&mut self, at: CellRef, message: impl Into<String>) {
        self.problems.push(Problem {
            at,
            message: message.into(),
        });
    }

    pub fn skip(&mut self, row: u32, reason: SkipReason) {
        self.skipped.push(Skip { reason, row });
    }
}

/// `5, 7–9, 12` from sorted 0-based rows, shown 1-based.
pub fn row_list(rows: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let start = rows[i];
        let mut end = start;
        while i + 1 < rows.len() && rows[i + 1] == end + 1 {
            i += 1;
            end = rows[i];
        }
        parts.push(if start == end {
            format!("{}", start + 1)
        } else {
            format!("{}–{}", start + 1, end + 1)
        });
        i += 1;
    }
    if parts.len() > SHOW {
        let more = parts.len() - SHOW;
        parts.truncate(SHOW);
        parts.push(format!("and {more} more"));
    }
    parts.join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_source(f)?;
        self.write_columns(f)?;
        for l in &self.layout {
            writeln!(f, "Note: {l}.")?;
        }
        self.write_dates(f)?;
        if let Some(status) = &self.status {
            writeln!(f, "Status: {status}.")?;
        }
        self.write_rows(f)?;
        if !self.renamed.is_empty() {
            writeln!(f, "Made unique:")?;
            for r in self.renamed.iter().take(SHOW) {
                writeln!(f, "  {r}")?;
            }
            if self.renamed.len() > SHOW {
                writeln!(f, "  … and {} more", self.renamed.len() - SHOW)?;
            }
        }
        for n in &self.notes {
            writeln!(f, "Note: {n}")?;
        }
        self.write_problems(f)
    }
}

impl Report {
    /// What was read (file, sheet, header row), and what it was taken for.
    fn write_source(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Read {}", self.file)?;
        if self.sheet != self.file {
            write!(f, ", sheet \"{}\"", self.sheet)?;
        }
        if let Some(h) = &self.header {
            write!(
                f,
                "; header on row {}{}",
                h.row + 1,
                if self.header_from_map {
                    " (from the mapping file)"
                } else {
                    ""
                }
            )?;
        }
        writeln!(f, ".")?;
        for n in self.sheet_note.iter().chain(&self.read_notes) {
            writeln!(f, "  {n}")?;
        }
        if let (Some(kind), Some(why)) = (self.kind, &self.kind_guess) {
            let others: Vec<&str> = [Kind::Items, Kind::Tasks, Kind::Playbook]
                .into_iter()
                .filter(|k| *k != kind)
                .map(Kind::arg)
                .collect();
            writeln!(
                f,
                "Imported as {} (guessed: {why}). Use --as {} if that is wrong.",
                kind.words(),
                others.join(" or --as ")
            )?;
        }
        Ok(())
    }

    /// Which column became what, aligned, and the columns not imported.
    fn write_columns(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.columns.is_empty() {
            return Ok(());
        }
        writeln!(f, "Columns:")?;
        let width = self
            .columns
            .iter()
            .map(|(w, ..)| w.chars().count())
            .max()
            .unwrap_or(0);
        for (what, col, from_map) in &self.columns {
            let pad = width - what.chars().count();
            writeln!(
                f,
                "  {what}{} ← {col}{}",
                " ".repeat(pad),
                if *from_map { "  (mapping file)" } else { "" }
            )?;
        }
        if !self.unused_columns.is_empty() {
            writeln!(f, "  not imported: {}", self.unused_columns.join(", "))?;
        }
        Ok(())
    }

    /// How text dates were read: the order, the ambiguous ones and the serial numbers.
    fn write_dates(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(order) = &self.date_order {
            writeln!(f, "Text dates such as 03/04/2026 were read as {order}.")?;
        }
        if !self.ambiguous.is_empty() {
            writeln!(
                f,
                "{} could be read either way (day/month or month/day); read as shown:",
                plural(self.ambiguous.len(), "date", "dates")
            )?;
            for a in self.ambiguous.iter().take(SHOW) {
                writeln!(f, "  {}  {} → {}", a.at, a.text, a.date)?;
            }
            if self.ambiguous.len() > SHOW {
                writeln!(f, "  … and {} more", self.ambiguous.len() - SHOW)?;
            }
        }
        if !self.serials.is_empty() {
            writeln!(
                f,
                "{} held a plain number, read as a spreadsheet serial date:",
                plural(self.serials.len(), "date", "dates")
            )?;
            for (at, text, date) in self.serials.iter().take(5) {
                writeln!(f, "  {at}  {text} → {date}")?;
            }
            if self.serials.len() > 5 {
                writeln!(f, "  … and {} more", self.serials.len() - 5)?;
            }
        }
        Ok(())
    }

    /// The rows read, what they made, and the skipped rows by reason.
    fn write_rows(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rows: {} read", self.rows_read)?;
        for c in &self.created {
            write!(f, ", {c}")?;
        }
        writeln!(f, ", {} skipped.", self.skipped.len())?;
        // Reasons in the order their first row comes in the sheet.
        let mut reasons: Vec<(u32, &SkipReason)> = Vec::new();
        for s in &self.skipped {
            match reasons.iter_mut().find(|(_, r)| *r == &s.reason) {
                Some(entry) => entry.0 = entry.0.min(s.row),
                None => reasons.push((s.row, &s.reason)),
            }
        }
        reasons.sort();
        for (_, reason) in reasons {
            let mut rows: Vec<u32> = self
                .skipped
                .iter()
                .filter(|s| &s.reason == reason)
                .map(|s| s.row)
                .collect();
            rows.sort_unstable();
            rows.dedup();
            writeln!(
                f,
                "  {} {}: {}",
                if rows.len() == 1 { "row" } else { "rows" },
                row_list(&rows),
                reason.words()
            )?;
        }
        Ok(())
    }

    /// The problems in sheet order, the first hundred of them.
    fn write_problems(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.problems.is_empty() {
            return Ok(());
        }
        writeln!(f, "{}:", plural(self.problems.len(), "problem", "problems"))?;
        let mut problems: Vec<&Problem> = self.problems.iter().collect();
        problems.sort_by_key(|p| (p.at.row, p.at.col));
        for p in problems.into_iter().take(SHOW * 4) {
            writeln!(f, "  {p}")?;
        }
        if self.problems.len() > SHOW * 4 {
            writeln!(f, "  … and {} more", self.problems.len() - SHOW * 4)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_lists_collapse_runs() {
        assert_eq!(row_list(&[4, 6, 7, 8, 11]), "5, 7–9, 12");
        assert_eq!(row_list(&[]), "");
    }
}
