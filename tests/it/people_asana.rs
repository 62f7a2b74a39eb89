//! People matched in an Asana project, through the binary and the Asana emulator: a task's
//! owner is the workspace user with their e-mail address, else the user the target's `people`
//! map names; for anyone else `unmapped` decides (made without an assignee, not sent, or given
//! to an account), each such person is listed once with the line to add, and a second plan
//! finds nothing to do. The workspace's users are listed at most once per command.

use crate::common;

use common::cli::{bin, copy_example, sync_then_nothing_to_do, text, workbook_owners};
use throughline_asana::emulator::{Emulator, Seeded};

/// Owners in the content example who are not users of the workspace.
const UNMAPPED: [&str; 3] = ["yossi@example.com", "maya@example.com", "eli@example.com"];

struct Setup {
    emu: Emulator,
    seeded: Seeded,
    dir: tempfile::TempDir,
    config: std::path::PathBuf,
}

/// The content example with an Asana target in a workspace whose users are Dana and Avi (by
/// their hub addresses), Noa under another address (`people` maps her), and an intern; the
/// other owners of the example are not users. `extra` lines go into the target.
async fn setup(extra: &str) -> Setup {
    setup_with(
        "people = { \"noa@example.com\" = \"noa.katz@example.com\" }",
        extra,
    )
    .await
}

/// `setup` with another `people` line.
async fn setup_with(people: &str, extra: &str) -> Setup {
    let emu = Emulator::start().await.unwrap();
    let seeded = emu.seed_with(&[
        ("Dana Levi", "dana@example.com"),
        ("Avi Mor", "avi@example.com"),
        ("Noa Katz", "noa.katz@example.com"),
        ("Intern", "intern@example.com"),
    ]);
    let (dir, config) = copy_example("content");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str(&format!(
        r#"
[[target]]
id = "team"
kind = "asana"
project = "{}"
workspace = "{}"
base_url = "{}"
credentials = {{ token = "env:ASANA_TOKEN" }}
{people}
{extra}
"#,
        seeded.project,
        seeded.workspace,
        emu.base_url()
    ));
    std::fs::write(&config, toml).unwrap();
    Setup {
        emu,
        seeded,
        dir,
        config,
    }
}

impl Setup {
    fn run(&self, args: &[&str]) -> std::process::Output {
        bin()
            .args(args)
            .arg("--config")
            .arg(&self.config)
            .env("ASANA_TOKEN", &self.seeded.token)
            .output()
            .unwrap()
    }

    async fn workbook_owners(&self) -> Vec<(String, Option<String>)> {
        workbook_owners(self.dir.path()).await
    }

    /// The assignee's e-mail address of the Asana task with this identity: `None` when there
    /// is no such task, `Some(None)` when it has no assignee.
    fn assignee(&self, identity: &str) -> Option<Option<String>> {
        let gid = self.emu.task_with_identity(identity)?;
        let task = self.emu.task(&gid).unwrap();
        let Some(user) = task["assignee"]["gid"].as_str() else {
            return Some(None);
        };
        let email = ["dana", "avi", "noa.katz", "intern"]
            .into_iter()
            .map(|n| format!("{n}@example.com"))
            .find(|e| self.emu.user_by_email(e).as_deref() == Some(user));
        Some(Some(email.unwrap_or_else(|| user.to_string())))
    }

    /// How often the workspace's users were listed since the last call.
    fn user_listings(&self) -> usize {
        let n = self
            .emu
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && (r.path == "/users" || r.path.ends_with("/users")))
            .count();
        self.emu.clear_requests();
        n
    }

    /// A sync that must succeed, its output, then a plan that must find nothing to do; the
    /// workspace's users listed once by each (the unmapped people are nobody's assignees).
    fn sync_twice(&self) -> String {
        self.user_listings();
        let out = sync_then_nothing_to_do(|args| self.run(args));
        assert_eq!(self.user_listings(), 2, "users listed once per command");
        out
    }
}

