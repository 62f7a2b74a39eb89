//! An in-memory Google Sheets (and the Drive files and OAuth token endpoint around it):
//! spreadsheets, tabs, values in A1 notation with Google's input and render options and serial
//! dates, `spreadsheets:batchUpdate` with the request kinds throughline and people's edits use,
//! developer metadata that follows its row through inserts, deletes, moves and sorts, Google's
//! error bodies (as recorded from the real service), per-user read and write quotas with 429
//! `RESOURCE_EXHAUSTED`, fault injection, a request log, and sign-in: the JWT bearer grant
//! (checked against the service account's public key), refresh tokens, and the desktop
//! authorization-code flow with PKCE.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use throughline_sheets::emulator::{Emulator, Fault, FaultRule};
//! let emu = Emulator::start().await?;
//! let id = emu.create_spreadsheet("Content plan");
//! println!("{} spreadsheet {id} token {}", emu.base_url(), emu.access_token());
//! emu.inject(FaultRule::new(Fault::Status(503)).path("values:batchUpdate").times(1));
//! # Ok(()) }
//! ```
//!
//! Drive's `files.list` (with the `q` terms gspread and people write: `mimeType`, `name`,
//! `name contains`, `trashed`, `in parents`), `files.create` of a spreadsheet, `files.get` and
//! `files.delete` cover gspread's open by title, create and delete. Merges (`mergeCells`,
//! `unmergeCells`, `sheets[].merges`) grow and shrink with inserted and deleted rows and columns.
//!
//! Drive `files.watch` and `channels.stop`, with notifications on every change: see the `watch`
//! module.
//!
//! What it does not model: charts, named and filtered ranges, merges that follow moved or
//! sorted rows, pivot tables, most formula functions (a handful are evaluated; others show
//! `#NAME?`), column metadata, metadata spanning several rows, Drive folders and files other
//! than spreadsheets.

mod dimensions;
mod drive;
mod fields;
mod formula;
mod model;
mod oauth;
mod requests;
mod routes;
mod server;
mod values;
mod watch;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;
use throughline_connector::emulator_kit::{
    Bound, FaultRules, RequestLog, Serving, SlidingWindows, lock, loopback,
};
use tokio::time::Instant;

pub use throughline_connector::emulator_kit::{Fault, FaultRule};

pub use fields::Mask;
pub use model::{DateRender, Render};
use model::{Input, Spreadsheet};

use crate::auth::ServiceAccountKey;
use throughline_connector::http::Secret;

/// Google's per-user quotas, as the emulator enforces them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    /// Read requests one user may make per window before a 429 `RESOURCE_EXHAUSTED`.
    pub reads: u32,
    /// Write requests one user may make per window before a 429 `RESOURCE_EXHAUSTED`.
    pub writes: u32,
    /// The length of the window both counts are kept over (Google: a minute).
    pub window: Duration,
    /// `false`: no request is ever refused for quota.
    pub enabled: bool,
}

impl Quotas {
    /// 60 reads and 60 writes per minute per user.
    pub fn google() -> Quotas {
        Quotas {
            reads: 60,
            writes: 60,
            window: Duration::from_secs(60),
            enabled: true,
        }
    }

    /// No quota at all (the default of [`Emulator::start`]).
    pub fn off() -> Quotas {
        Quotas {
            enabled: false,
            ..Quotas::google()
        }
    }
}

/// One request as the emulator saw it, with its answer.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// The HTTP method (`GET`, `POST`, ...).
    pub method: String,
    /// The path, percent-decoded (`/v4/spreadsheets/ID/values/'Tab'!A1:B2`).
    pub path: String,
    /// The raw path as sent.
    pub raw_path: String,
    /// The query parameters, decoded, in the order sent.
    pub query: Vec<(String, String)>,
    /// The JSON body, if there was one.
    pub body: Option<Value>,
    /// The status the emulator answered with.
    pub status: u16,
    /// The JSON answer, if there was one.
    pub response: Option<Value>,
    /// Who the token belonged to.
    pub principal: Option<String>,
    /// The fault that hit it, if any.
    pub fault: Option<Fault>,
    /// Time since the emulator started.
    pub at: Duration,
}

