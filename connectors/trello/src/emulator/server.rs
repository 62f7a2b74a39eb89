//! The HTTP side: routing, authentication, rate limits, faults, and the endpoints.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use jiff::Timestamp;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::params::Params;
use super::world::{
    Card, CheckItem, Checklist, CustomField, CustomFieldItem, Fields, Id, Label, POS_STEP, Pos,
    World, is_id, short_link,
};
use super::{Fault, LoggedRequest, Shared, webhooks};
use throughline_connector::emulator_kit::{Early, Incoming, broken_body, lock};

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// An error as Trello answers it: mostly a short text body.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: u16,
    body: String,
    json: bool,
}

impl ApiError {
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        ApiError {
            status,
            body: body.into(),
            json: false,
        }
    }

    pub fn invalid_id() -> Self {
        ApiError::text(400, "invalid id")
    }

    pub fn invalid_value(name: &str) -> Self {
        ApiError::text(400, format!("invalid value for {name}"))
    }

    pub fn not_found() -> Self {
        ApiError::text(404, "The requested resource was not found.")
    }

    fn rate_limited(token: bool) -> Self {
        let code = if token {
            "API_TOKEN_LIMIT_EXCEEDED"
        } else {
            "API_KEY_LIMIT_EXCEEDED"
        };
        ApiError {
            status: 429,
            body: json!({"error": code, "message": "Rate limit exceeded"}).to_string(),
            json: true,
        }
    }
}

pub type Answer = Result<Value, ApiError>;

/// Who is asking.
pub struct Caller {
    pub member: Id,
    /// The token it asked with (webhooks belong to tokens).
    pub token: String,
}

async fn handle(State(shared): State<Arc<Shared>>, incoming: Incoming) -> Response {
    let Incoming {
        method,
        uri,
        headers,
        body,
    } = incoming;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let mut params = Params::from_parts(uri.query(), content_type, &body);
    // Trello also takes `Authorization: OAuth oauth_consumer_key="…", oauth_token="…"` (what
    // OAuth 1 clients such as py-trello send). Signatures are not checked.
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("OAuth "))
    {
        for part in auth.split(',') {
            let Some((k, v)) = part.trim().split_once('=') else {
                continue;
            };
            let v = super::params::decode(v.trim().trim_matches('"'));
            let name = match k.trim() {
                "oauth_consumer_key" => "key",
                "oauth_token" => "token",
                _ => continue,
            };
            if !params.has(name) {
                params.0.insert(name.to_owned(), Value::String(v));
            }
        }
    }
    let path = uri.path().to_owned();
    let short_path = path.strip_prefix("/1").unwrap_or(&path).to_owned();
    let query = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.starts_with("key=") && !p.starts_with("token="))
        .collect::<Vec<_>>()
        .join("&");

    let fault = shared.faults.pick(method.as_str(), &short_path);
    let early = Fault::before(fault.as_ref()).await;
    let (limit_headers, limited) = rate_limit(&shared, &params);

    let outcome: Outcome = match (early, limited) {
        (Some(Early::Status { code, .. }), _) => Outcome::Error(fault_error(code)),
        (Some(Early::Drop), _) => Outcome::Drop,
        (_, Some(error)) => Outcome::Error(error),
        (None, None) => {
            let answer = answer(&shared, &method, &path, &params).await;
            match (Fault::after(fault.as_ref()), answer) {
                (Some(Early::Status { code, .. }), _) => Outcome::Error(fault_error(code)),
                (Some(Early::Drop), _) => Outcome::Drop,
                (None, Ok(v)) => Outcome::Ok(v),
                (None, Err(e)) => Outcome::Error(e),
            }
        }
    };

    let status = match &outcome {
        Outcome::Ok(_) => 200,
        Outcome::Error(e) => e.status,
        Outcome::Drop => 0,
    };
    shared.log.push(LoggedRequest {
        method: method.to_string(),
        path: short_path,
        query,
        status,
        at: shared.log.elapsed(),
        fault: fault.clone(),
    });

    let mut response = match outcome {
        Outcome::Ok(v) => json_response(200, v.to_string()),
        Outcome::Error(e) if e.json => json_response(e.status, e.body),
        Outcome::Error(e) => Response::builder()
            .status(e.status)
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(Body::from(e.body))
            .unwrap_or_default(),
        // The headers and a first piece of the body, then the connection breaks.
        Outcome::Drop => Response::builder()
            .status(200)
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body(broken_body(b"{\"id\":"))
            .unwrap_or_default(),
    };
    let h = response.headers_mut();
    for (name, value) in limit_headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    h.insert("x-trello-version", HeaderValue::from_static("1.2092.0"));
    h.insert("x-trello-environment", HeaderValue::from_static("Emulator"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=0, no-cache, no-store"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// Authenticate, then answer: webhook endpoints on their own (they call out), everything else
/// on the world; a write that changed something goes out to the webhooks watching it.
async fn answer(shared: &Arc<Shared>, method: &Method, path: &str, params: &Params) -> Answer {
    let caller = authenticate(&shared.world(), params)?;
    let Some(short_path) = path
        .strip_prefix("/1")
        .filter(|p| p.is_empty() || p.starts_with('/'))
    else {
        return Err(ApiError::text(404, format!("Cannot {method} {path}")));
    };
    let segs: Vec<&str> = short_path.trim_matches('/').split('/').collect();
    if webhooks::is_webhook_path(&segs) {
        return webhooks::answer(shared, &caller, method, &segs, params).await;
    }
    let (answer, change) = {
        let mut world = shared.world();
        let target = webhooks::target_of(&world, &segs);
        let actions_before = world.actions.len();
        let answer = route(&mut world, &caller, method, short_path, params);
        let change = match &answer {
            Ok(v) if *method != Method::GET => webhooks::change_of(
                &mut world,
                actions_before,
                target,
                method.as_str(),
                &segs,
                v,
                &caller.member,
            ),
            _ => None,
        };
        (answer, change)
    };
    if let Some(change) = change {
        webhooks::deliver(shared, vec![change]);
    }
    answer
}

enum Outcome {
    Ok(Value),
    Error(ApiError),
    Drop,
}

fn json_response(status: u16, body: String) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(body))
        .unwrap_or_default()
}

/// What Trello answers for a status a fault rule asked for (429: its rate-limit body).
fn fault_error(code: u16) -> ApiError {
    let text = match code {
        429 => return ApiError::rate_limited(true),
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    };
    ApiError::text(code, text)
}

