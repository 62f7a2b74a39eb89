//! Shared by the daemon tests: a small deployment on disk, fake targets for the daemon's
//! cycles, and helpers to run the binary.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use jiff::Timestamp;
use throughline::daemon::logging::Secrets;
use throughline::daemon::{Connectors, Service, Shared, SystemClock, TargetSource, run};
use throughline::engine::{TargetRun, TaskMapping, desired_tasks};
use throughline::model;
use throughline::model::{Deployment, Target};
use throughline::reconcile::DriftPolicy;
use throughline::schedule::Schedule;
use throughline::state::SqliteStore;
use throughline_connector::fake::{FakeConnector, FakeTarget};
use throughline_connector::{
    Applied, Capabilities, Change, Connector, ConnectorError, Observation, StateSupport,
};

/// The language of the playbook written by [`write_deployment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    He,
}

/// What goes into `throughline.toml` besides the playbook and items.
pub struct Setup {
    pub lang: Lang,
    /// `[[target]]` tables, written as is.
    pub targets: String,
    /// Lines under `[sync]`.
    pub sync: String,
    /// The `[daemon]` and `[reminders]` tables, written as is.
    pub service: String,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            lang: Lang::En,
            targets: String::new(),
            sync: "every = \"1h\"".into(),
            service: String::new(),
        }
    }
}

const PLAYBOOK_EN: &str = r#"
[process]
id = "content"
name = "Content pipeline"
timezone = "Asia/Jerusalem"
workweek = ["sun", "mon", "tue", "wed", "thu"]

[roles.writer]
name = "Writer"
people = ["dana@example.com"]
backup = "noa@example.com"
away = [{ who = "dana@example.com", from = 2026-12-20, to = 2026-12-24 }]

[roles.designer]
name = "Designer"
people = ["avi@example.com"]

[[stage]]
id = "copy"
name = "Copy"
owner = "writer"
days = 2
checklist = ["Draft", "Proofread"]

[[stage]]
id = "design"
name = "Design"
owner = "designer"
days = 1
after = []

[[stage]]
id = "publish"
name = "Publish"
owner = "writer"
days = 0
after = ["copy", "design"]
"#;

const PLAYBOOK_HE: &str = r#"
[process]
id = "content"
name = "תהליך התוכן"
lang = "he"
timezone = "Asia/Jerusalem"
workweek = ["sun", "mon", "tue", "wed", "thu"]

[roles.writer]
name = "כותבת"
people = ["dana@example.com"]
backup = "noa@example.com"
away = [{ who = "dana@example.com", from = 2026-12-20, to = 2026-12-24 }]

[roles.designer]
name = "מעצב"
people = ["avi@example.com"]

[[stage]]
id = "copy"
name = "כתיבה"
owner = "writer"
days = 2
checklist = ["טיוטה", "הגהה"]

[[stage]]
id = "design"
name = "עיצוב"
owner = "designer"
days = 1
after = []

[[stage]]
id = "publish"
name = "פרסום"
owner = "writer"
days = 0
after = ["copy", "design"]
"#;

const ITEMS_EN: &str = r#"
[[item]]
id = "spring-sale"
process = "content"
title = "Spring sale"
golive = 2026-12-10

[[item]]
id = "newsletter"
process = "content"
title = "December newsletter"
golive = 2026-12-17
"#;

const ITEMS_HE: &str = r#"
[[item]]
id = "spring-sale"
process = "content"
title = "מבצע האביב"
golive = 2026-12-10

[[item]]
id = "newsletter"
process = "content"
title = "ניוזלטר דצמבר"
golive = 2026-12-17
"#;

/// Write a deployment into `dir`; returns the path of its `throughline.toml`.
pub fn write_deployment(dir: &Path, setup: &Setup) -> PathBuf {
    std::fs::create_dir_all(dir.join("playbooks")).unwrap();
    std::fs::create_dir_all(dir.join("items")).unwrap();
    let (playbook, items) = match setup.lang {
        Lang::En => (PLAYBOOK_EN, ITEMS_EN),
        Lang::He => (PLAYBOOK_HE, ITEMS_HE),
    };
    std::fs::write(dir.join("playbooks/content.toml"), playbook).unwrap();
    std::fs::write(dir.join("items/december.toml"), items).unwrap();
    let config = dir.join("throughline.toml");
    std::fs::write(
        &config,
        format!(
            "state = \"throughline.db\"\nplaybooks = [\"playbooks/*.toml\"]\nitems = [\"items/*.toml\"]\n\n[sync]\n{}\n\n{}\n\n{}\n",
            setup.sync, setup.service, setup.targets
        ),
    )
    .unwrap();
    config
}

/// `[[target]]` tables for excel targets named `ids` (the fakes stand in for them).
pub fn excel_targets(ids: &[&str]) -> String {
    ids.iter()
        .map(|id| format!("[[target]]\nid = \"{id}\"\nkind = \"excel\"\npath = \"{id}.xlsx\"\n\n"))
        .collect()
}

/// Gates a connector's observations: each waits for a permit. Counts observations started.
#[derive(Clone)]
pub struct Gate {
    pub permits: Arc<tokio::sync::Semaphore>,
    pub started: Arc<AtomicUsize>,
}

