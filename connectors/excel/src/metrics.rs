//! The workbook's "Metrics" sheet (the grid core's [`throughline_grid::metrics`]): a row per
//! `[[metric]]` added once, the values people typed read back every cycle.

use throughline_connector::ConnectorError;
use throughline_connector::metrics::{MetricSpec, MetricsRead};
use throughline_grid::metrics::{self, FixedCell, MetricsLayout};

use crate::book::{Cell, Sheet};
use crate::workbook::Workbook;
use crate::{ExcelConnector, file, layout, render};

impl ExcelConnector {
    /// Add the Metrics sheet and the rows of metrics that have none, then read the typed values.
    /// A workbook not made yet gets its sheet in the next cycle, after the first write.
    pub(crate) fn keep_metrics(
        &mut self,
        specs: &[MetricSpec],
    ) -> Result<MetricsRead, ConnectorError> {
        if specs.is_empty() {
            return Ok(MetricsRead::default());
        }
        self.check_path()?;
        let Some(snap) = file::load(&self.path)? else {
            return Ok(MetricsRead::default());
        };
        let mut wb = self.parse(&snap)?;
        // The language of throughline's own sheets (Hebrew titles for a Hebrew playbook).
        let language = wb
            .layouts
            .iter()
            .flatten()
            .next()
            .map(|l| l.language)
            .unwrap_or_else(|| self.mapping.language_for(false));
        let index = match wb.book.sheet_index(metrics::TAB) {
            Some(i) => i,
            None => {
                let mut sheet = Sheet::new(metrics::TAB);
                sheet.view.right_to_left = language == throughline_grid::Language::Hebrew;
                wb.book.sheets.push(sheet);
                wb.layouts.push(None);
                wb.book.sheets.len() - 1
            }
        };
        let sheet = &mut wb.book.sheets[index];
        let header: Vec<_> = sheet
            .rows
            .first()
            .map(|r| r.iter().map(Cell::view).collect())
            .unwrap_or_default();
        let mut grid_layout = MetricsLayout::detect(&header).unwrap_or_else(MetricsLayout::empty);
        let added = grid_layout.add_missing(sheet.rows.first().map_or(0, Vec::len), language);
        let rows: Vec<Vec<_>> = sheet
            .rows
            .iter()
            .skip(1)
            .map(|r| r.iter().map(Cell::view).collect())
            .collect();
        let tab = metrics::read(
            &sheet.name,
            &grid_layout,
            &rows,
            specs,
            &self.mapping.date_format,
            &jiff::tz::TimeZone::UTC,
            layout::date_serial,
        );
        drop(rows);
        if added.is_empty() && tab.missing.is_empty() {
            return Ok(tab.read);
        }
        for (col, title) in added {
            sheet.set(0, col, Cell::Text(title.to_string()));
        }
        for m in &tab.missing {
            let row = sheet.rows.len().max(1);
            for (col, cell) in grid_layout.fixed_cells(m) {
                let cell = match cell {
                    FixedCell::Text(s) => Cell::text_cell(&s),
                    FixedCell::Number(n) => Cell::Number(n),
                    FixedCell::Date(d) => Cell::date(Some(d)),
                };
                sheet.set(row, col, cell);
            }
        }
        self.write(&wb, &snap)?;
        Ok(tab.read)
    }

    /// Write the workbook with its Metrics sheet, unless a person saved it meanwhile (their
    /// version stays; the next cycle adds the rows).
    fn write(&mut self, wb: &Workbook, snap: &file::Snapshot) -> Result<(), ConnectorError> {
        if let Some(lock) = file::lock_file(&self.path) {
            return Err(ConnectorError::Retryable {
                message: format!(
                    "{} is open in Excel or LibreOffice (its lock file {} is there): its Metrics \
                     sheet is written when it is closed, at the next sync",
                    self.file(),
                    lock.display()
                ),
            });
        }
        let bytes =
            render::render(wb, &self.mapping, &wb.baseline_rows(&self.mapping)).map_err(|e| {
                ConnectorError::Invalid {
                    message: format!("cannot write the Metrics sheet of {}: {e}", self.file()),
                }
            })?;
        if file::load(&self.path)?.map(|s| s.hash) != Some(snap.hash) {
            return Ok(());
        }
        file::replace(&self.path, &bytes, Some(&snap.bytes))?;
        // The file changed under the last observation's copy: the next one reads it afresh.
        self.seen = None;
        Ok(())
    }
}
