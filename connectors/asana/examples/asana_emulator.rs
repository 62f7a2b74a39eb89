//! Run the Asana emulator: `cargo run -p throughline-asana --features emulator --example
//! asana_emulator -- 127.0.0.1:3100` (what `throughline emulate asana` does).

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3100".to_owned())
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{e}")))?;
    throughline_asana::emulator::serve(addr).await
}