/// Each unmapped person listed exactly once, with one line that maps them all into the
/// target's `people` table; the people Asana knows (Noa through the map) are not listed.
fn lists_each_once(out: &str, handled: &str) {
    let known = ["dana@example.com", "avi@example.com", "noa@example.com"];
    common::cli::lists_each_once(out, &UNMAPPED, &known, "Asana e-mail", handled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unassigned_by_default_every_task_is_made_and_unmapped_ones_have_no_assignee() {
    let s = setup("").await;
    let plan = s.run(&["plan"]);
    lists_each_once(&text(&plan), "made without an owner");
    assert_eq!(s.user_listings(), 1, "users listed once by the plan");
    let out = s.sync_twice();
    lists_each_once(&out, "made without an owner");

    let owners = s.workbook_owners().await;
    let mut seen = [false; 3];
    for (identity, owner) in &owners {
        let assignee = s.assignee(identity).expect("an Asana task per task");
        match owner.as_deref() {
            Some("dana@example.com") => {
                assert_eq!(assignee.as_deref(), Some("dana@example.com"));
                seen[0] = true;
            }
            Some("noa@example.com") => {
                assert_eq!(assignee.as_deref(), Some("noa.katz@example.com"));
                seen[1] = true;
            }
            Some("avi@example.com") => {
                assert_eq!(assignee.as_deref(), Some("avi@example.com"))
            }
            Some(other) => {
                assert!(UNMAPPED.contains(&other), "{other}");
                assert_eq!(assignee, None, "{identity}");
                seen[2] = true;
            }
            None => {}
        }
    }
    assert_eq!(
        seen, [true; 3],
        "owners by e-mail, by the map, and unmapped occur"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_sends_only_tasks_of_people_with_an_account() {
    let s = setup("unmapped = \"skip\"").await;
    let out = s.sync_twice();
    lists_each_once(&out, "not sent here");
    let owners = s.workbook_owners().await;
    let skipped = owners
        .iter()
        .filter(|(_, o)| o.as_deref().is_some_and(|o| UNMAPPED.contains(&o)))
        .count();
    assert!(skipped > 0 && skipped < owners.len(), "{owners:?}");
    for (identity, owner) in &owners {
        let skip = owner.as_deref().is_some_and(|o| UNMAPPED.contains(&o));
        assert_eq!(
            s.assignee(identity).is_none(),
            skip,
            "{identity} ({owner:?})"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_takes_the_tasks_of_people_without_one() {
    // A user nobody is mapped to, and one the map names (written in another case).
    for (account, user) in [
        ("intern@example.com", "intern@example.com"),
        ("Noa.Katz@example.com", "noa.katz@example.com"),
    ] {
        let s = setup(&format!("unmapped = \"{account}\"")).await;
        let out = s.sync_twice();
        lists_each_once(&out, &format!("given to {account}"));
        for (identity, owner) in s.workbook_owners().await {
            if owner.as_deref().is_some_and(|o| UNMAPPED.contains(&o)) {
                assert_eq!(
                    s.assignee(&identity),
                    Some(Some(user.to_string())),
                    "{identity}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_that_is_not_a_user_leaves_the_tasks_unassigned() {
    let s = setup("unmapped = \"boss@example.com\"").await;
    let out = s.sync_twice();
    lists_each_once(
        &out,
        "made without an owner (unmapped = \"boss@example.com\" is not an account here either)",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_mapped_to_a_stranger_is_told_to_fix_the_entry_not_to_add_one() {
    let s = setup_with(
        "people = { \"noa@example.com\" = \"noa.katz@example.com\", \"eli@example.com\" = \"eli@elsewhere.com\" }",
        "",
    )
    .await;
    let out = text(&s.run(&["plan"]));
    let eli: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("eli@example.com: "))
        .collect();
    assert_eq!(eli.len(), 1, "{out}");
    assert!(
        eli[0].contains("mapped to `eli@elsewhere.com`, which has no account here"),
        "{out}"
    );
    let fix = out
        .lines()
        .find(|l| l.contains("To give them one"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        fix.contains("\"yossi@example.com\" = \"<Asana e-mail>\"") && !fix.contains("eli@"),
        "{fix}"
    );
}

/// The daemon's log lines (JSON) so far, from its standard error.
type Lines = std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>;

/// Wait until the daemon has logged `n` ended cycles in all; fails rather than hangs.
fn cycles_ended(lines: &Lines, n: usize) {
    let start = std::time::Instant::now();
    loop {
        let log = lines.lock().unwrap().clone();
        let ended = log.iter().filter(|v| v["message"] == "cycle ended").count();
        if ended >= n {
            return;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(300),
            "{n} cycles did not end: {log:#?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Who the daemon logged as having no account, in order.
fn logged_unmapped(lines: &Lines) -> Vec<String> {
    lines
        .lock()
        .unwrap()
        .iter()
        .filter(|v| {
            v["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("this person has no account in the target"))
        })
        .map(|v| v["person"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_logs_each_person_without_an_account_once() {
    let s = setup("").await;
    common::cli::edit(&s.config, "every = \"5m\"", "every = \"1s\"");
    let mut child = bin()
        .args(["daemon", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .arg("--config")
        .arg(&s.config)
        .env("ASANA_TOKEN", &s.seeded.token)
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines: Lines = Default::default();
    let keep = lines.clone();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Ok(v) = serde_json::from_str(&line) {
                keep.lock().unwrap().push(v);
            }
        }
    });

    cycles_ended(&lines, 3);
    let mut first = logged_unmapped(&lines);
    first.sort();
    let mut expected: Vec<String> = UNMAPPED.iter().map(|p| p.to_string()).collect();
    expected.sort();
    assert_eq!(first, expected, "each once over three cycles");

    // Yossi joins the workspace: the others are logged again, once, and Yossi no more.
    s.emu
        .add_people(&s.seeded.workspace, [("Yossi", "yossi@example.com")]);
    let seen = lines.lock().unwrap().len();
    let ended = lines.lock().unwrap()[..seen]
        .iter()
        .filter(|v| v["message"] == "cycle ended")
        .count();
    cycles_ended(&lines, ended + 3);
    let _ = child.kill();
    let _ = child.wait();
    let mut again = logged_unmapped(&lines)[first.len()..].to_vec();
    again.sort();
    assert_eq!(again, ["eli@example.com", "maya@example.com"]);
}
