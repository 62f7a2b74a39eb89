//! Success metrics against their targets (see the module doc of [`super`]).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use super::Ctx;

/// A success metric as the report measures it (`[[metric]]`, resolved).
#[derive(Debug, Clone)]
pub struct MetricInput {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub target: f64,
    /// The day the target should be reached.
    pub by: Date,
    pub higher_is_better: bool,
    /// Its process (for the time zone of its dates); `None`: the first process's.
    pub process: Option<String>,
}

/// One measured value (`throughline metric record`).
#[derive(Debug, Clone)]
pub struct MetricReading {
    pub metric: String,
    pub value: f64,
    pub at: Timestamp,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KpiStatus {
    /// The latest value reaches the target.
    Met,
    /// Not reached, and its day has passed.
    Missed,
    /// Not reached yet; its day is still ahead.
    Open,
    /// No value recorded yet.
    NoData,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Kpi {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub target: f64,
    pub by: Date,
    pub higher_is_better: bool,
    /// The last value measured on or before the period's last day.
    pub latest: Option<f64>,
    pub latest_on: Option<Date>,
    pub status: KpiStatus,
    /// Every value measured up to the period's last day, oldest first.
    pub values: Vec<KpiValue>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KpiValue {
    pub on: Date,
    pub value: f64,
    pub met: bool,
    pub note: Option<String>,
}

pub(super) fn kpis(ctx: &Ctx) -> Vec<Kpi> {
    let input = ctx.input;
    input
        .metrics
        .iter()
        .map(|m| {
            let cal = m
                .process
                .as_deref()
                .and_then(|p| ctx.processes.get(p).copied())
                .or_else(|| input.processes.first())
                .map(|p| &p.calendar);
            let date = |at: Timestamp| match cal {
                Some(cal) => cal.today(at),
                None => at.to_zoned(jiff::tz::TimeZone::UTC).date(),
            };
            let met = |v: f64| {
                if m.higher_is_better {
                    v >= m.target
                } else {
                    v <= m.target
                }
            };
            let mut readings: Vec<&MetricReading> = input
                .metric_values
                .iter()
                .filter(|r| r.metric == m.id && date(r.at) <= input.until)
                .collect();
            readings.sort_by_key(|r| r.at);
            let values: Vec<KpiValue> = readings
                .iter()
                .map(|r| KpiValue {
                    on: date(r.at),
                    value: r.value,
                    met: met(r.value),
                    note: r.note.clone(),
                })
                .collect();
            let today = date(input.now).min(input.until);
            let last = values.last();
            let status = match last {
                None => KpiStatus::NoData,
                Some(v) if v.met => KpiStatus::Met,
                Some(_) if today > m.by => KpiStatus::Missed,
                Some(_) => KpiStatus::Open,
            };
            Kpi {
                id: m.id.clone(),
                name: m.name.clone(),
                unit: m.unit.clone(),
                target: m.target,
                by: m.by,
                higher_is_better: m.higher_is_better,
                latest: last.map(|v| v.value),
                latest_on: last.map(|v| v.on),
                status,
                values,
            }
        })
        .collect()
}
