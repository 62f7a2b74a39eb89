//! `throughline demo [DIR]`: the content example kept in step across all four tools on one
//! machine. The Trello, Asana and Google Sheets emulators run in this process, seeded with the
//! example's people; DIR gets the example's files, a deployment with the three emulators and an
//! Excel workbook as targets, and the secrets (files of mode 0600). After the first sync it
//! prints how to tick something in each tool, then runs the daemon (a cycle every 5 s) until
//! Ctrl-C, so a tick in any tool shows up in the other three.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use throughline::daemon::logging::{self, LogFormat, Secrets};
use throughline::daemon::{self, Connectors, Service, Shared, SystemClock};
use throughline::engine::{self, CycleOptions};
use throughline::model::{Deployment, StateLocation, parse_listen};
use throughline::report::plan;
use throughline::state::SqliteStore;
use throughline_connector::DesiredTask;

use super::emulate::{self, Person, Running};
use throughline::engine::registry::emulators;

/// The first line of the deployment `demo` writes: how a later run knows the folder is its own.
const HEADER: &str = "# Written by `throughline demo`";
/// The Excel target's workbook, inside DIR.
const WORKBOOK: &str = "content-plan.xlsx";
/// The workbook's target id.
const WORKBOOK_ID: &str = "workbook";
/// Where the secrets go, inside DIR.
const SECRETS: &str = "secrets";

#[derive(clap::Args)]
pub struct Args {
    /// The folder for the demo's files; created if missing. A folder an earlier demo wrote is
    /// started over.
    #[arg(default_value = "throughline-demo", value_name = "DIR")]
    dir: PathBuf,
    /// Where the daemon's /healthz, /readyz and /metrics answer (port 0: a free one).
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR", value_parser = parse_listen)]
    listen: SocketAddr,
}

