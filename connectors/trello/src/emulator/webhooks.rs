//! Webhooks as Trello runs them. They belong to the token that made them (`POST /webhooks`
//! or `POST /tokens/{token}/webhooks`, listed with `GET /tokens/{token}/webhooks`), watch one
//! model (a board, a list or a card) and call `callbackURL`:
//! - at creation (and when `callbackURL` changes) with a `HEAD`: anything but a `200` and the
//!   webhook is refused;
//! - after every change to the model with a `POST` of `{"action", "model", "webhook"}`, signed
//!   in `X-Trello-Webhook`: the base64 HMAC-SHA1 of the body followed by the callback URL,
//!   keyed with the application's secret ([`super::Emulator::app_secret`]).
//!
//! A delivery that is not answered with a 2xx counts as a consecutive failure
//! (`consecutiveFailures`, `firstConsecutiveFailDate`); a success resets both. Trello turns a
//! webhook off (`active: false`) after 1,000 consecutive failures spanning 30 days; both figures
//! are settable so a test can see it happen ([`super::Emulator::set_webhook_deactivation`]).
//! Not modelled: Trello's three retries of a failed delivery (each delivery is tried once),
//! webhooks on members and organisations.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use jiff::Timestamp;
use serde_json::{Value, json};
use throughline_connector::emulator_kit::callback::{self, Outcome};

use super::Shared;
use super::params::Params;
use super::server::{Answer, ApiError, Caller};
use super::world::{Action, Fields, Id, World, is_id, stamp};

/// One webhook.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: Id,
    /// The token that made it.
    pub token: String,
    pub description: String,
    pub id_model: Id,
    pub callback_url: String,
    pub active: bool,
    pub consecutive_failures: u32,
    pub first_consecutive_fail_date: Option<Timestamp>,
}

impl Webhook {
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "description": self.description,
            "idModel": self.id_model,
            "callbackURL": self.callback_url,
            "active": self.active,
            "consecutiveFailures": self.consecutive_failures,
            "firstConsecutiveFailDate": self.first_consecutive_fail_date.map(stamp),
        })
    }

    /// Count how a delivery went; turns the webhook off when `policy` says so.
    fn record(&mut self, outcome: &Outcome, policy: Deactivation, now: Timestamp) {
        if outcome.is_success() {
            self.consecutive_failures = 0;
            self.first_consecutive_fail_date = None;
            return;
        }
        self.consecutive_failures += 1;
        let first = *self.first_consecutive_fail_date.get_or_insert(now);
        let failing_for = now.duration_since(first).unsigned_abs();
        if self.consecutive_failures >= policy.failures && failing_for >= policy.after {
            self.active = false;
        }
    }
}

/// When a failing webhook is turned off: after this many consecutive failures, the first of
/// them at least `after` ago.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deactivation {
    /// Consecutive failed deliveries before the webhook is turned off.
    pub failures: u32,
    /// How long ago the first of those failures must be.
    pub after: Duration,
}