/// Count the request against its token's and its key's windows. Returns the rate-limit headers
/// Trello sends and, when over a limit, the 429 to answer.
fn rate_limit(shared: &Shared, params: &Params) -> (Vec<(&'static str, String)>, Option<ApiError>) {
    let limits = *lock(&shared.limits);
    let (Some(key), Some(token)) = (params.str("key"), params.str("token")) else {
        return (Vec::new(), None);
    };
    let window = limits.window;
    let now = Instant::now();
    let mut windows = lock(&shared.windows);
    let used_token = windows.used(&format!("token:{token}"), window, now);
    let used_key = windows.used(&format!("key:{key}"), window, now);
    let ms = window.as_millis().to_string();
    let over = if !limits.enabled {
        None
    } else if used_token >= limits.token_max as usize {
        Some(ApiError::rate_limited(true))
    } else if used_key >= limits.key_max as usize {
        Some(ApiError::rate_limited(false))
    } else {
        None
    };
    if over.is_none() {
        for name in [format!("token:{token}"), format!("key:{key}")] {
            windows.record(name, now);
        }
    }
    let (t, k) = if over.is_none() {
        (used_token + 1, used_key + 1)
    } else {
        (used_token, used_key)
    };
    let headers = vec![
        ("x-rate-limit-api-key-interval-ms", ms.clone()),
        ("x-rate-limit-api-key-max", limits.key_max.to_string()),
        (
            "x-rate-limit-api-key-remaining",
            (limits.key_max as usize).saturating_sub(k).to_string(),
        ),
        ("x-rate-limit-api-token-interval-ms", ms),
        ("x-rate-limit-api-token-max", limits.token_max.to_string()),
        (
            "x-rate-limit-api-token-remaining",
            (limits.token_max as usize).saturating_sub(t).to_string(),
        ),
    ];
    (headers, over)
}

fn authenticate(world: &World, params: &Params) -> Result<Caller, ApiError> {
    let key = params.str("key").unwrap_or_default();
    if !world.keys.contains(&key) {
        return Err(ApiError::text(401, "invalid key"));
    }
    let token = params.str("token").unwrap_or_default();
    match world.tokens.get(&token) {
        Some(t) if t.key == key => Ok(Caller {
            member: t.member.clone(),
            token,
        }),
        _ => Err(ApiError::text(401, "invalid token")),
    }
}

fn route(world: &mut World, caller: &Caller, method: &Method, path: &str, p: &Params) -> Answer {
    let mut segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let m = method.as_str();
    // Boards and cards are also reached by their 8-character short link (the one in their
    // URLs): it stands for the id everywhere below.
    let long_id: String;
    if let [kind @ ("boards" | "cards"), short, ..] = segs[..]
        && !is_id(short)
        && let Some(id) = by_short_link(world, kind, short)
    {
        long_id = id;
        segs[1] = &long_id;
    }
    // Ids in the path are checked before anything else, as Trello does.
    let id_at = |i: usize| -> Result<String, ApiError> {
        let s = segs.get(i).copied().unwrap_or("");
        if is_id(s) {
            Ok(s.to_owned())
        } else {
            Err(ApiError::invalid_id())
        }
    };
    match (m, segs.as_slice()) {
        ("GET", ["boards", _]) => {
            let id = board_id(world, segs[1])?;
            nested_board(world, &id, p)
        }
        ("GET", ["boards", _, "lists"]) => {
            let id = board_id(world, segs[1])?;
            board_lists(world, &id, p.str("filter").as_deref().unwrap_or("open"), p)
        }
        ("GET", ["boards", _, "lists", filter]) => {
            let id = board_id(world, segs[1])?;
            board_lists(world, &id, filter, p)
        }
        ("POST", ["boards", _, "lists"]) => {
            let id = board_id(world, segs[1])?;
            create_list(world, &id, p, Pos::Top)
        }
        ("GET", ["boards", _, "cards"]) => {
            let id = board_id(world, segs[1])?;
            board_cards(
                world,
                &id,
                p.str("filter").as_deref().unwrap_or("visible"),
                p,
            )
        }
        ("GET", ["boards", _, "cards", filter]) => {
            let id = board_id(world, segs[1])?;
            board_cards(world, &id, filter, p)
        }
        ("GET", ["boards", _, "checklists"]) => {
            let id = board_id(world, segs[1])?;
            Ok(Value::Array(board_checklists(world, &id)))
        }
        ("GET", ["boards", _, "labels"]) => {
            let id = board_id(world, segs[1])?;
            Ok(Value::Array(board_labels(world, &id)))
        }
        ("POST", ["boards", _, "labels"]) => {
            let id = board_id(world, segs[1])?;
            create_label(world, &id, p)
        }
        ("GET", ["boards", _, "members"]) => {
            let id = board_id(world, segs[1])?;
            Ok(Value::Array(board_members(world, &id)))
        }
        ("POST", ["boards"]) => create_board(world, caller, p),
        ("PUT", ["boards", _, "members", _]) => {
            let (id, member) = (board_id(world, segs[1])?, id_at(3)?);
            let kind = p
                .str("type")
                .filter(|t| MEMBER_TYPES.contains(&t.as_str()))
                .ok_or_else(|| ApiError::invalid_value("type"))?;
            if !world.members.contains_key(&member) {
                return Err(ApiError::invalid_value("idMember"));
            }
            add_board_member(world, caller, &id, &member, &kind)
        }
        ("PUT", ["boards", _, "members"]) => {
            let id = board_id(world, segs[1])?;
            invite_board_member(world, caller, &id, p)
        }
        ("DELETE", ["boards", _, "members", _]) => {
            let (id, member) = (board_id(world, segs[1])?, id_at(3)?);
            let b = world.boards.get_mut(&id).ok_or_else(ApiError::not_found)?;
            b.members.retain(|m| *m != member);
            b.admins.retain(|m| *m != member);
            Ok(board_memberships(world, &id))
        }
        ("GET", ["boards", _, "customFields"]) => {
            let id = board_id(world, segs[1])?;
            Ok(Value::Array(board_custom_fields(world, &id)))
        }
        ("GET", ["boards", _, "actions"]) => {
            let id = board_id(world, segs[1])?;
            Ok(actions(world, |a| a.id_board == id, p))
        }
        ("POST", ["lists"]) => {
            let board = p.id("idBoard")?;
            if !world.boards.contains_key(&board) {
                return Err(ApiError::invalid_value("idBoard"));
            }
            create_list(world, &board, p, Pos::Bottom)
        }
        ("GET", ["lists", _]) => {
            let id = id_at(1)?;
            let l = world.lists.get(&id).ok_or_else(ApiError::not_found)?;
            Ok(world.list_json(l, &Fields::parse(p.str("fields").as_deref(), Fields::All)))
        }
        ("PUT", ["lists", _]) => update_list(world, &id_at(1)?, p),
        ("PUT", ["lists", _, "closed"]) => {
            let id = id_at(1)?;
            let closed = p
                .bool("value")?
                .ok_or_else(|| ApiError::invalid_value("value"))?;
            let l = world.lists.get_mut(&id).ok_or_else(ApiError::not_found)?;
            l.closed = closed;
            let l = l.clone();
            Ok(world.list_json(&l, &Fields::All))
        }
        ("GET", ["lists", _, "cards"]) => {
            let id = id_at(1)?;
            if !world.lists.contains_key(&id) {
                return Err(ApiError::not_found());
            }
            let fields = Fields::parse(p.str("fields").as_deref(), Fields::All);
            let mut cards: Vec<&Card> = world
                .cards
                .values()
                .filter(|c| c.id_list == id && !c.closed)
                .collect();
            cards.sort_by(|a, b| a.pos.total_cmp(&b.pos));
            Ok(Value::Array(
                cards.iter().map(|c| world.card_json(c, &fields)).collect(),
            ))
        }
        ("POST", ["cards"]) => create_card(world, caller, p),
        ("GET", ["cards", _]) => {
            let id = id_at(1)?;
            get_card(world, &id, p)
        }
        ("PUT", ["cards", _]) => update_card(world, caller, &id_at(1)?, p),
        ("DELETE", ["cards", _]) => {
            let id = id_at(1)?;
            let card = world.cards.remove(&id).ok_or_else(ApiError::not_found)?;
            for cl in card.id_checklists {
                world.checklists.remove(&cl);
            }
            Ok(json!({"limits": {}}))
        }
        ("GET", ["cards", _, "checklists"]) => {
            let id = id_at(1)?;
            let card = world.cards.get(&id).ok_or_else(ApiError::not_found)?;
            Ok(Value::Array(
                world
                    .card_checklists(card)
                    .iter()
                    .map(|l| world.checklist_json(l))
                    .collect(),
            ))
        }
        ("POST", ["cards", _, "checklists"]) => {
            let id = id_at(1)?;
            create_checklist(world, &id, p)
        }
        ("DELETE", ["cards", _, "checklists", _]) => {
            let (card, list) = (id_at(1)?, id_at(3)?);
            if !world.cards.contains_key(&card) {
                return Err(ApiError::not_found());
            }
            if world
                .checklists
                .get(&list)
                .is_none_or(|l| l.id_card != card)
            {
                return Err(ApiError::not_found());
            }
            world.checklists.remove(&list);
            let c = world.cards.get_mut(&card).expect("checked above");
            c.id_checklists.retain(|l| *l != list);
            c.last_activity = Timestamp::now();
            // The API answers with the checklists the card still has.
            let c = world.cards[&card].clone();
            Ok(Value::Array(
                world
                    .card_checklists(&c)
                    .iter()
                    .map(|l| world.checklist_json(l))
                    .collect(),
            ))
        }
        ("GET", ["cards", _, "checkItemStates"]) => {
            let id = id_at(1)?;
            let card = world.cards.get(&id).ok_or_else(ApiError::not_found)?;
            let states: Vec<Value> = world
                .card_checklists(card)
                .iter()
                .flat_map(|l| l.items.iter())
                .filter(|i| i.complete)
                .map(|i| json!({"idCheckItem": i.id, "state": "complete"}))
                .collect();
            Ok(Value::Array(states))
        }
        ("GET", ["cards", _, "customFieldItems"]) => {
            let id = id_at(1)?;
            let card = world.cards.get(&id).ok_or_else(ApiError::not_found)?;
            Ok(Value::Array(
                card.custom_field_items
                    .iter()
                    .map(|i| world.custom_field_item_json(card, i))
                    .collect(),
            ))
        }
        (
            "GET",
            [
                "cards",
                _,
                "pluginData" | "attachments" | "stickers" | "members",
            ],
        ) => {
            let id = id_at(1)?;
            let card = world.cards.get(&id).ok_or_else(ApiError::not_found)?;
            if segs[2] == "members" {
                return Ok(Value::Array(
                    card.id_members
                        .iter()
                        .filter_map(|m| world.members.get(m))
                        .map(|m| world.member_json(m))
                        .collect(),
                ));
            }
            Ok(json!([]))
        }
        ("GET", ["cards", _, "actions"]) => {
            let id = id_at(1)?;
            if !world.cards.contains_key(&id) {
                return Err(ApiError::not_found());
            }
            // A card's actions default to its comments and moves (the API's documented default).
            let mut p = p.clone();
            if !p.has("filter") {
                p.0.insert("filter".into(), json!("commentCard,updateCard:idList"));
            }
            Ok(actions(world, |a| a.id_card.as_deref() == Some(&id), &p))
        }
        ("POST", ["cards", _, "actions", "comments"]) => {
            let id = id_at(1)?;
            add_comment(world, caller, &id, p)
        }
        ("PUT", ["cards", _, "actions", _, "comments"]) => {
            let (card, action) = (id_at(1)?, id_at(3)?);
            edit_comment(world, caller, Some(&card), &action, p)
        }
        ("DELETE", ["cards", _, "actions", _, "comments"]) => {
            let (card, action) = (id_at(1)?, id_at(3)?);
            delete_comment(world, caller, Some(&card), &action)
        }
        ("GET", ["actions", _]) => {
            let id = id_at(1)?;
            let a = world
                .actions
                .iter()
                .find(|a| a.id == id)
                .ok_or_else(ApiError::not_found)?;
            Ok(world.action_json(a))
        }
        ("PUT", ["actions", _]) => {
            let id = id_at(1)?;
            edit_comment(world, caller, None, &id, p)
        }
        ("DELETE", ["actions", _]) => {
            let id = id_at(1)?;
            delete_comment(world, caller, None, &id)
        }
        ("PUT", ["cards", _, "checkItem", _]) => {
            let (card, item) = (id_at(1)?, id_at(3)?);
            update_check_item(world, caller, &card, None, &item, p)
        }
        ("PUT", ["cards", _, "checklist", _, "checkItem", _]) => {
            let (card, list, item) = (id_at(1)?, id_at(3)?, id_at(5)?);
            update_check_item(world, caller, &card, Some(&list), &item, p)
        }
        ("DELETE", ["cards", _, "checkItem", _]) => {
            let (card, item) = (id_at(1)?, id_at(3)?);
            delete_check_item(world, Some(&card), None, &item)
        }
        ("POST", ["cards", _, "idMembers"]) => {
            let id = id_at(1)?;
            let member = p.id("value")?;
            if !world.members.contains_key(&member) {
                return Err(ApiError::invalid_value("value"));
            }
            let card = world.cards.get_mut(&id).ok_or_else(ApiError::not_found)?;
            if !card.id_members.contains(&member) {
                card.id_members.push(member);
            }
            card.last_activity = Timestamp::now();
            let members = card.id_members.clone();
            Ok(Value::Array(
                members
                    .iter()
                    .filter_map(|m| world.members.get(m))
                    .map(|m| world.member_json(m))
                    .collect(),
            ))
        }
        ("DELETE", ["cards", _, "idMembers", _]) => {
            let (id, member) = (id_at(1)?, id_at(3)?);
            let card = world.cards.get_mut(&id).ok_or_else(ApiError::not_found)?;
            card.id_members.retain(|m| *m != member);
            card.last_activity = Timestamp::now();
            Ok(json!([]))
        }
        ("POST", ["cards", _, "idLabels"]) => {
            let id = id_at(1)?;
            let label = p.id("value")?;
            let card_board = world
                .cards
                .get(&id)
                .map(|c| c.id_board.clone())
                .ok_or_else(ApiError::not_found)?;
            if world
                .labels
                .get(&label)
                .is_none_or(|l| l.id_board != card_board)
            {
                return Err(ApiError::invalid_value("value"));
            }
            let card = world.cards.get_mut(&id).ok_or_else(ApiError::not_found)?;
            if card.id_labels.contains(&label) {
                return Err(ApiError::text(400, "that label is already on the card"));
            }
            card.id_labels.push(label);
            card.last_activity = Timestamp::now();
            Ok(json!(card.id_labels))
        }
        ("DELETE", ["cards", _, "idLabels", _]) => {
            let (id, label) = (id_at(1)?, id_at(3)?);
            let card = world.cards.get_mut(&id).ok_or_else(ApiError::not_found)?;
            card.id_labels.retain(|l| *l != label);
            Ok(json!({"_value": null}))
        }
        ("PUT", ["cards", _, "customField", _, "item"]) => {
            let (card, field) = (id_at(1)?, id_at(3)?);
            set_custom_field_item(world, &card, &field, p)
        }
        ("PUT", ["cards", _, field]) => {
            // `PUT /cards/{id}/{field}` with `value=`, as older clients send.
            let id = id_at(1)?;
            let mut one = Params::default();
            if let Some(v) = p.0.get("value") {
                one.0.insert((*field).to_owned(), v.clone());
            }
            update_card(world, caller, &id, &one)
        }
        ("POST", ["checklists"]) => {
            let card = p.id("idCard")?;
            create_checklist(world, &card, p)
        }
        ("GET", ["checklists", _]) => {
            let id = id_at(1)?;
            let l = world.checklists.get(&id).ok_or_else(ApiError::not_found)?;
            Ok(world.checklist_json(l))
        }
        ("PUT", ["checklists", _]) => update_checklist(world, &id_at(1)?, p),
        ("PUT", ["checklists", _, field @ ("name" | "pos")]) => {
            let id = id_at(1)?;
            let mut one = Params::default();
            if let Some(v) = p.0.get("value") {
                one.0.insert((*field).to_owned(), v.clone());
            } else {
                return Err(ApiError::invalid_value("value"));
            }
            update_checklist(world, &id, &one)
        }
        ("DELETE", ["checklists", _]) => {
            let id = id_at(1)?;
            let l = world
                .checklists
                .remove(&id)
                .ok_or_else(ApiError::not_found)?;
            if let Some(card) = world.cards.get_mut(&l.id_card) {
                card.id_checklists.retain(|c| *c != id);
            }
            Ok(json!({"limits": {}}))
        }
        ("GET", ["checklists", _, "checkItems"]) => {
            let id = id_at(1)?;
            let l = world.checklists.get(&id).ok_or_else(ApiError::not_found)?;
            let v = world.checklist_json(l);
            Ok(v["checkItems"].clone())
        }
        ("POST", ["checklists", _, "checkItems"]) => {
            let id = id_at(1)?;
            create_check_item(world, caller, &id, p)
        }
        ("DELETE", ["checklists", _, "checkItems", _]) => {
            let (list, item) = (id_at(1)?, id_at(3)?);
            delete_check_item(world, None, Some(&list), &item)
        }
        ("POST", ["labels"]) => {
            let board = p.id("idBoard")?;
            if !world.boards.contains_key(&board) {
                return Err(ApiError::invalid_value("idBoard"));
            }
            create_label(world, &board, p)
        }
        ("POST", ["customFields"]) => create_custom_field(world, p),
        ("GET", ["customFields", _]) => {
            let id = id_at(1)?;
            let f = world
                .custom_fields
                .get(&id)
                .ok_or_else(ApiError::not_found)?;
            Ok(world.custom_field_json(f))
        }
        ("GET", ["members", who]) => {
            let m = if *who == "me" {
                world.members.get(&caller.member)
            } else {
                world
                    .members
                    .values()
                    .find(|m| m.id == *who || m.username == *who)
            };
            let m = m.ok_or_else(ApiError::not_found)?;
            let fields = Fields::parse(p.str("fields").as_deref(), Fields::All);
            Ok(world.member_profile_json(m, m.id == caller.member, &fields))
        }
        ("GET", ["members", who, "boards"]) => {
            let member = if *who == "me" {
                caller.member.clone()
            } else {
                (*who).to_owned()
            };
            let fields = Fields::parse(p.str("fields").as_deref(), Fields::All);
            Ok(Value::Array(
                world
                    .boards
                    .values()
                    .filter(|b| b.members.contains(&member))
                    .map(|b| world.board_json(b, &fields))
                    .collect(),
            ))
        }
        _ => {
            // Known resources with a bad id answer "invalid id"; anything else is unknown.
            let known = [
                "actions",
                "boards",
                "lists",
                "cards",
                "checklists",
                "labels",
                "customFields",
            ];
            if segs.len() >= 2 && known.contains(&segs[0]) && !is_id(segs[1]) {
                Err(ApiError::invalid_id())
            } else {
                Err(ApiError::text(404, format!("Cannot {m} /1{path}")))
            }
        }
    }
}

/// The id of the board or card (`kind` is `boards` or `cards`) with this short link.
fn by_short_link(world: &World, kind: &str, short: &str) -> Option<Id> {
    if short.len() != 8 {
        return None;
    }
    match kind {
        "boards" => world
            .boards
            .values()
            .find(|b| b.short_link == short)
            .map(|b| b.id.clone()),
        _ => world
            .cards
            .values()
            .find(|c| c.short_link == short)
            .map(|c| c.id.clone()),
    }
}

/// The kinds of board membership.
const MEMBER_TYPES: &[&str] = &["admin", "normal", "observer"];

/// `POST /boards`: a new board; the caller is its admin.
fn create_board(world: &mut World, caller: &Caller, p: &Params) -> Answer {
    let name = p
        .str("name")
        .filter(|n| !n.trim().is_empty() && n.chars().count() <= 16384)
        .ok_or_else(|| ApiError::invalid_value("name"))?;
    let desc = p.str("desc").unwrap_or_default();
    if desc.chars().count() > 16384 {
        return Err(ApiError::invalid_value("desc"));
    }
    let level = p
        .str("prefs_permissionLevel")
        .unwrap_or_else(|| "private".to_owned());
    if !["private", "org", "public"].contains(&level.as_str()) {
        return Err(ApiError::invalid_value("prefs_permissionLevel"));
    }
    let source = match p.opt_id("idBoardSource")? {
        Some(s) if world.boards.contains_key(&s) => Some(s),
        Some(_) => return Err(ApiError::invalid_value("idBoardSource")),
        None => None,
    };
    let default_labels = p.bool("defaultLabels")?.unwrap_or(true);
    let default_lists = p.bool("defaultLists")?.unwrap_or(true);
    let id = world.add_board(&name);
    if !default_labels || source.is_some() {
        world.labels.retain(|_, l| l.id_board != id);
    }
    if let Some(src) = &source {
        // A copy gets the source's open lists and its labels (cards only on request, which
        // the emulator does not model).
        let mut lists: Vec<_> = world
            .lists
            .values()
            .filter(|l| l.id_board == *src && !l.closed)
            .map(|l| (l.pos, l.name.clone()))
            .collect();
        lists.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (pos, name) in lists {
            world.add_list(&id, &name, Some(pos));
        }
        let labels: Vec<Label> = world
            .labels
            .values()
            .filter(|l| l.id_board == *src)
            .cloned()
            .collect();
        for l in labels {
            let lid = world.ids.next();
            world.labels.insert(
                lid.clone(),
                Label {
                    id: lid,
                    id_board: id.clone(),
                    ..l
                },
            );
        }
    } else if default_lists {
        for name in ["To Do", "Doing", "Done"] {
            world.add_list(&id, name, None);
        }
    }
    let b = world.boards.get_mut(&id).expect("just added");
    b.desc = desc;
    b.permission_level = level;
    b.members.push(caller.member.clone());
    b.admins.push(caller.member.clone());
    let b = b.clone();
    let data = json!({"board": {"id": b.id, "name": b.name, "shortLink": b.short_link}});
    world.add_action(&id, None, "createBoard", &caller.member, data);
    let mut v = world.board_json(&b, &Fields::All);
    v["limits"] = json!({});
    Ok(v)
}

/// Put a member on a board as `admin`, `normal` or `observer`.
fn add_board_member(
    world: &mut World,
    caller: &Caller,
    board: &str,
    member: &str,
    kind: &str,
) -> Answer {
    let b = world
        .boards
        .get_mut(board)
        .ok_or_else(ApiError::not_found)?;
    if !b.members.iter().any(|m| m == member) {
        b.members.push(member.to_owned());
    }
    b.admins.retain(|m| m != member);
    if kind == "admin" {
        b.admins.push(member.to_owned());
    }
    let data = json!({"board": {"id": board, "name": b.name}, "idMemberAdded": member});
    world.add_action(board, None, "addMemberToBoard", &caller.member, data);
    Ok(board_memberships(world, board))
}

/// `PUT /boards/{id}/members?email=`: the person with this address joins the board; someone
/// Trello does not know yet becomes a new (unconfirmed) member.
fn invite_board_member(world: &mut World, caller: &Caller, board: &str, p: &Params) -> Answer {
    let email = p
        .str("email")
        .map(|e| e.trim().to_owned())
        .filter(|e| {
            e.split_once('@')
                .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
        })
        .ok_or_else(|| ApiError::invalid_value("email"))?;
    let kind = p.str("type").unwrap_or_else(|| "normal".to_owned());
    if !MEMBER_TYPES.contains(&kind.as_str()) {
        return Err(ApiError::invalid_value("type"));
    }
    let full_name = p.str("fullName");
    if full_name
        .as_deref()
        .is_some_and(|n| n.is_empty() || n.trim() != n)
    {
        return Err(ApiError::invalid_value("fullName"));
    }
    if !world.boards.contains_key(board) {
        return Err(ApiError::not_found());
    }
    let key = email.to_lowercase();
    let member = match world.invited.get(&key) {
        Some(m) => m.clone(),
        None => {
            let local = key.split('@').next().unwrap_or_default();
            let base: String = local
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let base = if base.is_empty() {
                "member".to_owned()
            } else {
                base
            };
            let mut username = base.clone();
            let mut n = 1;
            while world.members.values().any(|m| m.username == username) {
                n += 1;
                username = format!("{base}{n}");
            }
            let name = full_name.clone().unwrap_or_else(|| local.to_owned());
            let id = world.add_member(&username, &name);
            world.invited.insert(key, id.clone());
            id
        }
    };
    add_board_member(world, caller, board, &member, &kind)
}

/// What Trello answers after a membership change: the board's members and memberships.
fn board_memberships(world: &World, board: &str) -> Value {
    let b = &world.boards[board];
    let memberships: Vec<Value> = b
        .members
        .iter()
        .map(|m| {
            let kind = if b.admins.contains(m) {
                "admin"
            } else {
                "normal"
            };
            json!({"id": membership_id(board, m), "idMember": m, "memberType": kind,
                   "unconfirmed": false, "deactivated": false})
        })
        .collect();
    json!({"id": b.id, "members": board_members(world, board), "memberships": memberships})
}

/// A membership's id: 24 hex digits, the same for the same board and member.
fn membership_id(board: &str, member: &str) -> String {
    use std::hash::{Hash, Hasher};
    let half = |salt: u8| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (salt, board, member).hash(&mut h);
        h.finish()
    };
    format!("{:016x}{:08x}", half(0), half(1) as u32)
}

