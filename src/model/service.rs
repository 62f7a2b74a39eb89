//! `[daemon]` and `[reminders]` in `throughline.toml`: how `throughline daemon` runs as a
//! service, and the digests it sends people. Read with spans like the rest of the file, so a
//! bad value is reported at its `file:line:col`.
//!
//! ```toml
//! [daemon]
//! listen = "127.0.0.1:9184"                 # /healthz, /readyz, /metrics and the webhooks
//! public_url = "https://sync.example.com"   # how Trello and Asana reach this daemon
//! timezone = "Asia/Jerusalem"               # for `cron` and the operator's summary
//! operator = "ops@example.com"              # alerts and a daily summary of failures
//!
//! [reminders]
//! at = "08:30"                              # in each playbook's time zone, business days only
//! days_ahead = 2                            # tasks due within this many business days
//! email = { host = "smtp.example.com", from = "Throughline <ops@example.com>",
//!           username = "env:SMTP_USER", password = "env:SMTP_PASSWORD" }
//! webhook = "env:SLACK_WEBHOOK_URL"         # Slack-compatible incoming webhook
//! ```

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use jiff::civil::Time;
use jiff::tz::TimeZone;

use super::SecretRef;
use super::fields::{At, Expect, Fields, Problems};
use super::validate::{parse_duration, parse_secret};

/// Where the daemon answers when neither `--listen` nor `[daemon] listen` says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9184";

/// `[daemon]`.
#[derive(Debug, Clone, PartialEq)]
pub struct DaemonSettings {
    /// `None`: [`DEFAULT_LISTEN`] (or `--listen`).
    pub listen: Option<SocketAddr>,
    /// The address Trello and Asana call, without a trailing `/` (`https://sync.example.com`).
    /// Trello signs each webhook over the callback URL it was given, so it must be the same
    /// text. `None`: `http://<listen>`.
    pub public_url: Option<String>,
    /// For `cron` and the operator's daily summary. `None`: the first playbook's time zone.
    pub timezone: Option<(String, TimeZone)>,
    /// Gets authentication alerts and a daily summary of failures.
    pub operator: Option<String>,
    /// A failing target is retried at least this often, however long it keeps failing.
    pub max_backoff: Duration,
    /// On SIGTERM/SIGINT, how long the cycle in flight may take to stop.
    pub stop_timeout: Duration,
    /// How long to wait after a webhook before the early cycle, so that a burst of webhooks
    /// (one action in a tool often sends several) becomes one cycle.
    pub webhook_delay: Duration,
}

impl Default for DaemonSettings {
    fn default() -> Self {
        DaemonSettings {
            listen: None,
            public_url: None,
            timezone: None,
            operator: None,
            max_backoff: Duration::from_secs(3600),
            stop_timeout: Duration::from_secs(30),
            webhook_delay: Duration::from_secs(1),
        }
    }
}

/// `[reminders]`: a digest per person of tasks due soon and overdue, in the playbook's language.
#[derive(Debug, Clone, PartialEq)]
pub struct ReminderSettings {
    /// Local time of day, in each playbook's time zone; business days only.
    pub at: Time,
    /// Tasks due from today through this many business days ahead (and every overdue task).
    pub days_ahead: u32,
    pub email: Option<SmtpSettings>,
    /// A Slack-compatible incoming webhook URL (it carries a token, so it is a secret).
    pub webhook: Option<SecretRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (port 587). TLS is required.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine.
    None,
}

/// `email = { host, port, tls, from, username, password }`.
#[derive(Debug, Clone, PartialEq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// The sender, `Name <address>` or `address`.
    pub from: String,
    pub username: Option<SecretRef>,
    pub password: Option<SecretRef>,
}

#[derive(Debug, Default)]
pub(crate) struct RawService {
    pub daemon: Option<RawDaemon>,
    pub reminders: Option<RawReminders>,
    pub review: Option<super::review::RawReview>,
    pub dashboard: Option<super::dashboard::RawDashboard>,
}

#[derive(Debug)]
pub(crate) struct RawDaemon {
    pub listen: Option<At<String>>,
    pub public_url: Option<At<String>>,
    pub timezone: Option<At<String>>,
    pub operator: Option<At<String>>,
    pub max_backoff: Option<At<String>>,
    pub stop_timeout: Option<At<String>>,
    pub webhook_delay: Option<At<String>>,
}

#[derive(Debug)]
pub(crate) struct RawReminders {
    pub at_table: At<()>,
    pub at: Option<At<String>>,
    pub days_ahead: Option<At<u32>>,
    pub email: Option<RawSmtp>,
    pub webhook: Option<At<String>>,
}

