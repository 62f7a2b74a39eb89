//! Webhook intake: the tools' signature checks (each in its connector crate, named here for
//! the daemon and its tests), the handshake registrations, and the hints that start an early
//! cycle ([`super::hints`]).
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
//! - **Drive** (Google Sheets) posts an empty body to the channel the daemon opened, repeating
//!   in `X-Goog-Channel-Token` the random token the daemon chose for it (`channel_notice`).
//!   A wrong or missing token is refused and counted; the `sync` message that opens a channel
//!   changes nothing and starts no cycle.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::hints::Signal;
use super::server::{label, refuse};
use super::shared::Shared;
use crate::engine::registry::webhooks::{Protocol, Webhook};
use crate::model::TargetKind;

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

/// A Drive notification on a channel the daemon opened: taken when it repeats the channel's
/// token, refused (401) and counted otherwise.
pub(super) async fn channel_notice(
    shared: Arc<Shared>,
    target: String,
    headers: HeaderMap,
    kind: TargetKind,
    hook: &'static Webhook,
) -> Response {
    let Protocol::Channel {
        token_header,
        state_header,
        ..
    } = hook.protocol
    else {
        return refuse(StatusCode::NOT_FOUND, "no such webhook");
    };
    let tool = kind.spec().tool;
    let count = |result: &str| {
        shared
            .metrics()
            .webhook(hook.path, &label(&shared, &target), result)
    };
    let channel = {
        let hooks = shared.hooks.read().unwrap_or_else(|e| e.into_inner());
        match hooks.targets.get(&target) {
            Some(t) if t.kind == kind => t.channel.clone(),
            _ => {
                drop(hooks);
                count("unknown_target");
                return refuse(
                    StatusCode::NOT_FOUND,
                    &format!("no {tool} target by that id"),
                );
            }
        }
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // The first message of every channel, sent while the daemon is still storing the channel
    // it just opened: it says nothing changed, so it is answered without a check.
    if header(state_header) == Some("sync") {
        count("sync");
        return StatusCode::OK.into_response();
    }
    let Some(channel) = channel else {
        count("no_secret");
        tracing::warn!(target_id = %target, "a {tool} notification arrived but the daemon holds no channel for this target; refused");
        return refuse(
            StatusCode::UNAUTHORIZED,
            "no channel is open for this target",
        );
    };
    if !header(token_header).is_some_and(|t| channel.token_ok(t)) {
        count("bad_token");
        tracing::warn!(target_id = %target, "a {tool} notification with a wrong channel token was refused");
        return refuse(StatusCode::UNAUTHORIZED, "the channel token does not match");
    }
    let taken = shared
        .hints
        .signal(&target, Signal::Anything, Instant::now());
    count(taken.label());
    StatusCode::OK.into_response()
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
}