/// `POST /cards/{id}/actions/comments`: a `commentCard` action.
fn add_comment(world: &mut World, caller: &Caller, card: &str, p: &Params) -> Answer {
    let text = p
        .str("text")
        .filter(|t| !t.trim().is_empty() && t.chars().count() <= 16384)
        .ok_or_else(|| ApiError::invalid_value("text"))?;
    let c = world.cards.get(card).ok_or_else(ApiError::not_found)?;
    let b = world
        .boards
        .get(&c.id_board)
        .ok_or_else(ApiError::not_found)?;
    let list = world.lists.get(&c.id_list);
    let data = json!({
        "text": text,
        "textData": {"emoji": {}},
        "card": {"id": c.id, "name": c.name, "idShort": c.id_short, "shortLink": c.short_link},
        "board": {"id": b.id, "name": b.name, "shortLink": b.short_link},
        "list": list.map(|l| json!({"id": l.id, "name": l.name})),
    });
    let board = b.id.clone();
    world.add_action(&board, Some(card), "commentCard", &caller.member, data);
    if let Some(c) = world.cards.get_mut(card) {
        c.last_activity = Timestamp::now();
    }
    let a = world.actions.last().expect("just added");
    let mut v = world.action_json(a);
    v["limits"] = json!({"reactions": {
        "perAction": {"status": "ok", "disableAt": 900, "warnAt": 720},
        "uniquePerAction": {"status": "ok", "disableAt": 17, "warnAt": 14},
    }});
    Ok(v)
}

