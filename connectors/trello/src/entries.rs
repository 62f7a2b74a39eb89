//! Writing checklist entries: each is a check item in the card's checklist (an archived one
//! moves to a second checklist, since Trello cannot archive a check item), listed with a hash
//! of its text in the card's marker line so that it keeps its identity when people edit it.

use reqwest::Method;
use throughline_connector::identity::Identity;
use throughline_connector::{Applied, ConnectorError, DesiredEntry, EntryFields};

use crate::apply::{Params, as_create};
use crate::connector::TrelloConnector;
use crate::marker::{self, Marker};
use crate::observe::CardState;
use crate::wire;

/// Where a new item goes between the items around `index` (Trello's positions are floats).
fn position_at(live: &[f64], index: usize) -> f64 {
    match (
        index.checked_sub(1).and_then(|i| live.get(i)),
        live.get(index),
    ) {
        (Some(a), Some(b)) => (a + b) / 2.0,
        (None, Some(b)) => b / 2.0,
        (Some(a), None) => a + 16384.0,
        (None, None) => 16384.0,
    }
}

impl TrelloConnector {
    /// The card's checklist with this name, created (at the bottom) when missing.
    async fn ensure_checklist(&mut self, card: &str, name: &str) -> Result<String, ConnectorError> {
        let cs = self.card_state(card)?;
        if let Some(cl) = cs.checklists.iter().find(|c| c.name == name) {
            return Ok(cl.id.clone());
        }
        let cl: wire::Checklist = self
            .api
            .post(
                "/checklists",
                &[
                    ("idCard", card.to_owned()),
                    ("name", name.to_owned()),
                    ("pos", "bottom".to_owned()),
                ],
                &format!("creating checklist \"{name}\""),
            )
            .await?;
        let id = cl.id.clone();
        if let Some(cs) = self.snap_mut().cards.get_mut(card) {
            cs.checklists.push(cl);
        }
        Ok(id)
    }

    /// Rewrite the card's marker when its entries changed. The marker goes first, so an item
    /// that exists is always listed.
    async fn update_marker(
        &mut self,
        card: &str,
        identity: &str,
        change: impl FnOnce(&mut Marker),
    ) -> Result<(), ConnectorError> {
        let cs = self.card_state(card)?;
        let (body, marker) = marker::split(&cs.card.desc);
        let mut marker = marker.unwrap_or_else(|| Marker::new(identity));
        change(&mut marker);
        let desc = marker::join(&body, &marker);
        if desc == cs.card.desc {
            return Ok(());
        }
        self.api
            .put(
                &format!("/cards/{card}"),
                &[("desc", desc.clone())],
                &format!("the description of `{identity}`"),
            )
            .await?;
        if let Some(cs) = self.snap_mut().cards.get_mut(card) {
            cs.card.desc = desc;
        }
        Ok(())
    }

    pub(crate) async fn create_entry(
        &mut self,
        parent: &str,
        parent_identity: &str,
        index: usize,
        entry: &DesiredEntry,
    ) -> Result<Applied, ConnectorError> {
        let extra = self.item_params(entry)?;
        self.card_state(parent)?;
        let name = self.mapping().checklist_name.clone();
        let checklist = self.ensure_checklist(parent, &name).await?;
        let live: Vec<f64> = self
            .card_state(parent)?
            .checklists
            .iter()
            .find(|c| c.id == checklist)
            .map(|c| c.check_items.iter().map(|i| i.pos).collect())
            .unwrap_or_default();
        let mut q = vec![("name", entry.fields.text.clone())];
        q.extend(as_create(extra));
        q.push(("pos", format!("{}", position_at(&live, index))));
        self.update_marker(parent, parent_identity, |m| {
            m.set(&entry.identity, &entry.fields.text)
        })
        .await?;
        let item: wire::CheckItem = self
            .api
            .post(
                &format!("/checklists/{checklist}/checkItems"),
                &q,
                &format!("adding `{}`", entry.identity),
            )
            .await?;
        let id = item.id.clone();
        if let Some(cl) = self
            .snap_mut()
            .cards
            .get_mut(parent)
            .and_then(|cs| cs.checklists.iter_mut().find(|c| c.id == checklist))
        {
            cl.check_items.push(item);
            cl.check_items.sort_by(|a, b| a.pos.total_cmp(&b.pos));
        }
        Ok(Applied::Created {
            remote_id: id,
            entries: Vec::new(),
            version: None,
        })
    }

