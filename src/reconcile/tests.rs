//! The decision table, row by row, plus the safety stops.

use jiff::Timestamp;
use throughline_connector::{
    Capabilities, Change, DesiredEntry, DesiredTask, EntryFields, Observation, ObservedEntry,
    ObservedTask, State, StateSupport, TaskContext, TaskFields,
};

use super::*;
use crate::state::Link;

fn caps(states: StateSupport) -> Capabilities {
    Capabilities {
        states,
        description: true,
        owner: true,
        start: true,
        due: true,
        entry_owner: true,
        entry_due: true,
        batch_size: 1,
    }
}

fn fields(title: &str) -> TaskFields {
    TaskFields {
        title: title.into(),
        description: String::new(),
        group: "Copy".into(),
        owner: Some("yossi@example.com".into()),
        start: Some(jiff::civil::date(2026, 12, 6)),
        due: Some(jiff::civil::date(2026, 12, 8)),
    }
}

fn entry(id: &str, text: &str) -> DesiredEntry {
    DesiredEntry {
        identity: id.into(),
        fields: EntryFields {
            text: text.into(),
            owner: None,
            due: None,
        },
        checked: false,
    }
}

fn desired(id: &str, title: &str) -> DesiredTask {
    DesiredTask {
        identity: id.into(),
        fields: fields(title),
        state: State::Todo,
        context: TaskContext::default(),
        entries: vec![entry(&format!("{id}/e1"), "first")],
    }
}

fn observed_from(d: &DesiredTask, remote: &str) -> ObservedTask {
    ObservedTask {
        remote_id: remote.into(),
        identity: Some(d.identity.clone()),
        fields: d.fields.clone(),
        state: State::Todo,
        archived: false,
        version: None,
        modified: None,
        modified_by: None,
        entries: d
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| ObservedEntry {
                remote_id: format!("{remote}-e{i}"),
                identity: Some(e.identity.clone()),
                fields: e.fields.clone(),
                checked: false,
                archived: false,
                modified: None,
                modified_by: None,
            })
            .collect(),
        status_cells: Default::default(),
    }
}

/// Links as a successful create of `d` as `remote` would leave them.
fn links_for(d: &DesiredTask, remote: &str) -> Vec<Link> {
    let mut out = vec![Link {
        target: "t".into(),
        identity: d.identity.clone(),
        parent: None,
        remote_id: remote.into(),
        pushed: Some(
            PushedRecord {
                fields: fields::to_map(&d.fields),
                drift_seen: Default::default(),
            }
            .to_json(),
        ),
        pulled: Some(State::Todo),
        remote_version: None,
        archived: false,
        updated_at: Timestamp::UNIX_EPOCH,
        pulled_reason: None,
    }];
    for (i, e) in d.entries.iter().enumerate() {
        out.push(Link {
            target: "t".into(),
            identity: e.identity.clone(),
            parent: Some(d.identity.clone()),
            remote_id: format!("{remote}-e{i}"),
            pushed: Some(
                PushedRecord {
                    fields: fields::to_map(&e.fields),
                    drift_seen: Default::default(),
                }
                .to_json(),
            ),
            pulled: Some(State::Todo),
            remote_version: None,
            archived: false,
            updated_at: Timestamp::UNIX_EPOCH,
            pulled_reason: None,
        });
    }
    out
}

struct Case {
    caps: Capabilities,
    desired: Vec<DesiredTask>,
    links: Vec<Link>,
    observation: Observation,
    hub: HubStatus,
    created: std::collections::HashMap<String, State>,
    drift: DriftPolicy,
    allow_mass_archive: bool,
    allow_mass_create: bool,
    allow_recreate: bool,
}

impl Case {
    fn new() -> Self {
        Case {
            caps: caps(StateSupport::Full),
            desired: Vec::new(),
            links: Vec::new(),
            observation: Observation::default(),
            hub: HubStatus::new(),
            created: Default::default(),
            drift: DriftPolicy::default(),
            allow_mass_archive: false,
            allow_mass_create: false,
            allow_recreate: false,
        }
    }

