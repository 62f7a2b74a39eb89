//! The hosted tools' local emulators, as `throughline emulate <tool>` and `throughline demo`
//! start them: seeded with the people a deployment names, with the real service's rate limits,
//! and the `[[target]]` block (plus the credentials) that points a deployment at each.

use std::fmt::Write as _;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use throughline_connector::DesiredTask;

/// One person to seed: what the deployment calls them (the key of a `people` map), their name
/// and e-mail address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The person as the deployment names them: the key of a `people` map.
    pub key: String,
    /// Their name, as the tool shows it.
    pub name: String,
    /// Their e-mail address.
    pub email: String,
}

/// A credential of a target: its key in `credentials`, the environment variable `emulate`
/// names for it, and its value.
pub struct Credential {
    /// The name in `credentials`.
    pub key: &'static str,
    /// The environment variable `emulate` suggests for it.
    pub env: &'static str,
    /// The emulator's value for it.
    pub value: String,
}

/// A `[[target]]` block pointing at an emulator, the same form for every tool.
pub struct TargetBlock {
    /// The target id.
    pub id: &'static str,
    /// The kind, as `kind = ...` writes it.
    pub kind: &'static str,
    /// The kind's location keys and values (`board`, `workspace` and `project`, ...), and
    /// other settings of the kind (Asana's `plan`).
    pub settings: Vec<(&'static str, String)>,
    /// The emulator's address.
    pub base_url: String,
    /// Each credential the target needs.
    pub credentials: Vec<Credential>,
    /// Person (as the deployment names them) → account, where the tool cannot match by e-mail.
    pub people: Vec<(String, String)>,
}

impl TargetBlock {
    /// The block, each credential written as `reference` makes it (`env:NAME`, `file:PATH`).
    pub fn render(&self, reference: impl Fn(&Credential) -> String) -> String {
        let mut out = format!(
            "[[target]]\nid = {}\nkind = {}\n",
            quoted(self.id),
            quoted(self.kind)
        );
        for (key, value) in &self.settings {
            out.push_str(&format!("{key} = {}\n", quoted(value)));
        }
        out.push_str(&format!("base_url = {}\n", quoted(&self.base_url)));
        let credentials: Vec<String> = self
            .credentials
            .iter()
            .map(|c| format!("{} = {}", c.key, quoted(&reference(c))))
            .collect();
        out.push_str(&format!("credentials = {{ {} }}\n", credentials.join(", ")));
        if !self.people.is_empty() {
            let people: Vec<String> = self
                .people
                .iter()
                .map(|(person, account)| format!("{} = {}", quoted(person), quoted(account)))
                .collect();
            out.push_str(&format!("people = {{ {} }}\n", people.join(", ")));
        }
        out
    }

    /// `export NAME=value ...` for the credentials, as `env:NAME` references them.
    pub fn exports(&self) -> String {
        let pairs: Vec<String> = self
            .credentials
            .iter()
            .map(|c| format!("{}={}", c.env, c.value))
            .collect();
        format!("export {}", pairs.join(" "))
    }
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// A running emulator; dropping it stops it.
pub enum Emulator {
    Trello(throughline_trello::emulator::Emulator),
    Asana(throughline_asana::emulator::Emulator),
    Sheets(throughline_sheets::emulator::Emulator),
}

/// An emulator, seeded, and the target block that points at it.
pub struct Running {
    /// The emulator itself.
    pub emulator: Emulator,
    /// The `[[target]]` block that points at it.
    pub block: TargetBlock,
    /// One line on what was seeded.
    pub summary: String,
    /// What the emulator enforces, as the real service does.
    pub limits: &'static str,
    /// How to sign in against it (`throughline auth <service>`), for tools that have a sign-in.
    pub sign_in: Option<String>,
}

impl Running {
    /// How a person ticks checklist entry `index` of `task` in this emulator: a heading line
    /// `<Tool> <entry identity>: <what>`, and the command that does it.
    pub fn how_to_tick(&self, task: &DesiredTask, index: usize) -> Result<String, String> {
        let entry = task
            .entries
            .get(index)
            .ok_or_else(|| format!("{} has no checklist entry {index}", task.identity))?;
        let tick = Tick {
            task,
            id: &entry.identity,
            text: &entry.fields.text,
        };
        let mut out = String::new();
        match &self.emulator {
            Emulator::Trello(emu) => tick_trello(self, emu, &tick, &mut out)?,
            Emulator::Asana(emu) => tick_asana(self, emu, &tick, &mut out)?,
            Emulator::Sheets(emu) => tick_sheets(self, emu, &tick, &mut out)?,
        }
        Ok(out)
    }

