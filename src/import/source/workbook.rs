//! Workbooks read with calamine: .xlsx/.xlsm, .xlsb, .xls and .ods.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use calamine::{
    Data, Reader, SheetType, SheetVisible, Sheets, Xls, XlsError, Xlsb, Xlsx, XlsxError,
};
use jiff::civil::Date;

use super::layout::{ods_layout, xlsx_layout};
use super::{SheetInfo, Source};
use crate::import::error::ImportError;
use crate::import::grid::{DateSystem, Grid, Merge, UNCALCULATED, Value};
use crate::import::progress::Progress;

type Book = Sheets<BufReader<File>>;

pub struct Workbook {
    path: PathBuf,
    book: Book,
}

impl Workbook {
    /// A ZIP container: .xlsx/.xlsm, .xlsb or .ods, told apart by what is inside.
    pub fn open_zip(path: PathBuf) -> Result<Self, ImportError> {
        let file = File::open(&path).map_err(|e| ImportError::Io {
            path: path.clone(),
            source: e,
        })?;
        let mut zip =
            zip::ZipArchive::new(BufReader::new(file)).map_err(|e| ImportError::Corrupt {
                path: path.clone(),
                format: "a workbook",
                detail: e.to_string(),
            })?;
        check_entries(&path, &mut zip)?;
        let has = |name: &str| zip.index_for_name(name).is_some();
        let book = if has("xl/workbook.xml") {
            Sheets::Xlsx(open::<Xlsx<_>>(&path, xlsx_error)?)
        } else if has("xl/workbook.bin") {
            Sheets::Xlsb(open::<Xlsb<_>>(&path, |p, e| {
                corrupt(p, "an Excel binary workbook (.xlsb)", e)
            })?)
        } else if has("content.xml") && has("mimetype") {
            let mut mime = String::new();
            if let Ok(mut entry) = zip.by_name("mimetype") {
                use std::io::Read;
                let _ = entry.read_to_string(&mut mime);
            }
            if !mime.contains("spreadsheet") {
                return Err(ImportError::NotASpreadsheet {
                    path,
                    detail: format!(
                        "this is an OpenDocument file of another kind ({}), not a spreadsheet.",
                        mime.trim()
                    ),
                });
            }
            Sheets::Ods(open::<calamine::Ods<_>>(&path, |p, e| {
                corrupt(p, "an OpenDocument spreadsheet (.ods)", e)
            })?)
        } else {
            let what = if has("word/document.xml") {
                "a Word document"
            } else if has("ppt/presentation.xml") {
                "a PowerPoint presentation"
            } else {
                "a ZIP archive"
            };
            return Err(ImportError::NotASpreadsheet {
                path,
                detail: format!(
                    "this is {what}, not a spreadsheet. Import an .xlsx, .xlsm, .xls, .ods or \
                     .csv file."
                ),
            });
        };
        Ok(Workbook { path, book })
    }

    /// An OLE container: an .xls workbook, or an .xlsx that was encrypted with a password.
    pub fn open_ole(path: PathBuf) -> Result<Self, ImportError> {
        const FORMAT: &str = "an Excel 97-2003 workbook (.xls)";
        // Checked before any calamine call: its password check reads the container too.
        let bytes = std::fs::read(&path).map_err(|e| corrupt(&path, FORMAT, e))?;
        if let Err(why) = ole_chains_end(&bytes) {
            return Err(corrupt(&path, FORMAT, why));
        }
        // calamine reserves a cell for every cell a sheet claims before reading any.
        if let Some(wb) = super::biff::stream(&bytes, &["Workbook", "Book"])
            && let Some((cells, rows, cols)) = super::biff::largest_dimensions(&wb)
            && (cells > MAX_CELLS || rows > MAX_ROWS)
        {
            return Err(corrupt(
                &path,
                FORMAT,
                format!(
                    "a sheet says it spans {rows} rows by {cols} columns ({cells} cells); the \
                     import reads up to {MAX_ROWS} rows and {MAX_CELLS} cells"
                ),
            ));
        }
        let protected = guarded(&path, FORMAT, || {
            Ok(matches!(
                calamine::open_workbook::<Xlsx<_>, _>(&path),
                Err(XlsxError::Password)
            ))
        })?;
        if protected {
            return Err(ImportError::PasswordProtected { path });
        }
        let xls = guarded(&path, FORMAT, || {
            open::<Xls<_>>(&path, |p, e| match e {
                XlsError::Password => ImportError::PasswordProtected {
                    path: p.to_path_buf(),
                },
                e => corrupt(p, FORMAT, e),
            })
        })?;
        Ok(Workbook {
            path,
            book: Sheets::Xls(xls),
        })
    }

