use std::path::{Path, PathBuf};

use super::*;

/// The connector crates, as Rust paths name them.
const CRATES: [&str; 4] = [
    "throughline_trello",
    "throughline_asana",
    "throughline_sheets",
    "throughline_excel",
];

/// The lines of `text` (a file of `src/`) that name a kind: a kind as a string (`"trello"`,
/// also inside another string: `\"trello\"`) or a connector crate's path. Comments and test
/// code (from a `#[cfg(test)]` on) are fixtures and explanations, not dispatch.
fn naming_lines(text: &str) -> Vec<(usize, String)> {
    let kinds: Vec<String> = TargetKind::all()
        .map(|k| format!("\"{}", k.as_str()))
        .collect();
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("#[cfg(test)]") {
            break;
        }
        if code.starts_with("//") {
            continue;
        }
        let quoted = kinds.iter().any(|k| {
            code.match_indices(k.as_str()).any(|(at, _)| {
                let rest = &code[at + k.len()..];
                rest.starts_with('"') || rest.starts_with("\\\"")
            })
        });
        if quoted || CRATES.iter().any(|c| code.contains(c)) {
            out.push((n + 1, code.to_string()));
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Files that still name kinds, each with why; the list only shrinks. A file here that no
/// longer names one fails the test too, so that it is taken off.
const NOT_YET: &[(&str, &str)] = &[];

#[test]
fn registry_is_the_only_place_naming_a_kind() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    let mut offenders = Vec::new();
    let mut still_listed: Vec<&str> = Vec::new();
    for file in &files {
        let name = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        // `import` reads the tools' own export files (a Trello board's JSON, an Asana CSV, a
        // live sheet): those are its sources, not targets.
        if name.starts_with("src/engine/registry/")
            || name.starts_with("src/import/")
            || name.ends_with("/tests.rs")
        {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let lines = naming_lines(&text);
        if let Some((listed, _)) = NOT_YET.iter().find(|(f, _)| *f == name) {
            if !lines.is_empty() {
                still_listed.push(listed);
            }
            continue;
        }
        offenders.extend(lines.into_iter().map(|(n, l)| format!("{name}:{n}: {l}")));
    }
    assert!(
        offenders.is_empty(),
        "these lines name a tool kind outside src/engine/registry/; ask a TargetKind instead \
         (or add the kind's data to its connector crate's `target::TOOL`):\n{}",
        offenders.join("\n")
    );
    let gone: Vec<&str> = NOT_YET
        .iter()
        .map(|(f, _)| *f)
        .filter(|f| !still_listed.contains(f))
        .collect();
    assert!(
        gone.is_empty(),
        "these files no longer name a kind; take them off NOT_YET: {gone:?}"
    );
}

#[test]
fn the_scan_finds_kinds_in_code_not_in_comments_or_tests() {
    let text = "// kind = \"trello\" in a comment\n\
                let k = \"asana\";\n\
                let msg = \"kind = \\\"excel\\\"\";\n\
                use throughline_sheets::SheetsMapping;\n\
                let fine = \"trellos\";\n\
                #[cfg(test)]\n\
                let t = \"trello\";\n";
    let lines: Vec<usize> = naming_lines(text).into_iter().map(|(n, _)| n).collect();
    assert_eq!(lines, [2, 3, 4]);
}

#[test]
fn kinds_are_found_by_name_and_listed_in_order() {
    let names: Vec<&str> = TargetKind::all().map(TargetKind::as_str).collect();
    assert_eq!(names, ["trello", "asana", "google-sheets", "excel"]);
    assert_eq!(
        TargetKind::names_in_words(),
        "\"trello\", \"asana\", \"google-sheets\" or \"excel\""
    );
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    assert_eq!(KIND_WORDS, format!("one of {}", quoted.join(", ")));
    assert_eq!(TargetKind::parse("asana").unwrap().as_str(), "asana");
    assert!(TargetKind::parse("Asana").is_none());
    assert_eq!(TargetKind::guess("GoogleSheet"), Some("google-sheets"));
    assert_eq!(TargetKind::guess("xlsx"), Some("excel"));
    assert_eq!(TargetKind::guess("trelo"), Some("trello"));
    assert_eq!(TargetKind::guess("jira"), None);
}

#[test]
fn every_kind_says_where_its_target_is() {
    for kind in TargetKind::all() {
        let spec = kind.spec();
        assert!(!spec.location.is_empty(), "{kind} has no location key");
        for key in spec.location {
            assert!(spec.reads(key.key), "{kind} does not read `{}`", key.key);
        }
    }
}