/// The comment action with this id (on this card when given), for its author to change.
fn own_comment(
    world: &World,
    caller: &Caller,
    card: Option<&str>,
    action: &str,
) -> Result<usize, ApiError> {
    if card.is_some_and(|c| !world.cards.contains_key(c)) {
        return Err(ApiError::not_found());
    }
    let at = world
        .actions
        .iter()
        .position(|a| a.id == action && card.is_none_or(|c| a.id_card.as_deref() == Some(c)))
        .ok_or_else(ApiError::not_found)?;
    let a = &world.actions[at];
    if a.kind != "commentCard" {
        return Err(ApiError::text(400, "only comments can be changed"));
    }
    if a.id_member_creator != caller.member {
        return Err(ApiError::text(
            401,
            "unauthorized comment permission requested",
        ));
    }
    Ok(at)
}

fn edit_comment(
    world: &mut World,
    caller: &Caller,
    card: Option<&str>,
    action: &str,
    p: &Params,
) -> Answer {
    let text = p
        .str("text")
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ApiError::invalid_value("text"))?;
    let at = own_comment(world, caller, card, action)?;
    world.actions[at].data["text"] = json!(text);
    Ok(world.action_json(&world.actions[at]))
}

fn delete_comment(world: &mut World, caller: &Caller, card: Option<&str>, action: &str) -> Answer {
    let at = own_comment(world, caller, card, action)?;
    world.actions.remove(at);
    Ok(json!({"_value": null}))
}

