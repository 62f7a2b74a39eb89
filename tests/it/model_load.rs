//! A valid deployment loads with every default applied and every reference resolved: `after`
//! omitted or empty, checklist keys from ids and from text (Hebrew too), paths relative to the
//! file that names them, file order, the kinds' settings.

use std::fs;
use std::path::Path;
use std::time::Duration;

use jiff::civil::{Weekday, date};
use throughline::model::{self, ConflictPolicy, Lang, SecretRef, StateLocation};

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

const CONFIG: &str = r#"
playbooks = ["playbooks/*.toml"]
items = ["items/late/*.toml", "items/*.toml"]

[sync]
every = "90s"
conflict = "writers"
max_archive_share = 0.1

[[target]]
id = "studio"
kind = "trello"
mapping = "mappings/trello.toml"
board = "5f1a0c"
only = { roles = ["designer"], stages = ["design"] }
credentials = { key = "env:TRELLO_KEY", token = "file:secrets/trello-token" }
base_url = "http://127.0.0.1:9000/1"
people = { "rina@example.com" = "rinadesign" }

[[target]]
id = "writers"
kind = "excel"
path = "plans/writers.xlsx"
"#;

const CONTENT: &str = r#"
[process]
id = "content"
name = "Content pipeline"
timezone = "asia/jerusalem"
workweek = ["Sunday", "mon", "TUE", "wed", "thursday"]
holidays = ["2026-12-15", 2026-12-24]

[roles.campaign]
name = "Campaign manager"
people = ["dana@example.com", "noa@example.com"]
backup = "noa@example.com"
away = [{ who = "dana@example.com", from = 2026-12-20, to = "2026-12-27" }]

[roles.writer]
people = ["yossi@example.com"]
max_parallel = 2

[roles.designer]
people = ["rina@example.com"]

[[stage]]
id = "idea"
name = "Idea and brief"
owner = "campaign"
days = 2
checklist = [
  "Record where the idea came from",
  { id = "brief-ok", text = "Brief approved", role = "campaign" },
]

[[stage]]
id = "copy"
owner = "writer"
days = 3

[[stage]]
id = "design"
owner = "designer"
days = 3
after = ["idea"]

[[stage]]
id = "approval"
owner = "campaign"
days = 1
after = ["copy", "design", "copy"]

[[stage]]
id = "publish"
owner = "campaign"
days = 0

[[stage]]
id = "ideas-bank"
owner = "writer"
days = 1
after = []
"#;

const LAUNCH: &str = r#"
[process]
id = "launch"
name = "השקת הרשת הפנימית"
timezone = "Asia/Jerusalem"
lang = "he"

[roles."תקשורת"]
name = "תקשורת פנימית"
people = ["shira@example.com"]

[[stage]]
id = "ניתוח"
name = "ניתוח הארגון"
owner = "תקשורת"
days = 2
checklist = ["מיפוי מחלקות ויחידות", "סקר: שימוש ברשתות חברתיות"]
"#;

const ITEMS: &str = r#"
[[item]]
id = "spring-sale"
process = "content"
title = "Spring sale announcement"
golive = 2026-12-10
people = { writer = "guest@example.com" }
skip = ["design", "design"]
channel = "instagram"
notes = "Ask legal about the small print"

[[cadence]]
id = "weekly-tip"
process = "content"
on = ["tue", "thu", "tuesday"]
from = "2026-12-01"
until = 2027-03-01
"#;

const LATE: &str = r#"
[[item]]
id = "השקה-2027"
process = "launch"
golive = 2027-03-10
"#;

fn deployment_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ops");
    write(&root, "throughline.toml", CONFIG);
    write(&root, "playbooks/content.toml", CONTENT);
    write(&root, "playbooks/launch.toml", LAUNCH);
    write(&root, "items/b-posts.toml", ITEMS);
    write(&root, "items/a-empty.toml", "# nothing planned yet\n");
    write(&root, "items/late/launch.toml", LATE);
    write(&root, "mappings/trello.toml", "# default\n");
    dir
}

