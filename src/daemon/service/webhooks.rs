//! The Asana webhooks the daemon makes, and the secrets learned from them.

use jiff::Timestamp;

use super::Service;
use crate::daemon::clock::add;
use crate::daemon::webhooks;
use crate::model::Target;

impl Service {
    /// Read every secret the deployment names again, so that a rotated file or variable is
    /// used without a restart: the Trello webhook secrets, and the log redactor's list.
    pub(super) fn refresh_secrets(&self) {
        let mut values = self.notifier.secrets();
        let mut hooks = self.shared.hooks.write().unwrap_or_else(|e| e.into_inner());
        values.extend(hooks.refresh(&self.dep));
        drop(hooks);
        self.shared.secrets.set(values);
    }

    /// Make sure every Asana target has its webhook (see [`crate::daemon::webhooks`]); learn
    /// the secret of each one made. A failure is logged and tried again sooner; the periodic
    /// cycle keeps the target in step meanwhile.
    pub async fn check_webhooks(&mut self) {
        let now = self.clock.now();
        self.webhooks_due = Timestamp::MAX;
        let asana: Vec<Target> = self
            .dep
            .targets
            .iter()
            .filter(|t| t.kind.hooks_by_handshake())
            .cloned()
            .collect();
        if asana.is_empty() {
            return;
        }
        let Some(public_url) = self.dep.sync.daemon.public_url.clone() else {
            if !self.webhooks_said {
                tracing::info!(
                    "no [daemon] public_url: no Asana webhook is created, so changes made in Asana are seen at the periodic cycle"
                );
                self.webhooks_said = true;
            }
            return;
        };
        let mut again = webhooks::CHECK_EVERY;
        for target in asana {
            let Some(hook) = target.kind.webhook() else {
                continue;
            };
            let callback = format!(
                "{}/hooks/{}/{}",
                public_url.trim_end_matches('/'),
                hook.path,
                target.id
            );
            let have_secret = self
                .shared
                .hooks
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .targets
                .get(&target.id)
                .is_some_and(|h| h.asana_secret.is_some());
            let registered = match webhooks::host(&self.dep, &target) {
                Ok(host) => {
                    webhooks::ensure(
                        &*host,
                        &target,
                        &self.shared.registrations,
                        &callback,
                        have_secret,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            match registered {
                Ok(webhooks::Registered::Kept) => {
                    tracing::debug!(target_id = %target.id, "the Asana webhook is in place")
                }
                Ok(webhooks::Registered::Created { gid, secret }) => {
                    tracing::info!(target_id = %target.id, webhook = %gid, callback = %callback, "Asana webhook created; its secret is kept in the state store");
                    self.learn(&target.id, secret);
                }
                Err(e) => {
                    tracing::warn!(target_id = %target.id, error = %e, "the Asana webhook could not be made sure of");
                    self.note(now, e.to_string());
                    again = webhooks::RETRY_EVERY;
                }
            }
        }
        self.webhooks_due = add(self.clock.now(), again);
    }

    /// Use the secret of a webhook just made at once, and keep it in the state store.
    fn learn(&mut self, target: &str, secret: String) {
        self.shared.secrets.add(&secret);
        if let Some(h) = self
            .shared
            .hooks
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .targets
            .get_mut(target)
        {
            h.asana_secret = Some(secret.clone());
        }
        self.shared
            .learned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((target.to_string(), secret));
        self.persist_learned();
    }

    /// Write the Asana secrets learned at handshakes to the state store.
    pub fn persist_learned(&mut self) {
        let learned = std::mem::take(
            &mut *self
                .shared
                .learned
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        for (target, secret) in learned {
            let now = self.clock.now();
            if let Err(e) = self.store.set_hook_secret(&target, &secret, now) {
                tracing::error!(target_id = %target, error = %e, "cannot keep the Asana webhook secret; its webhooks are checked against it until the daemon restarts");
            }
        }
    }
}