/// `PUT /checklists/{id}` (and `/checklists/{id}/name|pos` with `value=`).
fn update_checklist(world: &mut World, id: &str, p: &Params) -> Answer {
    let name = p.str("name");
    if name
        .as_deref()
        .is_some_and(|n| n.is_empty() || n.chars().count() > 16384)
    {
        return Err(ApiError::invalid_value("name"));
    }
    let pos = p.pos("pos")?;
    let card = world
        .checklists
        .get(id)
        .map(|l| l.id_card.clone())
        .ok_or_else(ApiError::not_found)?;
    let others: Vec<f64> = world
        .checklists
        .values()
        .filter(|l| l.id_card == card && l.id != id)
        .map(|l| l.pos)
        .collect();
    let l = world.checklists.get_mut(id).expect("found above");
    if let Some(name) = name {
        l.name = name;
    }
    match pos {
        Some(Pos::At(x)) => l.pos = x,
        Some(Pos::Top) => l.pos = others.iter().copied().fold(2.0 * POS_STEP, f64::min) / 2.0,
        Some(Pos::Bottom) => l.pos = others.iter().copied().fold(0.0, f64::max) + POS_STEP,
        None => {}
    }
    let l = l.clone();
    Ok(world.checklist_json(&l))
}

/// A board by id or short link.
fn board_id(world: &World, s: &str) -> Result<Id, ApiError> {
    if is_id(s) {
        return world
            .boards
            .contains_key(s)
            .then(|| s.to_owned())
            .ok_or_else(ApiError::not_found);
    }
    world
        .boards
        .values()
        .find(|b| b.short_link == s)
        .map(|b| b.id.clone())
        .ok_or_else(ApiError::invalid_id)
}

/// The parameters of a board read that nests everything, open and closed.
pub fn everything() -> Params {
    let mut p = Params::default();
    for (k, v) in [
        ("fields", "all"),
        ("lists", "all"),
        ("cards", "all"),
        ("checklists", "all"),
        ("labels", "all"),
        ("members", "all"),
        ("customFields", "true"),
        ("card_customFieldItems", "true"),
    ] {
        p.0.insert(k.to_owned(), Value::String(v.to_owned()));
    }
    p
}

/// `GET /boards/{id}` with its nested resources.
pub fn nested_board(world: &World, id: &str, p: &Params) -> Answer {
    const DEFAULT_FIELDS: &str =
        "name,desc,descData,closed,idOrganization,pinned,url,shortUrl,prefs,labelNames";
    let b = world.boards.get(id).ok_or_else(ApiError::not_found)?;
    let fields = Fields::parse(
        Some(p.str("fields").as_deref().unwrap_or(DEFAULT_FIELDS)),
        Fields::All,
    );
    let mut out = world.board_json(b, &fields);
    let obj = out.as_object_mut().expect("a board is an object");

    if let Some(filter) = p.str("lists").filter(|f| f != "none") {
        let lists = board_lists(world, id, &filter, &sub_params(p, "list_"))?;
        obj.insert("lists".into(), lists);
    }
    if let Some(filter) = p.str("cards").filter(|f| f != "none") {
        let mut cards = board_cards(world, id, &filter, &sub_params(p, "card_"))?;
        if p.bool("card_customFieldItems")?.unwrap_or(false) {
            for c in cards.as_array_mut().into_iter().flatten() {
                let cid = c["id"].as_str().unwrap_or("").to_owned();
                if let Some(card) = world.cards.get(&cid) {
                    c["customFieldItems"] = Value::Array(
                        card.custom_field_items
                            .iter()
                            .map(|i| world.custom_field_item_json(card, i))
                            .collect(),
                    );
                }
            }
        }
        obj.insert("cards".into(), cards);
    }
    if p.str("checklists").is_some_and(|f| f != "none") {
        obj.insert(
            "checklists".into(),
            Value::Array(board_checklists(world, id)),
        );
    }
    if p.str("labels").is_some_and(|f| f != "none") {
        obj.insert("labels".into(), Value::Array(board_labels(world, id)));
    }
    if p.str("members").is_some_and(|f| f != "none") {
        obj.insert("members".into(), Value::Array(board_members(world, id)));
    }
    if p.bool("customFields")?.unwrap_or(false) {
        obj.insert(
            "customFields".into(),
            Value::Array(board_custom_fields(world, id)),
        );
    }
    if let Some(filter) = p.str("actions").filter(|f| f != "none") {
        // Nested, the filter is `actions` itself and the limit `actions_limit`.
        let mut nested = Params::default();
        nested.0.insert("filter".into(), json!(filter));
        if let Some(limit) = p.0.get("actions_limit") {
            nested.0.insert("limit".into(), limit.clone());
        }
        obj.insert("actions".into(), actions(world, |a| a.id_board == id, &nested));
    }
    Ok(out)
}

/// `card_fields=...` → `fields=...` for the nested read.
fn sub_params(p: &Params, prefix: &str) -> Params {
    let mut out = Params::default();
    if let Some(v) = p.0.get(&format!("{prefix}fields")) {
        out.0.insert("fields".into(), v.clone());
    }
    out
}

fn board_lists(world: &World, id: &str, filter: &str, p: &Params) -> Answer {
    let keep = |closed: bool| match filter {
        "all" => Ok(true),
        "open" => Ok(!closed),
        "closed" => Ok(closed),
        "none" => Ok(false),
        _ => Err(ApiError::invalid_value("filter")),
    };
    keep(false)?;
    let fields = Fields::parse(p.str("fields").as_deref(), Fields::All);
    let mut lists: Vec<_> = world
        .lists
        .values()
        .filter(|l| l.id_board == id && keep(l.closed).unwrap_or(false))
        .collect();
    lists.sort_by(|a, b| a.pos.total_cmp(&b.pos));
    Ok(Value::Array(
        lists.iter().map(|l| world.list_json(l, &fields)).collect(),
    ))
}

