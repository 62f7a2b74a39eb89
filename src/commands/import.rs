//! `throughline import FILE`: a spreadsheet plan in, playbook and item files out.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use throughline::import::progress::Bar;
use throughline::import::{self, Kind, Options, Plan, Progress};

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum KindArg {
    /// A content calendar: one item per row.
    Items,
    /// A task tracker: one task per row, with its owner, due date and status.
    Tasks,
    /// A checklist: rows of stage, step, owner and days.
    Playbook,
}

const MAP_HELP: &str = "\
A mapping file (--map) says what detection cannot know; every key is optional:

  as = \"items\"              # or \"tasks\" or \"playbook\"
  sheet = \"Calendar\"
  header_row = 4              # the row with the column titles
  date_order = \"dmy\"        # dmy | mdy | ymd, for dates such as 03/04/2026
  process = \"content\"       # the playbook's id; for items, their process
  process_name = \"Content pipeline\"
  timezone = \"Asia/Jerusalem\"
  lang = \"he\"               # en | he
  owner_role = \"writer\"     # items: the role the Owner column names people for
  encoding = \"windows-1255\" # CSV only
  delimiter = \";\"           # CSV only
  items_file = \"calendar\"   # writes items/calendar.toml

  [columns]                   # field = the column's title, or its letter
  title = \"Headline\"        # fields: id title golive process channel notes owner
  golive = \"C\"              #   role stage step days start project status

  [people]                    # items: role id = the column naming that role's person
  designer = \"Designer\"
";

#[derive(clap::Args)]
#[command(after_long_help = MAP_HELP)]
pub struct Args {
    /// The spreadsheet: .xlsx, .xlsm, .xls, .ods, .csv, a Trello board's JSON export, an Asana
    /// CSV export, or sheets:<spreadsheet id>.
    #[arg(value_name = "FILE")]
    file: String,
    /// What the sheet holds; guessed from its columns when left out.
    #[arg(long = "as", value_enum, value_name = "items|tasks|playbook")]
    kind: Option<KindArg>,
    /// The sheet to read (default: the first one with a header row).
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    /// A mapping file: columns, header row, date order, process (its keys: --help).
    #[arg(long, value_name = "MAPPING.toml")]
    map: Option<PathBuf>,
    /// The encoding of a CSV file, such as windows-1255 or utf-16 (default: detected).
    #[arg(long, value_name = "NAME")]
    encoding: Option<String>,
    /// The deployment folder to write into (default: the folder of --config).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Show the columns chosen and what would be written; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Replace files that already exist.
    #[arg(long)]
    force: bool,
}

/// Print to standard output, ignoring a closed pipe (`throughline import ... | head`): what
/// the reader did not want to see is no error.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}
macro_rules! sayln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Lines of each file shown by `--dry-run`.
const PREVIEW_LINES: usize = 24;

pub fn run(config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let out = args.out.clone().unwrap_or_else(|| match config.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    });
    let opts = Options {
        file: args.file.clone(),
        kind: args.kind.map(|k| match k {
            KindArg::Items => Kind::Items,
            KindArg::Tasks => Kind::Tasks,
            KindArg::Playbook => Kind::Playbook,
        }),
        sheet: args.sheet.clone(),
        map: args.map.clone(),
        encoding: args.encoding.clone(),
        out: out.clone(),
        progress: Progress::new(std::io::stderr().is_terminal()),
    };
    let plan = match import::prepare(&opts) {
        Ok(plan) => plan,
        Err(err) => return Ok(fail(&err.to_string())),
    };
    say!("{}", plan.report);
    if !plan.is_usable() {
        return Ok(fail(&format!(
            "{}: nothing usable was found (no row became {}); nothing was written. See the rows and \
             problems above.",
            args.file,
            plan.report
                .kind
                .map(Kind::words)
                .unwrap_or("an item or a stage"),
        )));
    }
    // Loading a large result to check it takes a moment and shows no progress of its own.
    let big = plan.files.iter().map(|f| f.contents.len()).sum::<usize>() > 1 << 20;
    let checking = || opts.progress.status("Checking the imported files", big);
    if args.dry_run {
        dry_run(&plan, &out, args.force, checking)
    } else {
        write(&plan, &out, args.force, checking)
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(1)
}

fn dry_run(
    plan: &Plan,
    out: &Path,
    force: bool,
    checking: impl Fn() -> Bar,
) -> anyhow::Result<ExitCode> {
    if let Some(scores) = &plan.report.scores {
        sayln!("Layout scores: {scores}.");
    }
    sayln!("\nWould write into {}:", out.display());
    for f in &plan.report.files {
        let state = match (f.exists, force) {
            (false, _) => "new",
            (true, true) => "replaces the existing file",
            (true, false) => "EXISTS: needs --force",
        };
        sayln!("  {}  ({}; {state})", f.path.display(), f.what);
    }
    for f in &plan.files {
        sayln!("\n--- {} ---", f.path.display());
        let lines: Vec<&str> = f.contents.lines().collect();
        for line in lines.iter().take(PREVIEW_LINES) {
            sayln!("{line}");
        }
        if lines.len() > PREVIEW_LINES {
            sayln!("… ({} more lines)", lines.len() - PREVIEW_LINES);
        }
    }
    say!("\n");

    let status = checking();
    let checked = plan.check();
    drop(status);
    match checked {
        Ok(()) => {
            sayln!(
                "Checked: these files load as a valid deployment. Dry run: nothing was written."
            );
        }
        Err(err) => return Ok(fail(&err.to_string())),
    }
    if !force && !plan.conflicts().is_empty() {
        sayln!("Some files exist already: run again with --force to replace them, or use --out.");
    }
    Ok(ExitCode::SUCCESS)
}

fn write(
    plan: &Plan,
    out: &Path,
    force: bool,
    checking: impl Fn() -> Bar,
) -> anyhow::Result<ExitCode> {
    let status = checking();
    let written = plan.write(force);
    drop(status);
    match written {
        Ok(written) => {
            sayln!("Wrote:");
            for (path, f) in written.iter().zip(&plan.report.files) {
                sayln!("  {}  ({})", path.display(), f.what);
            }
            sayln!(
                "Next: check them with `throughline validate --config {}` and see the dates with \
                 `throughline schedule`.",
                out.join("throughline.toml").display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => Ok(fail(&err.to_string())),
    }
}