#[test]
fn a_valid_deployment_resolves_defaults_keys_and_paths() {
    let dir = deployment_dir();
    let root = dir.path().join("ops");
    let config = root.join("throughline.toml");
    let dep = model::load(&config).unwrap_or_else(|d| panic!("{d}"));

    assert_eq!(dep.config_path, config);
    assert_eq!(dep.root, root);
    assert_eq!(
        dep.state,
        StateLocation::Sqlite(root.join("throughline.db"))
    );
    assert_eq!(dep.sync.every, Some(Duration::from_secs(90)));
    assert_eq!(dep.sync.cron, None);
    assert_eq!(dep.sync.conflict, ConflictPolicy::Target("writers".into()));
    assert_eq!(dep.sync.max_archive_share, 0.1);

    // Playbooks in path order; each with its own file.
    let ids: Vec<&str> = dep.processes.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["content", "launch"]);
    let content = dep.process("content").unwrap();
    assert_eq!(content.file, root.join("playbooks/content.toml"));
    assert_eq!(
        content.timezone_name, "Asia/Jerusalem",
        "the time zone's own spelling"
    );
    assert_eq!(
        content.workweek,
        [
            Weekday::Sunday,
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday
        ]
    );
    assert_eq!(
        content.holidays.iter().copied().collect::<Vec<_>>(),
        [date(2026, 12, 15), date(2026, 12, 24)]
    );
    assert_eq!(content.lang, Lang::En);

    let roles: Vec<&str> = content.roles.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        roles,
        ["campaign", "writer", "designer"],
        "roles in file order"
    );
    let campaign = content.role("campaign").unwrap();
    assert_eq!(campaign.backup.as_deref(), Some("noa@example.com"));
    assert_eq!(campaign.away.len(), 1);
    assert_eq!(
        (campaign.away[0].from, campaign.away[0].to),
        (date(2026, 12, 20), date(2026, 12, 27))
    );
    assert_eq!(content.role("writer").unwrap().max_parallel, Some(2));
    assert_eq!(
        content.role("writer").unwrap().name,
        "writer",
        "name defaults to the id"
    );

    let after = |id: &str| content.stage(id).unwrap().after.clone();
    assert!(
        after("idea").is_empty(),
        "the first stage waits for nothing"
    );
    assert_eq!(after("copy"), ["idea"], "omitted: the stage before it");
    assert_eq!(after("design"), ["idea"]);
    assert_eq!(
        after("approval"),
        ["copy", "design"],
        "written order, each once"
    );
    assert_eq!(after("publish"), ["approval"]);
    assert!(after("ideas-bank").is_empty(), "after = [] means none");
    assert_eq!(content.stage("publish").unwrap().days, 0);
    assert_eq!(content.stage("copy").unwrap().name, "copy");

    let idea = content.stage("idea").unwrap();
    assert_eq!(idea.name, "Idea and brief");
    let keys: Vec<(&str, &str, Option<&str>)> = idea
        .checklist
        .iter()
        .map(|e| (e.key.as_str(), e.text.as_str(), e.role.as_deref()))
        .collect();
    assert_eq!(
        keys,
        [
            (
                "record-where-the-idea-came-from",
                "Record where the idea came from",
                None
            ),
            ("brief-ok", "Brief approved", Some("campaign")),
        ]
    );

    // Hebrew is kept exactly as written, and slugs stay Hebrew.
    let launch = dep.process("launch").unwrap();
    assert_eq!(launch.name, "השקת הרשת הפנימית");
    assert_eq!(launch.lang, Lang::He);
    assert_eq!(
        launch.workweek,
        [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday
        ],
        "Mon–Fri by default"
    );
    assert_eq!(launch.roles[0].id, "תקשורת");
    let analysis = launch.stage("ניתוח").unwrap();
    assert_eq!(analysis.owner, "תקשורת");
    let keys: Vec<&str> = analysis.checklist.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["מיפוי-מחלקות-ויחידות", "סקר-שימוש-ברשתות-חברתיות"]);

    // Items: patterns in the order written, files sorted within each pattern.
    let items: Vec<&str> = dep.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(items, ["השקה-2027", "spring-sale"]);
    let sale = &dep.items[1];
    assert_eq!(sale.title, "Spring sale announcement");
    assert_eq!(sale.golive, date(2026, 12, 10));
    assert_eq!(
        sale.people.get("writer").map(String::as_str),
        Some("guest@example.com")
    );
    assert_eq!(sale.skip, ["design"]);
    assert_eq!(sale.channel.as_deref(), Some("instagram"));
    assert_eq!(
        sale.notes.as_deref(),
        Some("Ask legal about the small print")
    );
    assert_eq!(sale.cadence, None);
    assert_eq!(dep.items[0].title, "השקה-2027", "title defaults to the id");

    let tip = &dep.cadences[0];
    assert_eq!(tip.on, [Weekday::Tuesday, Weekday::Thursday]);
    assert_eq!((tip.from, tip.until), (date(2026, 12, 1), date(2027, 3, 1)));
    assert_eq!(tip.title, "weekly-tip {date}");

    // Targets: paths against the config's folder; other keys kept as settings.
    let studio = dep.target("studio").unwrap();
    assert_eq!(studio.kind.as_str(), "trello");
    assert_eq!(
        studio.mapping.as_deref(),
        Some(root.join("mappings/trello.toml").as_path())
    );
    assert_eq!(
        studio.credentials["key"],
        SecretRef::Env("TRELLO_KEY".into())
    );
    assert_eq!(
        studio.credentials["token"],
        SecretRef::File(root.join("secrets/trello-token"))
    );
    assert_eq!(studio.base_url.as_deref(), Some("http://127.0.0.1:9000/1"));
    assert_eq!(studio.only.roles.iter().collect::<Vec<_>>(), ["designer"]);
    assert_eq!(studio.only.stages.iter().collect::<Vec<_>>(), ["design"]);
    assert!(studio.only.items.is_empty() && studio.only.processes.is_empty());
    assert_eq!(
        studio.settings.get("board").and_then(|v| v.as_str()),
        Some("5f1a0c")
    );
    assert_eq!(
        studio.settings["people"]
            .get("rina@example.com")
            .and_then(|v| v.as_str()),
        Some("rinadesign")
    );
    assert!(
        !studio.settings.contains_key("credentials"),
        "only the kind's own keys are settings"
    );
    assert_eq!(studio.origin, format!("{}:10:1", config.display()));

    let writers = dep.target("writers").unwrap();
    assert_eq!(writers.kind.as_str(), "excel");
    assert_eq!(writers.mapping, None);
    assert!(writers.only.is_all());
    assert_eq!(
        writers.settings.get("path").and_then(|v| v.as_str()),
        Some("plans/writers.xlsx")
    );
}

