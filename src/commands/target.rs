//! `throughline target reset ID`: forget a target's links on purpose, when it now points at
//! a new board, spreadsheet or file (or a damaged workbook was moved away). Without it the
//! "suddenly looks empty" stop keeps the target stopped, and the only way past was deleting the
//! whole state file, with every status and its history.

use std::path::Path;
use std::process::ExitCode;

use throughline::model::StateLocation;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: TargetCommand,
}

#[derive(clap::Subcommand)]
enum TargetCommand {
    /// Forget which objects in the tool stand for which tasks (the target now points at a new
    /// board, spreadsheet or file). Statuses and their history are kept; the next sync adopts
    /// what carries a throughline identity there and creates the rest.
    Reset {
        /// The target's id, as in throughline.toml.
        id: String,
    },
}

pub fn run(config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let TargetCommand::Reset { id } = args.command;
    let dep = match super::load_or_report(config) {
        Ok(dep) => dep,
        Err(code) => return Ok(code),
    };
    super::check_target_exists(&dep, Some(&id))?;
    if let StateLocation::Sqlite(state_path) = &dep.state
        && !state_path.exists()
    {
        println!(
            "There is no state file at {} yet, so target `{id}` has no links to forget; nothing was changed.",
            state_path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (mut store, state_name) = throughline::state::open(&dep.state)?;
    let f = store.forget_target(&id)?;
    if f.tasks + f.entries + f.intents == 0 && !f.cursor {
        println!("Target `{id}` had no links; nothing was forgotten.");
        return Ok(ExitCode::SUCCESS);
    }
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    println!(
        "Forgot target `{id}`: {}, {}, {}{}.",
        plural(f.tasks, "task link", "task links"),
        plural(f.entries, "checklist-entry link", "checklist-entry links"),
        plural(f.intents, "unfinished create", "unfinished creates"),
        if f.cursor {
            " and its read position"
        } else {
            ""
        }
    );
    println!(
        "Statuses and their history are kept in {}. The next sync treats `{id}` as new: it adopts what \
         already carries a throughline identity there and creates the rest; `throughline plan --target {id}` \
         shows it first.",
        state_name
    );
    Ok(ExitCode::SUCCESS)
}
