//! A real PostgreSQL server for the tests, started from Debian's `postgresql` package
//! (`scripts/test` installs it): `initdb` in a temporary folder, then `postgres` on a free port
//! of 127.0.0.1, once per test binary. Each test gets a database of its own ([`database`]).
//!
//! - As root (PostgreSQL refuses to run as root) the server runs as the `postgres` account,
//!   else `nobody`, through `setpriv`; otherwise as the current user.
//! - The server is started under a small shell that holds a pipe from this process: when the
//!   test binary ends, however it ends, the pipe closes and the shell stops the server and
//!   removes its folder. Nothing is left running.
//! - Durability is off (`fsync`, `full_page_writes`): the tests never cut the power.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub struct Server {
    pub port: u16,
    /// Keeps the pipe open (and so the server running) until the test binary exits.
    _guard: Mutex<Child>,
}

/// The folder of `initdb`, `pg_ctl` and `postgres`: on PATH, else Debian's newest version.
pub fn bin_dir() -> Option<PathBuf> {
    if let Ok(path) = which("initdb") {
        let real = std::fs::canonicalize(&path).unwrap_or(path);
        return real.parent().map(Path::to_path_buf);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn which(name: &str) -> Result<PathBuf, ()> {
    let path = std::env::var_os("PATH").ok_or(())?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .ok_or(())
}

/// The shared server, started on first use; `None` (the test skips) when PostgreSQL is not
/// installed, unless `THROUGHLINE_REQUIRE_EXTERNAL_CHECKS` is set.
pub fn server() -> Option<&'static Server> {
    static SERVER: OnceLock<Option<Server>> = OnceLock::new();
    SERVER
        .get_or_init(|| match bin_dir() {
            Some(bin) => Some(start(&bin)),
            None if std::env::var_os("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").is_some() => panic!(
                "PostgreSQL is not installed (no initdb on PATH or under /usr/lib/postgresql); \
                 run scripts/test, or apt-get install postgresql \
                 (THROUGHLINE_REQUIRE_EXTERNAL_CHECKS is set: this check must run)"
            ),
            None => {
                eprintln!("skipped: PostgreSQL is not installed (apt-get install postgresql)");
                None
            }
        })
        .as_ref()
}

/// A fresh, empty database on the shared server: its address.
pub fn database() -> Option<String> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let server = server()?;
    let name = format!(
        "t{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let mut admin = connect(&server.url("postgres"));
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("creating a test database");
    Some(server.url(&name))
}

pub fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("connecting to the test server")
}

impl Server {
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

/// Who runs the server: `None` = this user; as root, an unprivileged account.
fn run_as() -> Option<(u32, u32)> {
    // SAFETY-free check of the effective user through /proc (no libc call needed).
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|u| u.parse::<u32>().ok())
        .unwrap_or(1);
    if uid != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let postgres = passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        if f.first() != Some(&"postgres") || f.len() < 4 {
            return None;
        }
        Some((f[2].parse().ok()?, f[3].parse().ok()?))
    });
    Some(postgres.unwrap_or((65534, 65534)))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

/// `command` as the server's user.
fn as_user(program: &Path, user: Option<(u32, u32)>) -> Command {
    match user {
        None => Command::new(program),
        Some((uid, gid)) => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={uid}"))
                .arg(format!("--regid={gid}"))
                .arg("--clear-groups")
                .arg(program);
            c
        }
    }
}

fn start(bin: &Path) -> Server {
    let user = run_as();
    let dir = tempfile::Builder::new()
        .prefix("throughline-pg-")
        .tempdir()
        .expect("a temporary folder")
        .keep();
    let data = dir.join("data");
    if let Some((uid, gid)) = user {
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).expect("handing the folder over");
    }
    let out = as_user(&bin.join("initdb"), user)
        .args(["-D"])
        .arg(&data)
        .args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ])
        .output()
        .expect("running initdb");
    assert!(
        out.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = free_port();
    // The shell stops the server (fast shutdown) and removes the folder once its stdin closes.
    let script = format!(
        "\"$0\" \"$@\" & pid=$!; cat >/dev/null; kill -INT $pid; wait $pid; rm -rf '{}'",
        dir.display()
    );
    let mut guard = as_user(Path::new("sh"), None);
    guard
        .arg("-c")
        .arg(script)
        .args(as_user(&bin.join("postgres"), user).get_program_and_args())
        .arg("-D")
        .arg(&data)
        .args(["-p", &port.to_string(), "-k"])
        .arg(&dir)
        .args([
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "max_connections=300",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let child = guard.spawn().expect("starting postgres");
    let server = Server {
        port,
        _guard: Mutex::new(child),
    };
    wait_ready(&server);
    server
}

trait ProgramAndArgs {
    fn get_program_and_args(&self) -> Vec<std::ffi::OsString>;
}

impl ProgramAndArgs for Command {
    fn get_program_and_args(&self) -> Vec<std::ffi::OsString> {
        std::iter::once(self.get_program().to_owned())
            .chain(self.get_args().map(ToOwned::to_owned))
            .collect()
    }
}

fn wait_ready(server: &Server) {
    let started = Instant::now();
    let url = server.url("postgres");
    loop {
        match postgres::Client::connect(&url, postgres::NoTls) {
            Ok(_) => return,
            Err(e) if started.elapsed() > Duration::from_secs(60) => {
                panic!("the test PostgreSQL server did not start within a minute: {e}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}
