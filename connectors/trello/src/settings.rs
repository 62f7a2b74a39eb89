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
    /// Requests one token may make per window (100 per 10 s).
    pub per_token: RateQuota,
    /// Requests one API key may make per window, across all its tokens (300 per 10 s).
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
    /// The Trello API key (from <https://trello.com/app-key>).
    pub key: Secret,
    /// The user token issued for that key; it decides which boards are reachable.
    pub token: Secret,
    /// `https://api.trello.com/1` unless a test or the emulator says otherwise.
    pub base_url: String,
    /// How tasks look on the board (`mappings/trello.toml` or the target's copy).
    pub mapping: TrelloMapping,
    /// Dates are written and read as days in this time zone (the process's).
    pub timezone: TimeZone,
    /// Hub person → Trello username or member id; wins over the mapping's `[people]`.
    pub people: BTreeMap<String, String>,
    /// The request quotas the client paces itself to.
    pub limits: TrelloLimits,
    /// The longest one request may take.
    pub request_timeout: Duration,
    /// How often and how long a failed or throttled request is retried.
    pub retry: RetryPolicy,
}

impl TrelloSettings {
    /// Trello's own REST API, version 1.
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
    /// The target names no board.
    MissingBoard {
        /// The target id from the config.
        target: String,
    },
    #[error(
        "target `{target}` needs the Trello {which} in `credentials = {{ key = \"env:TRELLO_KEY\", token = \"env:TRELLO_TOKEN\" }}` (create them at https://trello.com/app-key)"
    )]
    /// The target's credentials lack the API key or the token.
    MissingCredential {
        /// The target id from the config.
        target: String,
        /// `"key"` or `"token"`.
        which: &'static str,
    },
    #[error(
        "target `{target}`: `base_url = \"{url}\"` is not a web address like \"https://api.trello.com/1\""
    )]
    /// The target's `base_url` is not a web address.
    BadBaseUrl {
        /// The target id from the config.
        target: String,
        /// The `base_url` as written.
        url: String,
    },
    #[error("target `{target}`: {message}")]
    /// The HTTP client could not be built.
    Client {
        /// The target id from the config.
        target: String,
        /// What the client reported.
        message: String,
    },
}
