//! throughline's connector for Google Sheets: a tracker tab with a row per task and per
//! checklist entry, kept in step with the playbook while people work in it.
//!
//! The constraints it was built around:
//!
//! - **Quotas.** Google allows 60 read and 60 write requests per minute per user (and per
//!   project), whatever a request does. So the cost of a cycle is counted in requests, not
//!   rows: a quiet cycle is one Drive `files.get` (`fields=modifiedTime,version`); only when
//!   the version moved does it read the tabs and every row's developer metadata (one
//!   `spreadsheets.get` with a field mask) and the values (one `values:batchGet`). The
//!   snapshot goes into the observation's cursor, which the engine stores and hands back. A
//!   push is one `spreadsheets:batchUpdate` (tabs, inserted rows, metadata, formats,
//!   validation, protection) and one `values:batchUpdateByDataFilter` (every cell), whatever
//!   the number of rows. Client-side limiters (one for reads, one for writes, shared by every
//!   target on the same account) keep under the quota; a 429 `RESOURCE_EXHAUSTED` is handled
//!   as [`throughline_connector::http::retry`] says. Our own writes move the version, so the
//!   cycle after a push reads the sheet again.
//! - **People sort, insert, move and delete rows.** A row is never addressed by its position
//!   from one cycle to the next. Each row carries developer metadata `throughline.id` whose
//!   value is its identity; Sheets keeps it with the row through sorts, inserts and moves.
//!   Every observation re-locates rows by it, and every value write names the row by its
//!   metadata id (a data filter), so even a sort between the read and the write cannot send a
//!   value to the wrong row. The visible ID column is the fallback a person can repair: a row
//!   that lost its metadata (a copied sheet) is found by it and gets its metadata back.
//!   Structural batches are atomic, so rows inserted in one are given their metadata in the
//!   same request.
//! - **People's cells are theirs.** Only throughline's columns of throughline's rows are
//!   written (other cells of a written row are sent as "leave as is"), so notes, links and
//!   formulas in columns people add are never overwritten, nor are rows without an identity.
//!   Values go in RAW, so a title starting with `=`, `+`, `-` or `@` stays text. Tabs are
//!   recognised by a `throughline.tab` marker, never taken over by name.
//! - **A tracker people like to use.** Dates are real dates (serial numbers with a date
//!   format); status is a dropdown (`ONE_OF_LIST`, not strict, so "בוצע" typed by hand is
//!   read); done is a checkbox (`BOOLEAN`); the header is frozen; archived rows are greyed and
//!   overdue dates red (conditional formats, right between syncs); a warning-only protected
//!   range over the playbook's columns tells people an edit there may be replaced. Hebrew
//!   playbooks get right-to-left tabs with Hebrew headers and words.
//! - **Signing in.** A service account key (an RS256 JWT exchanged at the token endpoint), the
//!   desktop OAuth flow (`throughline auth google`, loopback redirect + PKCE, refresh token
//!   stored with mode 0600), or a bearer token. Access tokens are renewed five minutes before
//!   they expire, and at once when Google answers 401; a renewal that fails stops the target
//!   with [`ConnectorError::Auth`] saying what to do, logged at error level.
//! - **Limits.** A cell holds 50,000 characters (a longer title is refused, never cut); a tab
//!   name 100. Drive's version can trail an edit by a few seconds: an edit made during a
//!   cycle is read on the next one.
//! - **Never destroy.** Archiving writes the archived status word and keeps the row.
//!
//! What Sheets shares with Excel (the columns and header matching, the status words and the
//! Status/Done rule, the date reader, the identity index, the row checks) is the grid core,
//! `throughline-grid`; this crate is how the Sheets API holds it.
//!
//! The emulator (feature `emulator`) is an in-memory Google Sheets and Drive with the same JSON
//! shapes, errors, quotas and developer metadata behaviour, used by the tests and by
//! `throughline emulate sheets`.

pub mod a1;
pub mod auth;
mod client;
mod mapping;
mod metrics;
mod plan;
mod snapshot;
pub mod target;
pub mod watch;
mod words;

