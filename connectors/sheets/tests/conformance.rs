//! The shared conformance suite against the emulator.

mod common;

use async_trait::async_trait;
use serde_json::json;
use throughline_connector::State;
use throughline_connector::conformance::{Harness, run};
use throughline_sheets::{Field, SheetsConnector};

struct SheetsHarness {
    sheet: common::Sheet,
}

#[async_trait]
impl Harness for SheetsHarness {
    type C = SheetsConnector;

    async fn connector(&mut self) -> SheetsConnector {
        self.sheet.connector()
    }

    async fn person_sets_state(&mut self, identity: &str, state: State) {
        self.sheet.set_state(identity, state);
    }

    async fn person_checks_entry(&mut self, identity: &str, checked: bool) {
        self.sheet.type_into(identity, Field::Done, json!(checked));
    }
}

#[tokio::test]
async fn the_connector_passes_the_conformance_suite() {
    let mut h = SheetsHarness {
        sheet: common::Sheet::new().await,
    };
    run(&mut h).await;
}