    /// `n` tasks, created and linked, tool in step with the hub.
    fn in_step(n: usize) -> Self {
        let mut c = Case::new();
        for i in 0..n {
            let d = desired(&format!("item{i}/copy"), &format!("Item {i}"));
            c.links.extend(links_for(&d, &format!("r{i}")));
            c.observation
                .tasks
                .push(observed_from(&d, &format!("r{i}")));
            c.desired.push(d);
        }
        c
    }

    fn plan(&self) -> TargetPlan {
        plan_target(TargetInput {
            target: "t",
            capabilities: &self.caps,
            desired: &self.desired,
            links: &self.links,
            observation: &self.observation,
            hub: &self.hub,
            created: &self.created,
            drift: &self.drift,
            max_archive_share: 0.25,
            allow_mass_archive: self.allow_mass_archive,
            max_create_share: 1.0,
            max_creates: 1000,
            max_recreate_share: 0.25,
            allow_mass_create: self.allow_mass_create,
            allow_recreate: self.allow_recreate,
        })
    }
}

fn kinds(p: &TargetPlan) -> Vec<(ChangeKind, String)> {
    p.changes
        .iter()
        .map(|c| (c.kind, c.change.identity().to_string()))
        .collect()
}

#[test]
fn desired_without_link_or_object_is_created_with_its_entries() {
    let mut c = Case::new();
    c.desired.push(desired("a/copy", "A"));
    let p = c.plan();
    assert_eq!(kinds(&p), vec![(ChangeKind::Create, "a/copy".to_string())]);
    let Change::CreateTask { task } = &p.changes[0].change else {
        panic!()
    };
    assert_eq!(task.entries.len(), 1);
    assert_eq!(
        p.changes[0].links.len(),
        2,
        "task and entry links recorded after the create"
    );
    assert!(p.stop.is_none());
}

#[test]
fn in_step_plans_nothing() {
    let p = Case::in_step(3).plan();
    assert!(p.changes.is_empty(), "{:?}", p.changes);
    assert!(p.bookkeeping.is_empty(), "{:?}", p.bookkeeping);
    assert!(p.pulls.is_empty() && p.drift.is_empty() && p.unknown.is_empty());
}

#[test]
fn object_found_by_identity_without_link_is_adopted_not_duplicated() {
    let mut c = Case::new();
    let d = desired("a/copy", "A");
    c.observation.tasks.push(observed_from(&d, "r1"));
    c.desired.push(d);
    let p = c.plan();
    assert!(p.changes.is_empty(), "{:?}", p.changes);
    let ids: Vec<_> = p
        .bookkeeping
        .iter()
        .map(|l| (l.identity.as_str(), l.remote_id.as_deref()))
        .collect();
    assert_eq!(
        ids,
        vec![("a/copy", Some("r1")), ("a/copy/e1", Some("r1-e0"))]
    );
}

#[test]
fn adopted_object_with_other_fields_is_updated_without_drift() {
    let mut c = Case::new();
    let d = desired("a/copy", "A");
    let mut o = observed_from(&d, "r1");
    o.fields.title = "old title".into();
    c.observation.tasks.push(o);
    c.desired.push(d);
    let p = c.plan();
    assert_eq!(kinds(&p), vec![(ChangeKind::Update, "a/copy".to_string())]);
    assert!(p.drift.is_empty());
}

#[test]
fn hub_change_is_pushed_with_previous_values() {
    let mut c = Case::in_step(1);
    c.desired[0].fields.due = Some(jiff::civil::date(2026, 12, 9));
    let p = c.plan();
    assert_eq!(p.changes.len(), 1);
    let Change::UpdateTask {
        fields: Some(f),
        previous: Some(prev),
        state: None,
        ..
    } = &p.changes[0].change
    else {
        panic!("{:?}", p.changes[0].change)
    };
    assert_eq!(f.due, Some(jiff::civil::date(2026, 12, 9)));
    assert_eq!(prev.due, Some(jiff::civil::date(2026, 12, 8)));
    assert_eq!(p.changes[0].details, vec!["due: 2026-12-08 → 2026-12-09"]);
}

