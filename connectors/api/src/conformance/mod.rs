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
//! begin with `conformance-`. A failure panics with a message that names the case.

use async_trait::async_trait;
use jiff::civil::Date;

mod checks;

use crate::identity::Identity;
use crate::{
    Applied, Capabilities, Change, Connector, ConnectorError, DesiredEntry, DesiredTask,
    EntryFields, RemoteId, State, StateSupport, TaskFields,
};
use checks::{
    apply_ok, create, ensure, entry, entry_of, expect_task, expect_updated, fail, observe, one,
    same_tasks, sample_context, update_fields, update_state,
};

/// What the suite needs from a connector's test setup besides the connector itself: a way to
/// act as a person working in the tool.
#[async_trait]
pub trait Harness: Send {
    /// The connector under test.
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

    /// A person the tool has no account for, as the hub names them; `None` (the default): the
    /// tool writes owners as text and has room for anyone.
    fn stranger(&self) -> Option<String> {
        None
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

/// A change that moves a task to `state` and touches nothing else (as a person's move in the
/// tool would), for tests of one state's idiom (blocked, doing).
pub fn state_change(remote_id: &str, task: &crate::DesiredTask, state: crate::State) -> Change {
    Change::UpdateTask {
        remote_id: remote_id.to_owned(),
        identity: task.identity.clone(),
        context: task.context.clone(),
        fields: None,
        previous: None,
        state: Some(state),
        unarchive: false,
    }
}

/// The JSON a test's own request to an emulator gets back; a failed request or an answer that
/// is not JSON fails the test.
pub async fn answer_json(request: reqwest::RequestBuilder) -> serde_json::Value {
    let answer = request.send().await.expect("the emulator answers");
    answer.json().await.expect("the emulator answers JSON")
}

/// Run every case against the harness's target, which must start empty.
pub async fn run<H: Harness>(h: &mut H) {
    let mut suite = Suite::new(h).await;
    suite.create().await;
    suite.round_trip().await;
    suite.update().await;
    suite.entries().await;
    suite.archive().await;
    suite.status_pull().await;
    suite.adoption().await;
    suite.idempotence().await;
    suite.batch().await;
    suite.no_duplicates().await;
    suite.accounts().await;
}

/// The suite's state between cases: the harness, the capabilities, and the position of the next
/// sample task.
struct Suite<'h, H: Harness> {
    h: &'h mut H,
    caps: Capabilities,
    position: u64,
}

impl<'h, H: Harness> Suite<'h, H> {
    async fn new(h: &'h mut H) -> Self {
        let caps = h.connector().await.capabilities();
        Suite {
            h,
            caps,
            position: 0,
        }
    }

    /// A sample task with entries `keys`, fitted to the target by the harness.
    fn task(&mut self, item: &str, keys: &[&str]) -> DesiredTask {
        self.position += 1;
        let item = format!("conformance-{item}");
        let task_identity = Identity::task(&item, "draft");
        let identity = task_identity.to_string();
        let [person, _] = self.h.people();
        let [group, _] = self.h.groups();
        let mut task = DesiredTask {
            identity: identity.clone(),
            fields: TaskFields {
                title: format!("Draft of {item}"),
                description: format!("Write the first draft of {item}."),
                group,
                owner: Some(person.clone()),
                start: Some(Date::constant(2025, 3, 2)),
                due: Some(Date::constant(2025, 3, 6)),
            },
            state: State::Todo,
            context: sample_context(&item, "draft", self.position),
            entries: keys
                .iter()
                .enumerate()
                .map(|(i, key)| DesiredEntry {
                    identity: task_identity.with_key(key).to_string(),
                    fields: EntryFields {
                        text: format!("Check {key}"),
                        owner: (i % 2 == 0).then(|| person.clone()),
                        due: (i % 2 == 1).then(|| Date::constant(2025, 3, 5)),
                    },
                    checked: false,
                })
                .collect(),
        };
        self.h.prepare(&mut task);
        task
    }

    // --- The cases --------------------------------------------------------------------------

