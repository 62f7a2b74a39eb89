//! What a Trello target needs, as plain values (secrets already resolved), and why one cannot
//! be set up.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::tz::TimeZone;
use throughline_connector::http::{RateQuota, RetryPolicy, Secret};

use crate::mapping::TrelloMapping;

/// Trello's request quotas for one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrelloLimits {
    pub per_token: RateQuota,
    pub per_key: RateQuota,
}

impl Default for TrelloLimits {
    /// 100 requests per 10 s per token, 300 per 10 s per API key.
    fn default() -> Self {
        TrelloLimits {
            per_token: RateQuota::new(100, Duration::from_secs(10)).expect("a valid quota"),
            per_key: RateQuota::new(300, Duration::from_secs(10)).expect("a valid quota"),
        }
    }
}

/// Everything a Trello target needs, as plain values (secrets already resolved).
#[derive(Debug, Clone)]
pub struct TrelloSettings {
    /// The target id from the config.
    pub target: String,
    /// The board's id (24 hex digits) or short link.
    pub board: String,
    pub key: Secret,
    pub token: Secret,
    /// `https://api.trello.com/1` unless a test or the emulator says otherwise.
    pub base_url: String,
    pub mapping: TrelloMapping,
    /// Dates are written and read as days in this time zone (the process's).
    pub timezone: TimeZone,
    /// Hub person → Trello username or member id; wins over the mapping's `[people]`.
    pub people: BTreeMap<String, String>,
    pub limits: TrelloLimits,
    /// The longest one request may take.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
}

impl TrelloSettings {
    pub const DEFAULT_BASE_URL: &'static str = "https://api.trello.com/1";

    /// Settings with the default mapping, UTC, Trello's limits and the shared client's retries.
    pub fn new(target: &str, board: &str, key: Secret, token: Secret) -> Self {
        TrelloSettings {
            target: target.to_owned(),
            board: board.to_owned(),
            key,
            token,
            base_url: Self::DEFAULT_BASE_URL.to_owned(),
            mapping: TrelloMapping::default(),
            timezone: TimeZone::UTC,
            people: BTreeMap::new(),
            limits: TrelloLimits::default(),
            request_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
        }
    }
}

/// Why a Trello target cannot be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error(
        "target `{target}` needs `board = \"<board id>\"`: the id of the Trello board (open the board, add .json to its address, and copy \"id\")"
    )]
    MissingBoard { target: String },
    #[error(
        "target `{target}` needs the Trello {which} in `credentials = {{ key = \"env:TRELLO_KEY\", token = \"env:TRELLO_TOKEN\" }}` (create them at https://trello.com/app-key)"
    )]
    MissingCredential { target: String, which: &'static str },
    #[error(
        "target `{target}`: `base_url = \"{url}\"` is not a web address like \"https://api.trello.com/1\""
    )]
    BadBaseUrl { target: String, url: String },
    #[error("target `{target}`: {message}")]
    Client { target: String, message: String },
}