#[test]
fn tool_status_change_is_pulled_and_not_pushed_back() {
    let mut c = Case::in_step(1);
    c.observation.tasks[0].state = State::Done;
    c.observation.tasks[0].modified_by = Some("dana@example.com".into());
    // First pass: the hub does not know yet.
    let first = c.plan();
    assert_eq!(first.pulls.len(), 1);
    assert_eq!(first.pulls[0].state, State::Done);
    assert_eq!(first.pulls[0].person.as_deref(), Some("dana@example.com"));
    // Final pass, after the merge: nothing to push, the link remembers what was pulled.
    c.hub.insert("item0/copy".into(), State::Done.into());
    let p = c.plan();
    assert!(p.changes.is_empty(), "{:?}", p.changes);
    assert_eq!(p.bookkeeping.len(), 1);
    assert_eq!(p.bookkeeping[0].pulled, Some(State::Done));
}

#[test]
fn hub_status_from_another_tool_is_pushed() {
    let mut c = Case::in_step(1);
    c.hub.insert("item0/copy".into(), State::Done.into());
    c.hub.insert("item0/copy/e1".into(), State::Done.into());
    let p = c.plan();
    assert!(p.pulls.is_empty());
    assert_eq!(p.changes.len(), 2);
    assert!(matches!(
        p.changes[0].change,
        Change::UpdateTask {
            state: Some(State::Done),
            fields: None,
            ..
        }
    ));
    assert!(matches!(
        p.changes[1].change,
        Change::UpdateEntry {
            checked: Some(true),
            fields: None,
            ..
        }
    ));
}

#[test]
fn doing_is_not_pushed_to_a_done_or_not_tool() {
    let mut c = Case::in_step(1);
    c.caps = caps(StateSupport::DoneOrNot);
    c.hub.insert("item0/copy".into(), State::Doing.into());
    let p = c.plan();
    assert!(p.changes.is_empty(), "{:?}", p.changes);
}

#[test]
fn checked_entry_is_pulled() {
    let mut c = Case::in_step(1);
    c.observation.tasks[0].entries[0].checked = true;
    let p = c.plan();
    assert_eq!(p.pulls.len(), 1);
    assert_eq!(p.pulls[0].identity, "item0/copy/e1");
    assert_eq!(p.pulls[0].state, State::Done);
}

#[test]
fn drift_is_reverted_by_default_and_reported() {
    let mut c = Case::in_step(1);
    c.observation.tasks[0].fields.owner = Some("someone@example.com".into());
    c.observation.tasks[0].modified_by = Some("someone@example.com".into());
    let p = c.plan();
    assert_eq!(p.drift.len(), 1);
    assert_eq!(p.drift[0].field, "owner");
    assert_eq!(p.drift[0].action, DriftAction::Revert);
    assert_eq!(p.drift[0].person.as_deref(), Some("someone@example.com"));
    let Change::UpdateTask {
        fields: Some(f), ..
    } = &p.changes[0].change
    else {
        panic!()
    };
    assert_eq!(f.owner.as_deref(), Some("yossi@example.com"));
}

#[test]
fn ignored_drift_is_not_pushed() {
    let mut c = Case::in_step(1);
    c.drift.fields.insert("title".into(), DriftAction::Ignore);
    c.observation.tasks[0].fields.title = "Renamed by a person".into();
    let p = c.plan();
    assert!(p.changes.is_empty());
    assert_eq!(p.drift.len(), 1);
    assert!(p.drift[0].first_seen);
    assert_eq!(
        p.bookkeeping.len(),
        1,
        "the link remembers the drift was reported"
    );
}

#[test]
fn linked_object_missing_from_the_tool_is_recreated() {
    // One of four: within max_recreate_share.
    let mut c = Case::in_step(4);
    c.observation.tasks.remove(1);
    let p = c.plan();
    assert_eq!(
        kinds(&p),
        vec![(ChangeKind::Recreate, "item1/copy".to_string())]
    );
}