impl Default for Deactivation {
    /// Trello's: 1,000 failures over 30 days.
    fn default() -> Self {
        Deactivation {
            failures: 1000,
            after: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// The webhooks, and the application secret that signs their deliveries.
#[derive(Debug)]
pub struct Hooks {
    pub all: BTreeMap<Id, Webhook>,
    pub secret: String,
    pub deactivation: Deactivation,
}

impl Default for Hooks {
    fn default() -> Self {
        Hooks {
            all: BTreeMap::new(),
            secret: format!(
                "{:032x}{:032x}",
                rand::random::<u128>(),
                rand::random::<u128>()
            ),
            deactivation: Deactivation::default(),
        }
    }
}

/// Whether a path (after `/1`) is one of the webhook endpoints.
pub fn is_webhook_path(segs: &[&str]) -> bool {
    matches!(segs, ["webhooks", ..] | ["tokens", _, "webhooks", ..])
}

/// Answer a request to a webhook endpoint. The world is not locked while the callback URL is
/// checked, so the receiver may call the API back.
pub async fn answer(
    shared: &Arc<Shared>,
    caller: &Caller,
    method: &Method,
    segs: &[&str],
    p: &Params,
) -> Answer {
    let rest = match segs {
        ["tokens", token, rest @ ..] if *token == caller.token => rest,
        ["tokens", ..] => return Err(ApiError::text(401, "invalid token")),
        rest => rest,
    };
    let by_token = segs[0] == "tokens";
    match (method.as_str(), rest) {
        ("POST", ["webhooks"]) => create(shared, caller, p).await,
        ("GET", ["webhooks"]) if by_token => {
            let w = shared.world();
            let mine = w.hooks.all.values().filter(|h| h.token == caller.token);
            Ok(Value::Array(mine.map(Webhook::json).collect()))
        }
        ("GET", ["webhooks", id]) => own(&shared.world(), caller, id).map(|h| h.json()),
        ("GET", ["webhooks", id, field]) if !by_token => {
            let hook = own(&shared.world(), caller, id)?.json();
            let value = hook.get(*field).cloned().ok_or_else(ApiError::not_found)?;
            Ok(json!({ "_value": value }))
        }
        ("PUT", ["webhooks", id]) => update(shared, caller, id, p).await,
        ("DELETE", ["webhooks", id]) => {
            let mut w = shared.world();
            own(&w, caller, id)?;
            w.hooks.all.remove(*id);
            Ok(json!({ "_value": null }))
        }
        _ => Err(ApiError::text(
            404,
            format!("Cannot {method} /1/{}", segs.join("/")),
        )),
    }
}

/// The caller's webhook with this id.
fn own<'w>(w: &'w World, caller: &Caller, id: &str) -> Result<&'w Webhook, ApiError> {
    if !is_id(id) {
        return Err(ApiError::invalid_id());
    }
    w.hooks
        .all
        .get(id)
        .filter(|h| h.token == caller.token)
        .ok_or_else(ApiError::not_found)
}

/// A model a webhook may watch: a board, a list or a card.
fn model_exists(w: &World, id: &str) -> bool {
    w.boards.contains_key(id) || w.lists.contains_key(id) || w.cards.contains_key(id)
}

fn callback_url(p: &Params) -> Result<Option<String>, ApiError> {
    let Some(url) = p.str("callbackURL") else {
        return Ok(None);
    };
    let parsed = reqwest::Url::parse(&url).ok();
    if parsed.is_none_or(|u| !matches!(u.scheme(), "http" | "https")) {
        return Err(ApiError::invalid_value("callbackURL"));
    }
    Ok(Some(url))
}

fn id_model(w: &World, p: &Params) -> Result<Option<Id>, ApiError> {
    match p.str("idModel") {
        None => Ok(None),
        Some(id) if is_id(&id) && model_exists(w, &id) => Ok(Some(id)),
        Some(_) => Err(ApiError::invalid_value("idModel")),
    }
}

/// Trello's check of a callback URL: a `HEAD` that must be answered with a `200`.
async fn check_callback(url: &str) -> Result<(), ApiError> {
    let (outcome, _) = callback::call(Method::HEAD, url, &[], None).await;
    match outcome {
        Outcome::Answered(200) => Ok(()),
        Outcome::Answered(status) => Err(ApiError::text(
            400,
            format!("URL ({url}) did not return 200 status code, got {status}"),
        )),
        Outcome::Unreachable(_) => Err(ApiError::text(
            400,
            format!("URL ({url}) did not return 200 status code, got no answer"),
        )),
    }
}

async fn create(shared: &Arc<Shared>, caller: &Caller, p: &Params) -> Answer {
    let (model, url) = {
        let w = shared.world();
        let model = id_model(&w, p)?.ok_or_else(|| ApiError::invalid_value("idModel"))?;
        let url = callback_url(p)?.ok_or_else(|| ApiError::invalid_value("callbackURL"))?;
        let taken = w
            .hooks
            .all
            .values()
            .any(|h| h.token == caller.token && h.id_model == model && h.callback_url == url);
        if taken {
            return Err(ApiError::text(
                400,
                "A webhook with that callback, model, and token already exists",
            ));
        }
        (model, url)
    };
    check_callback(&url).await?;
    let mut w = shared.world();
    let hook = Webhook {
        id: w.ids.next(),
        token: caller.token.clone(),
        description: p.str("description").unwrap_or_default(),
        id_model: model,
        callback_url: url,
        active: p.bool("active")?.unwrap_or(true),
        consecutive_failures: 0,
        first_consecutive_fail_date: None,
    };
    let json = hook.json();
    w.hooks.all.insert(hook.id.clone(), hook);
    Ok(json)
}

async fn update(shared: &Arc<Shared>, caller: &Caller, id: &str, p: &Params) -> Answer {
    let (model, url, active) = {
        let w = shared.world();
        let hook = own(&w, caller, id)?;
        let url = callback_url(p)?.filter(|u| *u != hook.callback_url);
        (id_model(&w, p)?, url, p.bool("active")?)
    };
    if let Some(url) = &url {
        check_callback(url).await?;
    }
    let mut w = shared.world();
    let hook = w.hooks.all.get_mut(id).ok_or_else(ApiError::not_found)?;
    if let Some(description) = p.str("description") {
        hook.description = description;
    }
    if let Some(model) = model {
        hook.id_model = model;
    }
    if let Some(url) = url {
        hook.callback_url = url;
    }
    if let Some(active) = active {
        hook.active = active;
    }
    Ok(hook.json())
}

// --- What changed, and delivering it ----------------------------------------------------------

/// One change to a board: the models it touched and the action Trello reports for it.
#[derive(Debug, Clone)]
pub struct Change {
    pub board: Id,
    pub list: Option<Id>,
    pub card: Option<Id>,
    pub action: Value,
}

/// The board, list and card a request's path names (read before the request runs, so a
/// deleted card is still known).
#[derive(Debug, Clone, Default)]
pub struct Target {
    board: Option<Id>,
    list: Option<Id>,
    card: Option<Id>,
}

pub fn target_of(w: &World, segs: &[&str]) -> Target {
    let id = segs.get(1).copied().unwrap_or("");
    let card = |c: &str| {
        w.cards.get(c).map(|c| Target {
            board: Some(c.id_board.clone()),
            list: Some(c.id_list.clone()),
            card: Some(c.id.clone()),
        })
    };
    let found = match segs.first().copied() {
        Some("boards") => w.boards.get(id).map(|b| Target {
            board: Some(b.id.clone()),
            ..Target::default()
        }),
        Some("lists") => w.lists.get(id).map(|l| Target {
            board: Some(l.id_board.clone()),
            list: Some(l.id.clone()),
            card: None,
        }),
        Some("cards") => card(id),
        Some("checklists") => w.checklists.get(id).and_then(|l| card(&l.id_card)),
        Some("labels") => w.labels.get(id).map(|l| Target {
            board: Some(l.id_board.clone()),
            ..Target::default()
        }),
        Some("actions") => w.actions.iter().find(|a| a.id == id).map(|a| Target {
            board: Some(a.id_board.clone()),
            card: a.id_card.clone(),
            list: None,
        }),
        _ => None,
    };
    found.unwrap_or_default()
}

/// What a write that succeeded changed: the action it recorded, or one made for it the way
/// Trello names such changes. `None` when no board can be told.
pub fn change_of(
    w: &mut World,
    actions_before: usize,
    target: Target,
    method: &str,
    segs: &[&str],
    answer: &Value,
    member: &str,
) -> Option<Change> {
    if let Some(a) = w.actions.get(actions_before..).and_then(|new| new.last()) {
        let card = a.id_card.as_ref().and_then(|c| w.cards.get(c));
        return Some(Change {
            board: a.id_board.clone(),
            list: card.map(|c| c.id_list.clone()),
            card: a.id_card.clone(),
            action: w.action_json(a),
        });
    }
    let text = |key: &str| answer[key].as_str().filter(|s| is_id(s)).map(str::to_owned);
    let board = target.board.or_else(|| text("idBoard"))?;
    let card = target.card.or_else(|| text("idCard"));
    let list = target.list.or_else(|| text("idList"));
    let kind = action_kind(method, segs);
    let action = made_action(w, kind, member, &board, list.as_deref(), card.as_deref());
    Some(Change {
        board,
        list,
        card,
        action,
    })
}

/// The type Trello gives the action behind a write to this path.
fn action_kind(method: &str, segs: &[&str]) -> &'static str {
    let first = segs.first().copied().unwrap_or("");
    let third = segs.get(2).copied().unwrap_or("");
    match (method, first, third) {
        ("POST", "lists", _) | ("POST", "boards", "lists") => "createList",
        ("PUT", "lists", _) => "updateList",
        ("POST", "labels", _) | ("POST", "boards", "labels") => "createLabel",
        ("POST", "customFields", _) => "createCustomField",
        ("PUT", "cards", "checkItem" | "checklist") => "updateCheckItemStateOnCard",
        ("DELETE", "cards", "checkItem") | ("DELETE", "checklists", "checkItems") => {
            "deleteCheckItem"
        }
        ("POST", "checklists", "checkItems") => "createCheckItem",
        ("POST", "checklists", _) | ("POST", "cards", "checklists") => "addChecklistToCard",
        ("DELETE", "checklists", _) | ("DELETE", "cards", "checklists") => {
            "removeChecklistFromCard"
        }
        ("PUT", "checklists", _) => "updateChecklist",
        ("POST", "cards", "idMembers") => "addMemberToCard",
        ("DELETE", "cards", "idMembers") => "removeMemberFromCard",
        ("POST", "cards", "idLabels") => "addLabelToCard",
        ("DELETE", "cards", "idLabels") => "removeLabelFromCard",
        ("PUT", "cards", "customField") => "updateCustomFieldItem",
        ("DELETE", "cards", "") => "deleteCard",
        (_, "cards", _) => "updateCard",
        (_, "boards", "members") => "addMemberToBoard",
        _ => "updateBoard",
    }
}

