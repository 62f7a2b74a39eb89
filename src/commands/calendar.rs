//! `throughline calendar`: the schedule as an iCalendar file (all-day events for due dates and
//! go-lives) to import or subscribe to.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use throughline::model::Deployment;
use throughline::report::calendar::{self, Filter};
use throughline::schedule::{self, Schedule};

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
}

pub fn run(config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let deployment = match super::load_or_report(config) {
        Ok(deployment) => deployment,
        Err(code) => return Ok(code),
    };
    let now = super::now(&deployment)?;
    let schedule = schedule::schedule_at(&deployment, now);
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
            write_whole(path, text.as_bytes())?;
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

/// Write through a temporary file in the same folder, then rename: a reader (a calendar app
/// polling the file) sees the old file or the new one, never a part.
fn write_whole(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let failed = || format!("could not write the calendar to {}", path.display());
    let mut tmp = tempfile::Builder::new()
        .prefix(".throughline-calendar-")
        .tempfile_in(&dir)
        .with_context(|| format!("{}: is the folder there and writable?", failed()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(failed)?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(failed)?;
    Ok(())
}