#[test]
fn archived_in_the_tool_but_desired_is_revived_on_its_own_line() {
    let mut c = Case::in_step(1);
    c.observation.tasks[0].archived = true;
    let p = c.plan();
    assert_eq!(
        kinds(&p),
        vec![(ChangeKind::Revive, "item0/copy".to_string())]
    );
    assert!(matches!(
        p.changes[0].change,
        Change::UpdateTask {
            unarchive: true,
            ..
        }
    ));
}

#[test]
fn removed_from_model_is_archived_never_deleted() {
    let mut c = Case::in_step(8);
    c.desired.remove(3);
    let p = c.plan();
    assert_eq!(
        kinds(&p),
        vec![(ChangeKind::Archive, "item3/copy".to_string())]
    );
    assert!(p.stop.is_none());
    assert!(p.changes[0].links[0].archived);
}

#[test]
fn removed_and_already_gone_only_marks_the_link() {
    let mut c = Case::in_step(8);
    c.desired.remove(3);
    c.observation.tasks.remove(3);
    let p = c.plan();
    assert!(p.changes.is_empty());
    assert!(
        p.bookkeeping
            .iter()
            .any(|l| l.identity == "item3/copy" && l.archived)
    );
}

#[test]
fn unknown_marker_is_reported_and_left_alone() {
    let mut c = Case::in_step(1);
    let stranger = desired("other/copy", "X");
    c.observation.tasks.push(observed_from(&stranger, "rx"));
    let p = c.plan();
    assert!(p.changes.is_empty());
    assert_eq!(p.unknown.len(), 1);
    assert_eq!(p.unknown[0].identity, "other/copy");
}

#[test]
fn a_second_copy_of_a_linked_task_is_reported_not_adopted() {
    let mut c = Case::in_step(1);
    let copy = observed_from(&c.desired[0], "r-copy");
    c.observation.tasks.push(copy);
    let p = c.plan();
    assert!(p.stop.is_none() && p.changes.is_empty(), "{p:?}");
    assert_eq!(p.unknown.len(), 1);
    assert_eq!(p.unknown[0].remote_id, "r-copy");
}

#[test]
fn two_unlinked_objects_claiming_one_task_stop_the_target_and_neither_is_adopted() {
    let mut c = Case::new();
    let d = desired("a/copy", "A");
    c.observation.tasks.push(observed_from(&d, "r1"));
    c.observation.tasks.push(observed_from(&d, "r2"));
    c.desired.push(d);
    c.desired.push(desired("b/copy", "B"));
    let p = c.plan();
    let stop = p
        .stop
        .as_ref()
        .expect("an adoption conflict stops the target");
    assert_eq!(stop.kind, StopKind::AdoptionConflict);
    assert!(
        stop.reason.contains("r1, r2") && stop.reason.contains("a/copy"),
        "{}",
        stop.reason
    );
    assert_eq!(stop.held_back.create, 1, "b/copy is held back too");
    assert!(p.changes.is_empty() && p.bookkeeping.is_empty() && p.pulls.is_empty());
    let reported: Vec<&str> = p.unknown.iter().map(|u| u.remote_id.as_str()).collect();
    assert_eq!(reported, ["r1", "r2"]);
    // An archived copy does not compete with a live one.
    c.observation.tasks[1].archived = true;
    let p = c.plan();
    assert!(p.stop.is_none(), "{:?}", p.stop);
    assert_eq!(p.bookkeeping[0].remote_id.as_deref(), Some("r1"));
}

#[test]
fn objects_without_identity_are_ignored() {
    let mut c = Case::in_step(1);
    let mut foreign = observed_from(&desired("x/y", "a person's own card"), "rp");
    foreign.identity = None;
    c.observation.tasks.push(foreign);
    let p = c.plan();
    assert!(p.changes.is_empty() && p.unknown.is_empty());
}

#[test]
fn suddenly_empty_target_stops() {
    let mut c = Case::in_step(3);
    c.observation.tasks.clear();
    let p = c.plan();
    let stop = p.stop.expect("a target that lost everything must stop");
    assert!(
        stop.reason.contains("suddenly looks empty"),
        "{}",
        stop.reason
    );
}