fn board_cards(world: &World, id: &str, filter: &str, p: &Params) -> Answer {
    let list_closed = |c: &Card| world.lists.get(&c.id_list).is_some_and(|l| l.closed);
    let keep = |c: &Card| -> Result<bool, ApiError> {
        match filter {
            "all" => Ok(true),
            "open" => Ok(!c.closed),
            "closed" => Ok(c.closed),
            "visible" => Ok(!c.closed && !list_closed(c)),
            "none" => Ok(false),
            _ => Err(ApiError::invalid_value("filter")),
        }
    };
    let fields = Fields::parse(p.str("fields").as_deref(), Fields::All);
    let mut cards = Vec::new();
    for c in world.cards.values().filter(|c| c.id_board == id) {
        if keep(c)? {
            cards.push(c);
        }
    }
    // By list position, then card position, as Trello lists a board.
    let list_pos = |c: &Card| world.lists.get(&c.id_list).map_or(0.0, |l| l.pos);
    cards.sort_by(|a, b| {
        list_pos(a)
            .total_cmp(&list_pos(b))
            .then(a.pos.total_cmp(&b.pos))
            .then(a.id.cmp(&b.id))
    });
    Ok(Value::Array(
        cards.iter().map(|c| world.card_json(c, &fields)).collect(),
    ))
}

fn board_checklists(world: &World, id: &str) -> Vec<Value> {
    let mut lists: Vec<&Checklist> = world
        .checklists
        .values()
        .filter(|l| l.id_board == id)
        .collect();
    lists.sort_by(|a, b| a.id_card.cmp(&b.id_card).then(a.pos.total_cmp(&b.pos)));
    lists.iter().map(|l| world.checklist_json(l)).collect()
}

fn board_labels(world: &World, id: &str) -> Vec<Value> {
    let mut labels: Vec<&Label> = world.labels.values().filter(|l| l.id_board == id).collect();
    labels.sort_by(|a, b| a.id.cmp(&b.id));
    labels.iter().map(|l| world.label_json(l)).collect()
}

fn board_members(world: &World, id: &str) -> Vec<Value> {
    world.boards[id]
        .members
        .iter()
        .filter_map(|m| world.members.get(m))
        .map(|m| world.member_json(m))
        .collect()
}

fn board_custom_fields(world: &World, id: &str) -> Vec<Value> {
    let mut fields: Vec<&CustomField> = world
        .custom_fields
        .values()
        .filter(|f| f.id_board == id)
        .collect();
    fields.sort_by(|a, b| a.pos.total_cmp(&b.pos));
    fields.iter().map(|f| world.custom_field_json(f)).collect()
}

fn actions(world: &World, keep: impl Fn(&super::world::Action) -> bool, p: &Params) -> Value {
    // `commentCard,updateCard:idList`: a type, or a type whose change touched that field.
    let types: Option<Vec<(String, Option<String>)>> =
        p.str("filter").filter(|f| f != "all").map(|f| {
            f.split(',')
                .map(|t| match t.trim().split_once(':') {
                    Some((kind, field)) => (kind.to_owned(), Some(field.to_owned())),
                    None => (t.trim().to_owned(), None),
                })
                .collect()
        });
    let wanted = |a: &super::world::Action| {
        types.as_ref().is_none_or(|t| {
            t.iter().any(|(kind, field)| {
                *kind == a.kind
                    && field
                        .as_deref()
                        .is_none_or(|f| a.data["old"].get(f).is_some())
            })
        })
    };
    let limit = p
        .str("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(50);
    Value::Array(
        world
            .actions
            .iter()
            .rev()
            .filter(|a| keep(a))
            .filter(|a| wanted(a))
            .take(limit)
            .map(|a| world.action_json(a))
            .collect(),
    )
}

fn create_list(world: &mut World, board: &str, p: &Params, default: Pos) -> Answer {
    let name = p
        .str("name")
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::invalid_value("name"))?;
    let pos = match p.pos("pos")?.unwrap_or(default) {
        Pos::Top => world.top_list_pos(board),
        Pos::Bottom => world.bottom_list_pos(board),
        Pos::At(x) => x,
    };
    let id = world.add_list(board, &name, Some(pos));
    Ok(world.list_json(&world.lists[&id], &Fields::All))
}

fn update_list(world: &mut World, id: &str, p: &Params) -> Answer {
    let closed = p.bool("closed")?;
    let pos = p.pos("pos")?;
    let board = world
        .lists
        .get(id)
        .map(|l| l.id_board.clone())
        .ok_or_else(ApiError::not_found)?;
    let pos = pos.map(|pos| match pos {
        Pos::Top => world.top_list_pos(&board),
        Pos::Bottom => world.bottom_list_pos(&board),
        Pos::At(x) => x,
    });
    let l = world.lists.get_mut(id).ok_or_else(ApiError::not_found)?;
    if let Some(name) = p.str("name") {
        if name.trim().is_empty() {
            return Err(ApiError::invalid_value("name"));
        }
        l.name = name;
    }
    if let Some(c) = closed {
        l.closed = c;
    }
    if let Some(x) = pos {
        l.pos = x;
    }
    let l = l.clone();
    Ok(world.list_json(&l, &Fields::All))
}

fn create_label(world: &mut World, board: &str, p: &Params) -> Answer {
    let name = p
        .str("name")
        .ok_or_else(|| ApiError::invalid_value("name"))?;
    const COLORS: &[&str] = &[
        "yellow", "purple", "blue", "red", "green", "orange", "black", "sky", "pink", "lime",
    ];
    let color = match p.str("color").as_deref() {
        None | Some("") | Some("null") => None,
        Some(c) if COLORS.contains(&c) => Some(c.to_owned()),
        Some(_) => return Err(ApiError::invalid_value("color")),
    };
    let id = world.ids.next();
    let label = Label {
        id: id.clone(),
        id_board: board.to_owned(),
        name,
        color,
    };
    let v = world.label_json(&label);
    world.labels.insert(id, label);
    Ok(v)
}

fn get_card(world: &World, id: &str, p: &Params) -> Answer {
    let card = world.cards.get(id).ok_or_else(ApiError::not_found)?;
    let mut v = world.card_json(
        card,
        &Fields::parse(p.str("fields").as_deref(), Fields::All),
    );
    if p.str("checklists").is_some_and(|c| c != "none") {
        v["checklists"] = Value::Array(
            world
                .card_checklists(card)
                .iter()
                .map(|l| world.checklist_json(l))
                .collect(),
        );
    }
    if p.bool("customFieldItems")?.unwrap_or(false) {
        v["customFieldItems"] = Value::Array(
            card.custom_field_items
                .iter()
                .map(|i| world.custom_field_item_json(card, i))
                .collect(),
        );
    }
    Ok(v)
}

/// Which parts of a source card a copy keeps.
fn keeps(p: &Params) -> Result<Vec<String>, ApiError> {
    const PARTS: &[&str] = &[
        "all",
        "attachments",
        "checklists",
        "comments",
        "customFields",
        "due",
        "start",
        "labels",
        "members",
        "stickers",
    ];
    let value = p.str("keepFromSource").unwrap_or_else(|| "all".to_owned());
    let parts: Vec<String> = value
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if parts.iter().all(|s| PARTS.contains(&s.as_str())) {
        Ok(parts)
    } else {
        Err(ApiError::invalid_value("keepFromSource"))
    }
}

