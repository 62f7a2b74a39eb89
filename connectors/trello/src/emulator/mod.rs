//! An in-memory Trello: the REST API throughline uses (and what py-trello needs to create a
//! card, add a checklist and tick an item), with Trello's JSON shapes, 24-hex ids, error bodies
//! and status codes as recorded from the real service, its rate limits (windows configurable so
//! tests stay fast), and faults switchable per test.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use throughline_trello::emulator::{Emulator, Fault, FaultRule};
//! let emu = Emulator::start().await?;
//! let board = emu.seed_board("Content");
//! let dana = emu.add_member(&board, "dana", "Dana Levi");
//! println!("{} board {board} key {} token {}", emu.base_url(), emu.key(), emu.token());
//! emu.inject(FaultRule::new(Fault::Status(500)).times(3));
//! # Ok(()) }
//! ```
//!
//! Boards and cards answer to their 8-character short links as well as their ids; new boards,
//! board members (by id or by e-mail invitation), card comments, and checklist renames and
//! removals work as py-trello asks for them.
//!
//! Webhooks: see the `webhooks` module (create with a `HEAD` check, list per token, update,
//! delete, a signed delivery on every change, `active: false` after repeated failures).
//!
//! What it does not model: attachments, power-ups other than Custom Fields, search,
//! organisations, copying a board's cards (`keepFromSource=cards`), per-board permissions (every
//! token sees every board), and the `/1/members` limit of 100 requests per 900 s.

mod boards;
mod cards;
mod params;
mod routes;
mod server;
mod webhooks;
mod world;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use throughline_connector::emulator_kit::{
    Bound, FaultRules, RequestLog, Serving, SlidingWindows, lock, loopback,
};

pub use throughline_connector::emulator_kit::{Fault, FaultRule};
pub use webhooks::Deactivation;
use world::World;
pub use world::is_id;

/// Trello's limits: requests per window, per token and per API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Requests one token may make per window before a 429 `API_TOKEN_LIMIT_EXCEEDED`.
    pub token_max: u32,
    /// Requests one API key may make per window, across its tokens, before a 429
    /// `API_KEY_LIMIT_EXCEEDED`.
    pub key_max: u32,
    /// The length of the window both counts are kept over.
    pub window: Duration,
    /// `false`: no request is ever refused for its rate.
    pub enabled: bool,
}

impl Default for RateLimits {
    /// 100 per 10 s per token, 300 per 10 s per key.
    fn default() -> Self {
        RateLimits {
            token_max: 100,
            key_max: 300,
            window: Duration::from_secs(10),
            enabled: true,
        }
    }
}

/// One request as the emulator saw it.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// The HTTP method (`GET`, `POST`, ...).
    pub method: String,
    /// The path after `/1` (`/boards/5f.../lists`).
    pub path: String,
    /// The query without `key` and `token`.
    pub query: String,
    /// The status the emulator answered with.
    pub status: u16,
    /// Time since the emulator started.
    pub at: Duration,
    /// The fault that hit it, if any.
    pub fault: Option<Fault>,
}

pub(crate) struct Shared {
    world: Mutex<World>,
    faults: FaultRules,
    limits: Mutex<RateLimits>,
    /// Accepted requests per token and per key: when they came.
    windows: Mutex<SlidingWindows<String>>,
    log: RequestLog<LoggedRequest>,
}

impl Shared {
    fn new() -> Self {
        Shared {
            world: Mutex::new(World::new()),
            faults: FaultRules::default(),
            limits: Mutex::new(RateLimits::default()),
            windows: Mutex::default(),
            log: RequestLog::default(),
        }
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        lock(&self.world)
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    shared: Arc<Shared>,
    server: Serving,
    key: String,
    token: String,
}

impl Emulator {
    /// Start on a free port of 127.0.0.1, with one API key and one token (for a member named
    /// `throughline`).
    pub async fn start() -> std::io::Result<Emulator> {
        Emulator::start_on(loopback()).await
    }

