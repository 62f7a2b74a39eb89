//! `throughline calendar`: the schedule as an iCalendar file (all-day events for due dates and
//! go-lives) to import or subscribe to.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use jiff::Timestamp;
use throughline::model::{DEFAULT_LISTEN, Deployment, StateLocation};
use throughline::report::calendar::{self, Filter};
use throughline::schedule::{self, Schedule};
use throughline::state::{StateError, StateStore};

#[derive(clap::Args)]
pub struct Args {
    /// Only this person's tasks (an e-mail address) and the go-lives of their items.
    #[arg(long, value_name = "EMAIL")]
    person: Option<String>,
    /// Only this item's tasks and go-live (its id, or `cadence@YYYY-MM-DD`).
    #[arg(long, value_name = "ID")]
    item: Option<String>,
    /// Write the calendar to FILE (replaced whole, never half-written) instead of standard
    /// output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print each person's subscription address (`[daemon] public_url`/calendar/…), making a
    /// token for whoever has none yet.
    #[arg(long, conflicts_with_all = ["person", "item", "output", "revoke"])]
    links: bool,
    /// Replace this person's subscription token: the old address stops working (after the
    /// daemon restarts) and the new one is printed.
    #[arg(long, value_name = "EMAIL", conflicts_with_all = ["person", "item", "output"])]
    revoke: Option<String>,
}

pub fn run(config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let deployment = match super::load_or_report(config) {
        Ok(deployment) => deployment,
        Err(code) => return Ok(code),
    };
    let now = super::now(&deployment)?;
    let schedule = schedule::schedule_at(&deployment, now);
    if args.links || args.revoke.is_some() {
        return subscriptions(&deployment, &schedule, args.revoke.as_deref(), now);
    }
    check_filter(
        &deployment,
        &schedule,
        args.person.as_deref(),
        args.item.as_deref(),
    )?;
    let filter = Filter {
        person: args.person.as_deref(),
        item: args.item.as_deref(),
    };
    let events = calendar::events(&deployment, &schedule, filter);
    let name = match (&args.person, &args.item) {
        (Some(person), _) => format!("throughline: {}", calendar::address(person)),
        (None, Some(item)) => format!("throughline: {item}"),
        (None, None) => "throughline".to_string(),
    };
    let text = calendar::render(&name, &events, now);

    match &args.output {
        Some(path) => {
            super::write_whole(path, text.as_bytes(), "calendar")?;
            eprintln!(
                "Wrote {} event{} to {}.",
                events.len(),
                if events.len() == 1 { "" } else { "s" },
                path.display()
            );
        }
        None => {
            let mut out = io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(anyhow::Error::new(e).context("could not write the calendar")),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--links` and `--revoke EMAIL`: each person's address, from the tokens in the state file.
fn subscriptions(
    dep: &Deployment,
    schedule: &Schedule,
    revoke: Option<&str>,
    now: Timestamp,
) -> anyhow::Result<ExitCode> {
    let people = calendar::people(dep, schedule);
    let base = match &dep.sync.daemon.public_url {
        Some(url) => url.clone(),
        None => {
            let listen = dep.sync.daemon.listen.map(|a| a.to_string());
            let listen = listen.as_deref().unwrap_or(DEFAULT_LISTEN);
            eprintln!(
                "note: `[daemon] public_url` is not set in {}, so these addresses name the \
                 daemon's own {listen}; set public_url to the address people's calendar apps \
                 reach it by.",
                dep.config_path.display()
            );
            format!("http://{listen}")
        }
    };
    let tokens = match revoke {
        Some(person) => {
            let person = calendar::address(person);
            if !people.contains(&person) {
                anyhow::bail!(
                    "there is no person \"{person}\" in {} (people: {}). Check the spelling.",
                    dep.config_path.display(),
                    list(people.iter().map(String::as_str)),
                );
            }
            let mut store = open_for_tokens(&dep.state, "--revoke")?;
            let token = calendar::new_token();
            store.set_calendar_token(&person, &token, now)?;
            println!("{person}  {}", calendar::link(&base, &person, &token));
            eprintln!(
                "The old address of {person} no longer works once the daemon (re)starts; send \
                 them the new one."
            );
            return Ok(ExitCode::SUCCESS);
        }
        None => match throughline::state::open(&dep.state) {
            Ok((mut store, _)) => calendar::ensure_tokens(&mut *store, &people, now)?,
            // The daemon holds the state file: show the tokens it has (it makes the missing
            // ones itself when it loads the configuration).
            Err(StateError::Locked { .. }) => throughline::state::open_read_only(&dep.state)?
                .calendar_tokens()?
                .into_iter()
                .collect(),
            Err(e) => return Err(e.into()),
        },
    };
    let width = people.iter().map(|p| p.chars().count()).max().unwrap_or(0);
    for person in &people {
        match tokens.get(person) {
            Some(token) => println!("{person:width$}  {}", calendar::link(&base, person, token)),
            None => println!(
                "{person:width$}  (no address yet: the running daemon makes one when it next \
                 loads the configuration)"
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The state file for writing a token; a running daemon holds it, and reads the tokens only
/// when it starts, so it must be stopped first.
fn open_for_tokens(state: &StateLocation, what: &str) -> anyhow::Result<Box<dyn StateStore>> {
    match throughline::state::open(state) {
        Ok((store, _)) => Ok(store),
        Err(e @ StateError::Locked { .. }) => Err(anyhow::Error::new(e).context(format!(
            "{what} writes to the state file, which the daemon is using: stop the daemon, run \
             this again, then start the daemon"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// `--person` and `--item` must name someone and something that exist.
fn check_filter(
    dep: &Deployment,
    schedule: &Schedule,
    person: Option<&str>,
    item: Option<&str>,
) -> anyhow::Result<()> {
    if let Some(person) = person {
        let people = calendar::people(dep, schedule);
        if !people.contains(&calendar::address(person)) {
            anyhow::bail!(
                "there is no person \"{person}\" in {} (people: {}). Check the spelling, or \
                 leave out --person for everyone's calendar.",
                dep.config_path.display(),
                list(people.iter().map(String::as_str)),
            );
        }
    }
    if let Some(id) = item {
        let items = schedule::expand_items(dep);
        if !items.iter().any(|i| i.id == id) {
            anyhow::bail!(
                "there is no item \"{id}\" in {} (items: {}). Check the spelling, or leave out \
                 --item to see every item.",
                dep.config_path.display(),
                list(items.iter().map(|i| i.id.as_str())),
            );
        }
    }
    Ok(())
}

/// The first eight names, then "…".
fn list<'a>(names: impl ExactSizeIterator<Item = &'a str>) -> String {
    let total = names.len();
    let mut shown: Vec<&str> = names.take(8).collect();
    if shown.is_empty() {
        return "none".to_string();
    }
    if total > shown.len() {
        shown.push("…");
    }
    shown.join(", ")
}
