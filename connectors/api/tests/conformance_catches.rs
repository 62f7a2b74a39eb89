//! The suite fails connectors that break the contract, naming the case. Each test wraps the
//! fake connector with one flaw a real connector could have.

use std::collections::BTreeSet;

use async_trait::async_trait;
use throughline_connector::conformance::{self, Harness};
use throughline_connector::fake::{FakeConnector, FakeTarget};
use throughline_connector::{
    Applied, Capabilities, Change, Connector, ConnectorError, Observation, ObservedTask, State,
    StateSupport,
};

#[derive(Clone, Copy)]
enum Flaw {
    ForgetsIdentity,
    DropsDescription,
    UpdateResetsState,
    AppendsEntries,
    HardDeletesOnArchive,
    IgnoresPeople,
    FindsNothing,
    EmptyWithCursor,
    MissingIsInvalid,
    StopsAtFirstError,
    /// Says everyone asked about has an account, as if owners were text.
    AccountsForAnyone,
}

struct Flawed {
    flaw: Flaw,
    target: FakeTarget,
    inner: FakeConnector,
    /// What this connector pushed last, per identity (for `IgnoresPeople`).
    pushed: Vec<(String, State)>,
}

#[async_trait]
impl Connector for Flawed {
    fn target(&self) -> &str {
        self.inner.target()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn observe(
        &mut self,
        cursor: Option<serde_json::Value>,
    ) -> Result<Observation, ConnectorError> {
        let had_cursor = cursor.is_some();
        let mut obs = self.inner.observe(cursor).await?;
        for task in &mut obs.tasks {
            match self.flaw {
                Flaw::ForgetsIdentity => task.identity = None,
                Flaw::DropsDescription => task.fields.description.clear(),
                Flaw::IgnoresPeople => {
                    let id = task.identity.clone().unwrap_or_default();
                    if let Some((_, s)) = self.pushed.iter().rev().find(|(i, _)| *i == id) {
                        task.state = *s;
                    }
                }
                _ => {}
            }
        }
        if matches!(self.flaw, Flaw::EmptyWithCursor) && had_cursor {
            obs.tasks.clear();
        }
        Ok(obs)
    }

    async fn apply(&mut self, changes: &[Change]) -> Vec<Result<Applied, ConnectorError>> {
        let mut changes = changes.to_vec();
        for change in &mut changes {
            match (self.flaw, &mut *change) {
                (Flaw::AppendsEntries, Change::CreateEntry { index, .. }) => *index = usize::MAX,
                (_, Change::CreateTask { task }) => {
                    self.pushed.push((task.identity.clone(), task.state));
                }
                (
                    _,
                    Change::UpdateTask {
                        identity,
                        state: Some(s),
                        ..
                    },
                ) => {
                    self.pushed.push((identity.clone(), *s));
                }
                _ => {}
            }
        }
        let mut results = self.inner.apply(&changes).await;
        for (change, result) in changes.iter().zip(&mut results) {
            match (self.flaw, change) {
                (Flaw::HardDeletesOnArchive, Change::ArchiveTask { identity, .. }) => {
                    self.target.delete(identity);
                }
                (
                    Flaw::UpdateResetsState,
                    Change::UpdateTask {
                        identity,
                        fields: Some(_),
                        state: None,
                        ..
                    },
                ) if result.is_ok() => self.target.set_state(identity, State::Todo),
                (Flaw::MissingIsInvalid, _) => {
                    if let Err(ConnectorError::NotFound { what }) = result {
                        *result = Err(ConnectorError::Invalid {
                            message: what.clone(),
                        });
                    }
                }
                _ => {}
            }
        }
        if matches!(self.flaw, Flaw::StopsAtFirstError)
            && let Some(first) = results.iter().position(Result::is_err)
        {
            results.truncate(first + 1);
        }
        results
    }

    async fn people_with_accounts(
        &mut self,
        people: &BTreeSet<String>,
    ) -> Result<BTreeSet<String>, ConnectorError> {
        match self.flaw {
            Flaw::AccountsForAnyone => Ok(people.clone()),
            _ => self.inner.people_with_accounts(people).await,
        }
    }

    async fn find(&mut self, identity: &str) -> Result<Option<ObservedTask>, ConnectorError> {
        match self.flaw {
            Flaw::FindsNothing => Ok(None),
            _ => self.inner.find(identity).await,
        }
    }
}

struct FlawedHarness {
    flaw: Flaw,
    target: FakeTarget,
}

#[async_trait]
impl Harness for FlawedHarness {
    type C = Flawed;

