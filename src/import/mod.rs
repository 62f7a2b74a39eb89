//! `throughline import`: turn an existing spreadsheet plan into playbook and item files.
//!
//! The path of an import: open the source ([`source`]) and read one sheet into a [`Grid`];
//! find the header row and what each column holds ([`columns`]); read the rows as calendar
//! items ([`items`]), as a task tracker ([`tasks`]) or as a checklist ([`playbook`]), with
//! every cell that could not be understood reported at its `Sheet!B12` reference
//! ([`report`]); give each process its settings, and new processes a starter playbook
//! ([`starter`]); write the files
//! ([`emit`]) only after the whole result loads as a valid deployment ([`output`]).

pub mod columns;
pub mod dates;
pub mod detect;
pub mod duration;
pub mod emit;
pub mod error;
pub mod grid;
pub mod items;
pub mod mapfile;
pub mod output;
pub mod playbook;
pub mod profile;
pub mod progress;
pub mod report;
pub mod rows;
pub mod source;
pub mod starter;
pub mod status;
pub mod tasks;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use columns::{Columns, Field, Header};
pub use error::ImportError;
use grid::{Grid, column_name};
use items::KnownProcess;
pub use mapfile::Mapping;
use output::Existing;
pub use output::OutFile;
pub use progress::Progress;
pub use report::Report;

use crate::model::{self, Lang, slug};

/// What the sheet becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A content calendar: one item per row.
    Items,
    /// A task tracker: one task per row, with its owner, due date and status.
    Tasks,
    /// A checklist: stages with their steps.
    Playbook,
}

impl Kind {
    pub fn words(self) -> &'static str {
        match self {
            Kind::Items => "items (a content calendar)",
            Kind::Tasks => "tasks (a task tracker)",
            Kind::Playbook => "a playbook (a checklist)",
        }
    }

    /// The `--as` value.
    pub fn arg(self) -> &'static str {
        match self {
            Kind::Items => "items",
            Kind::Tasks => "tasks",
            Kind::Playbook => "playbook",
        }
    }

    /// The layout's name in the scores.
    pub fn short(self) -> &'static str {
        match self {
            Kind::Items => "calendar",
            Kind::Tasks => "tracker",
            Kind::Playbook => "checklist",
        }
    }

    /// What the layout is, for the report's guess.
    pub fn layout_words(self) -> &'static str {
        match self {
            Kind::Items => "a content calendar (one item per row)",
            Kind::Tasks => "a task tracker (one task per row)",
            Kind::Playbook => "a checklist (stages and steps)",
        }
    }

    /// The columns the layout needs.
    pub fn needs(self) -> &'static str {
        match self {
            Kind::Items => "needs a title and a date column",
            Kind::Tasks => "needs a task and a due-date column",
            Kind::Playbook => "needs a stage, step or title column",
        }
    }
}

/// Everything the user said on the command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// A file, or `sheets:<spreadsheet id>`.
    pub file: String,
    pub kind: Option<Kind>,
    pub sheet: Option<String>,
    pub map: Option<PathBuf>,
    pub encoding: Option<String>,
    /// The deployment folder the files go into.
    pub out: PathBuf,
    pub progress: Progress,
}

/// What an import would write, and the report that explains it.
#[derive(Debug)]
pub struct Plan {
    pub report: Report,
    pub files: Vec<OutFile>,
    pub out: PathBuf,
    existing: Option<Existing>,
    /// Some row became an item or a stage.
    usable: bool,
    /// Task statuses read from the sheet, recorded in the state store by [`Plan::write`].
    pub statuses: Vec<tasks::StatusOut>,
    /// The state file of the deployment the files go into, for the statuses.
    pub state: Option<PathBuf>,
}

impl Plan {
    /// Whether anything worth writing was found.
    pub fn is_usable(&self) -> bool {
        self.usable
    }

    /// Load the folder's deployment as it would be after writing, from a temporary copy.
    pub fn check(&self) -> Result<(), ImportError> {
        output::check(&self.out, &self.files, self.existing.as_ref())
    }

