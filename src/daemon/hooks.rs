//! Webhook intake: the tools' signature checks (each in its connector crate, named here for
//! the daemon and its tests), the handshake registrations, and the hints that start an early
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

use tokio::sync::Notify;

/// The tools' own signature checks (each in its connector crate), as the registry of kinds
/// names them.
pub use crate::engine::registry::webhooks::{
    asana_signature, asana_signature_ok, trello_signature, trello_signature_ok,
};

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
