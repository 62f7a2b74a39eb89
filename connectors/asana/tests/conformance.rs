//! The shared conformance suite against the Asana emulator, once per way identity travels.

mod common;

use async_trait::async_trait;
use common::{Mode, Setup};
use serde_json::json;
use throughline_asana::AsanaConnector;
use throughline_connector::conformance::{self, Harness};
use throughline_connector::{RemoteId, State};

struct AsanaHarness(Setup);

#[async_trait]
impl Harness for AsanaHarness {
    type C = AsanaConnector;

    async fn connector(&mut self) -> AsanaConnector {
        self.0.connector()
    }

    async fn person_sets_state(&mut self, identity: &str, state: State) {
        let gid = self.0.gid_of(identity);
        self.0
            .person_puts(&gid, json!({"completed": state == State::Done}))
            .await;
    }

    async fn person_checks_entry(&mut self, identity: &str, checked: bool) {
        let gid = self.0.gid_of(identity);
        self.0
            .person_puts(&gid, json!({"completed": checked}))
            .await;
    }

    fn missing_remote_id(&self) -> RemoteId {
        "1999999999999999".to_owned()
    }

    /// Not a user of the seeded workspace.
    fn stranger(&self) -> Option<String> {
        Some("stranger@example.com".to_owned())
    }
}

#[tokio::test]
async fn conformance_with_a_personal_token_and_notes_markers() {
    let mut h = AsanaHarness(Setup::new(Mode::Marker).await);
    conformance::run(&mut h).await;
}

#[tokio::test]
async fn conformance_with_a_personal_token_and_an_identity_field() {
    let mut h = AsanaHarness(Setup::new(Mode::Field).await);
    conformance::run(&mut h).await;
}

#[tokio::test]
async fn conformance_with_oauth_and_external_ids() {
    let mut h = AsanaHarness(Setup::new(Mode::OAuth).await);
    conformance::run(&mut h).await;
}