/// An action for a change that recorded none (not kept in the board's actions).
fn made_action(
    w: &mut World,
    kind: &str,
    member: &str,
    board: &str,
    list: Option<&str>,
    card: Option<&str>,
) -> Value {
    let mut data = serde_json::Map::new();
    if let Some(b) = w.boards.get(board) {
        data.insert(
            "board".into(),
            json!({"id": b.id, "name": b.name, "shortLink": b.short_link}),
        );
    }
    if let Some(l) = list.and_then(|l| w.lists.get(l)) {
        data.insert("list".into(), json!({"id": l.id, "name": l.name}));
    }
    if let Some(c) = card.and_then(|c| w.cards.get(c)) {
        data.insert(
            "card".into(),
            json!({"id": c.id, "name": c.name, "idShort": c.id_short, "shortLink": c.short_link}),
        );
    }
    let action = Action {
        id: w.ids.next(),
        id_board: board.to_owned(),
        id_card: card.map(str::to_owned),
        kind: kind.to_owned(),
        date: Timestamp::now(),
        id_member_creator: member.to_owned(),
        data: Value::Object(data),
    };
    w.action_json(&action)
}

/// The watched model as a delivery shows it.
fn model_json(w: &World, id: &str) -> Value {
    if let Some(b) = w.boards.get(id) {
        w.board_json(b, &Fields::All)
    } else if let Some(l) = w.lists.get(id) {
        w.list_json(l, &Fields::All)
    } else if let Some(c) = w.cards.get(id) {
        w.card_json(c, &Fields::All)
    } else {
        json!({ "id": id })
    }
}

