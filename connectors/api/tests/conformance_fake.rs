//! The fake connector passes the suite every connector runs, whatever it claims to hold.

use throughline_connector::conformance::Harness;
use throughline_connector::fake::FakeTarget;
use throughline_connector::{Capabilities, StateSupport, conformance};

#[tokio::test]
async fn fake_with_full_states_conforms() {
    conformance::run(&mut FakeTarget::new("fake-full", StateSupport::Full)).await;
}

#[tokio::test]
async fn fake_with_done_or_not_conforms() {
    conformance::run(&mut FakeTarget::new("fake-done", StateSupport::DoneOrNot)).await;
}

#[tokio::test]
async fn fake_holding_only_titles_conforms() {
    let caps = Capabilities {
        states: StateSupport::DoneOrNot,
        description: false,
        owner: false,
        start: false,
        due: true,
        entry_owner: false,
        entry_due: false,
        batch_size: 1,
    };
    conformance::run(&mut FakeTarget::with_capabilities("fake-bare", caps)).await;
}

#[tokio::test]
async fn fake_with_accounts_for_some_people_conforms() {
    let mut target = FakeTarget::new("fake-members", StateSupport::DoneOrNot);
    let [a, b] = target.people();
    target.set_accounts(Some(&[&a, &b]));
    conformance::run(&mut target).await;
}
