//! The connector: one nested board read per observation; writes that send only what changed.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use serde::de::DeserializeOwned;
use throughline_connector::http::{
    HttpClient, HttpConfig, LimiterRegistry, RateQuota, RequestCounts, RetryPolicy, Secret,
    account_key,
};
use throughline_connector::{
    Applied, Capabilities, Change, Connector, ConnectorError, DesiredEntry, DesiredTask,
    EntryFields, Observation, ObservedEntry, ObservedTask, State, StateSupport, TaskContext,
    TaskFields,
};

use crate::mapping::{LabelsFrom, TrelloMapping};
use crate::marker::{self, Marker};
use crate::wire;

/// Trello's request quotas for one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrelloLimits {
    pub per_token: RateQuota,
    pub per_key: RateQuota,
}

impl Default for TrelloLimits {
    /// 100 requests per 10 s per token, 300 per 10 s per API key.
    fn default() -> Self {
        TrelloLimits {
            per_token: RateQuota::new(100, Duration::from_secs(10)).expect("a valid quota"),
            per_key: RateQuota::new(300, Duration::from_secs(10)).expect("a valid quota"),
        }
    }
}

/// Everything a Trello target needs, as plain values (secrets already resolved).
#[derive(Debug, Clone)]
pub struct TrelloSettings {
    /// The target id from the config.
    pub target: String,
    /// The board's id (24 hex digits) or short link.
    pub board: String,
    pub key: Secret,
    pub token: Secret,
    /// `https://api.trello.com/1` unless a test or the emulator says otherwise.
    pub base_url: String,
    pub mapping: TrelloMapping,
    /// Dates are written and read as days in this time zone (the process's).
    pub timezone: TimeZone,
    /// Hub person → Trello username or member id; wins over the mapping's `[people]`.
    pub people: BTreeMap<String, String>,
    pub limits: TrelloLimits,
    /// The longest one request may take.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
}

impl TrelloSettings {
    pub const DEFAULT_BASE_URL: &'static str = "https://api.trello.com/1";

    /// Settings with the default mapping, UTC, Trello's limits and the shared client's retries.
    pub fn new(target: &str, board: &str, key: Secret, token: Secret) -> Self {
        TrelloSettings {
            target: target.to_owned(),
            board: board.to_owned(),
            key,
            token,
            base_url: Self::DEFAULT_BASE_URL.to_owned(),
            mapping: TrelloMapping::default(),
            timezone: TimeZone::UTC,
            people: BTreeMap::new(),
            limits: TrelloLimits::default(),
            request_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
        }
    }
}

/// Why a Trello target cannot be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error(
        "target `{target}` needs `board = \"<board id>\"`: the id of the Trello board (open the board, add .json to its address, and copy \"id\")"
    )]
    MissingBoard { target: String },
    #[error(
        "target `{target}` needs the Trello {which} in `credentials = {{ key = \"env:TRELLO_KEY\", token = \"env:TRELLO_TOKEN\" }}` (create them at https://trello.com/app-key)"
    )]
    MissingCredential { target: String, which: &'static str },
    #[error(
        "target `{target}`: `base_url = \"{url}\"` is not a web address like \"https://api.trello.com/1\""
    )]
    BadBaseUrl { target: String, url: String },
    #[error("target `{target}`: {message}")]
    Client { target: String, message: String },
}

/// A card as last observed, with its checklists in board order.
#[derive(Debug, Clone)]
struct CardState {
    card: wire::Card,
    checklists: Vec<wire::Checklist>,
}

/// A template card: new cards copy its checklist.
#[derive(Debug, Clone)]
struct Template {
    card: String,
    texts: Vec<String>,
}

/// The board as last observed, kept up to date by this connector's own writes.
#[derive(Debug, Clone, Default)]
struct Snapshot {
    name: String,
    lists: Vec<wire::List>,
    cards: HashMap<String, CardState>,
    templates: Vec<Template>,
    labels: Vec<wire::Label>,
    members: Vec<wire::Member>,
    /// The text custom field that carries identities, when the board has one.
    id_field: Option<String>,
}

/// A created card whose check item ids are read after the batch.
struct PendingCopy {
    index: usize,
    card: String,
    task: DesiredTask,
}

