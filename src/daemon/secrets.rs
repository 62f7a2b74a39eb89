//! The webhook secrets: per target, what a webhook handler checks a delivery against.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use crate::engine::registry::webhooks::Channel;
use crate::model::{Deployment, TargetKind};
use crate::state::{StateError, StateStore};

/// What a webhook handler needs to know about one target.
#[derive(Debug, Clone)]
pub struct HookTarget {
    pub kind: TargetKind,
    /// Trello: the app secret from `credentials.secret`, or why it is not there.
    pub trello_secret: Result<String, String>,
    /// Asana: the secret of the handshake, once there was one.
    pub asana_secret: Option<String>,
    /// Drive: the notification channel the daemon opened, with its token.
    pub channel: Option<Channel>,
}

/// Webhook settings, refreshed on reload.
#[derive(Debug, Clone, Default)]
pub struct HookTable {
    /// `https://sync.example.com`: the callback URLs are this plus `/hooks/<tool>/<target>`.
    pub public_url: String,
    pub targets: BTreeMap<String, HookTarget>,
}

impl HookTable {
    /// The table for a deployment: the callback base (`[daemon] public_url`, else the address
    /// the daemon listens on), each target's Trello secret as its credentials name it, and the
    /// Asana handshake secrets and Drive channels the state store keeps.
    pub fn of(
        dep: &Deployment,
        listen: SocketAddr,
        store: &dyn StateStore,
    ) -> Result<HookTable, StateError> {
        let public_url = dep
            .sync
            .daemon
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{listen}"));
        let mut targets = BTreeMap::new();
        for t in &dep.targets {
            let trello_secret = match t.credentials.get("secret") {
                Some(r) => r.resolve().map_err(|e| e.to_string()),
                None => Err(format!(
                    "target `{}` has no `secret` in its credentials ({}); add secret = \"env:TRELLO_SECRET\" with the Trello app's secret to accept its webhooks",
                    t.id, t.origin
                )),
            };
            let asana_secret = if t.kind.hooks_by_handshake() {
                store.hook_secret(&t.id)?
            } else {
                None
            };
            // A channel is kept as its JSON in the same slot (empty once stopped).
            let channel = if t.kind.hooks_by_channel() {
                store
                    .hook_secret(&t.id)?
                    .and_then(|text| serde_json::from_str::<Channel>(&text).ok())
            } else {
                None
            };
            targets.insert(
                t.id.clone(),
                HookTarget {
                    kind: t.kind,
                    trello_secret,
                    asana_secret,
                    channel,
                },
            );
        }
        Ok(HookTable {
            public_url,
            targets,
        })
    }

    /// Read the Trello secrets again (a rotated file or variable is used without a restart)
    /// and return every secret the deployment names, for the log redactor.
    pub fn refresh(&mut self, dep: &Deployment) -> Vec<String> {
        let mut values = Vec::new();
        for t in &dep.targets {
            values.extend(t.credentials.values().filter_map(|r| r.resolve().ok()));
            if let Some(h) = self.targets.get_mut(&t.id) {
                if let Some(r) = t.credentials.get("secret") {
                    h.trello_secret = r.resolve().map_err(|e| e.to_string());
                }
                values.extend(h.trello_secret.iter().cloned());
                values.extend(h.asana_secret.iter().cloned());
                values.extend(h.channel.iter().map(|c| c.token.clone()));
            }
        }
        values
    }
}
