//! What `/readyz` shows: the last cycle, each target's health, the files in use.

use jiff::Timestamp;
use serde::Serialize;

use super::health::TargetHealth;

/// What started a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Startup,
    Schedule,
    Webhook,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Startup => "startup",
            Trigger::Schedule => "schedule",
            Trigger::Webhook => "webhook",
        }
    }
}

/// How a cycle ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CycleResult {
    /// Every target that took part is ok or degraded.
    Ok,
    /// Some target failed or was stopped; the others went through.
    Partial,
    /// The hub itself failed (the state store); nothing after that point happened.
    Failed,
    /// Stopped between two steps on request (shutdown).
    Stopped,
}

impl CycleResult {
    pub fn as_str(self) -> &'static str {
        match self {
            CycleResult::Ok => "ok",
            CycleResult::Partial => "partial",
            CycleResult::Failed => "failed",
            CycleResult::Stopped => "stopped",
        }
    }
}

/// The last cycle, for `/readyz`.
#[derive(Debug, Clone, Serialize)]
pub struct CycleInfo {
    /// 1 for the first cycle since the daemon started.
    pub number: u64,
    pub trigger: Trigger,
    pub started: Timestamp,
    pub finished: Timestamp,
    pub seconds: f64,
    pub result: CycleResult,
    /// The targets that took part.
    pub targets: Vec<String>,
    pub error: Option<String>,
}

/// The files, as `/readyz` shows them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ConfigView {
    pub file: String,
    /// Problems of the last change; empty when it loaded (the model in use is the last good one).
    pub problems: Vec<String>,
    pub loaded: Option<Timestamp>,
}

/// What `/readyz` shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct View {
    pub targets: Vec<TargetHealth>,
    pub last_cycle: Option<CycleInfo>,
    pub running_since: Option<Timestamp>,
    pub next_cycle: Option<Timestamp>,
    pub config: ConfigView,
}

impl View {
    /// Ready: a cycle finished, the hub is fine, and no target is failing or stopped.
    pub fn ready(&self) -> bool {
        self.last_cycle
            .as_ref()
            .is_some_and(|c| c.result != CycleResult::Failed)
            && !self.targets.iter().any(TargetHealth::is_failing)
    }
}
