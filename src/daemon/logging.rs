//! Log lines on stderr (journald and container runtimes collect it): readable by default,
//! one JSON object per line with `--log-format json`.
//!
//! No secret ever reaches a line: the connectors and notifiers keep secrets out of their
//! messages, and as a second guard every line passes through a redactor that knows the values
//! of every secret the deployment references (refreshed on reload) and the usual shapes of
//! credentials (`token=...`, `Bearer ...`).

use std::io::{self, Write};
use std::sync::{Arc, RwLock};

use throughline_connector::http::{Redactor, Secret};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Aligned, readable lines.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// The secrets known so far; shared by the log writer and whoever learns new ones.
#[derive(Debug, Clone, Default)]
pub struct Secrets(Arc<RwLock<Redactor>>);

impl Secrets {
    /// Replace the known secrets (after a reload).
    pub fn set(&self, values: impl IntoIterator<Item = String>) {
        let mut r = Redactor::new();
        for v in values {
            r.add(&Secret::new(v));
        }
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = r;
    }

    /// Add one more (a webhook secret learned at a handshake).
    pub fn add(&self, value: &str) {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .add(&Secret::new(value));
    }

    pub fn redact(&self, text: &str) -> String {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .redact(text)
    }
}

/// Writes each log line to `out`, redacted, in one piece.
pub struct RedactingWriter<W: Write> {
    secrets: Secrets,
    buf: Vec<u8>,
    out: W,
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.buf);
        let clean = self.secrets.redact(&text);
        self.buf.clear();
        self.out.write_all(clean.as_bytes())?;
        self.out.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Makes a [`RedactingWriter`] on stderr for each event.
#[derive(Clone)]
pub struct RedactingStderr(pub Secrets);

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = RedactingWriter<io::Stderr>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            secrets: self.0.clone(),
            buf: Vec::new(),
            out: io::stderr(),
        }
    }
}

/// Install the global subscriber. `RUST_LOG` picks levels (default `info`). Returns false if
/// one was installed already (tests).
pub fn init(format: LogFormat, secrets: Secrets) -> bool {
    use std::io::IsTerminal;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let writer = RedactingStderr(secrets);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Human => builder
            .with_ansi(io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
            .with_target(false)
            .try_init()
            .is_ok(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
            .is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_redacted_whole() {
        let secrets = Secrets::default();
        secrets.set(["s3cr3t-token-value".to_string()]);
        let mut sink = Vec::new();
        {
            let mut w = RedactingWriter {
                secrets: secrets.clone(),
                buf: Vec::new(),
                out: &mut sink,
            };
            // Written in pieces that split the secret: still caught.
            w.write_all(b"calling https://hooks.example.com/s3cr3t-")
                .unwrap();
            w.write_all(b"token-value and Authorization: Bearer abc.def\n")
                .unwrap();
        }
        let line = String::from_utf8(sink).unwrap();
        assert!(!line.contains("s3cr3t"), "{line}");
        assert!(!line.contains("abc.def"), "{line}");
        assert!(line.contains("hooks.example.com/[redacted]"), "{line}");
    }

    #[test]
    fn learned_secrets_are_added() {
        let secrets = Secrets::default();
        secrets.set(["first-secret-1".to_string()]);
        secrets.add("asana-hook-secret-2");
        let text = secrets.redact("a first-secret-1 b asana-hook-secret-2 c");
        assert_eq!(text, "a [redacted] b [redacted] c");
    }
}