    /// A task with entries is created and observed as sent.
    async fn create(&mut self) {
        const CASE: &str = "create";
        let mut task = self.task("create", &["outline", "sources", "tone"]);
        task.entries[1].checked = true;
        let mut c = self.h.connector().await;
        let applied = apply_ok(CASE, &mut c, &[Change::CreateTask { task: task.clone() }]).await;
        let Applied::Created {
            remote_id, entries, ..
        } = &applied[0]
        else {
            fail(
                CASE,
                format!("CreateTask returned {:?}, not Created", applied[0]),
            )
        };
        ensure(
            CASE,
            !remote_id.is_empty(),
            "CreateTask returned an empty remote id",
        );
        let sent: Vec<&str> = task.entries.iter().map(|e| e.identity.as_str()).collect();
        let got: Vec<&str> = entries.iter().map(|(id, _)| id.as_str()).collect();
        ensure(
            CASE,
            sent == got,
            format!(
                "CreateTask must return the entries' remote ids in order: {got:?} for {sent:?}"
            ),
        );
        let mut ids: Vec<&RemoteId> = entries.iter().map(|(_, r)| r).collect();
        ids.push(remote_id);
        ids.sort();
        ids.dedup();
        ensure(
            CASE,
            ids.len() == entries.len() + 1,
            format!("remote ids must be distinct: {remote_id} and {entries:?}"),
        );

        let obs = observe(CASE, &mut c, None).await;
        let seen = expect_task(CASE, &self.caps, &obs, &task);
        ensure(
            CASE,
            &seen.remote_id == remote_id,
            format!(
                "observed remote id {} but CreateTask returned {remote_id}",
                seen.remote_id
            ),
        );
        for (identity, rid) in entries {
            let e = entry(CASE, seen, identity);
            ensure(
                CASE,
                &e.remote_id == rid,
                format!(
                    "entry `{identity}` observed as {} but created as {rid}",
                    e.remote_id
                ),
            );
        }
    }

    /// Every field the capabilities claim comes back as sent: dates at year ends and leap days,
    /// Hebrew, text that looks like a formula, no owner, every state.
    async fn round_trip(&mut self) {
        const CASE: &str = "round trip";
        let mut tasks = Vec::new();
        for (name, fields, state) in self.round_trip_variants() {
            let mut task = self.task(&format!("round-trip-{name}"), &["a", "b"]);
            task.entries[0].fields = EntryFields {
                text: format!("{} — {name}", fields.title),
                owner: fields.owner.clone(),
                due: fields.due.or(fields.start),
            };
            task.entries[0].checked = state == State::Done;
            task.entries[1].fields = EntryFields {
                text: "=1+1".to_owned(),
                owner: None,
                due: fields.start,
            };
            task.fields = fields;
            task.state = state;
            tasks.push(task);
        }
        // One batch, as the engine sends a cycle's creates.
        let changes: Vec<Change> = tasks
            .iter()
            .map(|t| Change::CreateTask { task: t.clone() })
            .collect();
        let mut c = self.h.connector().await;
        apply_ok(CASE, &mut c, &changes).await;
        let obs = observe(CASE, &mut c, None).await;
        for task in &tasks {
            expect_task(CASE, &self.caps, &obs, task);
        }
        // And as a restarted process reads them.
        let mut fresh = self.h.connector().await;
        let obs = observe(CASE, &mut fresh, None).await;
        for task in &tasks {
            expect_task(CASE, &self.caps, &obs, task);
        }
    }

