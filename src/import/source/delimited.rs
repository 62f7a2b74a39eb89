//! CSV and other delimited text: the encoding and the delimiter are found from the bytes, or
//! named by the user when a guess would be wrong.

use std::io::Read;
use std::path::{Path, PathBuf};

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, WINDOWS_1252, WINDOWS_1255};

use super::workbook::{MAX_CELL_BYTES, MAX_ROWS, cell_too_big, too_many_rows};
use super::{SheetInfo, Source};
use crate::import::error::ImportError;
use crate::import::grid::{Grid, Value};
use crate::import::progress::Progress;

/// What the user said about a text file, from the command line or the mapping file.
#[derive(Debug, Clone, Default)]
pub struct TextOptions {
    /// An encoding label such as `windows-1255`, `utf-16`, `cp1255`.
    pub encoding: Option<String>,
    pub delimiter: Option<u8>,
}

pub struct Delimited {
    path: PathBuf,
    /// The file name: the sheet part of cell references (`plan.csv!B12`).
    name: String,
    text: String,
    delimiter: u8,
    notes: Vec<String>,
}

impl Delimited {
    pub fn open(path: PathBuf, options: &TextOptions) -> Result<Self, ImportError> {
        let bytes = std::fs::read(&path).map_err(|e| ImportError::Io {
            path: path.clone(),
            source: e,
        })?;
        let named = match &options.encoding {
            Some(label) => Some(Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
                ImportError::UnknownEncoding {
                    name: label.clone(),
                }
            })?),
            None => None,
        };
        let (text, how) = decode(&bytes, named);
        drop(bytes);
        if !is_text(&text) {
            return Err(ImportError::NotASpreadsheet {
                path,
                detail: "this is not a spreadsheet or a CSV file: it holds binary data. Import an \
                         .xlsx, .xlsm, .xls, .ods or .csv file."
                    .into(),
            });
        }
        let (delimiter, delimiter_how) = match options.delimiter {
            Some(d) => (d, "as named"),
            None => (sniff_delimiter(&text), "detected"),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let notes = vec![format!(
            "read as {how}; columns separated by {} ({delimiter_how})",
            delimiter_name(delimiter)
        )];
        Ok(Delimited {
            path,
            name,
            text,
            delimiter,
            notes,
        })
    }
}

impl Source for Delimited {
    fn path(&self) -> &Path {
        &self.path
    }

    fn sheets(&self) -> Vec<SheetInfo> {
        vec![SheetInfo {
            name: self.name.clone(),
            hidden: false,
        }]
    }

    fn read(&mut self, _sheet: &str, progress: &Progress) -> Result<Grid, ImportError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(self.text.as_bytes());
        let bar = progress.bar_bytes(&format!("Reading {}", self.name), self.text.len() as u64);
        let mut rows: Vec<Vec<Value>> = Vec::new();
        let mut record = csv::StringRecord::new();
        // The csv reader skips blank lines; spreadsheet programs show them as rows, and cell
        // references must match what the user sees, so blank lines are put back.
        let mut expected_line: u64 = 1;
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(expected_line);
                    return Err(ImportError::Corrupt {
                        path: self.path.clone(),
                        format: "a CSV file",
                        detail: format!("line {line}: {e}"),
                    });
                }
            }
            let line = record.position().map(|p| p.line()).unwrap_or(expected_line);
            for _ in expected_line..line {
                rows.push(Vec::new());
            }
            if let Some(c) = record.iter().position(|f| f.len() > MAX_CELL_BYTES) {
                return Err(cell_too_big(
                    &self.path,
                    &self.name,
                    rows.len() as u32,
                    c as u32,
                    record[c].len(),
                ));
            }
            if rows.len() >= MAX_ROWS as usize {
                return Err(too_many_rows(&self.path, &self.name));
            }
            let newlines: usize = record.iter().map(|f| f.matches('\n').count()).sum();
            expected_line = line + 1 + newlines as u64;
            let mut row: Vec<Value> = record
                .iter()
                .map(|f| {
                    if f.is_empty() {
                        Value::Empty
                    } else {
                        Value::Text(f.to_string())
                    }
                })
                .collect();
            while row.last() == Some(&Value::Empty) {
                row.pop();
            }
            rows.push(row);
            if let Some(p) = record.position() {
                bar.set(p.byte());
            }
        }
        bar.finish();
        let mut nested = None;
        if rows.first().is_some_and(|h| super::asana::is_header(h)) {
            let found = super::asana::reshape(&mut rows);
            self.notes.extend(found.notes.iter().cloned());
            nested = Some(found);
        }
        let mut grid = Grid::new(self.name.clone(), (0, 0), rows);
        if let Some(n) = nested {
            (grid.steps, grid.step_rows) = (n.steps, n.step_rows);
        }
        Ok(grid)
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }
}

