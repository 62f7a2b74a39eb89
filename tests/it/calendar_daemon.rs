//! The daemon's `/calendar/<token>/<person>.ics`: the right token gives the person's calendar
//! (the same events as `throughline calendar --person`), a wrong one 404, and a revoked one
//! stops working while the new one works.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::cli::{copy_example, run, text};

/// A running daemon; killed when dropped.
struct Daemon {
    child: Child,
    addr: String,
}

impl Daemon {
    fn start(config: &Path) -> Daemon {
        let mut child = Command::new(env!("CARGO_BIN_EXE_throughline"))
            .args(["daemon", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--config")
            .arg(config)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        // Owned by the guard from here, so that a failing test still stops it.
        let mut daemon = Daemon {
            child,
            addr: String::new(),
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        // Long only so that a broken daemon fails the test instead of hanging it.
        let mut seen = Vec::new();
        loop {
            let line = match rx.recv_timeout(Duration::from_secs(180)) {
                Ok(line) => line,
                Err(_) => panic!("the daemon did not start:\n{}", seen.join("\n")),
            };
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                && v["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("throughline daemon started"))
            {
                daemon.addr = v["listen"].as_str().unwrap().to_string();
                return daemon;
            }
            seen.push(line);
        }
    }

    /// Status, content type and body of a GET.
    fn get(&self, path: &str) -> (u16, String, String) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8(raw).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let code = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        let content_type = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-type")
                    .then(|| v.trim().to_string())
            })
            .unwrap_or_default();
        assert!(
            !head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "{head}"
        );
        (code, content_type, body.to_string())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `calendar --links`: person → (token, path of the URL).
fn links(config: &Path) -> Vec<(String, String, String)> {
    let o = run(config, &["calendar", "--links"]);
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (person, url) = line.split_once(char::is_whitespace).unwrap();
            let url = url.trim();
            let path = &url[url.find("/calendar/").unwrap()..];
            let token = path.split('/').nth(2).unwrap().to_string();
            (person.to_string(), token, path.to_string())
        })
        .collect()
}

fn uids(ics: &str) -> Vec<String> {
    let mut uids: Vec<String> = ics
        .split("\r\n")
        .filter_map(|l| l.strip_prefix("UID:"))
        .map(str::to_string)
        .collect();
    uids.sort();
    uids
}

#[test]
fn the_right_token_serves_the_persons_calendar_and_a_wrong_one_is_404() {
    let (dir, config) = copy_example("content");
    std::fs::write(
        &config,
        std::fs::read_to_string(&config).unwrap()
            + "\n[daemon]\npublic_url = \"https://sync.example.com/\"\n",
    )
    .unwrap();
    let first = links(&config);
    assert!(first.len() >= 2, "{first:?}");
    for (person, token, path) in &first {
        assert_eq!(token.len(), 64, "{person}: {token}");
        assert_eq!(path, &format!("/calendar/{token}/{person}.ics"));
    }
    // Asking again gives the same addresses.
    assert_eq!(links(&config), first);
    let o = run(&config, &["calendar", "--links"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("https://sync.example.com/calendar/"),
        "{}",
        text(&o)
    );
    let (maya, maya_token, maya_path) = first
        .iter()
        .find(|(p, ..)| p == "maya@example.com")
        .cloned()
        .unwrap();
    let (other, other_token, _) = first.iter().find(|(p, ..)| *p != maya).cloned().unwrap();

    let daemon = Daemon::start(&config);
    // The daemon holds the state file; the addresses are still read from it.
    assert_eq!(links(&config), first);
    let (code, content_type, body) = daemon.get(&maya_path);
    assert_eq!(code, 200, "{body}");
    assert!(content_type.starts_with("text/calendar"), "{content_type}");
    let o = run(&config, &["calendar", "--person", &maya]);
    assert!(o.status.success(), "{}", text(&o));
    let expected = uids(&String::from_utf8(o.stdout).unwrap());
    assert!(!expected.is_empty());
    assert_eq!(uids(&body), expected);
    if python_has_icalendar() {
        let file = dir.path().join("served.ics");
        std::fs::write(&file, &body).unwrap();
        let o = Command::new("python3")
            .args([
                "-c",
                "import sys, icalendar; c = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read()); print(len(c.walk('VEVENT')))",
            ])
            .arg(&file)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).trim(),
            expected.len().to_string()
        );
    }

    // One character off, another person's token, no token, a person who is not in the
    // deployment: all the same 404.
    let mut off = maya_token.clone().into_bytes();
    off[10] = if off[10] == b'a' { b'b' } else { b'a' };
    let off = String::from_utf8(off).unwrap();
    for path in [
        format!("/calendar/{off}/{maya}.ics"),
        format!("/calendar/{other_token}/{maya}.ics"),
        format!("/calendar/{}/{maya}.ics", &maya_token[..63]),
        format!("/calendar/{maya_token}/nobody@example.com.ics"),
        format!("/calendar/{maya_token}/{maya}"),
    ] {
        let (code, _, body) = daemon.get(&path);
        assert_eq!(code, 404, "{path}: {body}");
        assert!(!body.contains("BEGIN:VCALENDAR"), "{path}: {body}");
    }
    // The other person's own token works for them.
    let (code, _, _) = daemon.get(&format!("/calendar/{other_token}/{other}.ics"));
    assert_eq!(code, 200);

    // Revoking needs the state file the daemon holds: it says to stop the daemon.
    let o = run(&config, &["calendar", "--revoke", &maya]);
    assert!(!o.status.success());
    assert!(text(&o).contains("stop the daemon"), "{}", text(&o));
    drop(daemon);

    let o = run(&config, &["calendar", "--revoke", &maya]);
    assert!(o.status.success(), "{}", text(&o));
    let after = links(&config);
    let (_, new_token, new_path) = after.iter().find(|(p, ..)| *p == maya).cloned().unwrap();
    assert_ne!(new_token, maya_token);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(&new_path),
        "{}",
        text(&o)
    );
    // Nobody else's address changed.
    for (person, token, _) in &first {
        if *person != maya {
            assert!(after.iter().any(|(p, t, _)| p == person && t == token));
        }
    }
    let daemon = Daemon::start(&config);
    assert_eq!(daemon.get(&maya_path).0, 404, "the revoked address");
    assert_eq!(daemon.get(&new_path).0, 200, "the new address");
}

#[test]
fn revoking_someone_unknown_says_who_exists() {
    let (_dir, config) = copy_example("content");
    let o = run(&config, &["calendar", "--revoke", "nobody@example.com"]);
    assert!(!o.status.success());
    let out = text(&o);
    assert!(out.contains("no person \"nobody@example.com\""), "{out}");
    assert!(out.contains("maya@example.com"), "{out}");
}

fn python_has_icalendar() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import icalendar"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").is_none(),
            "python3 with icalendar is not installed (pip install -r tests/requirements.txt)"
        );
        eprintln!("SKIPPED: parsing the served calendar with icalendar (python3 has none)");
    }
    ok
}