    /// [`Emulator::start`] on a given address (`throughline emulate trello` picks the port).
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<Emulator> {
        let shared = Arc::new(Shared::new());
        let bound = Bound::bind(addr).await?;
        let (key, token) = {
            let mut w = shared.world();
            let key = format!("{:032x}", rand::random::<u128>());
            let token = format!(
                "{:032x}{:032x}",
                rand::random::<u128>(),
                rand::random::<u128>()
            );
            let member = w.add_member("throughline", "throughline");
            w.keys.push(key.clone());
            w.tokens.insert(
                token.clone(),
                world::Token {
                    key: key.clone(),
                    member,
                },
            );
            (key, token)
        };
        let server = bound.serve(server::router(Arc::clone(&shared)));
        Ok(Emulator {
            shared,
            server,
            key,
            token,
        })
    }

    /// `http://127.0.0.1:PORT/1`, the base URL a client uses in place of
    /// `https://api.trello.com/1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/1", self.server.addr())
    }

    /// The address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The API key every request must carry as `key=`.
    pub fn key(&self) -> String {
        self.key.clone()
    }

    /// The token of the emulator's own member, as `token=`.
    pub fn token(&self) -> String {
        self.token.clone()
    }

    /// Another token for the same key, acting as a new member with this username (a person
    /// working on the board). It is added to `board` when given.
    pub fn add_token(&self, username: &str, board: Option<&str>) -> String {
        let mut w = self.shared.world();
        let member = w.add_member(username, username);
        if let Some(b) = board.and_then(|b| w.boards.get_mut(b)) {
            b.members.push(member.clone());
        }
        let token = format!("{:064x}", rand::random::<u128>());
        w.tokens.insert(
            token.clone(),
            world::Token {
                key: self.key.clone(),
                member,
            },
        );
        token
    }

    /// A new, empty board (with Trello's six unnamed labels); the emulator's member is on it.
    pub fn seed_board(&self, name: &str) -> String {
        let mut w = self.shared.world();
        let id = w.add_board(name);
        let me = w.tokens[&self.token].member.clone();
        if let Some(b) = w.boards.get_mut(&id) {
            b.members.push(me);
        }
        id
    }

    /// A person on the board; returns their member id.
    pub fn add_member(&self, board: &str, username: &str, full_name: &str) -> String {
        let mut w = self.shared.world();
        let id = w.add_member(username, full_name);
        if let Some(b) = w.boards.get_mut(board) {
            b.members.push(id.clone());
        }
        id
    }

    /// People (full name, e-mail address) on the board, each with a username made from the
    /// address as Trello suggests one at sign-up (`dana.levi@example.com` → `danalevi`; a
    /// number is added when the name is taken). Returns the usernames, in order.
    pub fn add_people<'a>(
        &self,
        board: &str,
        people: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Vec<String> {
        let mut w = self.shared.world();
        people
            .into_iter()
            .map(|(full_name, email)| {
                let username = free_username(&w, email);
                let id = w.add_member(&username, full_name);
                if let Some(b) = w.boards.get_mut(board) {
                    b.members.push(id);
                }
                username
            })
            .collect()
    }

    /// A list at the bottom of the board; returns its id.
    pub fn add_list(&self, board: &str, name: &str) -> String {
        self.shared.world().add_list(board, name, None)
    }

    /// Turn the Custom Fields power-up on for a board.
    pub fn enable_custom_fields(&self, board: &str) {
        if let Some(b) = self.shared.world().boards.get_mut(board) {
            b.custom_fields = true;
        }
    }

    /// Replace the rate limits (e.g. a shorter window so a test runs in seconds).
    pub fn set_rate_limits(&self, limits: RateLimits) {
        *lock(&self.shared.limits) = limits;
        lock(&self.shared.windows).clear();
    }

    /// The rate limits in force.
    pub fn rate_limits(&self) -> RateLimits {
        *lock(&self.shared.limits)
    }

    throughline_connector::emulator_fault_and_log_methods!();