impl LoggedRequest {
    /// A Sheets or Drive API call (not the sign-in endpoints).
    pub fn is_api(&self) -> bool {
        self.path.starts_with("/v4/") || self.path.starts_with("/drive/")
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub principal: String,
    pub scopes: Vec<String>,
    pub expires: Option<Instant>,
    pub revoked: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: Option<String>,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct RefreshGrant {
    pub client_id: String,
    pub principal: String,
    pub scopes: Vec<String>,
}

/// Everything the emulator holds.
pub(crate) struct World {
    pub spreadsheets: BTreeMap<String, Spreadsheet>,
    pub tokens: HashMap<String, Token>,
    /// Service accounts by e-mail: the public key (DER `RSAPublicKey`) their JWTs must verify
    /// with.
    pub service_accounts: HashMap<String, Vec<u8>>,
    /// OAuth clients: id → secret.
    pub clients: HashMap<String, String>,
    pub codes: HashMap<String, CodeGrant>,
    pub refresh_tokens: HashMap<String, RefreshGrant>,
    pub token_lifetime: Duration,
    /// After this many more API requests, every token issued so far stops working.
    pub expire_after: Option<u32>,
    /// Who signs in through the desktop flow.
    pub user: String,
    /// Drive `files.watch` channels.
    pub watches: watch::Watches,
}

pub(crate) struct Shared {
    pub world: Mutex<World>,
    pub faults: FaultRules,
    pub quotas: Mutex<Quotas>,
    /// Requests per (user, is a write).
    pub windows: Mutex<SlidingWindows<(String, bool)>>,
    pub log: RequestLog<LoggedRequest>,
    pub base_url: Mutex<String>,
}

impl Shared {
    pub fn world(&self) -> MutexGuard<'_, World> {
        lock(&self.world)
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    shared: Arc<Shared>,
    server: Serving,
    token: String,
}

/// Who the emulator's own access token belongs to.
pub const DEFAULT_USER: &str = "person@example.com";
/// Every scope the connector may ask for.
const ALL_SCOPES: [&str; 2] = [
    crate::auth::SCOPE_SPREADSHEETS,
    crate::auth::SCOPE_DRIVE_METADATA,
];

impl Emulator {
    /// Start on a free port of 127.0.0.1, with quotas off and one long-lived access token.
    pub async fn start() -> std::io::Result<Emulator> {
        Emulator::start_on(loopback(), Quotas::off()).await
    }

    /// [`Emulator::start`] on a given address and with these quotas (`throughline emulate
    /// sheets` picks both).
    pub async fn start_on(addr: SocketAddr, quotas: Quotas) -> std::io::Result<Emulator> {
        let bound = Bound::bind(addr).await?;
        let addr = bound.addr();
        let token = format!("ya29.emulator-{:032x}", rand::random::<u128>());
        let mut tokens = HashMap::new();
        tokens.insert(
            token.clone(),
            Token {
                principal: DEFAULT_USER.to_owned(),
                scopes: ALL_SCOPES.iter().map(|s| s.to_string()).collect(),
                expires: None,
                revoked: false,
            },
        );
        let shared = Arc::new(Shared {
            world: Mutex::new(World {
                spreadsheets: BTreeMap::new(),
                tokens,
                service_accounts: HashMap::new(),
                clients: HashMap::new(),
                codes: HashMap::new(),
                refresh_tokens: HashMap::new(),
                token_lifetime: Duration::from_secs(3599),
                expire_after: None,
                user: DEFAULT_USER.to_owned(),
                watches: watch::Watches::default(),
            }),
            faults: FaultRules::default(),
            quotas: Mutex::new(quotas),
            windows: Mutex::default(),
            log: RequestLog::default(),
            base_url: Mutex::new(format!("http://{addr}")),
        });
        let server = bound.serve(server::router(Arc::clone(&shared)));
        Ok(Emulator {
            shared,
            server,
            token,
        })
    }

    /// `http://127.0.0.1:PORT`: the root of Sheets (`/v4/...`), Drive (`/drive/v3/...`) and
    /// the token endpoint (`/token`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// The OAuth token endpoint, `<base_url>/token` (service account JWTs and refresh tokens).
    pub fn token_url(&self) -> String {
        format!("{}/token", self.base_url())
    }

    /// The desktop flow's sign-in page (it consents at once and redirects back).
    pub fn auth_url(&self) -> String {
        format!("{}/o/oauth2/auth", self.base_url())
    }

    /// The address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// A long-lived access token of [`DEFAULT_USER`] with every scope.
    pub fn access_token(&self) -> String {
        self.token.clone()
    }

    /// A new spreadsheet with one empty tab, `Sheet1` (1000 × 26), as Google makes them.
    pub fn create_spreadsheet(&self, title: &str) -> String {
        let id = new_spreadsheet_id();
        let s = Spreadsheet::new(&id, title, Timestamp::now());
        self.shared.world().spreadsheets.insert(id.clone(), s);
        id
    }

    /// Only these people (e-mail addresses, service accounts) may open the spreadsheet.
    pub fn share_only_with(&self, spreadsheet: &str, people: &[&str]) {
        if let Some(s) = self.shared.world().spreadsheets.get_mut(spreadsheet) {
            s.shared_with = Some(people.iter().map(|p| p.to_string()).collect());
        }
    }

    /// Register a service account from its JSON key file: only its public key is kept, and
    /// the token endpoint checks the signature of its JWTs with it. Returns its e-mail.
    pub fn add_service_account(&self, key_json: &str) -> Result<String, String> {
        let key =
            ServiceAccountKey::from_json(&Secret::new(key_json)).map_err(|e| e.to_string())?;
        let public = key.public_key_der().map_err(|e| e.to_string())?;
        self.shared
            .world()
            .service_accounts
            .insert(key.client_email.clone(), public);
        Ok(key.client_email)
    }

    /// A desktop OAuth client: (client id, client secret).
    pub fn add_oauth_client(&self) -> (String, String) {
        let id = format!(
            "{:012}-emulator.apps.googleusercontent.com",
            rand::random_range(0..999_999_999_999u64)
        );
        let secret = format!("GOCSPX-{:024x}", rand::random::<u128>());
        self.shared
            .world()
            .clients
            .insert(id.clone(), secret.clone());
        (id, secret)
    }

    /// How long newly issued access tokens live (Google: just under an hour).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.shared.world().token_lifetime = lifetime;
    }

    /// Every access token issued by the token endpoint so far stops working now.
    pub fn expire_tokens(&self) {
        let mut w = self.shared.world();
        let me = self.token.clone();
        for (t, token) in w.tokens.iter_mut() {
            if *t != me {
                token.revoked = true;
            }
        }
    }

    /// After `n` more API requests, every access token issued so far stops working (a token
    /// running out in the middle of a cycle).
    pub fn expire_tokens_after(&self, n: u32) {
        self.shared.world().expire_after = Some(n);
    }

    /// Revoke a refresh token (the person removed the app's access).
    pub fn revoke_refresh_tokens(&self) {
        self.shared.world().refresh_tokens.clear();
    }

    /// Replace the quotas and forget the requests counted so far.
    pub fn set_quotas(&self, quotas: Quotas) {
        *lock(&self.shared.quotas) = quotas;
        lock(&self.shared.windows).clear();
    }

    throughline_connector::emulator_fault_and_log_methods!();

    /// Act on a spreadsheet as a person would, directly on the data (no request is logged).
    /// Every edit moves the Drive version, as an edit in the browser does.
    ///
    /// Drive channels watching the spreadsheet are told of the change (inside a Tokio runtime).
    pub fn person<R>(&self, spreadsheet: &str, f: impl FnOnce(&mut Person<'_>) -> R) -> R {
        let mut w = self.shared.world();
        let before = w.watches.versions(&w.spreadsheets);
        let s = w
            .spreadsheets
            .get_mut(spreadsheet)
            .expect("the spreadsheet exists in the emulator");
        let mut p = Person { s, changed: false };
        let r = f(&mut p);
        if p.changed {
            p.s.touch(Timestamp::now());
        }
        let World {
            watches,
            spreadsheets,
            ..
        } = &mut *w;
        watches.queue_changes(before, spreadsheets);
        let notices = watches.take_outbox();
        drop(w);
        watch::send(notices);
        r
    }

    /// The open Drive channels, as `files.watch` answered them, with `"sent"`: how many
    /// notifications each has sent.
    pub fn channels(&self) -> Vec<Value> {
        let w = self.shared.world();
        let channels = w.watches.channels.values();
        channels
            .map(|c| {
                let mut json = c.json();
                json["address"] = Value::from(c.address.clone());
                json["sent"] = Value::from(c.sent);
                json
            })
            .collect()
    }

    /// Every open channel expires now (as after its lifetime): it sends nothing more.
    pub fn expire_channels(&self) {
        let now = Timestamp::now();
        for c in self.shared.world().watches.channels.values_mut() {
            c.expiration = now;
        }
    }
}

/// A spreadsheet id as Google makes them: 44 characters of letters, digits, `-` and `_`.
fn new_spreadsheet_id() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut id = String::from("1");
    for _ in 0..43 {
        id.push(char::from(CHARS[rand::random_range(0..CHARS.len())]));
    }
    id
}

/// Edits a person makes in the browser, and what they see, for tests.
pub struct Person<'s> {
    s: &'s mut Spreadsheet,
    changed: bool,
}

