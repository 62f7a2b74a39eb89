//! One suite every connector passes.
//!
//! A connector crate implements [`Harness`] for its target (a temp workbook, an emulator) and
//! calls [`run`] from a test:
//!
//! ```ignore
//! #[tokio::test]
//! async fn conformance() {
//!     let mut harness = MyHarness::new().await;
//!     throughline_connector::conformance::run(&mut harness).await;
//! }
//! ```
//!
//! The suite calls connectors the way the engine does: every `apply` follows an `observe` on the
//! same connector instance, and a fresh instance from [`Harness::connector`] stands for the
//! process restarting. It starts from an empty target and only adds objects whose identities
//! begin with `conformance/`. A failure panics with a message that names the case.

use async_trait::async_trait;
use jiff::civil::Date;

use crate::{Connector, DesiredTask, RemoteId, State, TaskContext};

/// What the suite needs from a connector's test setup besides the connector itself: a way to
/// act as a person working in the tool.
#[async_trait]
pub trait Harness: Send {
    type C: Connector;

    /// A fresh connector on the same target, as after a restart. Called once per case and
    /// again where the suite checks adoption.
    async fn connector(&mut self) -> Self::C;

    /// A person sets the state of the task with this identity in the tool (moves the card,
    /// ticks "complete", picks a status in the dropdown).
    async fn person_sets_state(&mut self, identity: &str, state: State);

    /// A person ticks or unticks the checklist entry with this identity in the tool.
    async fn person_checks_entry(&mut self, identity: &str, checked: bool);

    /// Fit a sample task to the target before the suite sends it: valid group names (the
    /// board's lists, the project's sections), a context the connector expects. The suite
    /// compares what it observes with the task after this call. Default: unchanged.
    fn prepare(&self, task: &mut DesiredTask) {
        let _ = task;
    }

    /// Two people the tool knows, as the hub names them. Default: two e-mail addresses.
    fn people(&self) -> [String; 2] {
        ["ana@example.com".to_owned(), "ben@example.com".to_owned()]
    }

    /// Two groups (stage places: lists, sections, stage column values) the target accepts.
    fn groups(&self) -> [String; 2] {
        ["Draft".to_owned(), "Review".to_owned()]
    }

    /// A remote id that names nothing in the target.
    fn missing_remote_id(&self) -> RemoteId {
        "conformance-missing-0000".to_owned()
    }
}

/// Run every case against the harness's target, which must start empty.
pub async fn run<H: Harness>(h: &mut H) {
    let _ = h;
    let _ = sample_context;
    todo!("conformance cases land in the next commit")
}

/// The context of the suite's sample tasks: a Hebrew process in Jerusalem time.
fn sample_context(item: &str, stage: &str, position: u64) -> TaskContext {
    TaskContext {
        process: "conformance".to_owned(),
        process_name: "בדיקת תאימות".to_owned(),
        item: item.to_owned(),
        item_title: format!("Item {item}"),
        stage: stage.to_owned(),
        stage_name: format!("Stage {stage}"),
        role: "writer".to_owned(),
        golive: Some(Date::constant(2025, 1, 1)),
        channel: None,
        timezone: "Asia/Jerusalem".to_owned(),
        rtl: true,
        position,
    }
}
