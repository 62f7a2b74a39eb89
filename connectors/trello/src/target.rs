//! A Trello target as `throughline.toml` writes it, and the connector it opens:
//!
//! ```toml
//! [[target]]
//! id = "studio"
//! kind = "trello"
//! board = "5f1a0c..."
//! credentials = { key = "env:TRELLO_KEY", token = "env:TRELLO_TOKEN", secret = "env:TRELLO_SECRET" }
//! people = { "dana@example.com" = "danalevi" }
//! ```
//!
//! `secret` is the app's secret: Trello signs the webhooks it sends the daemon with it
//! ([`webhook_signature_ok`]).

use std::collections::BTreeMap;

use throughline_connector::Connector;
use throughline_connector::settings::{
    Accounts, KindSpec, LocationKey, SettingsError, TargetSettings, Tool, no_checks,
};

use crate::{TrelloConnector, TrelloMapping, TrelloSettings};

/// The Trello kind, for the root crate's registry.
pub const TOOL: Tool = Tool {
    spec: KindSpec {
        kind: "trello",
        tool: "Trello",
        location: &[LocationKey {
            key: "board",
            hint: "the board's id, like board = \"5f1a0c...\"",
        }],
        // `people`: hub person → Trello username, where it cannot match by e-mail;
        // `unmapped`: what happens to the tasks of a person with no account there.
        options: &["people", "unmapped"],
        // `secret`: the app's secret, which signs the webhooks Trello sends the daemon.
        credentials: &["key", "token", "secret"],
        accounts: Accounts {
            by_map_only: true,
            word: "Trello username",
        },
        check: no_checks,
    },
    connect,
    check_mapping: |t| TrelloMapping::from_toml(t).map(|_| ()),
    mapping_people,
    sign_in: None,
    default_mapping: None,
    local_file: None,
    webhooks: None,
};

/// The board's members the mapping's `[people]` names; the target's `people` wins over them.
fn mapping_people(mapping: &toml::Table) -> BTreeMap<String, String> {
    TrelloMapping::from_toml(mapping)
        .map(|m| m.people)
        .unwrap_or_default()
}

/// The connector for one board.
pub fn connect(
    target: &TargetSettings,
    mapping: &toml::Table,
) -> Result<Box<dyn Connector>, SettingsError> {
    let board = target.require("board", "needs `board = \"<board id>\"`")?;
    let mut settings = TrelloSettings::new(
        &target.id,
        &board,
        target.secret("key")?,
        target.secret("token")?,
    );
    settings.base_url = target.base_url_or(TrelloSettings::DEFAULT_BASE_URL);
    settings.mapping =
        TrelloMapping::from_toml(mapping).map_err(|e| target.error(e.to_string()))?;
    settings.timezone = target.timezone.clone();
    settings.people = target.people.clone();
    let connector = TrelloConnector::new(settings).map_err(|e| target.error(e.to_string()))?;
    Ok(Box::new(connector))
}
