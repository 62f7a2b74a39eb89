//! Reading the board: the one nested read, the snapshot the writes keep up to date, and the
//! observed tasks and entries made from it (identities from the marker line or the custom
//! field, people from the board's members, done from the tick or the done list).

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use throughline_connector::identity::Identity;
use throughline_connector::{
    ConnectorError, EntryFields, Observation, ObservedEntry, ObservedTask, State, TaskFields,
};

use crate::connector::TrelloConnector;
use crate::dates;
use crate::marker::{self, Marker};
use crate::wire;

/// A card as last observed, with its checklists in board order.
#[derive(Debug, Clone)]
pub(crate) struct CardState {
    pub(crate) card: wire::Card,
    pub(crate) checklists: Vec<wire::Checklist>,
}

/// A template card: new cards copy its checklist.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    pub(crate) card: String,
    pub(crate) texts: Vec<String>,
}

/// The board as last observed, kept up to date by this connector's own writes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Snapshot {
    pub(crate) lists: Vec<wire::List>,
    pub(crate) cards: HashMap<String, CardState>,
    pub(crate) templates: Vec<Template>,
    pub(crate) labels: Vec<wire::Label>,
    pub(crate) members: Vec<wire::Member>,
    /// The text custom field that carries identities, when the board has one.
    pub(crate) id_field: Option<String>,
    /// The text custom field that holds blocked reasons, when the mapping names one and the
    /// board has it.
    pub(crate) reason_field: Option<String>,
    /// Card id → its comments' texts, newest first (read only while blocked reasons live in
    /// comments).
    pub(crate) comments: HashMap<String, Vec<String>>,
}

/// How many cards of each stage sit in each list (by name), outside the done list: where a
/// card found in the done list belongs when nothing else says.
type StageLists = HashMap<String, BTreeMap<String, usize>>;

/// A template card is usable only while it holds exactly one clean checklist of the right name.
fn template_of(card: &wire::Card, checklists: &[wire::Checklist], name: &str) -> Option<Template> {
    let clean = checklists.len() == 1
        && checklists[0].name == name
        && checklists[0]
            .check_items
            .iter()
            .all(|i| !i.complete() && i.due.is_none() && i.id_member.is_none());
    clean.then(|| Template {
        card: card.id.clone(),
        texts: checklists[0]
            .check_items
            .iter()
            .map(|i| i.name.clone())
            .collect(),
    })
}

impl TrelloConnector {
    /// Read the board again (one request) and keep it as the snapshot.
    pub(crate) async fn refresh(&mut self) -> Result<(), ConnectorError> {
        // Blocked reasons in comments: the comments come nested in the same read.
        let comments = self.mapping().blocked_label.is_some()
            && self.snap.as_ref().is_none_or(|s| s.reason_field.is_none());
        let mut board = self.api.read_board(comments).await?;
        if comments && self.reason_field_id(&board).is_some() {
            // The board has the reason field after all: no comments needed from now on.
            board.actions.clear();
        }
        self.api.set_board_name(&board.name);
        self.snap = Some(self.snapshot_of(board));
        Ok(())
    }

    pub(crate) fn snapshot_of(&self, board: wire::Board) -> Snapshot {
        let reason_field = self.reason_field_id(&board);
        let mut comments: HashMap<String, Vec<String>> = HashMap::new();
        for a in &board.actions {
            if let Some((card, text)) = a.comment() {
                comments
                    .entry(card.to_owned())
                    .or_default()
                    .push(text.to_owned());
            }
        }
        let m = self.mapping();
        let template_lists: Vec<&str> = board
            .lists
            .iter()
            .filter(|l| l.name == m.templates_list)
            .map(|l| l.id.as_str())
            .collect();
        let mut by_card: HashMap<String, Vec<wire::Checklist>> = HashMap::new();
        for mut cl in board.checklists {
            cl.check_items.sort_by(|a, b| a.pos.total_cmp(&b.pos));
            by_card.entry(cl.id_card.clone()).or_default().push(cl);
        }
        for lists in by_card.values_mut() {
            lists.sort_by(|a, b| a.pos.total_cmp(&b.pos));
        }
        let mut cards = HashMap::new();
        let mut templates = Vec::new();
        for card in board.cards {
            let checklists = by_card.remove(&card.id).unwrap_or_default();
            if template_lists.contains(&card.id_list.as_str()) {
                templates.extend(template_of(&card, &checklists, &m.checklist_name));
                continue;
            }
            cards.insert(card.id.clone(), CardState { card, checklists });
        }
        let id_field = m.custom_field.as_ref().and_then(|name| {
            board
                .custom_fields
                .iter()
                .find(|f| f.name == *name && f.kind == "text")
                .map(|f| f.id.clone())
        });
        let mut lists = board.lists;
        lists.sort_by(|a, b| a.pos.total_cmp(&b.pos));
        Snapshot {
            lists,
            cards,
            templates,
            labels: board.labels,
            members: board.members,
            id_field,
            reason_field,
            comments,
        }
    }

