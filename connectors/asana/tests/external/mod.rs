//! Running the independent checks (Stoplight Prism, Asana's Python client): where they are,
//! and skipping with a reason when they are not installed, unless
//! `THROUGHLINE_REQUIRE_EXTERNAL_CHECKS=1` says they must run.

#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `None` when the check may be skipped (the reason is printed); panics when it must run.
pub fn skip(reason: &str) {
    if std::env::var("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").as_deref() == Ok("1") {
        panic!("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS=1 but {reason}");
    }
    eprintln!("skipped: {reason}");
}

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Asana's OpenAPI description, kept in the repository (`tests/fixtures/specs`).
pub fn spec() -> PathBuf {
    crate_dir().join("../../tests/fixtures/specs/asana-openapi.yaml")
}

pub fn prism_bin() -> Option<PathBuf> {
    let bin = crate_dir().join("prism/node_modules/.bin/prism");
    bin.exists().then_some(bin)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A child process killed when dropped.
pub struct Running {
    pub child: Child,
    pub log: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log without Prism's list of the operations it loaded.
    pub fn log_tail(&self) -> String {
        let text = self.log_text();
        let lines: Vec<&str> = text.lines().collect();
        let start = lines
            .iter()
            .position(|l| l.contains("Prism is listening"))
            .unwrap_or(0);
        lines[start..].join("\n")
    }
}

/// `prism proxy <spec> <upstream> --errors` on a free port; waits until it listens.
pub fn prism_proxy(upstream: &str, log_dir: &std::path::Path) -> Option<(Running, String)> {
    let Some(bin) = prism_bin() else {
        skip("Stoplight Prism is not installed (run `npm ci` in connectors/asana/prism)");
        return None;
    };
    let spec = spec();
    if !spec.exists() {
        skip(&format!(
            "Asana's OpenAPI description is not at {}",
            spec.display()
        ));
        return None;
    }
    let port = free_port();
    let log = log_dir.join("prism.log");
    let out = std::fs::File::create(&log).expect("a log file");
    let child = Command::new(bin)
        .args(["proxy", &spec.display().to_string(), upstream, "--errors"])
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .stdout(out.try_clone().expect("log"))
        .stderr(out)
        .stdin(Stdio::null())
        .spawn()
        .expect("Prism starts");
    let running = Running { child, log };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    // Reading Asana's 3 MB description takes Prism a while.
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if started.elapsed() > Duration::from_secs(240) {
            panic!(
                "Prism did not start listening; its log:\n{}",
                running.log_text()
            );
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    Some((running, format!("http://127.0.0.1:{port}")))
}

/// The Python that has Asana's official client (`import asana`), if any.
pub fn python_with_asana() -> Option<String> {
    let candidates = [
        std::env::var("PYTHON").ok(),
        Some("python3".to_owned()),
        Some("python".to_owned()),
    ];
    for python in candidates.into_iter().flatten() {
        let ok = Command::new(&python)
            .args(["-c", "import asana; asana.Configuration"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(python);
        }
    }
    skip("Asana's Python client is not installed (pip install asana==5.4.0)");
    None
}