    async fn connector(&mut self) -> Flawed {
        let inner = self.target.connector();
        Flawed {
            flaw: self.flaw,
            target: self.target.clone(),
            inner,
            pushed: Vec::new(),
        }
    }

    async fn person_sets_state(&mut self, identity: &str, state: State) {
        self.target.set_state(identity, state);
    }

    async fn person_checks_entry(&mut self, identity: &str, checked: bool) {
        self.target.check_entry(identity, checked);
    }

    fn stranger(&self) -> Option<String> {
        Some("stranger@example.invalid".into())
    }
}

async fn run(flaw: Flaw) {
    let target = FakeTarget::new("flawed", StateSupport::Full);
    let [a, b] = FlawedHarness {
        flaw,
        target: target.clone(),
    }
    .people();
    target.set_accounts(Some(&[&a, &b]));
    conformance::run(&mut FlawedHarness { flaw, target }).await;
}

#[tokio::test]
#[should_panic(expected = "conformance case `create` failed: no observed task carries identity")]
async fn catches_a_connector_that_loses_identities() {
    run(Flaw::ForgetsIdentity).await;
}

#[tokio::test]
#[should_panic(expected = "conformance case `create` failed: fields of `conformance-create/draft`")]
async fn catches_a_field_it_claims_but_drops() {
    run(Flaw::DropsDescription).await;
}

#[tokio::test]
#[should_panic(expected = "conformance case `update` failed: state of `conformance-update/draft`")]
async fn catches_an_update_that_touches_what_it_was_not_given() {
    run(Flaw::UpdateResetsState).await;
}

#[tokio::test]
#[should_panic(expected = "conformance case `entries` failed: entries of")]
async fn catches_entries_put_in_the_wrong_place() {
    run(Flaw::AppendsEntries).await;
}

#[tokio::test]
#[should_panic(expected = "conformance case `archive` failed: no observed task carries identity")]
async fn catches_a_hard_delete() {
    run(Flaw::HardDeletesOnArchive).await;
}

#[tokio::test]
#[should_panic(expected = "conformance case `status pull` failed")]
async fn catches_a_connector_blind_to_people() {
    run(Flaw::IgnoresPeople).await;
}

#[tokio::test]
#[should_panic(expected = "conformance case `identity adoption` failed: find(")]
async fn catches_a_find_that_finds_nothing() {
    run(Flaw::FindsNothing).await;
}

#[tokio::test]
#[should_panic(expected = "conformance case `idempotence` failed: observing again with the cursor")]
async fn catches_a_cursor_that_loses_the_target() {
    run(Flaw::EmptyWithCursor).await;
}

#[tokio::test]
#[should_panic(expected = "conformance case `batch` failed: result 1 must be not found")]
async fn catches_a_missing_object_reported_as_invalid() {
    run(Flaw::MissingIsInvalid).await;
}

#[tokio::test]
#[should_panic(expected = "conformance case `batch` failed: 7 changes gave 2 results")]
async fn catches_a_batch_cut_short() {
    run(Flaw::StopsAtFirstError).await;
}

#[tokio::test]
#[should_panic(
    expected = "conformance case `people with accounts` failed: stranger@example.invalid has no account"
)]
async fn catches_accounts_for_people_the_tool_does_not_have() {
    run(Flaw::AccountsForAnyone).await;
}