    /// The day of a Trello moment in the process's time zone.
    pub(crate) fn date_of(&self, when: Option<&str>) -> Option<Date> {
        dates::day_of(when, &self.settings.timezone)
    }

    /// Hub person → Trello member id, for everyone the people tables name and the board has.
    pub(crate) fn member_of(
        &self,
        snap: &Snapshot,
        person: &str,
    ) -> Result<String, ConnectorError> {
        let target = &self.settings.target;
        let trello = self
            .settings
            .people
            .get(person)
            .or_else(|| self.mapping().people.get(person))
            .ok_or_else(|| ConnectorError::Invalid {
                message: format!(
                    "{person} has no Trello username: add \"{person}\" = \"<their Trello \
                     username>\" under [people] in the Trello mapping of target `{target}`"
                ),
            })?;
        snap.members
            .iter()
            .find(|m| m.id == *trello || m.username.eq_ignore_ascii_case(trello))
            .map(|m| m.id.clone())
            .ok_or_else(|| ConnectorError::Invalid {
                message: format!(
                    "Trello user `{trello}` ({person}) is not a member of {}; invite them to the \
                     board, or fix [people] in the Trello mapping of target `{target}`",
                    self.api.board_label()
                ),
            })
    }

    /// Trello member id → hub person.
    pub(crate) fn people_by_member(&self, snap: &Snapshot) -> HashMap<String, String> {
        let mut out = HashMap::new();
        let names = self
            .mapping()
            .people
            .iter()
            .chain(self.settings.people.iter());
        for (person, trello) in names {
            if let Some(m) = snap
                .members
                .iter()
                .find(|m| m.id == *trello || m.username.eq_ignore_ascii_case(trello))
            {
                out.insert(m.id.clone(), person.clone());
            }
        }
        out
    }

    pub(crate) fn done_list_id(&self, snap: &Snapshot) -> Option<String> {
        let name = self.mapping().done_list.as_ref()?;
        snap.lists
            .iter()
            .find(|l| !l.closed && l.name == *name)
            .map(|l| l.id.clone())
    }

    fn identity_of(&self, snap: &Snapshot, cs: &CardState) -> (Option<Marker>, Option<String>) {
        let (_, marker) = marker::split(&cs.card.desc);
        let from_field = snap.id_field.as_ref().and_then(|f| {
            cs.card
                .custom_field_items
                .iter()
                .find(|i| i.id_custom_field == *f)
                .and_then(|i| i.text())
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        });
        let identity = marker.as_ref().map(|m| m.identity.clone()).or(from_field);
        (marker, identity)
    }

    /// The observation of the snapshot: one task per card outside the template list.
    pub(crate) fn observe_snapshot(&mut self) -> Observation {
        let Some(snap) = self.snap.take() else {
            return Observation::default();
        };
        let people = self.people_by_member(&snap);
        let done_list = self.done_list_id(&snap);
        let stage_lists = self.stage_lists(&snap, done_list.as_deref());
        let mut tasks: Vec<ObservedTask> = snap
            .cards
            .iter()
            .map(|(id, cs)| {
                self.observe_card(&snap, id, cs, done_list.as_deref(), &stage_lists, &people)
            })
            .collect();
        tasks.sort_by(|a, b| a.remote_id.cmp(&b.remote_id));
        self.snap = Some(snap);
        Observation {
            tasks,
            cursor: None,
        }
    }

    /// Count where each stage's cards sit, and remember each card's list as its home.
    fn stage_lists(&mut self, snap: &Snapshot, done_list: Option<&str>) -> StageLists {
        let mut stage_lists = StageLists::new();
        for (id, cs) in &snap.cards {
            if Some(cs.card.id_list.as_str()) == done_list {
                continue;
            }
            let list = snap.lists.iter().find(|l| l.id == cs.card.id_list);
            if let (Some(identity), Some(list)) = (self.identity_of(snap, cs).1, list) {
                if let Ok(identity) = Identity::parse(&identity) {
                    *stage_lists
                        .entry(identity.stage().to_owned())
                        .or_default()
                        .entry(list.name.clone())
                        .or_default() += 1;
                }
                self.home.insert(id.clone(), list.name.clone());
            }
        }
        stage_lists
    }

