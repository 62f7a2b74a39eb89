//! Shared builders for the engine scenarios.
#![allow(dead_code)]

pub mod cli;

use jiff::Timestamp;
use jiff::civil::{Date, date};
use throughline::engine::{CycleOptions, CycleReport, EngineError, TargetRun, run_cycle};
use throughline::model::SyncSettings;
use throughline::reconcile::DriftPolicy;
use throughline::state::StateStore;
use throughline_connector::fake::FakeTarget;
use throughline_connector::{
    DesiredEntry, DesiredTask, EntryFields, State, TaskContext, TaskFields,
};

/// A small hub model: items × stages, each task with two checklist entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub items: Vec<(String, String, Date)>,
    pub stages: Vec<(String, String)>,
    pub owner: String,
}

impl Model {
    pub fn new(items: usize) -> Model {
        Model {
            items: (0..items)
                .map(|i| {
                    (
                        format!("item{i}"),
                        format!("Item {i}"),
                        date(2026, 12, 10).saturating_add(jiff::Span::new().days(i as i64)),
                    )
                })
                .collect(),
            stages: vec![
                ("copy".into(), "Copy".into()),
                ("design".into(), "Design".into()),
            ],
            owner: "yossi@example.com".into(),
        }
    }

    pub fn desired(&self) -> Vec<DesiredTask> {
        let mut out = Vec::new();
        for (item, title, golive) in &self.items {
            for (s, (stage, stage_name)) in self.stages.iter().enumerate() {
                let due =
                    golive.saturating_sub(jiff::Span::new().days((self.stages.len() - s) as i64));
                let identity = format!("{item}/{stage}");
                out.push(DesiredTask {
                    identity: identity.clone(),
                    fields: TaskFields {
                        title: format!("{title}: {stage_name}"),
                        description: String::new(),
                        group: stage_name.clone(),
                        owner: Some(self.owner.clone()),
                        start: Some(due),
                        due: Some(due),
                    },
                    state: State::Todo,
                    context: TaskContext {
                        item: item.clone(),
                        item_title: title.clone(),
                        stage: stage.clone(),
                        stage_name: stage_name.clone(),
                        process: "content".into(),
                        process_name: "Content".into(),
                        position: out.len() as u64,
                        ..Default::default()
                    },
                    entries: ["brief", "check"]
                        .iter()
                        .map(|k| DesiredEntry {
                            identity: format!("{identity}/{k}"),
                            fields: EntryFields {
                                text: format!("{k} for {title}"),
                                owner: None,
                                due: Some(due),
                            },
                            checked: false,
                        })
                        .collect(),
                });
            }
        }
        out
    }
}

pub fn now() -> Timestamp {
    "2026-12-01T08:00:00Z".parse().unwrap()
}

pub fn run_for(
    model: &Model,
    targets: &[(&str, &FakeTarget)],
    drift: &DriftPolicy,
) -> Vec<TargetRun> {
    targets
        .iter()
        .map(|(id, t)| TargetRun {
            id: id.to_string(),
            connector: Box::new(t.connector()),
            desired: model.desired(),
            drift: drift.clone(),
            people: None,
        })
        .collect()
}

pub fn sync_with(
    store: &mut dyn StateStore,
    model: &Model,
    targets: &[(&str, &FakeTarget)],
    options: &CycleOptions,
) -> Result<CycleReport, EngineError> {
    let mut runs = run_for(model, targets, &DriftPolicy::default());
    block_on(run_cycle(
        store,
        &mut runs,
        &SyncSettings::default(),
        options,
        now(),
    ))
}

pub fn sync(
    store: &mut dyn StateStore,
    model: &Model,
    targets: &[(&str, &FakeTarget)],
) -> CycleReport {
    sync_with(store, model, targets, &CycleOptions::default()).expect("cycle runs")
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Two items through "Copy" and "Design", each task with a brief and a check to tick.
pub fn brief_and_check_tasks() -> Vec<DesiredTask> {
    let mut out = Vec::new();
    for item in 0..2 {
        for (stage, name) in [("copy", "Copy"), ("design", "Design")] {
            let identity = format!("item{item}/{stage}");
            let due = jiff::civil::Date::constant(2026, 12, 8 + item);
            out.push(DesiredTask {
                identity: identity.clone(),
                fields: TaskFields {
                    title: format!("Item {item}: {name}"),
                    description: String::new(),
                    group: name.to_owned(),
                    owner: Some("ana@example.com".to_owned()),
                    start: Some(due),
                    due: Some(due),
                },
                state: State::Todo,
                context: TaskContext {
                    process: "content".to_owned(),
                    process_name: "Content pipeline".to_owned(),
                    item: format!("item{item}"),
                    item_title: format!("Item {item}"),
                    stage: stage.to_owned(),
                    stage_name: name.to_owned(),
                    timezone: "Asia/Jerusalem".to_owned(),
                    position: out.len() as u64,
                    ..TaskContext::default()
                },
                entries: ["brief", "check"]
                    .into_iter()
                    .map(|key| DesiredEntry {
                        identity: format!("{identity}/{key}"),
                        fields: EntryFields {
                            text: format!("{key} for Item {item}"),
                            owner: None,
                            due: Some(due),
                        },
                        checked: false,
                    })
                    .collect(),
            });
        }
    }
    out
}
