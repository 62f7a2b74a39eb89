//! The daemon's loop with the real connectors: a Trello delivery that is lost is still caught
//! by the periodic cycle, and a workbook saved by openpyxl starts a cycle without waiting for
//! the poll, while the daemon's own writes (of the workbook, and the deliveries Trello makes of
//! them) start none.

use crate::daemon_support;

use std::path::Path;
use std::time::{Duration, Instant};

use daemon_support::*;
use jiff::Timestamp;
use throughline_connector::{Connector, State};
use throughline_excel::{ExcelConnector, ExcelMapping};

/// Long enough for a slow machine; only there so that a broken daemon fails the test instead
/// of hanging it.
const PATIENCE: Duration = Duration::from_secs(120);

impl RunningDaemon {
    /// Wait for a cycle that started after `after` to end; its trigger.
    fn cycle_after(&self, after: Timestamp) -> String {
        let start = Instant::now();
        loop {
            if let Some(c) = self.shared.view().last_cycle
                && c.started > after
            {
                return c.trigger.as_str().to_string();
            }
            assert!(start.elapsed() < PATIENCE, "no cycle after {after}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn cycles(&self) -> u64 {
        self.shared.view().last_cycle.map_or(0, |c| c.number)
    }

    fn metrics(&self) -> String {
        self.shared.metrics().render(&[], Timestamp::now())
    }
}

/// The state of the task `identity` in a workbook.
fn state_in(path: &Path, identity: &str) -> Option<State> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let obs = rt
        .block_on(ExcelConnector::new("w", path, ExcelMapping::default()).observe(None))
        .ok()?;
    obs.tasks
        .iter()
        .find(|t| t.identity.as_deref() == Some(identity))
        .map(|t| t.state)
}

/// The task identities of a workbook, in its order.
fn tasks_in(path: &Path) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let obs = rt
        .block_on(ExcelConnector::new("w", path, ExcelMapping::default()).observe(None))
        .unwrap();
    obs.tasks
        .iter()
        .filter_map(|t| t.identity.clone())
        .collect()
}

/// The first task identity of a workbook.
fn first_task(path: &Path) -> String {
    tasks_in(path)
        .into_iter()
        .next()
        .expect("the first cycle wrote the tasks")
}

fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < PATIENCE, "never: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A Trello board and a workbook synced by the daemon, polling `every`, with the board's
/// webhook in place. The emulator runs on the runtime returned with it.
fn trello_and_workbook(
    every: &str,
) -> (
    tempfile::TempDir,
    tokio::runtime::Runtime,
    throughline_trello::emulator::Emulator,
    RunningDaemon,
) {
    let dir = tempfile::tempdir().unwrap();
    let emulator_rt = tokio::runtime::Runtime::new().unwrap();
    let emu = emulator_rt
        .block_on(throughline_trello::emulator::Emulator::start())
        .unwrap();
    let board = emu.seed_board("Studio");
    for (file, value) in [
        ("trello-key", emu.key()),
        ("trello-token", emu.token()),
        ("trello-secret", emu.app_secret()),
    ] {
        std::fs::write(dir.path().join(file), value).unwrap();
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = write_deployment(
        dir.path(),
        &Setup {
            targets: format!(
                "[[target]]\nid = \"studio\"\nkind = \"trello\"\nboard = \"{board}\"\nbase_url = \"{}\"\ncredentials = {{ key = \"file:trello-key\", token = \"file:trello-token\", secret = \"file:trello-secret\" }}\n\n{}",
                emu.base_url(),
                excel_targets(&["writers"])
            ),
            sync: format!("every = \"{every}\""),
            service: format!("[daemon]\npublic_url = \"{base}\""),
            ..Default::default()
        },
    );
    let daemon = RunningDaemon::start(&config, listener);
    daemon.cycle_after(Timestamp::UNIX_EPOCH);
    eventually("the webhook", || emu.webhooks().len() == 1);
    (dir, emulator_rt, emu, daemon)
}

#[test]
fn a_lost_trello_delivery_is_caught_by_the_periodic_cycle() {
    let (dir, emulator_rt, emu, daemon) = trello_and_workbook("2s");
    let workbook = dir.path().join("writers.xlsx");
    let task = first_task(&workbook);
    assert_eq!(state_in(&workbook, &task), Some(State::Todo));

    // Trello stops delivering (as after failures); a person completes the card.
    let hook = emu.webhooks()[0]["id"].as_str().unwrap().to_string();
    assert!(emu.deactivate_webhook(&hook));
    let accepted = |m: &str| {
        m.lines()
            .filter(|l| l.contains("result=\"accepted\""))
            .count()
    };
    let before = accepted(&daemon.metrics());
    let _inside = emulator_rt.enter();
    emu.person(|p| {
        let card = p.card_with_marker(&task).expect("the task's card");
        p.set_due_complete(&card, true);
    });
    eventually("the tick in the workbook", || {
        state_in(&workbook, &task) == Some(State::Done)
    });
    assert_eq!(
        accepted(&daemon.metrics()),
        before,
        "no delivery came: the periodic cycle carried it"
    );
}

#[test]
fn a_workbook_saved_with_openpyxl_starts_a_cycle_and_the_daemons_own_writes_do_not() {
    if !require(python_module("openpyxl")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // An hour between polls: only the file watch can start the second cycle.
    let config = write_deployment(
        dir.path(),
        &Setup {
            targets: excel_targets(&["writers", "managers"]),
            sync: "every = \"1h\"".into(),
            ..Default::default()
        },
    );
    let daemon = RunningDaemon::start(&config, listener);
    daemon.cycle_after(Timestamp::UNIX_EPOCH);
    let (writers, managers) = (
        dir.path().join("writers.xlsx"),
        dir.path().join("managers.xlsx"),
    );
    let task = first_task(&writers);
    assert_eq!(state_in(&managers, &task), Some(State::Todo));
    assert_eq!(daemon.cycles(), 1);

    let saved = Timestamp::now();
    let edit = std::process::Command::new("python3")
        .args(["-c", EDIT])
        .arg(&writers)
        .arg(&task)
        .output()
        .unwrap();
    assert!(edit.status.success(), "{edit:?}");
    assert_eq!(daemon.cycle_after(saved), "webhook");
    assert_eq!(state_in(&managers, &task), Some(State::Done));

    // That cycle wrote both workbooks; those writes are its own and start nothing more.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(daemon.cycles(), 2, "{}", daemon.metrics());
}

/// Wait until no signal is pending and no cycle has run for a second.
fn settled(daemon: &RunningDaemon) {
    let mut quiet = Instant::now();
    let start = Instant::now();
    while quiet.elapsed() < Duration::from_secs(1) {
        if !daemon.shared.hints.is_empty() || daemon.shared.view().running_since.is_some() {
            quiet = Instant::now();
        }
        assert!(start.elapsed() < PATIENCE, "the daemon never settled");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn trellos_echo_of_the_daemons_own_write_starts_no_cycle_and_a_persons_tick_does() {
    if !require(python_module("openpyxl")) {
        return;
    }
    // An hour between polls: only signals start cycles here.
    let (dir, emulator_rt, emu, daemon) = trello_and_workbook("1h");
    settled(&daemon);
    let workbook = dir.path().join("writers.xlsx");
    let tasks = tasks_in(&workbook);
    let (ticked_here, ticked_there) = (&tasks[0], &tasks[1]);
    let own_writes = |m: &str| -> u64 {
        m.lines()
            .filter(|l| l.contains("tool=\"trello\"") && l.contains("result=\"own_write\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    let cycles = daemon.cycles();
    let echoes = own_writes(&daemon.metrics());

    // A person ticks a task in the workbook: one cycle pushes it to its card, and Trello's
    // delivery of that write is the daemon's own.
    let saved = Timestamp::now();
    let edit = std::process::Command::new("python3")
        .args(["-c", EDIT])
        .arg(&workbook)
        .arg(ticked_here)
        .output()
        .unwrap();
    assert!(edit.status.success(), "{edit:?}");
    assert_eq!(daemon.cycle_after(saved), "webhook");
    let _inside = emulator_rt.enter();
    let card = emu
        .person(|p| p.card_with_marker(ticked_here))
        .expect("the task's card");
    assert!(emu.person(|p| p.card(&card).unwrap().due_complete));
    settled(&daemon);
    assert_eq!(daemon.cycles(), cycles + 1, "{}", daemon.metrics());
    assert!(
        own_writes(&daemon.metrics()) > echoes,
        "the delivery came and was told apart: {}",
        daemon.metrics()
    );

    // A person ticks another card in Trello: a cycle, and the workbook shows it.
    emu.person(|p| {
        let card = p.card_with_marker(ticked_there).expect("the task's card");
        p.set_due_complete(&card, true);
    });
    eventually("the tick in the workbook", || {
        state_in(&workbook, ticked_there) == Some(State::Done)
    });
    settled(&daemon);
    assert_eq!(daemon.cycles(), cycles + 2, "{}", daemon.metrics());
}

/// A person marks a row done in the first sheet and saves, as openpyxl does.
const EDIT: &str = r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
head = [c.value for c in ws[1]]
for row in ws.iter_rows(min_row=2):
    if row[head.index("ID")].value == sys.argv[2]:
        row[head.index("Done")].value = True
wb.save(sys.argv[1])
"#;
