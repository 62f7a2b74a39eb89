//! `plan` and `sync` print the schedule's warnings (a start in the past, more parallel tasks
//! than `max_parallel`) once per run, the same lines `schedule` prints.

use crate::common;

use common::cli::{copy_example, run};
use serde_json::Value;

fn stdout(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn warning_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with("warning: "))
        .collect()
}

#[test]
fn plan_and_sync_print_the_schedule_warnings_once() {
    let (_dir, config) = copy_example("content");
    // On 22 November 2026 the one thing wrong is Avi's Christmas week (three designs at once,
    // max_parallel = 2).
    let schedule = stdout(&run(&config, &["schedule", "--today", "2026-11-22"]));
    let expected = warning_lines(&schedule);
    assert_eq!(expected.len(), 1, "{schedule}");
    assert!(
        expected[0].starts_with("warning: avi@example.com has 3 tasks at once on 2026-12-24"),
        "{schedule}"
    );
    let plan = stdout(&run(&config, &["plan", "--now", "2026-11-22"]));
    assert_eq!(warning_lines(&plan), expected, "{plan}");

    // On 2 December the first items' early stages started in the past too.
    let schedule = stdout(&run(&config, &["schedule", "--today", "2026-12-02"]));
    let expected = warning_lines(&schedule);
    assert!(
        expected.contains(
            &"warning: hanukkah-sale/idea should have started on 2026-11-24 and been done by \
              2026-11-25, both before today (2026-12-02). Move the item's go-live date, or mark \
              the task done."
        ),
        "{schedule}"
    );
    assert!(expected.len() > 5, "{schedule}");
    let plan = stdout(&run(&config, &["plan", "--now", "2026-12-02"]));
    assert_eq!(warning_lines(&plan), expected, "{plan}");
    let sync = stdout(&run(&config, &["sync", "--now", "2026-12-02"]));
    assert_eq!(warning_lines(&sync), expected, "{sync}");
    // A second cycle says it again, once.
    let again = stdout(&run(&config, &["sync", "--now", "2026-12-02"]));
    assert_eq!(warning_lines(&again), expected, "{again}");

    // As JSON: the warnings `schedule --json` gives, beside the plan.
    let schedule: Value = serde_json::from_str(&stdout(&run(
        &config,
        &["schedule", "--json", "--today", "2026-12-02"],
    )))
    .unwrap();
    for command in ["plan", "sync"] {
        let out: Value = serde_json::from_str(&stdout(&run(
            &config,
            &[command, "--json", "--now", "2026-12-02"],
        )))
        .unwrap();
        assert_eq!(out["schedule_warnings"], schedule["warnings"], "{command}");
        assert!(
            out["totals"].is_object(),
            "{command}: the plan is still there"
        );
    }
}
