//! The webhooks and notification channels the daemon makes (see [`crate::daemon::webhooks`]),
//! the secrets learned from them, and their removal.

use jiff::Timestamp;
use throughline_connector::settings::WebhookHost;

use super::Service;
use crate::daemon::clock::add;
use crate::daemon::webhooks::{self, WebhookError};
use crate::engine::registry::webhooks::{Channel, Channels};
use crate::model::{Deployment, Target};

/// A webhook or channel the daemon made for a target that left the config (or whose address
/// changed): deleted at the next check, with what it was made with.
pub(super) enum Retired {
    Webhook {
        target: String,
        host: Box<dyn WebhookHost>,
        callback: String,
    },
    Channel {
        target: String,
        channels: Box<Channels>,
        channel: Channel,
    },
}

impl Retired {
    fn target(&self) -> &str {
        match self {
            Retired::Webhook { target, .. } | Retired::Channel { target, .. } => target,
        }
    }
}

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

    /// Make sure every target whose tool calls back has its webhook or channel, delete those
    /// of targets that left, and learn the secret of each one made. A failure is logged and
    /// tried again sooner; the periodic cycle keeps the target in step meanwhile.
    pub async fn check_webhooks(&mut self) {
        let now = self.clock.now();
        self.webhooks_due = Timestamp::MAX;
        let mut again = add(now, webhooks::CHECK_EVERY);
        let soon = add(now, webhooks::RETRY_EVERY);
        if !self.retire_webhooks().await {
            again = again.min(soon);
        }
        let Some(public_url) = self.dep.sync.daemon.public_url.clone() else {
            if !self.webhooks_said {
                tracing::info!(
                    "no [daemon] public_url: no webhook is registered and no Drive channel opened, so changes made in Trello, Asana and Google Sheets are seen at the periodic cycle; workbook files are still watched"
                );
                self.webhooks_said = true;
            }
            return;
        };
        let hooked: Vec<Target> = self
            .dep
            .targets
            .iter()
            .filter(|t| t.kind.webhook().is_some())
            .cloned()
            .collect();
        for target in hooked {
            let Some(hook) = target.kind.webhook() else {
                continue;
            };
            let callback = webhooks::callback(&public_url, hook.path, &target.id);
            let made = if target.kind.hooks_by_channel() {
                self.ensure_channel(&target, &callback).await
            } else {
                self.ensure_webhook(&target, &callback).await
            };
            match made {
                Ok(due) => again = again.min(due),
                Err(e) => {
                    tracing::warn!(target_id = %target.id, error = %e, "the {} webhook could not be made sure of", target.kind.spec().tool);
                    self.note(now, e.to_string());
                    again = again.min(soon);
                }
            }
        }
        self.webhooks_due = again;
    }

    /// One webhook (Trello, Asana): kept when it is there and active, made otherwise. Answers
    /// when to look again.
    async fn ensure_webhook(
        &mut self,
        target: &Target,
        callback: &str,
    ) -> Result<Timestamp, WebhookError> {
        let tool = target.kind.spec().tool;
        let have_secret = {
            let hooks = self.shared.hooks.read().unwrap_or_else(|e| e.into_inner());
            let known = hooks.targets.get(&target.id);
            if target.kind.hooks_by_handshake() {
                known.is_some_and(|h| h.asana_secret.is_some())
            } else {
                match known.map(|h| h.trello_secret.clone()) {
                    Some(Ok(_)) => true,
                    // Its calls could not be checked: each would be refused, and the tool
                    // would turn the webhook off.
                    Some(Err(why)) => {
                        return Err(WebhookError::Setup {
                            target: target.id.clone(),
                            origin: target.origin.clone(),
                            tool,
                            message: why,
                        });
                    }
                    None => false,
                }
            }
        };
        let host = webhooks::host(&self.dep, target)?;
        if !self.shared.hints.knows_account(&target.id) {
            // Without it every echo of the daemon's own writes costs a cycle; nothing worse.
            match host.account().await {
                Ok(account) => self.shared.hints.set_account(&target.id, account),
                Err(e) => {
                    tracing::debug!(target_id = %target.id, error = %e, "the {tool} account the target acts as is unknown for now")
                }
            }
        }
        let registered = webhooks::ensure(
            &*host,
            target,
            &self.shared.registrations,
            callback,
            have_secret,
        )
        .await?;
        match registered {
            webhooks::Registered::Kept => {
                tracing::debug!(target_id = %target.id, "the {tool} webhook is in place")
            }
            webhooks::Registered::Created { gid, secret } => {
                tracing::info!(target_id = %target.id, webhook = %gid, callback = %callback, "{tool} webhook created");
                if let Some(secret) = secret {
                    self.learn(&target.id, secret);
                }
            }
        }
        Ok(add(self.clock.now(), webhooks::CHECK_EVERY))
    }

    /// One notification channel (Drive): kept until [`webhooks::RENEW_BEFORE`] its end, then a
    /// new one is opened and the old one stopped. Answers when to renew.
    async fn ensure_channel(
        &mut self,
        target: &Target,
        callback: &str,
    ) -> Result<Timestamp, WebhookError> {
        let now = self.clock.now();
        let current = self.channel_of(&target.id);
        if let Some(c) = current.as_ref().filter(|c| c.address == callback)
            && add(now, webhooks::RENEW_BEFORE) < c.expiration
        {
            return Ok(renewal(c.expiration, now));
        }
        let channels = webhooks::channels(&self.dep, target)?;
        let remote = |source| WebhookError::Remote {
            target: target.id.clone(),
            watched: channels.watched(),
            callback: callback.to_string(),
            source,
        };
        let asked = add(now, webhooks::CHANNEL_LIFETIME);
        let channel = channels.watch(callback, asked).await.map_err(remote)?;
        // The new one first: no change falls between the two.
        self.keep_channel(&target.id, Some(channel.clone()));
        if let Some(old) = current
            && let Err(e) = channels.stop(&old).await
        {
            tracing::warn!(target_id = %target.id, channel = %old.id, error = %e, "cannot stop the previous Drive channel; it ends by itself at its expiration");
        }
        tracing::info!(target_id = %target.id, channel = %channel.id, expires = %channel.expiration, callback = %callback, "Drive channel opened");
        Ok(renewal(channel.expiration, now))
    }

    /// The channel the daemon holds for a target.
    fn channel_of(&self, target: &str) -> Option<Channel> {
        let hooks = self.shared.hooks.read().unwrap_or_else(|e| e.into_inner());
        hooks.targets.get(target).and_then(|h| h.channel.clone())
    }

    /// Hold `channel` as the target's (checked against from now on) and keep it in the state
    /// store, so that a restart goes on with it instead of opening another.
    fn keep_channel(&mut self, target: &str, channel: Option<Channel>) {
        if let Some(c) = &channel {
            self.shared.secrets.add(&c.token);
        }
        let text = channel
            .as_ref()
            .and_then(|c| serde_json::to_string(c).ok())
            .unwrap_or_default();
        if let Some(h) = self
            .shared
            .hooks
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .targets
            .get_mut(target)
        {
            h.channel = channel;
        }
        let now = self.clock.now();
        if let Err(e) = self.store.set_hook_secret(target, &text, now) {
            tracing::error!(target_id = %target, error = %e, "cannot keep the Drive channel in the state store; a restart opens another");
        }
    }

    /// What follows from a reload for the webhooks: those of targets that left, or whose
    /// address changed, are retired (deleted at the next check). Call before the new
    /// deployment replaces the old.
    pub(super) fn retire_changed(&mut self, new: &Deployment) {
        let Some(old_url) = self.dep.sync.daemon.public_url.clone() else {
            return;
        };
        let new_url = new.sync.daemon.public_url.clone();
        for t in &self.dep.targets {
            let Some(hook) = t.kind.webhook() else {
                continue;
            };
            let callback = webhooks::callback(&old_url, hook.path, &t.id);
            let stays = new.targets.iter().any(|n| n.id == t.id && n.kind == t.kind)
                && new_url
                    .as_deref()
                    .is_some_and(|u| webhooks::callback(u, hook.path, &t.id) == callback);
            if stays {
                continue;
            }
            match self.retirement(&self.dep, t, callback) {
                Ok(Some(r)) => self.retired.push(r),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(target_id = %t.id, error = %e, "cannot reach the webhook of a target that left; delete it by hand")
                }
            }
        }
    }

    /// What to delete for a target: its webhooks at `callback`, or the channel it holds.
    fn retirement(
        &self,
        dep: &Deployment,
        t: &Target,
        callback: String,
    ) -> Result<Option<Retired>, WebhookError> {
        if t.kind.hooks_by_channel() {
            let Some(channel) = self.channel_of(&t.id) else {
                return Ok(None);
            };
            return Ok(Some(Retired::Channel {
                target: t.id.clone(),
                channels: Box::new(webhooks::channels(dep, t)?),
                channel,
            }));
        }
        Ok(Some(Retired::Webhook {
            target: t.id.clone(),
            host: webhooks::host(dep, t)?,
            callback,
        }))
    }

    /// Delete what was retired; what fails stays for the next check. False when some failed.
    async fn retire_webhooks(&mut self) -> bool {
        let mut failed = Vec::new();
        for r in std::mem::take(&mut self.retired) {
            let done = match &r {
                Retired::Webhook {
                    target,
                    host,
                    callback,
                } => webhooks::remove(&**host, target, callback).await.map(|n| {
                    tracing::info!(target_id = %target, deleted = n, callback = %callback, "webhooks of a target that left deleted");
                }),
                Retired::Channel {
                    target,
                    channels,
                    channel,
                } => channels
                    .stop(channel)
                    .await
                    .map(|()| {
                        tracing::info!(target_id = %target, channel = %channel.id, "Drive channel of a target that left stopped");
                    })
                    .map_err(|source| WebhookError::Remote {
                        target: target.clone(),
                        watched: channels.watched(),
                        callback: channel.address.clone(),
                        source,
                    }),
            };
            if let Err(e) = done {
                tracing::warn!(target_id = %r.target(), error = %e, "cannot delete the webhook of a target that left");
                failed.push(r);
            }
        }
        let ok = failed.is_empty();
        self.retired = failed;
        ok
    }

    /// `daemon --unregister-webhooks`: delete every webhook and stop every channel the daemon
    /// made for the targets of the config. Answers how many were removed, or what failed.
    pub async fn unregister_webhooks(&mut self) -> Result<usize, Vec<String>> {
        let Some(public_url) = self.dep.sync.daemon.public_url.clone() else {
            tracing::info!(
                "no [daemon] public_url: the daemon registered no webhook, so none is removed"
            );
            return Ok(0);
        };
        let dep = self.dep.clone();
        let mut removed = 0;
        let mut problems = Vec::new();
        for t in dep.targets.iter().filter(|t| t.kind.webhook().is_some()) {
            let Some(hook) = t.kind.webhook() else {
                continue;
            };
            let callback = webhooks::callback(&public_url, hook.path, &t.id);
            let r = match self.retirement(&dep, t, callback) {
                Ok(Some(r)) => r,
                Ok(None) => continue,
                Err(e) => {
                    problems.push(e.to_string());
                    continue;
                }
            };
            self.retired.push(r);
            if self.retire_webhooks().await {
                removed += 1;
                if t.kind.hooks_by_channel() {
                    self.keep_channel(&t.id, None);
                }
            } else {
                problems.push(format!(
                    "target `{}`: its {} webhook could not be removed (see the log above)",
                    t.id,
                    t.kind.spec().tool
                ));
                self.retired.clear();
            }
        }
        if problems.is_empty() {
            Ok(removed)
        } else {
            Err(problems)
        }
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

/// When a channel ending at `expiration` is renewed: [`webhooks::RENEW_BEFORE`] earlier, but
/// not sooner than a minute from `now` (a tool that grants short channels must not make the
/// daemon renew without pause).
fn renewal(expiration: Timestamp, now: Timestamp) -> Timestamp {
    let before = jiff::SignedDuration::try_from(webhooks::RENEW_BEFORE).unwrap_or_default();
    let at = expiration.checked_sub(before).unwrap_or(expiration);
    at.max(add(now, std::time::Duration::from_secs(60)))
}
