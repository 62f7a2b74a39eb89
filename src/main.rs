//! The `throughline` command line: arguments in, library calls, output and exit codes out.
//! Everything else lives in the library; `anyhow` is used only here.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;

#[derive(Parser)]
#[command(
    name = "throughline",
    version,
    about = "One marketing playbook, kept in step across Trello, Asana, Google Sheets and Excel"
)]
struct Cli {
    /// The deployment file.
    #[arg(
        long,
        global = true,
        default_value = "throughline.toml",
        value_name = "PATH"
    )]
    config: PathBuf,

    /// The clock for this run of schedule, plan, sync, status and report: an RFC 3339 time,
    /// or a date (that day 12:00 in the process time zone). For rehearsals and tests; sync
    /// records the changes it observes at this time.
    #[arg(long, global = true, value_name = "TIMESTAMP", value_parser = commands::parse_now)]
    now: Option<commands::NowArg>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a working example deployment in DIR (default: the current folder).
    Init(commands::init::Args),
    /// Check every file; print all problems with their locations; exit 1 on any.
    Validate(commands::validate::Args),
    /// Every task with its owner, start and due date, and warnings.
    Schedule(commands::schedule::Args),
    /// The process as a flowchart, with owners and durations.
    Graph(commands::graph::Args),
    /// What a sync would change in each tool: + create, ~ update, - archive, and drift.
    Plan(commands::plan::Args),
    /// One cycle: observe every tool, merge status, push.
    Sync(commands::sync::Args),
    /// Progress per item, overdue tasks by owner, tasks per stage.
    Status(commands::status::Args),
    /// Measurements from the status history: on time, stage times, bottleneck, load,
    /// forecast, adoption, leaderboard, and recommended playbook changes.
    Report(commands::report::Args),
    /// Success metrics: `metric record ID VALUE` keeps a measured value for `report`.
    Metric(commands::metric::Args),
    /// Turn an existing spreadsheet plan into playbook and item files.
    Import(commands::import::Args),
    /// Run a local emulator of a hosted tool's API, to try throughline without an account.
    Emulate(commands::emulate::Args),
    /// Trello, Asana and Google Sheets emulators and an Excel workbook kept in step by the
    /// daemon, on this machine, until Ctrl-C.
    Demo(commands::demo::Args),
    /// Sign in to Google or Asana in a browser; stores the refresh token for the target.
    Auth(commands::auth::Args),
    /// The scheduled service: cycles, reminders, /healthz, /readyz, /metrics and webhooks.
    Daemon(commands::daemon::Args),
    /// The schedule as an iCalendar file: all-day events for due dates and go-lives.
    Calendar(commands::calendar::Args),
    /// The web dashboard alone, read only, without running cycles (the daemon serves it too).
    Serve(commands::serve::Args),
    /// The dashboard's sign-in: `dashboard hash-password` makes a password hash for
    /// `[dashboard.users]`.
    Dashboard(commands::dashboard::Args),
    /// Work on one target: `target reset ID` forgets its links (re-pointed at a new board,
    /// spreadsheet or file) without deleting the state file.
    Target(commands::target::Args),
    /// The state store: `state migrate` copies a SQLite file into PostgreSQL.
    State(commands::state::Args),
}

fn main() -> ExitCode {
    // Exit codes as Terraform's: a usage error is an error like any other (1), not clap's 2,
    // which `plan --detailed-exitcode` keeps for "changes present".
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    commands::set_now(cli.now);
    let result = match cli.command {
        Command::Init(args) => commands::init::run(&cli.config, args),
        Command::Validate(args) => commands::validate::run(&cli.config, args),
        Command::Schedule(args) => commands::schedule::run(&cli.config, args),
        Command::Graph(args) => commands::graph::run(&cli.config, args),
        Command::Plan(args) => commands::plan::run(&cli.config, args),
        Command::Sync(args) => commands::sync::run(&cli.config, args),
        Command::Status(args) => commands::status::run(&cli.config, args),
        Command::Report(args) => commands::report::run(&cli.config, args),
        Command::Metric(args) => commands::metric::run(&cli.config, args),
        Command::Import(args) => commands::import::run(&cli.config, args),
        Command::Emulate(args) => commands::emulate::run(&cli.config, args),
        Command::Demo(args) => commands::demo::run(&cli.config, args),
        Command::Auth(args) => commands::auth::run(&cli.config, args),
        Command::Daemon(args) => commands::daemon::run(&cli.config, args),
        Command::Target(args) => commands::target::run(&cli.config, args),
        Command::State(args) => commands::state::run(args),
        Command::Calendar(args) => commands::calendar::run(&cli.config, args),
        Command::Serve(args) => commands::serve::run(&cli.config, args),
        Command::Dashboard(args) => commands::dashboard::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
