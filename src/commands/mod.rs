//! One module per command. Each `run` returns the exit code; errors become `error: ...` lines.

pub mod graph;
pub mod import;
pub mod init;
pub mod schedule;
pub mod validate;

use std::path::Path;
use std::process::ExitCode;

use throughline::model::{self, Deployment};

/// Load and validate the deployment, or print every problem and return exit code 1.
pub fn load_or_report(config: &Path) -> Result<Deployment, ExitCode> {
    match model::load(config) {
        Ok(dep) => Ok(dep),
        Err(diags) => {
            for d in diags.iter() {
                eprintln!("{d}");
            }
            let n = diags.len();
            eprintln!(
                "{n} problem{} found; nothing was changed. Fix {} and run the command again.",
                if n == 1 { "" } else { "s" },
                if n == 1 { "it" } else { "them" }
            );
            Err(ExitCode::from(1))
        }
    }
}