    fn observe_card(
        &self,
        snap: &Snapshot,
        id: &str,
        cs: &CardState,
        done_list: Option<&str>,
        stage_lists: &StageLists,
        people: &HashMap<String, String>,
    ) -> ObservedTask {
        let card = &cs.card;
        let (marker, identity) = self.identity_of(snap, cs);
        let (description, _) = marker::split(&card.desc);
        let list = snap.lists.iter().find(|l| l.id == card.id_list);
        let in_done = done_list == Some(card.id_list.as_str());
        let group = if in_done {
            // In the done list: the card's own stage list, else where most of its stage sits.
            self.home
                .get(id)
                .cloned()
                .or_else(|| {
                    let identity = Identity::parse(identity.as_deref()?).ok()?;
                    stage_lists
                        .get(identity.stage())?
                        .iter()
                        .max_by_key(|(_, n)| **n)
                        .map(|(name, _)| name.clone())
                })
                .or_else(|| list.map(|l| l.name.clone()))
                .unwrap_or_default()
        } else {
            list.map(|l| l.name.clone()).unwrap_or_default()
        };
        let done = (self.mapping().due_complete && card.due_complete) || in_done;
        let (blocked, status_cells) = self.blocked_of(snap, cs);
        let fields = TaskFields {
            title: card.name.clone(),
            description,
            group,
            owner: card.id_members.iter().find_map(|m| people.get(m).cloned()),
            start: self.date_of(card.start.as_deref()),
            due: self.date_of(card.due.as_deref()),
        };
        ObservedTask {
            remote_id: card.id.clone(),
            identity,
            fields,
            // Done wins over the label: the tick is what the card's people look at last.
            state: match (done, blocked) {
                (true, _) => State::Done,
                (false, true) => State::Blocked,
                (false, false) => State::Todo,
            },
            archived: card.closed || list.is_some_and(|l| l.closed),
            version: None,
            modified: card
                .date_last_activity
                .as_deref()
                .and_then(|t| t.parse().ok()),
            modified_by: None,
            entries: self.observe_entries(cs, marker.as_ref(), people),
            status_cells,
        }
    }

    fn observe_entries(
        &self,
        cs: &CardState,
        marker: Option<&Marker>,
        people: &HashMap<String, String>,
    ) -> Vec<ObservedEntry> {
        let m = self.mapping();
        // Throughline's own checklists first (live, then archived), then anyone else's.
        let ours = |name: &str| name == m.checklist_name || name == m.archived_checklist_name;
        let mut items: Vec<(&wire::CheckItem, bool, bool)> = Vec::new();
        for cl in cs.checklists.iter().filter(|c| c.name == m.checklist_name) {
            items.extend(cl.check_items.iter().map(|i| (i, false, true)));
        }
        for cl in cs
            .checklists
            .iter()
            .filter(|c| c.name == m.archived_checklist_name)
        {
            items.extend(cl.check_items.iter().map(|i| (i, true, true)));
        }
        for cl in cs.checklists.iter().filter(|c| !ours(&c.name)) {
            items.extend(cl.check_items.iter().map(|i| (i, false, false)));
        }
        let own_texts: Vec<&str> = items
            .iter()
            .filter(|(_, _, own)| *own)
            .map(|(i, _, _)| i.name.as_str())
            .collect();
        let mut identities = marker
            .map(|mk| mk.match_items(&own_texts))
            .unwrap_or_else(|| vec![None; own_texts.len()])
            .into_iter();
        items
            .into_iter()
            .map(|(item, archived, own)| ObservedEntry {
                remote_id: item.id.clone(),
                identity: if own {
                    identities.next().flatten()
                } else {
                    None
                },
                fields: EntryFields {
                    text: item.name.clone(),
                    owner: if m.entry_owner {
                        item.id_member.as_ref().and_then(|i| people.get(i).cloned())
                    } else {
                        None
                    },
                    due: if m.entry_due {
                        self.date_of(item.due.as_deref())
                    } else {
                        None
                    },
                },
                checked: item.complete(),
                archived,
                modified: None,
                modified_by: None,
            })
            .collect()
    }
}
