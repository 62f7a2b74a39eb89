//! Leader and standby: two daemons on one deployment whose state is in PostgreSQL, with the
//! Trello emulator. The leader is killed (`kill -9`) in the middle of its first cycle, or cut
//! off from the database; the standby takes over and finishes, with no card made twice and no
//! tick a person made lost; the old leader writes nothing after the takeover.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use throughline::state::{PostgresStore, StateStore};
use throughline_connector::State;

use crate::postgres_server::{database, server};

const PATIENCE: Duration = Duration::from_secs(180);
const ITEMS: usize = 10;

/// A deployment of `ITEMS` items × 3 stages on one Trello board, its state at `env:TL_STATE_URL`.
fn write_deployment(dir: &Path, board: &str, trello: &str) -> PathBuf {
    write_deployment_at(dir, board, trello, "env:TL_STATE_URL")
}

fn write_deployment_at(dir: &Path, board: &str, trello: &str, state: &str) -> PathBuf {
    std::fs::create_dir_all(dir.join("playbooks")).unwrap();
    std::fs::write(
        dir.join("playbooks/content.toml"),
        r#"
[process]
id = "content"
name = "Content"
timezone = "UTC"

[roles.writer]
name = "Writer"
people = ["dana@example.com"]

[[stage]]
id = "copy"
name = "Copy"
owner = "writer"
days = 2

[[stage]]
id = "review"
name = "Review"
owner = "writer"
days = 1

[[stage]]
id = "publish"
name = "Publish"
owner = "writer"
days = 1
"#,
    )
    .unwrap();
    let items: String = (0..ITEMS)
        .map(|i| {
            format!(
                "[[item]]\nid = \"post-{i:02}\"\nprocess = \"content\"\ntitle = \"Post {i}\"\ngolive = 2027-03-{:02}\n\n",
                i + 10
            )
        })
        .collect();
    std::fs::create_dir_all(dir.join("items")).unwrap();
    std::fs::write(dir.join("items/posts.toml"), items).unwrap();
    let config = dir.join("throughline.toml");
    std::fs::write(
        &config,
        format!(
            "state = \"{state}\"\nplaybooks = [\"playbooks/*.toml\"]\nitems = [\"items/*.toml\"]\n\n\
             [sync]\nevery = \"2s\"\nmax_create_share = 100.0\n\n\
             [[target]]\nid = \"studio\"\nkind = \"trello\"\nboard = \"{board}\"\nbase_url = \"{trello}\"\n\
             credentials = {{ key = \"env:TL_TRELLO_KEY\", token = \"env:TL_TRELLO_TOKEN\" }}\n"
        ),
    )
    .unwrap();
    config
}

/// One replica: the binary with its log lines collected.
struct Replica {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Replica {
    fn start(config: &Path, env: &[(&str, String)]) -> Replica {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_throughline"));
        cmd.args(["daemon", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .args(["--lease", "2s", "--config"])
            .arg(config)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let lines: Arc<Mutex<Vec<String>>> = Arc::default();
        let keep = lines.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                keep.lock().unwrap().push(line);
            }
        });
        Replica { child, lines }
    }

