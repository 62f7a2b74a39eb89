use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

/// The hosted tools throughline can emulate locally.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Tool {
    Trello,
    Asana,
    Sheets,
}

#[derive(clap::Args)]
pub struct Args {
    /// Which tool's API to emulate.
    tool: Tool,
    /// Where to listen; loopback by default so nothing outside this machine can reach it.
    #[arg(long, default_value = "127.0.0.1:8800", value_name = "ADDR")]
    listen: SocketAddr,
}

pub fn run(_config: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let server = match args.tool {
            Tool::Trello => Box::pin(throughline_trello::emulator::serve(args.listen))
                as std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<()>>>>,
            Tool::Asana => Box::pin(throughline_asana::emulator::serve(args.listen)),
            Tool::Sheets => Box::pin(throughline_sheets::emulator::serve(args.listen)),
        };
        tokio::select! {
            result = server => result.map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen)),
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })?;
    Ok(ExitCode::SUCCESS)
}
