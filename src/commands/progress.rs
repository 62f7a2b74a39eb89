//! Progress of a `plan` or `sync` on a terminal: one spinner line on standard error that says
//! which target is being read, then written (a first push to a board can take minutes).
//! Connectors report nothing inside a call, so each target is wrapped to say when its reads
//! and writes start and end.

use std::io::IsTerminal;

use async_trait::async_trait;
use throughline::engine::TargetRun;
use throughline::import::Progress;
use throughline::import::progress::Bar;
use throughline_connector::{
    Applied, Capabilities, Change, Connector, ConnectorError, Observation, ObservedTask, http,
};

/// Wrap every target of the cycle; a hidden bar when standard error is not a terminal or the
/// output is JSON. The steps count targets read; writes (a sync's) say what they send.
pub fn watch(runs: Vec<TargetRun>, json: bool) -> (Vec<TargetRun>, Bar) {
    let shown = !json && std::io::stderr().is_terminal();
    let bar = Progress::new(shown).steps(runs.len() as u64);
    let runs = runs
        .into_iter()
        .map(|run| TargetRun {
            connector: Box::new(Watched {
                inner: run.connector,
                bar: bar.clone(),
            }),
            ..run
        })
        .collect();
    (runs, bar)
}

struct Watched {
    inner: Box<dyn Connector>,
    bar: Bar,
}

#[async_trait]
impl Connector for Watched {
    fn target(&self) -> &str {
        self.inner.target()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn observe(
        &mut self,
        cursor: Option<serde_json::Value>,
    ) -> Result<Observation, ConnectorError> {
        self.bar.say(format!("reading {}", self.inner.target()));
        let observed = self.inner.observe(cursor).await;
        self.bar.inc();
        observed
    }

    async fn apply(&mut self, changes: &[Change]) -> Vec<Result<Applied, ConnectorError>> {
        self.bar.say(format!(
            "writing {} change{} to {}",
            changes.len(),
            if changes.len() == 1 { "" } else { "s" },
            self.inner.target()
        ));
        self.inner.apply(changes).await
    }

    async fn people_with_accounts(
        &mut self,
        people: &std::collections::BTreeSet<String>,
    ) -> Result<std::collections::BTreeSet<String>, ConnectorError> {
        self.inner.people_with_accounts(people).await
    }

    fn requests(&self) -> Option<http::RequestCounts> {
        self.inner.requests()
    }

    fn cursor_after_apply(&self) -> Option<serde_json::Value> {
        self.inner.cursor_after_apply()
    }

    async fn find(&mut self, identity: &str) -> Result<Option<ObservedTask>, ConnectorError> {
        self.inner.find(identity).await
    }

    async fn metrics(
        &mut self,
        specs: &[throughline_connector::metrics::MetricSpec],
    ) -> Result<throughline_connector::metrics::MetricsRead, ConnectorError> {
        self.inner.metrics(specs).await
    }
}