#[test]
fn archiving_too_much_stops_unless_allowed() {
    let mut c = Case::in_step(8);
    c.desired.truncate(5);
    let p = c.plan();
    let stop = p.stop.as_ref().expect("stopped");
    assert!(stop.reason.contains("3 of 8"), "{stop:?}");
    assert_eq!(stop.held_back.archive, 3);
    assert!(p.changes.is_empty(), "a stopped plan holds no changes");
    c.allow_mass_archive = true;
    assert!(c.plan().stop.is_none());
}

#[test]
fn entry_added_to_the_playbook_is_created_under_its_task() {
    let mut c = Case::in_step(1);
    c.desired[0].entries.push(entry("item0/copy/e2", "second"));
    let p = c.plan();
    assert_eq!(p.changes.len(), 1);
    let Change::CreateEntry {
        parent_remote_id,
        index,
        ..
    } = &p.changes[0].change
    else {
        panic!()
    };
    assert_eq!((parent_remote_id.as_str(), *index), ("r0", 1));
}

#[test]
fn entry_removed_from_the_playbook_is_archived() {
    let mut c = Case::in_step(1);
    c.desired[0].entries.clear();
    let p = c.plan();
    assert_eq!(
        kinds(&p),
        vec![(ChangeKind::Archive, "item0/copy/e1".to_string())]
    );
    assert!(matches!(p.changes[0].change, Change::ArchiveEntry { .. }));
}

#[test]
fn hebrew_titles_pass_through_untouched() {
    let mut c = Case::new();
    c.desired
        .push(desired("השקה/copy", "השקת הרשת החברתית — כתיבה"));
    let p = c.plan();
    let Change::CreateTask { task } = &p.changes[0].change else {
        panic!()
    };
    assert_eq!(task.fields.title, "השקת הרשת החברתית — כתיבה");
}

#[test]
fn an_object_this_engine_made_but_never_linked_is_judged_by_what_it_was_made_with() {
    // A stopped cycle created the task as "to do" and never linked it; the hub moved to done.
    let mut c = Case::new();
    let d = desired("a/copy", "A");
    c.observation.tasks.push(observed_from(&d, "r1"));
    c.desired.push(d);
    c.hub.insert("a/copy".into(), State::Done.into());
    c.hub.insert("a/copy/e1".into(), State::Done.into());
    c.created.insert("a/copy".into(), State::Todo);
    c.created.insert("a/copy/e1".into(), State::Todo);
    let p = c.plan();
    assert!(
        p.pulls.is_empty(),
        "still as made: nothing a person did: {:?}",
        p.pulls
    );
    assert_eq!(
        p.changes.len(),
        2,
        "the hub's done is pushed to it: {:?}",
        p.changes
    );
    // A person ticked the unlinked object itself: that is kept.
    c.hub.clear();
    c.observation.tasks[0].state = State::Done;
    c.observation.tasks[0].entries[0].checked = true;
    let p = c.plan();
    assert_eq!(p.pulls.len(), 2, "{:?}", p.pulls);
    assert!(p.pulls.iter().all(|x| x.state == State::Done));
}

#[test]
fn most_of_a_target_gone_from_the_tool_stops_instead_of_re_creating_it() {
    // 142 of 143 cards deleted: the "suddenly empty" stop does not see it (one is left).
    let mut c = Case::in_step(143);
    c.observation.tasks.truncate(1);
    let p = c.plan();
    let stop = p.stop.as_ref().expect("a mass disappearance stops");
    assert_eq!(stop.kind, StopKind::MassRecreate);
    assert!(
        stop.reason.contains("142 of 143") && stop.reason.contains("--allow-recreate"),
        "{}",
        stop.reason
    );
    assert_eq!(stop.held_back.create, 142);
    assert!(p.changes.is_empty(), "nothing is planned past a stop");
    c.allow_recreate = true;
    let p = c.plan();
    assert!(p.stop.is_none(), "{:?}", p.stop);
    assert_eq!(p.counts().0, 142);
}

