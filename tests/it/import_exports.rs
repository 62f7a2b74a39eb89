//! The tools' exports in the corpus (`tests/fixtures/import/make_corpus.py`): a Trello board's
//! JSON and an Asana project's CSV, each checked field by field, with the work nested in them
//! kept as the tasks' checklists: a card's checklist items, a task's subtasks (throughline
//! writes a stage's checklist to Trello as a card checklist and to Asana as subtasks, so the
//! import reads them back the same way), a checked item or completed subtask recorded done.

use throughline::import::report::SkipReason;
use throughline::import::status::RowStatus;
use throughline::import::{Kind, prepare};
use throughline::state::{SqliteStore, StateStore};
use throughline_connector::State;

use super::import_corpus::{
    checklist, corpus, file, import, items, options, people, row, st, stage, stages, statuses,
};

/// `(id, text)` of each checklist entry of stage `i`: `id` only where the file writes one.
fn entries(t: &toml::Table, i: usize) -> Vec<(Option<String>, String)> {
    t["stage"][i]
        .get("checklist")
        .and_then(|c| c.as_array())
        .map(|c| {
            c.iter()
                .map(|e| match e.as_str() {
                    Some(text) => (None, text.to_string()),
                    None => (
                        e.get("id").and_then(|v| v.as_str()).map(str::to_string),
                        e["text"].as_str().unwrap().to_string(),
                    ),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn entry(id: Option<&str>, text: &str) -> (Option<String>, String) {
    (id.map(str::to_string), text.to_string())
}

fn has(notes: &[String], part: &str) {
    assert!(
        notes.iter().any(|n| n.contains(part)),
        "no note with {part:?} in {notes:#?}"
    );
}

#[test]
fn a_trello_board_export_keeps_each_cards_checklist_as_its_tasks() {
    let p = import("trello_board.json");
    assert_eq!(p.report.kind, Some(Kind::Tasks));
    let notes = &p.report.read_notes;
    has(notes, "1 archived card was left out");
    has(notes, "1 other member not imported");
    has(
        notes,
        "5 checklist items of 3 checklists became the checklist steps of their cards' tasks (3 \
         checked, kept as done)",
    );
    has(notes, "1 card has several checklists, joined into one");
    has(
        notes,
        "1 checklist item has a due date or a member of its own",
    );
    has(notes, "1 checklist of archived cards");
    has(&p.report.layout, "the tasks have checklists of their own");
    // A card is a task with its own checklist, so the cards are the stages of one item (in a
    // one-stage process every task would share the stage's checklist).
    let t = file(&p, "items/trello-board.toml");
    assert_eq!(
        items(&t),
        [row((
            "content-board",
            "content-board",
            "Content board",
            "2026-03-03",
            ""
        ))]
    );
    let pb = file(&p, "playbooks/content-board.toml");
    // Each due on its card's date: Tue 10 Mar, Thu 12 Mar, Tue 3 Mar (the item's go-live).
    assert_eq!(
        stages(&pb),
        [
            stage("spring-teaser", "Spring teaser", "dana-levi", 1, Some(5)),
            stage("newsletter-12", "Newsletter #12", "noa-cohen", 1, Some(7)),
            stage("launch-post", "Launch post", "dana-levi", 1, Some(0)),
        ]
    );
    assert_eq!(people(&pb, "dana-levi"), ["Dana Levi"]);
    assert_eq!(people(&pb, "noa-cohen"), ["Noa Cohen"]);
    // The items in their order (pos), a card's two checklists joined in theirs; a repeated
    // text gets a key of its own.
    assert_eq!(
        entries(&pb, 0),
        [
            entry(None, "Draft the caption"),
            entry(None, "Pick the photo")
        ]
    );
    assert_eq!(
        entries(&pb, 1),
        [
            entry(None, "Write the intro"),
            entry(None, "Check the links"),
            entry(Some("write-the-intro-2"), "Write the intro"),
        ]
    );
    assert_eq!(entries(&pb, 2), []);
    assert_eq!(
        statuses(&p),
        [
            st("content-board/spring-teaser", RowStatus::Todo),
            st(
                "content-board/spring-teaser/draft-the-caption",
                RowStatus::Done
            ),
            st("content-board/newsletter-12", RowStatus::Doing),
            st(
                "content-board/newsletter-12/check-the-links",
                RowStatus::Done
            ),
            st(
                "content-board/newsletter-12/write-the-intro-2",
                RowStatus::Done
            ),
            st("content-board/launch-post", RowStatus::Done),
        ]
    );
    assert!(
        p.report
            .status
            .as_deref()
            .is_some_and(|s| s.starts_with("1 done, 1 doing, 1 to do, 3 checklist steps done;")),
        "{:?}",
        p.report.status
    );
}

#[test]
fn a_trello_board_without_checklists_is_a_tracker_with_its_lists_as_status() {
    let p = import("trello_board_plain.json");
    assert_eq!(p.report.kind, Some(Kind::Tasks));
    let t = file(&p, "items/trello-board-plain.toml");
    let pr = "content-board";
    assert_eq!(
        items(&t),
        [
            row((
                "spring-teaser",
                pr,
                "Spring teaser",
                "2026-03-10",
                "Dana Levi"
            )),
            row((
                "newsletter-12",
                pr,
                "Newsletter #12",
                "2026-03-12",
                "Noa Cohen"
            )),
            row(("launch-post", pr, "Launch post", "2026-03-03", "Dana Levi")),
        ]
    );
    assert_eq!(t["item"][0]["notes"].as_str(), Some("Short and bright"));
    let pb = file(&p, "playbooks/content-board.toml");
    assert_eq!(stages(&pb), [stage("task", "Task", "owner", 1, None)]);
    assert_eq!(checklist(&pb, 0), Vec::<String>::new());
    assert_eq!(
        statuses(&p),
        [
            st("spring-teaser/task", RowStatus::Todo),
            st("newsletter-12/task", RowStatus::Doing),
            st("launch-post/task", RowStatus::Done),
        ]
    );
}

#[test]
fn an_asana_export_keeps_subtasks_as_checklist_steps_of_their_parents_tasks() {
    let p = import("asana_export.csv");
    assert_eq!(p.report.kind, Some(Kind::Tasks));
    let notes = &p.report.read_notes;
    has(notes, "Asana CSV export");
    has(notes, "(1 done)");
    has(
        notes,
        "3 subtasks became checklist steps of their parents' tasks (2 completed, kept as done)",
    );
    has(
        notes,
        "1 subtask of a subtask became a step of the task at the top",
    );
    has(
        notes,
        "1 subtask whose parent task is not in the export is imported as a task of its own",
    );
    let t = file(&p, "items/asana-export.toml");
    // A project is an item whose go-live date is its first working day.
    assert_eq!(
        items(&t),
        [
            row((
                "spring-launch",
                "spring-launch",
                "Spring launch",
                "2026-02-20",
                ""
            )),
            row(("podcast", "podcast", "Podcast", "2026-03-02", "")),
        ]
    );
    let pb = file(&p, "playbooks/spring-launch.toml");
    // Each row is a stage due on its own date: Fri 20 Feb, then Tue 24 Feb (2 working days on).
    assert_eq!(
        stages(&pb),
        [
            stage(
                "draft-press-release",
                "Draft press release",
                "dana",
                1,
                Some(0)
            ),
            stage("press-list", "Press list", "noa", 1, Some(2)),
        ]
    );
    assert_eq!(people(&pb, "dana"), ["dana@example.com"]);
    // The subtasks in the export's order, the subtask's own subtask among them.
    assert_eq!(
        entries(&pb, 0),
        [
            entry(None, "Outline the key messages"),
            entry(None, "Get a quote from the CEO"),
            entry(None, "Book 15 minutes with the CEO"),
        ]
    );
    assert_eq!(entries(&pb, 1), []);
    // Start Mon 2 Mar, due Wed 4 Mar: three working days; the orphan subtask due Fri 6 Mar.
    let pb = file(&p, "playbooks/podcast.toml");
    assert_eq!(
        stages(&pb),
        [
            stage(
                "record-the-podcast",
                "Record the podcast",
                "yossi",
                3,
                Some(0)
            ),
            stage("edit-the-episode", "Edit the episode", "yossi", 1, Some(4)),
        ]
    );
    let sl = "spring-launch/draft-press-release";
    assert_eq!(
        statuses(&p),
        [
            st(sl, RowStatus::Done),
            st(&format!("{sl}/outline-the-key-messages"), RowStatus::Done),
            st(
                &format!("{sl}/book-15-minutes-with-the-ceo"),
                RowStatus::Done
            ),
            st("spring-launch/press-list", RowStatus::Todo),
            st("podcast/record-the-podcast", RowStatus::Todo),
            st("podcast/edit-the-episode", RowStatus::Todo),
        ]
    );
    let skipped: Vec<(u32, SkipReason)> = p
        .report
        .skipped
        .iter()
        .map(|s| (s.row + 1, s.reason.clone()))
        .collect();
    assert_eq!(
        skipped,
        [
            (5, SkipReason::Step),
            (6, SkipReason::Step),
            (7, SkipReason::Step)
        ]
    );
}

#[test]
fn an_export_read_as_a_calendar_says_its_steps_are_left_out() {
    let out = tempfile::tempdir().unwrap();
    let mut opts = options(&corpus().join("asana_export.csv"), out.path());
    opts.kind = Some(Kind::Items);
    let p = prepare(&opts).unwrap();
    has(
        &p.report.notes,
        "the export's 3 checklist steps (a card's checklist items, a task's subtasks) are kept \
         only by a tracker (--as tasks); imported as items (a content calendar), they are left out",
    );
}

#[test]
fn the_checked_steps_are_recorded_done_in_the_state_file() {
    let out = tempfile::tempdir().unwrap();
    let plan = prepare(&options(&corpus().join("trello_board.json"), out.path())).unwrap();
    plan.write(false).unwrap();
    let store = SqliteStore::open_read_only(&out.path().join("throughline.db")).unwrap();
    let mut all: Vec<(String, State)> = store
        .statuses()
        .unwrap()
        .into_iter()
        .map(|s| (s.identity, s.state))
        .collect();
    all.sort();
    let cb = "content-board";
    assert_eq!(
        all,
        [
            (format!("{cb}/launch-post"), State::Done),
            (format!("{cb}/newsletter-12"), State::Doing),
            (format!("{cb}/newsletter-12/check-the-links"), State::Done),
            (format!("{cb}/newsletter-12/write-the-intro-2"), State::Done),
            (format!("{cb}/spring-teaser/draft-the-caption"), State::Done),
        ]
    );
}