/// Decode the whole file; returns the text and how it was read, for the report.
fn decode(bytes: &[u8], named: Option<&'static Encoding>) -> (String, String) {
    if let Some(enc) = named {
        let (text, had_errors) = enc.decode_with_bom_removal(bytes);
        let mut how = format!("{} (as named)", enc.name());
        if had_errors {
            how.push_str(", with some bytes that are not valid in it shown as \u{FFFD}");
        }
        return (text.into_owned(), how);
    }
    if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom..]);
        return (
            text.into_owned(),
            format!("{} (byte order mark)", enc.name()),
        );
    }
    // Before UTF-8: UTF-16 text of ASCII letters is also valid UTF-8, full of NUL characters.
    if let Some(enc) = utf16_without_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(bytes);
        return (text.into_owned(), format!("{} (detected)", enc.name()));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_string(), "UTF-8".into());
    }
    let enc = if looks_hebrew_single_byte(bytes) {
        WINDOWS_1255
    } else {
        WINDOWS_1252
    };
    let (text, _) = enc.decode_without_bom_handling(bytes);
    let how = format!(
        "{} (detected: the file is not UTF-8; if letters look wrong, name the encoding with \
         --encoding)",
        enc.name()
    );
    (text.into_owned(), how)
}

/// UTF-16 text without a byte order mark has a zero byte in every other position for ASCII.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let zero_even = sample.iter().step_by(2).filter(|b| **b == 0).count();
    let zero_odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|b| **b == 0)
        .count();
    if zero_odd * 10 >= pairs * 4 && zero_even * 20 < pairs {
        Some(UTF_16LE)
    } else if zero_even * 10 >= pairs * 4 && zero_odd * 20 < pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// In Windows-1255 Hebrew letters are 0xE0–0xFA and come in runs (words); accented Latin
/// letters in Windows-1252 share that range but sit alone between ASCII letters.
fn looks_hebrew_single_byte(bytes: &[u8]) -> bool {
    let high = |b: u8| b >= 0x80;
    let mut total = 0usize;
    let mut letters = 0usize;
    let mut in_runs = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        if !high(b) {
            continue;
        }
        total += 1;
        if (0xE0..=0xFA).contains(&b) {
            letters += 1;
        }
        let prev = i > 0 && high(bytes[i - 1]);
        let next = bytes.get(i + 1).is_some_and(|&n| high(n));
        if prev || next {
            in_runs += 1;
        }
    }
    total > 0 && letters * 10 >= total * 8 && in_runs * 2 >= total
}

