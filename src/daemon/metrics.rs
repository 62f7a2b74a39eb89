//! `/metrics` in the Prometheus text exposition format (version 0.0.4), written by hand: a
//! few counters and gauges do not need a metrics library.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use jiff::Timestamp;
use throughline_connector::http::{Outcome, RequestCounts};

use super::health::{Condition, TargetHealth};

/// Upper bounds of the cycle-duration histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

#[derive(Debug, Clone, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// Everything counted since the daemon started.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// (trigger, result) → cycles.
    cycles: BTreeMap<(String, String), u64>,
    durations: Histogram,
    /// (target, method, code) → requests; code is the HTTP status, `timeout` or `failed`.
    requests: BTreeMap<(String, String, String), u64>,
    rate_limited: BTreeMap<String, u64>,
    applied: BTreeMap<String, u64>,
    failed: BTreeMap<String, u64>,
    auth_failures: BTreeMap<String, u64>,
    /// Changes planned and not made in the last cycle that reached the target.
    pending_changes: BTreeMap<String, u64>,
    conflicts: u64,
    pulled: u64,
    /// process → tasks not done yet / overdue.
    tasks_pending: BTreeMap<String, u64>,
    tasks_overdue: BTreeMap<String, u64>,
    /// (tool, target, result) → webhook calls.
    webhooks: BTreeMap<(String, String, String), u64>,
    /// (kind, channel, result) → notices.
    notices: BTreeMap<(String, String, String), u64>,
    /// result → reloads.
    reloads: BTreeMap<String, u64>,
    last_cycle_end: Option<Timestamp>,
}

fn bump<K: Ord>(map: &mut BTreeMap<K, u64>, key: K, by: u64) {
    *map.entry(key).or_default() += by;
}

impl Metrics {
    pub fn cycle(&mut self, trigger: &str, result: &str, took: Duration, ended: Timestamp) {
        bump(&mut self.cycles, (trigger.into(), result.into()), 1);
        self.durations.observe(took.as_secs_f64());
        self.last_cycle_end = Some(ended);
    }

    pub fn requests(&mut self, target: &str, counts: &RequestCounts) {
        for (method, outcome, n) in counts.iter() {
            let code = match outcome {
                Outcome::Status(s) => s.to_string(),
                Outcome::Timeout => "timeout".to_string(),
                Outcome::Failed => "failed".to_string(),
            };
            if outcome == Outcome::Status(429) {
                bump(&mut self.rate_limited, target.to_string(), n);
            }
            bump(
                &mut self.requests,
                (target.to_string(), method.to_string(), code),
                n,
            );
        }
    }

    /// Per target: (requests made, 429s) since the daemon started.
    pub fn per_target(&self) -> BTreeMap<String, (u64, u64)> {
        let mut out: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for ((target, _, _), n) in &self.requests {
            out.entry(target.clone()).or_default().0 += n;
        }
        for (target, n) in &self.rate_limited {
            out.entry(target.clone()).or_default().1 += n;
        }
        out
    }

    /// A 429 the connector reported without request counts.
    pub fn rate_limited(&mut self, target: &str) {
        bump(&mut self.rate_limited, target.to_string(), 1);
    }

    pub fn changes(&mut self, target: &str, applied: usize, failed: usize, planned: usize) {
        bump(&mut self.applied, target.to_string(), applied as u64);
        bump(&mut self.failed, target.to_string(), failed as u64);
        self.pending_changes
            .insert(target.to_string(), planned.saturating_sub(applied) as u64);
    }

    pub fn auth_failure(&mut self, target: &str) {
        bump(&mut self.auth_failures, target.to_string(), 1);
    }

    pub fn merged(&mut self, pulled: usize, conflicts: usize) {
        self.pulled += pulled as u64;
        self.conflicts += conflicts as u64;
    }

    pub fn tasks(&mut self, pending: BTreeMap<String, u64>, overdue: BTreeMap<String, u64>) {
        self.tasks_pending = pending;
        self.tasks_overdue = overdue;
    }

    pub fn webhook(&mut self, tool: &str, target: &str, result: &str) {
        bump(
            &mut self.webhooks,
            (tool.into(), target.into(), result.into()),
            1,
        );
    }

    pub fn notice(&mut self, kind: &str, channel: &str, result: &str) {
        bump(
            &mut self.notices,
            (kind.into(), channel.into(), result.into()),
            1,
        );
    }

    pub fn reload(&mut self, result: &str) {
        bump(&mut self.reloads, result.into(), 1);
    }

    /// Forget per-target series of targets that left the deployment.
    pub fn retain_targets(&mut self, keep: &[&str]) {
        let keep = |t: &String| keep.contains(&t.as_str());
        self.requests.retain(|(t, _, _), _| keep(t));
        self.rate_limited.retain(|t, _| keep(t));
        self.applied.retain(|t, _| keep(t));
        self.failed.retain(|t, _| keep(t));
        self.auth_failures.retain(|t, _| keep(t));
        self.pending_changes.retain(|t, _| keep(t));
    }