#[cfg(feature = "emulator")]
pub mod emulator;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use throughline_connector::http::{RequestCounts, RetryPolicy};
use throughline_connector::{
    Applied, Capabilities, Change, Connector, ConnectorError, Observation, StateSupport,
};

pub use auth::{AuthError, DesktopSignIn, SheetsAuth, StoredToken, sign_in_desktop};
pub use client::SheetsQuota;
pub use mapping::{
    DEFAULT_TOML, Field, HeaderLanguage, IdColumn, Language, MappingError, SheetsMapping,
    StateFrom, StatusWords,
};
pub use snapshot::{ROW_KEY, TAB_KEY};

use auth::TokenSource;
use client::SheetsClient;
use plan::{Outcome, Planner, Target};
use snapshot::{Snapshot, TabsFound};
use words::Seen;

/// Google Sheets' API root.
pub const SHEETS_URL: &str = "https://sheets.googleapis.com";
/// Google Drive's API root (for `files.get`).
pub const DRIVE_URL: &str = "https://www.googleapis.com";
pub use auth::GOOGLE_TOKEN_URL as TOKEN_URL;

/// How many times a read is repeated when rows moved between its two requests.
const READ_ATTEMPTS: usize = 2;

/// Everything a Google Sheets target needs, with every value already resolved.
#[derive(Debug, Clone)]
pub struct SheetsSettings {
    /// The target id from the configuration.
    pub target: String,
    /// The spreadsheet id (the long code in its address between `/d/` and `/edit`).
    pub spreadsheet: String,
    /// How to sign in to Google.
    pub auth: SheetsAuth,
    /// [`SHEETS_URL`]; tests point it at the emulator.
    pub sheets_url: String,
    /// [`DRIVE_URL`].
    pub drive_url: String,
    /// [`TOKEN_URL`].
    pub token_url: String,
    /// [`auth::DEFAULT_SCOPES`].
    pub scopes: Vec<String>,
    /// How tasks look in the sheet.
    pub mapping: SheetsMapping,
    /// The process time zone: a timestamp a person pasted into a date cell is read as the
    /// date it is there.
    pub timezone: TimeZone,
    /// How many requests a minute to stay under.
    pub quota: SheetsQuota,
    /// How hard to retry passing failures; the shared client's default when `None`.
    pub retry: Option<RetryPolicy>,
}

impl SheetsSettings {
    /// Google's addresses, the default mapping and quotas, and UTC.
    pub fn new(
        target: impl Into<String>,
        spreadsheet: impl Into<String>,
        auth: SheetsAuth,
    ) -> SheetsSettings {
        SheetsSettings {
            target: target.into(),
            spreadsheet: spreadsheet.into(),
            auth,
            sheets_url: SHEETS_URL.to_owned(),
            drive_url: DRIVE_URL.to_owned(),
            token_url: TOKEN_URL.to_owned(),
            scopes: auth::DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect(),
            mapping: SheetsMapping::default(),
            timezone: TimeZone::UTC,
            quota: SheetsQuota::default(),
            retry: None,
        }
    }

    /// Every address at one root (the emulator serves Sheets, Drive and the token endpoint).
    pub fn with_base_url(mut self, base: &str) -> SheetsSettings {
        let base = base.trim_end_matches('/');
        self.sheets_url = base.to_owned();
        self.drive_url = base.to_owned();
        self.token_url = format!("{base}/token");
        self
    }
}

/// What the connector keeps in the engine's cursor.
#[derive(Serialize, Deserialize)]
struct Cursor {
    snapshot: Snapshot,
}

/// One tab as [`SheetsConnector::read_tabs`] returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportTab {
    /// The tab's name.
    pub title: String,
    /// The tab is shown right to left.
    pub right_to_left: bool,
    /// Rows of cells: numbers, text, booleans (dates as the sheet shows them, as text).
    pub rows: Vec<Vec<Value>>,
}