#[derive(Debug)]
pub(crate) struct RawSmtp {
    pub at: At<()>,
    pub host: Option<At<String>>,
    pub port: Option<At<u32>>,
    pub tls: Option<At<String>>,
    pub from: Option<At<String>>,
    pub username: Option<At<String>>,
    pub password: Option<At<String>>,
}

const DURATION: Expect = Expect {
    what: "a duration in quotes",
    example: "\"1h\"",
};

/// Read `[daemon]` and `[reminders]` from the top of `throughline.toml`.
pub(crate) fn read(top: &Fields<'_, '_>, problems: &mut Problems) -> RawService {
    let daemon = top
        .table(
            "daemon",
            "[daemon]",
            Expect {
                what: "a table",
                example: "[daemon] with listen = \"127.0.0.1:9184\" under it",
            },
            problems,
        )
        .map(|t| read_daemon(&t, problems));
    let reminders = top
        .table(
            "reminders",
            "[reminders]",
            Expect {
                what: "a table",
                example: "[reminders] with at = \"08:30\" under it",
            },
            problems,
        )
        .map(|t| read_reminders(&t, problems));
    RawService {
        daemon,
        reminders,
        review: super::review::read(top, problems),
        dashboard: super::dashboard::read(top, problems),
    }
}

fn read_daemon(t: &Fields<'_, '_>, problems: &mut Problems) -> RawDaemon {
    t.check_keys(
        &[
            "listen",
            "public_url",
            "timezone",
            "operator",
            "max_backoff",
            "stop_timeout",
            "webhook_delay",
        ],
        problems,
    );
    RawDaemon {
        listen: t.text(
            "listen",
            Expect {
                what: "an address and port in quotes",
                example: "\"127.0.0.1:9184\"",
            },
            problems,
        ),
        public_url: t.text(
            "public_url",
            Expect {
                what: "a web address in quotes",
                example: "\"https://sync.example.com\"",
            },
            problems,
        ),
        timezone: t.text(
            "timezone",
            Expect {
                what: "a time zone name in quotes",
                example: "\"Asia/Jerusalem\"",
            },
            problems,
        ),
        operator: t.text(
            "operator",
            Expect {
                what: "an e-mail address in quotes",
                example: "\"ops@example.com\"",
            },
            problems,
        ),
        max_backoff: t.text("max_backoff", DURATION, problems),
        stop_timeout: t.text("stop_timeout", DURATION, problems),
        webhook_delay: t.text("webhook_delay", DURATION, problems),
    }
}

fn read_reminders(t: &Fields<'_, '_>, problems: &mut Problems) -> RawReminders {
    t.check_keys(&["at", "days_ahead", "email", "webhook"], problems);
    let email = t
        .table(
            "email",
            "`email`",
            Expect {
                what: "a table",
                example: "{ host = \"smtp.example.com\", from = \"ops@example.com\" }",
            },
            problems,
        )
        .map(|e| read_smtp(&e, problems));
    RawReminders {
        at_table: t.at(()),
        at: t.text(
            "at",
            Expect {
                what: "a time of day in quotes",
                example: "\"08:30\"",
            },
            problems,
        ),
        days_ahead: t.count(
            "days_ahead",
            Expect {
                what: "a whole number of business days",
                example: "2",
            },
            problems,
        ),
        email,
        webhook: t.text(
            "webhook",
            Expect {
                what: "a secret reference in quotes",
                example: "\"env:SLACK_WEBHOOK_URL\"",
            },
            problems,
        ),
    }
}

fn read_smtp(t: &Fields<'_, '_>, problems: &mut Problems) -> RawSmtp {
    t.check_keys(
        &["host", "port", "tls", "from", "username", "password"],
        problems,
    );
    let secret = Expect {
        what: "a secret reference in quotes",
        example: "\"env:SMTP_PASSWORD\"",
    };
    RawSmtp {
        at: t.at(()),
        host: t.req_text(
            "host",
            Expect {
                what: "the mail server's name in quotes",
                example: "\"smtp.example.com\"",
            },
            problems,
        ),
        port: t.count(
            "port",
            Expect {
                what: "a port number",
                example: "587",
            },
            problems,
        ),
        tls: t.text(
            "tls",
            Expect {
                what: "\"starttls\", \"tls\" or \"none\"",
                example: "\"starttls\"",
            },
            problems,
        ),
        from: t.req_text(
            "from",
            Expect {
                what: "the sender's address in quotes",
                example: "\"Throughline <ops@example.com>\"",
            },
            problems,
        ),
        username: t.text("username", secret, problems),
        password: t.text("password", secret, problems),
    }
}

