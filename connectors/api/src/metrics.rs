//! Success metrics as a grid target (Excel, Google Sheets) shows them on its "Metrics" tab: the
//! fixed columns throughline writes, and the values people typed there, read back each cycle.

use jiff::civil::Date;

/// One `[[metric]]` as the Metrics tab shows it (throughline writes these columns).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpec {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub target: f64,
    /// The day the target should be reached.
    pub by: Date,
}

/// A value a person typed on the Metrics tab.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricReading {
    pub metric: String,
    /// The day it was measured (the row's Date cell).
    pub at: Date,
    pub value: f64,
    /// Where it was typed (`Metrics!G5`), for the note kept with the value.
    pub cell: String,
}

/// What the Metrics tab held this cycle: the values, and the cells that could not be read
/// (each message names its cell and says what to type instead).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsRead {
    pub readings: Vec<MetricReading>,
    pub problems: Vec<String>,
}
