//! Success metrics' values typed on the grid targets' "Metrics" tab (Excel, Google Sheets),
//! pulled after a cycle the way status is: each target keeps a row per `[[metric]]` and gives
//! back what people typed; a value not recorded yet is kept in the state store, with the target
//! and the cell it came from as its note (`report` shows it under `kpis`).

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;
use throughline_connector::metrics::MetricSpec;

use super::TargetRun;
use crate::model::{Deployment, Metric};
use crate::state::{MetricValue, StateError, StateStore};

/// What one pull found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MetricsPulled {
    /// Values recorded now (not those recorded by an earlier cycle).
    pub recorded: Vec<PulledValue>,
    /// Cells that could not be read and tabs that could not be kept, each naming its place.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PulledValue {
    pub target: String,
    pub metric: String,
    pub value: f64,
    pub at: Timestamp,
    pub cell: String,
}

/// The zone a typed day is read in: that day 12:00 in the process time zone, as
/// `metric record --at DATE` reads it.
pub fn typed_day_zone(dep: &Deployment) -> TimeZone {
    dep.processes
        .first()
        .map(|p| p.timezone.clone())
        .unwrap_or(TimeZone::UTC)
}

/// Keep every target's Metrics tab and record the values typed there that the store does not
/// hold yet (the same metric, time and value). `tz` places a typed day at 12:00 (see
/// [`typed_day_zone`]); `only` is `sync --target`.
pub async fn pull(
    store: &mut dyn StateStore,
    targets: &mut [TargetRun],
    metrics: &[Metric],
    only: Option<&str>,
    tz: &TimeZone,
    now: Timestamp,
) -> Result<MetricsPulled, StateError> {
    let mut out = MetricsPulled::default();
    if metrics.is_empty() {
        return Ok(out);
    }
    let specs: Vec<MetricSpec> = metrics
        .iter()
        .map(|m| MetricSpec {
            id: m.id.clone(),
            name: m.name.clone(),
            unit: m.unit.clone(),
            target: m.target,
            by: m.by,
        })
        .collect();
    let mut known = store.all_metric_values()?;
    for t in targets.iter_mut() {
        if only.is_some_and(|o| o != t.id) {
            continue;
        }
        let read = match t.connector.metrics(&specs).await {
            Ok(read) => read,
            Err(e) => {
                out.problems.push(format!(
                    "target `{}`: its Metrics tab was not read or kept: {e}",
                    t.id
                ));
                continue;
            }
        };
        out.problems.extend(
            read.problems
                .into_iter()
                .map(|p| format!("target `{}`: {p}", t.id)),
        );
        for r in read.readings {
            let at = match r.at.at(12, 0, 0, 0).to_zoned(tz.clone()) {
                Ok(z) => z.timestamp(),
                Err(e) => {
                    out.problems.push(format!(
                        "target `{}`: {}: {} at 12:00 is out of range ({e}); type a nearer date",
                        t.id, r.cell, r.at
                    ));
                    continue;
                }
            };
            if known
                .iter()
                .any(|k| k.metric == r.metric && k.at == at && k.value == r.value)
            {
                continue;
            }
            let value = MetricValue {
                metric: r.metric.clone(),
                value: r.value,
                at,
                note: Some(format!("typed in target `{}` at {}", t.id, r.cell)),
            };
            store.record_metric(&value, now)?;
            known.push(value);
            out.recorded.push(PulledValue {
                target: t.id.clone(),
                metric: r.metric,
                value: r.value,
                at,
                cell: r.cell,
            });
        }
    }
    Ok(out)
}