fn create_card(world: &mut World, caller: &Caller, p: &Params) -> Answer {
    let list_id = p.id("idList")?;
    let list = world
        .lists
        .get(&list_id)
        .cloned()
        .ok_or_else(|| ApiError::invalid_value("idList"))?;
    let source = match p.opt_id("idCardSource")? {
        Some(s) => Some(
            world
                .cards
                .get(&s)
                .cloned()
                .ok_or_else(|| ApiError::invalid_value("idCardSource"))?,
        ),
        None => None,
    };
    let keep = if source.is_some() {
        keeps(p)?
    } else {
        Vec::new()
    };
    let kept = |part: &str| keep.iter().any(|k| k == "all" || k == part);
    let due = p.when("due")?;
    let start = p.when("start")?;
    let members = p.ids("idMembers")?;
    let labels = p.ids("idLabels")?;
    let due_complete = p.bool("dueComplete")?;
    for m in members.iter().flatten() {
        if !world.members.contains_key(m) {
            return Err(ApiError::invalid_value("idMembers"));
        }
    }
    for l in labels.iter().flatten() {
        if world
            .labels
            .get(l)
            .is_none_or(|l| l.id_board != list.id_board)
        {
            return Err(ApiError::invalid_value("idLabels"));
        }
    }
    let name = p
        .str("name")
        .or_else(|| source.as_ref().map(|s| s.name.clone()))
        .unwrap_or_default();
    let desc = p
        .str("desc")
        .or_else(|| source.as_ref().map(|s| s.desc.clone()))
        .unwrap_or_default();
    if name.chars().count() > 16384 || desc.chars().count() > 16384 {
        return Err(ApiError::invalid_value(if desc.chars().count() > 16384 {
            "desc"
        } else {
            "name"
        }));
    }
    let pos = world.card_pos(&list_id, p.pos("pos")?.unwrap_or(Pos::Bottom));
    let id = world.ids.next();
    let board = world
        .boards
        .get_mut(&list.id_board)
        .ok_or_else(ApiError::not_found)?;
    let id_short = board.next_short;
    board.next_short += 1;
    let from = |part: &str| source.as_ref().filter(|_| kept(part));
    let mut card = Card {
        id: id.clone(),
        id_board: list.id_board.clone(),
        id_list: list_id,
        name,
        desc,
        closed: false,
        pos,
        due: due.unwrap_or_else(|| from("due").and_then(|s| s.due)),
        start: start.unwrap_or_else(|| from("start").and_then(|s| s.start)),
        due_complete: due_complete.unwrap_or(false),
        id_members: members.unwrap_or_else(|| {
            from("members")
                .map(|s| s.id_members.clone())
                .unwrap_or_default()
        }),
        id_labels: labels.unwrap_or_else(|| {
            from("labels")
                .map(|s| s.id_labels.clone())
                .unwrap_or_default()
        }),
        id_checklists: Vec::new(),
        id_short,
        short_link: short_link(),
        last_activity: Timestamp::now(),
        custom_field_items: Vec::new(),
    };
    if let Some(src) = from("customFields") {
        card.custom_field_items = src
            .custom_field_items
            .iter()
            .map(|i| CustomFieldItem {
                id: world.ids.next(),
                ..i.clone()
            })
            .collect();
    }
    if let Some(src) = from("checklists") {
        for cl in world
            .card_checklists(src)
            .into_iter()
            .cloned()
            .collect::<Vec<_>>()
        {
            let new_id = world.ids.next();
            let items = cl
                .items
                .iter()
                .map(|i| CheckItem {
                    id: world.ids.next(),
                    ..i.clone()
                })
                .collect();
            world.checklists.insert(
                new_id.clone(),
                Checklist {
                    id: new_id.clone(),
                    id_board: card.id_board.clone(),
                    id_card: id.clone(),
                    name: cl.name.clone(),
                    pos: cl.pos,
                    items,
                },
            );
            card.id_checklists.push(new_id);
        }
    }
    let data = json!({"card": {"id": id, "name": card.name}, "list": {"id": card.id_list}});
    let board_id = card.id_board.clone();
    let kind = if source.is_some() {
        "copyCard"
    } else {
        "createCard"
    };
    world.cards.insert(id.clone(), card);
    world.add_action(&board_id, Some(&id), kind, &caller.member, data);
    let mut v = world.card_json(&world.cards[&id], &Fields::All);
    v["attachments"] = json!([]);
    v["stickers"] = json!([]);
    v["limits"] = json!({});
    Ok(v)
}

fn update_card(world: &mut World, caller: &Caller, id: &str, p: &Params) -> Answer {
    let card = world
        .cards
        .get(id)
        .cloned()
        .ok_or_else(ApiError::not_found)?;
    let mut next = card.clone();
    if let Some(name) = p.str("name") {
        if name.trim().is_empty() {
            return Err(ApiError::invalid_value("name"));
        }
        next.name = name;
    }
    if let Some(desc) = p.str("desc") {
        if desc.chars().count() > 16384 {
            return Err(ApiError::invalid_value("desc"));
        }
        next.desc = desc;
    }
    if let Some(c) = p.bool("closed")? {
        next.closed = c;
    }
    if let Some(c) = p.bool("dueComplete")? {
        next.due_complete = c;
    }
    if let Some(d) = p.when("due")? {
        next.due = d;
    }
    if let Some(s) = p.when("start")? {
        next.start = s;
    }
    if let Some(list) = p.opt_id("idList")? {
        let l = world
            .lists
            .get(&list)
            .ok_or_else(|| ApiError::invalid_value("idList"))?;
        if l.id_board != card.id_board {
            return Err(ApiError::invalid_value("idList"));
        }
        next.id_list = list;
    }
    if let Some(members) = p.ids("idMembers")? {
        if members.iter().any(|m| !world.members.contains_key(m)) {
            return Err(ApiError::invalid_value("idMembers"));
        }
        next.id_members = members;
    }
    if let Some(labels) = p.ids("idLabels")? {
        if labels.iter().any(|l| {
            world
                .labels
                .get(l)
                .is_none_or(|l| l.id_board != card.id_board)
        }) {
            return Err(ApiError::invalid_value("idLabels"));
        }
        next.id_labels = labels;
    }
    if let Some(pos) = p.pos("pos")? {
        next.pos = world.card_pos(&next.id_list, pos);
    }
    next.last_activity = Timestamp::now();
    let mut old = json!({});
    if next.id_list != card.id_list {
        old["idList"] = json!(card.id_list);
    }
    if next.closed != card.closed {
        old["closed"] = json!(card.closed);
    }
    if next.due_complete != card.due_complete {
        old["dueComplete"] = json!(card.due_complete);
    }
    let data = json!({"card": {"id": id, "name": next.name}, "old": old});
    let board = next.id_board.clone();
    world.cards.insert(id.to_owned(), next);
    world.add_action(&board, Some(id), "updateCard", &caller.member, data);
    Ok(world.card_json(&world.cards[id], &Fields::All))
}

fn create_checklist(world: &mut World, card_id: &str, p: &Params) -> Answer {
    let card = world
        .cards
        .get(card_id)
        .cloned()
        .ok_or_else(ApiError::not_found)?;
    let source = match p.opt_id("idChecklistSource")? {
        Some(s) => Some(
            world
                .checklists
                .get(&s)
                .cloned()
                .ok_or_else(|| ApiError::invalid_value("idChecklistSource"))?,
        ),
        None => None,
    };
    let existing: Vec<f64> = world.card_checklists(&card).iter().map(|l| l.pos).collect();
    let pos = match p.pos("pos")?.unwrap_or(Pos::Bottom) {
        Pos::Top => {
            existing
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min)
                .min(2.0 * POS_STEP)
                / 2.0
        }
        Pos::Bottom => existing.iter().copied().fold(0.0, f64::max) + POS_STEP,
        Pos::At(x) => x,
    };
    let id = world.ids.next();
    let items = source
        .as_ref()
        .map(|s| {
            s.items
                .iter()
                .map(|i| CheckItem {
                    id: world.ids.next(),
                    ..i.clone()
                })
                .collect()
        })
        .unwrap_or_default();
    let name = p
        .str("name")
        .or_else(|| source.as_ref().map(|s| s.name.clone()))
        .unwrap_or_else(|| "Checklist".to_owned());
    let list = Checklist {
        id: id.clone(),
        id_board: card.id_board.clone(),
        id_card: card_id.to_owned(),
        name,
        pos,
        items,
    };
    let v = world.checklist_json(&list);
    world.checklists.insert(id.clone(), list);
    if let Some(c) = world.cards.get_mut(card_id) {
        c.id_checklists.push(id);
        c.last_activity = Timestamp::now();
    }
    Ok(v)
}

