//! The stops against mass creation and mass disappearance, through the engine: each stops
//! only its target, sends nothing, is recorded, names its one-run override, and the summary
//! says what was stopped, not what would have been done.

use crate::common;

use common::*;
use throughline::engine::CycleOptions;
use throughline::report::plan;
use throughline::state::{EventKind, MemoryStore, StateStore};
use throughline_connector::StateSupport;
use throughline_connector::fake::FakeTarget;

fn stop_events(store: &MemoryStore, target: &str) -> usize {
    store
        .events(None)
        .unwrap()
        .iter()
        .filter(|e| e.kind == EventKind::SafetyStop && e.target.as_deref() == Some(target))
        .count()
}

#[test]
fn deleting_142_of_143_cards_stops_instead_of_re_creating_them() {
    // 72 items × 2 stages = 144 tasks; 143 deleted would look empty, so keep two: 142 of 144.
    let model = Model::new(72);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let sheet = FakeTarget::new("sheet", StateSupport::Full);
    let targets = [("board", &board), ("sheet", &sheet)];
    let mut store = MemoryStore::new();
    assert!(sync(&mut store, &model, &targets).ok());
    let ids: Vec<String> = model.desired().iter().map(|d| d.identity.clone()).collect();
    for id in &ids[2..] {
        board.delete(id);
    }
    board.reset_calls();
    sheet.reset_calls();

    let report = sync(&mut store, &model, &targets);
    let board_outcome = &report.targets[0];
    let reason = board_outcome.stopped.as_deref().expect("the board stops");
    assert!(
        reason.contains("142 of 144") && reason.contains("--allow-recreate"),
        "{reason}"
    );
    assert_eq!(board.calls().apply, 0, "nothing sent to the stopped board");
    assert_eq!(board.snapshot().tasks.len(), 2);
    assert!(report.targets[1].ok(), "the sheet is not stopped");
    assert_eq!(stop_events(&store, "board"), 1);
    let summary = plan::render(&report, false, true);
    assert!(
        summary.contains("held back, not done: 142 to create"),
        "{summary}"
    );
    assert!(summary.contains("Sync: 0 created"), "{summary}");
    assert!(summary.contains("1 target stopped"), "{summary}");

    // The operator says so, once.
    let allowed = sync_with(
        &mut store,
        &model,
        &targets,
        &CycleOptions {
            allow_recreate: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(allowed.ok());
    assert_eq!(board.snapshot().tasks.len(), 144);
    assert!(sync(&mut store, &model, &targets).ok());
}

#[test]
fn a_cadence_that_suddenly_expands_stops_its_target_and_the_plan_says_so() {
    let model = Model::new(4);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let mut store = MemoryStore::new();
    assert!(sync(&mut store, &model, &[("board", &board)]).ok());

    // 8 tasks linked; the model now asks for 8 + 10 (a weekly cadence turned daily).
    let grown = Model::new(9);
    board.reset_calls();
    let planned = sync_with(
        &mut store,
        &grown,
        &[("board", &board)],
        &CycleOptions {
            dry_run: true,
            ..Default::default()
        },
    )
    .unwrap();
    let out = plan::render(&planned, false, false);
    assert!(out.contains("--allow-mass-create"), "{out}");
    assert!(out.contains("Plan: 0 to create"), "{out}");
    assert!(out.contains("held back, not done: 10 to create"), "{out}");
    assert!(
        !out.contains("+ item8/copy"),
        "the stopped changes are not listed: {out}"
    );
    let totals = plan::totals(&planned, false);
    assert_eq!((totals.create, totals.stopped), (0, 1));

    let report = sync(&mut store, &grown, &[("board", &board)]);
    assert!(report.targets[0].stopped.is_some());
    assert_eq!(board.calls().apply, 0);
    assert_eq!(board.snapshot().tasks.len(), 8);

    let allowed = sync_with(
        &mut store,
        &grown,
        &[("board", &board)],
        &CycleOptions {
            allow_mass_create: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(allowed.ok());
    assert_eq!(board.snapshot().tasks.len(), 18);
}

#[test]
fn more_creates_at_once_than_max_creates_stop_even_a_first_push() {
    // 501 items × 2 stages: 1,002 tasks, past the default 1,000 (a typo in a cadence's
    // `until` plans 131,624).
    let model = Model::new(501);
    let board = FakeTarget::new("board", StateSupport::DoneOrNot);
    let mut store = MemoryStore::new();
    let report = sync(&mut store, &model, &[("board", &board)]);
    let reason = report.targets[0].stopped.as_deref().expect("stopped");
    assert!(
        reason.contains("1002 tasks") && reason.contains("max_creates"),
        "{reason}"
    );
    assert!(board.snapshot().tasks.is_empty());
    assert_eq!(stop_events(&store, "board"), 1);
    // A first push below the limit is no mass create (the content example pushes 163 in one go).
    let small = Model::new(72);
    assert!(sync(&mut store, &small, &[("board", &board)]).ok());
    assert_eq!(board.snapshot().tasks.len(), 144);
}

/// The limits are read from `[sync]`, and the override flags work through the binary.
#[test]
fn max_creates_from_throughline_toml_and_allow_mass_create_on_the_command_line() {
    use common::cli::{copy_example, run, text};

    let (_dir, config) = copy_example("content");
    let toml = std::fs::read_to_string(&config).unwrap();
    let with = |extra: &str| toml.replace("[sync]\n", &format!("[sync]\n{extra}\n"));
    std::fs::write(&config, with("max_creates = 100")).unwrap();

    let plan = run(&config, &["plan"]);
    let out = text(&plan);
    assert_eq!(plan.status.code(), Some(1), "{out}");
    assert!(
        out.contains("more than the 100 allowed by max_creates"),
        "{out}"
    );
    assert!(out.contains("--allow-mass-create"), "{out}");
    assert!(out.contains("Plan: 0 to create"), "{out}");
    assert!(out.contains("1 target stopped"), "{out}");

    let allowed = run(&config, &["plan", "--allow-mass-create"]);
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed));
    assert!(
        text(&allowed).contains("Plan: 163 to create"),
        "{}",
        text(&allowed)
    );
    let sync = run(&config, &["sync", "--allow-mass-create"]);
    assert_eq!(sync.status.code(), Some(0), "{}", text(&sync));

    std::fs::write(&config, with("max_recreate_share = 2")).unwrap();
    let bad = run(&config, &["validate"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad).contains("`max_recreate_share` must be between 0 and 1"),
        "{}",
        text(&bad)
    );
}