#[test]
fn a_postgres_state_is_a_url_and_the_config_is_never_read_as_a_playbook() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "throughline.toml",
        "state = \"postgres://hub@db/throughline\"\nplaybooks = [\"*.toml\"]\n\n[sync]\ncron = \"*/10 * * * mon-fri\"\n",
    );
    write(root, "content.toml", CONTENT);
    // A pattern that also matches throughline.toml itself must not read it as a playbook.
    let dep = model::load(&root.join("throughline.toml")).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(
        dep.state,
        StateLocation::Url("postgres://hub@db/throughline".into())
    );
    assert_eq!(dep.sync.every, None);
    assert_eq!(dep.sync.cron.as_deref(), Some("*/10 * * * mon-fri"));
    assert_eq!(dep.sync.conflict, ConflictPolicy::Newest);
    assert_eq!(dep.sync.max_archive_share, 0.25);
    assert_eq!(dep.processes.len(), 1);
    assert!(dep.items.is_empty() && dep.targets.is_empty());
}

#[test]
fn one_process_needs_no_process_key_on_items_but_two_do() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "throughline.toml",
        "playbooks = [\"playbooks/*.toml\"]\nitems = [\"items.toml\"]\n",
    );
    write(root, "playbooks/content.toml", CONTENT);
    write(
        root,
        "items.toml",
        "[[item]]\nid = \"x\"\ngolive = 2026-12-10\n",
    );
    let dep = model::load(&root.join("throughline.toml")).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(dep.items[0].process, "content");

    write(root, "playbooks/launch.toml", LAUNCH);
    let problems = model::load(&root.join("throughline.toml")).unwrap_err();
    let messages: Vec<String> = problems.iter().map(|d| d.to_string()).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].ends_with(
        "items.toml:1:1: this item has no `process`, and this deployment has several (content, launch); add one, like process = \"content\""
    ));
}