    /// The checklist and the item, as last seen.
    fn find_item(
        &self,
        card: &str,
        item: &str,
    ) -> Result<(CardState, wire::Checklist, wire::CheckItem), ConnectorError> {
        let cs = self.card_state(card)?;
        let found = cs.checklists.iter().find_map(|cl| {
            cl.check_items
                .iter()
                .find(|i| i.id == item)
                .map(|i| (cl.clone(), i.clone()))
        });
        match found {
            Some((cl, i)) => Ok((cs, cl, i)),
            None => Err(ConnectorError::NotFound {
                what: format!(
                    "check item {item} on card {card} of {}",
                    self.api.board_label()
                ),
            }),
        }
    }

    /// The item's text, member and due date, where they differ.
    fn entry_params(
        &self,
        item: &wire::CheckItem,
        f: &EntryFields,
        q: &mut Params,
    ) -> Result<(), ConnectorError> {
        if f.text != item.name {
            q.push(("name", f.text.clone()));
        }
        if self.mapping().entry_owner {
            let wanted = match &f.owner {
                Some(p) => Some(self.member_of(self.snap(), p)?),
                None => None,
            };
            if wanted != item.id_member {
                q.push(("idMember", wanted.unwrap_or_default()));
            }
        }
        if self.mapping().entry_due && f.due != self.date_of(item.due.as_deref()) {
            q.push(("due", self.date_param(f.due, self.mapping().due_time)?));
        }
        Ok(())
    }

    pub(crate) async fn update_entry(
        &mut self,
        parent: &str,
        remote_id: &str,
        identity: &str,
        fields: Option<&EntryFields>,
        checked: Option<bool>,
        unarchive: bool,
    ) -> Result<Applied, ConnectorError> {
        let (cs, cl, item) = self.find_item(parent, remote_id)?;
        let mut q = Params::new();
        if let Some(f) = fields {
            self.entry_params(&item, f, &mut q)?;
        }
        if let Some(c) = checked
            && c != item.complete()
        {
            let state = if c { "complete" } else { "incomplete" };
            q.push(("state", state.to_owned()));
        }
        let live_name = self.mapping().checklist_name.clone();
        if unarchive && cl.name != live_name {
            let live = self.ensure_checklist(parent, &live_name).await?;
            q.push(("idChecklist", live));
            q.push(("pos", format!("{}", item.pos)));
        }
        if q.is_empty() {
            return Ok(Applied::Updated { version: None });
        }
        if let Some(f) = fields
            && f.text != item.name
        {
            let task_identity = marker::split(&cs.card.desc)
                .1
                .map(|m| m.identity)
                .or_else(|| Some(Identity::parse(identity).ok()?.task_identity().to_string()))
                .unwrap_or_else(|| identity.to_owned());
            self.update_marker(parent, &task_identity, |m| m.set(identity, &f.text))
                .await?;
        }
        let updated: wire::CheckItem = self
            .api
            .call(
                Method::PUT,
                &format!("/cards/{parent}/checkItem/{remote_id}"),
                &q,
                &format!("`{identity}`"),
            )
            .await?;
        let moved_to = q
            .iter()
            .find(|(k, _)| *k == "idChecklist")
            .map(|(_, v)| v.clone());
        self.store_item(parent, updated, moved_to);
        Ok(Applied::Updated { version: None })
    }

    /// Put an item as Trello answered it into the snapshot (moved to `to` when given).
    fn store_item(&mut self, card: &str, item: wire::CheckItem, to: Option<String>) {
        let Some(cs) = self.snap_mut().cards.get_mut(card) else {
            return;
        };
        let mut from = None;
        for cl in cs.checklists.iter_mut() {
            if let Some(at) = cl.check_items.iter().position(|i| i.id == item.id) {
                cl.check_items.remove(at);
                from = Some(cl.id.clone());
            }
        }
        let dest = to.or(from);
        if let Some(cl) = cs
            .checklists
            .iter_mut()
            .find(|c| Some(&c.id) == dest.as_ref())
        {
            cl.check_items.push(item);
            cl.check_items.sort_by(|a, b| a.pos.total_cmp(&b.pos));
        }
    }

    pub(crate) async fn archive_entry(
        &mut self,
        parent: &str,
        remote_id: &str,
        identity: &str,
    ) -> Result<Applied, ConnectorError> {
        let (_, cl, item) = self.find_item(parent, remote_id)?;
        let archive_name = self.mapping().archived_checklist_name.clone();
        if cl.name == archive_name {
            return Ok(Applied::Archived);
        }
        let archive = self.ensure_checklist(parent, &archive_name).await?;
        let moved: wire::CheckItem = self
            .api
            .call(
                Method::PUT,
                &format!("/cards/{parent}/checkItem/{remote_id}"),
                &[
                    ("idChecklist", archive.clone()),
                    ("pos", format!("{}", item.pos)),
                ],
                &format!("archiving `{identity}`"),
            )
            .await?;
        self.store_item(parent, moved, Some(archive));
        Ok(Applied::Archived)
    }
}
