//! Webhook intake: signature checks for Trello and Asana, and the hints that start an early
//! cycle.
//!
//! A webhook is a hint, never data: it only says "something changed in this target, sync
//! soon". The cycle it starts reads the tool like any other, so a forged, lost, repeated or
//! reordered webhook can at worst cost one extra cycle, and the periodic cycle still runs.
//!
//! - **Trello** signs each call with its app secret: `X-Trello-Webhook` is the base64
//!   HMAC-SHA1 of the raw body followed by the callback URL the webhook was registered with,
//!   so the daemon must know that exact URL (`[daemon] public_url`). Trello checks the URL
//!   with a `HEAD` before it creates a webhook, which must answer 200.
//! - **Asana** sends `X-Hook-Secret` once, while the webhook is being created; the daemon
//!   echoes it and keeps it in the state store. Every later call carries `X-Hook-Signature`,
//!   the hex HMAC-SHA256 of the raw body with that secret. Whoever answers a handshake decides
//!   which signatures pass, so one is accepted only while the daemon itself is creating that
//!   target's webhook ([`Registrations`], at most [`REGISTRATION_WINDOW`]), once, and the
//!   secret counts only when Asana's answer to the create repeats it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;
use tokio::sync::Notify;

/// Whether `header` is Trello's signature of `body` sent to `callback_url`.
pub fn trello_signature_ok(secret: &[u8], body: &[u8], callback_url: &str, header: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(header.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.update(callback_url.as_bytes());
    // Constant time: a signature is not guessable byte by byte.
    mac.verify_slice(&expected).is_ok()
}

/// Trello's signature of `body` sent to `callback_url` (what Trello puts in `X-Trello-Webhook`).
pub fn trello_signature(secret: &[u8], body: &[u8], callback_url: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.update(callback_url.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `header` is Asana's signature of `body` with the handshake secret.
pub fn asana_signature_ok(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(expected) = decode_hex(header.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// Asana's signature of `body` (what Asana puts in `X-Hook-Signature`).
pub fn asana_signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let pairs = text.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return None;
    }
    // Hex digits only: `from_str_radix` alone also takes a sign, so "+b" would pass for "0b".
    pairs
        .map(|p| {
            let digit = |b: u8| char::from(b).to_digit(16);
            Some((digit(p[0])? * 16 + digit(p[1])?) as u8)
        })
        .collect()
}

/// How long a registration waits for Asana's handshake: the create request's own time, with a
/// margin. Outside it no handshake is accepted.
pub const REGISTRATION_WINDOW: Duration = Duration::from_secs(60);

/// Asana webhooks the daemon is creating right now, by target: the only handshakes it answers.
#[derive(Debug, Default)]
pub struct Registrations {
    pending: Mutex<BTreeMap<String, Pending>>,
}

#[derive(Debug)]
struct Pending {
    until: Instant,
    /// The handshake's secret, once it came (only the first is taken).
    secret: Option<String>,
}

impl Registrations {
    /// Expect a handshake for `target` during the next `window`.
    pub fn open(&self, target: &str, window: Duration) {
        self.lock().insert(
            target.to_string(),
            Pending {
                until: Instant::now() + window,
                secret: None,
            },
        );
    }

    /// A handshake for `target` carrying `secret`: taken (true) when a registration for it is
    /// open, unexpired and has had no handshake yet; anything else is refused.
    pub fn handshake(&self, target: &str, secret: &str) -> bool {
        let mut pending = self.lock();
        match pending.get_mut(target) {
            Some(p) if p.secret.is_none() && Instant::now() < p.until => {
                p.secret = Some(secret.to_string());
                true
            }
            _ => false,
        }
    }

    /// End the registration for `target`: the secret its handshake brought, if one came.
    pub fn close(&self, target: &str) -> Option<String> {
        self.lock().remove(target).and_then(|p| p.secret)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Targets a webhook asked to sync early, coalesced: however many calls arrive, a target is
/// pending at most once, so a flood costs at most one extra cycle at a time.
#[derive(Debug, Default)]
pub struct Hints {
    pending: Mutex<BTreeSet<String>>,
    notify: Notify,
}

impl Hints {
    /// Ask for an early cycle for `target`. Returns false when it was already pending.
    pub fn hint(&self, target: &str) -> bool {
        let fresh = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(target.to_string());
        if fresh {
            self.notify.notify_one();
        }
        fresh
    }

    /// The pending targets; none is pending afterwards.
    pub fn take(&self) -> BTreeSet<String> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn is_empty(&self) -> bool {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    /// Resolves once a hint has arrived since the last [`Hints::take`] (at once if one has).
    pub async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            if !self.is_empty() {
                return;
            }
            notified.await;
        }
    }

    /// Wake a waiter without a hint (a stored secret to persist, a shutdown).
    pub fn wake(&self) {
        self.notify.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Trello's documentation example, recomputed: the body and the callback URL, concatenated.
    const SECRET: &[u8] = b"trello-app-secret";
    const CALLBACK: &str = "https://sync.example.com/hooks/trello/studio";
    const BODY: &[u8] = br#"{"action":{"type":"updateCard","data":{"card":{"name":"\u05d1\u05d3\u05d9\u05e7\u05d4"}}}}"#;

    #[test]
    fn trello_signatures() {
        let good = trello_signature(SECRET, BODY, CALLBACK);
        assert!(trello_signature_ok(SECRET, BODY, CALLBACK, &good));
        // Another body, another URL, another secret, garbage, nothing: all refused.
        assert!(!trello_signature_ok(SECRET, b"{}", CALLBACK, &good));
        assert!(!trello_signature_ok(
            SECRET,
            BODY,
            "http://127.0.0.1:9184/hooks/trello/studio",
            &good
        ));
        assert!(!trello_signature_ok(b"other", BODY, CALLBACK, &good));
        assert!(!trello_signature_ok(SECRET, BODY, CALLBACK, "not base64!"));
        assert!(!trello_signature_ok(SECRET, BODY, CALLBACK, ""));
    }

    #[test]
    fn trello_signature_is_hmac_sha1_of_body_then_url() {
        // RFC 2202 test case 2 (HMAC-SHA1, key "Jefe"), split between body and URL.
        let sig = trello_signature(b"Jefe", b"what do ya want ", "for nothing?");
        let hex: String = base64::engine::general_purpose::STANDARD
            .decode(sig)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    }

    #[test]
    fn asana_signatures() {
        // RFC 4231 test case 2 (HMAC-SHA256, key "Jefe").
        let sig = asana_signature(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(asana_signature_ok(
            b"Jefe",
            b"what do ya want for nothing?",
            &sig
        ));
        assert!(asana_signature_ok(
            b"Jefe",
            b"what do ya want for nothing?",
            &sig.to_uppercase()
        ));
        assert!(!asana_signature_ok(
            b"Jefe",
            b"what do ya want for nothing!",
            &sig
        ));
        assert!(!asana_signature_ok(
            b"jefe",
            b"what do ya want for nothing?",
            &sig
        ));
        assert!(!asana_signature_ok(b"Jefe", b"x", "zz"));
        // A sign is not a hex digit (u8::from_str_radix alone takes "+b" as 0x0b).
        assert_eq!(decode_hex("0b"), Some(vec![0x0b]));
        assert_eq!(decode_hex("+b"), None);
        assert!(!asana_signature_ok(b"Jefe", b"x", ""));
    }

    #[test]
    fn a_handshake_is_taken_only_once_while_a_registration_is_open() {
        let r = Registrations::default();
        assert!(!r.handshake("tasks", "s1"), "nothing is being registered");
        r.open("tasks", REGISTRATION_WINDOW);
        assert!(!r.handshake("other", "s1"), "another target's registration");
        assert!(r.handshake("tasks", "s1"));
        assert!(!r.handshake("tasks", "s2"), "a second handshake is refused");
        assert_eq!(r.close("tasks").as_deref(), Some("s1"));
        assert!(!r.handshake("tasks", "s3"), "closed");
        assert_eq!(r.close("tasks"), None);
        r.open("tasks", Duration::ZERO);
        assert!(!r.handshake("tasks", "s4"), "expired");
        assert_eq!(r.close("tasks"), None);
    }

    #[test]
    fn hints_coalesce() {
        let hints = Hints::default();
        assert!(hints.hint("studio"));
        for _ in 0..1000 {
            assert!(!hints.hint("studio"));
        }
        assert!(hints.hint("tasks"));
        assert_eq!(
            hints.take().into_iter().collect::<Vec<_>>(),
            ["studio", "tasks"]
        );
        assert!(hints.is_empty());
        assert!(hints.hint("studio"));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn wait_returns_when_a_hint_is_pending() {
        let hints = std::sync::Arc::new(Hints::default());
        hints.hint("studio");
        hints.wait().await;
        hints.take();
        let h = hints.clone();
        let waiter = tokio::spawn(async move { h.wait().await });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        hints.hint("studio");
        waiter.await.unwrap();
    }
}