/// One spreadsheet as a throughline target.
pub struct SheetsConnector {
    target: String,
    spreadsheet: String,
    mapping: SheetsMapping,
    timezone: TimeZone,
    client: SheetsClient,
    tokens: Arc<TokenSource>,
    /// The last observation, while its row positions are still the sheet's.
    snapshot: Option<Snapshot>,
    /// The state columns of each identity as last seen or written.
    seen: BTreeMap<String, Seen>,
    /// The snapshot an apply wrote over, with the state columns as it wrote them: the cursor
    /// after that apply.
    written: Option<Snapshot>,
}

impl SheetsConnector {
    /// The connector for one spreadsheet; nothing is sent until the first observation. An
    /// empty spreadsheet id or unusable credentials are refused here.
    pub fn new(settings: SheetsSettings) -> Result<SheetsConnector, ConnectorError> {
        if settings.spreadsheet.trim().is_empty() {
            return Err(ConnectorError::Invalid {
                message: format!(
                    "target `{}` needs `spreadsheet = \"...\"`: the long code in the sheet's \
                     address between /d/ and /edit",
                    settings.target
                ),
            });
        }
        let account = settings.auth.account();
        let tokens = Arc::new(
            TokenSource::new(
                settings.auth,
                settings.token_url,
                settings.scopes,
                settings.target.clone(),
            )
            .map_err(|e| ConnectorError::Auth {
                message: format!("target `{}`: {e}", settings.target),
            })?,
        );
        let client = SheetsClient::new(
            Arc::clone(&tokens),
            &account,
            &settings.spreadsheet,
            &settings.sheets_url,
            &settings.drive_url,
            settings.quota,
            settings.retry,
        )?;
        Ok(SheetsConnector {
            target: settings.target,
            spreadsheet: settings.spreadsheet,
            mapping: settings.mapping,
            timezone: settings.timezone,
            client,
            tokens,
            snapshot: None,
            seen: BTreeMap::new(),
            written: None,
        })
    }

    /// How tasks look in the sheet.
    pub fn mapping(&self) -> &SheetsMapping {
        &self.mapping
    }

    /// The spreadsheet id.
    pub fn spreadsheet(&self) -> &str {
        &self.spreadsheet
    }

    /// Requests sent so far, by method and outcome (retries included).
    pub fn request_counts(&self) -> RequestCounts {
        self.client.counts()
    }

    /// How many access tokens were fetched so far.
    pub fn token_refreshes(&self) -> u64 {
        self.tokens.refreshes()
    }

