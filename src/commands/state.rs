//! `throughline state migrate --from throughline.db --to postgres://…`: move a deployment's
//! state from its SQLite file into PostgreSQL (to run several replicas), history included.
//! Stop every daemon of the deployment first: the copy takes the file's lock and the
//! database's lease, and reads back everything it wrote before it commits.

use std::path::PathBuf;
use std::process::ExitCode;

use throughline::state::{PostgresStore, SqliteStore};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: StateCommand,
}

#[derive(clap::Subcommand)]
enum StateCommand {
    /// Copy a SQLite state file into a PostgreSQL database, everything and its history, and
    /// check the copy row by row. The database must hold no state yet (see --replace).
    Migrate {
        /// The SQLite state file to copy (it is only read).
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The database: postgres://user@host:5432/db, or env:NAME / file:PATH holding it.
        #[arg(long, value_name = "URL")]
        to: String,
        /// Drop the state the database already holds (in the same transaction as the copy).
        #[arg(long)]
        replace: bool,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let StateCommand::Migrate { from, to, replace } = args.command;
    if !from.is_file() {
        anyhow::bail!(
            "there is no state file at {}; name the file that `state` in throughline.toml uses \
             (by default throughline.db next to it)",
            from.display()
        );
    }
    let url = throughline::state::postgres::resolve_url(&to)?;
    // The file's lock first (no sync or daemon may write it meanwhile); this also brings an
    // older file to the current schema, which is the one the database gets.
    let file = SqliteStore::open(&from)?;
    let mut database = PostgresStore::open(&url)?;
    let copied = database.copy_from_sqlite(&from, replace)?;
    drop(file);
    let tables: Vec<String> = copied
        .tables
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(table, n)| format!("{table} {n}"))
        .collect();
    println!(
        "Copied {} rows from {} to {} and read every one back ({}).",
        copied.rows(),
        from.display(),
        database.name(),
        if tables.is_empty() {
            "the file held no state yet".to_owned()
        } else {
            tables.join(", ")
        }
    );
    println!(
        "Next: set `state = \"{to}\"` in throughline.toml, keep {} as a backup, and start the \
         daemons.",
        from.display()
    );
    Ok(ExitCode::SUCCESS)
}
