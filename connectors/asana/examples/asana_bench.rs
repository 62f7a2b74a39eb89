//! Requests per cycle against the Asana emulator: 200 items × 6 stages (1,200 tasks, 3
//! checklist entries each), first push, the look after it, a quiet cycle, 10 ticked checklist
//! entries pulled, 10 completed tasks pulled. Compared with the floor in docs/sync.md
//! and with one request per object. Run by `connectors/asana/bench/requests.sh`.

use std::time::Instant;

use jiff::civil::Date;
use serde_json::json;
use throughline_asana::emulator::Emulator;
use throughline_asana::{AsanaAuth, AsanaConnector, AsanaSettings};
use throughline_connector::http::Secret;
use throughline_connector::{
    Change, Connector, DesiredEntry, DesiredTask, EntryFields, Observation, State, TaskContext,
    TaskFields,
};

const ITEMS: usize = 200;
const STAGES: [&str; 6] = ["Idea", "Brief", "Copy", "Design", "Approval", "Publish"];
const ENTRIES: usize = 3;

fn desired() -> Vec<DesiredTask> {
    let mut out = Vec::new();
    for i in 0..ITEMS {
        for stage in STAGES {
            let identity = format!("item-{i:03}/{}", stage.to_lowercase());
            out.push(DesiredTask {
                identity: identity.clone(),
                fields: TaskFields {
                    title: format!("Item {i}: {stage}"),
                    description: format!("{stage} of item {i}."),
                    group: stage.to_owned(),
                    owner: Some(
                        if i % 2 == 0 {
                            "ana@example.com"
                        } else {
                            "ben@example.com"
                        }
                        .to_owned(),
                    ),
                    start: Some(Date::constant(2026, 12, 1)),
                    due: Some(Date::constant(2026, 12, 3)),
                },
                state: State::Todo,
                context: TaskContext {
                    item: format!("item-{i:03}"),
                    stage: stage.to_lowercase(),
                    stage_name: stage.to_owned(),
                    position: out.len() as u64,
                    ..TaskContext::default()
                },
                entries: (0..ENTRIES)
                    .map(|k| DesiredEntry {
                        identity: format!("{identity}/check-{k}"),
                        fields: EntryFields {
                            text: format!("Check {k}"),
                            owner: None,
                            due: Some(Date::constant(2026, 12, 3)),
                        },
                        checked: false,
                    })
                    .collect(),
            });
        }
    }
    out
}

struct Row {
    what: &'static str,
    requests: usize,
    floor: usize,
    naive: usize,
    ms: u128,
}

/// The emulator, whose requests are counted, and Ben, who changes things in Asana.
struct Bench {
    emu: Emulator,
    /// The user the connector works as: only their requests are counted.
    user: String,
    /// Ben's personal token.
    person: String,
    http: reqwest::Client,
}

impl Bench {
    /// The connector's requests since the last `clear_requests`.
    fn requests(&self) -> usize {
        self.emu
            .requests()
            .iter()
            .filter(|r| r.user == self.user)
            .count()
    }

