//! The README's "Quick start", run as written with the built binary: `init`, `validate`,
//! `schedule`, `plan`, `sync`; then a person marks two tasks done in the workbook (one by its
//! Status column, one by its Done column, with openpyxl), and `sync` reads both back as the
//! README says, and `status` shows them. The README's list of accepted status words is checked
//! against the default mappings both ways, so neither can change without the other.

use std::path::{Path, PathBuf};
use std::process::Command;

const SECTION: &str = "## Quick start";

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

fn section() -> String {
    let readme = readme();
    let start = readme.find(SECTION).expect("the README has a quick start");
    let rest = &readme[start + SECTION.len()..];
    rest[..rest.find("\n## ").unwrap_or(rest.len())].to_owned()
}

/// The `sh` blocks of the section, each as its lines with the comments cut off; the comment
/// of each line is kept beside it.
fn blocks() -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut block: Option<Vec<(String, String)>> = None;
    for line in section().lines() {
        if line.starts_with("```") {
            match block.take() {
                Some(b) => out.push(b),
                None if line == "```sh" => block = Some(Vec::new()),
                None => {}
            }
            continue;
        }
        if let Some(b) = block.as_mut() {
            let (command, comment) = line.split_once('#').unwrap_or((line, ""));
            if !command.trim().is_empty() {
                b.push((command.trim().to_owned(), comment.trim().to_owned()));
            }
        }
    }
    out
}

/// Run one README line in `cwd`; `cd` moves `cwd`. Returns what the command printed.
fn run(cwd: &mut PathBuf, line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["cd", dir] => {
            *cwd = cwd.join(dir);
            String::new()
        }
        ["throughline", args @ ..] => {
            let out = Command::new(env!("CARGO_BIN_EXE_throughline"))
                .args(args)
                .current_dir(&*cwd)
                .env("NO_COLOR", "1")
                .output()
                .expect("the binary runs");
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                out.status.success(),
                "`{line}` failed ({}):\n{stdout}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            stdout
        }
        _ => panic!("the quick start runs `{line}`, which this test does not know"),
    }
}

/// python3 with openpyxl, or why not (a failure when the checks are required).
fn openpyxl() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import openpyxl"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let msg = "python3 with openpyxl is not installed (pip install -r tests/requirements.txt)";
        if std::env::var("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").as_deref() == Ok("1") {
            panic!("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS=1 but {msg}");
        }
        eprintln!("SKIPPED: {msg}");
    }
    ok
}

/// A person picks "Done" in one task's Status column and ticks another's Done column.
fn person_marks_done(workbook: &Path, by_status: &str, by_tick: &str) {
    let script = r#"
import sys, openpyxl
path, by_status, by_tick = sys.argv[1:4]
wb = openpyxl.load_workbook(path)
ws = wb.worksheets[0]
head = [c.value for c in ws[1]]
found = set()
for row in ws.iter_rows(min_row=2):
    rid = row[head.index("ID")].value
    if rid == by_status:
        row[head.index("Status")].value = "Done"
        found.add(rid)
    if rid == by_tick:
        row[head.index("Done")].value = "✓"
        found.add(rid)
assert found == {by_status, by_tick}, found
wb.save(path)
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(workbook)
        .args([by_status, by_tick])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_quick_start_runs_as_written_and_a_tick_in_the_workbook_comes_back() {
    if !openpyxl() {
        return;
    }
    let blocks = blocks();
    let [_install, first, after_tick] = blocks.as_slice() else {
        panic!(
            "the quick start has three sh blocks (install, first run, after the tick): {blocks:?}"
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let mut cwd = dir.path().to_path_buf();
    for (line, _) in first {
        run(&mut cwd, line);
    }
    let workbook = cwd.join("content-plan.xlsx");
    assert!(
        workbook.is_file(),
        "the first sync made {}",
        workbook.display()
    );

    // The README quotes what the sync after the tick prints.
    let quoted = after_tick
        .iter()
        .find_map(|(_, comment)| comment.split('"').nth(1))
        .expect("the README quotes the sync's output");
    let by_status = quoted.split(':').next().unwrap();
    let by_tick = by_status.replace("/idea", "/copy");
    person_marks_done(&workbook, by_status, &by_tick);

    let mut printed = Vec::new();
    for (line, _) in after_tick {
        printed.push(run(&mut cwd, line));
    }
    let sync = &printed[0];
    assert!(sync.contains(quoted), "the sync printed:\n{sync}");
    assert!(
        sync.contains(&format!("{by_tick}: done (in workbook)")),
        "the tick in the Done column came back too:\n{sync}"
    );
    let status = printed.last().unwrap();
    let item = by_status.split('/').next().unwrap();
    let line = status
        .lines()
        .find(|l| l.trim_start().starts_with(item))
        .unwrap_or_else(|| panic!("status shows {item}:\n{status}"));
    // Nine stages: the last two after go-live (follow-up, results check).
    assert!(line.contains("2/9 tasks"), "{line}");
}

/// The backticked words of the README's "Status words accepted" paragraph.
fn readme_words() -> Vec<String> {
    let section = section();
    let start = section
        .find("**Status words accepted.**")
        .expect("the quick start lists the status words");
    let para = &section[start..];
    let para = &para[..para.find("\n\n").unwrap_or(para.len())];
    para.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_readme_lists_exactly_the_status_words_of_the_default_mappings() {
    let listed = readme_words();
    for mapping in ["mappings/excel.toml", "mappings/sheets.toml"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(mapping);
        let doc: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
        let mut words: Vec<String> = Vec::new();
        for lang in ["en", "he"] {
            for (_, w) in doc["status"][lang].as_table().unwrap() {
                words.push(w.as_str().unwrap().to_owned());
            }
        }
        for key in [
            "done_words",
            "doing_words",
            "blocked_words",
            "archived_words",
        ] {
            for w in doc["read"][key].as_array().unwrap() {
                words.push(w.as_str().unwrap().to_owned());
            }
        }
        for w in &words {
            assert!(
                listed.iter().any(|l| l.eq_ignore_ascii_case(w)),
                "{mapping} reads `{w}`; the README's list lacks it"
            );
        }
        // Not words: `lang = "he"`, the mapping files' names, the `1` a Done cell may hold.
        let not_words = |l: &&String| l.contains('=') || l.contains('/') || l.as_str() == "1";
        for l in listed.iter().filter(|l| !not_words(l)) {
            assert!(
                words.iter().any(|w| w.eq_ignore_ascii_case(l)),
                "the README lists `{l}`, which {mapping} does not read"
            );
        }
    }
}