    /// Cycles counted so far, by (trigger, result).
    pub fn cycles(&self) -> &BTreeMap<(String, String), u64> {
        &self.cycles
    }

    /// The exposition text, with the targets' health as gauges.
    pub fn render(&self, health: &[TargetHealth], started: Timestamp) -> String {
        let mut out = String::new();
        let w = &mut out;
        write_process(w, started);
        self.write_cycles(w);
        self.write_targets(w, health);
        self.write_traffic(w);
        self.write_tasks(w);
        self.write_events(w);
        out
    }

    /// How many cycles ran, how long they took, when the last one ended.
    fn write_cycles(&self, w: &mut String) {
        family(
            w,
            "throughline_cycles_total",
            "counter",
            "Sync cycles, by what started them (schedule, webhook, startup) and how they ended (ok, partial, failed, stopped).",
        );
        for ((trigger, result), n) in &self.cycles {
            sample(
                w,
                "throughline_cycles_total",
                &[("trigger", trigger), ("result", result)],
                *n as f64,
            );
        }
        family(
            w,
            "throughline_cycle_duration_seconds",
            "histogram",
            "How long sync cycles took.",
        );
        let h = &self.durations;
        for (bound, n) in BUCKETS.iter().zip(h.counts) {
            sample(
                w,
                "throughline_cycle_duration_seconds_bucket",
                &[("le", &format_float(*bound))],
                n as f64,
            );
        }
        sample(
            w,
            "throughline_cycle_duration_seconds_bucket",
            &[("le", "+Inf")],
            h.count as f64,
        );
        sample(w, "throughline_cycle_duration_seconds_sum", &[], h.sum);
        sample(
            w,
            "throughline_cycle_duration_seconds_count",
            &[],
            h.count as f64,
        );
        if let Some(end) = self.last_cycle_end {
            family(
                w,
                "throughline_last_cycle_end_time_seconds",
                "gauge",
                "When the last cycle ended (Unix time).",
            );
            sample(
                w,
                "throughline_last_cycle_end_time_seconds",
                &[],
                seconds(end),
            );
        }
    }

    /// Each target's health.
    fn write_targets(&self, w: &mut String, health: &[TargetHealth]) {
        family(
            w,
            "throughline_target_up",
            "gauge",
            "1 when the target's last cycle went through (ok or degraded), 0 when failing or stopped, -1 before its first cycle.",
        );
        for t in health {
            let v = match t.condition {
                Condition::Ok | Condition::Degraded => 1.0,
                Condition::Failing | Condition::Stopped => 0.0,
                Condition::Pending => -1.0,
            };
            sample(
                w,
                "throughline_target_up",
                &[("target", &t.target), ("kind", &t.kind)],
                v,
            );
        }
        family(
            w,
            "throughline_target_consecutive_failures",
            "gauge",
            "Failed cycles in a row per target; it backs off while this is above 0.",
        );
        for t in health {
            sample(
                w,
                "throughline_target_consecutive_failures",
                &[("target", &t.target)],
                t.failures as f64,
            );
        }
        family(
            w,
            "throughline_target_last_success_time_seconds",
            "gauge",
            "When each target last synced (Unix time).",
        );
        for t in health {
            if let Some(at) = t.last_success {
                sample(
                    w,
                    "throughline_target_last_success_time_seconds",
                    &[("target", &t.target)],
                    seconds(at),
                );
            }
        }
        family(
            w,
            "throughline_target_auth_failing",
            "gauge",
            "1 while a target's credentials are refused.",
        );
        for t in health {
            sample(
                w,
                "throughline_target_auth_failing",
                &[("target", &t.target)],
                if t.auth_failed { 1.0 } else { 0.0 },
            );
        }
        counter_by_target(
            w,
            "throughline_auth_failures_total",
            "Cycles in which a target refused the credentials.",
            &self.auth_failures,
        );
    }

    /// Requests to the tools and the changes made, failed and pending.
    fn write_traffic(&self, w: &mut String) {
        family(
            w,
            "throughline_requests_total",
            "counter",
            "HTTP requests to the tools, by target, method and status code (timeout or failed when there was no answer).",
        );
        for ((target, method, code), n) in &self.requests {
            sample(
                w,
                "throughline_requests_total",
                &[("target", target), ("method", method), ("code", code)],
                *n as f64,
            );
        }
        counter_by_target(
            w,
            "throughline_rate_limited_total",
            "Answers 429 (too many requests) per target.",
            &self.rate_limited,
        );
        counter_by_target(
            w,
            "throughline_changes_applied_total",
            "Changes made in the tools.",
            &self.applied,
        );
        counter_by_target(
            w,
            "throughline_changes_failed_total",
            "Changes that failed; each is tried again in the next cycle.",
            &self.failed,
        );
        family(
            w,
            "throughline_changes_pending",
            "gauge",
            "Changes the last cycle planned for a target and did not make (the queue for the next cycle).",
        );
        for (target, n) in &self.pending_changes {
            sample(
                w,
                "throughline_changes_pending",
                &[("target", target)],
                *n as f64,
            );
        }
        family(
            w,
            "throughline_status_pulled_total",
            "counter",
            "Status changes people made in a tool and throughline took into the hub.",
        );
        sample(
            w,
            "throughline_status_pulled_total",
            &[],
            self.pulled as f64,
        );
        family(
            w,
            "throughline_conflicts_total",
            "counter",
            "Tasks two tools changed differently in one cycle (resolved by the conflict policy).",
        );
        sample(w, "throughline_conflicts_total", &[], self.conflicts as f64);
    }