pub fn run(_config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let dir = args.dir;
    prepare(&dir)?;
    let config = dir.join("throughline.toml");
    let people = match super::load_or_report(&config) {
        Ok(dep) => emulate::people_of(&dep),
        Err(code) => return Ok(code),
    };
    let secrets = Secrets::default();
    logging::init(LogFormat::Human, secrets.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        // Installed first, so a Ctrl-C during the first sync stops the demo too.
        let stop = daemon::shutdown_signal();
        let tools = start_emulators(&people).await?;
        write_deployment(&dir, &tools)?;
        let dep = match super::load_or_report(&config) {
            Ok(dep) => dep,
            Err(code) => return Ok(code),
        };
        let StateLocation::Sqlite(state_path) = &dep.state else {
            anyhow::bail!("{}: the demo keeps its state in a SQLite file", config.display());
        };
        let mut store = SqliteStore::open(state_path)?;

        let now = jiff::Timestamp::now();
        first_sync(&dir, &dep, &mut store, &tools, now).await?;

        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}; choose another with --listen", args.listen))?;
        let listen = listener.local_addr()?;
        let shared = Arc::new(Shared::new(now, secrets));
        let service = Service::new(
            &config,
            dep,
            Box::new(store),
            Box::new(Connectors),
            Arc::new(SystemClock),
            shared,
            listen,
        )?;
        println!();
        println!(
            "The daemon now runs a cycle every 5 s; http://{listen}/readyz shows how each tool is doing. Stop it with Ctrl-C."
        );
        daemon::run(service, listener, stop).await;
        drop(tools);
        println!(
            "Stopped. The files stay in {}; `throughline demo {}` starts over.",
            dir.display(),
            dir.display()
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// One emulator of each hosted tool on a free port of 127.0.0.1, knowing the example's people.
async fn start_emulators(people: &[Person]) -> anyhow::Result<Vec<Running>> {
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut tools = Vec::new();
    for launcher in emulators::all() {
        tools.push(
            emulate::start(launcher, loopback, people)
                .await
                .context("cannot start an emulator on 127.0.0.1")?,
        );
    }
    Ok(tools)
}

/// Where each tool answers, the first sync's plan, and how to tick an entry in each tool.
async fn first_sync(
    dir: &Path,
    dep: &Deployment,
    store: &mut SqliteStore,
    tools: &[Running],
    now: jiff::Timestamp,
) -> anyhow::Result<()> {
    println!("throughline demo in {}", dir.display());
    for t in tools {
        println!("  {}", t.summary);
    }
    println!("  Excel workbook {}", dir.join(WORKBOOK).display());
    println!();
    println!("First sync:");
    let schedule = throughline::schedule::schedule_at(dep, now);
    let mut runs = engine::connectors::open_targets(dep, &schedule)?;
    let example = runs
        .first()
        .and_then(|r| r.desired.iter().find(|t| t.entries.len() >= 4))
        .cloned()
        .context("the example has no task with four checklist entries to tick")?;
    let report = engine::run_cycle(store, &mut runs, &dep.sync, &CycleOptions::default(), now)
        .await
        .context("the first sync stopped")?;
    drop(runs);
    print!("{}", plan::render(&report, super::color(), true));
    if !report.ok() {
        println!(
            "The first sync did not finish everywhere; the daemon tries again at every cycle."
        );
    }
    println!();
    print!("{}", how_to_tick(tools, &example, &dir.join(WORKBOOK))?);
    Ok(())
}

/// DIR holds the example's files and nothing of an earlier demo's state: the emulators start
/// empty, so links to their old boards would make every target look emptied. A folder with a
/// deployment `demo` did not write is left alone.
fn prepare(dir: &Path) -> anyhow::Result<()> {
    let config = dir.join("throughline.toml");
    if config.exists() {
        let text = std::fs::read_to_string(&config)
            .with_context(|| format!("cannot read {}", config.display()))?;
        if !text.starts_with(HEADER) {
            anyhow::bail!(
                "{} holds a deployment that `throughline demo` did not write; nothing was changed. Choose another folder: throughline demo DIR",
                config.display()
            );
        }
        let (_, workbook) = emulators::workbook(WORKBOOK_ID, WORKBOOK, dir);
        for old in [
            dir.join("throughline.db"),
            dir.join("throughline.db-wal"),
            dir.join("throughline.db-shm"),
            SqliteStore::lock_path(&dir.join("throughline.db")),
        ]
        .into_iter()
        .chain(workbook)
        {
            match std::fs::remove_file(&old) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("cannot remove {} of the earlier demo", old.display())
                    });
                }
            }
        }
    }
    for (path, contents) in super::init::CONTENT.files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create the folder {}", parent.display()))?;
        }
        std::fs::write(&path, contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// The deployment: the example's playbooks and items, the three emulators and the workbook,
/// a cycle every 5 s; each secret in a file of its own that only this user can read.
fn write_deployment(dir: &Path, tools: &[Running]) -> anyhow::Result<()> {
    let secrets = dir.join(SECRETS);
    create_private_dir(&secrets)?;
    let mut text = format!(
        "{HEADER}: the content example in Trello, Asana and Google Sheets (emulators\n\
         # inside the demo process, gone when it stops) and an Excel workbook.\n\n\
         state = \"throughline.db\"\n\
         playbooks = [\"playbooks/*.toml\"]\n\
         items = [\"items/*.toml\"]\n\n\
         [sync]\n\
         every = \"5s\"\n\
         conflict = \"newest\"\n\n"
    );
    text.push_str(&emulators::workbook(WORKBOOK_ID, WORKBOOK, dir).0);
    for t in tools {
        for c in &t.block.credentials {
            write_secret(&secrets.join(secret_file(c.env)), &c.value)?;
        }
        text.push('\n');
        text.push_str(
            &t.block
                .render(|c| format!("file:{SECRETS}/{}", secret_file(c.env))),
        );
    }
    let config = dir.join("throughline.toml");
    std::fs::write(&config, text).with_context(|| format!("cannot write {}", config.display()))
}

/// `TRELLO_KEY` → `trello-key`.
fn secret_file(env: &str) -> String {
    env.to_ascii_lowercase().replace('_', "-")
}

fn create_private_dir(path: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(path)
        .with_context(|| format!("cannot create the folder {}", path.display()))
}

fn write_secret(path: &Path, value: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write the secret file {}", path.display()))?;
    file.write_all(value.as_bytes())
        .with_context(|| format!("cannot write the secret file {}", path.display()))
}

/// One tick per tool, each on its own checklist entry of `task`: what to do, and the command
/// that does it. Each heading line is `<Tool> <entry identity>: <what>`.
fn how_to_tick(tools: &[Running], task: &DesiredTask, workbook: &Path) -> anyhow::Result<String> {
    let entry = |i: usize| (&task.entries[i].identity, &task.entries[i].fields.text);
    let mut out =
        String::from("Tick something in any tool; the next cycle carries it to the other three:\n");
    for (i, t) in tools.iter().enumerate() {
        out.push_str(&t.how_to_tick(task, i).map_err(anyhow::Error::msg)?);
    }
    let (id, text) = entry(3);
    let place = workbook_row(workbook, id)
        .map(|(sheet, row)| format!("sheet \"{sheet}\", row {row}"))
        .unwrap_or_else(|| format!("the row whose ID is {id}"));
    let _ = writeln!(
        out,
        "\nExcel {id}: open {} and, on {place} (\"{text}\"), put ✓ in the Done column and save",
        workbook.display()
    );
    Ok(out)
}

/// The sheet and 1-based row whose ID cell is `id`, under a header row with "ID" and "Done".
fn workbook_row(path: &Path, id: &str) -> Option<(String, u32)> {
    use calamine::Reader as _;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).ok()?;
    for name in book.sheet_names() {
        let Ok(range) = book.worksheet_range(&name) else {
            continue;
        };
        let mut rows = range.rows();
        let Some(header) = rows.next() else {
            continue;
        };
        let Some(col) = header.iter().position(|c| is_text(c, "ID")) else {
            continue;
        };
        if let Some(i) = rows.position(|r| r.get(col).is_some_and(|c| is_text(c, id))) {
            let first = range.start().map_or(0, |(row, _)| row);
            return Some((name, first + i as u32 + 2));
        }
    }
    None
}

fn is_text(cell: &calamine::Data, text: &str) -> bool {
    matches!(cell, calamine::Data::String(s) if s == text)
}