    /// The board as `GET /1/boards/{id}` with everything nested would show it (lists, cards,
    /// checklists, labels, members and custom fields, open and closed), read directly.
    pub fn board_snapshot(&self, board: &str) -> Option<Value> {
        let w = self.shared.world();
        boards::nested_board(&w, board, &boards::everything()).ok()
    }

    /// Act on the board as a person would, directly on the data (no request is logged): the
    /// closure gets a [`Person`] view.
    ///
    /// What the edit changed goes out to the webhooks watching it (as actions by the
    /// emulator's own member), when called inside a Tokio runtime.
    pub fn person<R>(&self, f: impl FnOnce(&mut Person<'_>) -> R) -> R {
        let (result, changes) = {
            let mut w = self.shared.world();
            let before = webhooks::before(&w);
            let result = f(&mut Person { world: &mut w });
            let me = w.tokens[&self.token].member.clone();
            let changes = before.map(|b| webhooks::changes_since(&mut w, b, &me));
            (result, changes.unwrap_or_default())
        };
        if !changes.is_empty() {
            webhooks::deliver(&self.shared, changes);
        }
        result
    }

    /// The application's OAuth secret: what signs webhook deliveries (`X-Trello-Webhook`).
    pub fn app_secret(&self) -> String {
        self.shared.world().hooks.secret.clone()
    }

    /// Every webhook, as `GET /1/webhooks/{id}` shows it, oldest first.
    pub fn webhooks(&self) -> Vec<Value> {
        let w = self.shared.world();
        let mut hooks: Vec<_> = w.hooks.all.values().collect();
        hooks.sort_by(|a, b| a.id.cmp(&b.id));
        hooks.into_iter().map(webhooks::Webhook::json).collect()
    }

    /// When failing webhooks are turned off (Trello: 1,000 consecutive failures over 30 days).
    pub fn set_webhook_deactivation(&self, rule: Deactivation) {
        self.shared.world().hooks.deactivation = rule;
    }

    /// Turn a webhook off as Trello does after failures, without waiting for them.
    pub fn deactivate_webhook(&self, id: &str) -> bool {
        let mut w = self.shared.world();
        w.hooks.all.get_mut(id).map(|h| h.active = false).is_some()
    }
}

/// Edits a person makes in Trello's web app, for tests.
pub struct Person<'w> {
    world: &'w mut World,
}

