//! `throughline dashboard hash-password`: the argon2 hash of a password, for
//! `[dashboard.users]` in `throughline.toml`. The password is read from standard input (never
//! an argument: those show in `ps` and the shell's history) and never written anywhere.

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;

use throughline::dashboard::auth::password;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Read a password from standard input (its first line) and print its argon2id hash, to
    /// paste as `name = "<hash>"` under `[dashboard.users]`.
    HashPassword,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::HashPassword => hash_password(),
    }
}

fn hash_password() -> anyhow::Result<ExitCode> {
    let stdin = io::stdin();
    if stdin.is_terminal() {
        // Typed, the password shows on the screen; piping it in (`printf '%s' "$PW" |`) does not.
        eprint!("password (shown as typed; pipe it in to hide it), then Enter: ");
        io::stderr().flush()?;
    }
    let pw = password::read_password(&mut stdin.lock() as &mut dyn BufRead)?;
    match password::hash(&pw) {
        Ok(hash) => {
            println!("{hash}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
