//! The dead ends of the safety net, as a person meets them through the binary: a damaged
//! workbook, moved away, then the "suddenly looks empty" stop. `throughline target reset`
//! is the way past that keeps the state file (every status and its history), and both the
//! damaged-workbook advice and the stop name it.

use crate::common;

use common::cli::{copy_example, run, text};

#[test]
fn a_damaged_workbook_moved_away_is_written_fresh_after_target_reset() {
    let (dir, config) = copy_example("content");
    let workbook = dir.path().join("content-plan.xlsx");
    let state = dir.path().join("throughline.db");

    // The first push of a target with no links is no mass create.
    let first = run(&config, &["sync"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert!(workbook.exists());

    // Damaged: the advice names the reset.
    std::fs::write(&workbook, b"not a zip at all").unwrap();
    let damaged = run(&config, &["sync"]);
    assert_eq!(damaged.status.code(), Some(1), "{}", text(&damaged));
    assert!(
        text(&damaged).contains("throughline target reset workbook"),
        "{}",
        text(&damaged)
    );

    // Moved away as advised: the target looks empty and is stopped, naming the reset too, and
    // the summary says it was stopped rather than what it would have done.
    std::fs::remove_file(&workbook).unwrap();
    let stopped = run(&config, &["sync"]);
    let out = text(&stopped);
    assert_eq!(stopped.status.code(), Some(1), "{out}");
    assert!(out.contains("suddenly looks empty"), "{out}");
    assert!(out.contains("throughline target reset workbook"), "{out}");
    assert!(out.contains("1 target stopped"), "{out}");
    assert!(out.contains("Sync: 0 created"), "{out}");
    assert!(!workbook.exists(), "nothing written while stopped");

    // The reset says what it forgot and keeps the state file.
    let reset = run(&config, &["target", "reset", "workbook"]);
    let out = text(&reset);
    assert_eq!(reset.status.code(), Some(0), "{out}");
    assert!(out.contains("Forgot target `workbook`"), "{out}");
    assert!(out.contains("task links"), "{out}");
    assert!(state.exists());

    let again = run(&config, &["sync"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(workbook.exists(), "a fresh workbook");
    let settled = run(&config, &["plan", "--detailed-exitcode"]);
    assert_eq!(settled.status.code(), Some(0), "{}", text(&settled));

    // Nothing left to forget the second time round is said so, and an unknown target is an
    // error naming the targets.
    let unknown = run(&config, &["target", "reset", "board"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown).contains("workbook"), "{}", text(&unknown));
}

#[test]
fn target_reset_without_a_state_file_creates_none() {
    let (dir, config) = copy_example("internal-launch");
    let reset = run(&config, &["target", "reset", "workbook"]);
    assert_eq!(reset.status.code(), Some(0), "{}", text(&reset));
    assert!(text(&reset).contains("nothing was changed"));
    assert!(!dir.path().join("throughline.db").exists());
    // And its first push works too.
    let first = run(&config, &["sync"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
}

/// Re-pointing a target at a new, empty board: stopped as suddenly empty until the reset,
/// then filled again with every status the hub kept, and the other targets' links untouched.
#[test]
fn a_target_re_pointed_at_a_new_board_is_filled_again_after_reset_with_its_statuses() {
    use common::{Model, sync};
    use throughline::state::{MemoryStore, StateStore};
    use throughline_connector::fake::FakeTarget;
    use throughline_connector::{State, StateSupport};

    let model = Model::new(3);
    let old_board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let sheet = FakeTarget::new("sheet", StateSupport::Full);
    let mut store = MemoryStore::new();
    assert!(
        sync(
            &mut store,
            &model,
            &[("board", &old_board), ("sheet", &sheet)]
        )
        .ok()
    );
    sheet.set_state("item1/copy", State::Done);
    assert!(
        sync(
            &mut store,
            &model,
            &[("board", &old_board), ("sheet", &sheet)]
        )
        .ok()
    );

    let new_board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let targets = [("board", &new_board), ("sheet", &sheet)];
    let stopped = sync(&mut store, &model, &targets);
    let reason = stopped.targets[0].stopped.as_deref().expect("stopped");
    assert!(
        reason.contains("throughline target reset board"),
        "{reason}"
    );
    assert!(new_board.snapshot().tasks.is_empty());

    let sheet_links = store.links("sheet").unwrap();
    let forgotten = store.forget_target("board").unwrap();
    assert_eq!((forgotten.tasks, forgotten.entries), (6, 12));
    assert!(store.links("board").unwrap().is_empty());
    assert_eq!(
        store.links("sheet").unwrap(),
        sheet_links,
        "other targets keep theirs"
    );

    let report = sync(&mut store, &model, &targets);
    assert!(report.ok(), "{report:?}");
    assert!(report.conflicts.is_empty(), "{:?}", report.conflicts);
    let snap = new_board.snapshot();
    assert_eq!(snap.tasks.len(), 6);
    assert_eq!(
        snap.task("item1/copy").unwrap().state,
        State::Done,
        "status kept"
    );
    assert!(
        sync(&mut store, &model, &targets).targets[0]
            .plan
            .as_ref()
            .unwrap()
            .changes
            .is_empty()
    );
}