    /// Files that exist already (need `--force`).
    pub fn conflicts(&self) -> Vec<PathBuf> {
        output::conflicts(&self.out, &self.files)
    }

    /// Check, then write every file; returns the files written. Nothing is written unless
    /// the whole result is valid.
    pub fn write(&self, force: bool) -> Result<Vec<PathBuf>, ImportError> {
        let conflicts = self.conflicts();
        if !force && !conflicts.is_empty() {
            return Err(ImportError::Conflicts(conflicts));
        }
        self.check()?;
        // Opened before any file is written: a state file in use stops the import whole.
        let mut store = self.open_state()?;
        let written = output::write(&self.out, &self.files, force)?;
        if let Some(store) = store.as_mut() {
            record_statuses(store, &self.statuses)
                .map_err(|source| ImportError::State { source })?;
        }
        Ok(written)
    }

    fn open_state(&self) -> Result<Option<crate::state::SqliteStore>, ImportError> {
        let recorded = self.statuses.iter().any(|s| recordable(s.status));
        match (&self.state, recorded) {
            (Some(path), true) => crate::state::SqliteStore::open(path)
                .map(Some)
                .map_err(|source| ImportError::State { source }),
            _ => Ok(None),
        }
    }
}

/// Record the done and doing tasks as the hub's status, so the first sync pushes them so.
/// A task that already has a status (a sync ran before) keeps it: the tools are newer than
/// the sheet.
fn record_statuses(
    store: &mut crate::state::SqliteStore,
    statuses: &[tasks::StatusOut],
) -> Result<(), crate::state::StateError> {
    use crate::state::{Batch, StateStore, StatusRecord};
    let known: std::collections::HashSet<String> =
        store.statuses()?.into_iter().map(|s| s.identity).collect();
    let at = jiff::Timestamp::now();
    let records: Vec<StatusRecord> = statuses
        .iter()
        .filter(|s| recordable(s.status) && !known.contains(&s.identity))
        .map(|s| StatusRecord {
            identity: s.identity.clone(),
            state: match s.status {
                status::RowStatus::Done => throughline_connector::State::Done,
                status::RowStatus::Blocked => throughline_connector::State::Blocked,
                _ => throughline_connector::State::Doing,
            },
            reason: None,
            source_target: None,
            source_person: None,
            at,
        })
        .collect();
    if records.is_empty() {
        return Ok(());
    }
    store.commit(Batch {
        statuses: records,
        ..Batch::default()
    })
}

