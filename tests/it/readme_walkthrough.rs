//! The README's "Trying a hosted tool without an account", run as written: `throughline init`,
//! `throughline emulate ... --deployment`, the printed block pasted at the end of the
//! deployment, the printed `export` line, `throughline sync`. Every task of the example must
//! then be in the tool with its owner (nobody left unmapped, nothing refused). The same steps
//! with all three emulators pasted into one deployment, as the README says they fit.
//!
//! The one change to the commands: the emulators listen on a free port (`127.0.0.1:0`) instead
//! of the README's fixed one, so tests can run side by side. `throughline demo` from the same
//! section has a test of its own (tests/it/demo.rs).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SECTION: &str = "### Trying a hosted tool without an account";

/// The shell lines of the section's code blocks, but `throughline demo`.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme.find(SECTION).expect("the README has the section");
    let section = &readme[start..];
    let section = &section[..section[SECTION.len()..]
        .find("\n## ")
        .map_or(section.len(), |i| i + SECTION.len())];
    let mut out = Vec::new();
    let mut in_block = false;
    for line in section.lines() {
        if line.starts_with("```") {
            in_block = line == "```sh";
            continue;
        }
        if in_block && !line.trim().is_empty() && !line.starts_with("throughline demo") {
            out.push(line.trim().to_owned());
        }
    }
    out
}

/// An emulator started by the walkthrough; killed when the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What `emulate` printed: the block to paste and the `export` line.
struct Printed {
    block: String,
    exports: Vec<(String, String)>,
}

fn start_emulator(cwd: &Path, args: &[String]) -> (Running, Printed) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_throughline"))
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("`{}` stopped printing ({e}): {lines:?}", args.join(" ")));
        let last = line.contains("Stop it with Ctrl-C");
        lines.push(line);
        if last {
            break;
        }
    }
    let from = lines
        .iter()
        .position(|l| l == "[[target]]")
        .unwrap_or_else(|| panic!("no [[target]] block in {lines:?}"));
    let block: Vec<&str> = lines[from..]
        .iter()
        .take_while(|l| !l.is_empty())
        .map(String::as_str)
        .collect();
    let exports = lines
        .iter()
        .find_map(|l| l.strip_prefix("export "))
        .unwrap_or_else(|| panic!("no export line in {lines:?}"))
        .split_whitespace()
        .map(|pair| {
            let (name, value) = pair.split_once('=').expect("NAME=value");
            (name.to_owned(), value.to_owned())
        })
        .collect();
    (
        running,
        Printed {
            block: block.join("\n") + "\n",
            exports,
        },
    )
}