    /// The value of credential `key` in the block.
    fn token(&self, key: &str) -> String {
        self.block
            .credentials
            .iter()
            .find(|c| c.key == key)
            .map(|c| c.value.clone())
            .unwrap_or_default()
    }
}

/// The checklist entry to tick, and its task.
struct Tick<'t> {
    task: &'t DesiredTask,
    id: &'t str,
    text: &'t str,
}

fn tick_trello(
    run: &Running,
    emu: &throughline_trello::emulator::Emulator,
    tick: &Tick<'_>,
    out: &mut String,
) -> Result<(), String> {
    let (task, id, text) = (tick.task, tick.id, tick.text);
    let token = |key: &str| run.token(key);
    let (card, item) = emu
        .person(|p| {
            let card = p.card_with_marker(&task.identity)?;
            let item = p
                .card(&card)?
                .checklists
                .into_iter()
                .flat_map(|(_, items)| items)
                .find(|(_, name, _)| name == text)?;
            Some((card, item.0))
        })
        .ok_or_else(|| format!("the first sync made no Trello card for {}", task.identity))?;
    let _ = writeln!(
        out,
        "\nTrello {id}: tick \"{text}\" on the card \"{}\"",
        task.fields.title
    );
    let _ = writeln!(
        out,
        "  curl -fsS -X PUT '{}/cards/{card}/checkItem/{item}?state=complete&key={}&token={}'",
        emu.base_url(),
        token("key"),
        token("token")
    );
    Ok(())
}

fn tick_asana(
    run: &Running,
    emu: &throughline_asana::emulator::Emulator,
    tick: &Tick<'_>,
    out: &mut String,
) -> Result<(), String> {
    let (task, id, text) = (tick.task, tick.id, tick.text);
    let token = |key: &str| run.token(key);
    let gid = emu
        .task_with_identity(id)
        .ok_or_else(|| format!("the first sync made no Asana subtask for {id}"))?;
    let _ = writeln!(
        out,
        "\nAsana {id}: complete the subtask \"{text}\" of \"{}\"",
        task.fields.title
    );
    let _ = writeln!(
        out,
        "  curl -fsS -X PUT '{}/tasks/{gid}' -H 'Authorization: Bearer {}' -H 'Content-Type: application/json' -d '{{\"data\":{{\"completed\":true}}}}'",
        emu.base_url(),
        token("token")
    );
    Ok(())
}

fn tick_sheets(
    run: &Running,
    emu: &throughline_sheets::emulator::Emulator,
    tick: &Tick<'_>,
    out: &mut String,
) -> Result<(), String> {
    let (id, text) = (tick.id, tick.text);
    let token = |key: &str| run.token(key);
    let spreadsheet = run
        .block
        .settings
        .iter()
        .find(|(k, _)| *k == "spreadsheet")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let cell = emu
        .person(&spreadsheet, |p| {
            let (tab, row) = p
                .rows_with_metadata(throughline_sheets::ROW_KEY, id)
                .pop()?;
            let header = p.values(
                &format!("'{tab}'!1:1"),
                throughline_sheets::emulator::Render::Formatted,
            );
            let done = header.first()?.iter().position(|h| h == "Done")?;
            Some(format!(
                "'{tab}'!{}{}",
                throughline_sheets::a1::column_letters(done as u32),
                row + 1
            ))
        })
        .ok_or_else(|| format!("the first sync wrote no Google Sheets row for {id}"))?;
    let _ = writeln!(
        out,
        "\nGoogle Sheets {id}: tick Done ({cell}) on the row \"{text}\""
    );
    let _ = writeln!(
        out,
        "  curl -fsS -X PUT '{}/v4/spreadsheets/{spreadsheet}/values/{}?valueInputOption=USER_ENTERED' -H 'Authorization: Bearer {}' -H 'Content-Type: application/json' -d '{{\"values\":[[true]]}}'",
        emu.base_url(),
        utf8_percent_encode(&cell, RANGE_IN_PATH),
        token("token")
    );
    Ok(())
}

/// What stays as it is in a range in a URL path: letters, digits and `-._~!:`.
const RANGE_IN_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b':');

