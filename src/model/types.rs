//! The resolved model: what is left once every file parsed and validated.
//!
//! Nothing here carries spans; the raw, span-carrying forms live in `raw.rs` and exist only
//! until validation has passed. Every id is the user's own word from the files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use throughline_connector::identity::Identity;

pub use super::service::{
    DEFAULT_LISTEN, DaemonSettings, ReminderSettings, SmtpSettings, SmtpTls, parse_listen,
};

/// One deployment: `throughline.toml` and every playbook and item file it names.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The `throughline.toml` that was loaded.
    pub config_path: PathBuf,
    /// The folder of `throughline.toml`; relative paths in it resolve against this.
    pub root: PathBuf,
    /// Where the hub keeps its state: a SQLite file path (resolved) or a URL.
    pub state: StateLocation,
    pub sync: SyncSettings,
    pub targets: Vec<Target>,
    /// Processes (one per playbook file), in the order the files were found.
    pub processes: Vec<Process>,
    /// Items as written, in file order; cadences are expanded by the scheduler.
    pub items: Vec<Item>,
    pub cadences: Vec<Cadence>,
    /// Success metrics (`[[metric]]`) of the playbooks and item files.
    pub metrics: Vec<super::Metric>,
}

impl Deployment {
    pub fn process(&self, id: &str) -> Option<&Process> {
        self.processes.iter().find(|p| p.id == id)
    }

    pub fn target(&self, id: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.id == id)
    }

    /// A person's name, as a role lists them (`"Dana Levi <dana@example.com>"`).
    pub fn name_of(&self, address: &str) -> Option<&str> {
        self.processes
            .iter()
            .flat_map(|p| &p.roles)
            .find_map(|r| r.names.get(address))
            .map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateLocation {
    Sqlite(PathBuf),
    Url(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyncSettings {
    /// Daemon cycle period (`every = "5m"`), if set.
    pub every: Option<std::time::Duration>,
    /// Daemon cron expression, if set instead of `every`.
    pub cron: Option<String>,
    pub conflict: ConflictPolicy,
    /// A plan that would archive more than this share of a target's linked tasks stops.
    pub max_archive_share: f64,
    /// A plan that would create more new tasks than this share of a target's linked tasks
    /// stops (`--allow-mass-create` for one run). Not checked while a target has no links,
    /// so a first push works. Default 1.0: a plan may at most double a target; a cadence that
    /// suddenly expands further (`every` a day instead of a week) stops.
    pub max_create_share: f64,
    /// A plan that would create or re-create more tasks than this in one target at once stops
    /// (`--allow-mass-create`). Default 1,000: six times the larger example (163 tasks),
    /// a few minutes of Asana's free rate limit, and far below a one-digit typo in a cadence's
    /// `until` (131,624 tasks).
    pub max_creates: usize,
    /// A plan that would re-create more than this share of a target's linked tasks (they are
    /// gone from the tool) stops (`--allow-recreate`). Default 0.25, as for archives: a
    /// person deletes a card or two; a quarter gone at once is a wrong board, a filter or a
    /// mass delete.
    pub max_recreate_share: f64,
    /// `[daemon]`: how `throughline daemon` runs. Kept beside the cycle settings so code that
    /// builds a [`Deployment`] by hand needs no change.
    pub daemon: DaemonSettings,
    /// `[reminders]`, when the table is there.
    pub reminders: Option<ReminderSettings>,
    /// `[review]`: the weekly review, when the table is there.
    pub review: Option<super::ReviewSettings>,
    /// `[dashboard]`: who may sign in to the dashboard; nobody when the table is not there.
    pub dashboard: super::DashboardSettings,
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            every: Some(std::time::Duration::from_secs(300)),
            cron: None,
            conflict: ConflictPolicy::Newest,
            max_archive_share: 0.25,
            max_create_share: 1.0,
            max_creates: 1000,
            max_recreate_share: 0.25,
            daemon: DaemonSettings::default(),
            reminders: None,
            review: None,
            dashboard: super::DashboardSettings::default(),
        }
    }
}

/// What wins when two tools report different status changes for one task in one cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConflictPolicy {
    /// The change with the newest modification time wins (target order breaks ties).
    Newest,
    /// The hub keeps what it had; both tool changes are recorded and reverted.
    Hub,
    /// This target's change wins.
    Target(String),
}

/// The kind of a `[[target]]`: a row of the registry of kinds.
pub use crate::engine::registry::TargetKind;

/// A tool a team works in, as configured by one `[[target]]` table.
#[derive(Debug, Clone)]
pub struct Target {
    pub id: String,
    pub kind: TargetKind,
    /// The mapping file, resolved against the config's folder; `None` = the kind's default.
    pub mapping: Option<PathBuf>,
    /// Which tasks this team sees.
    pub only: TaskFilter,
    /// Secret references (`env:NAME` / `file:PATH`), by the kind's credential key.
    pub credentials: BTreeMap<String, SecretRef>,
    pub base_url: Option<String>,
    /// Every other key of the table (the kind's location keys such as `board`, `path`,
    /// `project`, `spreadsheet`, and kind-specific settings). Paths are NOT resolved here;
    /// use [`Deployment::root`].
    pub settings: toml::Table,
    /// Where the table was written, for error messages: `file:line:col`.
    pub origin: String,
}

