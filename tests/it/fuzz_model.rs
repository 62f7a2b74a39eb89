//! Fuzz properties of the files a user writes: `throughline.toml`, playbooks and item files,
//! read by `model::load`. Inputs are the example deployments with one file damaged (bytes
//! flipped, cut short, keys spliced, huge numbers, deep nesting, Hebrew and direction marks,
//! NUL, very long text), and documents generated from the keys the model knows.
//!
//! What must hold: `load` returns (a deployment or diagnostics, never a panic), and every
//! diagnostic points into the file it names (line and column from 1, within the file).

use crate::mutate;

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use throughline::model;

/// The example deployments as (relative path, bytes); the first file is the config.
fn deployments() -> Vec<Vec<(&'static str, &'static [u8])>> {
    vec![
        vec![
            (
                "throughline.toml",
                include_bytes!("../../examples/content/throughline.toml"),
            ),
            (
                "playbooks/content.toml",
                include_bytes!("../../examples/content/playbooks/content.toml"),
            ),
            (
                "items/january.toml",
                include_bytes!("../../examples/content/items/january.toml"),
            ),
            (
                "items/december.toml",
                include_bytes!("../../examples/content/items/december.toml"),
            ),
            (
                "items/tips.toml",
                include_bytes!("../../examples/content/items/tips.toml"),
            ),
        ],
        vec![
            (
                "throughline.toml",
                include_bytes!("../../examples/internal-launch/throughline.toml"),
            ),
            (
                "playbooks/launch.toml",
                include_bytes!("../../examples/internal-launch/playbooks/launch.toml"),
            ),
            (
                "items/launch.toml",
                include_bytes!("../../examples/internal-launch/items/launch.toml"),
            ),
        ],
    ]
}

/// Write `files` into a fresh folder, load it, and check what came back.
fn load_checked(files: &[(&str, Vec<u8>)]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut files = files.to_vec();
    confine(&mut files[0].1);
    for (rel, bytes) in &files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
    }
    let config = dir.path().join("throughline.toml");
    let Err(diags) = model::load(&config) else {
        return Ok(());
    };
    prop_assert!(!diags.is_empty(), "an error without a diagnostic");
    for d in diags.iter() {
        prop_assert!(!d.message.trim().is_empty(), "an empty message at {d}");
        prop_assert!(d.line >= 1 && d.col >= 1, "no place in {d}");
        // A place inside one of the deployment's files must exist in that file.
        let Ok(rel) = d.file.strip_prefix(dir.path()) else {
            continue;
        };
        let Some((_, bytes)) = files.iter().find(|(p, _)| Path::new(p) == rel) else {
            continue;
        };
        let text = String::from_utf8_lossy(bytes);
        let Some(line) = text.split('\n').nth(d.line - 1) else {
            return Err(TestCaseError::fail(format!(
                "line past the end of the file: {d}"
            )));
        };
        prop_assert!(
            d.col <= line.chars().count() + 1,
            "column past the end of the line: {d}"
        );
    }
    Ok(())
}

/// Keep the config's file patterns inside the deployment folder: a damaged pattern such as
/// `/**/*.toml` or `../../**` makes `load` search the whole disk, which is what the user asked
/// for, not a fault, and would stall the run. A pattern can only leave the folder through an
/// absolute path or `..`.
fn confine(config: &mut Vec<u8>) {
    let text = mutate::lossy(config);
    if text.contains("..") || text.contains("\"/") || text.contains("'/") {
        *config = text
            .replace("..", "._")
            .replace("\"/", "\"_/")
            .replace("'/", "'_/")
            .into_bytes();
    }
}

/// One deployment with one of its files damaged.
fn damaged_deployment(
    which: fn(usize) -> bool,
) -> impl Strategy<Value = Vec<(&'static str, Vec<u8>)>> {
    let all = deployments();
    let choices: Vec<(usize, usize)> = all
        .iter()
        .enumerate()
        .flat_map(|(d, files)| {
            (0..files.len())
                .filter(move |f| which(*f))
                .map(move |f| (d, f))
        })
        .collect();
    (
        proptest::sample::select(choices),
        proptest::collection::vec(mutate::mutation(), 1..8),
    )
        .prop_map(move |((d, f), ms)| {
            let mut files: Vec<(&'static str, Vec<u8>)> =
                all[d].iter().map(|(p, b)| (*p, b.to_vec())).collect();
            for m in &ms {
                mutate::apply(&mut files[f].1, m);
            }
            files
        })
}

#[test]
fn fuzz_config_file() {
    mutate::run(
        "throughline.toml",
        damaged_deployment(|f| f == 0),
        |files| load_checked(&files),
    );
}

#[test]
fn fuzz_playbook_file() {
    mutate::run("playbook", damaged_deployment(|f| f == 1), |files| {
        load_checked(&files)
    });
}

#[test]
fn fuzz_item_file() {
    mutate::run("items", damaged_deployment(|f| f >= 2), |files| {
        load_checked(&files)
    });
}

/// Keys the model reads, so generated documents get past the first unknown key.
const KEYS: &[&str] = &[
    "id",
    "name",
    "title",
    "process",
    "golive",
    "channel",
    "notes",
    "owner",
    "days",
    "after",
    "checklist",
    "text",
    "role",
    "people",
    "backup",
    "away",
    "who",
    "from",
    "to",
    "until",
    "every",
    "on",
    "max_parallel",
    "timezone",
    "workweek",
    "holidays",
    "state",
    "playbooks",
    "items",
    "kind",
    "path",
    "mapping",
    "board",
    "project",
    "spreadsheet",
    "credentials",
    "conflict",
    "lang",
    "skip",
    "cadence",
    "start",
    "due",
    "public_url",
    "listen",
    "tag",
];
const TABLES: &[&str] = &[
    "process",
    "roles.writer",
    "roles.\"\u{05db}\u{05d5}\u{05ea}\u{05d1}\"",
    "sync",
    "daemon",
    "[stage]",
    "[item]",
    "[target]",
    "[cadence]",
    "[stage.checklist]",
    "dates",
];

fn toml_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        mutate::odd_text().prop_map(|s| serde_json::to_string(&s).unwrap()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| toml::Value::Float(n).to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        (1i32..10000, 0u8..14, 0u8..33).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        Just("2026-12-10T09:00:00Z".to_string()),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8)
                .prop_map(|v| format!("[{}]", v.join(", "))),
            proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..6).prop_map(
                |kv| {
                    let body: Vec<String> = kv.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                    format!("{{ {} }}", body.join(", "))
                }
            ),
        ]
    })
}

fn toml_document() -> impl Strategy<Value = String> {
    let line =
        (proptest::sample::select(KEYS), toml_value()).prop_map(|(k, v)| format!("{k} = {v}\n"));
    let section = (
        proptest::option::of(proptest::sample::select(TABLES)),
        proptest::collection::vec(line, 0..10),
    )
        .prop_map(|(header, lines)| {
            let mut out = header.map(|h| format!("[{h}]\n")).unwrap_or_default();
            out.extend(lines);
            out
        });
    proptest::collection::vec(section, 0..8).prop_map(|s| s.concat())
}

/// Documents from the model's own keys with values of every type, as each of the three files.
#[test]
fn fuzz_generated_documents() {
    let base = &deployments()[0];
    let strategy = (0..3usize, toml_document());
    mutate::run("generated toml", strategy, |(slot, doc)| {
        let mut files: Vec<(&str, Vec<u8>)> = base.iter().map(|(p, b)| (*p, b.to_vec())).collect();
        files[slot].1 = doc.into_bytes();
        load_checked(&files)
    });
}