#[test]
fn creating_more_than_the_target_holds_stops_but_a_first_push_does_not() {
    // A first push of the larger example: nothing linked yet, 143 tasks.
    let mut c = Case::new();
    for i in 0..143 {
        c.desired
            .push(desired(&format!("item{i}/copy"), &format!("Item {i}")));
    }
    assert!(c.plan().stop.is_none());
    // A cadence that suddenly expands: 10 linked, 11 more to create.
    let mut c = Case::in_step(10);
    for i in 10..21 {
        c.desired
            .push(desired(&format!("item{i}/copy"), &format!("Item {i}")));
    }
    let p = c.plan();
    let stop = p
        .stop
        .as_ref()
        .expect("more new tasks than the target holds");
    assert_eq!(stop.kind, StopKind::MassCreate);
    assert!(
        stop.reason.contains("max_create_share") && stop.reason.contains("--allow-mass-create"),
        "{}",
        stop.reason
    );
    assert_eq!(stop.held_back.create, 11);
    c.desired.pop();
    assert!(c.plan().stop.is_none(), "doubling is allowed");
    c.allow_mass_create = true;
    c.desired.push(desired("item20/copy", "Item 20"));
    assert!(c.plan().stop.is_none());
}

#[test]
fn creating_more_than_max_creates_at_once_stops_even_a_first_push() {
    let mut c = Case::new();
    for i in 0..1001 {
        c.desired
            .push(desired(&format!("tip@{i}/copy"), &format!("Tip {i}")));
    }
    let p = c.plan();
    let stop = p.stop.as_ref().expect("a typo in a cadence stops");
    assert_eq!(stop.kind, StopKind::MassCreate);
    assert!(
        stop.reason.contains("1001 tasks") && stop.reason.contains("max_creates"),
        "{}",
        stop.reason
    );
    c.allow_mass_create = true;
    assert!(c.plan().stop.is_none());
}

#[test]
fn the_empty_target_stop_names_target_reset() {
    let mut c = Case::in_step(2);
    c.observation.tasks.clear();
    let stop = c.plan().stop.unwrap();
    assert_eq!(stop.kind, StopKind::SuddenlyEmpty);
    assert!(
        stop.reason.contains("throughline target reset t"),
        "{}",
        stop.reason
    );
}

#[test]
fn an_unlinked_object_tells_its_status_even_when_it_equals_the_hubs() {
    // The state file is gone: no link, no intent. What the tool holds is told, so that a
    // disagreeing tool makes a conflict instead of silently winning.
    let mut c = Case::new();
    let d = desired("a/copy", "A");
    c.observation.tasks.push(observed_from(&d, "r1"));
    c.desired.push(d);
    let p = c.plan();
    assert_eq!(p.pulls.len(), 2, "the task and its entry: {:?}", p.pulls);
    assert!(p.pulls.iter().all(|x| x.unlinked && x.state == State::Todo));
    // Linked and unchanged: nothing to tell.
    let p = Case::in_step(1).plan();
    assert!(p.pulls.is_empty());
}

// --- Grid tools: status words the mapping does not know, Status/Done agreement -----------

/// One linked task the hub and the tool last agreed was `state`, observed now as `seen` with
/// these status cells.
fn grid_case(state: State, seen: State, cells: throughline_connector::StatusCells) -> Case {
    let mut c = Case::in_step(1);
    c.hub.insert("item0/copy".into(), state.into());
    c.links[0].pulled = Some(state);
    c.observation.tasks[0].state = seen;
    c.observation.tasks[0].status_cells = cells;
    c
}

fn unknown_word() -> Option<throughline_connector::UnknownStatusWord> {
    Some(throughline_connector::UnknownStatusWord {
        word: "waiting on legal".into(),
        cell: "Content!H2".into(),
        accepted: vec!["To do".into(), "In progress".into(), "Done".into()],
    })
}