/// Read the source and build the files, without touching the output folder.
pub fn prepare(opts: &Options) -> Result<Plan, ImportError> {
    let map = match &opts.map {
        Some(path) => Mapping::load(path).map_err(ImportError::Map)?,
        None => Mapping::default(),
    };
    let mut text = map.text.clone();
    if opts.encoding.is_some() {
        text.encoding = opts.encoding.clone();
    }
    let mut src = source::open(&opts.file, &text)?;
    let existing = output::load_existing(&opts.out)?;
    let known = known_processes(existing.as_ref());

    let mut report = Report {
        file: display_name(src.path()),
        read_notes: src.notes(),
        ..Report::default()
    };
    let wanted = opts.sheet.clone().or_else(|| map.sheet.clone());
    let (grid, header) = choose_sheet(src.as_mut(), wanted, &map, &opts.progress, &mut report)?;
    // Reading can teach the source more (an Asana export recognised by its header).
    report.read_notes = src.notes();
    report.sheet = grid.label.clone();
    report.header = Some(grid.row_ref(header.row));
    report.header_from_map = map.header_row.is_some();

    let mut columns = columns::assign(&header, &map, &grid).map_err(ImportError::Map)?;
    let kind = decide_kind(&grid, &header, &map, opts.kind, &mut columns, &mut report)?;
    describe_layout(&grid, &header, &columns, &mut report);
    let job = Job {
        map: &map,
        known: &known,
        lang: map
            .lang
            .unwrap_or(if header.hebrew { Lang::He } else { Lang::En }),
        names: Names::of(&report),
        progress: &opts.progress,
    };
    let rows = rows::Rows::new(&grid, &header);
    let (mut files, statuses) = match kind {
        Kind::Items => job.items(&rows, &mut columns, &mut report),
        Kind::Tasks => job.tasks(&rows, &mut columns, header.row, &mut report),
        Kind::Playbook => job.playbook(&rows, &columns, &mut report),
    };
    if existing.is_none() && !files.is_empty() {
        let with_items = files.iter().any(|f| f.path.starts_with("items"))
            || std::fs::read_dir(opts.out.join("items")).is_ok_and(|mut d| d.next().is_some());
        files.push(OutFile {
            path: PathBuf::from(output::CONFIG),
            contents: emit::config_file(with_items),
            what: "the deployment".into(),
        });
    }
    report.files = files
        .iter()
        .map(|f| report::FileLine {
            path: f.path.clone(),
            what: f.what.clone(),
            exists: opts.out.join(&f.path).exists(),
        })
        .collect();
    let state = match &existing {
        Some(ex) => ex.state.clone(),
        None => Some(opts.out.join("throughline.db")),
    };
    summarise_statuses(&statuses, state.as_deref(), &mut report);
    Ok(Plan {
        report,
        usable: !files.is_empty(),
        files,
        out: opts.out.clone(),
        existing,
        statuses,
        state,
    })
}

/// What the sheet becomes: `--as` (or the mapping file's `as`), else the layout the columns'
/// scores point to. The columns the kind does not use are dropped; a kind whose columns are
/// missing is an error that names them.
fn decide_kind(
    grid: &Grid,
    header: &Header,
    map: &Mapping,
    wanted: Option<Kind>,
    columns: &mut Columns,
    report: &mut Report,
) -> Result<Kind, ImportError> {
    let profiles = detect::profiles(grid, header);
    detect::refine(grid, header, columns, &profiles, report);
    let scores = detect::score(columns, &profiles);
    report.scores = Some(scores.describe());
    let kind = match wanted.or(map.kind) {
        Some(k) => k,
        None => {
            let (k, why) = detect::choose(&scores)
                .ok_or_else(|| missing(grid, header, Kind::Items, columns))?;
            report.kind_guess = Some(why);
            k
        }
    };
    report.kind = Some(kind);
    // A calendar titled by its campaigns: the campaign is the item's title.
    if kind == Kind::Items
        && !columns.has(Field::Title)
        && let Some(c) = columns.fields.remove(&Field::Project)
    {
        columns.fields.insert(Field::Title, c);
    }
    let required_ok = match kind {
        Kind::Items | Kind::Tasks => columns.has(Field::Title) && columns.has(Field::GoLive),
        Kind::Playbook => {
            columns.has(Field::Stage) || columns.has(Field::Step) || columns.has(Field::Title)
        }
    };
    if !required_ok {
        return Err(missing(grid, header, kind, columns));
    }
    for f in unused_fields(kind) {
        columns.drop_field(*f);
    }
    if kind == Kind::Playbook && columns.has(Field::Step) {
        columns.drop_field(Field::Title);
    }
    unkept_steps(grid, kind, report);
    Ok(kind)
}

/// An export's checklist items and subtasks become checklists only in a tracker: say so when
/// the import is something else.
fn unkept_steps(grid: &Grid, kind: Kind, report: &mut Report) {
    let n: usize = grid.steps.values().map(Vec::len).sum();
    if kind == Kind::Tasks || n == 0 {
        return;
    }
    report.notes.push(format!(
        "the export's {n} checklist step{} (a card's checklist items, a task's subtasks) {} kept \
         only by a tracker (--as tasks); imported as {}, {} left out",
        if n == 1 { "" } else { "s" },
        if n == 1 { "is" } else { "are" },
        kind.words(),
        if n == 1 { "it is" } else { "they are" }
    ));
}

