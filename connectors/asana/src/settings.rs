//! What an Asana target needs, as plain values the engine resolves from `throughline.toml`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use jiff::tz::TimeZone;
use throughline_connector::http::{RetryPolicy, Secret};

use crate::mapping::AsanaMapping;

/// Asana's API root.
pub const DEFAULT_BASE_URL: &str = "https://app.asana.com/api/1.0";

/// How throughline signs in to Asana.
#[derive(Debug, Clone)]
pub enum AsanaAuth {
    /// A personal access token. It cannot use the `external` field, so identity goes to a
    /// custom field or a notes marker (see `mappings/asana.toml`).
    Token(Secret),
    /// OAuth2, with the refresh token `throughline auth asana` stored.
    OAuth(OAuthSettings),
}

impl AsanaAuth {
    /// `true` for OAuth (which may use the `external` field), `false` for a personal token.
    pub fn is_oauth(&self) -> bool {
        matches!(self, AsanaAuth::OAuth(_))
    }
}

/// An Asana OAuth app and where its refresh token is kept.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: Secret,
    /// The file `throughline auth asana` wrote (JSON, mode 0600). throughline keeps the
    /// current access token there too, so a restart does not need a refresh.
    pub token_file: PathBuf,
    /// The token endpoint; `None`: next to the API root (`https://app.asana.com/-/oauth_token`).
    pub token_url: Option<String>,
}

/// Which Asana plan the workspace is on: it sets the request budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsanaPlan {
    /// 150 requests per minute.
    Free,
    /// 1,500 requests per minute (Starter, Advanced, Enterprise).
    Paid,
}

/// The budget throughline keeps to, under Asana's own limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsanaLimits {
    /// Requests per minute per token (free plan 150, paid 1,500).
    pub requests_per_minute: u32,
    /// Requests that write (POST, PUT, DELETE; `/batch` is a POST) in flight at once. Asana
    /// allows 15 per token.
    pub concurrent_writes: usize,
    /// GET requests in flight at once. Asana allows 50 per token.
    pub concurrent_reads: usize,
    /// How often and how long a failed or throttled request is retried.
    pub retry: RetryPolicy,
    /// The longest one request may take (60 s).
    pub request_timeout: Duration,
}

impl AsanaLimits {
    /// The budget for a plan, with Asana's concurrency limits (15 writes, 50 reads).
    pub fn for_plan(plan: AsanaPlan) -> AsanaLimits {
        AsanaLimits {
            requests_per_minute: match plan {
                AsanaPlan::Free => 150,
                AsanaPlan::Paid => 1500,
            },
            concurrent_writes: 15,
            concurrent_reads: 50,
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(60),
        }
    }
}

impl Default for AsanaLimits {
    /// The free plan's budget: safe on every workspace.
    fn default() -> Self {
        AsanaLimits::for_plan(AsanaPlan::Free)
    }
}

/// One Asana target: a project in a workspace.
#[derive(Debug, Clone)]
pub struct AsanaSettings {
    /// The target id from the config.
    pub target: String,
    /// The project's gid.
    pub project: String,
    /// The workspace (or organization) gid the project is in.
    pub workspace: String,
    /// How throughline signs in.
    pub auth: AsanaAuth,
    /// The API root, `https://app.asana.com/api/1.0` unless tests or the emulator say otherwise.
    pub base_url: String,
    /// How tasks look in the project (`mappings/asana.toml` or the target's copy).
    pub mapping: AsanaMapping,
    /// The process time zone: `due_at` is written and read in it.
    pub timezone: TimeZone,
    /// The request budget throughline keeps to.
    pub limits: AsanaLimits,
    /// Hub person (usually an e-mail address) → Asana user (an e-mail address or a user gid).
    /// People not listed are found by their e-mail address.
    pub people: BTreeMap<String, String>,
}

impl AsanaSettings {
    /// A target with the default mapping, UTC, the free plan's limits and Asana's API root.
    pub fn new(
        target: impl Into<String>,
        project: impl Into<String>,
        workspace: impl Into<String>,
        auth: AsanaAuth,
    ) -> AsanaSettings {
        AsanaSettings {
            target: target.into(),
            project: project.into(),
            workspace: workspace.into(),
            auth,
            base_url: DEFAULT_BASE_URL.to_owned(),
            mapping: AsanaMapping::default(),
            timezone: TimeZone::UTC,
            limits: AsanaLimits::default(),
            people: BTreeMap::new(),
        }
    }
}
