//! Boards, their members, lists, labels and actions, and the nested board read.

use serde_json::{Value, json};

use super::params::Params;
use super::server::{Answer, ApiError, Caller};
use super::world::{Card, Checklist, CustomField, Fields, Id, Label, Pos, World, is_id};

/// The kinds of board membership.
pub(super) const MEMBER_TYPES: &[&str] = &["admin", "normal", "observer"];

/// `POST /boards`: a new board; the caller is its admin.
pub(super) fn create_board(world: &mut World, caller: &Caller, p: &Params) -> Answer {
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
pub(super) fn add_board_member(
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
pub(super) fn invite_board_member(
    world: &mut World,
    caller: &Caller,
    board: &str,
    p: &Params,
) -> Answer {
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
pub(super) fn board_memberships(world: &World, board: &str) -> Value {
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
pub(super) fn membership_id(board: &str, member: &str) -> String {
    use std::hash::{Hash, Hasher};
    let half = |salt: u8| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (salt, board, member).hash(&mut h);
        h.finish()
    };
    format!("{:016x}{:08x}", half(0), half(1) as u32)
}

/// A board by id or short link.
pub(super) fn board_id(world: &World, s: &str) -> Result<Id, ApiError> {
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
        obj.insert(
            "actions".into(),
            actions(world, |a| a.id_board == id, &nested),
        );
    }
    Ok(out)
}

/// `card_fields=...` → `fields=...` for the nested read.
pub(super) fn sub_params(p: &Params, prefix: &str) -> Params {
    let mut out = Params::default();
    if let Some(v) = p.0.get(&format!("{prefix}fields")) {
        out.0.insert("fields".into(), v.clone());
    }
    out
}

pub(super) fn board_lists(world: &World, id: &str, filter: &str, p: &Params) -> Answer {
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

pub(super) fn board_cards(world: &World, id: &str, filter: &str, p: &Params) -> Answer {
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

pub(super) fn board_checklists(world: &World, id: &str) -> Vec<Value> {
    let mut lists: Vec<&Checklist> = world
        .checklists
        .values()
        .filter(|l| l.id_board == id)
        .collect();
    lists.sort_by(|a, b| a.id_card.cmp(&b.id_card).then(a.pos.total_cmp(&b.pos)));
    lists.iter().map(|l| world.checklist_json(l)).collect()
}

pub(super) fn board_labels(world: &World, id: &str) -> Vec<Value> {
    let mut labels: Vec<&Label> = world.labels.values().filter(|l| l.id_board == id).collect();
    labels.sort_by(|a, b| a.id.cmp(&b.id));
    labels.iter().map(|l| world.label_json(l)).collect()
}

pub(super) fn board_members(world: &World, id: &str) -> Vec<Value> {
    world.boards[id]
        .members
        .iter()
        .filter_map(|m| world.members.get(m))
        .map(|m| world.member_json(m))
        .collect()
}

pub(super) fn board_custom_fields(world: &World, id: &str) -> Vec<Value> {
    let mut fields: Vec<&CustomField> = world
        .custom_fields
        .values()
        .filter(|f| f.id_board == id)
        .collect();
    fields.sort_by(|a, b| a.pos.total_cmp(&b.pos));
    fields.iter().map(|f| world.custom_field_json(f)).collect()
}

pub(super) fn actions(
    world: &World,
    keep: impl Fn(&super::world::Action) -> bool,
    p: &Params,
) -> Value {
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

pub(super) fn create_list(world: &mut World, board: &str, p: &Params, default: Pos) -> Answer {
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

pub(super) fn update_list(world: &mut World, id: &str, p: &Params) -> Answer {
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

pub(super) fn create_label(world: &mut World, board: &str, p: &Params) -> Answer {
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
