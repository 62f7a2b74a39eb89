//! `throughline import` on the layouts teams really keep their plans in: trackers in English and
//! Hebrew, content calendars titled "Caption" or "Concept", project plans with phases, indented
//! sub-tasks and weeks, checklists, a monday.com style export with group rows (the Asana and
//! Trello exports are in `import_exports`). `tests/fixtures/import/make_corpus.py` makes them
//! afresh on every run (openpyxl, csv, json); each is checked field by field against the
//! playbooks, items and statuses it must give. Then the limits: what is refused, and that
//! nothing is written when it is.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use throughline::import::progress::Progress;
use throughline::import::status::RowStatus;
use throughline::import::{ImportError, Kind, Options, Plan, prepare};
use throughline::state::{SqliteStore, StateStore};
use throughline_connector::State;

/// The corpus, made once per test run into a folder that lives as long as the process.
pub(super) fn corpus() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/make_corpus.py");
        let out = Command::new("python3")
            .arg(&script)
            .arg(&dir)
            .output()
            .expect("python3 runs (tests/requirements.txt lists openpyxl)");
        assert!(
            out.status.success(),
            "make_corpus.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

pub(super) fn options(file: &Path, out: &Path) -> Options {
    Options {
        file: file.to_string_lossy().into_owned(),
        kind: None,
        sheet: None,
        map: None,
        encoding: None,
        out: out.to_path_buf(),
        progress: Progress::hidden(),
    }
}

pub(super) fn import(name: &str) -> Plan {
    let out = tempfile::tempdir().unwrap();
    let plan = prepare(&options(&corpus().join(name), out.path()))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    plan.check()
        .unwrap_or_else(|e| panic!("{name}: the files do not load: {e}"));
    plan
}

pub(super) fn file(plan: &Plan, path: &str) -> toml::Table {
    let f = plan
        .files
        .iter()
        .find(|f| f.path == Path::new(path))
        .unwrap_or_else(|| {
            panic!(
                "no {path} among {:?}",
                plan.files.iter().map(|f| &f.path).collect::<Vec<_>>()
            )
        });
    toml::from_str(&f.contents).unwrap_or_else(|e| panic!("{path}: {e}\n{}", f.contents))
}

fn paths(plan: &Plan) -> Vec<String> {
    plan.files
        .iter()
        .map(|f| f.path.to_string_lossy().into_owned())
        .collect()
}

/// `(id, process, title, golive, owner)` of every item.
pub(super) fn items(t: &toml::Table) -> Vec<(String, String, String, String, String)> {
    t["item"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().into(),
                i["process"].as_str().unwrap().into(),
                i["title"].as_str().unwrap().into(),
                i["golive"].to_string(),
                i.get("people")
                    .and_then(|p| p.get("owner"))
                    .and_then(|o| o.as_str())
                    .unwrap_or("")
                    .into(),
            )
        })
        .collect()
}

pub(super) fn row(v: (&str, &str, &str, &str, &str)) -> (String, String, String, String, String) {
    (v.0.into(), v.1.into(), v.2.into(), v.3.into(), v.4.into())
}

/// `(id, name, owner, days, after_golive)` of every stage.
pub(super) fn stages(t: &toml::Table) -> Vec<(String, String, String, i64, Option<i64>)> {
    t["stage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().into(),
                s["name"].as_str().unwrap().into(),
                s["owner"].as_str().unwrap().into(),
                s["days"].as_integer().unwrap(),
                s.get("after_golive").and_then(|a| a.as_integer()),
            )
        })
        .collect()
}

pub(super) fn stage(
    id: &str,
    name: &str,
    owner: &str,
    days: i64,
    after: Option<i64>,
) -> (String, String, String, i64, Option<i64>) {
    (id.into(), name.into(), owner.into(), days, after)
}