impl Gate {
    pub fn closed() -> Gate {
        Gate {
            permits: Arc::new(tokio::sync::Semaphore::new(0)),
            started: Arc::default(),
        }
    }

    pub fn open(&self, n: usize) {
        self.permits.add_permits(n);
    }

    pub fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }
}

struct Gated {
    inner: FakeConnector,
    gate: Gate,
}

#[async_trait]
impl Connector for Gated {
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
        self.gate.started.fetch_add(1, Ordering::SeqCst);
        self.gate.permits.acquire().await.unwrap().forget();
        self.inner.observe(cursor).await
    }

    async fn apply(&mut self, changes: &[Change]) -> Vec<Result<Applied, ConnectorError>> {
        self.inner.apply(changes).await
    }

    async fn people_with_accounts(
        &mut self,
        people: &std::collections::BTreeSet<String>,
    ) -> Result<std::collections::BTreeSet<String>, ConnectorError> {
        self.inner.people_with_accounts(people).await
    }
}

/// Fake targets standing in for the deployment's targets, by id.
#[derive(Clone, Default)]
pub struct Fakes {
    pub targets: BTreeMap<String, FakeTarget>,
    pub gates: BTreeMap<String, Gate>,
}

impl Fakes {
    pub fn new(ids: &[&str]) -> Fakes {
        Fakes {
            targets: ids
                .iter()
                .map(|id| {
                    (
                        id.to_string(),
                        FakeTarget::new(*id, StateSupport::DoneOrNot),
                    )
                })
                .collect(),
            gates: BTreeMap::new(),
        }
    }

    pub fn gate(mut self, id: &str, gate: Gate) -> Fakes {
        self.gates.insert(id.to_string(), gate);
        self
    }

    pub fn get(&self, id: &str) -> &FakeTarget {
        &self.targets[id]
    }
}

impl TargetSource for Fakes {
    fn open(
        &mut self,
        dep: &Deployment,
        schedule: &Schedule,
        targets: &[&Target],
    ) -> Vec<Result<TargetRun, String>> {
        targets
            .iter()
            .map(|t| {
                let fake = self
                    .targets
                    .get(&t.id)
                    .ok_or_else(|| format!("no fake for {}", t.id))?;
                let connector: Box<dyn Connector> = match self.gates.get(&t.id) {
                    Some(gate) => Box::new(Gated {
                        inner: fake.connector(),
                        gate: gate.clone(),
                    }),
                    None => Box::new(fake.connector()),
                };
                Ok(TargetRun {
                    id: t.id.clone(),
                    connector,
                    desired: desired_tasks(dep, schedule, &t.only, &TaskMapping::default()),
                    drift: DriftPolicy::default(),
                    people: None,
                })
            })
            .collect()
    }
}

/// A civil time in Jerusalem.
pub fn jerusalem(s: &str) -> Timestamp {
    let dt: jiff::civil::DateTime = s.parse().unwrap();
    jiff::tz::TimeZone::get("Asia/Jerusalem")
        .unwrap()
        .to_timestamp(dt)
        .unwrap()
}

/// Whether an external check may be skipped; panics when `THROUGHLINE_REQUIRE_EXTERNAL_CHECKS`
/// says it must run.
pub fn require(check: Result<(), String>) -> bool {
    match check {
        Ok(()) => true,
        Err(why) if std::env::var_os("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").is_some() => {
            panic!("{why} (THROUGHLINE_REQUIRE_EXTERNAL_CHECKS is set: this check must run)")
        }
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            false
        }
    }
}

/// Whether python3 can import `module`.
pub fn python_module(module: &str) -> Result<(), String> {
    match std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
    {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "python3 has no {module} (pip install -r tests/requirements.txt): {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!("python3 is not installed: {e}")),
    }
}

/// The daemon's loop, in this process, on its own runtime.
pub struct RunningDaemon {
    rt: tokio::runtime::Runtime,
    pub shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<()>>,
}

impl RunningDaemon {
    /// The daemon for `config`, serving on `listener`, with the real connectors.
    pub fn start(config: &Path, listener: std::net::TcpListener) -> RunningDaemon {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dep = model::load(config).unwrap_or_else(|d| panic!("{d}"));
        let store = SqliteStore::open(&config.parent().unwrap().join("throughline.db")).unwrap();
        let shared = Arc::new(Shared::new(Timestamp::now(), Secrets::default()));
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        listener.set_nonblocking(true).unwrap();
        let service_shared = shared.clone();
        let config = config.to_path_buf();
        let done = rt.spawn(async move {
            // Made inside the runtime: the workbook watch runs on a task of it.
            let service = Service::new(
                &config,
                dep,
                Box::new(store),
                Box::new(Connectors),
                Arc::new(SystemClock),
                service_shared,
                addr,
            )
            .unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            run(service, listener, async move {
                let _ = stopped.await;
            })
            .await
        });
        RunningDaemon {
            rt,
            shared,
            stop: Some(stop),
            done: Some(done),
        }
    }
}

impl Drop for RunningDaemon {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            let _ = self.rt.block_on(done);
        }
    }
}
