//! Finding the observed object of an identity: by the link's remote id first, else by the
//! identity it carries; what no one claimed is left over.

use std::collections::HashMap;

use throughline_connector::{ObservedEntry, ObservedTask};

/// Find the observed object for an identity: by the linked remote id first, else by identity
/// (an adoption), preferring live objects over archived ones. Each object is claimed once.
pub(super) struct Finder<'o, T> {
    items: &'o [T],
    by_remote: HashMap<&'o str, usize>,
    by_identity: HashMap<&'o str, Vec<usize>>,
    claimed: Vec<bool>,
}

pub(super) trait Observed {
    fn remote_id(&self) -> &str;
    fn identity(&self) -> Option<&str>;
    fn archived(&self) -> bool;
}

impl Observed for ObservedTask {
    fn remote_id(&self) -> &str {
        &self.remote_id
    }
    fn identity(&self) -> Option<&str> {
        self.identity.as_deref()
    }
    fn archived(&self) -> bool {
        self.archived
    }
}

impl Observed for ObservedEntry {
    fn remote_id(&self) -> &str {
        &self.remote_id
    }
    fn identity(&self) -> Option<&str> {
        self.identity.as_deref()
    }
    fn archived(&self) -> bool {
        self.archived
    }
}

impl<'o, T: Observed> Finder<'o, T> {
    pub(super) fn new(items: &'o [T]) -> Self {
        let mut by_remote = HashMap::new();
        let mut by_identity: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, t) in items.iter().enumerate() {
            by_remote.insert(t.remote_id(), i);
            if let Some(id) = t.identity() {
                by_identity.entry(id).or_default().push(i);
            }
        }
        for v in by_identity.values_mut() {
            v.sort_by_key(|&i| items[i].archived());
        }
        Finder {
            items,
            by_remote,
            by_identity,
            claimed: vec![false; items.len()],
        }
    }

    pub(super) fn claim(&mut self, remote_id: Option<&str>, identity: &str) -> Option<&'o T> {
        let by_remote = remote_id.and_then(|r| self.by_remote.get(r).copied());
        let i = by_remote.filter(|&i| !self.claimed[i]).or_else(|| {
            self.by_identity
                .get(identity)?
                .iter()
                .copied()
                .find(|&i| !self.claimed[i])
        })?;
        self.claimed[i] = true;
        Some(&self.items[i])
    }

    /// The live objects that claim `identity` when no linked object settles which one is it:
    /// two or more of them are an adoption conflict. They are set aside (claimed) so none is
    /// adopted, updated or reported a second time.
    pub(super) fn rivals(&mut self, remote_id: Option<&str>, identity: &str) -> Vec<&'o T> {
        if remote_id
            .and_then(|r| self.by_remote.get(r))
            .is_some_and(|&i| !self.claimed[i])
        {
            return Vec::new();
        }
        let live: Vec<usize> = self
            .by_identity
            .get(identity)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| !self.claimed[i] && !self.items[i].archived())
            .collect();
        if live.len() < 2 {
            return Vec::new();
        }
        live.iter()
            .map(|&i| {
                self.claimed[i] = true;
                &self.items[i]
            })
            .collect()
    }

    pub(super) fn unclaimed(&self) -> impl Iterator<Item = &'o T> + '_ {
        self.items
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.claimed[*i])
            .map(|(_, t)| t)
    }
}
