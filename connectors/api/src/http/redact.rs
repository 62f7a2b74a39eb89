//! Secrets and redaction: tokens, keys, passwords and `Authorization` values never reach an
//! error message or a log line.

use std::fmt;
use std::hash::{Hash, Hasher};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Url;

/// What replaces a secret in messages and logs.
pub const REDACTED: &str = "[redacted]";

/// A credential. Its `Debug` and `Display` never show the value; only [`Secret::expose`] does,
/// at the one place a request is built.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, to put into a request.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty (a variable set to nothing).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A short stable name for this secret within one process (for limiter keys and logs);
    /// it does not reveal the value.
    pub fn fingerprint(&self) -> String {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.0.hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

/// Names whose values are secrets wherever they appear: query parameters (`?key=...`), form
/// fields, JSON members (`"token": "..."`), header lines (`Authorization: ...`).
const SENSITIVE_NAMES: &[&str] = &[
    "key",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "x-api-key",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "secret",
    "password",
    "passwd",
    "pwd",
    "oauth_token",
    "oauth_consumer_key",
    "oauth_signature",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Removes secrets from text: the values of the [`Secret`]s it knows (as written and as
/// percent-encoded in URLs), and any value that follows a sensitive name or an auth scheme
/// (`Bearer ...`), whoever's it is.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Known secret values and their URL-encoded forms, longest first.
    known: Vec<String>,
}

impl Redactor {
    /// A redactor that knows no secret yet (it still hides sensitive parameters).
    pub fn new() -> Self {
        Self::default()
    }

    /// Also redact this secret's value wherever it appears.
    pub fn add(&mut self, secret: &Secret) {
        if secret.is_empty() {
            return;
        }
        for form in [secret.0.clone(), percent_encode(&secret.0)] {
            if !self.known.contains(&form) {
                self.known.push(form);
            }
        }
        self.known.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// This redactor, knowing `secret` too.
    pub fn with(mut self, secret: &Secret) -> Self {
        self.add(secret);
        self
    }

    /// The text with every secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in &self.known {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), REDACTED);
            }
        }
        redact_patterns(&text)
    }

    /// A URL fit for a message or a log line.
    pub fn redact_url(&self, url: &Url) -> String {
        self.redact(url.as_str())
    }
}

/// [`Redactor::redact`] without known secrets: only what sensitive names and auth schemes
/// give away.
pub fn redact(text: &str) -> String {
    redact_patterns(text)
}

/// What a URL keeps as it is: the unreserved characters of RFC 3986.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A secret as it appears percent-encoded in a URL.
fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Scans for `name = value`, `name: value`, `"name": "value"` with a sensitive name, and for
/// `Bearer <credential>`, and replaces the values.
fn redact_patterns(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut prev: Option<char> = None;
    while let Some(c) = rest.chars().next() {
        let at_word = is_name_char(c) && !prev.is_some_and(is_name_char);
        if at_word {
            let len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
            let name = &rest[..len];
            let lower = name.to_ascii_lowercase();
            if let Some(value_at) = SENSITIVE_NAMES
                .contains(&lower.as_str())
                .then(|| value_start(&rest[len..]))
                .flatten()
            {
                let after_name = &rest[len..];
                let value = &after_name[value_at..];
                out.push_str(name);
                out.push_str(&after_name[..value_at]);
                let value_len = if value.starts_with(REDACTED) {
                    // A known secret, already replaced.
                    out.push_str(REDACTED);
                    REDACTED.len()
                } else {
                    let len = value_len(value, lower.contains("authorization"));
                    if len > 0 {
                        redact_value(&mut out, &value[..len]);
                    }
                    len
                };
                rest = &value[value_len..];
                prev = out.chars().last();
                continue;
            }
            if lower == "bearer" || lower == "basic" {
                let after = &rest[len..];
                let spaces = after.len() - after.trim_start_matches(' ').len();
                let cred = &after[spaces..];
                let cred_len = cred
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "-._~+/=".contains(c)))
                    .unwrap_or(cred.len());
                // Credentials are long and never plain words ("Basic authentication").
                let looks_like_credential =
                    cred_len >= 8 && cred[..cred_len].contains(|c: char| !c.is_ascii_alphabetic());
                if spaces > 0 && looks_like_credential {
                    out.push_str(name);
                    out.push_str(&after[..spaces]);
                    out.push_str(REDACTED);
                    rest = &cred[cred_len..];
                    prev = Some(']');
                    continue;
                }
            }
            out.push_str(name);
            rest = &rest[len..];
            prev = name.chars().last();
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
        prev = Some(c);
    }
    out
}