    fn log(&self) -> Vec<serde_json::Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    fn text(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// The first log line whose message contains `what`, waiting for it.
    fn wait_for(&mut self, what: &str) -> serde_json::Value {
        let start = Instant::now();
        loop {
            if let Some(v) = self
                .log()
                .into_iter()
                .find(|v| v["message"].as_str().unwrap_or("").contains(what))
            {
                return v;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the replica exited ({status}) before \"{what}\":\n{}",
                    self.text()
                );
            }
            assert!(
                start.elapsed() < PATIENCE,
                "no \"{what}\" in:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn says(&self, what: &str) -> bool {
        self.log()
            .iter()
            .any(|v| v["message"].as_str().unwrap_or("").contains(what))
    }

    fn kill_9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` on a replica's address: the status and body.
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    (
        head.split_whitespace().nth(1).unwrap().parse().unwrap(),
        body.to_owned(),
    )
}

/// Wait until the leader at `addr` ended a cycle that started after `after` with every target
/// up to date; its `/readyz`.
fn cycle_after(addr: &str, after: jiff::Timestamp) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let (_, body) = get(addr, "/readyz");
        let r: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        if let Some(started) = r["last_cycle"]["started"].as_str()
            && started.parse::<jiff::Timestamp>().unwrap() > after
        {
            return r;
        }
        assert!(start.elapsed() < PATIENCE, "no cycle after {after}: {r:#}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Trello {
    emulator: throughline_trello::emulator::Emulator,
    _rt: tokio::runtime::Runtime,
}

fn trello() -> Trello {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let emulator = rt
        .block_on(throughline_trello::emulator::Emulator::start())
        .unwrap();
    Trello { emulator, _rt: rt }
}

/// Open cards per identity marker (the last line of the description).
fn cards_per_identity(
    e: &throughline_trello::emulator::Emulator,
    board: &str,
) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for card in e.person(|p| p.cards(board)) {
        if card.closed {
            continue;
        }
        let marker = card.desc.lines().last().unwrap_or("").trim().to_owned();
        *out.entry(marker).or_insert(0) += 1;
    }
    out
}

struct Setup {
    trello: Trello,
    board: String,
    _dir: tempfile::TempDir,
    config: PathBuf,
    url: String,
}

fn setup() -> Option<Setup> {
    let url = database()?;
    let trello = trello();
    let board = trello.emulator.seed_board("Content");
    let dir = tempfile::TempDir::new().unwrap();
    let config = write_deployment(dir.path(), &board, &trello.emulator.base_url());
    Some(Setup {
        trello,
        board,
        _dir: dir,
        config,
        url,
    })
}

impl Setup {
    fn env(&self, url: &str) -> Vec<(&'static str, String)> {
        vec![
            ("TL_STATE_URL", url.to_owned()),
            ("TL_TRELLO_KEY", self.trello.emulator.key()),
            ("TL_TRELLO_TOKEN", self.trello.emulator.token()),
        ]
    }

    /// Every identity has one open card, and the store links each once.
    fn assert_no_duplicates(&self) {
        let cards = cards_per_identity(&self.trello.emulator, &self.board);
        let twice: Vec<_> = cards.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "cards made twice: {twice:?}");
        assert_eq!(cards.len(), ITEMS * 3, "{cards:?}");
        let store = PostgresStore::open_read_only(&self.url).unwrap();
        let links = store.links("studio").unwrap();
        assert_eq!(
            links.iter().filter(|l| l.parent.is_none()).count(),
            ITEMS * 3
        );
        assert!(store.intents("studio").unwrap().is_empty());
    }
}

#[test]
fn the_standby_finishes_the_cycle_of_a_leader_killed_mid_way() {
    let Some(s) = setup() else {
        return;
    };
    let e = &s.trello.emulator;
    let mut a = Replica::start(&s.config, &s.env(&s.url));
    a.wait_for("this replica leads");
    let mut b = Replica::start(&s.config, &s.env(&s.url));
    b.wait_for("another replica leads");

    // Mid-cycle: some cards made, not all (the emulator's rate limit paces the creates).
    let start = Instant::now();
    while cards_per_identity(e, &s.board).len() < 3 {
        assert!(
            start.elapsed() < PATIENCE,
            "the leader made no cards:\n{}",
            a.text()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    a.kill_9();
    let killed = jiff::Timestamp::now();
    let made = cards_per_identity(e, &s.board).len();
    assert!(made < ITEMS * 3, "the leader finished before it was killed");

    // While nobody leads, a person ticks two of the cards already made.
    let ticked: Vec<String> = e.person(|p| {
        let cards = p.cards(&s.board);
        cards
            .iter()
            .take(2)
            .map(|c| {
                p.set_due_complete(&c.id, true);
                c.desc.lines().last().unwrap().trim().to_owned()
            })
            .collect()
    });

    let led = b.wait_for("this replica leads");
    let addr = led["listen"].as_str().unwrap().to_owned();
    eprintln!(
        "takeover after {:?} (lease 2s; {made} of {} cards were made)",
        jiff::Timestamp::now().duration_since(killed),
        ITEMS * 3
    );
    let first = cycle_after(&addr, killed);
    let second = cycle_after(
        &addr,
        first["last_cycle"]["started"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
    );
    assert_eq!(second["ready"], true, "{second:#}");

    s.assert_no_duplicates();
    // No tick lost: each is the hub's status now, with where it came from.
    let store = PostgresStore::open_read_only(&s.url).unwrap();
    let statuses = store.statuses().unwrap();
    for marker in &ticked {
        let done = statuses
            .iter()
            .any(|r| marker.contains(r.identity.as_str()) && r.state == State::Done);
        assert!(done, "the tick on {marker} was lost: {statuses:#?}");
    }
}

/// A TCP relay to the database that can be cut (every connection dropped, new ones refused)
/// and restored.
struct Relay {
    port: u16,
    cut: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn start(to: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (cut2, open2) = (cut.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                if cut2.load(Ordering::SeqCst) {
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", to)) else {
                    continue;
                };
                let mut keep = open2.lock().unwrap();
                keep.push(client.try_clone().unwrap());
                keep.push(server.try_clone().unwrap());
                for (mut from, mut into) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut into);
                        let _ = into.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Relay { port, cut, open }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

#[test]
fn a_leader_cut_off_from_the_database_stops_and_the_standby_takes_over() {
    let Some(s) = setup() else {
        return;
    };
    let relay = Relay::start(server().unwrap().port);
    let through_relay = s.url.replace(
        &format!(":{}/", server().unwrap().port),
        &format!(":{}/", relay.port),
    );
    let mut a = Replica::start(&s.config, &s.env(&through_relay));
    let led = a.wait_for("this replica leads");
    let a_addr = led["listen"].as_str().unwrap().to_owned();
    cycle_after(&a_addr, jiff::Timestamp::UNIX_EPOCH);
    let mut b = Replica::start(&s.config, &s.env(&s.url));
    b.wait_for("another replica leads");

    relay.cut();
    let cut = jiff::Timestamp::now();
    a.wait_for("stepping down");
    a.wait_for("no longer holds the lease");
    let led = b.wait_for("this replica leads");
    eprintln!(
        "takeover after {:?} (lease 2s)",
        jiff::Timestamp::now().duration_since(cut)
    );
    let b_addr = led["listen"].as_str().unwrap().to_owned();

    // The database is back for a: it stands by, and runs no cycle.
    relay.restore();
    let e = &s.trello.emulator;
    // A person ticks a card meanwhile: the new leader pulls it.
    e.person(|p| {
        let card = p.card_with_marker("post-03/review").unwrap();
        p.set_due_complete(&card, true);
    });
    let after = jiff::Timestamp::now();
    cycle_after(&b_addr, after);
    let a_lines = a.log().len();
    cycle_after(&b_addr, jiff::Timestamp::now());
    assert!(a.says("another replica leads") || a.says("cannot reach the state store"));
    let later: Vec<_> = a.log()[a_lines..]
        .iter()
        .filter(|v| v["message"].as_str().unwrap_or("").contains("cycle"))
        .cloned()
        .collect();
    assert!(
        later.is_empty(),
        "the old leader still runs cycles: {later:#?}"
    );
    s.assert_no_duplicates();
    let store = PostgresStore::open_read_only(&s.url).unwrap();
    let review = store.status_history("post-03/review").unwrap();
    assert_eq!(
        review.last().map(|r| r.state),
        Some(State::Done),
        "{review:#?}"
    );
}

/// `/metrics` of a daemon of several deployments: deployment → leads (1) or not (0).
fn leaders(addr: &str) -> BTreeMap<String, u8> {
    let (_, body) = get(addr, "/metrics");
    body.lines()
        .filter_map(|l| l.strip_prefix("throughline_leader{deployment=\""))
        .filter_map(|l| l.split_once("\"} "))
        .map(|(name, v)| (name.to_owned(), v.trim().parse().unwrap()))
        .collect()
}

#[test]
fn each_deployment_of_a_folder_has_one_leader_and_a_standby_takes_them_over() {
    let Some(url) = database() else {
        return;
    };
    let t = trello();
    let e = &t.emulator;
    let dir = tempfile::TempDir::new().unwrap();
    // Two deployments sharing one database, each in a schema of its own.
    let mut admin = crate::postgres_server::connect(&url);
    let mut env = vec![("TL_TRELLO_KEY", e.key()), ("TL_TRELLO_TOKEN", e.token())];
    let mut boards = BTreeMap::new();
    for (name, var) in [("alpha", "TL_STATE_ALPHA"), ("beta", "TL_STATE_BETA")] {
        admin
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .unwrap();
        let board = e.seed_board(name);
        write_deployment_at(
            &dir.path().join(name),
            &board,
            &e.base_url(),
            &format!("env:{var}"),
        );
        env.push((var, format!("{url}?options=-csearch_path%3D{name}")));
        boards.insert(name, board);
    }
    let mut a = Replica::start(dir.path(), &env);
    let a_addr = a.wait_for("several deployments started")["listen"]
        .as_str()
        .unwrap()
        .to_owned();
    // a leads both, being alone.
    let start = Instant::now();
    while leaders(&a_addr).values().sum::<u8>() < 2 {
        assert!(
            start.elapsed() < PATIENCE,
            "{:?}\n{}",
            leaders(&a_addr),
            a.text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut b = Replica::start(dir.path(), &env);
    let b_addr = b.wait_for("several deployments started")["listen"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        leaders(&b_addr),
        BTreeMap::from([("alpha".into(), 0), ("beta".into(), 0)])
    );
    assert_eq!(get(&b_addr, "/readyz/alpha").0, 503);
    assert_eq!(get(&a_addr, "/readyz/alpha").0, 200);
    assert_eq!(get(&a_addr, "/readyz/gamma").0, 404);

    // a dies: b takes both over, each deployment's cards made once.
    a.kill_9();
    let start = Instant::now();
    while leaders(&b_addr).values().sum::<u8>() < 2 {
        assert!(
            start.elapsed() < PATIENCE,
            "{:?}\n{}",
            leaders(&b_addr),
            b.text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (_, body) = get(&b_addr, "/readyz");
    let ready: serde_json::Value = serde_json::from_str(&body).unwrap();
    for (name, board) in &boards {
        let listen = ready["deployments"][name]["listen"].as_str().unwrap();
        let after = cycle_after(listen, jiff::Timestamp::UNIX_EPOCH);
        cycle_after(
            listen,
            after["last_cycle"]["started"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap(),
        );
        let cards = cards_per_identity(e, board);
        assert_eq!(cards.len(), ITEMS * 3, "{name}: {cards:?}");
        assert!(cards.values().all(|n| *n == 1), "{name}: {cards:?}");
    }
}
