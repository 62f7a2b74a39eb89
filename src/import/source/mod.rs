//! Where a spreadsheet comes from. Every source turns its sheets into [`Grid`]s; the rest of the
//! importer never knows which kind of file it was. New sources (Google Sheets through its
//! connector) plug in by implementing [`Source`] and being recognised in [`open`].

mod asana;
mod biff;
mod delimited;
mod layout;
mod sheets;
mod trello;
mod workbook;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::error::ImportError;
use super::grid::Grid;
use super::progress::Progress;

pub use delimited::{Delimited, TextOptions, parse_delimiter};
pub use workbook::Workbook;

/// A sheet's name and whether the workbook hides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetInfo {
    pub name: String,
    pub hidden: bool,
}

/// A spreadsheet that can be read sheet by sheet.
pub trait Source {
    /// The file as the user named it, for messages.
    fn path(&self) -> &Path;
    /// Sheets in workbook order.
    fn sheets(&self) -> Vec<SheetInfo>;
    /// Read one sheet completely.
    fn read(&mut self, sheet: &str, progress: &Progress) -> Result<Grid, ImportError>;
    /// How the file was read, when the user may want to know (encoding, delimiter).
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

const ZIP: &[u8] = b"PK\x03\x04";
const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Open `FILE` or `sheets:<id>`. The file's content decides how it is read, not only its name,
/// so a mis-named file gets an error that says what it really is.
pub fn open(spec: &str, text: &TextOptions) -> Result<Box<dyn Source>, ImportError> {
    if let Some((scheme, rest)) = spec.split_once(':') {
        match scheme.to_ascii_lowercase().as_str() {
            "sheets" | "gsheets" | "google-sheets" => {
                return Ok(Box::new(sheets::GoogleSheet::open(spec, rest)?));
            }
            "http" | "https" => {
                return Err(ImportError::UnsupportedSource {
                    spec: spec.to_string(),
                    hint: "download the file first and import the downloaded copy.",
                });
            }
            _ => {}
        }
    }
    let path = PathBuf::from(spec);
    let meta = std::fs::metadata(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ImportError::NotFound { path: path.clone() },
        _ => ImportError::Io {
            path: path.clone(),
            source: e,
        },
    })?;
    if meta.is_dir() {
        return Err(ImportError::NotASpreadsheet {
            path,
            detail: "this is a folder; name a spreadsheet file inside it.".into(),
        });
    }
    if meta.len() == 0 {
        return Err(ImportError::Empty { path });
    }
    let mut head = [0u8; 16];
    let n = File::open(&path)
        .and_then(|mut f| read_up_to(&mut f, &mut head))
        .map_err(|e| ImportError::Io {
            path: path.clone(),
            source: e,
        })?;
    let head = &head[..n];
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();

    if let Some(what) = known_binary(head) {
        return Err(ImportError::KnownBinary { path, what });
    }
    if head.starts_with(ZIP) {
        return Ok(Box::new(Workbook::open_zip(path)?));
    }
    if head.starts_with(OLE) {
        return Ok(Box::new(Workbook::open_ole(path)?));
    }
    if ext == "json" || trello::looks_like(head) {
        let bytes = std::fs::read(&path).map_err(|e| ImportError::Io {
            path: path.clone(),
            source: e,
        })?;
        return Ok(Box::new(trello::TrelloBoard::open(path, &bytes)?));
    }
    if matches!(ext.as_str(), "xlsx" | "xlsm" | "xlsb" | "xls" | "ods") {
        let looks_like_text = delimited::looks_like_text(&path)?;
        return Err(ImportError::NotASpreadsheet {
            path,
            detail: if looks_like_text {
                format!(
                    "the name ends in .{ext} but the file is plain text, not a workbook. If it \
                     is a CSV file, rename it to .csv and import it again."
                )
            } else {
                format!(
                    "the name ends in .{ext} but the file is not a workbook that Excel or \
                     LibreOffice wrote. Open it in the program that made it and save it as \
                     .xlsx or .csv."
                )
            },
        });
    }
    Ok(Box::new(Delimited::open(path, text)?))
}

/// Files people mistake for a plan, by their first bytes.
const SIGNATURES: &[(&[u8], &str)] = &[
    (b"%PDF", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG picture"),
    (b"\xFF\xD8\xFF", "a JPEG picture"),
    (b"GIF87a", "a GIF picture"),
    (b"GIF89a", "a GIF picture"),
    (b"\x1F\x8B", "a gzip archive"),
    (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
    (b"Rar!\x1A\x07", "a RAR archive"),
    (b"SQLite format 3\0", "an SQLite database"),
    (b"\x7FELF", "a program (ELF)"),
    (b"{\\rtf", "a rich-text (RTF) document"),
];

fn known_binary(head: &[u8]) -> Option<&'static str> {
    SIGNATURES
        .iter()
        .find(|(sig, _)| head.starts_with(sig))
        .map(|(_, what)| *what)
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match f.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}
