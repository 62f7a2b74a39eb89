//! `[dashboard]` in `throughline.toml`: who may sign in to the web dashboard (and so act from
//! it: sync now, settle a conflict, accept a drift, snooze a recommendation). Without it the
//! dashboard is read only and answers on loopback only.
//!
//! ```toml
//! [dashboard]
//! session = "12h"                  # how long a sign-in lasts (default 12h)
//!
//! [dashboard.users]                # name = argon2 hash (`throughline dashboard hash-password`)
//! dana = "$argon2id$v=19$m=19456,t=2,p=1$…"
//!
//! [dashboard.tokens]               # name = API token, sent as `Authorization: Bearer …`
//! deploy-bot = "env:THROUGHLINE_DASHBOARD_TOKEN"
//! ```
//!
//! The names are who the state store records with each action. A password is only ever kept
//! as its hash; a token only as `env:`/`file:`, like every other secret.

use std::path::Path;
use std::time::Duration;

use argon2::password_hash::PasswordHash;

use super::SecretRef;
use super::fields::{At, Expect, Fields, Problems};
use super::validate::{parse_duration, parse_secret};

/// A sign-in lasts this long unless `session` says otherwise.
pub const DEFAULT_SESSION: Duration = Duration::from_secs(12 * 3600);
/// The shortest and longest `session`: shorter signs people out mid-task; longer keeps a
/// forgotten browser signed in for too long.
const SESSION_RANGE: (Duration, Duration) = (
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 86_400),
);

/// `[dashboard]`, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct DashboardSettings {
    /// (name, argon2 PHC string), in file order.
    pub users: Vec<(String, String)>,
    /// (name, where the API token is), in file order.
    pub tokens: Vec<(String, SecretRef)>,
    /// How long a sign-in lasts.
    pub session: Duration,
}

impl Default for DashboardSettings {
    fn default() -> Self {
        DashboardSettings {
            users: Vec::new(),
            tokens: Vec::new(),
            session: DEFAULT_SESSION,
        }
    }
}

impl DashboardSettings {
    /// Whether anyone can sign in; without it the dashboard is read only, on loopback only.
    pub fn sign_in_configured(&self) -> bool {
        !self.users.is_empty() || !self.tokens.is_empty()
    }
}

#[derive(Debug)]
pub(crate) struct RawDashboard {
    at_table: At<()>,
    session: Option<At<String>>,
    users: Vec<(At<String>, At<String>)>,
    tokens: Vec<(At<String>, At<String>)>,
}

const NAMED_TEXT: Expect = Expect {
    what: "a table of names, each with text in quotes",
    example: "{ dana = \"$argon2id$...\" }",
};

pub(crate) fn read(top: &Fields<'_, '_>, problems: &mut Problems) -> Option<RawDashboard> {
    let t = top.table(
        "dashboard",
        "[dashboard]",
        Expect {
            what: "a table",
            example: "[dashboard] with [dashboard.users] under it",
        },
        problems,
    )?;
    t.check_keys(&["users", "tokens", "session"], problems);
    Some(RawDashboard {
        at_table: t.at(()),
        session: t.text(
            "session",
            Expect {
                what: "a duration in quotes",
                example: "\"12h\"",
            },
            problems,
        ),
        users: named(&t, "users", "[dashboard.users]", problems),
        tokens: named(&t, "tokens", "[dashboard.tokens]", problems),
    })
}

/// `key = { name = "text", ... }`: each name with its text, both with their places.
fn named(
    t: &Fields<'_, '_>,
    key: &str,
    place: &'static str,
    problems: &mut Problems,
) -> Vec<(At<String>, At<String>)> {
    let Some(table) = t.table(key, place, NAMED_TEXT, problems) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, _) in table.entries() {
        let expect = Expect {
            what: "text in quotes",
            example: if key == "users" {
                "\"$argon2id$v=19$...\""
            } else {
                "\"env:THROUGHLINE_DASHBOARD_TOKEN\""
            },
        };
        if let Some(value) = table.text(name.value, expect, problems) {
            out.push((name.with(name.value.to_string()), value));
        }
    }
    out
}

