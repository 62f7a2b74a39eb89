//! People matched per target, through the binary: a Trello board (the emulator) knows only the
//! people its target maps; the Excel workbook writes everyone. A task whose owner has no
//! Trello account follows `unmapped` (made without an owner, skipped, or given to an account),
//! each such person is listed once with the line to add, and a second sync has nothing to do.

use crate::common;

use common::cli::{bin, copy_example, sync_then_nothing_to_do, text, workbook_owners};
use throughline_trello::emulator::Emulator;

struct Setup {
    emu: Emulator,
    board: String,
    dir: tempfile::TempDir,
    config: std::path::PathBuf,
}

/// The content example with a Trello target that maps Dana and Avi (board members), and
/// `extra` lines in that target.
async fn setup(extra: &str) -> Setup {
    setup_with(
        "people = { \"dana@example.com\" = \"dana\", \"avi@example.com\" = \"avi\" }",
        extra,
    )
    .await
}

/// `setup` with another `people` line (empty: none).
async fn setup_with(people: &str, extra: &str) -> Setup {
    let emu = Emulator::start().await.unwrap();
    let board = emu.seed_board("Content");
    for (username, name) in [
        ("dana", "Dana Levi"),
        ("avi", "Avi Mor"),
        ("intern", "Intern"),
    ] {
        emu.add_member(&board, username, name);
    }
    let (dir, config) = copy_example("content");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str(&format!(
        r#"
[[target]]
id = "studio"
kind = "trello"
board = "{board}"
base_url = "{}"
credentials = {{ key = "env:TRELLO_KEY", token = "env:TRELLO_TOKEN" }}
{people}
{extra}
"#,
        emu.base_url()
    ));
    std::fs::write(&config, toml).unwrap();
    Setup {
        emu,
        board,
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
            .env("TRELLO_KEY", self.emu.key())
            .env("TRELLO_TOKEN", self.emu.token())
            .output()
            .unwrap()
    }

    async fn workbook_owners(&self) -> Vec<(String, Option<String>)> {
        workbook_owners(self.dir.path()).await
    }

    /// Members (usernames) of the card of a task, `None` when it has no card.
    fn card_members(&self, identity: &str) -> Option<Vec<String>> {
        self.emu.person(|p| {
            let id = p.card_with_marker(identity)?;
            Some(p.card(&id).unwrap().members)
        })
    }

    fn cards(&self) -> usize {
        self.emu.person(|p| {
            p.cards(&self.board)
                .iter()
                .filter(|c| c.list != "throughline templates")
                .count()
        })
    }

    /// A sync that must succeed, its output, then a plan that must find nothing to do.
    fn sync_twice(&self) -> String {
        sync_then_nothing_to_do(|args| self.run(args))
    }
}

const UNMAPPED: [&str; 4] = [
    "yossi@example.com",
    "maya@example.com",
    "noa@example.com",
    "eli@example.com",
];

