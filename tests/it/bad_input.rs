//! The bad-input corpus: every folder under `tests/bad_input/` is a broken deployment with an
//! `expected.txt` that lists, in order, every problem it must produce:
//!
//! ```text
//! playbooks/content.toml:21:9: unknown role `writter`; did you mean `writer`?
//! ```
//!
//! The place (`file:line:col`, relative to the case folder) must match exactly; the message must
//! contain the text after it. No other problem may be reported. The same case is then run
//! through `throughline validate`, which must exit 1, print every line, and change no file.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use throughline::model;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bad_input");

struct Expected {
    place: String,
    fragment: String,
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = fs::read_dir(CORPUS)
        .expect("the corpus folder")
        .map(|e| e.expect("a corpus entry").path())
        .filter(|p| p.join("expected.txt").is_file())
        .collect();
    cases.sort();
    cases
}

fn expected(case: &Path) -> Vec<Expected> {
    let text = fs::read_to_string(case.join("expected.txt")).expect("expected.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            // file:line:col: fragment
            let mut parts = line.splitn(4, ':');
            let (file, l, c) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            let fragment = parts.next().unwrap_or("").trim().to_string();
            Expected {
                place: format!("{file}:{l}:{c}"),
                fragment,
            }
        })
        .collect()
}

/// Every file of a case with its bytes, to prove that validating wrote nothing.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// `file:line:col: message` with the file relative to the case folder.
fn relative(case: &Path, d: &model::Diagnostic) -> (String, String) {
    let file = d.file.strip_prefix(case).unwrap_or(&d.file);
    (
        format!("{}:{}:{}", file.display(), d.line, d.col),
        d.message.clone(),
    )
}

#[test]
fn the_corpus_is_large_enough() {
    assert!(
        cases().len() >= 30,
        "the corpus has only {} cases",
        cases().len()
    );
}

#[test]
fn every_case_reports_exactly_its_problems() {
    let mut failures = Vec::new();
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let want = expected(&case);
        assert!(!want.is_empty(), "{name}: expected.txt lists no problem");
        let got = match model::load(&case.join("throughline.toml")) {
            Ok(_) => {
                failures.push(format!("{name}: loaded without any problem"));
                continue;
            }
            Err(diags) => diags.iter().map(|d| relative(&case, d)).collect::<Vec<_>>(),
        };
        let matches = got.len() == want.len()
            && got
                .iter()
                .zip(&want)
                .all(|((place, message), w)| *place == w.place && message.contains(&w.fragment));
        if !matches {
            let got: Vec<String> = got.iter().map(|(p, m)| format!("  {p}: {m}")).collect();
            let want: Vec<String> = want
                .iter()
                .map(|w| format!("  {}: {}", w.place, w.fragment))
                .collect();
            failures.push(format!(
                "{name}:\n expected\n{}\n got\n{}",
                want.join("\n"),
                got.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn validate_exits_1_prints_every_problem_and_writes_nothing() {
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let before = snapshot(&case);
        let output = Command::new(env!("CARGO_BIN_EXE_throughline"))
            .arg("--config")
            .arg(case.join("throughline.toml"))
            .arg("validate")
            .output()
            .expect("run throughline");
        assert_eq!(output.status.code(), Some(1), "{name}: exit code");
        let stderr = String::from_utf8(output.stderr).expect("UTF-8 on stderr");
        let want = expected(&case);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(
            lines.len(),
            want.len() + 1,
            "{name}: one line per problem and a count line:\n{stderr}"
        );
        for (line, w) in lines.iter().zip(&want) {
            let located = format!("{}/{}: ", case.display(), w.place);
            assert!(
                line.starts_with(&located),
                "{name}: `{line}` should start with `{located}`"
            );
            assert!(
                line.contains(&w.fragment),
                "{name}: `{line}` should contain `{}`",
                w.fragment
            );
        }
        let count = lines.last().unwrap();
        let n = want.len();
        assert!(
            count.starts_with(&format!("{n} problem")),
            "{name}: count line `{count}`"
        );
        assert!(output.stdout.is_empty(), "{name}: nothing on stdout");
        assert_eq!(snapshot(&case), before, "{name}: validate changed a file");
    }
}

/// `plan` and `sync` check every file (mappings included) before they open anything: each
/// case exits 1 and leaves its folder as it was, without even a state file.
#[test]
fn plan_and_sync_write_nothing_not_even_the_state_file() {
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let before = snapshot(&case);
        for command in ["plan", "sync"] {
            let output = Command::new(env!("CARGO_BIN_EXE_throughline"))
                .arg("--config")
                .arg(case.join("throughline.toml"))
                .arg(command)
                .env("NO_COLOR", "1")
                .output()
                .expect("run throughline");
            assert_eq!(output.status.code(), Some(1), "{name}: {command} exit code");
            let stderr = String::from_utf8_lossy(&output.stderr);
            let first = expected(&case).remove(0);
            assert!(
                stderr.contains(&format!("{}: ", first.place)),
                "{name}: {command} should report {} first:\n{stderr}",
                first.place
            );
            assert_eq!(
                snapshot(&case),
                before,
                "{name}: {command} wrote a file (the state file?)"
            );
        }
    }
}

/// A deployment that validates but whose target cannot be set up (its credential is not in the
/// environment) stops `sync` before the state file is made.
#[test]
fn sync_with_a_target_it_cannot_open_makes_no_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let case = Path::new(CORPUS).join("target-missing-location");
    fs::create_dir_all(root.join("playbooks")).unwrap();
    fs::copy(
        case.join("playbooks/content.toml"),
        root.join("playbooks/content.toml"),
    )
    .unwrap();
    fs::write(
        root.join("throughline.toml"),
        "playbooks = [\"playbooks/*.toml\"]\n\n[[target]]\nid = \"studio\"\nkind = \"trello\"\nboard = \"5f1a0c\"\nbase_url = \"http://127.0.0.1:9/1\"\ncredentials = { key = \"env:TL_BAD_INPUT_UNSET_KEY\", token = \"env:TL_BAD_INPUT_UNSET_TOKEN\" }\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_throughline"))
        .arg("--config")
        .arg(root.join("throughline.toml"))
        .arg("sync")
        .env_remove("TL_BAD_INPUT_UNSET_KEY")
        .env_remove("TL_BAD_INPUT_UNSET_TOKEN")
        .output()
        .expect("run throughline");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("TL_BAD_INPUT_UNSET_KEY"), "{stderr}");
    assert!(
        !root.join("throughline.db").exists(),
        "the state file was made before the target failed to open"
    );
}