    /// Ben marks a task (or subtask) completed in Asana.
    async fn complete_as_ben(&self, gid: &str) {
        let r = self
            .http
            .put(format!("{}/tasks/{gid}", self.emu.base_url()))
            .bearer_auth(&self.person)
            .json(&json!({"data": {"completed": true}}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
}

/// The gid of the workspace's user with this address.
async fn user_gid(emu: &Emulator, workspace: &str, token: &str, email: &str) -> String {
    let users: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/workspaces/{workspace}/users?opt_fields=email",
            emu.base_url(),
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    users["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .unwrap()["gid"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::main]
async fn main() {
    let emu = Emulator::start().await.expect("the emulator starts");
    let seeded = emu.seed();
    let ben = user_gid(&emu, &seeded.workspace, &seeded.token, "ben@example.com").await;
    let person = emu.personal_token(&ben);
    let mut settings = AsanaSettings::new(
        "bench",
        seeded.project.clone(),
        seeded.workspace.clone(),
        AsanaAuth::Token(Secret::new(seeded.token.clone())),
    );
    settings.base_url = emu.base_url();
    settings.limits.requests_per_minute = 1_000_000;
    let mut c = AsanaConnector::new(settings.clone()).unwrap();
    let tasks = desired();
    let objects = tasks.len() * (1 + ENTRIES);
    let bench = Bench {
        emu,
        user: seeded.user.clone(),
        person,
        http: reqwest::Client::new(),
    };
    let mut rows = Vec::new();
    let quiet = push_and_looks(&bench, &mut c, &settings, &tasks, &mut rows).await;
    pulls(&bench, &mut c, &quiet, tasks.len(), &mut rows).await;
    print_report(&rows, tasks.len(), objects);
}

/// The first push, the look after it (from the new and the pre-push cursor), a quiet cycle;
/// the quiet cycle's observation.
async fn push_and_looks(
    bench: &Bench,
    c: &mut AsanaConnector,
    settings: &AsanaSettings,
    tasks: &[DesiredTask],
    rows: &mut Vec<Row>,
) -> Observation {
    let emu = &bench.emu;
    let objects = tasks.len() * (1 + ENTRIES);
    // First push.
    emu.clear_requests();
    let started = Instant::now();
    let first = c.observe(None).await.unwrap();
    let changes: Vec<Change> = tasks
        .iter()
        .map(|t| Change::CreateTask { task: t.clone() })
        .collect();
    let results = c.apply(&changes).await;
    assert!(results.iter().all(Result::is_ok), "the push failed");
    rows.push(Row {
        what: "first push (observe + create all)",
        requests: bench.requests(),
        floor: 1 + (objects + STAGES.len()).div_ceil(10),
        naive: 1 + STAGES.len() + objects,
        ms: started.elapsed().as_millis(),
    });

    // The look after the push: the push's own events, nothing re-read.
    emu.clear_requests();
    let started = Instant::now();
    let after = c.observe(c.cursor()).await.unwrap();
    assert_eq!(after.tasks.len(), tasks.len());
    rows.push(Row {
        what: "next look (reads the push's events)",
        requests: bench.requests(),
        floor: 1,
        naive: tasks.len().div_ceil(100) + tasks.len(),
        ms: started.elapsed().as_millis(),
    });

    // The same look from the cursor taken before the push (what the engine stores today).
    emu.clear_requests();
    let started = Instant::now();
    let stale = AsanaConnector::new(settings.clone())
        .unwrap()
        .observe(first.cursor.clone())
        .await
        .unwrap();
    assert_eq!(stale.tasks.len(), tasks.len());
    rows.push(Row {
        what: "  same, from the pre-push cursor",
        requests: bench.requests(),
        floor: 1,
        naive: tasks.len().div_ceil(100) + tasks.len(),
        ms: started.elapsed().as_millis(),
    });

    // A quiet cycle.
    emu.clear_requests();
    let started = Instant::now();
    let quiet = c.observe(c.cursor()).await.unwrap();
    let results = c.apply(&[]).await;
    assert!(results.is_empty());
    rows.push(Row {
        what: "no-op cycle",
        requests: bench.requests(),
        floor: 1,
        naive: tasks.len().div_ceil(100) + tasks.len(),
        ms: started.elapsed().as_millis(),
    });
    quiet
}

/// Ben ticks 10 checklist entries, then completes 10 tasks; each pulled by one cycle.
async fn pulls(
    bench: &Bench,
    c: &mut AsanaConnector,
    quiet: &Observation,
    task_count: usize,
    rows: &mut Vec<Row>,
) {
    let emu = &bench.emu;
    // Ben ticks one checklist entry on each of 10 tasks.
    for t in quiet.tasks.iter().step_by(97).take(10) {
        bench.complete_as_ben(&t.entries[1].remote_id).await;
    }
    emu.clear_requests();
    let started = Instant::now();
    let ticked = c.observe(c.cursor()).await.unwrap();
    let checked = ticked
        .tasks
        .iter()
        .flat_map(|t| &t.entries)
        .filter(|e| e.checked)
        .count();
    assert_eq!(checked, 10);
    rows.push(Row {
        what: "10 ticked entries pulled",
        requests: bench.requests(),
        floor: 2,
        naive: task_count.div_ceil(100) + task_count,
        ms: started.elapsed().as_millis(),
    });

    // Ben completes 10 tasks.
    for t in ticked.tasks.iter().skip(5).step_by(89).take(10) {
        bench.complete_as_ben(&t.remote_id).await;
    }
    emu.clear_requests();
    let started = Instant::now();
    let done = c.observe(c.cursor()).await.unwrap();
    assert_eq!(
        done.tasks.iter().filter(|t| t.state == State::Done).count(),
        10
    );
    rows.push(Row {
        what: "10 completed tasks pulled",
        requests: bench.requests(),
        floor: 2,
        naive: task_count.div_ceil(100) + task_count,
        ms: started.elapsed().as_millis(),
    });
}

fn print_report(rows: &[Row], task_count: usize, objects: usize) {
    println!(
        "Asana: {ITEMS} items × {} stages = {} tasks, {ENTRIES} checklist entries each ({objects} objects)\n",
        STAGES.len(),
        task_count
    );
    println!(
        "{:<40} {:>9} {:>7} {:>15} {:>9}",
        "cycle", "requests", "floor", "one per object", "wall ms"
    );
    for r in rows {
        println!(
            "{:<40} {:>9} {:>7} {:>15} {:>9}",
            r.what, r.requests, r.floor, r.naive, r.ms
        );
    }
    let push = rows[0].requests;
    println!(
        "\nAt the free plan's 150 requests/min the first push takes {:.1} min ({:.1} min one per object); \
         at 1,500/min, {:.1} min.",
        push as f64 / 150.0,
        rows[0].naive as f64 / 150.0,
        push as f64 / 1500.0
    );
    println!(
        "floor (docs/sync.md): 1 events request when nothing changed; writes in /batch of 10 \
         (push: 1 look + ceil((objects + sections)/10)); reading 10 changes: events + 1 batch.\n\
         one per object: a request per section, task and subtask to push; a full re-read \
         (pages of 100 + a subtask list per task) to notice anything."
    );
}