    fn format_name(&self) -> &'static str {
        match self.book {
            Sheets::Xlsx(_) => "an Excel workbook (.xlsx)",
            Sheets::Xlsb(_) => "an Excel binary workbook (.xlsb)",
            Sheets::Xls(_) => "an Excel 97-2003 workbook (.xls)",
            Sheets::Ods(_) => "an OpenDocument spreadsheet (.ods)",
        }
    }
}

/// The most one part of a workbook may expand to, and how many times its packed size.
pub const MAX_ENTRY_BYTES: u64 = 256 << 20;
pub const MAX_RATIO: u64 = 100;

/// Refuse a workbook part that would expand past the limits, before anything unpacks it: a
/// small file can hold a part of gigabytes (one cell of 300 MB packs into 300 KB).
fn check_entries<R: std::io::Read + std::io::Seek>(
    path: &Path,
    zip: &mut zip::ZipArchive<R>,
) -> Result<(), ImportError> {
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index_raw(i) else {
            continue;
        };
        let (size, packed) = (entry.size(), entry.compressed_size());
        let name = entry
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| format!("number {}", i + 1));
        if size > MAX_ENTRY_BYTES {
            return Err(ImportError::TooBig {
                path: path.to_path_buf(),
                what: format!("the part {name} unpacked"),
                size,
                limit: MAX_ENTRY_BYTES,
                place: String::new(),
                hint: "A plan's workbook is far smaller: delete the data past the plan (or the \
                       pictures), save, and import again.",
            });
        }
        // Small parts may pack very well; only a large one that packs too well is suspect.
        if size > 1 << 20 && size > packed.saturating_mul(MAX_RATIO) {
            return Err(ImportError::TooBig {
                path: path.to_path_buf(),
                what: format!(
                    "the part {name}, packed in {packed} bytes, unpacked ({}× its packed size)",
                    size / packed.max(1)
                ),
                size,
                limit: packed.saturating_mul(MAX_RATIO),
                place: String::new(),
                hint: "Real workbooks pack about 5 to 20 times; this one holds a huge run of \
                       repeated data (a giant cell, or formatting on a million empty rows). \
                       Delete it, save, and import again.",
            });
        }
    }
    Ok(())
}

fn open<R: Reader<BufReader<File>>>(
    path: &Path,
    err: impl Fn(&Path, R::Error) -> ImportError,
) -> Result<R, ImportError> {
    calamine::open_workbook::<R, _>(path).map_err(|e| err(path, e))
}

fn xlsx_error(path: &Path, e: XlsxError) -> ImportError {
    match e {
        XlsxError::Password => ImportError::PasswordProtected {
            path: path.to_path_buf(),
        },
        e => corrupt(path, "an Excel workbook (.xlsx)", e),
    }
}

/// Run a calamine call that can panic on damaged input (its OLE sector reader asserts on
/// sizes it has not checked): a panic becomes "damaged file" instead of ending the import.
fn guarded<T>(
    path: &Path,
    format: &'static str,
    read: impl FnOnce() -> Result<T, ImportError>,
) -> Result<T, ImportError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(corrupt(
            path,
            format,
            "the file is damaged: the reader stopped inside it",
        ))
    })
}

/// The most cells a sheet's rectangle may span. The reader holds a sheet as one dense
/// rectangle, so a single stray cell far from the rest (row 4,000,000 of column XFD) would cost
/// memory for every empty cell between; a real plan is far below this.
const MAX_CELLS: u64 = 5_000_000;

/// The most rows a sheet may have: Excel's own limit.
pub const MAX_ROWS: u32 = 1_048_576;