#[test]
fn an_unknown_status_word_is_no_status_change_and_is_reported() {
    // Typed over "In progress"; the unticked row reads as to do, which is not a move.
    let c = grid_case(
        State::Doing,
        State::Todo,
        throughline_connector::StatusCells {
            unknown: unknown_word(),
            disagree: false,
            note_outdated: true,
            ..Default::default()
        },
    );
    let p = c.plan();
    assert!(p.pulls.is_empty(), "{:?}", p.pulls);
    assert_eq!(p.unknown_words.len(), 1);
    assert_eq!(p.unknown_words[0].state, State::Doing);
    assert_eq!(p.unknown_words[0].word.cell, "Content!H2");
    // Written once, for the note: the state the hub has, the word left as typed.
    assert_eq!(p.changes.len(), 1);
    let Change::UpdateTask { state, .. } = &p.changes[0].change else {
        panic!("{:?}", p.changes[0]);
    };
    assert_eq!(*state, Some(State::Doing));
    assert!(
        p.changes[0].details[0].contains("\"waiting on legal\" in Content!H2 is left as typed"),
        "{:?}",
        p.changes[0].details
    );
    // Once noted, nothing to write; still reported.
    let c = grid_case(
        State::Doing,
        State::Todo,
        throughline_connector::StatusCells {
            unknown: unknown_word(),
            ..Default::default()
        },
    );
    let p = c.plan();
    assert!(p.changes.is_empty() && p.pulls.is_empty(), "{p:?}");
    assert_eq!(p.unknown_words.len(), 1);
}

#[test]
fn beside_an_unknown_word_the_done_column_still_moves_the_state() {
    let ticked = grid_case(
        State::Doing,
        State::Done,
        throughline_connector::StatusCells {
            unknown: unknown_word(),
            ..Default::default()
        },
    );
    let p = ticked.plan();
    assert_eq!(p.pulls.len(), 1);
    assert_eq!(p.pulls[0].state, State::Done);
    // Unticked a done row whose status a person had typed over: to do.
    let unticked = grid_case(
        State::Done,
        State::Todo,
        throughline_connector::StatusCells {
            unknown: unknown_word(),
            ..Default::default()
        },
    );
    let p = unticked.plan();
    assert_eq!(p.pulls.len(), 1);
    assert_eq!(p.pulls[0].state, State::Todo);
}

#[test]
fn disagreeing_status_and_done_columns_are_written_again() {
    let c = grid_case(
        State::Done,
        State::Done,
        throughline_connector::StatusCells {
            disagree: true,
            ..Default::default()
        },
    );
    let p = c.plan();
    assert_eq!(p.changes.len(), 1, "{p:?}");
    let Change::UpdateTask { state, fields, .. } = &p.changes[0].change else {
        panic!("{:?}", p.changes[0]);
    };
    assert_eq!((*state, fields.is_none()), (Some(State::Done), true));
    assert_eq!(
        p.changes[0].details,
        ["status: done, the status and done columns brought back into agreement"]
    );
    let agreeing = grid_case(State::Done, State::Done, Default::default());
    assert!(agreeing.plan().changes.is_empty());
}

// --- Blocked: the state and its reason, pulled and pushed ----------------------------------

/// One linked task last seen as blocked for `reason` in a tool with a place for reasons.
fn blocked_case(hub_reason: Option<&str>, seen_reason: Option<&str>) -> Case {
    let mut c = Case::in_step(1);
    c.hub.insert(
        "item0/copy".into(),
        HubState {
            state: State::Blocked,
            reason: hub_reason.map(str::to_string),
            before_blocked: State::Doing,
        },
    );
    c.links[0].pulled = Some(State::Blocked);
    c.links[0].pulled_reason = hub_reason.map(str::to_string);
    let o = &mut c.observation.tasks[0];
    o.state = State::Blocked;
    o.status_cells.holds_reason = true;
    o.status_cells.blocked_reason = seen_reason.map(str::to_string);
    c
}

#[test]
fn blocked_in_the_tool_is_pulled_with_its_reason() {
    let mut c = Case::in_step(1);
    let o = &mut c.observation.tasks[0];
    o.state = State::Blocked;
    o.status_cells.holds_reason = true;
    o.status_cells.blocked_reason = Some("waiting on legal".into());
    let p = c.plan();
    assert_eq!(p.pulls.len(), 1);
    assert_eq!(
        (p.pulls[0].state, p.pulls[0].reason.as_deref()),
        (State::Blocked, Some("waiting on legal"))
    );
    assert!(p.pulls[0].holds_reason);
}