/// `only = { roles = [...], stages = [...], processes = [...], items = [...] }`; empty = all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    pub roles: BTreeSet<String>,
    pub stages: BTreeSet<String>,
    pub processes: BTreeSet<String>,
    pub items: BTreeSet<String>,
}

impl TaskFilter {
    pub fn is_all(&self) -> bool {
        self.roles.is_empty()
            && self.stages.is_empty()
            && self.processes.is_empty()
            && self.items.is_empty()
    }
}

/// A secret is never written in a file: only a reference to where it lives (`env:NAME`,
/// `file:PATH`); connectors read it when they open.
pub use throughline_connector::settings::{SecretError, SecretRef};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    He,
}

impl Lang {
    pub fn is_rtl(self) -> bool {
        matches!(self, Lang::He)
    }
}

/// A playbook: one process with its roles and stages.
#[derive(Debug, Clone)]
pub struct Process {
    pub id: String,
    pub name: String,
    pub timezone_name: String,
    pub timezone: TimeZone,
    /// Business days, in the order written. Default Mon–Fri.
    pub workweek: Vec<Weekday>,
    pub holidays: BTreeSet<Date>,
    /// `lang = "he"` in `[process]`: text direction and reminder language.
    pub lang: Lang,
    pub roles: Vec<Role>,
    /// Stages in file order; `after` is already resolved (omitted = the stage before it).
    pub stages: Vec<Stage>,
    /// The playbook file this came from.
    pub file: PathBuf,
}

impl Process {
    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id == id)
    }

    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }
}

#[derive(Debug, Clone)]
pub struct Role {
    pub id: String,
    pub name: String,
    /// People (e-mail addresses), first = default owner.
    pub people: Vec<String>,
    /// Takes over a task while its owner is away.
    pub backup: Option<String>,
    pub away: Vec<Away>,
    /// At most this many overlapping tasks per person before `schedule` warns.
    pub max_parallel: Option<u32>,
    /// Names of its people written as `"Dana Levi <dana@example.com>"`: address → name.
    pub names: BTreeMap<String, String>,
}

/// `{ who, from, to }`, both days inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Away {
    pub who: String,
    pub from: Date,
    pub to: Date,
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub id: String,
    pub name: String,
    /// Role id.
    pub owner: String,
    /// Business days of work; 0 = a milestone.
    pub days: u32,
    /// Stage ids this stage waits for.
    pub after: Vec<String>,
    /// Business days after the go-live date this stage starts: the stage is scheduled
    /// forward from the go-live date instead of backward towards it (docs/dates.md).
    pub after_golive: Option<u32>,
    pub checklist: Vec<ChecklistEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistEntry {
    /// The entry's `id`, or a slug of its text.
    pub key: String,
    pub text: String,
    /// Role responsible, when not the stage's owner.
    pub role: Option<String>,
}

/// A work item (a post, a newsletter, a campaign) that runs through one process.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    pub process: String,
    pub title: String,
    pub golive: Date,
    /// Per-item owner overrides: role id → person.
    pub people: BTreeMap<String, String>,
    /// Stage ids this item skips.
    pub skip: Vec<String>,
    pub channel: Option<String>,
    pub notes: Option<String>,
    /// The cadence this item was expanded from, if any.
    pub cadence: Option<String>,
}

/// Recurring items, one per publishing day in `[from, until]` (both inclusive).
#[derive(Debug, Clone, PartialEq)]
pub struct Cadence {
    pub id: String,
    pub process: String,
    /// May contain `{date}` (YYYY-MM-DD).
    pub title: String,
    pub on: Vec<Weekday>,
    pub from: Date,
    pub until: Date,
    pub people: BTreeMap<String, String>,
    pub skip: Vec<String>,
    pub channel: Option<String>,
    pub notes: Option<String>,
}

/// `item/stage`.
pub fn task_id(item: &str, stage: &str) -> String {
    Identity::task(item, stage).to_string()
}

/// `item/stage/key`.
pub fn entry_id(item: &str, stage: &str, key: &str) -> String {
    Identity::task(item, stage).with_key(key).to_string()
}

/// `cadence@YYYY-MM-DD`.
pub fn cadence_item_id(cadence: &str, date: Date) -> String {
    format!("{cadence}@{date}")
}

/// A stable, readable key from free text: lower-case letters and digits of any script, runs of
/// anything else become one `-`. Hebrew stays Hebrew. Never empty.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for ch in text.trim().chars() {
        if ch.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(ch.to_lowercase());
        } else {
            dash = true;
        }
    }
    if out.is_empty() {
        "entry".to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_keeps_words_of_any_script() {
        assert_eq!(
            slug("Record where the idea came from"),
            "record-where-the-idea-came-from"
        );
        assert_eq!(slug("  Brief: approved!  "), "brief-approved");
        assert_eq!(slug("אישור הבריף"), "אישור-הבריף");
        assert_eq!(slug("!!!"), "entry");
    }
}
