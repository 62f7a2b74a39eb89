//! One message per cause: when every change of a target fails for one reason, `sync` prints
//! one line for the target with the count and the fix; `--verbose` lists the tasks.

use crate::common;

use common::cli::{copy_example, edit, run, text};

#[test]
fn a_missing_folder_is_one_line_with_the_count_and_the_fix() {
    let (dir, config) = copy_example("content");
    edit(
        &config,
        "path = \"content-plan.xlsx\"",
        "path = \"shared/plans/content-plan.xlsx\"",
    );
    let out = run(&config, &["sync"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    let lines: Vec<&str> = t.lines().filter(|l| l.contains("does not exist")).collect();
    assert_eq!(lines.len(), 1, "one line for the cause:\n{t}");
    let line = lines[0];
    let n: usize = line
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("a count: {line}"));
    assert!(n > 10, "every task of the example failed: {line}");
    assert!(line.contains("workbook"), "names the target: {line}");
    assert!(
        line.contains(&format!("{n} changes not made")),
        "the count: {line}"
    );
    assert!(
        line.contains("create it or fix `path`"),
        "says what to do: {line}"
    );
    // (The schedule's own warnings, one `warning:` line each, may name tasks.)
    assert!(
        !t.lines()
            .filter(|l| !l.starts_with("warning: "))
            .any(|l| l.contains("hanukkah-sale/idea")),
        "no task listed: {t}"
    );
    assert!(
        t.contains(&format!("0 created, 0 updated, 0 archived, {n} failed")),
        "{t}"
    );
    assert!(!dir.path().join("shared").exists(), "nothing made");

    // --verbose lists the tasks under the one line.
    let verbose = run(&config, &["sync", "--verbose"]);
    let t = text(&verbose);
    assert_eq!(
        t.lines().filter(|l| l.contains("does not exist")).count(),
        1,
        "{t}"
    );
    let listed = t
        .lines()
        .filter(|l| l.starts_with("      ") && l.trim().contains('/'))
        .count();
    assert_eq!(listed, n, "each task once:\n{t}");
    assert!(t.contains("      hanukkah-sale/idea"), "{t}");
}

#[test]
fn a_missing_folder_whose_parent_exists_is_made() {
    let (dir, config) = copy_example("content");
    edit(
        &config,
        "path = \"content-plan.xlsx\"",
        "path = \"plans/content-plan.xlsx\"",
    );
    let out = run(&config, &["sync"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(dir.path().join("plans/content-plan.xlsx").is_file());
}
