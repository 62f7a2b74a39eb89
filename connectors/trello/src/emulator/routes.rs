//! The route table: which request goes to which endpoint, ids checked first as Trello does.

use axum::http::Method;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::boards::*;
use super::cards::*;
use super::params::Params;
use super::server::{Answer, ApiError, Caller};
use super::world::{Card, Fields, Id, Pos, World, is_id};

// The route table: one arm per endpoint, read as a list, not as logic.
#[allow(clippy::too_many_lines)]
pub(super) fn route(
    world: &mut World,
    caller: &Caller,
    method: &Method,
    path: &str,
    p: &Params,
) -> Answer {
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
pub(super) fn by_short_link(world: &World, kind: &str, short: &str) -> Option<Id> {
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
