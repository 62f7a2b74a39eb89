//! Cards, comments, checklists, check items and custom fields.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::params::Params;
use super::server::{Answer, ApiError, Caller};
use super::world::{
    Card, CheckItem, Checklist, CustomField, CustomFieldItem, Fields, Id, POS_STEP, Pos, World,
    short_link,
};

/// `POST /cards/{id}/actions/comments`: a `commentCard` action.
pub(super) fn add_comment(world: &mut World, caller: &Caller, card: &str, p: &Params) -> Answer {
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
pub(super) fn own_comment(
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

pub(super) fn edit_comment(
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

pub(super) fn delete_comment(
    world: &mut World,
    caller: &Caller,
    card: Option<&str>,
    action: &str,
) -> Answer {
    let at = own_comment(world, caller, card, action)?;
    world.actions.remove(at);
    Ok(json!({"_value": null}))
}

/// `PUT /checklists/{id}` (and `/checklists/{id}/name|pos` with `value=`).
pub(super) fn update_checklist(world: &mut World, id: &str, p: &Params) -> Answer {
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

pub(super) fn get_card(world: &World, id: &str, p: &Params) -> Answer {
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
pub(super) fn keeps(p: &Params) -> Result<Vec<String>, ApiError> {
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

pub(super) fn create_card(world: &mut World, caller: &Caller, p: &Params) -> Answer {
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
    let due_complete = p.bool("dueComplete")?;
    let (members, labels) = members_and_labels(world, p, &list.id_board)?;
    let (name, desc) = name_and_desc(p, source.as_ref())?;
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
        card.custom_field_items = copy_field_items(world, src);
    }
    if let Some(src) = from("checklists") {
        copy_checklists(world, src, &mut card);
    }
    let kind = if source.is_some() {
        "copyCard"
    } else {
        "createCard"
    };
    Ok(card_made(world, card, kind, &caller.member))
}

/// A new card's members and labels, each when given.
type MembersAndLabels = (Option<Vec<Id>>, Option<Vec<Id>>);

/// `idMembers` and `idLabels` of a new card, each checked (labels of the card's board).
fn members_and_labels(
    world: &World,
    p: &Params,
    board: &str,
) -> Result<MembersAndLabels, ApiError> {
    let members = p.ids("idMembers")?;
    let labels = p.ids("idLabels")?;
    if members
        .iter()
        .flatten()
        .any(|m| !world.members.contains_key(m))
    {
        return Err(ApiError::invalid_value("idMembers"));
    }
    let foreign = |l: &Id| world.labels.get(l).is_none_or(|l| l.id_board != board);
    if labels.iter().flatten().any(foreign) {
        return Err(ApiError::invalid_value("idLabels"));
    }
    Ok((members, labels))
}

/// A new card's name and description: given, or the source card's; at most 16,384 characters.
fn name_and_desc(p: &Params, source: Option<&Card>) -> Result<(String, String), ApiError> {
    let name = p
        .str("name")
        .or_else(|| source.map(|s| s.name.clone()))
        .unwrap_or_default();
    let desc = p
        .str("desc")
        .or_else(|| source.map(|s| s.desc.clone()))
        .unwrap_or_default();
    if desc.chars().count() > 16384 {
        return Err(ApiError::invalid_value("desc"));
    }
    if name.chars().count() > 16384 {
        return Err(ApiError::invalid_value("name"));
    }
    Ok((name, desc))
}

/// Copies of the source card's custom field values (new ids).
fn copy_field_items(world: &mut World, src: &Card) -> Vec<CustomFieldItem> {
    src.custom_field_items
        .iter()
        .map(|i| CustomFieldItem {
            id: world.ids.next(),
            ..i.clone()
        })
        .collect()
}

/// Copies of the source card's checklists (new ids) on `card`.
fn copy_checklists(world: &mut World, src: &Card, card: &mut Card) {
    let lists: Vec<Checklist> = world.card_checklists(src).into_iter().cloned().collect();
    for cl in lists {
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
                id_card: card.id.clone(),
                name: cl.name.clone(),
                pos: cl.pos,
                items,
            },
        );
        card.id_checklists.push(new_id);
    }
}

/// Keep a new card, record its action, and answer as `POST /cards` does.
fn card_made(world: &mut World, card: Card, kind: &str, member: &str) -> Value {
    let data = json!({"card": {"id": card.id, "name": card.name}, "list": {"id": card.id_list}});
    let (id, board) = (card.id.clone(), card.id_board.clone());
    world.cards.insert(id.clone(), card);
    world.add_action(&board, Some(&id), kind, member, data);
    let mut v = world.card_json(&world.cards[&id], &Fields::All);
    v["attachments"] = json!([]);
    v["stickers"] = json!([]);
    v["limits"] = json!({});
    v
}

pub(super) fn update_card(world: &mut World, caller: &Caller, id: &str, p: &Params) -> Answer {
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

pub(super) fn create_checklist(world: &mut World, card_id: &str, p: &Params) -> Answer {
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

pub(super) fn create_check_item(
    world: &mut World,
    caller: &Caller,
    list_id: &str,
    p: &Params,
) -> Answer {
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

pub(super) fn find_item(
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

/// What a `PUT` of a check item asks for, checked.
struct ItemEdit {
    name: Option<String>,
    state: Option<bool>,
    due: Option<Option<jiff::Timestamp>>,
    member: Option<Option<Id>>,
    /// Another checklist of the same card to move to.
    target: Option<Id>,
    pos: Option<Pos>,
}

fn item_edit(world: &World, card: &str, from: &str, p: &Params) -> Result<ItemEdit, ApiError> {
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
    let name = p.str("name");
    if name.as_deref() == Some("") {
        return Err(ApiError::invalid_value("name"));
    }
    Ok(ItemEdit {
        name,
        state,
        due,
        member,
        target,
        pos,
    })
}

/// Where an item put at `pos` goes among `items`.
fn item_pos(items: &[CheckItem], pos: Pos) -> f64 {
    match pos {
        Pos::Top => items.iter().map(|i| i.pos).fold(2.0 * POS_STEP, f64::min) / 2.0,
        Pos::Bottom => items.iter().map(|i| i.pos).fold(0.0, f64::max) + POS_STEP,
        Pos::At(x) => x,
    }
}

pub(super) fn update_check_item(
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
    let edit = item_edit(world, card, &from, p)?;
    let mut it = world
        .checklists
        .get_mut(&from)
        .expect("found above")
        .items
        .remove(at);
    if let Some(name) = edit.name {
        it.name = name;
    }
    let ticked = edit.state.filter(|s| *s != it.complete);
    if let Some(s) = edit.state {
        it.complete = s;
    }
    if let Some(d) = edit.due {
        it.due = d;
    }
    if let Some(m) = edit.member {
        it.id_member = m;
    }
    let dest = edit.target.unwrap_or(from);
    let dl = world.checklists.get_mut(&dest).expect("checked above");
    if let Some(pos) = edit.pos {
        it.pos = item_pos(&dl.items, pos);
    }
    dl.items.push(it.clone());
    let dl = dl.clone();
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
        let kind = "updateCheckItemStateOnCard";
        world.add_action(&dl.id_board, Some(card), kind, &caller.member, data);
    }
    Ok(world.check_item_json(&dl, &it))
}

pub(super) fn delete_check_item(
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

pub(super) fn create_custom_field(world: &mut World, p: &Params) -> Answer {
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

pub(super) fn set_custom_field_item(
    world: &mut World,
    card: &str,
    field: &str,
    p: &Params,
) -> Answer {
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
