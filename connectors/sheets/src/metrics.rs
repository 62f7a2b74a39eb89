//! The spreadsheet's "Metrics" tab (the grid core's [`throughline_grid::metrics`]): a row per
//! `[[metric]]` added once, the values people typed read back every cycle.

use serde_json::{Value, json};
use throughline_connector::ConnectorError;
use throughline_connector::metrics::{MetricSpec, MetricsRead};
use throughline_grid::Cell;
use throughline_grid::metrics::{self, FixedCell, MetricsLayout};

use crate::SheetsConnector;
use crate::a1::{column_letters, quoted, serial_to_date};

/// A cell of `values:batchGet` (values unformatted, dates as serial numbers).
fn cell(v: &Value) -> Cell<'_> {
    match v {
        Value::String(s) => Cell::Text(std::borrow::Cow::Borrowed(s)),
        Value::Number(n) => n.as_f64().map_or(Cell::Empty, Cell::Number),
        Value::Bool(b) => Cell::Bool(*b),
        _ => Cell::Empty,
    }
}

impl SheetsConnector {
    /// Add the Metrics tab and the rows of metrics that have none (each cell written alone, so
    /// nothing a person typed is written over), then read the typed values.
    pub(crate) async fn keep_metrics(
        &mut self,
        specs: &[MetricSpec],
    ) -> Result<MetricsRead, ConnectorError> {
        if specs.is_empty() {
            return Ok(MetricsRead::default());
        }
        let (title, rows, language) = self.metrics_tab().await?;
        let header: Vec<Cell<'_>> = rows
            .first()
            .map(|r| r.iter().map(cell).collect())
            .unwrap_or_default();
        let mut layout = MetricsLayout::detect(&header).unwrap_or_else(MetricsLayout::empty);
        let added = layout.add_missing(header.len(), language);
        let body: Vec<Vec<Cell<'_>>> = rows
            .iter()
            .skip(1)
            .map(|r| r.iter().map(cell).collect())
            .collect();
        let tab = metrics::read(
            &title,
            &layout,
            &body,
            specs,
            &self.mapping.date_format,
            &jiff::tz::TimeZone::UTC,
            serial_to_date,
        );
        let at = |row: usize, col: usize, v: Value| {
            let range = format!(
                "{}!{}{}",
                quoted(&title),
                column_letters(col as u32),
                row + 1
            );
            json!({"dataFilter": {"a1Range": range}, "majorDimension": "ROWS", "values": [[v]]})
        };
        let mut data: Vec<Value> = added
            .into_iter()
            .map(|(col, t)| at(0, col, json!(t)))
            .collect();
        let first = rows.len().max(1);
        for (row, m) in (first..).zip(&tab.missing) {
            for (col, c) in layout.fixed_cells(m) {
                let v = match c {
                    FixedCell::Text(s) => json!(s),
                    FixedCell::Number(n) => json!(n),
                    FixedCell::Date(d) => json!(d.to_string()),
                };
                data.push(at(row, col, v));
            }
        }
        if !data.is_empty() {
            self.client.write_values(data).await?;
        }
        Ok(tab.read)
    }

    /// The Metrics tab's title and rows (the tab added when there is none), and the language
    /// of its titles (Hebrew in a right-to-left spreadsheet).
    async fn metrics_tab(
        &self,
    ) -> Result<(String, Vec<Vec<Value>>, throughline_grid::Language), ConnectorError> {
        let structure = self.client.structure().await?;
        let tabs: Vec<&Value> = structure["sheets"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        let rtl = tabs
            .iter()
            .any(|s| s["properties"]["rightToLeft"].as_bool() == Some(true));
        let language = self.mapping.language_for(rtl);
        let title = tabs
            .iter()
            .filter_map(|s| s["properties"]["title"].as_str())
            .find(|t| t.eq_ignore_ascii_case(metrics::TAB))
            .map(str::to_owned);
        let (title, rows) = match title {
            Some(t) => {
                let values = self.client.values(std::slice::from_ref(&t)).await?;
                let rows: Vec<Vec<Value>> = values
                    .first()
                    .and_then(|r| r["values"].as_array())
                    .map(|rows| {
                        rows.iter()
                            .map(|r| r.as_array().cloned().unwrap_or_default())
                            .collect()
                    })
                    .unwrap_or_default();
                (t, rows)
            }
            None => {
                self.client
                    .batch_update(vec![json!({"addSheet": {"properties": {
                        "title": metrics::TAB, "rightToLeft": rtl}}})])
                    .await?;
                (metrics::TAB.to_owned(), Vec::new())
            }
        };
        Ok((title, rows, language))
    }
}