/// Check `[dashboard]`: each hash an argon2 PHC string, each token a secret reference, names
/// usable in the record of who did what, and at least one way to sign in.
pub(crate) fn resolve(
    raw: Option<&RawDashboard>,
    base: &Path,
    problems: &mut Problems,
) -> DashboardSettings {
    let mut out = DashboardSettings::default();
    let Some(raw) = raw else {
        return out;
    };
    if let Some(s) = &raw.session {
        match parse_duration(&s.value) {
            Ok(d) if d < SESSION_RANGE.0 || d > SESSION_RANGE.1 => problems.at(
                s,
                format!(
                    "`session = \"{}\"` is out of range: a sign-in must last from 5 minutes to 30 days, like \"12h\"",
                    s.value
                ),
            ),
            Ok(d) => out.session = d,
            Err(message) => problems.at(s, message),
        }
    }
    for (name, hash) in &raw.users {
        if !check_name(name, problems) {
            continue;
        }
        match check_hash(&hash.value) {
            Ok(()) => out.users.push((name.value.clone(), hash.value.clone())),
            Err(message) => problems.at(hash, format!("`{}`: {message}", name.value)),
        }
    }
    for (name, secret) in &raw.tokens {
        if !check_name(name, problems) {
            continue;
        }
        match parse_secret(&secret.value, base) {
            Ok(r) => out.tokens.push((name.value.clone(), r)),
            Err(message) => problems.at(
                secret,
                format!("`{}` is an API token, so a secret: {message}", name.value),
            ),
        }
    }
    if raw.users.is_empty() && raw.tokens.is_empty() {
        problems.at(
            &raw.at_table,
            "[dashboard] lets nobody sign in: add [dashboard.users] with name = \"<hash from `throughline dashboard hash-password`>\", or [dashboard.tokens] with name = \"env:THROUGHLINE_DASHBOARD_TOKEN\"; or remove [dashboard] for a read-only dashboard on loopback",
        );
    }
    out
}

/// A name is recorded with every action and shown on the pages: printable, short, no spaces
/// at its ends.
fn check_name(name: &At<String>, problems: &mut Problems) -> bool {
    let n = &name.value;
    let ok = !n.trim().is_empty()
        && n.trim() == n
        && n.chars().count() <= 64
        && !n.chars().any(char::is_control);
    if !ok {
        problems.at(
            name,
            format!(
                "`{n}` cannot be a name in [dashboard]: use up to 64 printable characters without spaces at either end, like dana or \"dana@example.com\""
            ),
        );
    }
    ok
}

/// An argon2 hash in PHC form (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).
fn check_hash(text: &str) -> Result<(), String> {
    let how = "make one with `throughline dashboard hash-password` (it reads the password from standard input) and paste its line here";
    if !text.starts_with('$') {
        return Err(format!(
            "this is not a password hash, and a password must never be written here: {how}"
        ));
    }
    let hash = PasswordHash::new(text)
        .map_err(|e| format!("this password hash cannot be read ({e}); {how}"))?;
    match hash.algorithm.as_str() {
        "argon2id" | "argon2i" | "argon2d" if hash.hash.is_some() => Ok(()),
        "argon2id" | "argon2i" | "argon2d" => {
            Err(format!("this password hash has no hash part; {how}"))
        }
        other => Err(format!(
            "`{other}` hashes are not accepted, only argon2; {how}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_argon2_hashes_pass() {
        let good = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$h8rUdpUqU+Df9ZJdvzlcGZTdtpyLK1rTcD8EJcplZ84";
        assert_eq!(check_hash(good), Ok(()));
        assert!(
            check_hash("hunter2")
                .unwrap_err()
                .contains("never be written")
        );
        assert!(check_hash("$argon2id$v=19$garbage").is_err());
        let scrypt = "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E";
        assert!(check_hash(scrypt).unwrap_err().contains("only argon2"));
    }
}