#[test]
fn a_new_reason_while_blocked_is_pulled() {
    let p = blocked_case(Some("legal"), Some("the printer")).plan();
    assert_eq!(p.pulls.len(), 1);
    assert_eq!(p.pulls[0].reason.as_deref(), Some("the printer"));
    // Unchanged: nothing pulled, nothing pushed, nothing to record.
    let p = blocked_case(Some("legal"), Some("legal")).plan();
    assert!(p.pulls.is_empty() && p.changes.is_empty() && p.bookkeeping.is_empty());
}

#[test]
fn the_hubs_blocked_state_and_reason_are_pushed() {
    let mut c = Case::in_step(1);
    c.hub.insert(
        "item0/copy".into(),
        HubState {
            state: State::Blocked,
            reason: Some("waiting on legal".into()),
            before_blocked: State::Todo,
        },
    );
    c.observation.tasks[0].status_cells.holds_reason = true;
    let p = c.plan();
    assert!(p.pulls.is_empty());
    let Change::UpdateTask { state, context, .. } = &p.changes[0].change else {
        panic!("{:?}", p.changes)
    };
    assert_eq!(*state, Some(State::Blocked));
    assert_eq!(context.blocked_reason.as_deref(), Some("waiting on legal"));
    assert_eq!(
        p.changes[0].details,
        ["status: todo → blocked (waiting on legal)"]
    );
    let l = &p.changes[0].links[0];
    assert_eq!(
        (l.pulled, l.pulled_reason.as_deref()),
        (Some(State::Blocked), Some("waiting on legal"))
    );
}

#[test]
fn a_changed_reason_in_the_hub_is_pushed_alone() {
    // Another tool gave a new reason; this one still shows the old.
    let p = blocked_case(Some("the printer"), Some("legal")).plan();
    assert_eq!(p.pulls.len(), 1, "the tool moved since: {:?}", p.pulls);
    let mut c = blocked_case(Some("legal"), Some("legal"));
    c.hub.get_mut("item0/copy").unwrap().reason = Some("the printer".into());
    let p = c.plan();
    assert!(p.pulls.is_empty());
    assert_eq!(
        p.changes[0].details,
        ["status: blocked, reason: \"legal\" → \"the printer\""]
    );
    let Change::UpdateTask { state, context, .. } = &p.changes[0].change else {
        panic!()
    };
    assert_eq!(
        (*state, context.blocked_reason.as_deref()),
        (Some(State::Blocked), Some("the printer"))
    );
}

#[test]
fn a_reason_goes_nowhere_in_a_tool_without_a_place_for_it() {
    let mut c = blocked_case(Some("legal"), None);
    c.caps = caps(StateSupport::DoneBlockedOrNot);
    c.observation.tasks[0].status_cells.holds_reason = false;
    let p = c.plan();
    assert!(p.pulls.is_empty() && p.changes.is_empty(), "{p:?}");
}

#[test]
fn blocked_is_not_pushed_to_a_done_or_not_tool() {
    let mut c = Case::in_step(1);
    c.caps = caps(StateSupport::DoneOrNot);
    c.hub.insert("item0/copy".into(), State::Blocked.into());
    let p = c.plan();
    assert!(p.changes.is_empty() && p.pulls.is_empty(), "{p:?}");
}

#[test]
fn a_created_task_carries_the_hubs_reason() {
    let mut c = Case::new();
    c.desired.push(desired("a/copy", "A"));
    c.hub.insert(
        "a/copy".into(),
        HubState {
            state: State::Blocked,
            reason: Some("legal".into()),
            before_blocked: State::Todo,
        },
    );
    let p = c.plan();
    let Change::CreateTask { task } = &p.changes[0].change else {
        panic!()
    };
    assert_eq!(
        (task.state, task.context.blocked_reason.as_deref()),
        (State::Blocked, Some("legal"))
    );
}
