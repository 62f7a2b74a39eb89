//! A state store in memory: for tests and `plan` runs that must not touch a file. Same
//! semantics as the SQLite store (a batch is all or nothing), nothing persisted.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::{
    Batch, Event, Forgotten, Handoff, Intent, Link, MetricValue, Snooze, StateError, StateStore,
    StatusRecord,
};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemoryStore {
    links: BTreeMap<(String, String), Link>,
    intents: BTreeMap<(String, String), Intent>,
    status: BTreeMap<String, StatusRecord>,
    history: Vec<StatusRecord>,
    events: Vec<Event>,
    cursors: BTreeMap<String, serde_json::Value>,
    overrides: BTreeMap<(String, String), String>,
    notices: BTreeMap<String, Timestamp>,
    hook_secrets: BTreeMap<String, String>,
    calendar_tokens: BTreeMap<String, String>,
    handoffs: BTreeMap<String, Handoff>,
    metric_values: Vec<MetricValue>,
    snoozes: BTreeMap<String, Snooze>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }
}

impl StateStore for MemoryStore {
    fn all_metric_values(&self) -> Result<Vec<MetricValue>, StateError> {
        Ok(self.metric_values.clone())
    }
    fn all_snoozes(&self) -> Result<Vec<Snooze>, StateError> {
        Ok(self.snoozes.values().cloned().collect())
    }
    fn snooze(&mut self, s: &Snooze) -> Result<(), StateError> {
        self.snoozes.insert(s.id.clone(), s.clone());
        Ok(())
    }

    fn record_metric(&mut self, value: &MetricValue, _now: Timestamp) -> Result<(), StateError> {
        self.metric_values.push(value.clone());
        Ok(())
    }

    fn links(&self, target: &str) -> Result<Vec<Link>, StateError> {
        Ok(self
            .links
            .values()
            .filter(|l| l.target == target)
            .cloned()
            .collect())
    }

    fn intents(&self, target: &str) -> Result<Vec<Intent>, StateError> {
        Ok(self
            .intents
            .values()
            .filter(|i| i.target == target)
            .cloned()
            .collect())
    }

    fn statuses(&self) -> Result<Vec<StatusRecord>, StateError> {
        Ok(self.status.values().cloned().collect())
    }

    fn status_history(&self, identity: &str) -> Result<Vec<StatusRecord>, StateError> {
        Ok(self
            .history
            .iter()
            .filter(|s| s.identity == identity)
            .cloned()
            .collect())
    }

    fn events(&self, since: Option<Timestamp>) -> Result<Vec<Event>, StateError> {
        Ok(self
            .events
            .iter()
            .filter(|e| since.is_none_or(|s| e.at >= s))
            .cloned()
            .collect())
    }

    fn cursor(&self, target: &str) -> Result<Option<serde_json::Value>, StateError> {
        Ok(self.cursors.get(target).cloned())
    }

    fn overrides(&self) -> Result<Vec<(String, String, String)>, StateError> {
        Ok(self
            .overrides
            .iter()
            .map(|((i, f), v)| (i.clone(), f.clone(), v.clone()))
            .collect())
    }

    fn commit(&mut self, batch: Batch) -> Result<(), StateError> {
        for l in batch.put_links {
            self.links.insert((l.target.clone(), l.identity.clone()), l);
        }
        for i in batch.add_intents {
            self.intents
                .insert((i.target.clone(), i.identity.clone()), i);
        }
        for key in batch.clear_intents {
            self.intents.remove(&key);
        }
        for s in batch.statuses {
            self.status.insert(s.identity.clone(), s.clone());
            self.history.push(s);
        }
        self.events.extend(batch.events);
        for (target, cursor) in batch.cursors {
            match cursor {
                Some(c) => self.cursors.insert(target, c),
                None => self.cursors.remove(&target),
            };
        }
        for (identity, field, value) in batch.overrides {
            match value {
                Some(v) => self.overrides.insert((identity, field), v),
                None => self.overrides.remove(&(identity, field)),
            };
        }
        Ok(())
    }

    fn forget_target(&mut self, target: &str) -> Result<Forgotten, StateError> {
        let mut forgotten = Forgotten::default();
        self.links.retain(|(t, _), l| {
            let keep = t != target;
            if !keep {
                match l.parent {
                    Some(_) => forgotten.entries += 1,
                    None => forgotten.tasks += 1,
                }
            }
            keep
        });
        let before = self.intents.len();
        self.intents.retain(|(t, _), _| t != target);
        forgotten.intents = before - self.intents.len();
        forgotten.cursor = self.cursors.remove(target).is_some();
        Ok(forgotten)
    }

    fn notice_sent(&self, key: &str) -> Result<bool, StateError> {
        Ok(self.notices.contains_key(key))
    }

    fn record_notice(&mut self, key: &str, at: Timestamp) -> Result<(), StateError> {
        self.notices.entry(key.to_string()).or_insert(at);
        Ok(())
    }

    fn hook_secret(&self, target: &str) -> Result<Option<String>, StateError> {
        Ok(self.hook_secrets.get(target).cloned())
    }

    fn set_hook_secret(
        &mut self,
        target: &str,
        secret: &str,
        _at: Timestamp,
    ) -> Result<(), StateError> {
        self.hook_secrets
            .insert(target.to_string(), secret.to_string());
        Ok(())
    }

    fn handoffs(&self) -> Result<Vec<Handoff>, StateError> {
        let mut all: Vec<Handoff> = self.handoffs.values().cloned().collect();
        all.sort_by(|a, b| {
            a.ready_at
                .cmp(&b.ready_at)
                .then(a.identity.cmp(&b.identity))
        });
        Ok(all)
    }

    fn add_handoff(&mut self, handoff: &Handoff) -> Result<bool, StateError> {
        let key = handoff.identity.to_string();
        if self.handoffs.contains_key(&key) {
            return Ok(false);
        }
        self.handoffs.insert(key, handoff.clone());
        Ok(true)
    }

    fn handoff_sent(&mut self, identity: &str, at: Timestamp) -> Result<(), StateError> {
        if let Some(h) = self.handoffs.get_mut(identity) {
            h.sent_at.get_or_insert(at);
        }
        Ok(())
    }

    fn calendar_tokens(&self) -> Result<Vec<(String, String)>, StateError> {
        Ok(self
            .calendar_tokens
            .iter()
            .map(|(p, t)| (p.clone(), t.clone()))
            .collect())
    }

    fn set_calendar_token(
        &mut self,
        person: &str,
        token: &str,
        _at: Timestamp,
    ) -> Result<(), StateError> {
        self.calendar_tokens
            .insert(person.to_string(), token.to_string());
        Ok(())
    }
}