/// An .xlsx sheet, its cells read one by one straight into a grid (no intermediate
/// rectangle: half the memory of calamine's own range), so that an impossible rectangle, a
/// row past Excel's last or a giant cell is refused as soon as it is met.
fn xlsx_grid(
    book: &mut Xlsx<BufReader<File>>,
    path: &Path,
    sheet: &str,
) -> Result<Grid, ImportError> {
    let format = "an Excel workbook (.xlsx)";
    let failed = |e: XlsxError| corrupt(path, format, format!("sheet \"{sheet}\": {e}"));
    let mut reader = match book.worksheet_cells_reader(sheet) {
        Ok(reader) => reader,
        // A chart sheet has no cells (calamine's own `worksheet_range` says the same).
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Grid::new(sheet, (0, 0), Vec::new())),
        Err(e) => return Err(failed(e)),
    };
    let mut rows: Vec<Vec<Value>> = Vec::new();
    // The first cell's place; rows and columns are counted from it.
    let mut origin: Option<(u32, u32)> = None;
    let (mut top, mut bottom, mut left, mut right) = (u32::MAX, 0u32, u32::MAX, 0u32);
    while let Some(cell) = reader.next_cell().map_err(failed)? {
        // Empty (formatted only) cells are left out, as calamine's `worksheet_range` does.
        if matches!(cell.get_value(), calamine::DataRef::Empty) {
            continue;
        }
        let (row, col) = cell.get_position();
        (top, bottom) = (top.min(row), bottom.max(row));
        (left, right) = (left.min(col), right.max(col));
        let span = (u64::from(bottom - top) + 1) * (u64::from(right - left) + 1);
        if span > MAX_CELLS {
            return Err(corrupt(
                path,
                format,
                format!(
                    "sheet \"{sheet}\" has a cell at row {}, column {}, so far from the others \
                     that the sheet would span {span} cells (the import reads up to \
                     {MAX_CELLS}); delete that cell, or the rows and columns past the plan",
                    u64::from(row) + 1,
                    u64::from(col) + 1
                ),
            ));
        }
        if row >= MAX_ROWS {
            return Err(too_many_rows(path, sheet));
        }
        let len = match cell.get_value() {
            calamine::DataRef::SharedString(t) => t.len(),
            calamine::DataRef::String(t) => t.len(),
            _ => 0,
        };
        if len > MAX_CELL_BYTES {
            return Err(cell_too_big(path, sheet, row, col, len));
        }
        let v = value(cell.get_value().clone().into());
        let (r0, c0) = origin.get_or_insert((row, col));
        // Cells come row by row; one above or left of the first moves the origin.
        if row < *r0 {
            let n = (*r0 - row) as usize;
            rows.splice(0..0, std::iter::repeat_with(Vec::new).take(n));
            *r0 = row;
        }
        if col < *c0 {
            let n = (*c0 - col) as usize;
            for r in rows.iter_mut().filter(|r| !r.is_empty()) {
                r.splice(0..0, std::iter::repeat_n(Value::Empty, n));
            }
            *c0 = col;
        }
        let (ri, ci) = ((row - *r0) as usize, (col - *c0) as usize);
        if rows.len() <= ri {
            rows.resize_with(ri + 1, Vec::new);
        }
        let cells = &mut rows[ri];
        if cells.capacity() == 0 {
            // A new row: room for the columns seen so far (a few dozen at most in a plan), so
            // that it is not grown cell by cell.
            let width = (right - *c0) as usize + 1;
            cells.reserve_exact(width.min(256).max(ci + 1));
        }
        if cells.len() <= ci {
            cells.resize(ci + 1, Value::Empty);
        }
        cells[ci] = v;
    }
    Ok(Grid::new(sheet, origin.unwrap_or((0, 0)), rows))
}

/// The most text one cell may hold: a plan's cell is a line or a paragraph, never a megabyte.
pub const MAX_CELL_BYTES: usize = 1 << 20;

