//! Trello's JSON as the connector reads it: only the fields it uses, lenient about the rest.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Board {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub lists: Vec<List>,
    #[serde(default)]
    pub cards: Vec<Card>,
    #[serde(default)]
    pub checklists: Vec<Checklist>,
    #[serde(default)]
    pub labels: Vec<Label>,
    #[serde(default)]
    pub members: Vec<Member>,
    #[serde(default, rename = "customFields")]
    pub custom_fields: Vec<CustomField>,
    /// Comments, newest first, when the read asked for them (blocked reasons).
    #[serde(default)]
    pub actions: Vec<Action>,
}

/// A board action; only comments are asked for.
#[derive(Debug, Clone, Deserialize)]
pub struct Action {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub data: serde_json::Value,
}

impl Action {
    /// A comment's card and text.
    pub fn comment(&self) -> Option<(&str, &str)> {
        if self.kind != "commentCard" {
            return None;
        }
        Some((
            self.data.get("card")?.get("id")?.as_str()?,
            self.data.get("text")?.as_str()?,
        ))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct List {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub closed: bool,
    #[serde(default)]
    pub pos: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub desc: String,
    #[serde(default)]
    pub closed: bool,
    #[serde(default)]
    pub id_list: String,
    #[serde(default)]
    pub due: Option<String>,
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub due_complete: bool,
    #[serde(default)]
    pub id_members: Vec<String>,
    #[serde(default)]
    pub date_last_activity: Option<String>,
    #[serde(default)]
    pub custom_field_items: Vec<CustomFieldItem>,
    #[serde(default)]
    pub id_labels: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Checklist {
    pub id: String,
    #[serde(default)]
    pub id_card: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub pos: f64,
    #[serde(default)]
    pub check_items: Vec<CheckItem>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckItem {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub pos: f64,
    #[serde(default)]
    pub due: Option<String>,
    #[serde(default)]
    pub id_member: Option<String>,
}

impl CheckItem {
    pub fn complete(&self) -> bool {
        self.state == "complete"
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub id: String,
    #[serde(default)]
    pub username: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CustomField {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomFieldItem {
    #[serde(default)]
    pub id_custom_field: String,
    #[serde(default)]
    pub value: Option<serde_json::Value>,
}

impl CustomFieldItem {
    pub fn text(&self) -> Option<&str> {
        self.value.as_ref()?.get("text")?.as_str()
    }
}

/// Just the id of what a create answered.
#[derive(Debug, Clone, Deserialize)]
pub struct Created {
    pub id: String,
}
