//! The `throughline` binary as a person runs it, on a copy of an example deployment.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_throughline"));
    c.env("NO_COLOR", "1");
    c
}

/// `throughline ARGS --config CONFIG`.
pub fn run(config: &Path, args: &[&str]) -> Output {
    bin()
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .unwrap()
}

/// What the command printed, stdout then stderr.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A copy of `examples/NAME` in a fresh folder (no workbook, no state), and its config path.
pub fn copy_example(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    for entry in walk(&src) {
        let rel = entry.strip_prefix(&src).unwrap();
        if rel.extension().is_some_and(|e| e == "xlsx" || e == "db") {
            continue;
        }
        let to = dir.path().join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &to).unwrap();
    }
    let config = dir.path().join("throughline.toml");
    (dir, config)
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

/// Replace the first `from` in the file with `to`; the text must be there.
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Task identity → owner, as the example's workbook (`content-plan.xlsx` in `dir`) holds
/// every task.
pub async fn workbook_owners(dir: &Path) -> Vec<(String, Option<String>)> {
    use throughline_connector::Connector;
    let path = dir.join("content-plan.xlsx");
    let mapping = throughline_excel::ExcelMapping::default();
    let obs = throughline_excel::ExcelConnector::new("workbook", &path, mapping)
        .observe(None)
        .await
        .unwrap();
    obs.tasks
        .into_iter()
        .map(|t| (t.identity.unwrap(), t.fields.owner))
        .collect()
}

/// What `plan`/`sync` printed lists each of `unmapped` exactly once with their task count,
/// their tasks as `handled`, and one line that maps them all into the target's `people` table
/// (`"person" = "<ACCOUNT>"`), which names none of `known`.
pub fn lists_each_once(out: &str, unmapped: &[&str], known: &[&str], account: &str, handled: &str) {
    for person in unmapped {
        let listed = out
            .lines()
            .filter(|l| l.trim_start().starts_with(&format!("{person}: ")) && l.contains(" task"))
            .count();
        assert_eq!(listed, 1, "{person} once:\n{out}");
    }
    let fixes: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("To give them one, add to the target's people = { … }: "))
        .collect();
    assert_eq!(fixes.len(), 1, "one line to add:\n{out}");
    for person in unmapped {
        assert!(
            fixes[0].contains(&format!("\"{person}\" = \"<{account}>\"")),
            "{}",
            fixes[0]
        );
    }
    for person in known {
        assert!(
            !fixes[0].contains(person) && !out.contains(&format!("{person}: ")),
            "{person} has an account:\n{out}"
        );
    }
    assert!(
        out.contains(&format!(
            "People with no account here; their tasks are {handled}"
        )),
        "{out}"
    );
}

/// A `sync` (by `run`) that must succeed, its output, then a `plan` that must find nothing to
/// do and no drift.
pub fn sync_then_nothing_to_do(run: impl Fn(&[&str]) -> Output) -> String {
    let sync = run(&["sync"]);
    let out = text(&sync);
    assert_eq!(sync.status.code(), Some(0), "{out}");
    assert!(!out.contains("failed"), "{out}");
    let again = run(&["plan", "--detailed-exitcode"]);
    let again_text = text(&again);
    assert_eq!(again.status.code(), Some(0), "nothing left: {again_text}");
    assert!(!again_text.contains("Drift"), "{again_text}");
    out
}