/// `[limits] tasks_per_playbook` moves the limit both ways: a daily cadence over a year
/// through six stages (2,190 tasks) passes the default 5,000 and fails a limit of 1,000; a
/// decade of it (21,912 tasks) fails the default and passes once the limit is raised.
#[test]
fn the_tasks_per_playbook_limit_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "playbooks/content.toml", CONTENT);
    let cadence = |until: &str| {
        format!(
            "[[cadence]]\nid = \"daily\"\nprocess = \"content\"\non = [\"sun\", \"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\"]\nfrom = 2026-01-01\nuntil = {until}\n"
        )
    };
    let config = |limits: &str| {
        format!("playbooks = [\"playbooks/*.toml\"]\nitems = [\"items.toml\"]\n{limits}")
    };
    let stages = model::load(&{
        write(root, "throughline.toml", &config(""));
        write(root, "items.toml", &cadence("2026-12-31"));
        root.join("throughline.toml")
    })
    .unwrap_or_else(|d| panic!("{d}"))
    .processes[0]
        .stages
        .len();
    assert_eq!(stages, 6);

    write(
        root,
        "throughline.toml",
        &config("[limits]\ntasks_per_playbook = 1000\n"),
    );
    let problems = model::load(&root.join("throughline.toml")).unwrap_err();
    let messages: Vec<String> = problems.iter().map(|d| d.to_string()).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0]
            .contains("items.toml:6:9: cadence `daily` makes 2,190 tasks (365 dates × 6 stages)"),
        "{messages:?}"
    );

    write(root, "items.toml", &cadence("2035-12-31"));
    write(
        root,
        "throughline.toml",
        &config("[limits]\ntasks_per_playbook = 25000\n"),
    );
    model::load(&root.join("throughline.toml")).unwrap_or_else(|d| panic!("{d}"));
    write(root, "throughline.toml", &config(""));
    let problems = model::load(&root.join("throughline.toml")).unwrap_err();
    assert!(
        problems.iter().any(|d| d
            .message
            .contains("makes 21,912 tasks (3,652 dates × 6 stages)")),
        "{problems}"
    );
}

/// Every shipped mapping, named by a target of its kind, validates as it is: the documented
/// defaults are what `validate` checks a copy against.
#[test]
fn the_shipped_mappings_validate() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "playbooks/content.toml", CONTENT);
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings");
    let mut config = String::from("playbooks = [\"playbooks/*.toml\"]\n");
    for (id, kind, location, file) in [
        ("board", "trello", "board = \"5f1a0c\"", "trello.toml"),
        (
            "managers",
            "asana",
            "project = \"1\"\nworkspace = \"2\"",
            "asana.toml",
        ),
        (
            "sheet",
            "google-sheets",
            "spreadsheet = \"1BxiM\"",
            "sheets.toml",
        ),
        ("book", "excel", "path = \"plan.xlsx\"", "excel.toml"),
    ] {
        let text = fs::read_to_string(shipped.join(file)).unwrap();
        write(root, &format!("mappings/{file}"), &text);
        config.push_str(&format!(
            "\n[[target]]\nid = \"{id}\"\nkind = \"{kind}\"\n{location}\nmapping = \"mappings/{file}\"\n"
        ));
    }
    write(root, "throughline.toml", &config);
    let dep = model::load(&root.join("throughline.toml")).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(dep.targets.len(), 4);
}
