//! What the emulated Trello holds, and how it renders it as JSON the way Trello does.

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use jiff::Timestamp;
use serde_json::{Map, Value, json};

pub type Id = String;

/// Trello's ids are MongoDB object ids: 4 bytes of seconds, 5 random bytes, a 3-byte counter.
#[derive(Debug)]
pub struct IdGen {
    machine: u64,
    counter: u32,
}

impl IdGen {
    pub fn new() -> Self {
        IdGen {
            machine: rand::random::<u64>() & 0xff_ffff_ffff,
            counter: rand::random::<u32>() & 0xff_ffff,
        }
    }

    pub fn next(&mut self) -> Id {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0) as u32;
        self.counter = (self.counter + 1) & 0xff_ffff;
        format!("{secs:08x}{:010x}{:06x}", self.machine, self.counter)
    }
}

/// A card's or board's short link (8 letters and digits).
pub fn short_link() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..8)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}

/// A 24-hex Trello id.
pub fn is_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Trello's timestamps: UTC, milliseconds, `Z`.
pub fn stamp(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Positions step by this much, as Trello's do.
pub const POS_STEP: f64 = 16384.0;

#[derive(Debug, Clone)]
pub struct Board {
    pub id: Id,
    pub name: String,
    pub desc: String,
    pub closed: bool,
    pub short_link: String,
    pub members: Vec<Id>,
    /// The Custom Fields power-up is on.
    pub custom_fields: bool,
    pub next_short: u64,
    /// `private`, `org` or `public`.
    pub permission_level: String,
    /// Members who are the board's admins (the others on `members` are normal members).
    pub admins: Vec<Id>,
}

#[derive(Debug, Clone)]
pub struct List {
    pub id: Id,
    pub id_board: Id,
    pub name: String,
    pub closed: bool,
    pub pos: f64,
}

#[derive(Debug, Clone)]
pub struct Card {
    pub id: Id,
    pub id_board: Id,
    pub id_list: Id,
    pub name: String,
    pub desc: String,
    pub closed: bool,
    pub pos: f64,
    pub due: Option<Timestamp>,
    pub start: Option<Timestamp>,
    pub due_complete: bool,
    pub id_members: Vec<Id>,
    pub id_labels: Vec<Id>,
    pub id_checklists: Vec<Id>,
    pub id_short: u64,
    pub short_link: String,
    pub last_activity: Timestamp,
    pub custom_field_items: Vec<CustomFieldItem>,
}

#[derive(Debug, Clone)]
pub struct Checklist {
    pub id: Id,
    pub id_board: Id,
    pub id_card: Id,
    pub name: String,
    pub pos: f64,
    pub items: Vec<CheckItem>,
}

#[derive(Debug, Clone)]
pub struct CheckItem {
    pub id: Id,
    pub name: String,
    pub complete: bool,
    pub pos: f64,
    pub due: Option<Timestamp>,
    pub id_member: Option<Id>,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub id: Id,
    pub username: String,
    pub full_name: String,
}

#[derive(Debug, Clone)]
pub struct Label {
    pub id: Id,
    pub id_board: Id,
    pub name: String,
    pub color: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CustomField {
    pub id: Id,
    pub id_board: Id,
    pub name: String,
    /// text, number, date, checkbox, list
    pub kind: String,
    pub pos: f64,
}

#[derive(Debug, Clone)]
pub struct CustomFieldItem {
    pub id: Id,
    pub id_custom_field: Id,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub struct Action {
    pub id: Id,
    pub id_board: Id,
    pub id_card: Option<Id>,
    pub kind: String,
    pub date: Timestamp,
    pub id_member_creator: Id,
    pub data: Value,
}

/// An API key and the tokens issued for it (each token acts as one member).
#[derive(Debug, Clone)]
pub struct Token {
    pub key: String,
    pub member: Id,
}

/// Everything the emulator holds.
#[derive(Debug)]
pub struct World {
    pub ids: IdGen,
    pub boards: BTreeMap<Id, Board>,
    pub lists: HashMap<Id, List>,
    pub cards: HashMap<Id, Card>,
    pub checklists: HashMap<Id, Checklist>,
    pub members: HashMap<Id, Member>,
    pub labels: HashMap<Id, Label>,
    pub custom_fields: HashMap<Id, CustomField>,
    pub actions: Vec<Action>,
    pub keys: Vec<String>,
    pub tokens: HashMap<String, Token>,
    /// Members invited to a board by e-mail (`PUT /boards/{id}/members`), by lower-cased
    /// address, so a second invitation finds the same member.
    pub invited: HashMap<String, Id>,
    pub hooks: super::webhooks::Hooks,
}

impl World {
    pub fn new() -> Self {
        World {
            ids: IdGen::new(),
            boards: BTreeMap::new(),
            lists: HashMap::new(),
            cards: HashMap::new(),
            checklists: HashMap::new(),
            members: HashMap::new(),
            labels: HashMap::new(),
            custom_fields: HashMap::new(),
            actions: Vec::new(),
            keys: Vec::new(),
            tokens: HashMap::new(),
            invited: HashMap::new(),
            hooks: Default::default(),
        }
    }

    pub fn add_member(&mut self, username: &str, full_name: &str) -> Id {
        let id = self.ids.next();
        self.members.insert(
            id.clone(),
            Member {
                id: id.clone(),
                username: username.to_owned(),
                full_name: full_name.to_owned(),
            },
        );
        id
    }

    pub fn add_board(&mut self, name: &str) -> Id {
        let id = self.ids.next();
        self.boards.insert(
            id.clone(),
            Board {
                id: id.clone(),
                name: name.to_owned(),
                desc: String::new(),
                closed: false,
                short_link: short_link(),
                members: Vec::new(),
                custom_fields: false,
                next_short: 1,
                permission_level: "private".to_owned(),
                admins: Vec::new(),
            },
        );
        // Trello gives every new board six coloured labels without names.
        for color in ["green", "yellow", "orange", "red", "purple", "blue"] {
            let lid = self.ids.next();
            self.labels.insert(
                lid.clone(),
                Label {
                    id: lid,
                    id_board: id.clone(),
                    name: String::new(),
                    color: Some(color.to_owned()),
                },
            );
        }
        id
    }

    pub fn add_list(&mut self, board: &str, name: &str, pos: Option<f64>) -> Id {
        let id = self.ids.next();
        let pos = pos.unwrap_or_else(|| self.bottom_list_pos(board));
        self.lists.insert(
            id.clone(),
            List {
                id: id.clone(),
                id_board: board.to_owned(),
                name: name.to_owned(),
                closed: false,
                pos,
            },
        );
        id
    }

    pub fn bottom_list_pos(&self, board: &str) -> f64 {
        self.lists
            .values()
            .filter(|l| l.id_board == board)
            .map(|l| l.pos)
            .fold(0.0, f64::max)
            + POS_STEP
    }

    pub fn top_list_pos(&self, board: &str) -> f64 {
        let min = self
            .lists
            .values()
            .filter(|l| l.id_board == board)
            .map(|l| l.pos)
            .fold(f64::INFINITY, f64::min);
        if min.is_finite() { min / 2.0 } else { POS_STEP }
    }

    pub fn card_pos(&self, list: &str, at: Pos) -> f64 {
        let positions = self
            .cards
            .values()
            .filter(|c| c.id_list == list && !c.closed)
            .map(|c| c.pos);
        match at {
            Pos::Top => {
                let min = positions.fold(f64::INFINITY, f64::min);
                if min.is_finite() { min / 2.0 } else { POS_STEP }
            }
            Pos::Bottom => positions.fold(0.0, f64::max) + POS_STEP,
            Pos::At(p) => p,
        }
    }

    pub fn add_action(
        &mut self,
        board: &str,
        card: Option<&str>,
        kind: &str,
        member: &str,
        data: Value,
    ) {
        let id = self.ids.next();
        self.actions.push(Action {
            id,
            id_board: board.to_owned(),
            id_card: card.map(str::to_owned),
            kind: kind.to_owned(),
            date: Timestamp::now(),
            id_member_creator: member.to_owned(),
            data,
        });
    }

    /// The checklists of a card, in their order.
    pub fn card_checklists(&self, card: &Card) -> Vec<&Checklist> {
        let mut lists: Vec<&Checklist> = card
            .id_checklists
            .iter()
            .filter_map(|id| self.checklists.get(id))
            .collect();
        lists.sort_by(|a, b| a.pos.total_cmp(&b.pos));
        lists
    }

    // --- JSON, the way Trello shapes it ---------------------------------------------------

    pub fn board_json(&self, b: &Board, fields: &Fields) -> Value {
        let mut all = Map::new();
        all.insert("id".into(), json!(b.id));
        all.insert("name".into(), json!(b.name));
        all.insert("desc".into(), json!(b.desc));
        all.insert(
            "descData".into(),
            if b.desc.is_empty() {
                Value::Null
            } else {
                json!({"emoji": {}})
            },
        );
        all.insert("closed".into(), json!(b.closed));
        all.insert("idOrganization".into(), Value::Null);
        all.insert("idEnterprise".into(), Value::Null);
        all.insert("pinned".into(), json!(false));
        all.insert(
            "url".into(),
            json!(format!(
                "https://trello.com/b/{}/{}",
                b.short_link,
                url_slug(&b.name)
            )),
        );
        all.insert(
            "shortUrl".into(),
            json!(format!("https://trello.com/b/{}", b.short_link)),
        );
        all.insert("shortLink".into(), json!(b.short_link));
        all.insert(
            "labelNames".into(),
            json!({"green": "", "yellow": "", "orange": "", "red": "", "purple": "", "blue": "",
                   "sky": "", "lime": "", "pink": "", "black": ""}),
        );
        all.insert(
            "prefs".into(),
            json!({"permissionLevel": b.permission_level, "hideVotes": false, "voting": "disabled",
                   "comments": "members", "invitations": "members", "selfJoin": true,
                   "cardCovers": true, "isTemplate": false, "cardAging": "regular",
                   "calendarFeedEnabled": false, "background": "blue",
                   "backgroundImage": null, "backgroundImageScaled": null,
                   "backgroundTile": false, "backgroundBrightness": "dark",
                   "backgroundColor": "#0079BF", "backgroundBottomColor": "#0079BF",
                   "backgroundTopColor": "#0079BF", "canBePublic": true,
                   "canBeEnterprise": true, "canBeOrg": true, "canBePrivate": true,
                   "canInvite": true}),
        );
        fields.pick(all)
    }

    pub fn list_json(&self, l: &List, fields: &Fields) -> Value {
        let mut all = Map::new();
        all.insert("id".into(), json!(l.id));
        all.insert("name".into(), json!(l.name));
        all.insert("closed".into(), json!(l.closed));
        all.insert("pos".into(), json!(l.pos));
        all.insert("softLimit".into(), Value::Null);
        all.insert("idBoard".into(), json!(l.id_board));
        all.insert("subscribed".into(), json!(false));
        fields.pick(all)
    }

    pub fn label_json(&self, l: &Label) -> Value {
        json!({"id": l.id, "idBoard": l.id_board, "name": l.name, "color": l.color})
    }

    pub fn member_json(&self, m: &Member) -> Value {
        json!({"id": m.id, "username": m.username, "fullName": m.full_name})
    }

    /// A member as `GET /members/{id}` shows them: their e-mail only to themselves.
    pub fn member_profile_json(&self, m: &Member, me: bool, fields: &Fields) -> Value {
        let email = self
            .invited
            .iter()
            .find(|(_, id)| **id == m.id)
            .map(|(e, _)| e.clone());
        let initials: String = m
            .full_name
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .flat_map(char::to_uppercase)
            .take(3)
            .collect();
        let mut all = Map::new();
        all.insert("id".into(), json!(m.id));
        all.insert("activityBlocked".into(), json!(false));
        all.insert("avatarHash".into(), Value::Null);
        all.insert("avatarUrl".into(), Value::Null);
        all.insert("bio".into(), json!(""));
        all.insert("bioData".into(), Value::Null);
        // Someone invited by e-mail has not signed up yet.
        all.insert("confirmed".into(), json!(email.is_none()));
        all.insert("fullName".into(), json!(m.full_name));
        all.insert("idMemberReferrer".into(), Value::Null);
        all.insert("initials".into(), json!(initials));
        all.insert(
            "memberType".into(),
            json!(if email.is_some() { "ghost" } else { "normal" }),
        );
        all.insert("nonPublic".into(), json!({}));
        all.insert("nonPublicAvailable".into(), json!(false));
        all.insert(
            "url".into(),
            json!(format!("https://trello.com/{}", m.username)),
        );
        all.insert("username".into(), json!(m.username));
        all.insert("status".into(), json!("disconnected"));
        all.insert("email".into(), json!(email.filter(|_| me)));
        all.insert(
            "idBoards".into(),
            json!(
                self.boards
                    .values()
                    .filter(|b| b.members.contains(&m.id))
                    .map(|b| &b.id)
                    .collect::<Vec<_>>()
            ),
        );
        all.insert("idOrganizations".into(), json!([]));
        fields.pick(all)
    }

    pub fn check_item_json(&self, checklist: &Checklist, i: &CheckItem) -> Value {
        json!({
            "idChecklist": checklist.id,
            "state": if i.complete { "complete" } else { "incomplete" },
            "id": i.id,
            "name": i.name,
            "nameData": null,
            "pos": i.pos,
            "due": i.due.map(stamp),
            "dueReminder": null,
            "idMember": i.id_member,
        })
    }

    pub fn checklist_json(&self, c: &Checklist) -> Value {
        let mut items: Vec<&CheckItem> = c.items.iter().collect();
        items.sort_by(|a, b| a.pos.total_cmp(&b.pos));
        json!({
            "id": c.id,
            "name": c.name,
            "idCard": c.id_card,
            "pos": c.pos,
            "idBoard": c.id_board,
            "checkItems": items.iter().map(|i| self.check_item_json(c, i)).collect::<Vec<_>>(),
        })
    }

    pub fn custom_field_json(&self, f: &CustomField) -> Value {
        json!({
            "id": f.id,
            "idModel": f.id_board,
            "modelType": "board",
            "fieldGroup": format!("{:064x}", f.pos as u64),
            "display": {"cardFront": true},
            "name": f.name,
            "pos": f.pos,
            "type": f.kind,
        })
    }

    pub fn custom_field_item_json(&self, card: &Card, i: &CustomFieldItem) -> Value {
        json!({
            "id": i.id,
            "value": i.value,
            "idCustomField": i.id_custom_field,
            "idModel": card.id,
            "modelType": "card",
        })
    }

    /// A card's `badges`: counts and dates Trello shows on the card's front.
    fn card_badges(&self, c: &Card, checklists: &[&Checklist]) -> Value {
        let check_items: usize = checklists.iter().map(|l| l.items.len()).sum();
        let checked: usize = checklists
            .iter()
            .map(|l| l.items.iter().filter(|i| i.complete).count())
            .sum();
        let comments = self
            .actions
            .iter()
            .filter(|a| a.kind == "commentCard" && a.id_card.as_deref() == Some(&c.id))
            .count();
        json!({
            "attachmentsByType": {"trello": {"board": 0, "card": 0}},
            "location": false,
            "votes": 0,
            "viewingMemberVoted": false,
            "subscribed": false,
            "fogbugz": "",
            "checkItems": check_items,
            "checkItemsChecked": checked,
            "checkItemsEarliestDue": null,
            "comments": comments,
            "attachments": 0,
            "description": !c.desc.is_empty(),
            "due": c.due.map(stamp),
            "start": c.start.map(stamp),
            "dueComplete": c.due_complete,
        })
    }

    pub fn card_json(&self, c: &Card, fields: &Fields) -> Value {
        let checklists = self.card_checklists(c);
        let url = format!(
            "https://trello.com/c/{}/{}-{}",
            c.short_link,
            c.id_short,
            url_slug(&c.name)
        );
        let mut all = Map::new();
        all.insert("id".into(), json!(c.id));
        all.insert("badges".into(), self.card_badges(c, &checklists));
        all.insert("checkItemStates".into(), json!([]));
        all.insert("closed".into(), json!(c.closed));
        all.insert("dueComplete".into(), json!(c.due_complete));
        all.insert("dateLastActivity".into(), json!(stamp(c.last_activity)));
        all.insert("desc".into(), json!(c.desc));
        all.insert(
            "descData".into(),
            if c.desc.is_empty() {
                Value::Null
            } else {
                json!({"emoji": {}})
            },
        );
        all.insert("due".into(), json!(c.due.map(stamp)));
        all.insert("dueReminder".into(), Value::Null);
        all.insert("email".into(), Value::Null);
        all.insert("idBoard".into(), json!(c.id_board));
        all.insert(
            "idChecklists".into(),
            json!(checklists.iter().map(|l| &l.id).collect::<Vec<_>>()),
        );
        all.insert("idLabels".into(), json!(c.id_labels));
        all.insert("idList".into(), json!(c.id_list));
        all.insert("idMembers".into(), json!(c.id_members));
        all.insert("idMembersVoted".into(), json!([]));
        all.insert("idShort".into(), json!(c.id_short));
        all.insert("idAttachmentCover".into(), Value::Null);
        all.insert(
            "labels".into(),
            json!(
                c.id_labels
                    .iter()
                    .filter_map(|id| self.labels.get(id))
                    .map(|l| self.label_json(l))
                    .collect::<Vec<_>>()
            ),
        );
        all.insert("manualCoverAttachment".into(), json!(false));
        all.insert("name".into(), json!(c.name));
        all.insert("pos".into(), json!(c.pos));
        all.insert("shortLink".into(), json!(c.short_link));
        all.insert(
            "shortUrl".into(),
            json!(format!("https://trello.com/c/{}", c.short_link)),
        );
        all.insert("start".into(), json!(c.start.map(stamp)));
        all.insert("subscribed".into(), json!(false));
        all.insert("url".into(), json!(url));
        all.insert("isTemplate".into(), json!(false));
        all.insert("cardRole".into(), Value::Null);
        all.insert(
            "cover".into(),
            json!({"idAttachment": null, "color": null, "idUploadedBackground": null,
                   "size": "normal", "brightness": "light", "idPlugin": null}),
        );
        fields.pick(all)
    }

    pub fn action_json(&self, a: &Action) -> Value {
        let creator = self.members.get(&a.id_member_creator);
        json!({
            "id": a.id,
            "idMemberCreator": a.id_member_creator,
            "data": a.data,
            "type": a.kind,
            "date": stamp(a.date),
            "memberCreator": creator.map(|m| json!({
                "id": m.id, "username": m.username, "fullName": m.full_name,
            })),
        })
    }
}

/// Where a new card or item goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pos {
    Top,
    Bottom,
    At(f64),
}

/// A `fields=` selection: `all`, or a comma-separated list (the id always comes along).
#[derive(Debug, Clone)]
pub enum Fields {
    All,
    Some(Vec<String>),
}

impl Fields {
    pub fn parse(value: Option<&str>, default: Fields) -> Fields {
        match value.map(str::trim) {
            None | Some("") => default,
            Some("all") => Fields::All,
            Some(list) => Fields::Some(list.split(',').map(|s| s.trim().to_owned()).collect()),
        }
    }

    fn pick(&self, mut all: Map<String, Value>) -> Value {
        match self {
            Fields::All => Value::Object(all),
            Fields::Some(names) => {
                let mut out = Map::new();
                if let Some(id) = all.remove("id") {
                    out.insert("id".into(), id);
                }
                for n in names {
                    if let Some(v) = all.remove(n) {
                        out.insert(n.clone(), v);
                    }
                }
                Value::Object(out)
            }
        }
    }
}

/// The words of a name as Trello puts them in URLs.
fn url_slug(name: &str) -> String {
    let mut out = String::new();
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_trellos() {
        let mut ids = IdGen::new();
        let a = ids.next();
        let b = ids.next();
        assert!(is_id(&a) && is_id(&b), "{a} {b}");
        assert_ne!(a, b);
        assert!(!is_id("5e93ba98614ac22d22f085c")); // 23
        assert!(!is_id("zz93ba98614ac22d22f085c4"));
    }

    #[test]
    fn stamps_have_milliseconds_and_z() {
        let t: Timestamp = "2020-12-22T01:59:00Z".parse().unwrap();
        assert_eq!(stamp(t), "2020-12-22T01:59:00.000Z");
    }
}