/// After a sensitive name: where its value starts, if a separator follows (`=`, `:`, with an
/// optional closing quote before it and spaces around it).
fn value_start(after: &str) -> Option<usize> {
    let mut i = 0;
    let bytes = after.as_bytes();
    if matches!(bytes.first(), Some(b'"' | b'\'')) {
        i += 1;
    }
    while bytes.get(i) == Some(&b' ') {
        i += 1;
    }
    if !matches!(bytes.get(i), Some(b'=' | b':')) {
        return None;
    }
    i += 1;
    while bytes.get(i) == Some(&b' ') {
        i += 1;
    }
    Some(i)
}

/// How long the value at the start of `value` is: a quoted string with its quotes, or up to
/// the next delimiter (a header value runs to the end of the line).
fn value_len(value: &str, whole_line: bool) -> usize {
    let mut chars = value.char_indices();
    match chars.next() {
        Some((_, q @ ('"' | '\''))) => {
            let mut escaped = false;
            for (i, c) in chars {
                match c {
                    '\\' if !escaped => escaped = true,
                    c if c == q && !escaped => return i + 1,
                    _ => escaped = false,
                }
            }
            value.len()
        }
        Some(_) if whole_line => value.find(['\r', '\n']).unwrap_or(value.len()),
        Some(_) => value
            .find(|c: char| c.is_whitespace() || "&\"',;#)]}<>".contains(c))
            .unwrap_or(value.len()),
        None => 0,
    }
}

/// Writes `[redacted]`, keeping the quotes of a quoted value.
fn redact_value(out: &mut String, value: &str) {
    let quoted = value.len() >= 2
        && matches!(value.as_bytes()[0], b'"' | b'\'')
        && value.as_bytes()[0] == value.as_bytes()[value.len() - 1];
    if quoted {
        let q = char::from(value.as_bytes()[0]);
        out.push(q);
        out.push_str(REDACTED);
        out.push(q);
    } else {
        out.push_str(REDACTED);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_or_display() {
        let secret = Secret::new("s3cr3t-value");
        assert_eq!(format!("{secret:?}"), "Secret([redacted])");
        assert_eq!(secret.to_string(), "[redacted]");
        assert_eq!(secret.expose(), "s3cr3t-value");
        assert_eq!(
            secret.fingerprint(),
            Secret::new("s3cr3t-value").fingerprint()
        );
        assert!(!secret.fingerprint().contains("s3cr3t"));
    }

    #[test]
    fn sensitive_parameters_are_redacted_wherever_they_appear() {
        let cases = [
            (
                "GET https://api.trello.com/1/boards/abc?key=K123&token=T456&fields=name",
                "GET https://api.trello.com/1/boards/abc?key=[redacted]&token=[redacted]&fields=name",
            ),
            ("POST /x?Token=abc#frag", "POST /x?Token=[redacted]#frag"),
            (
                r#"{"access_token": "ya29.abc", "expires_in": 3599}"#,
                r#"{"access_token": "[redacted]", "expires_in": 3599}"#,
            ),
            (r#"{"password":"p\"w"}"#, r#"{"password":"[redacted]"}"#),
            (
                "Authorization: Bearer abc.def\nHost: x",
                "Authorization: [redacted]\nHost: x",
            ),
            (
                r#"authorization: OAuth oauth_consumer_key="k", oauth_token="t""#,
                "authorization: [redacted]",
            ),
            (
                "sent Bearer eyJhbGciOi.x1 to them",
                "sent Bearer [redacted] to them",
            ),
            (
                "client_secret=abc&grant_type=refresh_token",
                "client_secret=[redacted]&grant_type=refresh_token",
            ),
            // Words alone are not secrets.
            ("invalid token provided", "invalid token provided"),
            (
                "Basic authentication required",
                "Basic authentication required",
            ),
            ("monkey=1&keys=2", "monkey=1&keys=2"),
            ("מפתח key=ערך סודי", "מפתח key=[redacted] סודי"),
        ];
        for (text, want) in cases {
            assert_eq!(redact(text), want, "redacting {text:?}");
        }
    }

    #[test]
    fn known_secrets_are_redacted_in_free_text_and_urls() {
        let token = Secret::new("tok/en+1");
        let redactor = Redactor::new().with(&token);
        assert_eq!(
            redactor.redact("the token tok/en+1 expired"),
            "the token [redacted] expired"
        );
        let url = Url::parse("https://example.com/x?t=tok%2Fen%2B1").unwrap();
        assert_eq!(
            redactor.redact_url(&url),
            "https://example.com/x?t=[redacted]"
        );
        assert_eq!(Redactor::new().with(&Secret::new("")).redact("abc"), "abc");
        let url = Url::parse("https://example.com/x?token=tok%2Fen%2B1&a=1").unwrap();
        assert_eq!(
            redactor.redact_url(&url),
            "https://example.com/x?token=[redacted]&a=1"
        );
    }
}