/// Text, not binary: no NUL bytes and almost no control characters.
fn is_text(text: &str) -> bool {
    let sample: Vec<char> = text.chars().take(65_536).collect();
    if sample.is_empty() {
        return true;
    }
    let bad = sample
        .iter()
        .filter(|&&c| {
            c == '\0'
                || c == '\u{FFFD}'
                || (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0C'))
        })
        .count();
    !sample.contains(&'\0') && bad * 100 <= sample.len()
}

/// For a file named like a workbook: is it really text?
pub fn looks_like_text(path: &Path) -> Result<bool, ImportError> {
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(8192).read_to_end(&mut buf))
        .map_err(|e| ImportError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
    let (text, _) = decode(&buf, None);
    Ok(!buf.contains(&0) && is_text(&text))
}

const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// The delimiter that splits the first records into the same number of fields most often.
fn sniff_delimiter(text: &str) -> u8 {
    let records = first_records(text, 50);
    let mut best = (b',', 0usize, 0usize);
    for d in CANDIDATES {
        let counts: Vec<usize> = records.iter().map(|r| count_outside_quotes(r, d)).collect();
        let mut freq = std::collections::BTreeMap::new();
        for &c in counts.iter().filter(|&&c| c > 0) {
            *freq.entry(c).or_insert(0usize) += 1;
        }
        // Most frequent field count, larger count on ties.
        let Some((&mode, &times)) = freq.iter().max_by_key(|(c, n)| (**n, **c)) else {
            continue;
        };
        if (times, mode) > (best.1, best.2) {
            best = (d, times, mode);
        }
    }
    best.0
}

/// Non-empty records (quoted newlines kept inside), at most `n`.
fn first_records(text: &str, n: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => {
                let rec = text[start..i].trim_end_matches('\r');
                if !rec.trim().is_empty() {
                    out.push(rec);
                    if out.len() == n {
                        return out;
                    }
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < text.len() && !text[start..].trim().is_empty() {
        out.push(&text[start..]);
    }
    out
}

fn count_outside_quotes(record: &str, d: u8) -> usize {
    let mut quoted = false;
    let mut n = 0;
    for b in record.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if b == d && !quoted {
            n += 1;
        }
    }
    n
}

fn delimiter_name(d: u8) -> String {
    match d {
        b',' => "commas".into(),
        b';' => "semicolons".into(),
        b'\t' => "tabs".into(),
        b'|' => "vertical bars".into(),
        other => format!("'{}'", other as char),
    }
}

/// `;`, `tab`, `\t`, `,`, `|` → the byte.
pub fn parse_delimiter(text: &str) -> Option<u8> {
    match text {
        "tab" | "\\t" | "\t" => Some(b'\t'),
        "comma" => Some(b','),
        "semicolon" => Some(b';'),
        s if s.len() == 1 && s.is_ascii() => Some(s.as_bytes()[0]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_delimiters_past_a_title_line() {
        assert_eq!(sniff_delimiter("Title;Date;Owner\na;1;x\nb;2;y\n"), b';');
        assert_eq!(
            sniff_delimiter("Content plan\nTitle,Date\n\"a, b\",1\nc,2\n"),
            b','
        );
        assert_eq!(
            sniff_delimiter("Title\tDate\tNotes\na\t1\tx, y; z\n"),
            b'\t'
        );
        assert_eq!(sniff_delimiter("just one column\nsecond\n"), b',');
    }

    #[test]
    fn decodes_boms_utf8_and_hebrew_code_page() {
        let utf8_bom = b"\xEF\xBB\xBFTitle".to_vec();
        assert_eq!(decode(&utf8_bom, None).0, "Title");
        let (text, ..) = WINDOWS_1255.encode("כותרת,תאריך\nפוסט ראשון,03/04/2026\n");
        let (decoded, how) = decode(&text, None);
        assert_eq!(decoded, "כותרת,תאריך\nפוסט ראשון,03/04/2026\n");
        assert!(how.starts_with("windows-1255"), "{how}");
        let (latin, ..) = WINDOWS_1252.encode("Title,Date\nCafé crème,03/04/2026\n");
        assert!(decode(&latin, None).1.starts_with("windows-1252"));
        let mut utf16: Vec<u8> = vec![0xFF, 0xFE];
        for u in "שלום,a".encode_utf16() {
            utf16.extend(u.to_le_bytes());
        }
        assert_eq!(decode(&utf16, None).0, "שלום,a");
        let no_bom: Vec<u8> = "Title,Date\n"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(decode(&no_bom, None).0, "Title,Date\n");
    }

    #[test]
    fn binary_is_not_text() {
        assert!(!is_text("PK\u{3}\u{4}\0\0garbage"));
        assert!(is_text("a,b\r\nc,d\n"));
    }
}
