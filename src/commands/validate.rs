//! `throughline validate`: check every file; all problems with their places; exit 1 on any.

use std::path::Path;
use std::process::ExitCode;

use throughline::model::Deployment;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(config: &Path, _args: Args) -> anyhow::Result<ExitCode> {
    let deployment = match super::load_or_report(config) {
        Ok(deployment) => deployment,
        Err(code) => return Ok(code),
    };
    println!("{}: {}", config.display(), summary(&deployment));
    Ok(ExitCode::SUCCESS)
}

/// "all good: 1 process, 7 stages, 3 items, 1 cadence, 2 targets".
fn summary(deployment: &Deployment) -> String {
    let stages: usize = deployment.processes.iter().map(|p| p.stages.len()).sum();
    let counts = [
        (deployment.processes.len(), "process", "processes"),
        (stages, "stage", "stages"),
        (deployment.items.len(), "item", "items"),
        (deployment.cadences.len(), "cadence", "cadences"),
        (deployment.targets.len(), "target", "targets"),
    ];
    let parts: Vec<String> = counts
        .iter()
        .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
        .collect();
    format!("all good: {}", parts.join(", "))
}
