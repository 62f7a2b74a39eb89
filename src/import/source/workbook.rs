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
        let zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| ImportError::Corrupt {
            path: path.clone(),
            format: "a workbook",
            detail: e.to_string(),
        })?;
        let has = |name: &str| zip.index_for_name(name).is_some();
        let book = if has("xl/workbook.xml") {
            Sheets::Xlsx(open::<Xlsx<_>>(&path, xlsx_error)?)
        } else if has("xl/workbook.bin") {
            Sheets::Xlsb(open::<Xlsb<_>>(&path, |p, e| {
                corrupt(p, "an Excel binary workbook (.xlsb)", e)
            })?)
        } else if has("content.xml") && has("mimetype") {
            let mut zip = zip;
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

/// An .xlsx sheet, its cells read one by one so that an impossible rectangle is refused
/// before it is allocated.
fn xlsx_range(
    book: &mut Xlsx<BufReader<File>>,
    path: &Path,
    sheet: &str,
) -> Result<calamine::Range<Data>, ImportError> {
    let format = "an Excel workbook (.xlsx)";
    let failed = |e: XlsxError| corrupt(path, format, format!("sheet \"{sheet}\": {e}"));
    let mut reader = match book.worksheet_cells_reader(sheet) {
        Ok(reader) => reader,
        // A chart sheet has no cells (calamine's own `worksheet_range` says the same).
        Err(XlsxError::NotAWorksheet(_)) => return Ok(calamine::Range::default()),
        Err(e) => return Err(failed(e)),
    };
    let mut cells = Vec::new();
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
        let value: Data = cell.get_value().clone().into();
        cells.push(calamine::Cell::new((row, col), value));
    }
    Ok(calamine::Range::from_sparse(cells))
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
        // The layout is a second pass over the sheet's XML: done on another core meanwhile.
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
        let range = guarded(&path, format, || match book {
            Sheets::Xlsx(x) => xlsx_range(x, &path, sheet),
            other => other
                .worksheet_range(sheet)
                .map_err(|e| corrupt(&path, format, format!("sheet \"{sheet}\": {e}"))),
        })?;
        drop(status);
        // calamine can hand back a rectangle whose cells do not fill it (an .ods whose
        // repeated rows it capped): that is a damaged file, not a reason to stop.
        let mut grid = guarded(&path, format, || Ok(to_grid(sheet, range, progress)))?;
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
fn to_grid(sheet: &str, mut range: calamine::Range<Data>, progress: &Progress) -> Grid {
    let origin = range.start().unwrap_or((0, 0));
    let height = range.height();
    let bar = progress.bar(&format!("Reading {sheet}"), height as u64);
    let mut rows = Vec::with_capacity(height);
    for r in 0..height {
        let cells = &mut range[r];
        let mut row: Vec<Value> = cells.iter_mut().map(|d| value(std::mem::take(d))).collect();
        while row.last().is_some_and(|v| *v == Value::Empty) {
            row.pop();
        }
        rows.push(row);
        bar.set(r as u64 + 1);
    }
    bar.finish();
    Grid::new(sheet, origin, rows)
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
