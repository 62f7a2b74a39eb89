//! What a connector reads from its `[[target]]` table, and how it says what is wrong there.
//!
//! Each connector crate describes its kind once, in a [`KindSpec`]: the kind name users write
//! (`kind = "trello"`), its location keys with an example for each, its other settings and the
//! credentials it takes. The root crate checks every target table against that description
//! (unknown keys, misspellings, missing location keys, credentials the kind does not take) and
//! reports each problem at its `file:line:col`; the connector's own typed checks
//! ([`KindSpec::check`]) come back as [`KeyError`]s naming the dotted key, which the root crate
//! places in the file the same way it places mapping problems.
//!
//! When the engine opens a target, the connector gets a [`TargetSettings`]: the table's
//! settings, its credential references (`env:NAME` / `file:PATH`, read only now), the
//! deployment's folder, the process time zone and the people map. Whatever still fails then is a
//! [`SettingsError`] that names the target and where it was written.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use jiff::tz::TimeZone;

use crate::Connector;
use crate::http::Secret;
pub use crate::mapping::KeyError;

/// A place in a file a person edits: `throughline.toml:12:5`, and the dotted key there
/// (`people.dana@example.com`) when there is one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Span {
    /// The file, as the user would find it.
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub col: usize,
    /// The dotted key the place is about, empty for a whole table.
    pub key: String,
}

impl Span {
    /// A place without a key.
    pub fn new(file: impl Into<String>, line: usize, col: usize) -> Span {
        Span {
            file: file.into(),
            line,
            col,
            key: String::new(),
        }
    }

    /// `file:line:col`, as the root crate writes a target's origin; the file may itself hold
    /// colons, so the two numbers are taken from the right. Anything else is kept whole as the
    /// file, at 1:1, so that a message still says where.
    pub fn parse(origin: &str) -> Span {
        let mut parts = origin.rsplitn(3, ':');
        let (col, line, file) = (parts.next(), parts.next(), parts.next());
        match (
            file,
            line.and_then(|l| l.parse().ok()),
            col.and_then(|c| c.parse().ok()),
        ) {
            (Some(file), Some(line), Some(col)) => Span::new(file, line, col),
            _ => Span::new(origin, 1, 1),
        }
    }

    /// The same place, about `key` in it.
    pub fn with_key(mut self, key: impl Into<String>) -> Span {
        self.key = key.into();
        self
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// A target whose settings cannot be used, said where it was written and what to do:
/// ``throughline.toml:12:1: target `studio`: needs `board = "<board id>"` ``.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: target `{target}`: {message}")]
pub struct SettingsError {
    /// Where the `[[target]]` table starts.
    pub at: Span,
    /// The target id.
    pub target: String,
    /// What is wrong, and what to do.
    pub message: String,
}

/// A secret is never written in a file: only a reference to where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// The name of the environment variable that holds it (`env:NAME`).
    Env(String),
    /// Resolved against the folder of the file that named it.
    File(PathBuf),
}

/// Why a secret reference could not be read; names the reference, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SecretError(pub String);

impl SecretRef {
    /// Read the secret now. The error names the reference, never the value.
    pub fn resolve(&self) -> Result<String, SecretError> {
        match self {
            SecretRef::Env(name) => match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
                _ => Err(SecretError(format!(
                    "the environment variable {name} is not set; set it (e.g. in the service's environment file) or use `file:PATH`"
                ))),
            },
            SecretRef::File(path) => match std::fs::read_to_string(path) {
                Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
                Ok(_) => Err(SecretError(format!(
                    "the secret file {} is empty",
                    path.display()
                ))),
                Err(e) => Err(SecretError(format!(
                    "cannot read the secret file {}: {e}",
                    path.display()
                ))),
            },
        }
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(name) => write!(f, "env:{name}"),
            SecretRef::File(path) => write!(f, "file:{}", path.display()),
        }
    }
}

/// A location key of a kind (`board`), and how to write it (`the board's id, like board =
/// "5f1a0c..."`).
#[derive(Debug, Clone, Copy)]
pub struct LocationKey {
    /// The key, like `board`.
    pub key: &'static str,
    /// How to write it: `the board's id, like board = "5f1a0c..."`.
    pub hint: &'static str,
}

/// How a kind's accounts are named, for the `people` map and its messages.
#[derive(Debug, Clone, Copy)]
pub struct Accounts {
    /// The tool knows people only through the `people` maps (Trello usernames), so an
    /// `unmapped = "<account>"` nobody is mapped to names itself.
    pub by_map_only: bool,
    /// What an account is called in messages: "Trello username", "Asana e-mail".
    pub word: &'static str,
}