pub fn cell_too_big(path: &Path, sheet: &str, row: u32, col: u32, size: usize) -> ImportError {
    ImportError::TooBig {
        path: path.to_path_buf(),
        what: "one cell".into(),
        size: size as u64,
        limit: MAX_CELL_BYTES as u64,
        place: format!(
            " (at {})",
            crate::import::grid::CellRef {
                sheet: sheet.to_string(),
                row,
                col: Some(col),
            }
        ),
        hint: "Shorten the cell (or move its text into a document and link to it), save, and \
               import again.",
    }
}

pub fn too_many_rows(path: &Path, sheet: &str) -> ImportError {
    ImportError::TooManyRows {
        path: path.to_path_buf(),
        sheet: sheet.to_string(),
        limit: MAX_ROWS,
    }
}

fn corrupt(path: &Path, format: &'static str, e: impl std::fmt::Display) -> ImportError {
    ImportError::Corrupt {
        path: path.to_path_buf(),
        format,
        detail: e.to_string(),
    }
}

impl Source for Workbook {
    fn path(&self) -> &Path {
        &self.path
    }

    fn sheets(&self) -> Vec<SheetInfo> {
        self.book
            .sheets_metadata()
            .iter()
            .filter(|s| s.typ == SheetType::WorkSheet)
            .map(|s| SheetInfo {
                name: s.name.clone(),
                hidden: s.visible != SheetVisible::Visible,
            })
            .collect()
    }

    fn read(&mut self, sheet: &str, progress: &Progress) -> Result<Grid, ImportError> {
        let format = self.format_name();
        // The layout is a scan of the sheet's tags (see `layout`): done on another core meanwhile.
        let layout = matches!(self.book, Sheets::Xlsx(_) | Sheets::Ods(_)).then(|| {
            let (path, name) = (self.path.clone(), sheet.to_string());
            let ods = matches!(self.book, Sheets::Ods(_));
            std::thread::spawn(move || {
                if ods {
                    ods_layout(&path, &name)
                } else {
                    xlsx_layout(&path, &name)
                }
            })
        });
        let big = std::fs::metadata(&self.path).is_ok_and(|m| m.len() > 1 << 20);
        let status = progress.status(&format!("Reading {sheet}"), big);
        let path = self.path.clone();
        let book = &mut self.book;
        let mut grid = guarded(&path, format, || match book {
            Sheets::Xlsx(x) => xlsx_grid(x, &path, sheet),
            other => {
                let range = other
                    .worksheet_range(sheet)
                    .map_err(|e| corrupt(&path, format, format!("sheet \"{sheet}\": {e}")))?;
                // calamine can hand back a rectangle whose cells do not fill it (an .ods whose
                // repeated rows it capped): a damaged file, found here, not a reason to stop.
                to_grid(&path, sheet, range, progress)
            }
        })?;
        drop(status);
        let layout = layout.map(|h| {
            h.join()
                .unwrap_or_else(|_| Err("the layout reader stopped".into()))
        });
        match &mut self.book {
            Sheets::Xlsx(x) => grid.date_system = Some(date_system(x.has_1904_epoch())),
            Sheets::Xls(x) => {
                grid.date_system = Some(date_system(x.has_1904_epoch()));
                if let Ok(merges) = x.merge_cells_by_sheet_name(sheet) {
                    grid.merges = merges
                        .iter()
                        .map(|d| Merge {
                            first_row: d.start.0,
                            first_col: d.start.1,
                            last_row: d.end.0,
                            last_col: d.end.1,
                        })
                        .collect();
                }
                grid.limits.push(
                    "hidden rows and columns and right-to-left display are not visible in .xls \
                     files; every row was read as an ordinary row"
                        .into(),
                );
            }
            // OpenDocument keeps real dates, not serial numbers.
            Sheets::Ods(_) => grid.date_system = Some(DateSystem::Excel1900),
            Sheets::Xlsb(_) => {
                grid.date_system = Some(DateSystem::Excel1900);
                grid.limits.push(
                    "merged cells, hidden rows and columns are not visible in .xlsb files".into(),
                );
            }
        }
        match layout {
            Some(Ok(layout)) => {
                grid.hidden_rows = layout.hidden_rows;
                grid.hidden_cols = layout.hidden_cols;
                grid.right_to_left = layout.right_to_left;
                grid.merges = layout.merges;
                grid.outline_levels = layout.outline_levels;
                grid.indents = layout.indents;
                for (row, col) in layout.uncalculated {
                    if grid.get(row, col).is_blank() {
                        grid.set(row, col, Value::Error(UNCALCULATED.into()));
                    }
                }
            }
            Some(Err(e)) => grid.limits.push(format!(
                "merged cells, hidden rows and columns could not be read ({e}); they were treated \
                 as ordinary cells"
            )),
            None => {}
        }
        Ok(grid)
    }
}

