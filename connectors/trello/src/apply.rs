//! Writing to the board: cards (created from a template card when they have a checklist,
//! updated with only what differs from what the board shows, archived) and the lists, labels
//! and template cards they need; checklist entries are in [`crate::entries`]. Every write is
//! put into the snapshot at once, so that the next change of the same batch sees it.

use jiff::civil::{Date, Time};
use reqwest::Method;
use throughline_connector::change_view::ChangeView;
use throughline_connector::{
    Applied, Change, ConnectorError, DesiredEntry, DesiredTask, State, TaskContext, TaskFields,
};

use crate::connector::TrelloConnector;
use crate::dates;
use crate::mapping::LabelsFrom;
use crate::marker::{self, Marker};
use crate::observe::{CardState, Snapshot, Template};
use crate::wire;

/// Query parameters of one request.
pub(crate) type Params = Vec<(&'static str, String)>;

/// A created card whose check item ids are read after the batch.
pub(crate) struct PendingCopy {
    index: usize,
    card: String,
    task: DesiredTask,
}

/// A change of the card's members that one `idMembers` value cannot say: others on the card
/// stay, and the spec takes one member id per request.
#[derive(Default)]
struct MemberMove {
    remove: Option<String>,
    add: Option<String>,
}

/// Item parameters as a create takes them: `checked=true` where an update takes
/// `state=complete`.
pub(crate) fn as_create(extra: Params) -> impl Iterator<Item = (&'static str, String)> {
    extra.into_iter().map(|(k, v)| {
        if k == "state" {
            ("checked", "true".to_owned())
        } else {
            (k, v)
        }
    })
}

fn marker_for(task: &DesiredTask) -> Marker {
    let mut marker = Marker::new(&task.identity);
    for e in &task.entries {
        marker.set(&e.identity, &e.fields.text);
    }
    marker
}

impl TrelloConnector {
    pub(crate) fn snap(&self) -> &Snapshot {
        self.snap.as_ref().expect("observed before writing")
    }

    pub(crate) fn snap_mut(&mut self) -> &mut Snapshot {
        self.snap.as_mut().expect("observed before writing")
    }

    /// The moment Trello stores for `date` at `time` in the process's time zone.
    fn moment(&self, date: Date, time: Time) -> Result<String, ConnectorError> {
        dates::moment(date, time, &self.settings.timezone)
    }

    /// A date parameter: the moment, or empty to clear it.
    pub(crate) fn date_param(
        &self,
        date: Option<Date>,
        time: Time,
    ) -> Result<String, ConnectorError> {
        dates::param(date, time, &self.settings.timezone)
    }

    /// The open list with this name, created at the right end of the board when missing.
    async fn ensure_list(&mut self, name: &str) -> Result<String, ConnectorError> {
        if name.trim().is_empty() {
            return Err(ConnectorError::Invalid {
                message: "a task has no stage list name (its group is empty)".to_owned(),
            });
        }
        if let Some(l) = self
            .snap()
            .lists
            .iter()
            .find(|l| !l.closed && l.name == name)
        {
            return Ok(l.id.clone());
        }
        let created: wire::List = self
            .api
            .post(
                "/lists",
                &[
                    ("name", name.to_owned()),
                    ("idBoard", self.api.board().to_owned()),
                    ("pos", "bottom".to_owned()),
                ],
                &format!("creating list \"{name}\""),
            )
            .await?;
        let id = created.id.clone();
        self.snap_mut().lists.push(wire::List {
            id: created.id,
            name: name.to_owned(),
            closed: false,
            pos: created.pos,
        });
        Ok(id)
    }

    /// The label a new card gets, created when missing.
    async fn ensure_label(
        &mut self,
        context: &TaskContext,
    ) -> Result<Option<String>, ConnectorError> {
        let name = match self.mapping().labels {
            LabelsFrom::Channel => context.channel.clone(),
            LabelsFrom::Item => Some(context.item_title.clone()),
            LabelsFrom::None => None,
        };
        let Some(name) = name.filter(|n| !n.trim().is_empty()) else {
            return Ok(None);
        };
        let color = self.mapping().label_color.clone();
        self.label_named(&name, color).await.map(Some)
    }

    /// The id of the board's label with this name, created (in `color`) when missing.
    pub(crate) async fn label_named(
        &mut self,
        name: &str,
        color: Option<String>,
    ) -> Result<String, ConnectorError> {
        if let Some(l) = self
            .snap()
            .labels
            .iter()
            .find(|l| l.name.as_deref() == Some(name))
        {
            return Ok(l.id.clone());
        }
        let color = color.unwrap_or_else(|| "null".to_owned());
        let created: wire::Label = self
            .api
            .post(
                "/labels",
                &[
                    ("name", name.to_owned()),
                    ("color", color),
                    ("idBoard", self.api.board().to_owned()),
                ],
                &format!("creating label \"{name}\""),
            )
            .await?;
        let id = created.id.clone();
        self.snap_mut().labels.push(wire::Label {
            id: created.id,
            name: Some(name.to_owned()),
        });
        Ok(id)
    }

    /// The (archived) list of template cards, created when missing.
    async fn ensure_templates_list(&mut self) -> Result<String, ConnectorError> {
        let list_name = self.mapping().templates_list.clone();
        if let Some(l) = self.snap().lists.iter().find(|l| l.name == list_name) {
            return Ok(l.id.clone());
        }
        let created: wire::List = self
            .api
            .post(
                "/lists",
                &[
                    ("name", list_name.clone()),
                    ("idBoard", self.api.board().to_owned()),
                    ("pos", "bottom".to_owned()),
                ],
                "creating the list of template cards",
            )
            .await?;
        // Archived, so that nobody works in it.
        self.api
            .put(
                &format!("/lists/{}", created.id),
                &[("closed", "true".to_owned())],
                "archiving the list of template cards",
            )
            .await?;
        self.snap_mut().lists.push(wire::List {
            id: created.id.clone(),
            name: list_name,
            closed: true,
            pos: created.pos,
        });
        Ok(created.id)
    }

    /// A template card whose checklist holds exactly these texts, made when missing.
    async fn ensure_template(&mut self, texts: &[String]) -> Result<String, ConnectorError> {
        if let Some(t) = self.snap().templates.iter().find(|t| t.texts == texts) {
            return Ok(t.card.clone());
        }
        let list = self.ensure_templates_list().await?;
        let checklist_name = self.mapping().checklist_name.clone();
        let card: wire::Created = self
            .api
            .post(
                "/cards",
                &[
                    ("idList", list),
                    (
                        "name",
                        format!("Template: {} ({} items)", texts[0], texts.len()),
                    ),
                    (
                        "desc",
                        "throughline copies this card's checklist into new cards, so that a new \
                         card with its checklist takes one request. Leave it in this archived list."
                            .to_owned(),
                    ),
                    ("pos", "bottom".to_owned()),
                ],
                "creating a template card",
            )
            .await?;
        let checklist: wire::Created = self
            .api
            .post(
                "/checklists",
                &[("idCard", card.id.clone()), ("name", checklist_name)],
                "creating the checklist of a template card",
            )
            .await?;
        for text in texts {
            self.api
                .post::<wire::Created>(
                    &format!("/checklists/{}/checkItems", checklist.id),
                    &[("name", text.clone()), ("pos", "bottom".to_owned())],
                    "filling a template card",
                )
                .await?;
        }
        self.snap_mut().templates.push(Template {
            card: card.id.clone(),
            texts: texts.to_vec(),
        });
        Ok(card.id)
    }

    /// Check item parameters that differ from a fresh, unticked, unassigned item.
    pub(crate) fn item_params(&self, entry: &DesiredEntry) -> Result<Params, ConnectorError> {
        let mut q = Vec::new();
        if entry.checked {
            q.push(("state", "complete".to_owned()));
        }
        if self.mapping().entry_owner
            && let Some(owner) = &entry.fields.owner
        {
            q.push(("idMember", self.member_of(self.snap(), owner)?));
        }
        if self.mapping().entry_due
            && let Some(due) = entry.fields.due
        {
            q.push(("due", self.moment(due, self.mapping().due_time)?));
        }
        Ok(q)
    }

    /// The parameters of a new card in `list`.
    fn card_params(
        &self,
        task: &DesiredTask,
        list: String,
        owner: Option<String>,
        label: Option<String>,
        template: Option<&str>,
    ) -> Result<Params, ConnectorError> {
        let f = &task.fields;
        let mut q = vec![
            ("idList", list),
            ("name", f.title.clone()),
            ("desc", marker::join(&f.description, &marker_for(task))),
            ("pos", format!("{}", (task.context.position + 1) * 1024)),
        ];
        if let Some(d) = f.due {
            q.push(("due", self.moment(d, self.mapping().due_time)?));
        }
        if let Some(s) = f.start {
            q.push(("start", self.moment(s, self.mapping().start_time)?));
        }
        q.extend(owner.map(|m| ("idMembers", m)));
        q.extend(label.map(|l| ("idLabels", l)));
        if task.state == State::Done && self.mapping().due_complete {
            q.push(("dueComplete", "true".to_owned()));
        }
        if let Some(t) = template {
            q.push(("idCardSource", t.to_owned()));
            q.push(("keepFromSource", "checklists".to_owned()));
        }
        Ok(q)
    }

    async fn create_task(
        &mut self,
        index: usize,
        task: &DesiredTask,
        pending: &mut Vec<PendingCopy>,
    ) -> Result<Option<Applied>, ConnectorError> {
        let f = &task.fields;
        let owner = match &f.owner {
            Some(p) => Some(self.member_of(self.snap(), p)?),
            None => None,
        };
        let entry_params = task
            .entries
            .iter()
            .map(|e| self.item_params(e))
            .collect::<Result<Vec<_>, _>>()?;
        let home = self.ensure_list(&f.group).await?;
        let list = if task.state == State::Done && self.mapping().move_to_done_list {
            let name = self.mapping().done_list.clone().unwrap_or_default();
            self.ensure_list(&name).await?
        } else {
            home
        };
        let label = self.ensure_label(&task.context).await?;
        let texts: Vec<String> = task.entries.iter().map(|e| e.fields.text.clone()).collect();
        let template = if !texts.is_empty() && self.mapping().templates {
            Some(self.ensure_template(&texts).await?)
        } else {
            None
        };
        let q = self.card_params(task, list, owner, label, template.as_deref())?;
        let card: wire::Card = self
            .api
            .post(
                "/cards",
                &q,
                &format!("creating the card of `{}`", task.identity),
            )
            .await?;
        self.home.insert(card.id.clone(), f.group.clone());
        let id = card.id.clone();
        let checklists = Vec::new();
        self.snap_mut()
            .cards
            .insert(id.clone(), CardState { card, checklists });
        self.fill_identity_field(&id, &task.identity).await;
        if task.state == State::Blocked {
            let reason = task.context.blocked_reason.as_deref();
            self.set_blocked(&id, &task.identity, true, reason).await?;
        }
        if template.is_some() {
            pending.push(PendingCopy {
                index,
                card: id,
                task: task.clone(),
            });
            return Ok(None);
        }
        let entries = self.add_checklist(&id, task, entry_params).await?;
        Ok(Some(Applied::Created {
            remote_id: id,
            entries,
            version: None,
        }))
    }

    /// The identity custom field of a new card, when the board has one. The description line
    /// is the identity that counts; the field is a second copy, so a failure is only logged.
    async fn fill_identity_field(&self, card: &str, identity: &str) {
        let Some(field) = self.snap().id_field.clone() else {
            return;
        };
        let body = serde_json::json!({"value": {"text": identity}});
        if let Err(e) = self
            .api
            .put_json(
                &format!("/cards/{card}/customField/{field}/item"),
                &body,
                &format!("the identity field of `{identity}`"),
            )
            .await
        {
            tracing::warn!(target = %self.settings.target, error = %e, "could not fill the identity custom field");
        }
    }

    /// The checklist of a new card made without a template: the checklist, then its items one
    /// by one. Answers each entry's identity and check item id.
    async fn add_checklist(
        &mut self,
        card: &str,
        task: &DesiredTask,
        entry_params: Vec<Params>,
    ) -> Result<Vec<(String, String)>, ConnectorError> {
        let mut entries = Vec::new();
        if task.entries.is_empty() {
            return Ok(entries);
        }
        let name = self.mapping().checklist_name.clone();
        let mut cl: wire::Checklist = self
            .api
            .post(
                "/checklists",
                &[("idCard", card.to_owned()), ("name", name)],
                &format!("creating the checklist of `{}`", task.identity),
            )
            .await?;
        for (e, extra) in task.entries.iter().zip(entry_params) {
            let mut q = vec![
                ("name", e.fields.text.clone()),
                ("pos", "bottom".to_owned()),
            ];
            q.extend(as_create(extra));
            let item: wire::CheckItem = self
                .api
                .post(
                    &format!("/checklists/{}/checkItems", cl.id),
                    &q,
                    &format!("adding `{}`", e.identity),
                )
                .await?;
            entries.push((e.identity.clone(), item.id.clone()));
            cl.check_items.push(item);
        }
        if let Some(cs) = self.snap_mut().cards.get_mut(card) {
            cs.checklists.push(cl);
        }
        Ok(entries)
    }

    /// After a batch of copies: one read of the board's checklists gives every new card's
    /// check item ids; items that must differ from the template are then set one by one.
    async fn finish_copies(
        &mut self,
        results: &mut [Result<Applied, ConnectorError>],
        pending: Vec<PendingCopy>,
    ) {
        let checklists = match self.api.read_checklists().await {
            Ok(c) => c,
            Err(e) => {
                for p in pending {
                    results[p.index] = Err(e.clone());
                }
                return;
            }
        };
        for p in pending {
            results[p.index] = self.finish_copy(&checklists, &p).await;
        }
    }

    /// One copied card: its checklist as read, checked against the task's entries, and the
    /// items that differ from the template set.
    async fn finish_copy(
        &mut self,
        checklists: &[wire::Checklist],
        p: &PendingCopy,
    ) -> Result<Applied, ConnectorError> {
        let name = &self.mapping().checklist_name;
        let mut cl: Vec<&wire::Checklist> = checklists
            .iter()
            .filter(|c| c.id_card == p.card && c.name == *name)
            .collect();
        cl.sort_by(|a, b| a.pos.total_cmp(&b.pos));
        let Some(mut cl) = cl.first().map(|c| (*c).clone()) else {
            return Err(ConnectorError::Retryable {
                message: format!(
                    "Trello copied the card of `{}` without its checklist; the next sync \
                     checks it again",
                    p.task.identity
                ),
            });
        };
        cl.check_items.sort_by(|a, b| a.pos.total_cmp(&b.pos));
        if cl.check_items.len() != p.task.entries.len() {
            return Err(ConnectorError::Retryable {
                message: format!(
                    "the card of `{}` got {} checklist items from its template instead of {}; \
                     the next sync checks it again",
                    p.task.identity,
                    cl.check_items.len(),
                    p.task.entries.len()
                ),
            });
        }
        let outcome = self.set_copied_items(p, &cl).await;
        let entries: Vec<(String, String)> = p
            .task
            .entries
            .iter()
            .zip(&cl.check_items)
            .map(|(e, i)| (e.identity.clone(), i.id.clone()))
            .collect();
        for (e, i) in p.task.entries.iter().zip(cl.check_items.iter_mut()) {
            if e.checked {
                i.state = "complete".to_owned();
            }
        }
        if let Some(cs) = self.snap_mut().cards.get_mut(&p.card) {
            cs.checklists = vec![cl];
        }
        outcome.map(|()| Applied::Created {
            remote_id: p.card.clone(),
            entries,
            version: None,
        })
    }

    /// Set what differs from the template on each copied item, stopping at the first failure.
    async fn set_copied_items(
        &self,
        p: &PendingCopy,
        cl: &wire::Checklist,
    ) -> Result<(), ConnectorError> {
        for (e, item) in p.task.entries.iter().zip(&cl.check_items) {
            let q = self.item_params(e)?;
            if q.is_empty() {
                continue;
            }
            self.api
                .put(
                    &format!("/cards/{}/checkItem/{}", p.card, item.id),
                    &q,
                    &format!("setting `{}`", e.identity),
                )
                .await?;
        }
        Ok(())
    }

    pub(crate) fn card_state(&self, remote_id: &str) -> Result<CardState, ConnectorError> {
        self.snap()
            .cards
            .get(remote_id)
            .cloned()
            .ok_or_else(|| ConnectorError::NotFound {
                what: format!("card {remote_id} on {}", self.api.board_label()),
            })
    }

    /// Bring a card to the given fields and state, sending only what differs from what the
    /// board shows.
    async fn update_task(
        &mut self,
        remote_id: &str,
        identity: &str,
        context: &TaskContext,
        fields: Option<&TaskFields>,
        state: Option<State>,
        unarchive: bool,
    ) -> Result<Applied, ConnectorError> {
        let cs = self.card_state(remote_id)?;
        let card = &cs.card;
        let mut q = Params::new();
        let mut members = MemberMove::default();
        let mut home_name = self
            .home
            .get(remote_id)
            .cloned()
            .unwrap_or_else(|| context.stage_name.clone());
        if let Some(f) = fields {
            home_name = f.group.clone();
            self.field_params(card, identity, f, &mut q)?;
            members = self.owner_params(card, f.owner.as_deref(), &mut q)?;
        }
        let to_list = self.list_move(card, &home_name, fields, state, unarchive, &mut q);
        if let Some(name) = to_list {
            let id = self.ensure_list(&name).await?;
            if id != card.id_list {
                q.push(("idList", id));
            }
        }
        self.home.insert(remote_id.to_owned(), home_name);
        self.send_card_update(remote_id, identity, &q, members)
            .await?;
        if let Some(s) = state {
            let reason = context.blocked_reason.as_deref();
            self.set_blocked(remote_id, identity, s == State::Blocked, reason)
                .await?;
        }
        Ok(Applied::Updated { version: None })
    }

    /// The card's title, description (its marker line kept) and dates, where they differ.
    fn field_params(
        &self,
        card: &wire::Card,
        identity: &str,
        f: &TaskFields,
        q: &mut Params,
    ) -> Result<(), ConnectorError> {
        if f.title != card.name {
            q.push(("name", f.title.clone()));
        }
        let (_, marker) = marker::split(&card.desc);
        let marker = marker.unwrap_or_else(|| Marker::new(identity));
        let desc = marker::join(&f.description, &marker);
        if desc != card.desc {
            q.push(("desc", desc));
        }
        if f.due != self.date_of(card.due.as_deref()) {
            q.push(("due", self.date_param(f.due, self.mapping().due_time)?));
        }
        if f.start != self.date_of(card.start.as_deref()) {
            q.push((
                "start",
                self.date_param(f.start, self.mapping().start_time)?,
            ));
        }
        Ok(())
    }

    /// The owner among the card's members: replaced in `idMembers` when the card has at most
    /// that one member, else moved one member at a time so that the others stay.
    fn owner_params(
        &self,
        card: &wire::Card,
        owner: Option<&str>,
        q: &mut Params,
    ) -> Result<MemberMove, ConnectorError> {
        let snap = self.snap();
        let people = self.people_by_member(snap);
        let current = card
            .id_members
            .iter()
            .find(|m| people.contains_key(*m))
            .cloned();
        let wanted = match owner {
            Some(p) => Some(self.member_of(snap, p)?),
            None => None,
        };
        if current == wanted {
            return Ok(MemberMove::default());
        }
        let mut members: Vec<String> = card
            .id_members
            .iter()
            .filter(|m| Some(*m) != current.as_ref())
            .cloned()
            .collect();
        members.extend(wanted.clone());
        if members.len() <= 1 {
            q.push(("idMembers", members.join(",")));
            return Ok(MemberMove::default());
        }
        Ok(MemberMove {
            remove: current,
            add: wanted,
        })
    }

    /// The done tick and unarchiving, and the list (by name) the card must move to, if any:
    /// the done list when done, its stage list when no longer done, unarchived or regrouped.
    fn list_move(
        &self,
        card: &wire::Card,
        home_name: &str,
        fields: Option<&TaskFields>,
        state: Option<State>,
        unarchive: bool,
        q: &mut Params,
    ) -> Option<String> {
        let snap = self.snap();
        let m = self.mapping();
        let in_done = self.done_list_id(snap).as_deref() == Some(card.id_list.as_str());
        let current = snap.lists.iter().find(|l| l.id == card.id_list);
        let stays_done = match state {
            Some(s) => s == State::Done,
            None => in_done || (m.due_complete && card.due_complete),
        };
        let mut target_list = None;
        if let Some(s) = state {
            let done = s == State::Done;
            if m.due_complete && card.due_complete != done {
                q.push(("dueComplete", done.to_string()));
            }
            if done && m.move_to_done_list && !in_done {
                target_list = Some(m.done_list.clone().unwrap_or_default());
            }
            if !done && in_done {
                target_list = Some(home_name.to_owned());
            }
        }
        if target_list.is_none()
            && let Some(f) = fields
        {
            let parked_in_done = in_done && stays_done;
            if current.map(|l| l.name.as_str()) != Some(f.group.as_str()) && !parked_in_done {
                target_list = Some(f.group.clone());
            }
        }
        if unarchive {
            if card.closed {
                q.push(("closed", "false".to_owned()));
            }
            if current.is_some_and(|l| l.closed) && target_list.is_none() {
                target_list = Some(home_name.to_owned());
            }
        }
        target_list
    }

    /// One `PUT` with every changed field, then the member moves it could not say.
    async fn send_card_update(
        &mut self,
        remote_id: &str,
        identity: &str,
        q: &Params,
        members: MemberMove,
    ) -> Result<(), ConnectorError> {
        let what = format!("the card of `{identity}`");
        if !q.is_empty() {
            let updated: wire::Card = self
                .api
                .call(Method::PUT, &format!("/cards/{remote_id}"), q, &what)
                .await?;
            if let Some(cs) = self.snap_mut().cards.get_mut(remote_id) {
                let items = std::mem::take(&mut cs.card.custom_field_items);
                cs.card = updated;
                cs.card.custom_field_items = items;
            }
        }
        if let Some(m) = members.remove {
            let _: serde_json::Value = self
                .api
                .call(
                    Method::DELETE,
                    &format!("/cards/{remote_id}/idMembers/{m}"),
                    &[],
                    &what,
                )
                .await?;
            if let Some(cs) = self.snap_mut().cards.get_mut(remote_id) {
                cs.card.id_members.retain(|x| *x != m);
            }
        }
        if let Some(m) = members.add {
            let _: serde_json::Value = self
                .api
                .post(
                    &format!("/cards/{remote_id}/idMembers"),
                    &[("value", m.clone())],
                    &what,
                )
                .await?;
            if let Some(cs) = self.snap_mut().cards.get_mut(remote_id) {
                cs.card.id_members.push(m);
            }
        }
        Ok(())
    }

    async fn archive_task(
        &mut self,
        remote_id: &str,
        identity: &str,
    ) -> Result<Applied, ConnectorError> {
        let cs = self.card_state(remote_id)?;
        if !cs.card.closed {
            self.api
                .put(
                    &format!("/cards/{remote_id}"),
                    &[("closed", "true".to_owned())],
                    &format!("archiving the card of `{identity}`"),
                )
                .await?;
            if let Some(cs) = self.snap_mut().cards.get_mut(remote_id) {
                cs.card.closed = true;
            }
        }
        Ok(Applied::Archived)
    }

    /// Apply a batch in order; copies are finished together at the end (one read for all).
    pub(crate) async fn apply_changes(
        &mut self,
        changes: &[Change],
    ) -> Vec<Result<Applied, ConnectorError>> {
        if self.snap.is_none()
            && let Err(e) = self.refresh().await
        {
            return changes.iter().map(|_| Err(e.clone())).collect();
        }
        let mut pending = Vec::new();
        let mut results = Vec::with_capacity(changes.len());
        for (i, change) in changes.iter().enumerate() {
            let r = self.apply_one(i, change, &mut pending).await;
            results.push(r.map(|a| a.unwrap_or(Applied::Updated { version: None })));
        }
        if !pending.is_empty() {
            self.finish_copies(&mut results, pending).await;
        }
        results
    }

    async fn apply_one(
        &mut self,
        index: usize,
        change: &Change,
        pending: &mut Vec<PendingCopy>,
    ) -> Result<Option<Applied>, ConnectorError> {
        match change.view() {
            ChangeView::CreateTask(task) => self.create_task(index, task, pending).await,
            ChangeView::UpdateTask(u) => self
                .update_task(
                    u.remote_id,
                    u.identity,
                    u.context,
                    u.fields,
                    u.state,
                    u.unarchive,
                )
                .await
                .map(Some),
            ChangeView::ArchiveTask(a) => {
                self.archive_task(a.remote_id, a.identity).await.map(Some)
            }
            ChangeView::CreateEntry(c) => self
                .create_entry(c.parent_remote_id, c.parent_identity, c.index, c.entry)
                .await
                .map(Some),
            ChangeView::UpdateEntry(u) => self
                .update_entry(
                    u.parent_remote_id,
                    u.remote_id,
                    u.identity,
                    u.fields,
                    u.checked,
                    u.unarchive,
                )
                .await
                .map(Some),
            ChangeView::ArchiveEntry(a) => self
                .archive_entry(a.parent_remote_id, a.remote_id, a.identity)
                .await
                .map(Some),
        }
    }
}