/// Everything the root crate needs to know about a kind's `[[target]]` table.
#[derive(Debug, Clone, Copy)]
pub struct KindSpec {
    /// What users write: `kind = "trello"`.
    pub kind: &'static str,
    /// The tool's name in messages: "Trello".
    pub tool: &'static str,
    /// The keys that say where the target is; each must be non-empty text.
    pub location: &'static [LocationKey],
    /// The other settings the kind reads (`people`, `unmapped`, `plan`, ...).
    pub options: &'static [&'static str],
    /// The names the kind takes in `credentials`.
    pub credentials: &'static [&'static str],
    /// How the tool's accounts are named.
    pub accounts: Accounts,
    /// The kind's own checks of its settings (values the generic checks cannot judge), by
    /// dotted key; run by `validate` before anything is opened.
    pub check: fn(&toml::Table) -> Vec<KeyError>,
}

impl KindSpec {
    /// "an excel target", "a trello target".
    pub fn article(&self) -> &'static str {
        match self.kind.chars().next() {
            Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
            _ => "a",
        }
    }

    /// Whether `key` is one the kind reads (a location key or an option).
    pub fn reads(&self, key: &str) -> bool {
        self.location.iter().any(|l| l.key == key) || self.options.contains(&key)
    }
}

/// A sign-in in progress: it shows the address to open, waits for the browser and stores the
/// token; boxed so that every kind's flow fits one table.
pub type SignInFuture<'a> =
    Pin<Box<dyn Future<Output = Result<(), Box<dyn std::error::Error + Send + Sync>>> + 'a>>;

/// A kind's sign-in: the target's app and token file, and how to show the address to open.
pub type SignInFn = for<'a> fn(&'a SignIn, &'a dyn Fn(&str)) -> SignInFuture<'a>;

/// Opens a kind's connector for one target (see [`Tool::connect`]).
pub type ConnectFn = fn(&TargetSettings, &toml::Table) -> Result<Box<dyn Connector>, SettingsError>;

/// `throughline auth <service>`: the word users type, and the flow.
#[derive(Clone, Copy)]
pub struct SignInFlow {
    /// `google`, `asana`.
    pub service: &'static str,
    /// The flow itself.
    pub run: SignInFn,
}

/// Everything a connector crate tells the root crate about its tool: the registry holds one of
/// these per kind.
#[derive(Clone, Copy)]
pub struct Tool {
    /// The `[[target]]` keys and credentials the kind takes.
    pub spec: KindSpec,
    /// The connector for one target, its mapping table being the connector's part of the
    /// target's mapping file (the engine keeps `[task]` and `[drift]`).
    pub connect: ConnectFn,
    /// Read the connector's part of a mapping; the first problem, by dotted key.
    pub check_mapping: fn(&toml::Table) -> Result<(), KeyError>,
    /// People the mapping itself maps to accounts (Trello's `[people]`), merged under the
    /// target's `people`.
    pub mapping_people: fn(&toml::Table) -> BTreeMap<String, String>,
    /// The browser sign-in, for kinds that have one.
    pub sign_in: Option<SignInFlow>,
    /// The mapping a target uses when it names none: its file name in messages, and its text
    /// (the engine reads `[task]` and `[drift]` from it too). `None`: the connector's defaults.
    pub default_mapping: Option<(&'static str, &'static str)>,
    /// The setting that names a file the target keeps on this machine (Excel's `path`), and
    /// what to call it: `sync` prints where it is.
    pub local_file: Option<(&'static str, &'static str)>,
    /// For tools whose webhooks the daemon creates itself (Asana): the target's webhooks, as
    /// the tool lists, creates and deletes them.
    pub webhooks: Option<WebhooksFn>,
    /// Where a person opens a task in the tool (the daemon's handoff notices): from the
    /// target's own keys and the task's remote id; `None` when the tool has no such address.
    pub task_url: Option<TaskUrlFn>,
}

/// See [`Tool::task_url`]: (the target's keys as written, the task's remote id) → an address.
pub type TaskUrlFn = fn(&toml::Table, &str) -> Option<String>;

/// Opens a target's webhooks (see [`Tool::webhooks`]).
pub type WebhooksFn = fn(&TargetSettings) -> Result<Box<dyn WebhookHost>, SettingsError>;

/// A webhook as the tool lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteWebhook {
    /// The tool's id of the webhook.
    pub id: String,
    /// Where the tool posts.
    pub callback: String,
    /// Whether the tool still delivers to it.
    pub active: bool,
}

/// What creating a webhook answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedWebhook {
    /// The tool's id of the webhook.
    pub id: String,
    /// The secret of the handshake, when the tool's answer repeats it.
    pub secret: Option<String>,
}