fn date_system(is_1904: bool) -> DateSystem {
    if is_1904 {
        DateSystem::Excel1904
    } else {
        DateSystem::Excel1900
    }
}

/// Move calamine's cells into a grid without copying their text.
fn to_grid(
    path: &Path,
    sheet: &str,
    mut range: calamine::Range<Data>,
    progress: &Progress,
) -> Result<Grid, ImportError> {
    let origin = range.start().unwrap_or((0, 0));
    let height = range.height();
    if u64::from(origin.0) + height as u64 > u64::from(MAX_ROWS) {
        return Err(too_many_rows(path, sheet));
    }
    let bar = progress.bar(&format!("Reading {sheet}"), height as u64);
    let mut rows = Vec::with_capacity(height);
    for r in 0..height {
        let cells = &mut range[r];
        if let Some(c) = cells
            .iter()
            .position(|d| matches!(d, Data::String(t) if t.len() > MAX_CELL_BYTES))
        {
            let len = cells[c].to_string().len();
            return Err(cell_too_big(
                path,
                sheet,
                origin.0 + r as u32,
                origin.1 + c as u32,
                len,
            ));
        }
        let mut row: Vec<Value> = cells.iter_mut().map(|d| value(std::mem::take(d))).collect();
        while row.last().is_some_and(|v| *v == Value::Empty) {
            row.pop();
        }
        rows.push(row);
        bar.set(r as u64 + 1);
    }
    bar.finish();
    Ok(Grid::new(sheet, origin, rows))
}

fn value(data: Data) -> Value {
    match data {
        Data::Empty => Value::Empty,
        Data::String(s) => Value::Text(s),
        Data::Int(i) => Value::Number(i as f64),
        Data::Float(f) => Value::Number(f),
        Data::Bool(b) => Value::Bool(b),
        Data::Error(e) => Value::Error(e.to_string()),
        Data::DateTime(dt) if dt.is_datetime() && dt.as_f64() >= 1.0 => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            match Date::new(y as i16, m as i8, d as i8) {
                Ok(date) => Value::Date(date),
                // Excel's 1900-02-29, which never existed.
                Err(_) => Value::Text(format!("{y:04}-{m:02}-{d:02}")),
            }
        }
        // A time of day or a duration: a number of days, not a date.
        Data::DateTime(dt) => Value::Number(dt.as_f64()),
        Data::DateTimeIso(s) => match s.get(..10).and_then(|d| d.parse::<Date>().ok()) {
            Some(date) => Value::Date(date),
            None => Value::Text(s),
        },
        Data::DurationIso(s) => Value::Text(s),
    }
}

