//! A board in the emulator with two people, and connectors on it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::civil::Date;
use throughline_connector::http::{RateQuota, RetryPolicy};
use throughline_connector::identity::Identity;
use throughline_connector::{
    DesiredEntry, DesiredTask, EntryFields, State, TaskContext, TaskFields, conformance,
};
use throughline_trello::emulator::{Emulator, RateLimits};
use throughline_trello::{
    Secret, TrelloConnector, TrelloLimits, TrelloMapping, TrelloSettings, marker,
};

pub struct Board {
    pub emu: Emulator,
    pub board: String,
    pub mapping: TrelloMapping,
    pub tz: &'static str,
    /// A proxy the connector talks to instead of the emulator (Prism).
    pub proxy: Option<String>,
}

impl Board {
    pub async fn new(mapping: TrelloMapping) -> Board {
        let emu = Emulator::start().await.expect("the emulator starts");
        // Trello's limits, on a tenth of its window, so tests run fast and still never hit them.
        emu.set_rate_limits(RateLimits {
            window: Duration::from_secs(1),
            ..RateLimits::default()
        });
        let board = emu.seed_board("Content — תוכן");
        emu.add_member(&board, "ana", "Ana Levi");
        emu.add_member(&board, "ben", "Ben Cohen");
        Board {
            emu,
            board,
            mapping,
            tz: "Asia/Jerusalem",
            proxy: None,
        }
    }

    pub fn settings(&self) -> TrelloSettings {
        let mut s = TrelloSettings::new(
            "studio",
            &self.board,
            Secret::new(self.emu.key()),
            Secret::new(self.emu.token()),
        );
        s.base_url = self.proxy.clone().unwrap_or_else(|| self.emu.base_url());
        s.mapping = self.mapping.clone();
        s.timezone = jiff::tz::TimeZone::get(self.tz).expect("a known time zone");
        s.people = BTreeMap::from([
            ("ana@example.com".to_owned(), "ana".to_owned()),
            ("ben@example.com".to_owned(), "ben".to_owned()),
            // Mapped, but not a member of the board: no account here.
            ("cleo@example.com".to_owned(), "cleo".to_owned()),
        ]);
        s.limits = TrelloLimits {
            per_token: RateQuota::new(100, Duration::from_secs(1)).unwrap(),
            per_key: RateQuota::new(300, Duration::from_secs(1)).unwrap(),
        };
        s.request_timeout = Duration::from_secs(5);
        s.retry = RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            max_elapsed: Duration::from_secs(30),
        };
        s
    }

    pub fn connector(&self) -> TrelloConnector {
        TrelloConnector::new(self.settings()).expect("valid settings")
    }

    /// The card that carries this task identity.
    pub fn card_of(&self, identity: &str) -> String {
        self.emu
            .person(|p| p.card_with_marker(identity))
            .unwrap_or_else(|| panic!("no card carries `{identity}`"))
    }

    /// The name of the check item with this entry identity, found the way a reader of the
    /// marker would.
    pub fn item_name(&self, entry: &str) -> (String, String) {
        let task = Identity::parse(entry)
            .expect("item/stage/key")
            .task_identity();
        let card = self.card_of(&task.to_string());
        let view = self.emu.person(|p| p.card(&card)).expect("the card exists");
        let (_, m) = marker::split(&view.desc);
        let m = m.expect("a marker");
        let names: Vec<(String, String)> = view
            .checklists
            .iter()
            .filter(|(n, _)| {
                *n == self.mapping.checklist_name || *n == self.mapping.archived_checklist_name
            })
            .flat_map(|(_, items)| items.iter().map(|(id, name, _)| (id.clone(), name.clone())))
            .collect();
        let texts: Vec<&str> = names.iter().map(|(_, n)| n.as_str()).collect();
        let ids = m.match_items(&texts);
        let at = ids
            .iter()
            .position(|i| i.as_deref() == Some(entry))
            .unwrap_or_else(|| panic!("no item carries `{entry}`"));
        (card, names[at].1.clone())
    }
}

#[async_trait::async_trait]
impl conformance::Harness for Board {
    type C = TrelloConnector;

    async fn connector(&mut self) -> TrelloConnector {
        Board::connector(self)
    }

    async fn person_sets_state(&mut self, identity: &str, state: State) {
        let card = self.card_of(identity);
        let done = state == State::Done;
        let m = self.mapping.clone();
        self.emu.person(|p| {
            if m.due_complete {
                p.set_due_complete(&card, done);
            } else if done {
                p.move_to_list(&card, m.done_list.as_deref().expect("a done list"));
            } else {
                p.move_to_list(&card, "Draft");
            }
        });
    }

    async fn person_checks_entry(&mut self, identity: &str, checked: bool) {
        let (card, name) = self.item_name(identity);
        assert!(self.emu.person(|p| p.set_item(&card, &name, checked)));
    }

    fn stranger(&self) -> Option<String> {
        Some("cleo@example.com".to_owned())
    }
}

/// The stages of the posts these tests push.
pub const STAGES: [&str; 6] = ["Idea", "Copy", "Design", "Review", "Approval", "Publish"];

/// Task `i` of a board of posts: six stages per post, three checklist entries each (one Hebrew).
pub fn task(i: usize, state: State, checked: &[bool]) -> DesiredTask {
    let stage = STAGES[i % STAGES.len()];
    let item = format!("post-{:04}", i / STAGES.len());
    let task = Identity::task(&item, &stage.to_lowercase());
    let identity = task.to_string();
    let day = Date::constant(2026, 12, 1)
        .checked_add(jiff::Span::new().days((i % 28) as i64))
        .unwrap();
    DesiredTask {
        identity: identity.clone(),
        fields: TaskFields {
            title: format!("Post {} — {stage}", i / STAGES.len()),
            description: format!("Stage {stage} of post {}", i / STAGES.len()),
            group: stage.to_owned(),
            owner: Some(
                if i.is_multiple_of(2) {
                    "ana@example.com"
                } else {
                    "ben@example.com"
                }
                .to_owned(),
            ),
            start: Some(day),
            due: Some(day.checked_add(jiff::Span::new().days(2)).unwrap()),
        },
        state,
        context: TaskContext {
            item: item.clone(),
            item_title: format!("Post {}", i / STAGES.len()),
            stage: stage.to_lowercase(),
            stage_name: stage.to_owned(),
            channel: Some(
                if i.is_multiple_of(3) {
                    "Instagram"
                } else {
                    "Blog"
                }
                .to_owned(),
            ),
            timezone: "Asia/Jerusalem".to_owned(),
            position: i as u64,
            ..TaskContext::default()
        },
        entries: ["Draft", "Check facts", "אישור"]
            .iter()
            .enumerate()
            .map(|(k, text)| DesiredEntry {
                identity: task.with_key(&format!("e{k}")).to_string(),
                fields: EntryFields {
                    text: format!("{text} ({stage})"),
                    owner: None,
                    due: None,
                },
                checked: checked.get(k).copied().unwrap_or(false),
            })
            .collect(),
    }
}