/// Turn the raw tables into settings, reporting every bad value at its place.
pub(crate) fn resolve(
    raw: &RawService,
    base: &Path,
    problems: &mut Problems,
) -> (DaemonSettings, Option<ReminderSettings>) {
    let mut daemon = DaemonSettings::default();
    let reminders = raw
        .reminders
        .as_ref()
        .map(|r| resolve_reminders(r, base, problems));
    let Some(d) = &raw.daemon else {
        return (daemon, reminders);
    };
    if let Some(listen) = &d.listen {
        match parse_listen(&listen.value) {
            Ok(addr) => daemon.listen = Some(addr),
            Err(message) => problems.at(listen, message),
        }
    }
    if let Some(url) = &d.public_url {
        let text = url.value.trim().trim_end_matches('/');
        if text.starts_with("http://") || text.starts_with("https://") {
            daemon.public_url = Some(text.to_string());
        } else {
            problems.at(
                url,
                format!(
                    "`public_url` must be a web address starting with https:// (or http://), like \"https://sync.example.com\"; `{}` is not one",
                    url.value
                ),
            );
        }
    }
    if let Some(name) = &d.timezone {
        match TimeZone::get(&name.value) {
            Ok(tz) => {
                let iana = tz.iana_name().unwrap_or(&name.value).to_string();
                daemon.timezone = Some((iana, tz));
            }
            Err(_) => problems.at(
                name,
                format!(
                    "unknown time zone `{}`; use a name from the IANA time zone database, like \"Asia/Jerusalem\" or \"Europe/London\"",
                    name.value
                ),
            ),
        }
    }
    if let Some(operator) = &d.operator {
        if looks_like_address(&operator.value) {
            daemon.operator = Some(operator.value.trim().to_string());
        } else {
            problems.at(
                operator,
                format!(
                    "`operator` must be an e-mail address, like \"ops@example.com\"; `{}` is not one",
                    operator.value
                ),
            );
        }
        let reachable = reminders
            .as_ref()
            .is_some_and(|r| r.email.is_some() || r.webhook.is_some());
        if raw.reminders.is_none() || (reminders.is_some() && !reachable) {
            problems.at(
                operator,
                "the operator's alerts need a way out: add a [reminders] table with `email = { ... }` (an SMTP server) or `webhook = \"env:...\"`",
            );
        }
    }
    let mut duration = |value: &Option<At<String>>, into: &mut Duration| {
        if let Some(v) = value {
            match parse_duration(&v.value) {
                Ok(d) => *into = d,
                Err(message) => problems.at(v, message),
            }
        }
    };
    duration(&d.max_backoff, &mut daemon.max_backoff);
    duration(&d.stop_timeout, &mut daemon.stop_timeout);
    duration(&d.webhook_delay, &mut daemon.webhook_delay);
    (daemon, reminders)
}

fn resolve_reminders(r: &RawReminders, base: &Path, problems: &mut Problems) -> ReminderSettings {
    let mut out = ReminderSettings {
        at: Time::constant(8, 0, 0, 0),
        days_ahead: r.days_ahead.as_ref().map(|d| d.value).unwrap_or(2),
        email: None,
        webhook: None,
    };
    if let Some(at) = &r.at {
        match parse_time_of_day(&at.value) {
            Some(time) => out.at = time,
            None => problems.at(
                at,
                format!(
                    "`at` must be a time of day on the 24-hour clock, like \"08:30\" or \"17:00\"; `{}` is not one",
                    at.value
                ),
            ),
        }
    }
    if let Some(days) = &r.days_ahead
        && days.value > 60
    {
        problems.at(
            days,
            format!(
                "`days_ahead` is {}: a digest that looks that far ahead is too long to read; use a number up to 60",
                days.value
            ),
        );
    }
    if let Some(hook) = &r.webhook {
        match parse_secret(&hook.value, base) {
            Ok(secret) => out.webhook = Some(secret),
            Err(message) => problems.at(
                hook,
                format!("`webhook` is a secret (its address carries a token): {message}"),
            ),
        }
    }
    if let Some(e) = &r.email {
        out.email = resolve_smtp(e, base, problems);
    }
    if r.email.is_none() && r.webhook.is_none() {
        problems.at(
            &r.at_table,
            "[reminders] has no way to send anything: add `email = { host = \"smtp.example.com\", from = \"ops@example.com\" }` or `webhook = \"env:SLACK_WEBHOOK_URL\"`",
        );
    }
    out
}