/// An OLE container whose sector table (FAT) loops is damaged: calamine follows the directory
/// chain with no length limit and would grow it until memory runs out, which no
/// `catch_unwind` can stop. A chain that never loops holds at most every sector of the file,
/// so after this check every chain calamine reads is bounded by the file's size.
fn ole_chains_end(file: &[u8]) -> Result<(), &'static str> {
    const SIGNATURE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
    const RESERVED: u32 = 0xFFFF_FFFA; // ids from here on end a chain or mark special sectors
    const DIFSECT: u32 = 0xFFFF_FFFC;
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    // What calamine refuses by itself (no signature, an odd sector size) is left to it.
    if file.len() < 512 || &file[..8] != SIGNATURE {
        return Ok(());
    }
    let size = match u16::from_le_bytes([file[30], file[31]]) {
        9 => 512,
        12 => 4096,
        _ => return Ok(()),
    };
    let sectors = file.len() / size;
    let sector = |id: u32| {
        let start = (id as usize).checked_add(1)?.checked_mul(size)?;
        file.get(start..start.checked_add(size)?.min(file.len()))
    };
    fn entries(b: &[u8]) -> impl Iterator<Item = u32> + '_ {
        b.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
    }

    // The sector ids of the FAT: 109 in the header, the rest in a chain of DIFAT sectors.
    let mut fat_ids: Vec<u32> = entries(&file[76..512]).collect();
    let mut next = u32_at(file, 68);
    let mut hops = 0;
    while next < RESERVED {
        hops += 1;
        if hops > sectors {
            return Err("its table of sector tables loops back on itself");
        }
        let Some(b) = sector(next) else { break };
        let mut ids: Vec<u32> = entries(b).collect();
        next = ids.pop().unwrap_or(u32::MAX);
        fat_ids.extend(ids);
    }
    let fat: Vec<u32> = fat_ids
        .into_iter()
        .filter(|id| *id < DIFSECT)
        .filter_map(sector)
        .flat_map(entries)
        .collect();

    // Each sector points to the next of its chain: a functional graph, walked once per node.
    #[derive(Clone, Copy, PartialEq)]
    enum Seen {
        No,
        OnPath,
        Done,
    }
    let mut seen = vec![Seen::No; fat.len()];
    let mut path = Vec::new();
    for start in 0..fat.len() {
        let mut at = start;
        while seen[at] == Seen::No {
            seen[at] = Seen::OnPath;
            path.push(at);
            match fat[at] {
                id if id < RESERVED && (id as usize) < fat.len() => at = id as usize,
                _ => break,
            }
        }
        if seen[at] == Seen::OnPath && fat[at] < RESERVED && (fat[at] as usize) < fat.len() {
            return Err("a chain of its sectors loops back on itself");
        }
        for p in path.drain(..) {
            seen[p] = Seen::Done;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-FAT-sector container (512-byte sectors): sector 0 holds the FAT, sector 1 the
    /// directory, whose FAT entry is `dir_next`.
    fn container(dir_next: u32) -> Vec<u8> {
        let mut file = vec![0u8; 512 * 3];
        file[..8].copy_from_slice(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
        file[24..26].copy_from_slice(&0x3Eu16.to_le_bytes());
        file[26..28].copy_from_slice(&3u16.to_le_bytes());
        file[28..30].copy_from_slice(&0xFFFEu16.to_le_bytes());
        file[30..32].copy_from_slice(&9u16.to_le_bytes());
        file[32..34].copy_from_slice(&6u16.to_le_bytes());
        file[44..48].copy_from_slice(&1u32.to_le_bytes()); // one FAT sector
        file[48..52].copy_from_slice(&1u32.to_le_bytes()); // directory at sector 1
        file[56..60].copy_from_slice(&4096u32.to_le_bytes());
        file[60..64].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
        file[68..72].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
        for i in 0..109 {
            let id: u32 = if i == 0 { 0 } else { u32::MAX };
            file[76 + i * 4..80 + i * 4].copy_from_slice(&id.to_le_bytes());
        }
        let fat = &mut file[512..1024];
        fat.fill(0xFF);
        fat[..4].copy_from_slice(&0xFFFF_FFFDu32.to_le_bytes()); // sector 0 is the FAT
        fat[4..8].copy_from_slice(&dir_next.to_le_bytes());
        file
    }

    #[test]
    fn a_sector_chain_that_loops_is_damage_found_before_calamine_reads_it() {
        assert_eq!(ole_chains_end(&container(0xFFFF_FFFE)), Ok(()));
        assert!(
            ole_chains_end(&container(1)).is_err(),
            "sector 1 points to itself"
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loop.xls");
        std::fs::write(&path, container(1)).unwrap();
        let err = Workbook::open_ole(path).err().expect("refused").to_string();
        assert!(err.contains("loops back on itself"), "{err}");
    }

    #[test]
    fn a_real_xls_passes_the_check() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/calendar_en.xls");
        assert_eq!(ole_chains_end(&std::fs::read(path).unwrap()), Ok(()));
    }
}