fn throughline(cwd: &Path, args: &[String], env: &[(String, String)]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_throughline"))
        .args(args)
        .current_dir(cwd)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "`throughline {}` failed:\n{stdout}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Run the README's commands in `cwd`, with one emulator per tool in `tools` (the README's
/// `emulate trello` line, with its tool swapped for each). Returns the sync's output and the
/// secrets the export lines set.
fn walk_through(cwd: &Path, tools: &[&str]) -> (String, Vec<(String, String)>, Vec<Running>) {
    let commands = readme_commands();
    let kinds: Vec<&str> = commands
        .iter()
        .map(|c| c.split_whitespace().take(2).last().unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        ["init", "emulate", "TRELLO_KEY=...", "sync"],
        "the README's walkthrough changed: {commands:?}"
    );
    let mut env: Vec<(String, String)> = Vec::new();
    let mut emulators = Vec::new();
    let mut synced = String::new();
    let mut blocks = Vec::new();
    for command in &commands {
        let words: Vec<String> = command
            .split_whitespace()
            .map(|w| w.replace("127.0.0.1:8800", "127.0.0.1:0"))
            .collect();
        match words[0].as_str() {
            "export" => {
                // "run the `export` line it printed"
                for printed in &blocks {
                    let Printed { exports, .. } = printed;
                    env.extend(exports.iter().cloned());
                }
            }
            "throughline" if words[1] == "emulate" => {
                assert_eq!(words[2], "trello", "{command}");
                for tool in tools {
                    let mut args = words[1..].to_vec();
                    args[1] = tool.to_string();
                    let (running, printed) = start_emulator(cwd, &args);
                    // "paste the block at the end of try-it/throughline.toml"
                    let deployment = cwd.join("try-it/throughline.toml");
                    let mut text = std::fs::read_to_string(&deployment).unwrap();
                    text.push('\n');
                    text.push_str(&printed.block);
                    std::fs::write(&deployment, text).unwrap();
                    emulators.push(running);
                    blocks.push(printed);
                }
            }
            "throughline" => {
                let out = throughline(cwd, &words[1..], &env);
                if words[1] == "sync" {
                    synced = out;
                }
            }
            other => panic!("the README runs `{other}`, which this test does not know"),
        }
    }
    (synced, env, emulators)
}

/// Every target of the deployment holds every task of the example, each with its owner, read
/// back through the connectors. The secrets go to files for this check only (this process
/// must not change its own environment).
async fn assert_every_task_synced(cwd: &Path, env: &[(String, String)], targets: usize) {
    let dir = cwd.join("try-it");
    let mut text = std::fs::read_to_string(dir.join("throughline.toml")).unwrap();
    for (name, value) in env {
        std::fs::write(dir.join(name), value).unwrap();
        text = text.replace(&format!("\"env:{name}\""), &format!("\"file:{name}\""));
    }
    let check = dir.join("check.toml");
    std::fs::write(&check, text).unwrap();
    let dep = throughline::model::load(&check).expect("the pasted deployment is valid");
    assert_eq!(dep.targets.len(), targets);
    let schedule = throughline::schedule::schedule_at(&dep, jiff::Timestamp::now());
    let expected: BTreeMap<&str, Option<&str>> = schedule
        .tasks
        .iter()
        .map(|t| (t.id.as_str(), t.owner.as_deref()))
        .collect();
    assert!(
        expected.len() > 100,
        "the example has {} tasks",
        expected.len()
    );
    assert!(expected.values().all(Option::is_some));
    let runs = throughline::engine::connectors::open_targets(&dep, &schedule).unwrap();
    for mut run in runs {
        let obs = run.connector.observe(None).await.unwrap();
        let seen: BTreeMap<&str, Option<&str>> = obs
            .tasks
            .iter()
            .filter(|t| !t.archived)
            .filter_map(|t| Some((t.identity.as_deref()?, t.fields.owner.as_deref())))
            .collect();
        assert_eq!(
            seen, expected,
            "target `{}`: every task, with its owner",
            run.id
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_walkthrough_syncs_every_task_of_the_example() {
    let tmp = tempfile::tempdir().unwrap();
    let (synced, env, _emulators) = walk_through(tmp.path(), &["trello"]);
    assert!(
        !synced.contains("no account"),
        "someone was left without an account:\n{synced}"
    );
    // The workbook of the example, and the pasted Trello board.
    assert_every_task_synced(tmp.path(), &env, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_three_emulators_pasted_into_one_deployment_sync_every_task() {
    let tmp = tempfile::tempdir().unwrap();
    let (synced, env, _emulators) = walk_through(tmp.path(), &["trello", "asana", "sheets"]);
    assert!(
        !synced.contains("no account"),
        "someone was left without an account:\n{synced}"
    );
    let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["TRELLO_KEY", "TRELLO_TOKEN", "ASANA_TOKEN", "GOOGLE_TOKEN"]
    );
    assert_every_task_synced(tmp.path(), &env, 4).await;
}

/// The `--people` file the README describes: `Name <address>` or a plain address per line,
/// blank lines and `#` comments skipped; the block maps each address to its Trello username.
#[test]
fn a_people_file_seeds_the_board_and_the_block_maps_everyone() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("people.txt"),
        "# the writers\nDana Levi <dana@example.com>\n\nmaya.cohen@example.com\n",
    )
    .unwrap();
    let args: Vec<String> = [
        "emulate",
        "trello",
        "--people",
        "people.txt",
        "--listen",
        "127.0.0.1:0",
    ]
    .map(String::from)
    .to_vec();
    let (_running, printed) = start_emulator(tmp.path(), &args);
    let people = printed
        .block
        .lines()
        .find(|l| l.starts_with("people = "))
        .unwrap_or_else(|| panic!("no people map in:\n{}", printed.block));
    assert_eq!(
        people,
        r#"people = { "dana@example.com" = "dana", "maya.cohen@example.com" = "mayacohen" }"#
    );
}

#[test]
fn a_line_of_the_people_file_that_is_not_a_person_is_named_with_its_place() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("people.txt"),
        "dana@example.com\nYossi Cohen\nNoa <noa@example.com\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_throughline"))
        .args(["emulate", "trello", "--people", "people.txt"])
        .args(["--listen", "127.0.0.1:0"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing started");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("people.txt:2:1: `Yossi Cohen` is not a person"),
        "{err}"
    );
    assert!(
        err.contains("people.txt:3:1: `Noa <noa@example.com` is not a person"),
        "{err}"
    );
}
