//! `throughline emulate trello|asana|sheets`: a local emulator of a hosted tool, seeded with the
//! people a deployment names, and the `[[target]]` block (plus `export` lines for its
//! credentials) that points a deployment at it. `throughline demo` starts the same emulators.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use throughline::model::Deployment;

/// The hosted tools throughline can emulate locally.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Tool {
    Trello,
    Asana,
    Sheets,
}

#[derive(clap::Args)]
pub struct Args {
    /// Which tool's API to emulate.
    tool: Tool,
    /// Where to listen; loopback by default so nothing outside this machine can reach it.
    #[arg(long, default_value = "127.0.0.1:8800", value_name = "ADDR")]
    listen: SocketAddr,
    /// Seed the people listed in this file: one person per line, `Dana Levi <dana@example.com>`
    /// or just `dana@example.com`; blank lines and lines starting with `#` are skipped.
    #[arg(long, value_name = "FILE", conflicts_with = "deployment")]
    people: Option<PathBuf>,
    /// Seed every person the deployment's playbooks and items name (Trello board members,
    /// Asana workspace users), and print the `people` map the target needs. With neither
    /// option: Trello has dana and yossi, Asana Ana and Ben.
    #[arg(long, value_name = "FILE")]
    deployment: Option<PathBuf>,
}

/// One person to seed: what the deployment calls them (the key of a `people` map), their name
/// and e-mail address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub key: String,
    pub name: String,
    pub email: String,
}

impl Person {
    /// `Dana Levi <dana@example.com>` or `dana@example.com` (named "Dana" then); `None` when
    /// there is no address in it.
    fn parse(text: &str) -> Option<Person> {
        let text = text.trim();
        let (name, email) = match (text.find('<'), text.strip_suffix('>')) {
            (Some(open), Some(rest)) => (text[..open].trim(), rest[open + 1..].trim()),
            (None, None) => ("", text),
            _ => return None,
        };
        let (local, domain) = email.split_once('@')?;
        if local.is_empty()
            || domain.is_empty()
            || domain.contains('@')
            || email.chars().any(char::is_whitespace)
        {
            return None;
        }
        let name = if name.is_empty() {
            name_from(local)
        } else {
            name.to_owned()
        };
        Some(Person {
            key: email.to_owned(),
            name,
            email: email.to_owned(),
        })
    }

    /// A person as a playbook names them: the map key is the text as written, since that is
    /// the owner the tasks carry.
    fn named(text: &str) -> Person {
        let mut p = Person::parse(text).unwrap_or_else(|| Person {
            key: String::new(),
            name: text.trim().to_owned(),
            email: text.trim().to_owned(),
        });
        p.key = text.to_owned();
        p
    }
}

