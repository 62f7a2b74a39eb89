//! Success metrics as a grid target (Excel, Google Sheets) shows them on its "Metrics" tab: the
//! fixed columns throughline writes, and the values people typed there, read back each cycle.

use jiff::civil::Date;

/// One `[[metric]]` as the Metrics tab shows it (throughline writes these columns).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpec {
    /// The metric's id, as written in `[[metric]]`: what a person types to name it.
    pub id: String,
    /// What is measured, in words.
    pub name: String,
    /// `%`, `posts`, … (may be empty).
    pub unit: String,
    /// The value to reach.
    pub target: f64,
    /// The day the target should be reached.
    pub by: Date,
}

/// A value a person typed on the Metrics tab.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricReading {
    /// The metric's id.
    pub metric: String,
    /// The day it was measured (the row's Date cell).
    pub at: Date,
    /// The number typed.
    pub value: f64,
    /// Where it was typed (`Metrics!G5`), for the note kept with the value.
    pub cell: String,
}

/// What the Metrics tab held this cycle: the values, and the cells that could not be read
/// (each message names its cell and says what to type instead).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsRead {
    /// The values typed, in row order.
    pub readings: Vec<MetricReading>,
    /// One message per cell skipped, naming the cell (`Metrics!G5: "abc" is not a number…`).
    pub problems: Vec<String>,
}