impl Person<'_> {
    /// The id of the open card whose description's last line is `throughline: <identity>`.
    pub fn card_with_marker(&self, identity: &str) -> Option<String> {
        let line = format!("throughline: {identity}");
        self.world
            .cards
            .values()
            .find(|c| {
                c.desc
                    .lines()
                    .last()
                    .is_some_and(|l| l.trim() == line || l.trim().starts_with(&format!("{line} ")))
            })
            .map(|c| c.id.clone())
    }

    /// The card with this id, open or archived, as a person sees it; `None` when there is none.
    pub fn card(&self, id: &str) -> Option<CardView> {
        let c = self.world.cards.get(id)?;
        let list = self.world.lists.get(&c.id_list);
        let checklists = self.world.card_checklists(c);
        Some(CardView {
            id: c.id.clone(),
            name: c.name.clone(),
            desc: c.desc.clone(),
            list: list.map(|l| l.name.clone()).unwrap_or_default(),
            closed: c.closed,
            due_complete: c.due_complete,
            due: c.due,
            start: c.start,
            members: c
                .id_members
                .iter()
                .filter_map(|m| self.world.members.get(m))
                .map(|m| m.username.clone())
                .collect(),
            labels: c
                .id_labels
                .iter()
                .filter_map(|l| self.world.labels.get(l))
                .map(|l| l.name.clone())
                .collect(),
            checklists: checklists
                .iter()
                .map(|l| {
                    let mut items: Vec<_> = l.items.iter().collect();
                    items.sort_by(|a, b| a.pos.total_cmp(&b.pos));
                    (
                        l.name.clone(),
                        items
                            .iter()
                            .map(|i| (i.id.clone(), i.name.clone(), i.complete))
                            .collect(),
                    )
                })
                .collect(),
        })
    }

    /// Every card on a board (closed ones too).
    pub fn cards(&self, board: &str) -> Vec<CardView> {
        let mut ids: Vec<(f64, String)> = self
            .world
            .cards
            .values()
            .filter(|c| c.id_board == board)
            .map(|c| (c.pos, c.id.clone()))
            .collect();
        ids.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        ids.iter().filter_map(|(_, id)| self.card(id)).collect()
    }

    /// The names of a board's lists, in order, with whether each is archived.
    pub fn lists(&self, board: &str) -> Vec<(String, bool)> {
        let mut lists: Vec<_> = self
            .world
            .lists
            .values()
            .filter(|l| l.id_board == board)
            .collect();
        lists.sort_by(|a, b| a.pos.total_cmp(&b.pos));
        lists.iter().map(|l| (l.name.clone(), l.closed)).collect()
    }

    /// Tick or untick a card's "Complete" box next to its due date, as a person would.
    pub fn set_due_complete(&mut self, card: &str, done: bool) {
        if let Some(c) = self.world.cards.get_mut(card) {
            c.due_complete = done;
            c.last_activity = jiff::Timestamp::now();
        }
    }

    /// Tick or untick the check item with this name on a card.
    pub fn set_item(&mut self, card: &str, item_name: &str, complete: bool) -> bool {
        let Some(c) = self.world.cards.get_mut(card) else {
            return false;
        };
        c.last_activity = jiff::Timestamp::now();
        let ids = c.id_checklists.clone();
        for id in ids {
            if let Some(l) = self.world.checklists.get_mut(&id)
                && let Some(i) = l.items.iter_mut().find(|i| i.name == item_name)
            {
                i.complete = complete;
                return true;
            }
        }
        false
    }

    /// Move a card to the open list with this name (created at the bottom when missing).
    pub fn move_to_list(&mut self, card: &str, list_name: &str) {
        let Some(board) = self.world.cards.get(card).map(|c| c.id_board.clone()) else {
            return;
        };
        let list = self
            .world
            .lists
            .values()
            .find(|l| l.id_board == board && l.name == list_name && !l.closed)
            .map(|l| l.id.clone())
            .unwrap_or_else(|| self.world.add_list(&board, list_name, None));
        if let Some(c) = self.world.cards.get_mut(card) {
            c.id_list = list;
            c.last_activity = jiff::Timestamp::now();
        }
    }

    /// Retype a card's name, description or archived flag, as a person would; an unknown card
    /// is left alone.
    pub fn edit_card(&mut self, card: &str, f: impl FnOnce(&mut CardEdit<'_>)) {
        if let Some(c) = self.world.cards.get_mut(card) {
            c.last_activity = jiff::Timestamp::now();
            f(&mut CardEdit {
                name: &mut c.name,
                desc: &mut c.desc,
                closed: &mut c.closed,
            });
        }
    }

    /// Pick a card's due date, as a person would in Trello's calendar.
    pub fn set_due(&mut self, card: &str, due: jiff::Timestamp) {
        if let Some(c) = self.world.cards.get_mut(card) {
            c.due = Some(due);
            c.last_activity = jiff::Timestamp::now();
        }
    }

    /// Pick a card's start date, as a person would in Trello's calendar.
    pub fn set_start(&mut self, card: &str, start: jiff::Timestamp) {
        if let Some(c) = self.world.cards.get_mut(card) {
            c.start = Some(start);
            c.last_activity = jiff::Timestamp::now();
        }
    }

    /// Retype a check item.
    pub fn rename_item(&mut self, card: &str, from: &str, to: &str) -> bool {
        let Some(c) = self.world.cards.get(card) else {
            return false;
        };
        for id in c.id_checklists.clone() {
            if let Some(l) = self.world.checklists.get_mut(&id)
                && let Some(i) = l.items.iter_mut().find(|i| i.name == from)
            {
                i.name = to.to_owned();
                return true;
            }
        }
        false
    }

    /// Archive the list a card is in.
    pub fn archive_list_of(&mut self, card: &str) {
        let Some(list) = self.world.cards.get(card).map(|c| c.id_list.clone()) else {
            return;
        };
        if let Some(l) = self.world.lists.get_mut(&list) {
            l.closed = true;
        }
    }

    /// A card a person makes in the open list with this name (created when missing), on the
    /// first board; returns its id.
    pub fn add_card(&mut self, list_name: &str, name: &str, desc: &str) -> String {
        let board = self.world.boards.keys().next().cloned().unwrap_or_default();
        let list = self
            .world
            .lists
            .values()
            .find(|l| l.id_board == board && l.name == list_name && !l.closed)
            .map(|l| l.id.clone())
            .unwrap_or_else(|| self.world.add_list(&board, list_name, None));
        let id = self.world.ids.next();
        let pos = self.world.card_pos(&list, world::Pos::Bottom);
        let short = self.world.boards.get_mut(&board).map_or(0, |b| {
            b.next_short += 1;
            b.next_short - 1
        });
        self.world.cards.insert(
            id.clone(),
            world::Card {
                id: id.clone(),
                id_board: board,
                id_list: list,
                name: name.to_owned(),
                desc: desc.to_owned(),
                closed: false,
                pos,
                due: None,
                start: None,
                due_complete: false,
                id_members: Vec::new(),
                id_labels: Vec::new(),
                id_checklists: Vec::new(),
                id_short: short,
                short_link: world::short_link(),
                last_activity: jiff::Timestamp::now(),
                custom_field_items: Vec::new(),
            },
        );
        id
    }

    /// Drag a check item to the top of its checklist.
    pub fn move_item_to_top(&mut self, card: &str, item_name: &str) {
        let Some(c) = self.world.cards.get(card) else {
            return;
        };
        for id in c.id_checklists.clone() {
            if let Some(l) = self.world.checklists.get_mut(&id) {
                let min = l.items.iter().map(|i| i.pos).fold(f64::INFINITY, f64::min);
                if let Some(i) = l.items.iter_mut().find(|i| i.name == item_name) {
                    i.pos = min / 2.0;
                    return;
                }
            }
        }
    }
}

