//! A Trello board's JSON export (Board menu > Print, export and share > Export as JSON): its
//! open cards become the rows of a tracker table, so the rest of the import reads them like a
//! sheet. The table has one row per card, in list order then card position:
//!
//! | Task | List | Owner | Due date | Status | Labels | Notes |
//!
//! The owner is the card's first member (their full name); the status is Done when the card's
//! due date is marked complete or its list is named like "Done", else the list's name when it
//! is a status word ("Doing"). When the lists are not status words they are the groups of the
//! tasks (the List column is titled "Project").
//!
//! A card's checklists are its row's steps ([`Step`]): their items in order, checked ones done.
//! throughline writes a stage's checklist to its card as one checklist, so the import reads
//! them back as that task's checklist; a card with several has them joined, in order.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{SheetInfo, Source};
use crate::import::error::ImportError;
use crate::import::grid::{Grid, Step, Value};
use crate::import::progress::Progress;
use crate::import::status::{self, RowStatus};

#[derive(Debug, Deserialize)]
struct Board {
    name: String,
    #[serde(default)]
    lists: Vec<List>,
    cards: Vec<Card>,
    #[serde(default)]
    members: Vec<Member>,
    #[serde(default)]
    checklists: Vec<Checklist>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Checklist {
    #[serde(default)]
    id_card: String,
    #[serde(default)]
    pos: f64,
    #[serde(default)]
    check_items: Vec<CheckItem>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckItem {
    #[serde(default)]
    name: String,
    /// `complete` or `incomplete`.
    #[serde(default)]
    state: String,
    #[serde(default)]
    pos: f64,
    /// An item's own due date and member (Trello's paid plans): not kept.
    #[serde(default)]
    due: Option<String>,
    #[serde(default)]
    id_member: Option<String>,
}

#[derive(Debug, Deserialize)]
struct List {
    id: String,
    name: String,
    #[serde(default)]
    closed: bool,
    #[serde(default)]
    pos: f64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Card {
    #[serde(default)]
    id: String,
    name: String,
    #[serde(default)]
    desc: String,
    due: Option<String>,
    #[serde(default)]
    due_complete: bool,
    id_list: String,
    #[serde(default)]
    id_members: Vec<String>,
    #[serde(default)]
    closed: bool,
    #[serde(default)]
    pos: f64,
    #[serde(default)]
    labels: Vec<Label>,
}

#[derive(Debug, Deserialize)]
struct Label {
    #[serde(default)]
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Member {
    id: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    username: String,
}

pub struct TrelloBoard {
    path: PathBuf,
    name: String,
    grid: Option<Grid>,
    notes: Vec<String>,
}

/// Whether the file's start looks like a Trello board export (a JSON object).
pub fn looks_like(head: &[u8]) -> bool {
    head.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{')
}

impl TrelloBoard {
    pub fn open(path: PathBuf, bytes: &[u8]) -> Result<Self, ImportError> {
        let board: Board = serde_json::from_slice(bytes).map_err(|e| ImportError::Corrupt {
            path: path.clone(),
            format: "a Trello board export (JSON)",
            detail: format!("line {}, column {}: {e}", e.line(), e.column()),
        })?;
        let mut lists: Vec<&List> = board.lists.iter().filter(|l| !l.closed).collect();
        lists.sort_by(|a, b| a.pos.total_cmp(&b.pos));
        let lists_are_status = !lists.is_empty()
            && lists
                .iter()
                .filter(|l| status::read(&l.name).is_some())
                .count()
                * 2
                >= lists.len();
        let header = [
            "Task",
            if lists_are_status { "List" } else { "Project" },
            "Owner",
            "Due date",
            "Status",
            "Labels",
            "Notes",
        ];
        let mut rows: Vec<Vec<Value>> = vec![header.iter().map(|h| text(h)).collect()];
        let mut steps = HashMap::new();
        let mut by_card: HashMap<&str, Vec<&Checklist>> = HashMap::new();
        for c in board.checklists.iter().filter(|c| !c.id_card.is_empty()) {
            by_card.entry(c.id_card.as_str()).or_default().push(c);
        }
        let mut counts = Counts::default();
        for list in &lists {
            let mut cards: Vec<&Card> = board
                .cards
                .iter()
                .filter(|c| c.id_list == list.id)
                .collect();
            counts.closed += cards.iter().filter(|c| c.closed).count();
            cards.retain(|c| !c.closed);
            cards.sort_by(|a, b| a.pos.total_cmp(&b.pos));
            for card in cards {
                counts.extra_members += card.id_members.len().saturating_sub(1);
                let card_steps = card_steps(&by_card, card, &mut counts.steps);
                if !card_steps.is_empty() {
                    steps.insert(rows.len() as u32, card_steps);
                }
                rows.push(card_row(&board, list, card));
            }
        }
        counts.cards = rows.len() - 1;
        counts.lists = lists.len();
        let notes = board_notes(&board, &counts);
        let name = board.name.clone();
        let mut grid = Grid::new(name.clone(), (0, 0), rows);
        grid.steps = steps;
        Ok(TrelloBoard {
            path,
            grid: Some(grid),
            name,
            notes,
        })
    }
}

/// What the board held, for the notes.
#[derive(Default, Clone, Copy)]
struct Counts {
    cards: usize,
    lists: usize,
    /// Archived cards, left out.
    closed: usize,
    /// Members of a card after its first, not imported.
    extra_members: usize,
    steps: StepCounts,
}

/// The checklists read as steps, for the notes.
#[derive(Default, Clone, Copy)]
struct StepCounts {
    /// Checklists of open cards, and their items.
    checklists: usize,
    items: usize,
    checked: usize,
    /// Cards with more than one checklist (joined into one).
    joined: usize,
    /// Items with a due date or a member of their own (not kept).
    own_dates_or_members: usize,
}

/// A card's checklists as its steps: in the checklists' order, then their items'.
fn card_steps(
    by_card: &HashMap<&str, Vec<&Checklist>>,
    card: &Card,
    counts: &mut StepCounts,
) -> Vec<Step> {
    let mut lists: Vec<&Checklist> = by_card.get(card.id.as_str()).cloned().unwrap_or_default();
    lists.sort_by(|a, b| a.pos.total_cmp(&b.pos));
    counts.checklists += lists.len();
    counts.joined += usize::from(lists.len() > 1);
    let mut steps = Vec::new();
    for list in lists {
        let mut items: Vec<&CheckItem> = list.check_items.iter().collect();
        items.sort_by(|a, b| a.pos.total_cmp(&b.pos));
        for item in items.into_iter().filter(|i| !i.name.trim().is_empty()) {
            let done = item.state == "complete";
            counts.items += 1;
            counts.checked += usize::from(done);
            counts.own_dates_or_members +=
                usize::from(item.due.is_some() || item.id_member.is_some());
            steps.push(Step {
                text: item.name.trim().to_string(),
                done,
            });
        }
    }
    steps
}

/// A card as a row under the header: task, list, owner, due date, status, labels, notes.
fn card_row(board: &Board, list: &List, card: &Card) -> Vec<Value> {
    let state = if card.due_complete {
        Some(RowStatus::Done)
    } else {
        status::read(&list.name)
    };
    let due = card
        .due
        .as_deref()
        .and_then(|d| d.get(..10))
        .and_then(|d| d.parse().ok())
        .map_or(Value::Empty, Value::Date);
    let labels: Vec<&str> = card
        .labels
        .iter()
        .map(|l| l.name.as_str())
        .filter(|n| !n.is_empty())
        .collect();
    let status_word = |s: RowStatus| match s {
        RowStatus::Done => "Done",
        RowStatus::Doing => "Doing",
        RowStatus::Blocked => "Blocked",
        RowStatus::Todo => "To do",
    };
    vec![
        text(&card.name),
        text(&list.name),
        card.id_members
            .first()
            .and_then(|m| member_name(board, m))
            .map_or(Value::Empty, Value::Text),
        due,
        state.map_or(Value::Empty, |s| Value::Text(status_word(s).into())),
        text(&labels.join(", ")),
        text(&card.desc),
    ]
}

/// A member's full name, else their username.
fn member_name(board: &Board, id: &str) -> Option<String> {
    board.members.iter().find(|m| m.id == id).map(|m| {
        if m.full_name.trim().is_empty() {
            m.username.clone()
        } else {
            m.full_name.clone()
        }
    })
}

fn text(s: &str) -> Value {
    if s.trim().is_empty() {
        Value::Empty
    } else {
        Value::Text(s.to_string())
    }
}

/// How the board was read, and what was left out.
fn board_notes(board: &Board, counts: &Counts) -> Vec<String> {
    let Counts {
        cards,
        lists,
        closed,
        extra_members,
        ..
    } = *counts;
    let mut notes = vec![format!(
        "read as a Trello board export: \"{}\", {cards} open card{} in {lists} list{}, one row each \
         (row 2 is the first card of the first list)",
        board.name,
        if cards == 1 { "" } else { "s" },
        if lists == 1 { "" } else { "s" }
    )];
    if closed > 0 {
        notes.push(format!(
            "{closed} archived card{} left out",
            if closed == 1 { " was" } else { "s were" }
        ));
    }
    if extra_members > 0 {
        notes.push(format!(
            "cards with several members are owned by their first member ({extra_members} other \
             member{} not imported)",
            if extra_members == 1 { "" } else { "s" }
        ));
    }
    notes.extend(step_notes(board, &counts.steps));
    notes
}

/// What became of the board's checklists.
fn step_notes(board: &Board, c: &StepCounts) -> Vec<String> {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut notes = Vec::new();
    if c.items > 0 {
        notes.push(format!(
            "{} of {} became the checklist steps of their cards' tasks ({} checked, kept as done)",
            plural(c.items, "checklist item", "checklist items"),
            plural(c.checklists, "checklist", "checklists"),
            c.checked
        ));
    }
    if c.joined > 0 {
        notes.push(format!(
            "{} several checklists, joined into one in their order (throughline keeps one per \
             task)",
            plural(c.joined, "card has", "cards have")
        ));
    }
    if c.own_dates_or_members > 0 {
        notes.push(format!(
            "{} a due date or a member of {} own, not imported (a step is due with its task, and \
             owned by the task's owner)",
            plural(
                c.own_dates_or_members,
                "checklist item has",
                "checklist items have"
            ),
            if c.own_dates_or_members == 1 {
                "its"
            } else {
                "their"
            }
        ));
    }
    let left = board.checklists.len() - c.checklists;
    if left > 0 {
        notes.push(format!(
            "{} of archived cards (or of cards in archived lists) left out",
            plural(left, "checklist", "checklists")
        ));
    }
    notes
}

impl Source for TrelloBoard {
    fn path(&self) -> &Path {
        &self.path
    }

    fn sheets(&self) -> Vec<SheetInfo> {
        vec![SheetInfo {
            name: self.name.clone(),
            hidden: false,
        }]
    }

    fn read(&mut self, _sheet: &str, _progress: &Progress) -> Result<Grid, ImportError> {
        Ok(self
            .grid
            .take()
            .unwrap_or_else(|| Grid::new(self.name.clone(), (0, 0), Vec::new())))
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }
}