fn create_check_item(world: &mut World, caller: &Caller, list_id: &str, p: &Params) -> Answer {
    let name = p
        .str("name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::invalid_value("name"))?;
    let checked = p.bool("checked")?.unwrap_or(false);
    let due = p.when("due")?.flatten();
    let member = p.opt_id("idMember")?;
    if member
        .as_ref()
        .is_some_and(|m| !world.members.contains_key(m))
    {
        return Err(ApiError::invalid_value("idMember"));
    }
    let pos = p.pos("pos")?;
    let list = world
        .checklists
        .get_mut(list_id)
        .ok_or_else(ApiError::not_found)?;
    let pos = match pos.unwrap_or(Pos::Bottom) {
        Pos::Top => {
            list.items
                .iter()
                .map(|i| i.pos)
                .fold(2.0 * POS_STEP, f64::min)
                / 2.0
        }
        Pos::Bottom => list.items.iter().map(|i| i.pos).fold(0.0, f64::max) + POS_STEP,
        Pos::At(x) => x,
    };
    let id = world.ids.next();
    let item = CheckItem {
        id: id.clone(),
        name,
        complete: checked,
        pos,
        due,
        id_member: member,
    };
    list.items.push(item.clone());
    let list = list.clone();
    if let Some(c) = world.cards.get_mut(&list.id_card) {
        c.last_activity = Timestamp::now();
    }
    let _ = caller;
    let mut v = world.check_item_json(&list, &item);
    v["limits"] = json!({});
    Ok(v)
}

fn find_item(
    world: &World,
    card: Option<&str>,
    list: Option<&str>,
    item: &str,
) -> Option<(Id, usize)> {
    world
        .checklists
        .values()
        .filter(|l| card.is_none_or(|c| l.id_card == c) && list.is_none_or(|x| l.id == x))
        .find_map(|l| {
            l.items
                .iter()
                .position(|i| i.id == item)
                .map(|at| (l.id.clone(), at))
        })
}

fn update_check_item(
    world: &mut World,
    caller: &Caller,
    card: &str,
    list: Option<&str>,
    item: &str,
    p: &Params,
) -> Answer {
    if !world.cards.contains_key(card) {
        return Err(ApiError::not_found());
    }
    let (from, at) = find_item(world, Some(card), list, item).ok_or_else(ApiError::not_found)?;
    let state = match p.str("state").as_deref() {
        None => None,
        Some("complete" | "true") => Some(true),
        Some("incomplete" | "false") => Some(false),
        Some(_) => return Err(ApiError::invalid_value("state")),
    };
    let due = p.when("due")?;
    let member = if p.has("idMember") {
        Some(p.opt_id("idMember")?)
    } else {
        None
    };
    if let Some(Some(m)) = &member
        && !world.members.contains_key(m)
    {
        return Err(ApiError::invalid_value("idMember"));
    }
    let target = match p.opt_id("idChecklist")? {
        Some(t) if t != from => {
            let tl = world
                .checklists
                .get(&t)
                .ok_or_else(|| ApiError::invalid_value("idChecklist"))?;
            if tl.id_card != card {
                return Err(ApiError::invalid_value("idChecklist"));
            }
            Some(t)
        }
        _ => None,
    };
    let pos = p.pos("pos")?;
    let mut it = world
        .checklists
        .get_mut(&from)
        .expect("found above")
        .items
        .remove(at);
    if let Some(name) = p.str("name") {
        if name.is_empty() {
            world
                .checklists
                .get_mut(&from)
                .expect("found above")
                .items
                .insert(at, it);
            return Err(ApiError::invalid_value("name"));
        }
        it.name = name;
    }
    let ticked = state.filter(|s| *s != it.complete);
    if let Some(s) = state {
        it.complete = s;
    }
    if let Some(d) = due {
        it.due = d;
    }
    if let Some(m) = member {
        it.id_member = m;
    }
    let dest = target.unwrap_or(from);
    let dl = world.checklists.get_mut(&dest).expect("checked above");
    if let Some(pos) = pos {
        it.pos = match pos {
            Pos::Top => {
                dl.items
                    .iter()
                    .map(|i| i.pos)
                    .fold(2.0 * POS_STEP, f64::min)
                    / 2.0
            }
            Pos::Bottom => dl.items.iter().map(|i| i.pos).fold(0.0, f64::max) + POS_STEP,
            Pos::At(x) => x,
        };
    }
    dl.items.push(it.clone());
    let dl = dl.clone();
    let board = dl.id_board.clone();
    if let Some(c) = world.cards.get_mut(card) {
        c.last_activity = Timestamp::now();
    }
    if let Some(done) = ticked {
        let data = json!({
            "card": {"id": card},
            "checklist": {"id": dl.id, "name": dl.name},
            "checkItem": {"id": it.id, "name": it.name,
                          "state": if done { "complete" } else { "incomplete" }},
        });
        world.add_action(
            &board,
            Some(card),
            "updateCheckItemStateOnCard",
            &caller.member,
            data,
        );
    }
    Ok(world.check_item_json(&dl, &it))
}

fn delete_check_item(
    world: &mut World,
    card: Option<&str>,
    list: Option<&str>,
    item: &str,
) -> Answer {
    let (from, at) = find_item(world, card, list, item).ok_or_else(ApiError::not_found)?;
    world
        .checklists
        .get_mut(&from)
        .expect("found above")
        .items
        .remove(at);
    Ok(json!({"limits": {}}))
}

fn create_custom_field(world: &mut World, p: &Params) -> Answer {
    let board = p.id("idModel")?;
    let b = world
        .boards
        .get(&board)
        .ok_or_else(|| ApiError::invalid_value("idModel"))?;
    if !b.custom_fields {
        return Err(ApiError::text(
            403,
            "The Custom Fields Power-Up is not enabled on this board",
        ));
    }
    let name = p
        .str("name")
        .ok_or_else(|| ApiError::invalid_value("name"))?;
    let kind = p.str("type").unwrap_or_else(|| "text".to_owned());
    if !["text", "number", "date", "checkbox", "list"].contains(&kind.as_str()) {
        return Err(ApiError::invalid_value("type"));
    }
    let pos = world
        .custom_fields
        .values()
        .filter(|f| f.id_board == board)
        .map(|f| f.pos)
        .fold(0.0, f64::max)
        + POS_STEP;
    let id = world.ids.next();
    let f = CustomField {
        id: id.clone(),
        id_board: board,
        name,
        kind,
        pos,
    };
    let v = world.custom_field_json(&f);
    world.custom_fields.insert(id, f);
    Ok(v)
}

fn set_custom_field_item(world: &mut World, card: &str, field: &str, p: &Params) -> Answer {
    let f = world
        .custom_fields
        .get(field)
        .cloned()
        .ok_or_else(ApiError::not_found)?;
    let c = world.cards.get(card).ok_or_else(ApiError::not_found)?;
    if c.id_board != f.id_board {
        return Err(ApiError::invalid_value("idCustomField"));
    }
    let value = p.0.get("value").cloned().unwrap_or(Value::Null);
    // An empty value (`""` or `{}`) clears the field.
    let clear = match &value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    };
    if !clear {
        let ok = match f.kind.as_str() {
            "text" => value["text"].is_string(),
            "number" => value["number"].is_string(),
            "date" => value["date"].is_string(),
            "checkbox" => value["checked"].is_string(),
            _ => p.0.contains_key("idValue"),
        };
        if !ok {
            return Err(ApiError::invalid_value("value"));
        }
    }
    let id = world.ids.next();
    let c = world.cards.get_mut(card).ok_or_else(ApiError::not_found)?;
    c.custom_field_items.retain(|i| i.id_custom_field != field);
    c.last_activity = Timestamp::now();
    if clear {
        return Ok(
            json!({"id": id, "value": null, "idCustomField": field, "idModel": card, "modelType": "card"}),
        );
    }
    let item = CustomFieldItem {
        id,
        id_custom_field: field.to_owned(),
        value,
    };
    c.custom_field_items.push(item.clone());
    let c = c.clone();
    Ok(world.custom_field_item_json(&c, &item))
}
