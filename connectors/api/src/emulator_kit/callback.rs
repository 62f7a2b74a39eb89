//! The outgoing side of webhooks and watch channels: the emulator POSTs to an address the
//! client gave it, with a deadline, and records how it went; tools sign what they send with an
//! HMAC of the body.

use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};

/// How long a tool waits for the address to answer before it counts the call as failed.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// How one call to an address went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The address answered with this status.
    Answered(u16),
    /// No answer: refused, timed out, broken (the text says which).
    Unreachable(String),
}

impl Outcome {
    /// A 2xx answer.
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Answered(s) if (200..300).contains(s))
    }

    /// What to record about a failure (`None` on success).
    pub fn failure(&self) -> Option<String> {
        match self {
            Outcome::Answered(s) if (200..300).contains(s) => None,
            Outcome::Answered(s) => Some(format!("the address answered {s}")),
            Outcome::Unreachable(why) => Some(format!("the address could not be reached: {why}")),
        }
    }
}

/// Send `method` to `url` with these headers and body; never fails, reports how it went.
pub async fn call(
    method: reqwest::Method,
    url: &str,
    headers: &[(&str, String)],
    body: Option<String>,
) -> (Outcome, Option<reqwest::Response>) {
    let mut request = reqwest::Client::new()
        .request(method, url)
        .timeout(DEADLINE);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    match request.send().await {
        Ok(answer) => (Outcome::Answered(answer.status().as_u16()), Some(answer)),
        Err(e) => (Outcome::Unreachable(e.to_string()), None),
    }
}

/// POST a JSON body to `url` with these extra headers.
pub async fn post_json(url: &str, headers: &[(&str, String)], body: String) -> Outcome {
    let mut all = vec![("Content-Type", "application/json".to_owned())];
    all.extend(headers.iter().cloned());
    call(reqwest::Method::POST, url, &all, Some(body)).await.0
}

/// HMAC-SHA1 of `data` with `key`, in base64 (Trello's `X-Trello-Webhook`).
pub fn hmac_sha1_base64(key: &[u8], data: &[u8]) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// HMAC-SHA256 of `data` with `key`, in lower-case hex (Asana's `X-Hook-Signature`).
pub fn hmac_sha256_hex(key: &[u8], data: &[u8]) -> String {
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_published_vectors() {
        // RFC 2202 test case 2 and RFC 4231 test case 2.
        assert_eq!(
            hmac_sha1_base64(b"Jefe", b"what do ya want for nothing?"),
            "7/zfauXrL6LSdBbV8YTfnCWafHk="
        );
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[tokio::test]
    async fn an_address_nobody_listens_on_is_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        drop(listener);
        let outcome = post_json(&url, &[], "{}".into()).await;
        assert!(!outcome.is_success());
        assert!(outcome.failure().unwrap().contains("could not be reached"));
    }
}
