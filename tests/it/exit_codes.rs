//! Exit codes as Terraform's, through the binary: 0 ok, 1 any error (usage errors included),
//! 2 only for "changes present" under `plan --detailed-exitcode`.

use crate::common;

use common::cli::{bin, copy_example, edit, run, text};

#[test]
fn help_and_version_exit_0() {
    for args in [&["--help"][..], &["--version"], &["plan", "--help"]] {
        let out = bin().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        assert!(!out.stdout.is_empty(), "{args:?} prints to stdout");
    }
}

#[test]
fn usage_errors_exit_1_not_2() {
    for args in [
        &["plan", "--no-such-flag"][..],
        &["no-such-command"],
        &["sync", "--target"],
        &[],
    ] {
        let out = bin().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(!out.stderr.is_empty(), "{args:?} says what is wrong");
    }
}

#[test]
fn plan_exits_2_only_for_changes_under_detailed_exitcode() {
    let (_dir, config) = copy_example("content");
    let plain = run(&config, &["plan"]);
    assert_eq!(plain.status.code(), Some(0), "{}", text(&plain));
    let detailed = run(&config, &["plan", "--detailed-exitcode"]);
    assert_eq!(detailed.status.code(), Some(2), "{}", text(&detailed));
    let json = run(&config, &["plan", "--json", "--detailed-exitcode"]);
    assert_eq!(json.status.code(), Some(2), "{}", text(&json));

    let sync = run(&config, &["sync"]);
    assert_eq!(sync.status.code(), Some(0), "{}", text(&sync));
    let in_step = run(&config, &["plan", "--detailed-exitcode"]);
    assert_eq!(in_step.status.code(), Some(0), "{}", text(&in_step));
}

#[test]
fn errors_exit_1() {
    // An invalid model.
    let (dir, config) = copy_example("content");
    let playbook = dir.path().join("playbooks/content.toml");
    edit(&playbook, "owner = \"writer\"", "owner = \"wrtier\"");
    for args in [
        &["validate"][..],
        &["plan", "--detailed-exitcode"],
        &["sync"],
    ] {
        let out = run(&config, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
    }

    // A sync whose changes fail: the workbook's folder cannot be made.
    let (_dir, config) = copy_example("content");
    edit(
        &config,
        "path = \"content-plan.xlsx\"",
        "path = \"no/such/content-plan.xlsx\"",
    );
    let out = run(&config, &["sync"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // A missing config file.
    let out = run(&dir.path().join("nothing-here.toml"), &["plan"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}