/// One event of a webhook delivery, as far as its body tells: who made it and which of the
/// tool's objects it concerns. The daemon tells the echo of its own writes by these.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookEvent {
    /// The tool's id of the account that made it (`None`: the tool, or not said).
    pub actor: Option<String>,
    /// The objects it is about: a card, or a task and the task it belongs to.
    pub objects: Vec<String>,
}

/// One target's webhooks in its tool. The daemon decides when to make one and which secret
/// to trust; the tool only lists, creates and deletes them.
#[async_trait::async_trait]
pub trait WebhookHost: Send + Sync {
    /// What the webhooks are on, for messages: "project 1204...".
    fn watched(&self) -> String;
    /// The webhooks the tool has on what this target watches ([`WebhookHost::watched`]).
    async fn list(&self) -> Result<Vec<RemoteWebhook>, crate::ConnectorError>;
    /// Create one posting to `callback`; the tool may call `callback` (a handshake) before it
    /// answers.
    async fn create(&self, callback: &str) -> Result<CreatedWebhook, crate::ConnectorError>;
    /// Delete the webhook with this id.
    async fn delete(&self, id: &str) -> Result<(), crate::ConnectorError>;
    /// The tool's id of the account the target acts as (a Trello member, an Asana user): the
    /// actor of every event the daemon's own writes cause.
    async fn account(&self) -> Result<String, crate::ConnectorError>;
}

impl fmt::Debug for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tool")
            .field("kind", &self.spec.kind)
            .finish()
    }
}

/// For [`Tool::mapping_people`] of kinds whose mapping names nobody.
pub fn no_people(_: &toml::Table) -> BTreeMap<String, String> {
    BTreeMap::new()
}

/// For [`KindSpec::check`] of kinds with nothing to check beyond the generic rules.
pub fn no_checks(_: &toml::Table) -> Vec<KeyError> {
    Vec::new()
}

/// One target, as its connector is opened with it.
#[derive(Debug, Clone)]
pub struct TargetSettings {
    /// The target id from the config.
    pub id: String,
    /// Where the `[[target]]` table starts.
    pub at: Span,
    /// The kind's own keys of the table (location keys and options), as written.
    pub settings: toml::Table,
    /// Credential references by name, read only when asked for.
    pub credentials: BTreeMap<String, SecretRef>,
    /// The API root, when the target overrides it (tests, emulators).
    pub base_url: Option<String>,
    /// The folder file paths in the settings are relative to.
    pub root: PathBuf,
    /// The time zone the target's dates are written in (its process's).
    pub timezone: TimeZone,
    /// Hub person → account in the tool, as the engine resolved it.
    pub people: BTreeMap<String, String>,
}

impl TargetSettings {
    /// An error about this target.
    pub fn error(&self, message: impl Into<String>) -> SettingsError {
        SettingsError {
            at: self.at.clone(),
            target: self.id.clone(),
            message: message.into(),
        }
    }

    /// A text setting, if written.
    pub fn text(&self, key: &str) -> Option<String> {
        self.settings.get(key)?.as_str().map(str::to_string)
    }

    /// A text setting that must be there: `hint` says how to write it.
    pub fn require(&self, key: &str, hint: &str) -> Result<String, SettingsError> {
        self.text(key).ok_or_else(|| self.error(hint.to_string()))
    }

    /// A file setting (`path = "plan.xlsx"`), relative to the deployment's folder.
    pub fn path(&self, key: &str) -> Option<PathBuf> {
        Some(self.root.join(self.settings.get(key)?.as_str()?))
    }

    /// Whether the target names credential `key`.
    pub fn has_credential(&self, key: &str) -> bool {
        self.credentials.contains_key(key)
    }

    /// A credential named in the target's `credentials`, read now from the environment or a
    /// file.
    pub fn secret(&self, key: &str) -> Result<Secret, SettingsError> {
        secret(&self.credentials, key).map_err(|m| self.error(m))
    }

    /// Where `throughline auth` stored the target's sign-in: `credentials = { oauth =
    /// "file:PATH" }`.
    pub fn token_file(&self) -> Result<PathBuf, SettingsError> {
        token_file(&self.credentials).map_err(|m| self.error(m))
    }

    /// The API root: the target's `base_url` without a trailing slash, or `default`.
    pub fn base_url_or(&self, default: &str) -> String {
        self.base_url
            .as_deref()
            .map_or(default, |u| u.trim_end_matches('/'))
            .to_string()
    }

    /// The kind's typed settings, read from the table with `T`'s serde rules.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, SettingsError> {
        parse_table(&self.settings).map_err(|e| self.error(e.to_string()))
    }
}