pub(super) fn checklist(t: &toml::Table, i: usize) -> Vec<String> {
    t["stage"][i]
        .get("checklist")
        .and_then(|c| c.as_array())
        .map(|c| {
            c.iter()
                .map(|e| {
                    e.as_str()
                        .or_else(|| e.get("text").and_then(|t| t.as_str()))
                        .unwrap()
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn people(t: &toml::Table, role: &str) -> Vec<String> {
    t["roles"][role]["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
}

pub(super) fn statuses(plan: &Plan) -> Vec<(String, RowStatus)> {
    plan.statuses
        .iter()
        .map(|s| (s.identity.clone(), s.status))
        .collect()
}

pub(super) fn st(id: &str, s: RowStatus) -> (String, RowStatus) {
    (id.into(), s)
}

fn problems(plan: &Plan) -> Vec<String> {
    plan.report.problems.iter().map(|p| p.to_string()).collect()
}

#[test]
fn english_tracker_is_a_one_stage_process_with_owners_dates_and_status() {
    let p = import("tracker_en.xlsx");
    assert_eq!(p.report.kind, Some(Kind::Tasks));
    let why = p.report.kind_guess.clone().unwrap();
    assert!(
        why.contains("task tracker") && why.contains("C \"Due date\""),
        "{why}"
    );
    assert!(
        !why.contains("no date"),
        "the report never says something false: {why}"
    );
    assert_eq!(
        paths(&p),
        [
            "playbooks/launch-tasks.toml",
            "items/tracker-en.toml",
            "throughline.toml"
        ]
    );
    let pb = file(&p, "playbooks/launch-tasks.toml");
    assert_eq!(pb["process"]["name"].as_str(), Some("Launch tasks"));
    assert_eq!(stages(&pb), [stage("task", "Task", "owner", 1, None)]);
    assert_eq!(
        people(&pb, "owner"),
        ["Dana Levi", "Noa Cohen", "Yossi Mizrahi"]
    );
    let t = file(&p, "items/tracker-en.toml");
    let pr = "launch-tasks";
    assert_eq!(
        items(&t),
        [
            row((
                "write-the-brief",
                pr,
                "Write the brief",
                "2026-03-02",
                "Dana Levi"
            )),
            row((
                "design-the-banner",
                pr,
                "Design the banner",
                "2026-03-04",
                "Noa Cohen"
            )),
            row((
                "book-the-newsletter-slot",
                pr,
                "Book the newsletter slot",
                "2026-03-05",
                "Dana Levi"
            )),
            row((
                "legal-review",
                pr,
                "Legal review",
                "2026-03-06",
                "Yossi Mizrahi"
            )),
            row((
                "publish-the-landing-page",
                pr,
                "Publish the landing page",
                "2026-03-09",
                "Noa Cohen"
            )),
        ]
    );
    assert_eq!(
        statuses(&p),
        [
            st("write-the-brief/task", RowStatus::Done),
            st("design-the-banner/task", RowStatus::Doing),
            st("book-the-newsletter-slot/task", RowStatus::Todo),
            st("legal-review/task", RowStatus::Blocked),
        ]
    );
    assert!(problems(&p).is_empty(), "{:?}", problems(&p));
    let status = p.report.status.clone().unwrap();
    assert!(
        status.starts_with(
            "1 done, 1 blocked, 1 doing, 1 to do; the 3 tasks not to do are recorded in the state file"
        ),
        "{status}"
    );
    assert!(
        p.report.scores.as_deref().unwrap().starts_with("tracker 9"),
        "{:?}",
        p.report.scores
    );
}

#[test]
fn hebrew_tracker_keeps_its_words_dates_and_status() {
    let p = import("tracker_he.xlsx");
    assert_eq!(p.report.kind, Some(Kind::Tasks));
    let pb = file(&p, "playbooks/משימות-השקה.toml");
    assert_eq!(pb["process"]["lang"].as_str(), Some("he"));
    assert_eq!(pb["process"]["workweek"][0].as_str(), Some("sun"));
    assert_eq!(stages(&pb), [stage("task", "משימה", "owner", 1, None)]);
    let t = file(&p, "items/tracker-he.toml");
    let pr = "משימות-השקה";
    assert_eq!(
        items(&t),
        [
            row(("לכתוב-בריף", pr, "לכתוב בריף", "2026-03-01", "דנה")),
            row(("לעצב-באנר", pr, "לעצב באנר", "2026-03-04", "נועה")),
            row(("לתאם-צילום", pr, "לתאם צילום", "2026-03-10", "יוסי")),
        ]
    );
    assert_eq!(
        statuses(&p),
        [
            st("לכתוב-בריף/task", RowStatus::Done),
            st("לעצב-באנר/task", RowStatus::Doing),
            st("לתאם-צילום/task", RowStatus::Todo),
        ]
    );
}

#[test]
fn calendars_titled_caption_or_concept_become_items() {
    let p = import("calendar_caption.xlsx");
    assert_eq!(p.report.kind, Some(Kind::Items));
    let t = file(&p, "items/calendar-caption.toml");
    let rows = items(&t);
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0],
        row((
            "behind-the-scenes-of-our-spring-shoot-spring",
            "content",
            "Behind the scenes of our spring shoot #spring",
            "2026-04-01",
            ""
        ))
    );
    assert_eq!(t["item"][2]["channel"].as_str(), Some("Reels"));
    // "Posted" is done: every stage of the item's process (the starter's one stage) is done.
    assert_eq!(
        statuses(&p),
        [st(
            "behind-the-scenes-of-our-spring-shoot-spring/publish",
            RowStatus::Done
        )]
    );

    let p = import("calendar_concept.csv");
    assert_eq!(p.report.kind, Some(Kind::Items));
    let t = file(&p, "items/calendar-concept.toml");
    assert_eq!(
        items(&t),
        [
            row((
                "customer-story-acme-saves-10-hours-a-week",
                "content",
                "Customer story: Acme saves 10 hours a week",
                "2026-05-04",
                "Dana Levi"
            )),
            row((
                "webinar-teaser-video",
                "content",
                "Webinar teaser video",
                "2026-05-06",
                "Noa Cohen"
            )),
            row((
                "product-update-roundup",
                "content",
                "Product update roundup",
                "2026-05-11",
                "Dana Levi"
            )),
        ]
    );
    assert_eq!(t["item"][0]["notes"].as_str(), Some("Needs quote approval"));
    assert_eq!(t["item"][1]["channel"].as_str(), Some("LinkedIn"));
}

#[test]
fn a_project_plan_with_phases_indents_and_weeks_is_a_playbook() {
    let p = import("plan_phases.xlsx");
    assert_eq!(p.report.kind, Some(Kind::Playbook));
    let pb = file(&p, "playbooks/plan-phases.toml");
    // Weeks are five business days; a phase without its own duration adds up its steps'; a
    // duration of 0 is a milestone.
    assert_eq!(
        stages(&pb),
        [
            stage("discovery", "Discovery", "strategy", 10, None),
            stage("design", "Design", "design", 15, None),
            stage("launch", "Launch", "pm", 0, None),
        ]
    );
    assert_eq!(
        checklist(&pb, 0),
        ["Stakeholder interviews", "Competitor review"]
    );
    assert_eq!(checklist(&pb, 1), ["Wireframes", "Visual design"]);
    assert!(checklist(&pb, 2).is_empty());
    let layout = p.report.layout.join("\n");
    assert!(layout.contains("counts weeks"), "{layout}");
}

#[test]
fn an_outlined_plan_with_durations_in_words_is_a_playbook() {
    let p = import("plan_outline.xlsx");
    assert_eq!(p.report.kind, Some(Kind::Playbook));
    let pb = file(&p, "playbooks/plan-outline.toml");
    // 2 days + "2-3 days" (the upper bound, with a note); 1w + 3 days.
    assert_eq!(
        stages(&pb),
        [
            stage("plan-the-campaign", "Plan the campaign", "lead", 5, None),
            stage("make-the-assets", "Make the assets", "studio", 8, None),
        ]
    );
    assert_eq!(checklist(&pb, 0), ["Set goals", "Pick channels"]);
    assert_eq!(checklist(&pb, 1), ["Shoot", "Edit"]);
    assert_eq!(
        problems(&p),
        ["Schedule!B4: \"2-3 days\" is a range; the longer end was taken"]
    );
}

#[test]
fn a_checklist_in_english_and_one_in_hebrew_weeks() {
    let p = import("checklist.csv");
    assert_eq!(p.report.kind, Some(Kind::Playbook));
    let why = p.report.kind_guess.clone().unwrap();
    assert!(why.contains("no date column"), "{why}");
    let pb = file(&p, "playbooks/checklist.toml");
    assert_eq!(
        stages(&pb),
        [
            stage("brief", "Brief", "campaign", 2, None),
            stage("copy", "Copy", "writer", 3, None),
            stage("publish", "Publish", "social", 0, None),
        ]
    );
    assert_eq!(checklist(&pb, 0), ["Write the brief", "Get it approved"]);
    assert_eq!(checklist(&pb, 1), ["Draft the copy", "Proofread"]);
    assert_eq!(
        pb["stage"][1]["checklist"][1]["role"].as_str(),
        Some("editor")
    );

    let p = import("checklist_he_weeks.csv");
    assert_eq!(p.report.kind, Some(Kind::Playbook));
    let pb = file(&p, "playbooks/checklist-he-weeks.toml");
    assert_eq!(
        stages(&pb),
        [
            stage("תכנון", "תכנון", "מנהלת", 5, None),
            stage("הפקה", "הפקה", "סטודיו", 10, None),
        ]
    );
    assert_eq!(checklist(&pb, 1), ["צילום"]);
}

#[test]
fn a_monday_export_with_group_rows_gives_an_item_per_group() {
    let p = import("monday_export.xlsx");
    assert_eq!(p.report.kind, Some(Kind::Tasks));
    let t = file(&p, "items/monday-export.toml");
    assert_eq!(
        items(&t),
        [
            row((
                "q2-campaign",
                "q2-campaign",
                "Q2 campaign",
                "2026-04-06",
                ""
            )),
            row(("newsletter", "newsletter", "Newsletter", "2026-04-14", "")),
        ]
    );
    let pb = file(&p, "playbooks/q2-campaign.toml");
    assert_eq!(
        stages(&pb),
        [
            stage(
                "landing-page-copy",
                "Landing page copy",
                "dana-levi",
                1,
                Some(0)
            ),
            stage("ad-creatives", "Ad creatives", "noa-cohen", 1, Some(3)),
        ]
    );
    assert_eq!(
        statuses(&p),
        [
            st("q2-campaign/landing-page-copy", RowStatus::Done),
            st("q2-campaign/ad-creatives", RowStatus::Doing),
            st("newsletter/april-issue", RowStatus::Blocked),
        ]
    );
    let skipped: Vec<u32> = p.report.skipped.iter().map(|s| s.row + 1).collect();
    assert_eq!(skipped, [7, 8, 9], "blank, the group row, the header again");
}

#[test]
fn trackers_grouped_by_project_with_task_owner_deadline_and_ticks() {
    let p = import("tracker_projects.xlsx");
    assert_eq!(p.report.kind, Some(Kind::Tasks));
    let t = file(&p, "items/tracker-projects.toml");
    assert_eq!(
        items(&t),
        [
            row((
                "spring-sale",
                "spring-sale",
                "Spring sale",
                "2026-03-02",
                ""
            )),
            row(("podcast", "podcast", "Podcast", "2026-03-03", "")),
        ]
    );
    let pb = file(&p, "playbooks/spring-sale.toml");
    assert_eq!(
        stages(&pb),
        [
            stage("brief", "Brief", "dana", 1, Some(0)),
            stage("banner", "Banner", "noa", 1, Some(2)),
        ]
    );
    assert_eq!(
        statuses(&p),
        [
            st("spring-sale/brief", RowStatus::Done),
            st("spring-sale/banner", RowStatus::Todo),
            st("podcast/record", RowStatus::Todo),
        ]
    );

    let p = import("tracker_he_projects.csv");
    assert_eq!(p.report.kind, Some(Kind::Tasks));
    let pb = file(&p, "playbooks/השקת-אביב.toml");
    // Sunday–Thursday: Sun 1 Mar, then Tue 3 Mar.
    assert_eq!(
        stages(&pb),
        [
            stage("בריף", "בריף", "דנה", 1, Some(0)),
            stage("באנר", "באנר", "נועה", 1, Some(2)),
        ]
    );
    assert_eq!(
        statuses(&p),
        [
            st("השקת-אביב/בריף", RowStatus::Done),
            st("השקת-אביב/באנר", RowStatus::Doing),
        ]
    );
}

#[test]
fn a_link_column_is_never_the_id_and_no_row_is_dropped() {
    let p = import("calendar_ref_links.xlsx");
    assert_eq!(p.report.kind, Some(Kind::Items));
    let t = file(&p, "items/calendar-ref-links.toml");
    let ids: Vec<String> = items(&t).into_iter().map(|i| i.0).collect();
    assert_eq!(ids, ["spring-sale", "summer-sale", "autumn-sale"]);
    assert!(
        p.report
            .layout
            .iter()
            .any(|l| l.contains("A \"Ref\" holds links")),
        "{:?}",
        p.report.layout
    );
}

#[test]
fn resourcing_finish_and_progress_percentages() {
    let p = import("tracker_resourcing.csv");
    assert_eq!(p.report.kind, Some(Kind::Tasks));
    let t = file(&p, "items/tracker-resourcing.toml");
    let pr = "tracker-resourcing";
    assert_eq!(
        items(&t),
        [
            row(("sales-deck", pr, "Sales deck", "2026-03-05", "Dana Levi")),
            row(("one-pager", pr, "One-pager", "2026-03-06", "Noa Cohen")),
            row(("faq-page", pr, "FAQ page", "2026-03-09", "Noa Cohen")),
        ]
    );
    assert_eq!(
        statuses(&p),
        [
            st("sales-deck/task", RowStatus::Done),
            st("one-pager/task", RowStatus::Doing),
            st("faq-page/task", RowStatus::Todo),
        ]
    );
}

#[test]
fn hebrew_calendar_and_a_calendar_with_a_done_column() {
    let p = import("calendar_he.xlsx");
    assert_eq!(p.report.kind, Some(Kind::Items));
    let t = file(&p, "items/calendar-he.toml");
    assert_eq!(
        items(&t),
        [
            row(("מבצע-אביב", "content", "מבצע אביב", "2026-03-10", "דנה")),
            row(("טיפ-שבועי", "content", "טיפ שבועי", "2026-03-12", "נועה")),
        ]
    );
    assert_eq!(t["item"][0]["channel"].as_str(), Some("אינסטגרם"));

    let p = import("calendar_post_done.csv");
    assert_eq!(p.report.kind, Some(Kind::Items));
    let t = file(&p, "items/calendar-post-done.toml");
    assert_eq!(
        items(&t),
        [
            row((
                "teaser",
                "content",
                "Teaser",
                "2026-03-02",
                "dana@example.com"
            )),
            row((
                "launch",
                "content",
                "Launch",
                "2026-03-05",
                "noa@example.com"
            )),
        ]
    );
    assert_eq!(statuses(&p), [st("teaser/publish", RowStatus::Done)]);
}

/// The whole path: files written, done and doing (and blocked) recorded in the state file the
/// new throughline.toml names; the statuses are the hub's, from no tool. Importing again leaves
/// a recorded status alone.
#[test]
fn statuses_are_recorded_in_the_state_file_once() {
    let out = tempfile::tempdir().unwrap();
    let opts = options(&corpus().join("tracker_en.xlsx"), out.path());
    let plan = prepare(&opts).unwrap();
    plan.write(false).unwrap();
    let db = out.path().join("throughline.db");
    let read = || {
        let store = SqliteStore::open_read_only(&db).unwrap();
        let mut all: Vec<(String, State, Option<String>)> = store
            .statuses()
            .unwrap()
            .into_iter()
            .map(|s| (s.identity, s.state, s.source_target))
            .collect();
        all.sort();
        all
    };
    assert_eq!(
        read(),
        [
            ("design-the-banner/task".to_string(), State::Doing, None),
            ("legal-review/task".to_string(), State::Blocked, None),
            ("write-the-brief/task".to_string(), State::Done, None),
        ]
    );
    // A status already recorded (a sync moved it since) is not overwritten by the sheet.
    {
        let mut store = SqliteStore::open(&db).unwrap();
        let mut rec = store.statuses().unwrap();
        rec.retain(|s| s.identity == "write-the-brief/task");
        rec[0].state = State::Doing;
        store
            .commit(throughline::state::Batch {
                statuses: rec,
                ..Default::default()
            })
            .unwrap();
    }
    prepare(&opts).unwrap().write(true).unwrap();
    assert!(read().contains(&("write-the-brief/task".to_string(), State::Doing, None)));
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_throughline"))
        .args(args)
        .output()
        .unwrap()
}

/// Refused with exit 1, the message naming the place, and nothing written.
fn refused(file: &Path, expected: &[&str]) {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("deployment");
    let o = cli(&[
        "import",
        &file.to_string_lossy(),
        "--out",
        &target.to_string_lossy(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{}: {err}", file.display());
    for e in expected {
        assert!(
            err.contains(e),
            "{}: expected {e:?} in {err}",
            file.display()
        );
    }
    assert!(!target.exists(), "nothing may be written");
}

#[test]
fn limits_are_clear_errors_that_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
import random, string, sys, zipfile, openpyxl
out = sys.argv[1]
# A cell of 1.5 MB of varied text (it does not pack well, so only the cell limit applies).
# openpyxl cuts a cell at Excel's 32,767 characters, so the long text goes into the XML after.
wb = openpyxl.Workbook(); ws = wb.active; ws.title = "Plan"
ws.append(["Title", "Publish date"])
ws.append(["LONG", "2026-03-02"])
wb.save(out + "/small.xlsx")
rng = random.Random(7)
text = "".join(rng.choice(string.ascii_letters + " ") for _ in range(1_500_000))
with zipfile.ZipFile(out + "/small.xlsx") as src, \
        zipfile.ZipFile(out + "/big_cell.xlsx", "w", zipfile.ZIP_DEFLATED) as dst:
    for item in src.infolist():
        data = src.read(item.filename)
        if item.filename == "xl/worksheets/sheet1.xml":
            data = data.replace(b"<t>LONG</t>", ("<t>" + text + "</t>").encode())
        dst.writestr(item, data)
# A workbook whose sheet packs 40 MB of one letter into a few kilobytes.
wb = openpyxl.Workbook(); ws = wb.active
ws.append(["Title", "Publish date"]); ws.append(["x", "2026-03-02"])
wb.save(out + "/bomb.xlsx")
with zipfile.ZipFile(out + "/bomb.xlsx", "a", zipfile.ZIP_DEFLATED) as z:
    z.writestr("xl/media/filler.bin", b"a" * 40_000_000)
"#;
    let o = Command::new("python3")
        .args(["-c", script, &dir.path().to_string_lossy()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    refused(
        &dir.path().join("big_cell.xlsx"),
        &["big_cell.xlsx", "one cell", "(at Plan!A2)", "1048576 bytes"],
    );
    refused(
        &dir.path().join("bomb.xlsx"),
        &["bomb.xlsx", "xl/media/filler.bin", "its packed size"],
    );

    // More rows than Excel holds.
    let rows = dir.path().join("rows.csv");
    let mut text = String::from("Title,Publish date\n");
    text.push_str(&"a,2026-03-02\n".repeat(1_048_577));
    std::fs::write(&rows, text).unwrap();
    refused(&rows, &["rows.csv", "more than 1048576 rows"]);

    // A CSV cell of more than 1 MB.
    let cell = dir.path().join("cell.csv");
    std::fs::write(
        &cell,
        format!(
            "Title,Publish date\nshort,2026-03-02\n{},2026-03-03\n",
            "b".repeat(1_100_000)
        ),
    )
    .unwrap();
    refused(&cell, &["cell.csv", "(at cell.csv!A3)"]);

    // A PDF, whatever its name.
    let pdf = dir.path().join("plan.xlsx");
    std::fs::write(
        &pdf,
        b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
    )
    .unwrap();
    refused(
        &pdf,
        &["plan.xlsx", "this is a PDF document, not a spreadsheet"],
    );
}

/// calamine reserves memory for every cell an .xls sheet's DIMENSIONS record claims before it
/// reads any; a record claiming 1,048,576 rows by 256 columns asked for gigabytes and aborted
/// the process. The record is now read first and the file refused.
#[test]
fn an_xls_claiming_a_huge_sheet_is_refused_before_calamine_reads_it() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/calendar_en.xls");
    let mut bytes = std::fs::read(fixture).unwrap();
    // The BIFF8 DIMENSIONS record: type 0x0200, 14 bytes.
    let at = bytes
        .windows(4)
        .position(|w| w == [0x00, 0x02, 0x0E, 0x00])
        .expect("a DIMENSIONS record");
    bytes[at + 8..at + 12].copy_from_slice(&1_048_576u32.to_le_bytes());
    bytes[at + 14..at + 16].copy_from_slice(&256u16.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.xls");
    std::fs::write(&path, &bytes).unwrap();
    let err = prepare(&options(&path, &dir.path().join("out"))).unwrap_err();
    assert!(matches!(err, ImportError::Corrupt { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("huge.xls") && text.contains("1048576 rows by 256 columns"),
        "{text}"
    );
}

#[test]
fn dry_run_shows_the_scores_and_the_choice() {
    let out = tempfile::tempdir().unwrap();
    let o = cli(&[
        "import",
        &corpus().join("tracker_en.xlsx").to_string_lossy(),
        "--out",
        &out.path().to_string_lossy(),
        "--dry-run",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("Imported as tasks (a task tracker) (guessed:"),
        "{text}"
    );
    assert!(text.contains("Layout scores: tracker 9 ("), "{text}");
    assert!(text.contains("calendar 1 ("), "{text}");
    assert!(text.contains("checklist 0"), "{text}");
    assert!(
        !out.path().join("throughline.db").exists(),
        "a dry run records nothing"
    );
}

/// `sheets:<id>` reads a live Google Sheet through the Sheets connector (here its emulator):
/// a tracker tab typed in by a person becomes the same process, items and statuses as the
/// workbook would.
#[test]
fn a_google_sheet_is_read_through_the_sheets_connector() {
    use throughline_sheets::emulator::Emulator;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emu = rt.block_on(Emulator::start()).unwrap();
    let id = emu.create_spreadsheet("Team tracker");
    let (base, token) = (emu.base_url(), emu.access_token());
    rt.block_on(async {
        let http = reqwest::Client::new();
        let url = format!("{base}/v4/spreadsheets/{id}");
        let renamed = http
            .post(format!("{url}:batchUpdate"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"requests": [{"updateSheetProperties": {
                "properties": {"sheetId": 0, "title": "Launch tasks"}, "fields": "title"}}]}))
            .send()
            .await
            .unwrap();
        assert!(renamed.status().is_success(), "{:?}", renamed.text().await);
        let written = http
            .put(format!("{url}/values/'Launch tasks'!A1:D4"))
            .query(&[("valueInputOption", "USER_ENTERED")])
            .bearer_auth(&token)
            .json(&serde_json::json!({"values": [
                ["Task", "Owner", "Due date", "Status"],
                ["Write the brief", "dana@example.com", "2026-03-02", "Done"],
                ["Design the banner", "noa@example.com", "2026-03-04", "In progress"],
                ["Book the slot", "dana@example.com", "2026-03-05", ""],
            ]}))
            .send()
            .await
            .unwrap();
        assert!(written.status().is_success(), "{:?}", written.text().await);
    });

    let out = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_throughline"))
        .args(["import", &format!("sheets:{id}"), "--out"])
        .arg(out.path())
        .env("THROUGHLINE_SHEETS_URL", &base)
        .env("THROUGHLINE_SHEETS_TOKEN", &token)
        .env_remove("GOOGLE_APPLICATION_CREDENTIALS")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.contains("read through the Google Sheets API: 1 tab"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Imported as tasks (a task tracker)"),
        "{stdout}"
    );
    let text = |p: &str| std::fs::read_to_string(out.path().join(p)).unwrap();
    let pb: toml::Table = toml::from_str(&text("playbooks/launch-tasks.toml")).unwrap();
    assert_eq!(stages(&pb), [stage("task", "Task", "owner", 1, None)]);
    assert_eq!(
        people(&pb, "owner"),
        ["dana@example.com", "noa@example.com"]
    );
    // One items file, named after the source.
    let files: Vec<PathBuf> = std::fs::read_dir(out.path().join("items"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let t: toml::Table = toml::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    let pr = "launch-tasks";
    assert_eq!(
        items(&t),
        [
            row((
                "write-the-brief",
                pr,
                "Write the brief",
                "2026-03-02",
                "dana@example.com"
            )),
            row((
                "design-the-banner",
                pr,
                "Design the banner",
                "2026-03-04",
                "noa@example.com"
            )),
            row((
                "book-the-slot",
                pr,
                "Book the slot",
                "2026-03-05",
                "dana@example.com"
            )),
        ]
    );
    let store = SqliteStore::open_read_only(&out.path().join("throughline.db")).unwrap();
    let mut recorded: Vec<(String, State)> = store
        .statuses()
        .unwrap()
        .into_iter()
        .map(|s| (s.identity, s.state))
        .collect();
    recorded.sort();
    assert_eq!(
        recorded,
        [
            ("design-the-banner/task".to_string(), State::Doing),
            ("write-the-brief/task".to_string(), State::Done),
        ]
    );
    drop(emu);
}