/// Each unmapped person listed exactly once, with one line that maps them all.
fn lists_each_once(out: &str, handled: &str) {
    let mapped = ["dana@example.com", "avi@example.com"];
    common::cli::lists_each_once(out, &UNMAPPED, &mapped, "Trello username", handled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unassigned_by_default_every_task_is_made_and_unmapped_ones_have_no_owner() {
    let s = setup("").await;
    let plan = s.run(&["plan"]);
    lists_each_once(&text(&plan), "made without an owner");
    let json = s.run(&["plan", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let listed: Vec<&str> = v["unmapped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["person"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), UNMAPPED.len(), "{listed:?}");
    assert!(UNMAPPED.iter().all(|p| listed.contains(p)), "{listed:?}");
    let out = s.sync_twice();
    lists_each_once(&out, "made without an owner");

    let owners = s.workbook_owners().await;
    assert_eq!(s.cards(), owners.len(), "every task reached the board");
    let mut seen = [false; 2];
    for (identity, owner) in &owners {
        let members = s.card_members(identity).expect("a card per task");
        match owner.as_deref() {
            Some("dana@example.com") => {
                assert_eq!(members, ["dana"]);
                seen[0] = true;
            }
            Some("avi@example.com") => assert_eq!(members, ["avi"]),
            Some(other) => {
                assert!(UNMAPPED.contains(&other), "{other}");
                assert!(members.is_empty(), "{identity}: {members:?}");
                seen[1] = true;
            }
            None => {}
        }
    }
    assert_eq!(seen, [true, true], "both kinds of owner occur");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_sends_only_tasks_of_mapped_people() {
    let s = setup("unmapped = \"skip\"").await;
    let out = s.sync_twice();
    lists_each_once(&out, "not sent here");
    let owners = s.workbook_owners().await;
    let mapped = owners
        .iter()
        .filter(|(_, o)| o.as_deref().is_some_and(|o| !UNMAPPED.contains(&o)))
        .count();
    assert!(mapped > 0 && mapped < owners.len());
    for (identity, owner) in &owners {
        let skipped = owner.as_deref().is_some_and(|o| UNMAPPED.contains(&o));
        assert_eq!(
            s.card_members(identity).is_none(),
            skipped,
            "{identity} ({owner:?})"
        );
    }
    assert!(
        owners.iter().all(|(_, o)| o.is_some()),
        "the workbook keeps every owner"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_takes_the_tasks_of_unmapped_people() {
    // An account someone is mapped to, written in another case, and one nobody is mapped to.
    for (account, username) in [("Dana", "dana"), ("intern", "intern")] {
        let s = setup(&format!("unmapped = \"{account}\"")).await;
        let out = s.sync_twice();
        lists_each_once(&out, &format!("given to {account}"));
        let owners = s.workbook_owners().await;
        assert_eq!(s.cards(), owners.len());
        for (identity, owner) in &owners {
            let members = s.card_members(identity).unwrap();
            if owner.as_deref().is_some_and(|o| UNMAPPED.contains(&o)) {
                assert_eq!(members, [username], "{identity}");
            }
        }
    }
}

#[test]
fn two_people_on_one_account_is_a_located_error() {
    let (_dir, config) = copy_example("content");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str(
        r#"
[[target]]
id = "studio"
kind = "trello"
board = "b1"
credentials = { key = "env:TRELLO_KEY", token = "env:TRELLO_TOKEN" }
people = { "dana@example.com" = "dana", "noa@example.com" = "Dana" }
"#,
    );
    std::fs::write(&config, &toml).unwrap();
    let line = toml.lines().count();
    let col = toml.lines().last().unwrap().find("\"noa@").unwrap() + 1;
    for cmd in ["validate", "sync"] {
        let out = bin()
            .arg(cmd)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let t = text(&out);
        let place = format!("throughline.toml:{line}:{col}: ");
        let msg = t
            .lines()
            .find(|l| l.contains(&place))
            .unwrap_or_else(|| panic!("an error at {place}:\n{t}"));
        assert!(
            msg.contains("noa@example.com")
                && msg.contains("dana@example.com")
                && msg.contains("`Dana`")
                && msg.contains("unmapped = \"Dana\""),
            "{msg}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_on_one_account_across_the_mapping_and_the_target_is_refused() {
    let s = setup("mapping = \"mappings/trello.toml\"").await;
    std::fs::create_dir_all(s.dir.path().join("mappings")).unwrap();
    std::fs::write(
        s.dir.path().join("mappings/trello.toml"),
        "[people]\n\"noa@example.com\" = \"Dana\"\n",
    )
    .unwrap();
    let out = s.run(&["sync"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("target `studio`")
            && t.contains("`dana@example.com` and `noa@example.com` both go to the Trello account"),
        "{t}"
    );
    assert_eq!(s.cards(), 0, "nothing sent: {t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_people_map_the_line_to_add_is_a_whole_people_table() {
    let s = setup_with("", "").await;
    let out = text(&s.run(&["plan"]));
    let fixes: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("To give them one"))
        .collect();
    assert_eq!(fixes.len(), 1, "{out}");
    let line = fixes[0].split("add to the target: ").nth(1).unwrap();
    let table: toml::Table = line.parse().expect("the line is TOML as written");
    let people = table["people"].as_table().unwrap();
    assert_eq!(people.len(), UNMAPPED.len() + 2, "{line}");
    assert_eq!(
        people["dana@example.com"].as_str(),
        Some("<Trello username>")
    );
}