/// Fields a person may retype on a card.
pub struct CardEdit<'c> {
    /// The card's title.
    pub name: &'c mut String,
    /// The card's description, marker line included.
    pub desc: &'c mut String,
    /// `true`: the card is archived.
    pub closed: &'c mut bool,
}

/// A check item as a person sees it: id, name, ticked.
pub type ItemView = (String, String, bool);

/// A card as a person sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct CardView {
    /// The card's id (24 hex digits).
    pub id: String,
    /// The card's title.
    pub name: String,
    /// The card's description, marker line included.
    pub desc: String,
    /// The name of the list the card is in (empty if that list is gone).
    pub list: String,
    /// `true`: the card is archived.
    pub closed: bool,
    /// The "Complete" tick next to the due date.
    pub due_complete: bool,
    /// The due date, a moment in time.
    pub due: Option<jiff::Timestamp>,
    /// The start date, a moment in time.
    pub start: Option<jiff::Timestamp>,
    /// Usernames.
    pub members: Vec<String>,
    /// Label names.
    pub labels: Vec<String>,
    /// Checklist name, then (item id, name, complete) in order.
    pub checklists: Vec<(String, Vec<ItemView>)>,
}

/// A username nobody on the emulator has, from an e-mail address: Trello's rules (at least 3
/// characters: lower-case letters, digits and underscores) applied to the part before `@`.
fn free_username(w: &World, email: &str) -> String {
    let local = email.split('@').next().unwrap_or_default();
    let mut base: String = local
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
        .collect();
    while base.len() < 3 {
        base.push('_');
    }
    let taken = |name: &str| w.members.values().any(|m| m.username == name);
    if !taken(&base) {
        return base;
    }
    (1..)
        .map(|n| format!("{base}{n}"))
        .find(|name| !taken(name))
        .unwrap_or(base)
}