    /// The tasks of the round trip: each with fields a tool is likely to get wrong.
    #[allow(clippy::too_many_lines)] // a table of cases
    fn round_trip_variants(&self) -> [(&'static str, TaskFields, State); 6] {
        let [ana, ben] = self.h.people();
        let [_, review] = self.h.groups();
        let d = Date::constant;
        let fields =
            |title: &str, description: &str, owner: Option<&String>, start, due| TaskFields {
                title: title.to_owned(),
                description: description.to_owned(),
                group: review.clone(),
                owner: owner.cloned(),
                start,
                due,
            };
        [
            (
                "hebrew",
                fields(
                    "כתיבת טיוטה — גרסה 2",
                    "שורה ראשונה\nשורה שנייה, עם English באמצע",
                    Some(&ana),
                    Some(d(2024, 12, 31)),
                    Some(d(2025, 1, 1)),
                ),
                State::Todo,
            ),
            (
                "formula",
                fields(
                    "=SUM(A1:A3)",
                    "=HYPERLINK(\"http://example.com\")",
                    None,
                    None,
                    Some(d(2024, 2, 29)),
                ),
                State::Doing,
            ),
            (
                "plus",
                fields("+972 50 000 0000", "-minus first", Some(&ben), None, None),
                State::Done,
            ),
            (
                "at",
                fields(
                    "@mention and 'quotes' \"double\" & <tags>",
                    "",
                    None,
                    Some(d(1999, 12, 31)),
                    Some(d(2000, 1, 1)),
                ),
                State::Todo,
            ),
            (
                "year-end",
                fields(
                    "Year end",
                    "Tabs\tand emoji ✓",
                    Some(&ana),
                    Some(d(2026, 1, 1)),
                    Some(d(2026, 12, 31)),
                ),
                State::Done,
            ),
            (
                "far",
                fields(
                    "Far future",
                    "Unicode: ä ß 中文 العربية",
                    Some(&ben),
                    Some(d(2099, 12, 31)),
                    Some(d(2100, 3, 1)),
                ),
                State::Doing,
            ),
        ]
    }

    /// An update changes what it names and nothing else.
    async fn update(&mut self) {
        const CASE: &str = "update";
        let mut task = self.task("update", &["one", "two"]);
        let mut c = self.h.connector().await;
        let remote_id = create(CASE, &mut c, &task).await;
        let [_, ben] = self.h.people();
        let [_, review] = self.h.groups();

        // Fields only: the state stays.
        let previous = task.fields.clone();
        task.fields = TaskFields {
            title: "Zweiter Entwurf — טיוטה שנייה".to_owned(),
            description: "Rewritten\nwith two lines".to_owned(),
            group: review,
            owner: Some(ben),
            start: Some(Date::constant(2025, 12, 31)),
            due: Some(Date::constant(2026, 1, 2)),
        };
        let change = update_fields(&task, &remote_id, previous);
        let applied = apply_ok(CASE, &mut c, &[change]).await;
        expect_updated(CASE, &applied[0]);
        let obs = observe(CASE, &mut c, None).await;
        expect_task(CASE, &self.caps, &obs, &task);

        // State only: the fields stay.
        task.state = State::Done;
        apply_ok(
            CASE,
            &mut c,
            &[update_state(&task, &remote_id, State::Done)],
        )
        .await;
        let obs = observe(CASE, &mut c, None).await;
        expect_task(CASE, &self.caps, &obs, &task);

        // Clearing optional fields.
        let previous = task.fields.clone();
        task.fields.description.clear();
        task.fields.owner = None;
        task.fields.start = None;
        task.fields.due = None;
        let change = update_fields(&task, &remote_id, previous);
        apply_ok(CASE, &mut c, &[change]).await;
        let obs = observe(CASE, &mut c, None).await;
        expect_task(CASE, &self.caps, &obs, &task);

        // Back to to-do.
        task.state = State::Todo;
        apply_ok(
            CASE,
            &mut c,
            &[update_state(&task, &remote_id, State::Todo)],
        )
        .await;
        let obs = observe(CASE, &mut c, None).await;
        expect_task(CASE, &self.caps, &obs, &task);
    }

    /// Checklist entries are added at their place, updated and archived on their own.
    async fn entries(&mut self) {
        const CASE: &str = "entries";
        let mut task = self.task("entries", &["first", "third"]);
        let mut c = self.h.connector().await;
        let remote_id = create(CASE, &mut c, &task).await;
        let [ana, _] = self.h.people();

        let second = DesiredEntry {
            identity: entry_of(&task, "second"),
            fields: EntryFields {
                text: "בדיקת עובדות".to_owned(),
                owner: Some(ana),
                due: Some(Date::constant(2024, 12, 31)),
            },
            checked: true,
        };
        let applied = apply_ok(
            CASE,
            &mut c,
            &[Change::CreateEntry {
                parent_remote_id: remote_id.clone(),
                parent_identity: task.identity.clone(),
                context: task.context.clone(),
                index: 1,
                entry: second.clone(),
            }],
        )
        .await;
        let Applied::Created {
            remote_id: second_id,
            ..
        } = &applied[0]
        else {
            fail(
                CASE,
                format!("CreateEntry returned {:?}, not Created", applied[0]),
            )
        };
        task.entries.insert(1, second.clone());
        let obs = observe(CASE, &mut c, None).await;
        let seen = expect_task(CASE, &self.caps, &obs, &task);
        ensure(
            CASE,
            &entry(CASE, seen, &second.identity).remote_id == second_id,
            "the created entry is observed under another remote id",
        );
        let first_id = entry(CASE, seen, &task.entries[0].identity)
            .remote_id
            .clone();

        self.entry_updates(&mut c, &mut task, &remote_id, [&first_id, second_id])
            .await;
        self.entry_archive(&mut c, &mut task, &remote_id, second_id)
            .await;
    }

    /// Entry updates: fields alone keep `checked`, `checked` alone keeps the fields. The
    /// entries are the task's first and second.
    async fn entry_updates(
        &mut self,
        c: &mut H::C,
        task: &mut DesiredTask,
        remote_id: &RemoteId,
        [first_id, second_id]: [&RemoteId; 2],
    ) {
        const CASE: &str = "entries";
        let second = task.entries[1].clone();
        // Fields only: `checked` stays.
        task.entries[1].fields.text = "Fact check, twice".to_owned();
        task.entries[1].fields.owner = None;
        let update = Change::UpdateEntry {
            parent_remote_id: remote_id.clone(),
            remote_id: second_id.clone(),
            identity: second.identity.clone(),
            fields: Some(task.entries[1].fields.clone()),
            checked: None,
            unarchive: false,
        };
        let applied = apply_ok(CASE, c, &[update]).await;
        expect_updated(CASE, &applied[0]);
        let obs = observe(CASE, c, None).await;
        expect_task(CASE, &self.caps, &obs, task);

        // `checked` only: the fields stay.
        task.entries[1].checked = false;
        task.entries[0].checked = true;
        let updates = [
            Change::UpdateEntry {
                parent_remote_id: remote_id.clone(),
                remote_id: second_id.clone(),
                identity: second.identity.clone(),
                fields: None,
                checked: Some(false),
                unarchive: false,
            },
            Change::UpdateEntry {
                parent_remote_id: remote_id.clone(),
                remote_id: first_id.clone(),
                identity: task.entries[0].identity.clone(),
                fields: None,
                checked: Some(true),
                unarchive: false,
            },
        ];
        apply_ok(CASE, c, &updates).await;
        let obs = observe(CASE, c, None).await;
        expect_task(CASE, &self.caps, &obs, task);
    }

    /// The second entry archived (kept, marked archived, fields unchanged), then back at its
    /// place.
    async fn entry_archive(
        &mut self,
        c: &mut H::C,
        task: &mut DesiredTask,
        remote_id: &RemoteId,
        second_id: &RemoteId,
    ) {
        const CASE: &str = "entries";
        let second = task.entries[1].clone();
        // Archive: still there, marked archived; the others untouched.
        let archive = Change::ArchiveEntry {
            parent_remote_id: remote_id.clone(),
            remote_id: second_id.clone(),
            identity: second.identity.clone(),
        };
        let applied = apply_ok(CASE, c, &[archive]).await;
        ensure(
            CASE,
            applied[0] == Applied::Archived,
            format!("ArchiveEntry returned {:?}, not Archived", applied[0]),
        );
        let archived = task.entries.remove(1);
        let obs = observe(CASE, c, None).await;
        let seen = expect_task(CASE, &self.caps, &obs, task);
        let e = entry(CASE, seen, &archived.identity);
        ensure(
            CASE,
            e.archived,
            format!("entry `{}` must be observed as archived", archived.identity),
        );
        ensure(
            CASE,
            e.fields == self.caps.entry_fields(&archived.fields),
            format!(
                "archiving entry `{}` changed its fields: {:?}",
                archived.identity, e.fields
            ),
        );

        // Unarchive brings it back where it was.
        let unarchive = Change::UpdateEntry {
            parent_remote_id: remote_id.clone(),
            remote_id: second_id.clone(),
            identity: archived.identity.clone(),
            fields: None,
            checked: None,
            unarchive: true,
        };
        apply_ok(CASE, c, &[unarchive]).await;
        task.entries.insert(1, archived);
        let obs = observe(CASE, c, None).await;
        expect_task(CASE, &self.caps, &obs, task);
    }

    /// Archive keeps the object, marked archived, for this and later connectors.
    async fn archive(&mut self) {
        const CASE: &str = "archive";
        let task = self.task("archive", &["only"]);
        let mut c = self.h.connector().await;
        let remote_id = create(CASE, &mut c, &task).await;
        let archive = Change::ArchiveTask {
            remote_id: remote_id.clone(),
            identity: task.identity.clone(),
            context: task.context.clone(),
        };
        let applied = apply_ok(CASE, &mut c, &[archive]).await;
        ensure(
            CASE,
            applied[0] == Applied::Archived,
            format!("ArchiveTask returned {:?}, not Archived", applied[0]),
        );
        for restarted in [false, true] {
            if restarted {
                c = self.h.connector().await;
            }
            let obs = observe(CASE, &mut c, None).await;
            let seen = one(CASE, &obs, &task.identity);
            ensure(
                CASE,
                seen.archived,
                format!(
                    "`{}` must be observed as archived, never gone",
                    task.identity
                ),
            );
            ensure(
                CASE,
                seen.remote_id == remote_id,
                "the archived task came back under another remote id",
            );
            ensure(
                CASE,
                seen.fields == self.caps.task_fields(&task.fields),
                format!(
                    "archiving changed the fields of `{}`: {:?}",
                    task.identity, seen.fields
                ),
            );
            ensure(
                CASE,
                entry(CASE, seen, &task.entries[0].identity).fields
                    == self.caps.entry_fields(&task.entries[0].fields),
                "archiving a task changed its entries",
            );
        }

        let unarchive = Change::UpdateTask {
            remote_id: remote_id.clone(),
            identity: task.identity.clone(),
            context: task.context.clone(),
            fields: None,
            previous: None,
            state: None,
            unarchive: true,
        };
        apply_ok(CASE, &mut c, &[unarchive]).await;
        let obs = observe(CASE, &mut c, None).await;
        expect_task(CASE, &self.caps, &obs, &task);
    }

    /// What a person does in the tool is observed.
    async fn status_pull(&mut self) {
        const CASE: &str = "status pull";
        let mut task = self.task("status-pull", &["a", "b"]);
        let mut c = self.h.connector().await;
        create(CASE, &mut c, &task).await;

        let mut states = vec![State::Done, State::Todo];
        if self.caps.states == StateSupport::Full {
            states.insert(1, State::Doing);
        }
        for state in states {
            self.h.person_sets_state(&task.identity, state).await;
            task.state = state;
            let obs = observe(CASE, &mut c, None).await;
            let seen = expect_task(CASE, &self.caps, &obs, &task);
            ensure(
                CASE,
                seen.state == state,
                format!(
                    "a person set `{}` to {state}; observed {}",
                    task.identity, seen.state
                ),
            );
        }
        for checked in [true, false] {
            let id = task.entries[1].identity.clone();
            self.h.person_checks_entry(&id, checked).await;
            task.entries[1].checked = checked;
            let obs = observe(CASE, &mut c, None).await;
            let seen = expect_task(CASE, &self.caps, &obs, &task);
            ensure(
                CASE,
                entry(CASE, seen, &id).checked == checked,
                format!("a person set `{id}` checked = {checked}; not observed"),
            );
        }
    }

    /// A restarted process finds the objects by the identity they carry, and can change them.
    async fn adoption(&mut self) {
        const CASE: &str = "identity adoption";
        let mut task = self.task("adoption", &["a"]);
        let remote_id = {
            let mut first = self.h.connector().await;
            create(CASE, &mut first, &task).await
        };
        let mut c = self.h.connector().await;
        let obs = observe(CASE, &mut c, None).await;
        let seen = expect_task(CASE, &self.caps, &obs, &task);
        ensure(
            CASE,
            seen.remote_id == remote_id,
            format!(
                "after a restart `{}` has remote id {}, not {remote_id}",
                task.identity, seen.remote_id
            ),
        );
        let found = c
            .find(&task.identity)
            .await
            .unwrap_or_else(|e| fail(CASE, format!("find(`{}`) failed: {e}", task.identity)));
        let found = found.unwrap_or_else(|| {
            fail(
                CASE,
                format!("find(`{}`) found nothing after a restart", task.identity),
            )
        });
        ensure(
            CASE,
            found.remote_id == remote_id && found.identity.as_deref() == Some(&task.identity),
            format!(
                "find(`{}`) returned {} / {:?}",
                task.identity, found.remote_id, found.identity
            ),
        );
        let nobody = "conformance-nobody/draft";
        match c.find(nobody).await {
            Ok(None) => {}
            other => fail(
                CASE,
                format!("find(`{nobody}`) must be Ok(None), got {other:?}"),
            ),
        }

        let previous = task.fields.clone();
        task.fields.title = "Adopted and renamed".to_owned();
        let change = update_fields(&task, &remote_id, previous);
        apply_ok(CASE, &mut c, &[change]).await;
        let mut again = self.h.connector().await;
        let obs = observe(CASE, &mut again, None).await;
        expect_task(CASE, &self.caps, &obs, &task);
    }

    /// Observing without changes gives the same observation; an empty apply changes nothing.
    async fn idempotence(&mut self) {
        const CASE: &str = "idempotence";
        let mut c = self.h.connector().await;
        let first = observe(CASE, &mut c, None).await;
        let with_cursor = observe(CASE, &mut c, first.cursor.clone()).await;
        same_tasks(
            CASE,
            "observing again with the cursor",
            &first,
            &with_cursor,
        );
        let again = observe(CASE, &mut c, None).await;
        same_tasks(CASE, "observing again", &first, &again);

        let results = c.apply(&[]).await;
        ensure(
            CASE,
            results.is_empty(),
            format!("applying no changes returned {} results", results.len()),
        );
        let after = observe(CASE, &mut c, with_cursor.cursor.clone()).await;
        same_tasks(CASE, "applying no changes", &first, &after);
        let mut fresh = self.h.connector().await;
        let restarted = observe(CASE, &mut fresh, after.cursor.clone()).await;
        same_tasks(
            CASE,
            "a restarted connector with the last cursor",
            &first,
            &restarted,
        );
        let restarted = observe(CASE, &mut fresh, None).await;
        same_tasks(CASE, "a restarted connector", &first, &restarted);
    }

    /// One result per change, in order; changes to missing objects fail with NotFound and
    /// leave the others alone.
    async fn batch(&mut self) {
        const CASE: &str = "batch";
        let mut kept = self.task("batch-kept", &["a"]);
        let gone = self.task("batch-archived", &[]);
        let new = self.task("batch-new", &["x", "y"]);
        let mut c = self.h.connector().await;
        let kept_id = create(CASE, &mut c, &kept).await;
        let gone_id = create(CASE, &mut c, &gone).await;
        let missing = self.h.missing_remote_id();

        kept.state = State::Done;
        let added = DesiredEntry {
            identity: entry_of(&kept, "b"),
            fields: EntryFields {
                text: "Added in a batch".to_owned(),
                owner: None,
                due: None,
            },
            checked: false,
        };
        let changes = batch_changes(&new, [&kept, &gone], [&kept_id, &gone_id], &added, &missing);
        let _ = observe(CASE, &mut c, None).await;
        let results = c.apply(&changes).await;
        ensure(
            CASE,
            results.len() == changes.len(),
            format!("{} changes gave {} results", changes.len(), results.len()),
        );
        let expect = |i: usize, want: &str| {
            let r = &results[i];
            let good = matches!(
                (want, r),
                ("created", Ok(Applied::Created { .. }))
                    | ("updated", Ok(Applied::Updated { .. }))
                    | ("archived", Ok(Applied::Archived))
                    | ("not found", Err(ConnectorError::NotFound { .. }))
            );
            ensure(CASE, good, format!("result {i} must be {want}, got {r:?}"));
        };
        expect(0, "created");
        expect(1, "not found");
        expect(2, "updated");
        expect(3, "archived");
        expect(4, "not found");
        expect(5, "created");
        expect(6, "not found");

        kept.entries.push(added);
        let obs = observe(CASE, &mut c, None).await;
        expect_task(CASE, &self.caps, &obs, &new);
        expect_task(CASE, &self.caps, &obs, &kept);
        let seen = one(CASE, &obs, &gone.identity);
        ensure(
            CASE,
            seen.archived,
            format!("`{}` must be archived", gone.identity),
        );
        ensure(
            CASE,
            obs.tasks.iter().all(|t| t.remote_id != missing),
            format!("a change to missing remote id {missing} created it"),
        );
        ensure(
            CASE,
            obs.tasks
                .iter()
                .all(|t| t.identity.as_deref() != Some("conformance-missing/draft")),
            "a change to a missing object created one",
        );
    }

    /// After everything above, every identity is on exactly one object.
    /// The people the harness names have accounts, a stranger has none, and nobody who was
    /// not asked about is in the answer.
    async fn accounts(&mut self) {
        const CASE: &str = "people with accounts";
        let mut c = self.h.connector().await;
        let _ = observe(CASE, &mut c, None).await;
        let mut asked: std::collections::BTreeSet<String> = self.h.people().into();
        let stranger = self.h.stranger();
        asked.extend(stranger.clone());
        let answer = c
            .people_with_accounts(&asked)
            .await
            .unwrap_or_else(|e| fail(CASE, format!("people_with_accounts failed: {e}")));
        let [a, b] = self.h.people();
        ensure(
            CASE,
            answer.contains(&a) && answer.contains(&b),
            format!("{a} and {b} have accounts, but the answer was {answer:?}"),
        );
        ensure(
            CASE,
            answer.is_subset(&asked),
            format!("the answer {answer:?} names people not asked about ({asked:?})"),
        );
        if let Some(s) = stranger {
            ensure(
                CASE,
                !answer.contains(&s),
                format!("{s} has no account in the tool, but the answer has them"),
            );
        }
        let none = c
            .people_with_accounts(&Default::default())
            .await
            .unwrap_or_else(|e| fail(CASE, format!("people_with_accounts of nobody failed: {e}")));
        ensure(
            CASE,
            none.is_empty(),
            format!("nobody asked, {none:?} answered"),
        );
    }

    async fn no_duplicates(&mut self) {
        const CASE: &str = "no duplicates";
        let mut c = self.h.connector().await;
        let obs = observe(CASE, &mut c, None).await;
        let mut seen = std::collections::BTreeMap::<&str, usize>::new();
        for task in &obs.tasks {
            let ids =
                std::iter::once(&task.identity).chain(task.entries.iter().map(|e| &e.identity));
            for id in ids.flatten() {
                *seen.entry(id.as_str()).or_default() += 1;
            }
        }
        let dups: Vec<_> = seen.into_iter().filter(|&(_, n)| n > 1).collect();
        ensure(
            CASE,
            dups.is_empty(),
            format!("identities on more than one object: {dups:?}"),
        );
    }
}

/// The batch case's changes: a create, updates and archives of objects that are there and of
/// one that is not, an entry added and an entry that is not there updated.
fn batch_changes(
    new: &DesiredTask,
    [kept, gone]: [&DesiredTask; 2],
    [kept_id, gone_id]: [&RemoteId; 2],
    added: &DesiredEntry,
    missing: &RemoteId,
) -> Vec<Change> {
    vec![
        Change::CreateTask { task: new.clone() },
        Change::UpdateTask {
            remote_id: missing.clone(),
            identity: "conformance-missing/draft".to_owned(),
            context: kept.context.clone(),
            fields: None,
            previous: None,
            state: Some(State::Done),
            unarchive: false,
        },
        update_state(kept, kept_id, State::Done),
        Change::ArchiveTask {
            remote_id: gone_id.clone(),
            identity: gone.identity.clone(),
            context: gone.context.clone(),
        },
        Change::ArchiveTask {
            remote_id: missing.clone(),
            identity: "conformance-missing/draft".to_owned(),
            context: gone.context.clone(),
        },
        Change::CreateEntry {
            parent_remote_id: kept_id.clone(),
            parent_identity: kept.identity.clone(),
            context: kept.context.clone(),
            index: 1,
            entry: added.clone(),
        },
        Change::UpdateEntry {
            parent_remote_id: kept_id.clone(),
            remote_id: missing.clone(),
            identity: entry_of(kept, "missing"),
            fields: None,
            checked: Some(true),
            unarchive: false,
        },
    ]
}
