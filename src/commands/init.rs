//! `throughline init`: write a working example deployment into a folder.
//!
//! The files are the ones under `examples/`, built into the binary, so what `init` writes is
//! always exactly what the repository ships and tests.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

#[derive(clap::Args)]
pub struct Args {
    /// The folder to write into; created if missing.
    #[arg(default_value = ".", value_name = "DIR")]
    dir: PathBuf,
    /// English: a small business's content pipeline. Hebrew: an internal launch plan.
    #[arg(long, value_enum, default_value_t = Lang::En)]
    lang: Lang,
    /// Overwrite files that already exist.
    #[arg(long)]
    force: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Lang {
    En,
    He,
}

/// One example: a description for the message, and each file as (path inside DIR, contents).
pub(super) struct Example {
    what: &'static str,
    pub(super) files: &'static [(&'static str, &'static str)],
}

macro_rules! example_files {
    ($folder:literal: $($path:literal),+ $(,)?) => {
        &[$(($path, include_str!(concat!("../../examples/", $folder, "/", $path)))),+]
    };
}

pub(super) const CONTENT: Example = Example {
    what: "the content pipeline of a small business (English)",
    files: example_files!("content":
        "throughline.toml",
        "playbooks/content.toml",
        "items/december.toml",
        "items/january.toml",
        "items/tips.toml",
    ),
};

const INTERNAL_LAUNCH: Example = Example {
    what: "the launch plan of an internal social network (Hebrew)",
    files: example_files!("internal-launch":
        "throughline.toml",
        "playbooks/launch.toml",
        "items/launch.toml",
    ),
};

pub fn run(_config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let example = match args.lang {
        Lang::En => &CONTENT,
        Lang::He => &INTERNAL_LAUNCH,
    };
    let targets: Vec<(PathBuf, &str)> = example
        .files
        .iter()
        .map(|(path, contents)| (args.dir.join(path), *contents))
        .collect();

    // Check every file before writing any, so a refusal leaves the folder as it was.
    if !args.force {
        let existing: Vec<String> = targets
            .iter()
            .filter(|(path, _)| path.exists())
            .map(|(path, _)| path.display().to_string())
            .collect();
        if !existing.is_empty() {
            anyhow::bail!(
                "{} already exist{}: {}. Nothing was written. Choose an empty folder \
                 (throughline init DIR), or add --force to overwrite {}.",
                if existing.len() == 1 {
                    "this file"
                } else {
                    "these files"
                },
                if existing.len() == 1 { "s" } else { "" },
                existing.join(", "),
                if existing.len() == 1 { "it" } else { "them" },
            );
        }
    }

    for (path, contents) in &targets {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("could not create the folder {}", parent.display()))?;
        }
        fs::write(path, contents).with_context(|| format!("could not write {}", path.display()))?;
    }

    println!("Wrote {} to {}:", example.what, args.dir.display());
    for (path, _) in &targets {
        println!("  {}", path.display());
    }
    println!();
    println!("Next, see every task with its owner and dates:");
    let config = args.dir.join("throughline.toml").display().to_string();
    if config.contains(char::is_whitespace) {
        println!("  throughline schedule --config \"{config}\"");
    } else {
        println!("  throughline schedule --config {config}");
    }
    Ok(ExitCode::SUCCESS)
}