    /// Every tab with its cells, as `throughline import sheets:<id>` reads a spreadsheet: one
    /// `spreadsheets.get` and one `values:batchGet`, values unformatted and dates as the sheet
    /// shows them.
    pub async fn read_tabs(&self) -> Result<Vec<ImportTab>, ConnectorError> {
        let structure = self.client.structure().await?;
        let mut tabs: Vec<ImportTab> = structure["sheets"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| ImportTab {
                title: s["properties"]["title"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                right_to_left: s["properties"]["rightToLeft"].as_bool().unwrap_or(false),
                rows: Vec::new(),
            })
            .collect();
        let titles: Vec<String> = tabs.iter().map(|t| t.title.clone()).collect();
        if titles.is_empty() {
            return Ok(tabs);
        }
        let ranges = self
            .client
            .values_rendered(&titles, "FORMATTED_STRING")
            .await?;
        for (tab, range) in tabs.iter_mut().zip(ranges) {
            tab.rows = range["values"]
                .as_array()
                .map(|rows| {
                    rows.iter()
                        .map(|r| r.as_array().cloned().unwrap_or_default())
                        .collect()
                })
                .unwrap_or_default();
        }
        Ok(tabs)
    }

    /// Read the tabs and rows (two requests), again if rows moved between the two.
    async fn read(
        &mut self,
        meta: &client::FileMeta,
        previous: BTreeMap<String, Seen>,
    ) -> Result<Snapshot, ConnectorError> {
        let mut last = None;
        for _ in 0..READ_ATTEMPTS {
            let found = TabsFound::read(self.client.structure().await?)?;
            let titles = found.titles();
            let values = if titles.is_empty() {
                Vec::new()
            } else {
                self.client.values(&titles).await?
            };
            let read = Snapshot::build(found, &values, meta, &self.mapping, previous.clone())?;
            if read.mismatches == 0 {
                return Ok(read.snapshot);
            }
            tracing::info!(
                target_id = %self.target,
                rows = read.mismatches,
                "rows moved while the sheet was read, or ID cells were typed over; reading again"
            );
            last = Some(read.snapshot);
        }
        // Still different: people typed over ID cells. The metadata is what counts.
        Ok(last.expect("at least one read"))
    }

    fn observation(&self, snapshot: &Snapshot) -> Observation {
        Observation {
            tasks: snapshot.observe(&self.mapping, &self.timezone),
            cursor: serde_json::to_value(Cursor {
                snapshot: snapshot.clone(),
            })
            .ok(),
        }
    }

    async fn send(&mut self, changes: &[Change]) -> Vec<Result<Applied, ConnectorError>> {
        let snapshot = match self.snapshot.clone() {
            Some(s) => s,
            None => match self.observe(None).await {
                Ok(_) => self.snapshot.clone().expect("observe keeps its snapshot"),
                Err(e) => return vec![Err(e); changes.len()],
            },
        };
        let plan = Planner::new(&snapshot, &self.mapping).plan(changes);

        let structure = if plan.structure.is_empty() {
            Ok(false)
        } else {
            self.snapshot = None;
            self.client
                .batch_update(plan.structure.clone())
                .await
                .map(|_| true)
        };
        let (data, sent) = value_writes(&plan, &structure);
        let values = if data.is_empty() {
            Ok(Vec::new())
        } else {
            self.snapshot = None;
            self.client.write_values(data).await.map(|answer| {
                answer["responses"]
                    .as_array()
                    .map(|r| {
                        r.iter()
                            .filter_map(|r| filter_key(&r["dataFilter"]))
                            .collect()
                    })
                    .unwrap_or_default()
            })
        };
        let sent = Sent {
            structure,
            filters: sent,
            matched: values,
        };
        let results = plan
            .outcomes
            .into_iter()
            .map(|outcome| self.settle(outcome, &sent))
            .collect();
        if let Some(s) = self.snapshot.as_mut() {
            s.seen = self.seen.clone();
        }
        self.written = Some(Snapshot {
            seen: self.seen.clone(),
            ..snapshot
        });
        results
    }

    /// One change's result from what its requests did; the state columns it wrote are
    /// remembered once they are written.
    fn settle(&mut self, outcome: Outcome, sent: &Sent) -> Result<Applied, ConnectorError> {
        let applied = outcome.result?;
        if outcome.structural {
            sent.structure.clone()?;
        }
        for &w in &outcome.writes {
            let Some(filter) = &sent.filters[w] else {
                // Never sent: its new row was not made.
                sent.structure.clone()?;
                continue;
            };
            let matched: &Vec<String> = sent.matched.as_ref().map_err(Clone::clone)?;
            if !filter_key(filter).is_some_and(|k| matched.contains(&k)) {
                return Err(ConnectorError::NotFound {
                    what: format!(
                        "a row of spreadsheet {} was deleted while throughline was writing to it",
                        self.spreadsheet
                    ),
                });
            }
        }
        for (identity, seen) in outcome.seen {
            self.seen.insert(identity, seen);
        }
        Ok(applied)
    }
}

/// What one apply's two requests did.
struct Sent {
    /// The structure batch: whether there was one, or why it failed.
    structure: Result<bool, ConnectorError>,
    /// The data filter each planned row write went out with (`None`: not sent).
    filters: Vec<Option<Value>>,
    /// The data filters the value batch matched, or why it failed.
    matched: Result<Vec<String>, ConnectorError>,
}

/// The value batch's data, and the filter each planned row write went out with. Rows made by
/// a failed structure batch do not exist: nothing is written into them.
fn value_writes(
    plan: &plan::Plan,
    structure: &Result<bool, ConnectorError>,
) -> (Vec<Value>, Vec<Option<Value>>) {
    let inserted = matches!(structure, Ok(true));
    let new_ids: HashSet<i32> = plan
        .structure
        .iter()
        .filter_map(|r| r["createDeveloperMetadata"]["developerMetadata"]["metadataId"].as_i64())
        .map(|id| id as i32)
        .collect();
    let mut data = Vec::new();
    let mut sent: Vec<Option<Value>> = vec![None; plan.writes.len()];
    for (i, w) in plan.writes.iter().enumerate() {
        let filter = match w.target {
            Target::Meta(id) if structure.is_err() && new_ids.contains(&id) => continue,
            Target::Meta(id) => json!({"developerMetadataLookup": {"metadataId": id}}),
            Target::Position { tab, row } => {
                let last = w.cells.keys().max().copied().unwrap_or(0);
                json!({"a1Range": plan.position_range(tab, row, inserted, last)})
            }
        };
        let width = w.cells.keys().max().map_or(0, |c| c + 1) as usize;
        let mut row = vec![Value::Null; width];
        for (c, v) in &w.cells {
            row[*c as usize] = v.clone();
        }
        // A position-written range starts at column A too.
        data.push(json!({"dataFilter": filter, "majorDimension": "ROWS", "values": [row]}));
        sent[i] = Some(filter);
    }
    (data, sent)
}

/// What a data filter names, as Google echoes it in a write's answer.
fn filter_key(filter: &Value) -> Option<String> {
    if let Some(id) = filter["developerMetadataLookup"]["metadataId"].as_i64() {
        return Some(format!("metadata {id}"));
    }
    filter["a1Range"].as_str().map(|r| format!("range {r}"))
}

#[async_trait]
impl Connector for SheetsConnector {
    fn target(&self) -> &str {
        &self.target
    }

