//! The connector of one target: its settings, its client, the board as last observed, and
//! the `Connector` contract on top of [`crate::observe`] and [`crate::apply`].

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use throughline_connector::http::RequestCounts;
use throughline_connector::{
    Applied, Capabilities, Change, Connector, ConnectorError, Observation, StateSupport,
};

use crate::client::Trello;
use crate::mapping::TrelloMapping;
use crate::observe::Snapshot;
use crate::settings::{SetupError, TrelloSettings};

/// The Trello connector of one target (one board).
pub struct TrelloConnector {
    pub(crate) settings: TrelloSettings,
    pub(crate) api: Trello,
    pub(crate) snap: Option<Snapshot>,
    /// The stage list of each card, as last seen outside the done list.
    pub(crate) home: HashMap<String, String>,
}

impl TrelloConnector {
    /// A connector for one board; builds the HTTP client but makes no request yet.
    pub fn new(settings: TrelloSettings) -> Result<TrelloConnector, SetupError> {
        let api = Trello::new(&settings)?;
        Ok(TrelloConnector {
            settings,
            api,
            snap: None,
            home: HashMap::new(),
        })
    }

    pub(crate) fn mapping(&self) -> &TrelloMapping {
        &self.settings.mapping
    }
}

#[async_trait]
impl Connector for TrelloConnector {
    fn target(&self) -> &str {
        &self.settings.target
    }

    /// People the people tables map to a member of the board, as the last observation saw
    /// it (the board is read when nothing was observed yet).
    async fn people_with_accounts(
        &mut self,
        people: &BTreeSet<String>,
    ) -> Result<BTreeSet<String>, ConnectorError> {
        if self.snap.is_none() {
            self.refresh().await?;
        }
        let Some(snap) = &self.snap else {
            return Ok(Default::default());
        };
        Ok(people
            .iter()
            .filter(|p| self.member_of(snap, p).is_ok())
            .cloned()
            .collect())
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            states: if self.mapping().blocked_label.is_some() {
                StateSupport::DoneBlockedOrNot
            } else {
                StateSupport::DoneOrNot
            },
            description: true,
            owner: true,
            start: true,
            due: true,
            entry_owner: self.mapping().entry_owner,
            entry_due: self.mapping().entry_due,
            batch_size: 1,
        }
    }

    async fn observe(
        &mut self,
        _cursor: Option<serde_json::Value>,
    ) -> Result<Observation, ConnectorError> {
        self.refresh().await?;
        Ok(self.observe_snapshot())
    }

    async fn apply(&mut self, changes: &[Change]) -> Vec<Result<Applied, ConnectorError>> {
        if changes.is_empty() {
            return Vec::new();
        }
        self.apply_changes(changes).await
    }

    fn requests(&self) -> Option<RequestCounts> {
        Some(self.api.counts())
    }
}