/// The `[[target]]` block of a workbook the demo keeps next to its deployment, and the files
/// an earlier demo may have left of it.
pub fn workbook(
    id: &str,
    path: &str,
    folder: &std::path::Path,
) -> (String, Vec<std::path::PathBuf>) {
    let block = format!(
        "[[target]]\nid = {}\nkind = \"excel\"\npath = {}\n",
        quoted(id),
        quoted(path)
    );
    let file = folder.join(path);
    (block, vec![throughline_excel::backup_path(&file), file])
}

/// Starting an emulator: call inside a Tokio runtime.
pub type Starting<'a> = Pin<Box<dyn Future<Output = std::io::Result<Running>> + 'a>>;

/// `throughline emulate <name>`.
#[derive(Clone, Copy)]
pub struct Launcher {
    /// The word after `throughline emulate`.
    pub name: &'static str,
    /// Who is seeded when neither a people file nor a deployment is given.
    pub default_people: &'static [&'static str],
    /// Start on `addr` (port 0: a free one) with `people` in it.
    pub start: for<'a> fn(SocketAddr, &'a [Person]) -> Starting<'a>,
}

impl std::fmt::Debug for Launcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Every tool with an emulator, in the registry's order.
pub fn all() -> impl Iterator<Item = &'static Launcher> {
    super::TargetKind::all().filter_map(super::TargetKind::emulator)
}

/// The emulator `throughline emulate <name>` starts.
pub fn by_name(name: &str) -> Option<&'static Launcher> {
    all().find(|l| l.name == name)
}

fn count(n: usize) -> String {
    format!("{n} {}", if n == 1 { "person" } else { "people" })
}

fn pairs(people: &[Person]) -> Vec<(&str, &str)> {
    people
        .iter()
        .map(|p| (p.name.as_str(), p.email.as_str()))
        .collect()
}

pub(super) const TRELLO: Launcher = Launcher {
    name: "trello",
    // Two people on the board, so the block has a `people` map to copy from (and scripts
    // written against earlier versions keep their usernames).
    default_people: &[
        "Dana Levi <dana@example.com>",
        "Yossi Cohen <yossi@example.com>",
    ],
    start: |addr, people| Box::pin(trello(addr, people)),
};

