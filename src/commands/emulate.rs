//! `throughline emulate trello|asana|sheets`: a local emulator of a hosted tool, seeded with the
//! people a deployment names, and the `[[target]]` block (plus `export` lines for its
//! credentials) that points a deployment at it. `throughline demo` starts the same emulators.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use throughline::engine::registry::emulators::{self, Launcher};
pub use throughline::engine::registry::emulators::{Person, Running};
use throughline::model::Deployment;

/// The hosted tools throughline can emulate locally, as the registry of kinds lists them.
fn tools() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(emulators::all().map(|l| l.name))
}

#[derive(clap::Args)]
pub struct Args {
    /// Which tool's API to emulate.
    #[arg(value_parser = tools())]
    tool: String,
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

/// `Dana Levi <dana@example.com>` or `dana@example.com` (named "Dana" then); `None` when
/// there is no address in it.
fn parse_person(text: &str) -> Option<Person> {
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
    let mut p = parse_person(text).unwrap_or_else(|| Person {
        key: String::new(),
        name: text.trim().to_owned(),
        email: text.trim().to_owned(),
    });
    p.key = text.to_owned();
    p
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
            out.push(named(text));
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
        match parse_person(line) {
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

/// Start `launcher`'s emulator on `addr` (port 0: a free one) with `people` in it, with the
/// real service's rate limits. Call inside a Tokio runtime.
pub async fn start(
    launcher: &Launcher,
    addr: SocketAddr,
    people: &[Person],
) -> std::io::Result<Running> {
    (launcher.start)(addr, people).await
}

pub fn run(_config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let launcher = emulators::by_name(&args.tool).context("no emulator by that name")?;
    let people = match (&args.people, &args.deployment) {
        (Some(file), _) => read_people(file)?,
        (None, Some(file)) => match super::load_or_report(file) {
            Ok(dep) => people_of(&dep),
            Err(code) => return Ok(code),
        },
        (None, None) => launcher
            .default_people
            .iter()
            .filter_map(|p| parse_person(p))
            .collect(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let running = start(launcher, args.listen, &people).await.with_context(|| {
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
        if let Some(line) = &running.sign_in {
            println!("{line}");
        }
        println!("Limits: {}. Stop it with Ctrl-C.", running.limits);
        tokio::signal::ctrl_c().await?;
        drop(running);
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