impl Person<'_> {
    /// The tab titles, in order.
    pub fn tabs(&self) -> Vec<String> {
        self.s.sheets.iter().map(|s| s.title.clone()).collect()
    }

    /// Values of a range as `values.get` with this render option shows them.
    pub fn values(&self, range: &str, render: Render) -> Vec<Vec<Value>> {
        match self.s.resolve(range) {
            Ok(rect) => self.s.read(&rect, render, DateRender::Serial, false),
            Err(_) => Vec::new(),
        }
    }

    /// Type into cells from `range`'s top-left, as the browser takes input (`=` starts a
    /// formula, `TRUE` is a tick, `2026-12-10` a date).
    pub fn type_in(&mut self, range: &str, values: Vec<Vec<Value>>) -> Result<(), String> {
        let (rect, _) = self.s.resolve_for_write(range).map_err(|e| e.message)?;
        self.s
            .write(&rect, false, &values, false, Input::UserEntered, range)
            .map_err(|e| e.message)?;
        self.changed = true;
        Ok(())
    }

    /// Apply `spreadsheets:batchUpdate` requests (insert, sort, move rows...).
    pub fn batch_update(&mut self, requests: Vec<Value>) -> Result<Vec<Value>, String> {
        let mut copy = self.s.clone();
        let replies = requests::batch_update(&mut copy, &requests).map_err(|e| e.message)?;
        *self.s = copy;
        self.changed = true;
        Ok(replies)
    }

    /// Where each row carrying developer metadata `key` = `value` is: (tab, 0-based row).
    pub fn rows_with_metadata(&self, key: &str, value: &str) -> Vec<(String, u32)> {
        let mut out = Vec::new();
        for m in self
            .s
            .meta
            .values()
            .filter(|m| m.key == key && m.value == value)
        {
            if let Some((sheet, row)) = self.s.meta_row(m.id) {
                out.push((self.s.sheets[sheet].title.clone(), row as u32));
            }
        }
        out.sort();
        out
    }

    /// Every developer metadata entry: (id, key, value).
    pub fn metadata(&self) -> Vec<(i32, String, String)> {
        self.s
            .meta
            .values()
            .map(|m| (m.id, m.key.clone(), m.value.clone()))
            .collect()
    }

    /// The sheet id of a tab.
    pub fn sheet_id(&self, title: &str) -> Option<i32> {
        self.s
            .sheets
            .iter()
            .find(|s| s.title == title)
            .map(|s| s.id)
    }

    /// The whole spreadsheet as `spreadsheets.get?includeGridData=true` shows it.
    pub fn snapshot(&self) -> Value {
        routes::spreadsheet_json(self.s, None, true, &Mask::default())
    }

    /// Drive's version of the file.
    pub fn version(&self) -> u64 {
        self.s.version
    }
}