/// Send each change to the active webhooks watching its board, list or card: one signed POST
/// per change and webhook, on tasks of their own (outside a Tokio runtime nothing is sent).
pub fn deliver(shared: &Arc<Shared>, changes: Vec<Change>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let mut sends = Vec::new();
    {
        let w = shared.world();
        for change in &changes {
            let watched = [
                Some(&change.board),
                change.list.as_ref(),
                change.card.as_ref(),
            ];
            for hook in w.hooks.all.values().filter(|h| h.active) {
                if !watched.contains(&Some(&hook.id_model)) {
                    continue;
                }
                let body = json!({
                    "action": change.action,
                    "model": model_json(&w, &hook.id_model),
                    "webhook": hook.json(),
                })
                .to_string();
                let signed = format!("{body}{}", hook.callback_url);
                let signature =
                    callback::hmac_sha1_base64(w.hooks.secret.as_bytes(), signed.as_bytes());
                sends.push((hook.id.clone(), hook.callback_url.clone(), signature, body));
            }
        }
    }
    for (id, url, signature, body) in sends {
        let shared = Arc::clone(shared);
        runtime.spawn(async move {
            let outcome = callback::post_json(&url, &[("X-Trello-Webhook", signature)], body).await;
            let mut w = shared.world();
            let policy = w.hooks.deactivation;
            if let Some(hook) = w.hooks.all.get_mut(&id) {
                hook.record(&outcome, policy, Timestamp::now());
            }
        });
    }
}