/// The Trello connector of one target (one board).
pub struct TrelloConnector {
    settings: TrelloSettings,
    client: HttpClient,
    base: String,
    snap: Option<Snapshot>,
    /// The stage list of each card, as last seen outside the done list.
    home: HashMap<String, String>,
}

impl TrelloConnector {
    pub fn new(settings: TrelloSettings) -> Result<TrelloConnector, SetupError> {
        let target = settings.target.clone();
        if settings.board.trim().is_empty() {
            return Err(SetupError::MissingBoard { target });
        }
        for (secret, which) in [(&settings.key, "API key"), (&settings.token, "token")] {
            if secret.is_empty() {
                return Err(SetupError::MissingCredential { target, which });
            }
        }
        let base = settings.base_url.trim_end_matches('/').to_owned();
        if reqwest::Url::parse(&base).is_err() {
            return Err(SetupError::BadBaseUrl {
                target,
                url: settings.base_url.clone(),
            });
        }
        let mut config = HttpConfig::new("Trello");
        config.auth_hint = format!(
            "Check the Trello key and token of target `{target}`: create a token at \
             https://trello.com/app-key, and make sure its owner is a member of the board"
        );
        config.request_timeout = settings.request_timeout;
        config.retry = settings.retry.clone();
        // Trello's 429 names no Retry-After: wait out the window it counts in.
        config.rate_limit_wait = Some(
            settings
                .limits
                .per_token
                .per
                .min(settings.limits.per_key.per),
        );
        let registry = LimiterRegistry::global();
        let client = HttpClient::new(config)
            .map_err(|e| SetupError::Client {
                target: target.clone(),
                message: e.to_string(),
            })?
            .with_secret(&settings.key)
            .with_secret(&settings.token)
            .with_limiter(registry.limiter(
                &account_key("trello", "token", &settings.token),
                settings.limits.per_token,
            ))
            .with_limiter(registry.limiter(
                &account_key("trello", "key", &settings.key),
                settings.limits.per_key,
            ));
        Ok(TrelloConnector {
            settings,
            client,
            base,
            snap: None,
            home: HashMap::new(),
        })
    }

    fn mapping(&self) -> &TrelloMapping {
        &self.settings.mapping
    }

    fn board_label(&self) -> String {
        match &self.snap {
            Some(s) if !s.name.is_empty() => format!("board \"{}\"", s.name),
            _ => format!("board {}", self.settings.board),
        }
    }

    // --- Requests -------------------------------------------------------------------------

