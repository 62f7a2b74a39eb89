//! The one place the root crate names the tools. Each connector crate describes its kind in a
//! [`Tool`] (`target::TOOL`: the `[[target]]` keys and credentials it takes, its own checks,
//! how to open it, its mapping, its sign-in); this table adds what only the root crate can:
//! the local emulator `throughline emulate` and `throughline demo` start, and the webhooks the
//! daemon accepts. Everything else asks a [`TargetKind`]: validation (which keys a target
//! takes), the engine (opening connectors), `auth`, `emulate`, `sync` and the daemon.
//!
//! Adding a tool: its crate (see `connectors/README.md`), then one line in `KINDS`.
//! `registry_is_the_only_place_naming_a_kind` (below) keeps it that way: it fails, listing
//! each line, when another file of `src/` names a kind.

use std::fmt;
use std::hash::{Hash, Hasher};

use throughline_connector::settings::{KindSpec, Tool};

pub mod emulators;
pub mod webhooks;

use emulators::Launcher;
use webhooks::Webhook;

/// A kind of target: its connector crate's [`Tool`], and the root crate's extras.
pub struct Kind {
    /// The connector crate's description of its tool.
    pub tool: &'static Tool,
    /// `throughline emulate <name>`, for the hosted tools.
    pub emulator: Option<Launcher>,
    /// What the daemon accepts at `/hooks/<path>/<target>`, for tools that call back.
    pub webhook: Option<Webhook>,
}

/// Every kind, in the order messages list them.
static KINDS: [Kind; 4] = [
    Kind {
        tool: &throughline_trello::target::TOOL,
        emulator: Some(emulators::TRELLO),
        webhook: Some(webhooks::TRELLO),
    },
    Kind {
        tool: &throughline_asana::target::TOOL,
        emulator: Some(emulators::ASANA),
        webhook: Some(webhooks::ASANA),
    },
    Kind {
        tool: &throughline_sheets::target::TOOL,
        emulator: Some(emulators::SHEETS),
        webhook: Some(webhooks::DRIVE),
    },
    Kind {
        tool: &throughline_excel::target::TOOL,
        emulator: None,
        webhook: None,
    },
];

/// What `kind = "..."` may say, for the messages that list it.
pub(crate) const KIND_WORDS: &str = "one of \"trello\", \"asana\", \"google-sheets\", \"excel\"";

/// An example of `kind = ...`.
pub(crate) const KIND_EXAMPLE: &str = "\"trello\"";

/// The kind of a `[[target]]`: a handle on its row of the registry's `KINDS`.
#[derive(Clone, Copy)]
pub struct TargetKind(&'static Kind);

impl TargetKind {
    /// The kind `kind = "<text>"` names.
    pub fn parse(text: &str) -> Option<TargetKind> {
        Self::all().find(|k| k.as_str() == text)
    }

    /// Every kind, in the order messages list them.
    pub fn all() -> impl Iterator<Item = TargetKind> {
        KINDS.iter().map(TargetKind)
    }

    /// What users write: `trello`, `google-sheets`.
    pub fn as_str(self) -> &'static str {
        self.0.tool.spec.kind
    }

    /// The `[[target]]` keys and credentials the kind takes.
    pub fn spec(self) -> &'static KindSpec {
        &self.0.tool.spec
    }

    /// How to open, check and sign in to the kind's tool.
    pub fn tool(self) -> &'static Tool {
        self.0.tool
    }

    /// `throughline emulate <name>`, for kinds that have an emulator.
    pub fn emulator(self) -> Option<&'static Launcher> {
        self.0.emulator.as_ref()
    }

    /// What the daemon accepts at `/hooks/<path>/<target>`, for kinds that call back.
    pub fn webhook(self) -> Option<&'static Webhook> {
        self.0.webhook.as_ref()
    }

    /// The tool signs its webhook calls with the app's secret (Trello).
    pub fn hooks_signed_with_app_secret(self) -> bool {
        self.webhook().is_some_and(Webhook::signed_with_app_secret)
    }

    /// The tool's webhook secret comes in a handshake while the daemon creates it (Asana).
    pub fn hooks_by_handshake(self) -> bool {
        self.webhook().is_some_and(Webhook::by_handshake)
    }

    /// The daemon opens expiring notification channels for the kind (Google Sheets, through
    /// Drive).
    pub fn hooks_by_channel(self) -> bool {
        self.webhook().is_some_and(Webhook::by_channel)
    }

    /// The kind a mistyped `kind` most likely meant: a sheet is Google's, a workbook Excel's,
    /// anything else the nearest name.
    pub fn guess(text: &str) -> Option<&'static str> {
        let names: Vec<&'static str> = Self::all().map(TargetKind::as_str).collect();
        match text.to_lowercase().as_str() {
            k if k.contains("sheet") => Some("google-sheets"),
            "xlsx" | "xls" | "spreadsheet" => Some("excel"),
            k => throughline_connector::mapping::suggest(k, names),
        }
    }

    /// `"trello", "asana", "google-sheets" or "excel"`.
    pub fn names_in_words() -> String {
        let quoted: Vec<String> = Self::all().map(|k| format!("\"{}\"", k.as_str())).collect();
        match quoted.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

impl PartialEq for TargetKind {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for TargetKind {}

impl Hash for TargetKind {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TargetKind({})", self.as_str())
    }
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests;
