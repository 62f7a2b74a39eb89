//! Shared setup for the Sheets connector's tests: an emulator, a spreadsheet in it, connectors
//! on it, and a person editing cells in it.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::{Value, json};
use throughline_connector::State;
use throughline_connector::http::Secret;
use throughline_sheets::emulator::{Emulator, Render};
use throughline_sheets::{
    Field, Language, ROW_KEY, SheetsAuth, SheetsConnector, SheetsMapping, SheetsQuota,
    SheetsSettings,
};

/// Quotas high enough that the client-side limiter never waits in a test.
pub fn fast_quota() -> SheetsQuota {
    SheetsQuota {
        reads: 100_000,
        writes: 100_000,
        per: Duration::from_secs(60),
    }
}

pub struct Sheet {
    pub emu: Emulator,
    pub id: String,
}

impl Sheet {
    pub async fn new() -> Sheet {
        let emu = Emulator::start().await.expect("the emulator starts");
        let id = emu.create_spreadsheet("Content plan");
        Sheet { emu, id }
    }

    pub fn settings(&self, target: &str) -> SheetsSettings {
        let mut s = SheetsSettings::new(
            target,
            &self.id,
            SheetsAuth::Token(Secret::new(self.emu.access_token())),
        )
        .with_base_url(&self.emu.base_url());
        s.quota = fast_quota();
        s.timezone = jiff::tz::TimeZone::get("Asia/Jerusalem").unwrap();
        s
    }

    pub fn connector(&self) -> SheetsConnector {
        SheetsConnector::new(self.settings("sheet")).expect("the connector opens")
    }

    /// (tab, 0-based row) of the row carrying this identity in its metadata.
    pub fn row_of(&self, identity: &str) -> Option<(String, u32)> {
        let rows = self
            .emu
            .person(&self.id, |p| p.rows_with_metadata(ROW_KEY, identity));
        assert!(rows.len() <= 1, "`{identity}` is on {} rows", rows.len());
        rows.into_iter().next()
    }

    /// The column (0-based) of a field in a tab, found by its header in either language.
    pub fn column(&self, tab: &str, field: Field) -> Option<u32> {
        let m = SheetsMapping::default();
        let range = format!("'{}'!A1:Z10", tab.replace('\'', "''"));
        let rows = self
            .emu
            .person(&self.id, |p| p.values(&range, Render::Unformatted));
        for row in rows {
            for (c, v) in row.iter().enumerate() {
                for lang in [Language::English, Language::Hebrew] {
                    if v.as_str() == Some(m.headers(lang)[field as usize].as_str()) {
                        return Some(c as u32);
                    }
                }
            }
        }
        None
    }

    /// Type into the cell of `field` on the row of `identity`, as a person in the browser.
    pub fn type_into(&self, identity: &str, field: Field, value: Value) {
        let (tab, row) = self.row_of(identity).expect("the row is there");
        let col = self.column(&tab, field).expect("the column is there");
        let a1 = format!(
            "'{}'!{}{}",
            tab.replace('\'', "''"),
            throughline_sheets::a1::column_letters(col),
            row + 1
        );
        self.emu
            .person(&self.id, |p| p.type_in(&a1, vec![vec![value]]))
            .expect("typing works");
    }

    /// The cell of `field` on the row of `identity`.
    pub fn cell(&self, identity: &str, field: Field, render: Render) -> Value {
        let (tab, row) = self.row_of(identity).expect("the row is there");
        let col = self.column(&tab, field).expect("the column is there");
        let a1 = format!(
            "'{}'!{}{}",
            tab.replace('\'', "''"),
            throughline_sheets::a1::column_letters(col),
            row + 1
        );
        self.emu
            .person(&self.id, |p| p.values(&a1, render))
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .unwrap_or(json!(""))
    }

    /// A person picks a status and ticks or unticks the checkbox to match, in the tab's
    /// language.
    pub fn set_state(&self, identity: &str, state: State) {
        let (tab, _) = self.row_of(identity).expect("the row is there");
        let hebrew = self.column(&tab, Field::Id).is_some_and(|c| {
            let rows = self.emu.person(&self.id, |p| {
                p.values(
                    &format!("'{}'!A1:Z10", tab.replace('\'', "''")),
                    Render::Unformatted,
                )
            });
            rows.iter()
                .any(|r| r.get(c as usize).and_then(Value::as_str) == Some("מזהה"))
        });
        let m = SheetsMapping::default();
        let words = m.status_words(if hebrew {
            Language::Hebrew
        } else {
            Language::English
        });
        let word = match state {
            State::Todo => &words.todo,
            State::Doing => &words.doing,
            State::Blocked => unreachable!("these tests block no task"),
            State::Done => &words.done,
        };
        self.type_into(identity, Field::Status, json!(word));
        self.type_into(identity, Field::Done, json!(state == State::Done));
    }
}
