//! `throughline demo` end to end, as a person runs it: start it, read the `curl` lines and the
//! workbook instructions it prints, tick one checklist entry in Trello, then Asana, then Google
//! Sheets, then the Excel workbook, and after each tick see it in all four tools once a cycle
//! that started after the tick has finished. Ctrl-C (SIGINT) stops it with exit code 0.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use throughline_connector::{Change, Connector};
use throughline_excel::{ExcelConnector, ExcelMapping};

/// Kills the demo if the test fails before it stops it.
struct Demo {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Everything printed so far, for failure messages.
    seen: Vec<String>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    fn start(dir: &Path, log: &Path) -> Demo {
        let mut child = Command::new(env!("CARGO_BIN_EXE_throughline"))
            .arg("demo")
            .arg(dir)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("the throughline binary runs");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Demo {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Lines up to and including the first one that contains `marker`.
    fn read_until(&mut self, marker: &str, log: &Path) -> Vec<String> {
        let start = self.seen.len();
        loop {
            match self.lines.recv_timeout(Duration::from_secs(300)) {
                Ok(line) => {
                    let done = line.contains(marker);
                    self.seen.push(line);
                    if done {
                        return self.seen[start..].to_vec();
                    }
                }
                Err(e) => panic!(
                    "the demo stopped printing before `{marker}` ({e}); it printed:\n{}\nlog:\n{}",
                    self.seen.join("\n"),
                    std::fs::read_to_string(log).unwrap_or_default()
                ),
            }
        }
    }
}

/// One tick the demo tells a person to make: the tool, the checklist entry, and the command
/// (none for Excel: the workbook is edited by hand).
#[derive(Debug)]
struct Tick {
    tool: String,
    entry: String,
    command: Option<String>,
}

/// `Trello a/b/c: tick ...` followed by `  curl ...`; `Excel a/b/c: open ...`.
fn ticks(lines: &[String]) -> Vec<Tick> {
    let mut out: Vec<Tick> = Vec::new();
    for line in lines {
        if let Some(command) = line.strip_prefix("  curl ") {
            let last = out.last_mut().expect("a curl line follows its heading");
            last.command = Some(format!("curl {command}"));
            continue;
        }
        for tool in ["Trello", "Asana", "Google Sheets", "Excel"] {
            if let Some(rest) = line.strip_prefix(&format!("{tool} "))
                && let Some((entry, _)) = rest.split_once(": ")
            {
                out.push(Tick {
                    tool: tool.to_owned(),
                    entry: entry.to_owned(),
                    command: None,
                });
            }
        }
    }
    out
}

/// The number of the last finished daemon cycle, from `/readyz` (0 before the first).
async fn cycles_done(readyz: &str) -> u64 {
    let body: serde_json::Value = reqwest::get(readyz)
        .await
        .expect("the daemon answers")
        .json()
        .await
        .expect("/readyz is JSON");
    body["last_cycle"]["number"].as_u64().unwrap_or(0)
}

/// Wait until a cycle numbered `n` or later has finished.
async fn wait_for_cycle(readyz: &str, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(300);
    while cycles_done(readyz).await < n {
        assert!(Instant::now() < deadline, "cycle {n} never finished");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Whether each target (by id) shows these entries ticked, read through the connectors the
/// deployment configures.
async fn ticked(config: &Path, entries: &[&str]) -> BTreeMap<String, Vec<bool>> {
    let dep = throughline::model::load(config).expect("the demo's deployment is valid");
    let schedule = throughline::schedule::schedule_at(&dep, jiff::Timestamp::now());
    let runs = throughline::engine::connectors::open_targets(&dep, &schedule).unwrap();
    let mut out = BTreeMap::new();
    for mut run in runs {
        let obs = run.connector.observe(None).await.unwrap();
        let states = entries
            .iter()
            .map(|id| {
                obs.tasks
                    .iter()
                    .flat_map(|t| &t.entries)
                    .find(|e| e.identity.as_deref() == Some(*id))
                    .unwrap_or_else(|| panic!("{} has no {id}", run.id))
                    .checked
            })
            .collect();
        out.insert(run.id.clone(), states);
    }
    out
}

/// What another program does to the workbook: tick the entry's Done cell and save.
async fn tick_in_workbook(path: &Path, entry: &str) {
    let mut book = ExcelConnector::new("workbook", path, ExcelMapping::default());
    let obs = book.observe(None).await.unwrap();
    let (task, e) = obs
        .tasks
        .iter()
        .find_map(|t| {
            t.entries
                .iter()
                .find(|e| e.identity.as_deref() == Some(entry))
                .map(|e| (t, e))
        })
        .unwrap_or_else(|| panic!("the workbook has no row for {entry}"));
    let change = Change::UpdateEntry {
        parent_remote_id: task.remote_id.clone(),
        remote_id: e.remote_id.clone(),
        identity: entry.into(),
        fields: None,
        checked: Some(true),
        unarchive: false,
    };
    let result = book.apply(&[change]).await;
    assert!(result[0].is_ok(), "{:?}", result[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_in_each_of_the_four_tools_reaches_the_other_three() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let log = tmp.path().join("demo.log");
    let mut demo = Demo::start(&dir, &log);
    let intro = demo.read_until("Stop it with Ctrl-C", &log);
    let printed = intro.join("\n");

    // The secrets are in files only this user can read, and never in the deployment.
    let config = dir.join("throughline.toml");
    let deployment = std::fs::read_to_string(&config).unwrap();
    for file in std::fs::read_dir(dir.join("secrets")).unwrap() {
        let file = file.unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = file.metadata().unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{:?} is readable by others", file.path());
        }
        let secret = std::fs::read_to_string(file.path()).unwrap();
        assert!(
            !deployment.contains(secret.trim()),
            "a secret is in the deployment"
        );
    }

    let readyz = intro
        .iter()
        .find_map(|l| {
            let start = l.find("http://")?;
            let url = l[start..].split_whitespace().next()?;
            url.ends_with("/readyz").then(|| url.to_owned())
        })
        .unwrap_or_else(|| panic!("no /readyz address in:\n{printed}"));
    let ticks = ticks(&intro);
    let tools: Vec<&str> = ticks.iter().map(|t| t.tool.as_str()).collect();
    assert_eq!(
        tools,
        ["Trello", "Asana", "Google Sheets", "Excel"],
        "{printed}"
    );
    let entries: Vec<&str> = ticks.iter().map(|t| t.entry.as_str()).collect();
    let workbook: PathBuf = dir.join("content-plan.xlsx");
    assert!(
        printed.contains(&workbook.display().to_string()),
        "{printed}"
    );

    // After the first sync nothing is ticked anywhere.
    let before = ticked(&config, &entries).await;
    assert_eq!(before.len(), 4, "{before:?}");
    for (target, states) in &before {
        assert_eq!(states, &[false; 4], "{target}");
    }

    for (i, tick) in ticks.iter().enumerate() {
        // The cycle running now may have read its tool before the tick; the one after it
        // starts after the tick, so once it has finished the tick must be everywhere.
        let done = cycles_done(&readyz).await;
        match &tick.command {
            Some(command) => {
                let out = Command::new("sh").arg("-c").arg(command).output().unwrap();
                assert!(
                    out.status.success(),
                    "{command}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            None => tick_in_workbook(&workbook, &tick.entry).await,
        }
        wait_for_cycle(&readyz, done + 2).await;
        let now = ticked(&config, &entries).await;
        for (target, states) in &now {
            // This tick and the earlier ones everywhere; the later ones nowhere yet.
            let expected: Vec<bool> = (0..4).map(|j| j <= i).collect();
            assert_eq!(
                states,
                &expected,
                "after the tick in {} ({}), target `{target}` shows {states:?} for {entries:?}; log:\n{}",
                tick.tool,
                tick.entry,
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
    }

    // Ctrl-C: the daemon stops, the emulators with it, and the exit code is 0.
    let pid = demo.child.id().to_string();
    let kill = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = demo.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the demo did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        status.code(),
        Some(0),
        "log:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let rest = demo.read_until("Stopped.", &log);
    assert!(rest.iter().any(|l| l.contains("starts over")), "{rest:?}");
}

/// A folder whose deployment the demo did not write is left as it was.
#[test]
fn the_demo_refuses_a_folder_with_a_deployment_of_someone_elses() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("throughline.toml");
    std::fs::write(&config, "state = \"mine.db\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_throughline"))
        .arg("demo")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did not write; nothing was changed"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "state = \"mine.db\"\n"
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}
