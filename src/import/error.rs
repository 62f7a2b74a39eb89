//! Why an import stopped. Every message names the file (and sheet or cell where there is one)
//! and says what to do next, in words a spreadsheet user understands.

use std::fmt;
use std::path::PathBuf;

use crate::model::Diagnostics;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{spec}: {message}. Nothing was written.")]
    Sheets { spec: String, message: String },

    #[error("{spec}: throughline can import a file on this computer or sheets:<id>; {hint}")]
    UnsupportedSource { spec: String, hint: &'static str },

    #[error("{path}: no such file. Check the name and the folder, and run the command again.")]
    NotFound { path: PathBuf },

    #[error("{path}: could not be read ({source}).")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{path}: the file is empty; there is nothing to import.")]
    Empty { path: PathBuf },

    #[error(
        "{path}: the workbook is protected with a password, so it cannot be read. Open it in \
         Excel or LibreOffice, remove the password (Excel: File > Info > Protect Workbook > \
         Encrypt with Password, clear it; LibreOffice: File > Save As without \"Save with \
         password\"), save, and import it again."
    )]
    PasswordProtected { path: PathBuf },

    #[error("{path}: {detail}")]
    NotASpreadsheet { path: PathBuf, detail: String },

    #[error(
        "{path}: the file is damaged and could not be read as {format} ({detail}). Open it in \
         Excel or LibreOffice and save it again, or save the sheet as CSV and import that."
    )]
    Corrupt {
        path: PathBuf,
        format: &'static str,
        detail: String,
    },

    #[error(
        "\"{name}\" is not an encoding throughline knows. Use a name such as utf-8, utf-16, \
         windows-1255 or windows-1252."
    )]
    UnknownEncoding { name: String },

    #[error(
        "{path}: there is no sheet named \"{name}\". The sheets in this file are: {available}."
    )]
    UnknownSheet {
        path: PathBuf,
        name: String,
        available: String,
    },

    #[error("{path}: every sheet is empty; there is nothing to import.")]
    NoData { path: PathBuf },

    #[error("{0}")]
    NoHeader(NoHeader),

    #[error("{place}: {message}")]
    MissingColumns { place: String, message: String },

    #[error("{0}\nFix the mapping file and run the command again.")]
    Map(Diagnostics),

    #[error(
        "{0}\nThe deployment in the output folder has problems, so the import cannot be checked \
         against it. Run `throughline validate` there, fix them, and import again."
    )]
    Deployment(Diagnostics),

    #[error(
        "{0}\nThe imported files would not be valid together with what is already in the output \
         folder, so nothing was written."
    )]
    Invalid(Diagnostics),

    #[error(
        "{config} does not load {file}: no pattern in its `{key}` list matches it. Add \
         \"{pattern}\" to `{key}` in {config} (for example {key} = [\"{pattern}\"]) and run the \
         import again; nothing was written."
    )]
    NotLoaded {
        config: PathBuf,
        file: PathBuf,
        key: &'static str,
        pattern: String,
    },

    #[error("{}", conflicts_message(.0))]
    Conflicts(Vec<PathBuf>),

    #[error(
        "{source}. The tasks' statuses from the sheet could not be recorded, so nothing was \
         written; run the import again once the state file can be opened."
    )]
    State {
        #[source]
        source: crate::state::StateError,
    },

    #[error(
        "{path}: {what} is {size} bytes, more than the {limit} bytes throughline reads{place}. \
         {hint} Nothing was written."
    )]
    TooBig {
        path: PathBuf,
        what: String,
        size: u64,
        limit: u64,
        /// ` (at Sheet!B12)`, or empty.
        place: String,
        hint: &'static str,
    },

    #[error(
        "{path}: sheet \"{sheet}\" has more than {limit} rows, more than Excel itself holds. \
         Delete the rows past the plan (or split it into several files), save, and import again. \
         Nothing was written."
    )]
    TooManyRows {
        path: PathBuf,
        sheet: String,
        limit: u32,
    },

    #[error(
        "{path}: this is {what}, not a spreadsheet. Import an .xlsx, .xlsm, .xls, .ods or .csv file, a Trello board's JSON export or an Asana CSV export."
    )]
    KnownBinary { path: PathBuf, what: &'static str },

    #[error("{path}: could not write the file ({source}). Nothing else was changed.")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// No row near the top of a sheet looks like column titles.
#[derive(Debug)]
pub struct NoHeader {
    /// `Calendar` or `plan.csv`, with the rows that were searched.
    pub place: String,
    pub searched_rows: u32,
    /// What the first non-empty row held, to help the user see the problem.
    pub first_row: Option<String>,
    pub explicit_row: bool,
}

impl fmt::Display for NoHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.explicit_row {
            write!(
                f,
                "{}: the header row named in the mapping file has no column throughline \
                 recognises",
                self.place
            )?;
        } else {
            write!(
                f,
                "{}: no header row found in the first {} rows: no row has at least two column \
                 titles throughline recognises",
                self.place, self.searched_rows
            )?;
        }
        if let Some(row) = &self.first_row {
            write!(f, " (the first row with text holds: {row})")?;
        }
        write!(
            f,
            ". Give the columns titles such as Title, Publish date, Owner, Channel (or כותרת, \
             תאריך פרסום, אחראי, ערוץ) for a calendar, or Stage, Step, Owner, Days (שלב, משימה, \
             אחראי, ימים) for a checklist; or name the header row and columns in a mapping file \
             (--map)."
        )
    }
}

fn conflicts_message(paths: &[PathBuf]) -> String {
    let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    format!(
        "{} already exist{}: {}. Nothing was written. Run again with --force to replace {}, or \
         choose another folder with --out.",
        if paths.len() == 1 {
            "This file"
        } else {
            "These files"
        },
        if paths.len() == 1 { "s" } else { "" },
        list.join(", "),
        if paths.len() == 1 { "it" } else { "them" },
    )
}