    /// The tasks not done yet and overdue, per process.
    fn write_tasks(&self, w: &mut String) {
        family(
            w,
            "throughline_tasks_pending",
            "gauge",
            "Tasks not done yet, per process.",
        );
        for (process, n) in &self.tasks_pending {
            sample(
                w,
                "throughline_tasks_pending",
                &[("process", process)],
                *n as f64,
            );
        }
        family(
            w,
            "throughline_tasks_overdue",
            "gauge",
            "Tasks past their due date and not done, per process.",
        );
        for (process, n) in &self.tasks_overdue {
            sample(
                w,
                "throughline_tasks_overdue",
                &[("process", process)],
                *n as f64,
            );
        }
    }

    /// Webhook calls, notices and reloads.
    fn write_events(&self, w: &mut String) {
        family(
            w,
            "throughline_webhooks_total",
            "counter",
            "Webhook calls by tool, target and result (accepted, own_write: the echo of the daemon's own write, heartbeat, sync, handshake, handshake_refused, bad_signature, bad_token, unsigned, unknown_target, no_secret).",
        );
        for ((tool, target, result), n) in &self.webhooks {
            sample(
                w,
                "throughline_webhooks_total",
                &[("tool", tool), ("target", target), ("result", result)],
                *n as f64,
            );
        }
        family(
            w,
            "throughline_notices_total",
            "counter",
            "Reminders, alerts and summaries, by kind, channel (email, webhook) and result.",
        );
        for ((kind, channel, result), n) in &self.notices {
            sample(
                w,
                "throughline_notices_total",
                &[("kind", kind), ("channel", channel), ("result", result)],
                *n as f64,
            );
        }
        family(
            w,
            "throughline_config_reloads_total",
            "counter",
            "Reloads after the files changed: ok, or invalid (the last good model keeps running).",
        );
        for (result, n) in &self.reloads {
            sample(
                w,
                "throughline_config_reloads_total",
                &[("result", result)],
                *n as f64,
            );
        }
    }
}

/// The version and start time of the running daemon.
fn write_process(w: &mut String, started: Timestamp) {
    family(
        w,
        "throughline_build_info",
        "gauge",
        "The running version of throughline.",
    );
    sample(
        w,
        "throughline_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1.0,
    );
    family(
        w,
        "throughline_start_time_seconds",
        "gauge",
        "When the daemon started (Unix time).",
    );
    sample(w, "throughline_start_time_seconds", &[], seconds(started));
}

fn counter_by_target(w: &mut String, name: &str, help: &str, map: &BTreeMap<String, u64>) {
    family(w, name, "counter", help);
    for (target, n) in map {
        sample(w, name, &[("target", target)], *n as f64);
    }
}

fn seconds(t: Timestamp) -> f64 {
    t.as_millisecond() as f64 / 1000.0
}

fn family(w: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(w, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(w, "# TYPE {name} {kind}");
}

fn sample(w: &mut String, name: &str, labels: &[(&str, &str)], value: f64) {
    w.push_str(name);
    if !labels.is_empty() {
        w.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                w.push(',');
            }
            let _ = write!(w, "{k}=\"{}\"", escape_label(v));
        }
        w.push('}');
    }
    let _ = writeln!(w, " {}", format_float(value));
}

fn format_float(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        let mut w = String::new();
        sample(&mut w, "m", &[("target", "a\"b\\c\nd")], 1.5);
        assert_eq!(w, "m{target=\"a\\\"b\\\\c\\nd\"} 1.5\n");
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut m = Metrics::default();
        let end = Timestamp::from_second(1_800_000_000).unwrap();
        for ms in [20, 300, 300, 7000] {
            m.cycle("schedule", "ok", Duration::from_millis(ms), end);
        }
        let text = m.render(&[], end);
        assert!(text.contains("throughline_cycle_duration_seconds_bucket{le=\"0.05\"} 1\n"));
        assert!(text.contains("throughline_cycle_duration_seconds_bucket{le=\"0.5\"} 3\n"));
        assert!(text.contains("throughline_cycle_duration_seconds_bucket{le=\"10\"} 4\n"));
        assert!(text.contains("throughline_cycle_duration_seconds_bucket{le=\"+Inf\"} 4\n"));
        assert!(text.contains("throughline_cycle_duration_seconds_count 4\n"));
        assert!(text.contains("throughline_cycles_total{trigger=\"schedule\",result=\"ok\"} 4\n"));
    }
}