/// `maya.cohen` → `Maya Cohen`.
fn name_from(local: &str) -> String {
    local
        .split(['.', '_', '-', '+'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Everyone the deployment names, in the order they first appear: the people of every role,
/// backups, and the per-item and per-cadence owners.
pub fn people_of(dep: &Deployment) -> Vec<Person> {
    let mut texts: Vec<&str> = Vec::new();
    for process in &dep.processes {
        for role in &process.roles {
            texts.extend(role.people.iter().map(String::as_str));
            texts.extend(role.backup.as_deref());
            texts.extend(role.away.iter().map(|a| a.who.as_str()));
        }
    }
    for item in &dep.items {
        texts.extend(item.people.values().map(String::as_str));
    }
    for cadence in &dep.cadences {
        texts.extend(cadence.people.values().map(String::as_str));
    }
    let mut out: Vec<Person> = Vec::new();
    for text in texts {
        if !out.iter().any(|p| p.key == text) {
            out.push(Person::named(text));
        }
    }
    out
}

/// The `--people` file: one `Name <address>` or `address` per line.
pub fn read_people(path: &Path) -> anyhow::Result<Vec<Person>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the people file {}", path.display()))?;
    let mut out: Vec<Person> = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match Person::parse(line) {
            Some(p) if !out.iter().any(|o| o.email.eq_ignore_ascii_case(&p.email)) => out.push(p),
            Some(_) => {}
            None => problems.push(format!(
                "{}:{}:1: `{line}` is not a person; write one per line, like `Dana Levi <dana@example.com>` or `dana@example.com`",
                path.display(),
                n + 1
            )),
        }
    }
    if !problems.is_empty() {
        anyhow::bail!("{}", problems.join("\n"));
    }
    Ok(out)
}

/// A credential of a target: its key in `credentials`, the environment variable `emulate`
/// names for it, and its value.
pub struct Credential {
    pub key: &'static str,
    pub env: &'static str,
    pub value: String,
}

/// A `[[target]]` block pointing at an emulator, the same form for every tool.
pub struct TargetBlock {
    pub id: &'static str,
    pub kind: &'static str,
    /// The kind's location keys and values (`board`, `workspace` and `project`, ...), and
    /// other settings of the kind (Asana's `plan`).
    pub settings: Vec<(&'static str, String)>,
    pub base_url: String,
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
    pub emulator: Emulator,
    pub block: TargetBlock,
    /// One line on what was seeded.
    pub summary: String,
    /// What the emulator enforces, as the real service does.
    pub limits: &'static str,
}

/// Start `tool`'s emulator on `addr` (port 0: a free one) with `people` in it, with the real
/// service's rate limits. Call inside a Tokio runtime.
pub async fn start(tool: Tool, addr: SocketAddr, people: &[Person]) -> std::io::Result<Running> {
    let pairs: Vec<(&str, &str)> = people
        .iter()
        .map(|p| (p.name.as_str(), p.email.as_str()))
        .collect();
    let count = |n: usize| format!("{n} {}", if n == 1 { "person" } else { "people" });
    match tool {
        Tool::Trello => {
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
                emulator: Emulator::Trello(emu),
            })
        }
        Tool::Asana => {
            let emu = throughline_asana::emulator::Emulator::start_on(addr).await?;
            emu.set_rate_limit(Some(1500));
            let seeded = emu.seed_with(&pairs);
            let users = if pairs.is_empty() {
                "Ana and Ben (ana@example.com, ben@example.com)".to_owned()
            } else {
                count(pairs.len())
            };
            Ok(Running {
                summary: format!(
                    "Asana emulator on {}: a workspace with {users} as users, and a project \"Content\"",
                    emu.base_url()
                ),
                limits: "1,500 requests per minute and 15 concurrent writes per token, as Asana's paid plans",
                block: TargetBlock {
                    id: "asana",
                    kind: "asana",
                    // The emulator allows what a paid plan does; the connector paces itself
                    // to the plan it is told.
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
                emulator: Emulator::Asana(emu),
            })
        }
        Tool::Sheets => {
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
                emulator: Emulator::Sheets(emu),
            })
        }
    }
}

pub fn run(_config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let people = match (&args.people, &args.deployment) {
        (Some(file), _) => read_people(file)?,
        (None, Some(file)) => match super::load_or_report(file) {
            Ok(dep) => people_of(&dep),
            Err(code) => return Ok(code),
        },
        // Two people on the board, so the block has a `people` map to copy from (and scripts
        // written against earlier versions keep their usernames).
        (None, None) if args.tool == Tool::Trello => [
            "Dana Levi <dana@example.com>",
            "Yossi Cohen <yossi@example.com>",
        ]
        .iter()
        .filter_map(|p| Person::parse(p))
        .collect(),
        // Asana seeds Ana and Ben; Sheets needs nobody.
        (None, None) => Vec::new(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let running = start(args.tool, args.listen, &people).await.with_context(|| {
            format!(
                "cannot listen on {}; another program uses it, or the address is not this machine's. Choose another with --listen",
                args.listen
            )
        })?;
        println!("{}.", running.summary);
        println!();
        println!("Add this to throughline.toml:");
        println!();
        print!("{}", running.block.render(|c| format!("env:{}", c.env)));
        println!();
        println!("and run this in the shell you sync from:");
        println!();
        println!("{}", running.block.exports());
        println!();
        if let Emulator::Asana(emu) = &running.emulator {
            // Sign-ins are approved as the person whose token the block carries.
            let approver = people.first().map_or("ana@example.com", |p| &p.email);
            if let Some(gid) = emu.user_by_email(approver) {
                let (id, secret) = emu.add_oauth_client(&gid);
                println!(
                    "For `throughline auth asana` against it: client id {id}, client secret {secret}, at {}.",
                    emu.root_url()
                );
            }
        }
        println!("Limits: {}. Stop it with Ctrl-C.", running.limits);
        tokio::signal::ctrl_c().await?;
        drop(running);
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