async fn trello(addr: SocketAddr, people: &[Person]) -> std::io::Result<Running> {
    let pairs = pairs(people);
    let emu = throughline_trello::emulator::Emulator::start_on(addr).await?;
    let board = emu.seed_board("throughline demo");
    emu.add_list(&board, "To do");
    emu.add_list(&board, "Done");
    emu.enable_custom_fields(&board);
    let usernames = emu.add_people(&board, pairs.iter().copied());
    let people = people
        .iter()
        .zip(usernames)
        .map(|(p, u)| (p.key.clone(), u))
        .collect();
    Ok(Running {
        summary: format!(
            "Trello emulator on {}: board \"throughline demo\" with {} as members",
            emu.base_url(),
            count(pairs.len())
        ),
        limits: "100 requests per 10 s per token and 300 per key, as Trello",
        block: TargetBlock {
            id: "trello",
            kind: "trello",
            settings: vec![("board", board)],
            base_url: emu.base_url(),
            credentials: vec![
                Credential {
                    key: "key",
                    env: "TRELLO_KEY",
                    value: emu.key(),
                },
                Credential {
                    key: "token",
                    env: "TRELLO_TOKEN",
                    value: emu.token(),
                },
            ],
            people,
        },
        sign_in: None,
        emulator: Emulator::Trello(emu),
    })
}

pub(super) const ASANA: Launcher = Launcher {
    name: "asana",
    // The emulator seeds Ana and Ben itself.
    default_people: &[],
    start: |addr, people| Box::pin(asana(addr, people)),
};

async fn asana(addr: SocketAddr, people: &[Person]) -> std::io::Result<Running> {
    let pairs = pairs(people);
    let emu = throughline_asana::emulator::Emulator::start_on(addr).await?;
    emu.set_rate_limit(Some(1500));
    let seeded = emu.seed_with(&pairs);
    let users = if pairs.is_empty() {
        "Ana and Ben (ana@example.com, ben@example.com)".to_owned()
    } else {
        count(pairs.len())
    };
    // Sign-ins are approved as the person whose token the block carries.
    let approver = people.first().map_or("ana@example.com", |p| &p.email);
    let sign_in = emu.user_by_email(approver).map(|gid| {
        let (id, secret) = emu.add_oauth_client(&gid);
        format!(
            "For `throughline auth asana` against it: client id {id}, client secret {secret}, at {}.",
            emu.root_url()
        )
    });
    Ok(Running {
        summary: format!(
            "Asana emulator on {}: a workspace with {users} as users, and a project \"Content\"",
            emu.base_url()
        ),
        limits: "1,500 requests per minute and 15 concurrent writes per token, as Asana's paid plans",
        block: TargetBlock {
            id: "asana",
            kind: "asana",
            // The emulator allows what a paid plan does; the connector paces itself to the
            // plan it is told.
            settings: vec![
                ("workspace", seeded.workspace),
                ("project", seeded.project),
                ("plan", "paid".to_owned()),
            ],
            base_url: emu.base_url(),
            credentials: vec![Credential {
                key: "token",
                env: "ASANA_TOKEN",
                value: seeded.token,
            }],
            // Asana finds people by e-mail address.
            people: Vec::new(),
        },
        sign_in,
        emulator: Emulator::Asana(emu),
    })
}

pub(super) const SHEETS: Launcher = Launcher {
    name: "sheets",
    // Owners are written as text: nobody needs an account.
    default_people: &[],
    start: |addr, _| Box::pin(sheets(addr)),
};

async fn sheets(addr: SocketAddr) -> std::io::Result<Running> {
    let emu = throughline_sheets::emulator::Emulator::start_on(
        addr,
        throughline_sheets::emulator::Quotas::google(),
    )
    .await?;
    let spreadsheet = emu.create_spreadsheet("throughline demo");
    Ok(Running {
        summary: format!(
            "Google Sheets emulator on {}: a spreadsheet \"throughline demo\" (owners are written as text, so no people are needed)",
            emu.base_url()
        ),
        limits: "60 reads and 60 writes per minute, as Google",
        block: TargetBlock {
            id: "sheets",
            kind: "google-sheets",
            settings: vec![("spreadsheet", spreadsheet)],
            base_url: emu.base_url(),
            credentials: vec![Credential {
                key: "token",
                env: "GOOGLE_TOKEN",
                value: emu.access_token(),
            }],
            people: Vec::new(),
        },
        sign_in: None,
        emulator: Emulator::Sheets(emu),
    })
}