/// `T` read from a target's settings table; a wrong value comes back as a [`KeyError`] naming
/// its dotted key. The table is read through its TOML text, so that serde's error has a place
/// to point at: the key on that line, under the `[section]` above it.
pub fn parse_table<T: serde::de::DeserializeOwned>(table: &toml::Table) -> Result<T, KeyError> {
    let text = toml::to_string(table).map_err(|e| KeyError::new("", e.to_string()))?;
    toml::from_str(&text).map_err(|e: toml::de::Error| {
        let key = e.span().map(|s| key_at(&text, s.start)).unwrap_or_default();
        KeyError::new(&key, e.message().trim())
    })
}

/// The dotted key whose line holds byte `at` of a TOML text written by `toml::to_string`.
fn key_at(text: &str, at: usize) -> String {
    let mut section = String::new();
    let mut key = String::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(header) = trimmed.strip_prefix('[') {
            section = header.trim_matches(['[', ']']).to_string();
            key.clear();
        } else if let Some((k, _)) = trimmed.split_once('=') {
            key = k.trim().trim_matches('"').to_string();
        }
        start += line.len();
        if at < start {
            break;
        }
    }
    match (section.is_empty(), key.is_empty()) {
        (true, _) => key,
        (false, true) => section,
        (false, false) => format!("{section}.{key}"),
    }
}

/// A credential read now: "needs `credentials = { key = "env:NAME" }`" when it is not named.
pub fn secret(credentials: &BTreeMap<String, SecretRef>, key: &str) -> Result<Secret, String> {
    let reference = credentials
        .get(key)
        .ok_or_else(|| format!("needs `credentials = {{ {key} = \"env:NAME\" }}`"))?;
    let value = reference
        .resolve()
        .map_err(|e| format!("credential `{key}` ({reference}): {e}"))?;
    Ok(Secret::new(value))
}

/// The file `throughline auth` writes, named by `credentials = { oauth = "file:PATH" }`.
pub fn token_file(credentials: &BTreeMap<String, SecretRef>) -> Result<PathBuf, String> {
    match credentials.get("oauth") {
        Some(SecretRef::File(path)) => Ok(path.clone()),
        _ => Err("`oauth` must name the file `throughline auth` writes, like oauth = \"file:asana-token.json\"".into()),
    }
}

/// What a sign-in flow (`throughline auth <kind>`) needs: the target's OAuth app, where to
/// store the token, and where the browser comes back to.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// The OAuth app's id (`client_id` in the target).
    pub client_id: String,
    /// The OAuth app's secret (`client_secret` in the credentials).
    pub client_secret: Secret,
    /// Where the token is stored (`oauth = "file:..."`), readable by its owner only.
    pub token_file: PathBuf,
    /// The API root the target uses (its `base_url`), when it overrides the tool's.
    pub base_url: Option<String>,
    /// Where the browser is sent back to.
    pub listen: std::net::SocketAddr,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_origins_from_the_right() {
        let s = Span::parse("C:/deploy/throughline.toml:12:5");
        assert_eq!(
            (s.file.as_str(), s.line, s.col),
            ("C:/deploy/throughline.toml", 12, 5)
        );
        assert_eq!(s.to_string(), "C:/deploy/throughline.toml:12:5");
        assert_eq!(Span::parse("odd").to_string(), "odd:1:1");
    }

    #[test]
    fn settings_errors_name_the_place_and_the_target() {
        let e = SettingsError {
            at: Span::new("throughline.toml", 12, 1),
            target: "studio".into(),
            message: "needs `board = \"<board id>\"`".into(),
        };
        assert_eq!(
            e.to_string(),
            "throughline.toml:12:1: target `studio`: needs `board = \"<board id>\"`"
        );
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Plan {
        plan: Option<String>,
    }

    #[test]
    fn typed_settings_name_the_wrong_key() {
        let table: toml::Table = "plan = 3".parse().unwrap();
        let err = parse_table::<Plan>(&table).unwrap_err();
        assert_eq!(err.key, "plan", "{err:?}");
        let table: toml::Table = "[people]\nx = 1\n".parse().unwrap();
        assert_eq!(key_at(&toml::to_string(&table).unwrap(), 12), "people.x");
        let table: toml::Table = "plan = \"paid\"".parse().unwrap();
        assert_eq!(
            parse_table::<Plan>(&table).unwrap().plan.as_deref(),
            Some("paid")
        );
    }

    #[test]
    fn missing_credentials_say_how_to_name_them() {
        let none = BTreeMap::new();
        assert_eq!(
            secret(&none, "token").unwrap_err(),
            "needs `credentials = { token = \"env:NAME\" }`"
        );
        let mut c = BTreeMap::new();
        c.insert("oauth".into(), SecretRef::Env("X".into()));
        assert!(
            token_file(&c)
                .unwrap_err()
                .contains("file:asana-token.json")
        );
    }
}