/// The fields a kind of import has no use for.
fn unused_fields(kind: Kind) -> &'static [Field] {
    match kind {
        Kind::Items => &[
            Field::Stage,
            Field::Step,
            Field::Days,
            Field::Role,
            Field::Start,
            Field::Project,
        ],
        Kind::Tasks => &[
            Field::Stage,
            Field::Step,
            Field::Role,
            Field::Channel,
            Field::Process,
        ],
        Kind::Playbook => &[
            Field::GoLive,
            Field::Channel,
            Field::Process,
            Field::Notes,
            Field::Status,
            Field::Start,
            Field::Project,
        ],
    }
}

/// How the files name where they came from.
struct Names {
    /// The first comment line of every file written.
    source_line: String,
    /// The file's name without its extension: the items file's and a checklist's name.
    stem: String,
    /// The sheet's name (the stem for a single-sheet file): a tracker's process name.
    sheet: String,
}

impl Names {
    fn of(report: &Report) -> Names {
        let stem = Path::new(&report.file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let single = report.sheet == report.file;
        Names {
            source_line: if single {
                format!("Imported by `throughline import` from {}.", report.file)
            } else {
                format!(
                    "Imported by `throughline import` from {}, sheet \"{}\".",
                    report.file, report.sheet
                )
            },
            sheet: if single {
                stem.clone()
            } else {
                report.sheet.clone()
            },
            stem,
        }
    }
}

/// What every kind of import builds from besides the rows.
struct Job<'a> {
    map: &'a Mapping,
    known: &'a [KnownProcess],
    lang: Lang,
    names: Names,
    progress: &'a Progress,
}

/// The files an import writes, and the statuses it records.
type Built = (Vec<OutFile>, Vec<tasks::StatusOut>);

