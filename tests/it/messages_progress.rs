//! Progress bars are for a person at a terminal: when standard error is not one (a pipe, a log,
//! CI), `sync`, `plan` and `import` write nothing to it but real problems.

use crate::common;

use common::cli::{copy_example, run, text};

#[test]
fn no_progress_on_a_pipe() {
    let (_dir, config) = copy_example("content");
    for args in [
        &["plan"][..],
        &["sync"],
        &["sync", "--json"],
        &["plan", "--json"],
    ] {
        let out = run(&config, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        assert!(
            out.stderr.is_empty(),
            "{args:?} drew on a pipe: {:?}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