    fn auth(&self) -> [(&'static str, String); 2] {
        [
            ("key", self.settings.key.expose().to_owned()),
            ("token", self.settings.token.expose().to_owned()),
        ]
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        params: &[(&str, String)],
        what: &str,
    ) -> Result<T, ConnectorError> {
        let url = format!("{}{path}", self.base);
        let auth = self.auth();
        let what = format!(
            "{what} ({} of target `{}`)",
            self.board_label(),
            self.settings.target
        );
        let reply = self
            .client
            .send(&what, |c| {
                c.request(method.clone(), &url).query(&auth).query(params)
            })
            .await?;
        reply.json()
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, String)],
        what: &str,
    ) -> Result<T, ConnectorError> {
        self.call(reqwest::Method::GET, path, params, what).await
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, String)],
        what: &str,
    ) -> Result<T, ConnectorError> {
        self.call(reqwest::Method::POST, path, params, what).await
    }

    async fn put(
        &self,
        path: &str,
        params: &[(&str, String)],
        what: &str,
    ) -> Result<(), ConnectorError> {
        self.call::<serde_json::Value>(reqwest::Method::PUT, path, params, what)
            .await
            .map(drop)
    }

    /// The one request an observation costs.
    async fn read_board(&self) -> Result<wire::Board, ConnectorError> {
        let params = [
            ("fields", "name".to_owned()),
            ("actions", "none".to_owned()),
            ("lists", "all".to_owned()),
            ("list_fields", "name,closed,pos".to_owned()),
            ("cards", "all".to_owned()),
            (
                "card_fields",
                "name,desc,closed,idList,due,start,dueComplete,idMembers,\
                 dateLastActivity"
                    .to_owned(),
            ),
            ("card_customFieldItems", "true".to_owned()),
            ("checklists", "all".to_owned()),
            ("checklist_fields", "name,idCard,pos".to_owned()),
            ("labels", "all".to_owned()),
            ("label_fields", "name".to_owned()),
            ("members", "all".to_owned()),
            ("member_fields", "username".to_owned()),
            ("customFields", "true".to_owned()),
        ];
        self.get(
            &format!("/boards/{}", self.settings.board),
            &params,
            "reading the board",
        )
        .await
    }

    async fn refresh(&mut self) -> Result<(), ConnectorError> {
        let board = self.read_board().await?;
        self.snap = Some(self.snapshot_of(board));
        Ok(())
    }

    fn snapshot_of(&self, board: wire::Board) -> Snapshot {
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
                // Usable only while it holds exactly one clean checklist of the right name.
                let clean = checklists.len() == 1
                    && checklists[0].name == m.checklist_name
                    && checklists[0]
                        .check_items
                        .iter()
                        .all(|i| !i.complete() && i.due.is_none() && i.id_member.is_none());
                if clean {
                    templates.push(Template {
                        card: card.id.clone(),
                        texts: checklists[0]
                            .check_items
                            .iter()
                            .map(|i| i.name.clone())
                            .collect(),
                    });
                }
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
            name: board.name,
            lists,
            cards,
            templates,
            labels: board.labels,
            members: board.members,
            id_field,
        }
    }

    // --- Reading --------------------------------------------------------------------------

    fn date_of(&self, when: Option<&str>) -> Option<Date> {
        let t: Timestamp = when?.parse().ok()?;
        Some(t.to_zoned(self.settings.timezone.clone()).date())
    }

    fn moment(&self, date: Date, time: Time) -> Result<String, ConnectorError> {
        let zoned = date
            .to_datetime(time)
            .to_zoned(self.settings.timezone.clone())
            .map_err(|e| ConnectorError::Invalid {
                message: format!("the date {date} cannot be placed in the time zone: {e}"),
            })?;
        Ok(zoned
            .timestamp()
            .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string())
    }

    /// Hub person → Trello member id, for everyone the people tables name and the board has.
    fn member_of(&self, snap: &Snapshot, person: &str) -> Result<String, ConnectorError> {
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
                    self.board_label()
                ),
            })
    }

    /// Trello member id → hub person.
    fn people_by_member(&self, snap: &Snapshot) -> HashMap<String, String> {
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

    fn done_list_id(&self, snap: &Snapshot) -> Option<String> {
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

    fn observe_snapshot(&mut self) -> Observation {
        let Some(snap) = self.snap.take() else {
            return Observation::default();
        };
        let people = self.people_by_member(&snap);
        let done_list = self.done_list_id(&snap);
        let list_of = |id: &str| snap.lists.iter().find(|l| l.id == id);
        let mut identities: HashMap<&str, Option<String>> = HashMap::new();
        for (id, cs) in &snap.cards {
            identities.insert(id.as_str(), self.identity_of(&snap, cs).1);
        }
        // Where the cards of each stage sit, for cards found in the done list.
        let mut stage_lists: HashMap<String, BTreeMap<String, usize>> = HashMap::new();
        for (id, cs) in &snap.cards {
            if Some(&cs.card.id_list) == done_list.as_ref() {
                continue;
            }
            if let (Some(Some(identity)), Some(list)) =
                (identities.get(id.as_str()), list_of(&cs.card.id_list))
            {
                let stage = identity.rsplit('/').next().unwrap_or("").to_owned();
                *stage_lists
                    .entry(stage)
                    .or_default()
                    .entry(list.name.clone())
                    .or_default() += 1;
                self.home.insert(id.clone(), list.name.clone());
            }
        }
        let mut tasks = Vec::with_capacity(snap.cards.len());
        for (id, cs) in &snap.cards {
            let card = &cs.card;
            let (marker, identity) = self.identity_of(&snap, cs);
            let (description, _) = marker::split(&card.desc);
            let list = list_of(&card.id_list);
            let in_done = done_list.as_deref() == Some(card.id_list.as_str());
            let group = if in_done {
                self.home
                    .get(id)
                    .cloned()
                    .or_else(|| {
                        let stage = identity.as_deref()?.rsplit('/').next()?;
                        stage_lists
                            .get(stage)?
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
            let owner = card.id_members.iter().find_map(|m| people.get(m).cloned());
            let fields = TaskFields {
                title: card.name.clone(),
                description,
                group,
                owner,
                start: self.date_of(card.start.as_deref()),
                due: self.date_of(card.due.as_deref()),
            };
            let entries = self.observe_entries(cs, marker.as_ref(), &people);
            tasks.push(ObservedTask {
                remote_id: card.id.clone(),
                identity,
                fields,
                state: if done { State::Done } else { State::Todo },
                archived: card.closed || list.is_some_and(|l| l.closed),
                version: None,
                modified: card
                    .date_last_activity
                    .as_deref()
                    .and_then(|t| t.parse().ok()),
                modified_by: None,
                entries,
                status_cells: Default::default(),
            });
        }
        tasks.sort_by(|a, b| a.remote_id.cmp(&b.remote_id));
        self.snap = Some(snap);
        Observation {
            tasks,
            cursor: None,
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

    // --- Writing --------------------------------------------------------------------------

    fn snap(&self) -> &Snapshot {
        self.snap.as_ref().expect("observed before writing")
    }

    fn snap_mut(&mut self) -> &mut Snapshot {
        self.snap.as_mut().expect("observed before writing")
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
            .post(
                "/lists",
                &[
                    ("name", name.to_owned()),
                    ("idBoard", self.settings.board.clone()),
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
        if let Some(l) = self
            .snap()
            .labels
            .iter()
            .find(|l| l.name.as_deref() == Some(name.as_str()))
        {
            return Ok(Some(l.id.clone()));
        }
        let color = self
            .mapping()
            .label_color
            .clone()
            .unwrap_or_else(|| "null".to_owned());
        let created: wire::Label = self
            .post(
                "/labels",
                &[
                    ("name", name.clone()),
                    ("color", color),
                    ("idBoard", self.settings.board.clone()),
                ],
                &format!("creating label \"{name}\""),
            )
            .await?;
        let id = created.id.clone();
        self.snap_mut().labels.push(wire::Label {
            id: created.id,
            name: Some(name),
        });
        Ok(Some(id))
    }

    /// A template card whose checklist holds exactly these texts, made when missing.
    async fn ensure_template(&mut self, texts: &[String]) -> Result<String, ConnectorError> {
        if let Some(t) = self.snap().templates.iter().find(|t| t.texts == texts) {
            return Ok(t.card.clone());
        }
        let list_name = self.mapping().templates_list.clone();
        let list = match self.snap().lists.iter().find(|l| l.name == list_name) {
            Some(l) => l.id.clone(),
            None => {
                let created: wire::List = self
                    .post(
                        "/lists",
                        &[
                            ("name", list_name.clone()),
                            ("idBoard", self.settings.board.clone()),
                            ("pos", "bottom".to_owned()),
                        ],
                        "creating the list of template cards",
                    )
                    .await?;
                // Archived, so that nobody works in it.
                self.put(
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
                created.id
            }
        };
        let checklist_name = self.mapping().checklist_name.clone();
        let card: wire::Created = self
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
            .post(
                "/checklists",
                &[("idCard", card.id.clone()), ("name", checklist_name)],
                "creating the checklist of a template card",
            )
            .await?;
        for text in texts {
            self.post::<wire::Created>(
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

    fn marker_for(task: &DesiredTask) -> Marker {
        let mut marker = Marker::new(&task.identity);
        for e in &task.entries {
            marker.set(&e.identity, &e.fields.text);
        }
        marker
    }

    /// Check item parameters that differ from a fresh, unticked, unassigned item.
    fn item_params(
        &self,
        entry: &DesiredEntry,
    ) -> Result<Vec<(&'static str, String)>, ConnectorError> {
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

    async fn create_task(
        &mut self,
        index: usize,
        task: &DesiredTask,
        pending: &mut Vec<PendingCopy>,
    ) -> Result<Option<Applied>, ConnectorError> {
        let f = &task.fields;
        let members = match &f.owner {
            Some(p) => vec![self.member_of(self.snap(), p)?],
            None => Vec::new(),
        };
        let mut entry_params = Vec::new();
        for e in &task.entries {
            entry_params.push(self.item_params(e)?);
        }
        let home = self.ensure_list(&f.group).await?;
        let done = task.state == State::Done;
        let list = if done && self.mapping().move_to_done_list {
            let name = self.mapping().done_list.clone().unwrap_or_default();
            self.ensure_list(&name).await?
        } else {
            home
        };
        let label = self.ensure_label(&task.context).await?;
        let texts: Vec<String> = task.entries.iter().map(|e| e.fields.text.clone()).collect();
        let copy = !texts.is_empty() && self.mapping().templates;
        let template = if copy {
            Some(self.ensure_template(&texts).await?)
        } else {
            None
        };

        let mut q = vec![
            ("idList", list.clone()),
            ("name", f.title.clone()),
            (
                "desc",
                marker::join(&f.description, &Self::marker_for(task)),
            ),
            ("pos", format!("{}", (task.context.position + 1) * 1024)),
        ];
        if let Some(d) = f.due {
            q.push(("due", self.moment(d, self.mapping().due_time)?));
        }
        if let Some(s) = f.start {
            q.push(("start", self.moment(s, self.mapping().start_time)?));
        }
        if let Some(m) = members.first() {
            q.push(("idMembers", m.clone()));
        }
        if let Some(l) = &label {
            q.push(("idLabels", l.clone()));
        }
        if done && self.mapping().due_complete {
            q.push(("dueComplete", "true".to_owned()));
        }
        if let Some(t) = &template {
            q.push(("idCardSource", t.clone()));
            q.push(("keepFromSource", "checklists".to_owned()));
        }
        let card: wire::Card = self
            .post(
                "/cards",
                &q,
                &format!("creating the card of `{}`", task.identity),
            )
            .await?;
        self.home.insert(card.id.clone(), f.group.clone());
        let id = card.id.clone();
        self.snap_mut().cards.insert(
            id.clone(),
            CardState {
                card,
                checklists: Vec::new(),
            },
        );

        if let Some(field) = self.snap().id_field.clone() {
            // The description line is the identity that counts; the field is a second copy.
            let url = format!("{}/cards/{id}/customField/{field}/item", self.base);
            let body = serde_json::json!({"value": {"text": task.identity}});
            let auth = self.auth();
            let what = format!("the identity field of `{}`", task.identity);
            if let Err(e) = self
                .client
                .send(&what, |c| c.put(&url).query(&auth).json(&body))
                .await
            {
                tracing::warn!(target = %self.settings.target, error = %e, "could not fill the identity custom field");
            }
        }

        if template.is_some() {
            pending.push(PendingCopy {
                index,
                card: id,
                task: task.clone(),
            });
            return Ok(None);
        }
        let mut entries = Vec::new();
        if !task.entries.is_empty() {
            let name = self.mapping().checklist_name.clone();
            let checklist: wire::Checklist = self
                .post(
                    "/checklists",
                    &[("idCard", id.clone()), ("name", name)],
                    &format!("creating the checklist of `{}`", task.identity),
                )
                .await?;
            let mut cl = checklist;
            for (e, extra) in task.entries.iter().zip(entry_params) {
                let mut q = vec![
                    ("name", e.fields.text.clone()),
                    ("pos", "bottom".to_owned()),
                ];
                q.extend(extra.into_iter().map(|(k, v)| {
                    if k == "state" {
                        ("checked", "true".to_owned())
                    } else {
                        (k, v)
                    }
                }));
                let item: wire::CheckItem = self
                    .post(
                        &format!("/checklists/{}/checkItems", cl.id),
                        &q,
                        &format!("adding `{}`", e.identity),
                    )
                    .await?;
                entries.push((e.identity.clone(), item.id.clone()));
                cl.check_items.push(item);
            }
            if let Some(cs) = self.snap_mut().cards.get_mut(&id) {
                cs.checklists.push(cl);
            }
        }
        Ok(Some(Applied::Created {
            remote_id: id,
            entries,
            version: None,
        }))
    }

    /// After a batch of copies: one read of the board's checklists gives every new card's
    /// check item ids; items that must differ from the template are then set one by one.
    async fn finish_copies(
        &mut self,
        results: &mut [Result<Applied, ConnectorError>],
        pending: Vec<PendingCopy>,
    ) {
        let read: Result<Vec<wire::Checklist>, ConnectorError> = self
            .get(
                &format!("/boards/{}/checklists", self.settings.board),
                &[],
                "reading the checklists of the new cards",
            )
            .await;
        let checklists = match read {
            Ok(c) => c,
            Err(e) => {
                for p in pending {
                    results[p.index] = Err(e.clone());
                }
                return;
            }
        };
        let name = self.mapping().checklist_name.clone();
        for p in pending {
            let mut cl: Vec<&wire::Checklist> = checklists
                .iter()
                .filter(|c| c.id_card == p.card && c.name == name)
                .collect();
            cl.sort_by(|a, b| a.pos.total_cmp(&b.pos));
            let Some(cl) = cl.first().map(|c| {
                let mut c = (*c).clone();
                c.check_items.sort_by(|a, b| a.pos.total_cmp(&b.pos));
                c
            }) else {
                results[p.index] = Err(ConnectorError::Retryable {
                    message: format!(
                        "Trello copied the card of `{}` without its checklist; the next sync \
                         checks it again",
                        p.task.identity
                    ),
                });
                continue;
            };
            if cl.check_items.len() != p.task.entries.len() {
                results[p.index] = Err(ConnectorError::Retryable {
                    message: format!(
                        "the card of `{}` got {} checklist items from its template instead of {}; \
                         the next sync checks it again",
                        p.task.identity,
                        cl.check_items.len(),
                        p.task.entries.len()
                    ),
                });
                continue;
            }
            let mut outcome = Ok(());
            for (e, item) in p.task.entries.iter().zip(&cl.check_items) {
                let q = match self.item_params(e) {
                    Ok(q) => q,
                    Err(err) => {
                        outcome = Err(err);
                        break;
                    }
                };
                if q.is_empty() {
                    continue;
                }
                if let Err(err) = self
                    .put(
                        &format!("/cards/{}/checkItem/{}", p.card, item.id),
                        &q,
                        &format!("setting `{}`", e.identity),
                    )
                    .await
                {
                    outcome = Err(err);
                    break;
                }
            }
            let entries: Vec<(String, String)> = p
                .task
                .entries
                .iter()
                .zip(&cl.check_items)
                .map(|(e, i)| (e.identity.clone(), i.id.clone()))
                .collect();
            let mut stored = cl.clone();
            for (e, i) in p.task.entries.iter().zip(stored.check_items.iter_mut()) {
                if e.checked {
                    i.state = "complete".to_owned();
                }
            }
            if let Some(cs) = self.snap_mut().cards.get_mut(&p.card) {
                cs.checklists = vec![stored];
            }
            results[p.index] = outcome.map(|()| Applied::Created {
                remote_id: p.card.clone(),
                entries,
                version: None,
            });
        }
    }

    fn card_state(&self, remote_id: &str) -> Result<CardState, ConnectorError> {
        self.snap()
            .cards
            .get(remote_id)
            .cloned()
            .ok_or_else(|| ConnectorError::NotFound {
                what: format!("card {remote_id} on {}", self.board_label()),
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
        let snap = self.snap();
        let people = self.people_by_member(snap);
        let done_list = self.done_list_id(snap);
        let in_done = done_list.as_deref() == Some(card.id_list.as_str());
        let list_closed = snap.lists.iter().any(|l| l.id == card.id_list && l.closed);
        let mut q: Vec<(&str, String)> = Vec::new();
        let mut add_member = None;
        let mut remove_member = None;
        let mut home_name = self
            .home
            .get(remote_id)
            .cloned()
            .unwrap_or_else(|| context.stage_name.clone());

        if let Some(f) = fields {
            home_name = f.group.clone();
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
                q.push((
                    "due",
                    match f.due {
                        Some(d) => self.moment(d, self.mapping().due_time)?,
                        None => String::new(),
                    },
                ));
            }
            if f.start != self.date_of(card.start.as_deref()) {
                q.push((
                    "start",
                    match f.start {
                        Some(d) => self.moment(d, self.mapping().start_time)?,
                        None => String::new(),
                    },
                ));
            }
            let current = card
                .id_members
                .iter()
                .find(|m| people.contains_key(*m))
                .cloned();
            let wanted = match &f.owner {
                Some(p) => Some(self.member_of(snap, p)?),
                None => None,
            };
            if current != wanted {
                let mut members: Vec<String> = card
                    .id_members
                    .iter()
                    .filter(|m| Some(*m) != current.as_ref())
                    .cloned()
                    .collect();
                members.extend(wanted.clone());
                if members.len() <= 1 {
                    q.push(("idMembers", members.join(",")));
                } else {
                    // Others on the card stay; the spec takes one member id per request.
                    remove_member = current;
                    add_member = wanted;
                }
            }
        }
        let stays_done = match state {
            Some(s) => s == State::Done,
            None => in_done || (self.mapping().due_complete && card.due_complete),
        };
        let mut target_list = None;
        if let Some(s) = state {
            let done = s == State::Done;
            if self.mapping().due_complete && card.due_complete != done {
                q.push(("dueComplete", done.to_string()));
            }
            if done && self.mapping().move_to_done_list && !in_done {
                target_list = Some(self.mapping().done_list.clone().unwrap_or_default());
            }
            if !done && in_done {
                target_list = Some(home_name.clone());
            }
        }
        if target_list.is_none()
            && let Some(f) = fields
        {
            let current_name = snap
                .lists
                .iter()
                .find(|l| l.id == card.id_list)
                .map(|l| l.name.clone());
            let parked_in_done = in_done && stays_done;
            if current_name.as_deref() != Some(f.group.as_str()) && !parked_in_done {
                target_list = Some(f.group.clone());
            }
        }
        if unarchive {
            if card.closed {
                q.push(("closed", "false".to_owned()));
            }
            if list_closed && target_list.is_none() {
                target_list = Some(home_name.clone());
            }
        }
        if let Some(name) = target_list {
            let id = self.ensure_list(&name).await?;
            if id != card.id_list {
                q.push(("idList", id));
            }
        }
        self.home.insert(remote_id.to_owned(), home_name);

        let what = format!("the card of `{identity}`");
        if !q.is_empty() {
            let updated: wire::Card = self
                .call(
                    reqwest::Method::PUT,
                    &format!("/cards/{remote_id}"),
                    &q,
                    &what,
                )
                .await?;
            if let Some(cs) = self.snap_mut().cards.get_mut(remote_id) {
                let items = std::mem::take(&mut cs.card.custom_field_items);
                cs.card = updated;
                cs.card.custom_field_items = items;
            }
        }
        if let Some(m) = remove_member {
            let _: serde_json::Value = self
                .call(
                    reqwest::Method::DELETE,
                    &format!("/cards/{remote_id}/idMembers/{m}"),
                    &[],
                    &what,
                )
                .await?;
            if let Some(cs) = self.snap_mut().cards.get_mut(remote_id) {
                cs.card.id_members.retain(|x| *x != m);
            }
        }
        if let Some(m) = add_member {
            let _: serde_json::Value = self
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
        Ok(Applied::Updated { version: None })
    }

    async fn archive_task(
        &mut self,
        remote_id: &str,
        identity: &str,
    ) -> Result<Applied, ConnectorError> {
        let cs = self.card_state(remote_id)?;
        if !cs.card.closed {
            self.put(
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

    /// The card's checklist with this name, created (at the bottom) when missing.
    async fn ensure_checklist(&mut self, card: &str, name: &str) -> Result<String, ConnectorError> {
        let cs = self.card_state(card)?;
        if let Some(cl) = cs.checklists.iter().find(|c| c.name == name) {
            return Ok(cl.id.clone());
        }
        let cl: wire::Checklist = self
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
        self.put(
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

    async fn create_entry(
        &mut self,
        parent: &str,
        parent_identity: &str,
        index: usize,
        entry: &DesiredEntry,
    ) -> Result<Applied, ConnectorError> {
        let mut q = vec![("name", entry.fields.text.clone())];
        for (k, v) in self.item_params(entry)? {
            q.push(if k == "state" {
                ("checked", "true".to_owned())
            } else {
                (k, v)
            });
        }
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
        let pos = match (
            index.checked_sub(1).and_then(|i| live.get(i)),
            live.get(index),
        ) {
            (Some(a), Some(b)) => (a + b) / 2.0,
            (None, Some(b)) => b / 2.0,
            (Some(a), None) => a + 16384.0,
            (None, None) => 16384.0,
        };
        q.push(("pos", format!("{pos}")));
        self.update_marker(parent, parent_identity, |m| {
            m.set(&entry.identity, &entry.fields.text)
        })
        .await?;
        let item: wire::CheckItem = self
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
                what: format!("check item {item} on card {card} of {}", self.board_label()),
            }),
        }
    }

    async fn update_entry(
        &mut self,
        parent: &str,
        remote_id: &str,
        identity: &str,
        fields: Option<&EntryFields>,
        checked: Option<bool>,
        unarchive: bool,
    ) -> Result<Applied, ConnectorError> {
        let (cs, cl, item) = self.find_item(parent, remote_id)?;
        let mut q: Vec<(&str, String)> = Vec::new();
        if let Some(f) = fields {
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
                q.push((
                    "due",
                    match f.due {
                        Some(d) => self.moment(d, self.mapping().due_time)?,
                        None => String::new(),
                    },
                ));
            }
        }
        if let Some(c) = checked
            && c != item.complete()
        {
            q.push((
                "state",
                if c { "complete" } else { "incomplete" }.to_owned(),
            ));
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
                .unwrap_or_else(|| {
                    identity
                        .rsplit_once('/')
                        .map_or(identity, |(t, _)| t)
                        .to_owned()
                });
            self.update_marker(parent, &task_identity, |m| m.set(identity, &f.text))
                .await?;
        }
        let updated: wire::CheckItem = self
            .call(
                reqwest::Method::PUT,
                &format!("/cards/{parent}/checkItem/{remote_id}"),
                &q,
                &format!("`{identity}`"),
            )
            .await?;
        self.store_item(
            parent,
            updated,
            q.iter()
                .find(|(k, _)| *k == "idChecklist")
                .map(|(_, v)| v.clone()),
        );
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

    async fn archive_entry(
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
            .call(
                reqwest::Method::PUT,
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

    async fn apply_one(
        &mut self,
        index: usize,
        change: &Change,
        pending: &mut Vec<PendingCopy>,
    ) -> Result<Option<Applied>, ConnectorError> {
        match change {
            Change::CreateTask { task } => self.create_task(index, task, pending).await,
            Change::UpdateTask {
                remote_id,
                identity,
                context,
                fields,
                state,
                unarchive,
                ..
            } => self
                .update_task(
                    remote_id,
                    identity,
                    context,
                    fields.as_ref(),
                    *state,
                    *unarchive,
                )
                .await
                .map(Some),
            Change::ArchiveTask {
                remote_id,
                identity,
                ..
            } => self.archive_task(remote_id, identity).await.map(Some),
            Change::CreateEntry {
                parent_remote_id,
                parent_identity,
                index,
                entry,
                ..
            } => self
                .create_entry(parent_remote_id, parent_identity, *index, entry)
                .await
                .map(Some),
            Change::UpdateEntry {
                parent_remote_id,
                remote_id,
                identity,
                fields,
                checked,
                unarchive,
            } => self
                .update_entry(
                    parent_remote_id,
                    remote_id,
                    identity,
                    fields.as_ref(),
                    *checked,
                    *unarchive,
                )
                .await
                .map(Some),
            Change::ArchiveEntry {
                parent_remote_id,
                remote_id,
                identity,
            } => self
                .archive_entry(parent_remote_id, remote_id, identity)
                .await
                .map(Some),
        }
    }
}

#[async_trait]
impl Connector for TrelloConnector {
    fn target(&self) -> &str {
        &self.settings.target
    }

    /// People the people tables map to a member of the board, as the last observation saw
    /// it (the board is read when nothing was observed yet).
    async fn people_with_accounts(
        &mut self,
        people: &std::collections::BTreeSet<String>,
    ) -> Result<std::collections::BTreeSet<String>, ConnectorError> {
        if self.snap.is_none() {
            self.refresh().await?;
        }
        let Some(snap) = &self.snap else {
            return Ok(Default::default());
        };
        Ok(people
            .iter()
            .filter(|p| self.member_of(snap, p).is_ok())
            .cloned()
            .collect())
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            states: StateSupport::DoneOrNot,
            description: true,
            owner: true,
            start: true,
            due: true,
            entry_owner: self.mapping().entry_owner,
            entry_due: self.mapping().entry_due,
            batch_size: 1,
        }
    }

    async fn observe(
        &mut self,
        _cursor: Option<serde_json::Value>,
    ) -> Result<Observation, ConnectorError> {
        self.refresh().await?;
        Ok(self.observe_snapshot())
    }

    async fn apply(&mut self, changes: &[Change]) -> Vec<Result<Applied, ConnectorError>> {
        if changes.is_empty() {
            return Vec::new();
        }
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

    fn requests(&self) -> Option<RequestCounts> {
        Some(self.client.counts())
    }
}

// Fuzz properties of the board decoding and observation (private, hence here).
#[cfg(test)]
#[path = "fuzz_tests.rs"]
mod fuzz_tests;