impl Job<'_> {
    /// A content calendar: the items file and a starter playbook for each new process.
    fn items(&self, rows: &rows::Rows<'_>, columns: &mut Columns, report: &mut Report) -> Built {
        let map = self.map;
        let default_process = map.process.clone().unwrap_or_else(|| match self.known {
            [only] => only.id.clone(),
            _ => "content".to_string(),
        });
        let no_groups = Default::default();
        let ctx = items::Context {
            map,
            known: self.known,
            default_process,
            lang: self.lang,
            date_word: "go-live date",
            group_rows: &no_groups,
        };
        let built = items::build(rows, columns, &ctx, report, self.progress);
        column_report(columns, Kind::Items, built.owner_role.as_deref(), report);
        let statuses = item_statuses(rows, columns, &built, self.known, report);
        let mut files = Vec::new();
        if built.items.is_empty() {
            return (files, statuses);
        }
        files.push(self.items_file(
            "Ids come from the titles (or the ID column): keep them when you edit, so that",
            "importing the sheet again, or a sync, recognises the same items.",
            &built.items,
        ));
        for starter in starter::starters(&built, self.known, map, self.lang, report) {
            files.push(OutFile {
                path: PathBuf::from("playbooks").join(format!("{}.toml", starter.process.id)),
                contents: emit::playbook_file(&starter),
                what: "a starter with one stage".into(),
            });
        }
        (files, statuses)
    }

    /// A task tracker: a process per group (or one for the sheet) and its items.
    fn tasks(
        &self,
        rows: &rows::Rows<'_>,
        columns: &mut Columns,
        header_row: u32,
        report: &mut Report,
    ) -> Built {
        let (map, lang) = (self.map, self.lang);
        let groups = tasks::groups(rows, columns, header_row);
        let ctx = items::Context {
            map,
            known: &[],
            default_process: map
                .process
                .clone()
                .unwrap_or_else(|| slug(&self.names.sheet)),
            lang,
            date_word: "due date",
            group_rows: &groups.group_rows,
        };
        let built = items::build(rows, columns, &ctx, report, self.progress);
        // Grouped tasks are stages, which have no notes.
        if !groups.of_row.is_empty() || tasks::with_steps(rows, &built.items) {
            columns.drop_field(Field::Notes);
        }
        column_report(columns, Kind::Tasks, Some("owner"), report);
        // items::build counted the rows as items: the tracker says what they became.
        report.created.clear();
        let mut settings = |id: String, name: String| {
            let name = if map.process.as_deref() == Some(id.as_str()) {
                map.process_name.clone().unwrap_or(name)
            } else {
                name
            };
            starter::process_settings(id, name, map, lang, &mut Vec::new())
        };
        let setup = tasks::Setup {
            process_id: ctx.default_process.clone(),
            process_name: map
                .process_name
                .clone()
                .unwrap_or_else(|| self.names.sheet.clone()),
            lang,
            settings: &mut settings,
        };
        let out = tasks::build(rows, columns, &groups, built.items, setup, report);
        if !out.playbooks.is_empty() {
            let note = starter::timezone_note(map, lang, out.playbooks.len());
            report.notes.push(note);
        }
        let mut files: Vec<OutFile> = out
            .playbooks
            .iter()
            .map(|pb| OutFile {
                path: PathBuf::from("playbooks").join(format!("{}.toml", pb.process.id)),
                contents: emit::playbook_file(pb),
                what: format!(
                    "a process with {} stage{}",
                    pb.stages.len(),
                    if pb.stages.len() == 1 { "" } else { "s" }
                ),
            })
            .collect();
        if !out.items.is_empty() {
            files.push(self.items_file(
                "Ids come from the task or group names: keep them when you edit, so that a",
                "sync recognises the same tasks.",
                &out.items,
            ));
        }
        (files, out.statuses)
    }

    /// A checklist: one playbook.
    fn playbook(&self, rows: &rows::Rows<'_>, columns: &Columns, report: &mut Report) -> Built {
        let map = self.map;
        let id = map
            .process
            .clone()
            .unwrap_or_else(|| slug(&self.names.stem));
        let name = map
            .process_name
            .clone()
            .unwrap_or_else(|| self.names.stem.clone());
        let settings = starter::process_settings(id, name, map, self.lang, &mut report.notes);
        let mut pb = playbook::build(rows, columns, settings, report, self.progress);
        column_report(columns, Kind::Playbook, None, report);
        pb.comment = vec![
            self.names.source_line.clone(),
            "Stage ids and checklist keys come from their names: keep them when you edit, so"
                .into(),
            "that a sync recognises the same tasks.".into(),
        ];
        let mut files = Vec::new();
        if !pb.stages.is_empty() {
            let entries: usize = pb.stages.iter().map(|s| s.checklist.len()).sum();
            files.push(OutFile {
                path: PathBuf::from("playbooks").join(format!("{}.toml", pb.process.id)),
                contents: emit::playbook_file(&pb),
                what: format!("{} stages, {} checklist entries", pb.stages.len(), entries),
            });
        }
        (files, Vec::new())
    }

    /// `items/<name>.toml`, its comment the source line and the two lines given.
    fn items_file(&self, line1: &str, line2: &str, items: &[items::ItemOut]) -> OutFile {
        let name = self
            .map
            .items_file
            .clone()
            .unwrap_or_else(|| slug(&self.names.stem));
        OutFile {
            path: PathBuf::from("items").join(format!("{name}.toml")),
            contents: emit::items_file(
                &[self.names.source_line.clone(), line1.into(), line2.into()],
                items,
            ),
            what: format!(
                "{} item{}",
                items.len(),
                if items.len() == 1 { "" } else { "s" }
            ),
        }
    }
}

fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn known_processes(existing: Option<&Existing>) -> Vec<KnownProcess> {
    let Some(ex) = existing else {
        return Vec::new();
    };
    ex.deployment
        .processes
        .iter()
        .map(|p| KnownProcess {
            id: p.id.clone(),
            name: p.name.clone(),
            roles: p
                .roles
                .iter()
                .map(|r| (r.id.clone(), r.name.clone()))
                .collect(),
            first_owner: p.stages.first().map(|s| s.owner.clone()),
            stages: p.stages.iter().map(|s| s.id.clone()).collect(),
        })
        .collect()
}

/// The sheet named by the user, else the first visible sheet with a header row.
fn choose_sheet(
    src: &mut dyn source::Source,
    wanted: Option<String>,
    map: &Mapping,
    progress: &Progress,
    report: &mut Report,
) -> Result<(Grid, Header), ImportError> {
    let sheets = src.sheets();
    let names: Vec<String> = sheets.iter().map(|s| s.name.clone()).collect();
    let csv = names.len() == 1
        && names[0] == display_name(src.path())
        && !matches!(
            src.path().extension().and_then(|e| e.to_str()),
            Some("xlsx" | "xls" | "ods" | "xlsm" | "xlsb")
        );
    if let Some(name) = wanted {
        if csv {
            report.sheet_note = Some(format!(
                "a CSV file has a single sheet; --sheet \"{name}\" was not needed"
            ));
        } else {
            let Some(found) = names
                .iter()
                .find(|n| **n == name || n.trim().eq_ignore_ascii_case(name.trim()))
            else {
                return Err(ImportError::UnknownSheet {
                    path: src.path().to_path_buf(),
                    name,
                    available: names
                        .iter()
                        .map(|n| format!("\"{n}\""))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            let grid = src.read(&found.clone(), progress)?;
            let header = columns::find_header(&grid, map).map_err(ImportError::NoHeader)?;
            return Ok((grid, header));
        }
    }
    let mut first_failure = None;
    for (i, sheet) in sheets.iter().enumerate() {
        if sheet.hidden && sheets.len() > 1 {
            continue;
        }
        let grid = src.read(&sheet.name, progress)?;
        if grid.is_empty() {
            continue;
        }
        match columns::find_header(&grid, map) {
            Ok(header) => {
                let others: Vec<String> = names
                    .iter()
                    .filter(|n| **n != sheet.name)
                    .map(|n| format!("\"{n}\""))
                    .collect();
                if !others.is_empty() {
                    report.sheet_note = Some(format!(
                        "used sheet \"{}\"{}; the file also has {} (choose one with --sheet)",
                        sheet.name,
                        if i > 0 {
                            ", the first with a header row"
                        } else {
                            ""
                        },
                        others.join(", ")
                    ));
                }
                return Ok((grid, header));
            }
            Err(e) => {
                if first_failure.is_none() {
                    first_failure = Some(e);
                }
            }
        }
    }
    match first_failure {
        Some(e) => Err(ImportError::NoHeader(e)),
        None => Err(ImportError::NoData {
            path: src.path().to_path_buf(),
        }),
    }
}

fn missing(grid: &Grid, header: &Header, kind: Kind, columns: &Columns) -> ImportError {
    let titles: Vec<String> = header
        .titles
        .iter()
        .map(|(c, t)| format!("{} \"{t}\"", column_name(*c)))
        .collect();
    let need = match kind {
        Kind::Items | Kind::Tasks => {
            let mut need = Vec::new();
            if !columns.has(Field::Title) {
                need.push((
                    if kind == Kind::Tasks {
                        "a task column (titled for example Task, Deliverable, Title or משימה)"
                    } else {
                        "a title column (titled for example Title, Headline, Caption, Topic, כותרת \
                         or נושא)"
                    },
                    "title",
                ));
            }
            if !columns.has(Field::GoLive) {
                need.push((
                    if kind == Kind::Tasks {
                        "a due-date column (titled for example Due date, Deadline, End, תאריך יעד \
                         or דדליין)"
                    } else {
                        "a go-live date column (titled for example Publish date, Go-live, Date, \
                         תאריך פרסום or תאריך)"
                    },
                    "golive",
                ));
            }
            let what: Vec<&str> = need.iter().map(|(w, _)| *w).collect();
            let keys: Vec<String> = need.iter().map(|(_, k)| format!("{k} = \"...\"")).collect();
            format!(
                "{}; or name {} in a mapping file under [columns]: {}",
                what.join(" and "),
                if need.len() == 1 { "it" } else { "them" },
                keys.join(", ")
            )
        }
        Kind::Playbook => {
            "a Stage or Step column (שלב, משימה); or name it in a mapping file under \
                           [columns]: stage = \"...\" or step = \"...\""
                .to_string()
        }
    };
    ImportError::MissingColumns {
        place: grid.row_ref(header.row).to_string(),
        message: format!(
            "to import {} the header needs {need}. The header's columns are: {}",
            kind.words(),
            titles.join(", ")
        ),
    }
}

fn column_report(columns: &Columns, kind: Kind, owner_role: Option<&str>, report: &mut Report) {
    let mut shown: Vec<(u32, String, String, bool)> = Vec::new();
    for (field, col) in &columns.fields {
        let what = match field {
            Field::Title if kind == Kind::Playbook => "step".to_string(),
            Field::Title if kind == Kind::Tasks => "task".to_string(),
            Field::GoLive if kind == Kind::Tasks => "due date".to_string(),
            Field::Owner if kind == Kind::Tasks => "owner".to_string(),
            Field::Days if kind == Kind::Tasks => "duration".to_string(),
            Field::GoLive => "go-live date".to_string(),
            Field::Owner if kind == Kind::Items => {
                format!("people.{}", owner_role.unwrap_or("owner"))
            }
            Field::Owner if columns.has(Field::Role) => "person".to_string(),
            Field::Owner | Field::Role => "owner role".to_string(),
            f => f.key().to_string(),
        };
        shown.push((col.col, what, col.describe(), col.from_map));
    }
    for (role, col) in &columns.people {
        shown.push((
            col.col,
            format!("people.{role}"),
            col.describe(),
            col.from_map,
        ));
    }
    // In the sheet's order, as the user sees the columns.
    shown.sort_by_key(|(col, ..)| *col);
    report.columns = shown
        .into_iter()
        .map(|(_, what, col, map)| (what, col, map))
        .collect();
    report.unused_columns = columns.unused.iter().map(|c| c.describe()).collect();
}

fn describe_layout(grid: &Grid, header: &Header, columns: &Columns, report: &mut Report) {
    if grid.right_to_left {
        report.layout.push("the sheet is right-to-left, so column A is at its right edge; cell references below count from there".into());
    }
    let data_rows: Vec<u32> = grid
        .hidden_rows
        .iter()
        .copied()
        .filter(|r| *r > header.row && grid.row_range().contains(r))
        .collect();
    if !data_rows.is_empty() {
        report.layout.push(format!(
            "hidden {} {} {} imported like the others (unhide {} to check {})",
            if data_rows.len() == 1 { "row" } else { "rows" },
            report::row_list(&data_rows),
            if data_rows.len() == 1 { "was" } else { "were" },
            if data_rows.len() == 1 { "it" } else { "them" },
            if data_rows.len() == 1 { "it" } else { "them" },
        ));
    }
    let hidden_cols: Vec<String> = header
        .titles
        .iter()
        .filter(|(c, _)| grid.hidden_cols.contains(c))
        .map(|(c, t)| format!("{} \"{t}\"", column_name(*c)))
        .collect();
    if !hidden_cols.is_empty() {
        report.layout.push(format!(
            "hidden columns were read like the others: {}",
            hidden_cols.join(", ")
        ));
    }
    let used: Vec<u32> = columns.fields.values().map(|c| c.col).collect();
    let mut merges: Vec<&grid::Merge> = grid.merges.iter().collect();
    merges.sort_by_key(|m| (m.first_row, m.first_col));
    let merged: Vec<String> = merges
        .into_iter()
        .filter(|m| {
            m.first_row > header.row && m.last_row > m.first_row && used.contains(&m.first_col)
        })
        .map(|m| {
            format!(
                "{}{}:{}{}",
                column_name(m.first_col),
                m.first_row + 1,
                column_name(m.last_col),
                m.last_row + 1
            )
        })
        .collect();
    if !merged.is_empty() {
        let shown: Vec<&String> = merged.iter().take(10).collect();
        report.layout.push(format!(
            "merged cells apply to every row they cover: {}{}",
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if merged.len() > 10 {
                format!(" and {} more", merged.len() - 10)
            } else {
                String::new()
            }
        ));
    }
    for l in &grid.limits {
        report.layout.push(l.clone());
    }
}

/// A calendar's Status column: an item marked done has every task of its process done.
fn item_statuses(
    rows: &rows::Rows<'_>,
    columns: &Columns,
    built: &items::Items,
    known: &[KnownProcess],
    report: &mut Report,
) -> Vec<tasks::StatusOut> {
    let Some(col) = columns.get(Field::Status) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in &built.items {
        let at = rows.grid.cell_ref(item.row, col);
        let state = match status::read_value(rows.value(item.row, col)) {
            Ok(Some(s)) => s,
            Ok(None) => continue,
            Err(why) => {
                report.problem(at, why);
                continue;
            }
        };
        // A done item is done at every stage; any other word says nothing about which stage.
        if state != status::RowStatus::Done {
            continue;
        }
        let stages: Vec<String> = match known.iter().find(|k| k.id == item.process) {
            Some(k) => k.stages.clone(),
            None => vec!["publish".to_string()],
        };
        for stage in stages {
            out.push(tasks::StatusOut {
                identity: model::task_id(&item.id, &stage),
                status: state,
                at: at.clone(),
            });
        }
    }
    out
}

/// Count the statuses for the report, and say where they go.
fn summarise_statuses(statuses: &[tasks::StatusOut], state: Option<&Path>, report: &mut Report) {
    if statuses.is_empty() {
        return;
    }
    // A checklist step is `item/stage/key` (ids hold no `/`), a task `item/stage`.
    let is_step = |s: &&tasks::StatusOut| s.identity.matches('/').count() == 2;
    let mut counts: BTreeMap<status::RowStatus, usize> = BTreeMap::new();
    for s in statuses.iter().filter(|s| !is_step(s)) {
        *counts.entry(s.status).or_default() += 1;
    }
    let mut list: Vec<String> = counts
        .iter()
        .rev()
        .map(|(s, n)| format!("{n} {}", s.word()))
        .collect();
    let plural = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    let steps = statuses.iter().filter(is_step).count();
    if steps > 0 {
        list.push(format!("{} done", plural(steps, "checklist step")));
    }
    let tasks = statuses
        .iter()
        .filter(|s| !is_step(s) && recordable(s.status))
        .count();
    let what = match (tasks, steps) {
        (t, 0) => format!("the {} not to do", plural(t, "task")),
        (0, s) => format!("the {} done", plural(s, "checklist step")),
        (t, s) => format!(
            "the {} not to do and the {} done",
            plural(t, "task"),
            plural(s, "checklist step")
        ),
    };
    let (n, are) = (tasks + steps, if tasks + steps == 1 { "is" } else { "are" });
    let outcome = match (n, state) {
        (0, _) => "nothing to record: every task starts as to do".to_string(),
        (_, Some(p)) => format!(
            "{what} {are} recorded in the state file {} when the files are written, so the \
             first sync shows {} so in every tool",
            p.display(),
            if n == 1 { "it" } else { "them" }
        ),
        (_, None) => {
            format!("the deployment's state is not a local file, so {what} {are} not recorded")
        }
    };
    report.status = Some(format!("{}; {outcome}", list.join(", ")));
}

/// Statuses the state store records from an import: all but to do, which every task starts as.
pub fn recordable(status: status::RowStatus) -> bool {
    status != status::RowStatus::Todo
}