// --- Edits made directly (a person in the web app) ---------------------------------------------

/// What the lists and cards of watched boards looked like, to tell what an edit changed.
pub struct Before(HashMap<Id, String>);

/// `None` when no active webhook watches anything (nothing to compare then).
pub fn before(w: &World) -> Option<Before> {
    w.hooks
        .all
        .values()
        .any(|h| h.active)
        .then(|| Before(fingerprints(w)))
}

fn fingerprints(w: &World) -> HashMap<Id, String> {
    let cards = w.cards.values().map(|c| {
        let mut card = w.card_json(c, &Fields::All);
        // Touching a card is not changing it.
        card["dateLastActivity"] = Value::Null;
        let items: Vec<Value> = w
            .card_checklists(c)
            .iter()
            .flat_map(|l| &l.items)
            .map(|i| json!([i.id, i.name, i.complete, i.pos]))
            .collect();
        (c.id.clone(), format!("{card}{items:?}"))
    });
    let lists = w
        .lists
        .values()
        .map(|l| (l.id.clone(), w.list_json(l, &Fields::All).to_string()));
    cards.chain(lists).collect()
}

/// The changes a direct edit made: a card made, a card or its checklists changed, a list
/// changed, each as Trello's action for it, by `member`.
pub fn changes_since(w: &mut World, before: Before, member: &str) -> Vec<Change> {
    let after = fingerprints(w);
    let mut touched: Vec<(&'static str, Id)> = after
        .iter()
        .filter(|(id, print)| before.0.get(*id) != Some(print))
        .map(|(id, _)| {
            let kind = match (w.cards.contains_key(id), before.0.contains_key(id)) {
                (true, false) => "createCard",
                (true, true) => "updateCard",
                (false, _) => "updateList",
            };
            (kind, id.clone())
        })
        .collect();
    touched.sort();
    touched
        .into_iter()
        .filter_map(|(kind, id)| {
            let (board, list, card) = match w.cards.get(&id) {
                Some(c) => (c.id_board.clone(), c.id_list.clone(), Some(id.clone())),
                None => (w.lists.get(&id)?.id_board.clone(), id.clone(), None),
            };
            let action = made_action(w, kind, member, &board, Some(&list), card.as_deref());
            Some(Change {
                board,
                list: Some(list),
                card,
                action,
            })
        })
        .collect()
}