    /// The snapshot with the state columns as this apply wrote them (and the notes it put or
    /// cleared): the next observation, maybe in another process, tells a person's edit from
    /// throughline's own write by them.
    fn cursor_after_apply(&self) -> Option<Value> {
        let snapshot = self.written.clone()?;
        serde_json::to_value(Cursor { snapshot }).ok()
    }

    /// Owners are written as text: everyone has a place here.
    fn capabilities(&self) -> Capabilities {
        let states = if self.mapping.has(Field::Status) {
            StateSupport::Full
        } else {
            StateSupport::DoneOrNot
        };
        throughline_grid::capabilities(&self.mapping, states)
    }

    async fn metrics(
        &mut self,
        specs: &[throughline_connector::metrics::MetricSpec],
    ) -> Result<throughline_connector::metrics::MetricsRead, ConnectorError> {
        self.keep_metrics(specs).await
    }

    async fn observe(&mut self, cursor: Option<Value>) -> Result<Observation, ConnectorError> {
        // A new observation's cursor stands until the next apply.
        self.written = None;
        let meta = self.client.file_meta().await?;
        let from_cursor = cursor
            .and_then(|c| serde_json::from_value::<Cursor>(c).ok())
            .map(|c| c.snapshot);
        let unchanged = self
            .snapshot
            .clone()
            .into_iter()
            .chain(from_cursor.clone())
            .find(|s| s.version == meta.version && !meta.version.is_empty());
        let snapshot = match unchanged {
            Some(mut s) => {
                // What this process wrote since is newer than what the cursor remembers.
                for (identity, seen) in &self.seen {
                    if s.seen.contains_key(identity) {
                        s.seen.insert(identity.clone(), *seen);
                    }
                }
                s
            }
            None => {
                let mut previous = from_cursor.map(|s| s.seen).unwrap_or_default();
                previous.extend(self.seen.clone());
                self.read(&meta, previous).await?
            }
        };
        self.seen = snapshot.seen.clone();
        let observation = self.observation(&snapshot);
        self.snapshot = Some(snapshot);
        Ok(observation)
    }

    async fn apply(&mut self, changes: &[Change]) -> Vec<Result<Applied, ConnectorError>> {
        if changes.is_empty() {
            return Vec::new();
        }
        self.send(changes).await
    }
}
