//! `throughline graph`: the stage graph of each process, with owners and durations.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use throughline::report::graph::{self, Format as GraphFormat};

#[derive(clap::Args)]
pub struct Args {
    /// Mermaid (paste into GitHub, Notion or mermaid.live) or Graphviz dot (`dot -Tsvg`).
    #[arg(long, value_enum, default_value_t = Format::Mermaid)]
    format: Format,
    /// Only this process (its `[process] id`); default: every process, each in its own group.
    #[arg(long, value_name = "ID")]
    process: Option<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Mermaid,
    Dot,
}

pub fn run(config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let deployment = match super::load_or_report(config) {
        Ok(deployment) => deployment,
        Err(code) => return Ok(code),
    };
    let processes: Vec<_> = match &args.process {
        None => deployment.processes.iter().collect(),
        Some(id) => match deployment.process(id) {
            Some(process) => vec![process],
            None => {
                let known: Vec<_> = deployment.processes.iter().map(|p| p.id.as_str()).collect();
                anyhow::bail!(
                    "there is no process \"{id}\" in {}; the processes are: {}. Use one of them \
                     with --process, or leave --process out to draw them all.",
                    config.display(),
                    known.join(", ")
                );
            }
        },
    };
    let format = match args.format {
        Format::Mermaid => GraphFormat::Mermaid,
        Format::Dot => GraphFormat::Dot,
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(graph::render(&processes, format).as_bytes())?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