fn resolve_smtp(e: &RawSmtp, base: &Path, problems: &mut Problems) -> Option<SmtpSettings> {
    let tls = match &e.tls {
        None => None,
        Some(t) => match t.value.as_str() {
            "starttls" => Some(SmtpTls::StartTls),
            "tls" => Some(SmtpTls::Tls),
            "none" => Some(SmtpTls::None),
            other => {
                problems.at(
                    t,
                    format!(
                        "`tls` must be \"starttls\" (port 587), \"tls\" (port 465) or \"none\" (a relay on this machine only); `{other}` is none of these"
                    ),
                );
                None
            }
        },
    };
    let port = match &e.port {
        Some(p) if p.value == 0 || p.value > 65_535 => {
            problems.at(
                p,
                format!(
                    "`port` must be between 1 and 65535, like 587; {} is not",
                    p.value
                ),
            );
            None
        }
        Some(p) => Some(p.value as u16),
        None => None,
    };
    let (tls, port) = match (tls, port) {
        (Some(t), Some(p)) => (t, p),
        (Some(SmtpTls::Tls), None) => (SmtpTls::Tls, 465),
        (Some(SmtpTls::None), None) => (SmtpTls::None, 25),
        (Some(SmtpTls::StartTls), None) | (None, None) => (SmtpTls::StartTls, 587),
        (None, Some(465)) => (SmtpTls::Tls, 465),
        (None, Some(p)) => (SmtpTls::StartTls, p),
    };
    if let Some(from) = &e.from
        && !looks_like_address(&from.value)
    {
        problems.at(
            from,
            format!(
                "`from` must be an e-mail address, like \"ops@example.com\" or \"Throughline <ops@example.com>\"; `{}` is not one",
                from.value
            ),
        );
    }
    let mut secret = |value: &Option<At<String>>, key: &str| {
        value
            .as_ref()
            .and_then(|v| match parse_secret(&v.value, base) {
                Ok(s) => Some(s),
                Err(message) => {
                    problems.at(v, format!("`{key}`: {message}"));
                    None
                }
            })
    };
    let username = secret(&e.username, "username");
    let password = secret(&e.password, "password");
    if username.is_some() != password.is_some() {
        problems.at(
            &e.at,
            "`username` and `password` go together: give both to sign in to the mail server, or neither",
        );
    }
    Some(SmtpSettings {
        host: e.host.as_ref()?.value.trim().to_string(),
        port,
        tls,
        from: e.from.as_ref()?.value.trim().to_string(),
        username,
        password,
    })
}

/// `127.0.0.1:9184`, `[::1]:9184`, `0.0.0.0:9184`; `localhost:9184` as the loopback address.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    let resolved = match text.strip_prefix("localhost:") {
        Some(port) => format!("127.0.0.1:{port}"),
        None => text.to_string(),
    };
    resolved.parse().map_err(|_| {
        format!(
            "`{text}` is not an address and port; write them like \"127.0.0.1:9184\" (this machine only) or \"0.0.0.0:9184\" (every network)"
        )
    })
}

/// `HH:MM` on the 24-hour clock.
fn parse_time_of_day(text: &str) -> Option<Time> {
    let (h, m) = text.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: i8 = h.parse().ok()?;
    let m: i8 = m.parse().ok()?;
    Time::new(h, m, 0, 0).ok()
}

/// `name@domain` or `Name <name@domain>`: enough to catch a value in the wrong key; the mail
/// library checks the rest when it sends.
fn looks_like_address(text: &str) -> bool {
    let addr = match (text.find('<'), text.rfind('>')) {
        (Some(a), Some(b)) if a < b => &text[a + 1..b],
        (None, None) => text.trim(),
        _ => return false,
    };
    match addr.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !addr.chars().any(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_of_day() {
        assert_eq!(
            parse_time_of_day("08:30"),
            Some(Time::constant(8, 30, 0, 0))
        );
        assert_eq!(parse_time_of_day("8:05"), Some(Time::constant(8, 5, 0, 0)));
        assert_eq!(
            parse_time_of_day("23:59"),
            Some(Time::constant(23, 59, 0, 0))
        );
        for bad in ["24:00", "8", "08:3", "08:60", "eight", "-1:00", "08:30:00"] {
            assert_eq!(parse_time_of_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn listen_addresses() {
        assert_eq!(
            parse_listen("localhost:9184").unwrap(),
            "127.0.0.1:9184".parse().unwrap()
        );
        assert!(parse_listen("[::1]:80").is_ok());
        assert!(parse_listen("9184").is_err());
        assert!(parse_listen("example.com:80").is_err());
    }

    #[test]
    fn addresses() {
        assert!(looks_like_address("ops@example.com"));
        assert!(looks_like_address("Throughline <ops@example.com>"));
        assert!(looks_like_address("צוות <ops@example.co.il>"));
        assert!(!looks_like_address("ops"));
        assert!(!looks_like_address("ops@"));
        assert!(!looks_like_address("Ops <ops@example.com"));
        assert!(!looks_like_address("a b@example.com"));
    }
}
