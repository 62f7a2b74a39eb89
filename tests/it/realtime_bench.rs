//! The harness of `bench/latency.sh` (ignored: a benchmark, not a test). The daemon's loop in
//! this process with the real connectors, against the Trello, Asana and Google Sheets
//! emulators on 127.0.0.1 and an Excel workbook: `TICKS` ticks made in each tool (through its
//! API with the connector acting as a person; the workbook saved by openpyxl), each timed until
//! the other three show it. Prints p50 and p95 per source tool, the daemon's requests per tick
//! (counted at the emulators over ten more ticks, the person's own requests taken off), and what polling every `POLL` seconds would give: the wait for the
//! next poll is uniform over the period, so p50 = period/2 and p95 = 0.95 × period, plus the
//! cycle times measured here.

use crate::daemon_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use daemon_support::*;
use throughline::daemon::Shared;
use throughline_asana::{AsanaAuth, AsanaConnector, AsanaSettings};
use throughline_connector::http::Secret;
use throughline_connector::{Change, Connector, State, TaskContext};
use throughline_excel::{ExcelConnector, ExcelMapping};
use throughline_sheets::emulator::Render;
use throughline_sheets::{ROW_KEY, SheetsAuth, SheetsConnector, SheetsSettings};
use throughline_trello::{TrelloConnector, TrelloSettings};

const TOOLS: [&str; 4] = ["trello", "asana", "sheets", "excel"];
const PATIENCE: Duration = Duration::from_secs(120);

/// The emulators and what the targets name in them.
struct Tools {
    trello: throughline_trello::emulator::Emulator,
    board: String,
    asana: throughline_asana::emulator::Emulator,
    seeded: throughline_asana::emulator::Seeded,
    sheets: throughline_sheets::emulator::Emulator,
    sheet: String,
    workbook: PathBuf,
    /// The people's own accounts, as in a team: the daemon's is its own.
    trello_person: String,
    asana_person: String,
}

impl Tools {
    async fn start(dir: &Path) -> Tools {
        let trello = throughline_trello::emulator::Emulator::start()
            .await
            .unwrap();
        let board = trello.seed_board("Studio");
        let asana = throughline_asana::emulator::Emulator::start()
            .await
            .unwrap();
        let seeded = asana.seed();
        // One person ticking four hundred times is no load to measure quotas with.
        asana.set_rate_limit(None);
        let sheets = throughline_sheets::emulator::Emulator::start()
            .await
            .unwrap();
        let sheet = sheets.create_spreadsheet("Plan");
        let trello_person = trello.add_token("dana", Some(&board));
        let dana = asana.add_user(&seeded.workspace, "Dana", "dana@example.com");
        let asana_person = asana.personal_token(&dana);
        Tools {
            trello,
            board,
            asana,
            seeded,
            sheets,
            sheet,
            workbook: dir.join("book.xlsx"),
            trello_person,
            asana_person,
        }
    }

    /// The four targets, the credentials in files next to the config.
    fn targets(&self, dir: &Path) -> String {
        for (file, value) in [
            ("trello-key", self.trello.key()),
            ("trello-token", self.trello.token()),
            ("trello-secret", self.trello.app_secret()),
            ("asana-token", self.seeded.token.clone()),
            ("google-token", self.sheets.access_token()),
        ] {
            std::fs::write(dir.join(file), value).unwrap();
        }
        format!(
            "[[target]]\nid = \"trello\"\nkind = \"trello\"\nboard = \"{}\"\nbase_url = \"{}\"\ncredentials = {{ key = \"file:trello-key\", token = \"file:trello-token\", secret = \"file:trello-secret\" }}\n\n\
             [[target]]\nid = \"asana\"\nkind = \"asana\"\nproject = \"{}\"\nworkspace = \"{}\"\nbase_url = \"{}\"\ncredentials = {{ token = \"file:asana-token\" }}\n\n\
             [[target]]\nid = \"sheets\"\nkind = \"google-sheets\"\nspreadsheet = \"{}\"\nbase_url = \"{}\"\ncredentials = {{ token = \"file:google-token\" }}\n\n\
             [[target]]\nid = \"excel\"\nkind = \"excel\"\npath = \"book.xlsx\"\n",
            self.board,
            self.trello.base_url(),
            self.seeded.project,
            self.seeded.workspace,
            self.asana.base_url(),
            self.sheet,
            self.sheets.base_url(),
        )
    }

    /// A connector acting as a person in `tool`, with the person's own account (the sheet and
    /// the workbook have one for everybody).
    fn person(&self, tool: &str) -> Box<dyn Connector> {
        match tool {
            "trello" => {
                let mut s = TrelloSettings::new(
                    "trello",
                    &self.board,
                    Secret::new(self.trello.key()),
                    Secret::new(self.trello_person.clone()),
                );
                s.base_url = self.trello.base_url();
                s.timezone = jiff::tz::TimeZone::get("Asia/Jerusalem").unwrap();
                Box::new(TrelloConnector::new(s).unwrap())
            }
            "asana" => {
                let mut s = AsanaSettings::new(
                    "asana",
                    &self.seeded.project,
                    &self.seeded.workspace,
                    AsanaAuth::Token(Secret::new(self.asana_person.clone())),
                );
                s.base_url = self.asana.base_url();
                Box::new(AsanaConnector::new(s).unwrap())
            }
            "sheets" => {
                let auth = SheetsAuth::Token(Secret::new(self.sheets.access_token()));
                let s = SheetsSettings::new("sheets", &self.sheet, auth)
                    .with_base_url(&self.sheets.base_url());
                Box::new(SheetsConnector::new(s).unwrap())
            }
            _ => Box::new(ExcelConnector::new(
                "excel",
                &self.workbook,
                ExcelMapping::default(),
            )),
        }
    }
}

/// A task's state in a tool, and its remote id there.
async fn look(c: &mut dyn Connector, identity: &str) -> Option<(State, String)> {
    let obs = c.observe(None).await.ok()?;
    obs.tasks
        .iter()
        .find(|t| t.identity.as_deref() == Some(identity))
        .map(|t| (t.state, t.remote_id.clone()))
}

/// A person ticks (or unticks) the task in `tool`: through the API (Trello, Asana), in the
/// browser (the sheet), or with openpyxl (the workbook). Returns once the tool has it.
async fn tick(tools: &Tools, tool: &str, identity: &str, state: State) {
    if tool == "excel" {
        let done = if state == State::Done { "1" } else { "" };
        let out = std::process::Command::new("python3")
            .args(["-c", EDIT])
            .arg(&tools.workbook)
            .arg(identity)
            .arg(done)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        return;
    }
    if tool == "sheets" {
        // A person ticks the Done box in the browser: Drive notifies the channel.
        let ticked = tools.sheets.person(&tools.sheet, |p| {
            let (tab, row) = p.rows_with_metadata(ROW_KEY, identity).pop()?;
            let head = p.values(&format!("'{tab}'!1:1"), Render::Formatted);
            let done = head.first()?.iter().position(|h| h == "Done")?;
            let col = char::from(b'A' + done as u8);
            p.type_in(
                &format!("'{tab}'!{col}{}", row + 1),
                vec![vec![serde_json::json!(state == State::Done)]],
            )
            .ok()
        });
        assert!(ticked.is_some(), "the task's row is in the sheet");
        return;
    }
    let mut c = tools.person(tool);
    let (_, remote_id) = look(&mut *c, identity).await.expect("the task is there");
    let change = Change::UpdateTask {
        remote_id,
        identity: identity.to_string(),
        context: TaskContext::default(),
        fields: None,
        previous: None,
        state: Some(state),
        unarchive: false,
    };
    let done = c.apply(&[change]).await.remove(0);
    assert!(done.is_ok(), "{tool}: {done:?}");
}

/// Ticks the row of argv[2] in the workbook's first sheet (argv[3] empty: unticks), and saves.
const EDIT: &str = r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
head = [c.value for c in ws[1]]
for row in ws.iter_rows(min_row=2):
    if row[head.index("ID")].value == sys.argv[2]:
        row[head.index("Done")].value = bool(sys.argv[3])
wb.save(sys.argv[1])
"#;

/// Whether the task is done in `tool`, read straight from the emulator's store (or the
/// workbook's file): a look costs no request, so the harness neither spends the daemon's
/// quota nor shows in its request counts. `None`: the task is not there.
async fn done_in(tools: &Tools, tool: &str, identity: &str) -> Option<bool> {
    match tool {
        "trello" => tools.trello.person(|p| {
            let card = p.card_with_marker(identity)?;
            Some(p.card(&card)?.due_complete)
        }),
        "asana" => {
            let gid = tools.asana.task_with_identity(identity)?;
            tools.asana.task(&gid)?["completed"].as_bool()
        }
        "sheets" => tools.sheets.person(&tools.sheet, |p| {
            let (tab, row) = p.rows_with_metadata(ROW_KEY, identity).pop()?;
            let values = p.values(&format!("'{tab}'"), Render::Unformatted);
            let done = values.first()?.iter().position(|h| h == "Done")?;
            Some(values.get(row as usize)?.get(done) == Some(&serde_json::json!(true)))
        }),
        _ => {
            let mut excel = ExcelConnector::new("excel", &tools.workbook, ExcelMapping::default());
            look(&mut excel, identity)
                .await
                .map(|(state, _)| state == State::Done)
        }
    }
}

/// Wait until every tool but `source` shows `state` for the task.
async fn visible(tools: &Tools, source: &str, identity: &str, state: State) {
    let start = Instant::now();
    let want = state == State::Done;
    let mut left: Vec<&str> = TOOLS.into_iter().filter(|t| *t != source).collect();
    while !left.is_empty() {
        let mut still = Vec::new();
        for t in left {
            if done_in(tools, t, identity).await != Some(want) {
                still.push(t);
            }
        }
        left = still;
        assert!(
            start.elapsed() < PATIENCE,
            "{identity} never reached {left:?}"
        );
        if !left.is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Tools {
    /// Forget what the emulators logged.
    fn clear_logs(&self) {
        self.trello.clear_requests();
        self.asana.clear_requests();
        self.sheets.clear_requests();
    }

    /// The requests each emulator logged so far (reads, writes), by tool.
    fn logged(&self) -> BTreeMap<&'static str, (u64, u64)> {
        fn split<'a>(methods: impl Iterator<Item = &'a str>) -> (u64, u64) {
            methods.fold((0, 0), |(r, w), m| match m {
                "GET" | "HEAD" => (r + 1, w),
                _ => (r, w + 1),
            })
        }
        let trello = self.trello.requests();
        let asana = self.asana.requests();
        let sheets = self.sheets.requests();
        BTreeMap::from([
            ("trello", split(trello.iter().map(|r| r.method.as_str()))),
            ("asana", split(asana.iter().map(|r| r.method.as_str()))),
            ("sheets", split(sheets.iter().map(|r| r.method.as_str()))),
        ])
    }
}

/// The daemon's requests for `ticks` ticks made in `source`, counted at the emulators with
/// nobody else asking: the person's own requests (the tick) are taken off.
async fn count_requests(
    tools: &Tools,
    shared: &Shared,
    source: &str,
    tasks: &[String],
    states: &mut BTreeMap<String, State>,
    ticks: usize,
) -> BTreeMap<&'static str, (u64, u64)> {
    let mut total: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
    for i in 0..ticks {
        let task = &tasks[i % tasks.len()];
        let want = flip(states[task]);
        tools.clear_logs();
        tick(tools, source, task, want).await;
        let mine = tools.logged();
        idle(shared).await;
        for (tool, (r, w)) in tools.logged() {
            let (mr, mw) = mine[tool];
            let t = total.entry(tool).or_default();
            t.0 += r - mr;
            t.1 += w - mw;
        }
        states.insert(task.clone(), want);
        tokio::time::sleep(pace()).await;
    }
    total
}

fn flip(s: State) -> State {
    match s {
        State::Done => State::Todo,
        _ => State::Done,
    }
}

/// Wait until no signal is pending and no cycle runs for a while (the echo of the daemon's
/// own writes has come and gone).
async fn idle(shared: &Shared) {
    let mut quiet = Instant::now();
    while quiet.elapsed() < Duration::from_millis(700) {
        if !shared.hints.is_empty() || shared.view().running_since.is_some() {
            quiet = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// What one source tool's ticks measured.
#[derive(Default)]
struct Measured {
    latencies: Vec<f64>,
    cycle_seconds: Vec<f64>,
    cycles: u64,
    /// The daemon's requests per tool (reads, writes), over [`REQUEST_TICKS`] ticks.
    requests: BTreeMap<&'static str, (u64, u64)>,
}

/// The pause between one tick's echo and the next tick (`PACE` seconds, default 5): people
/// tick a few times a minute, not back to back, and Google's 60 reads a minute per account
/// (kept by the daemon's limiter) would otherwise make the bench measure the quota.
fn pace() -> Duration {
    Duration::from_secs_f64(
        std::env::var("PACE")
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or(5.0),
    )
}

/// Ticks per source tool whose requests are counted (without the harness looking meanwhile).
const REQUEST_TICKS: usize = 10;

#[test]
#[ignore = "a benchmark: bench/latency.sh"]
fn latency() {
    if !require(python_module("openpyxl")) {
        return;
    }
    let ticks: usize = std::env::var("TICKS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(100);
    let poll: f64 = std::env::var("POLL")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(300.0);
    let dir = tempfile::tempdir().unwrap();
    // The tools' runtime, and the daemon's (two workers, as `throughline daemon`).
    let tools_rt = tokio::runtime::Runtime::new().unwrap();
    let tools = tools_rt.block_on(Tools::start(dir.path()));
    let _inside = tools_rt.enter();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = write_deployment(
        dir.path(),
        &Setup {
            targets: tools.targets(dir.path()),
            sync: format!("every = \"{}s\"", poll as u64),
            service: format!("[daemon]\npublic_url = \"{base}\""),
            ..Default::default()
        },
    );
    let daemon = RunningDaemon::start(&config, listener);
    let measured = tools_rt.block_on(measure(&tools, &daemon.shared, ticks));
    report(&measured, poll, ticks);
}

async fn measure(tools: &Tools, shared: &Shared, ticks: usize) -> BTreeMap<&'static str, Measured> {
    // The first cycle lays the tasks out in every tool; then the webhooks and channels.
    while shared.view().last_cycle.is_none() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    idle(shared).await;
    let mut excel = tools.person("excel");
    let obs = excel.observe(None).await.unwrap();
    let tasks: Vec<String> = obs
        .tasks
        .iter()
        .filter_map(|t| t.identity.clone())
        .collect();
    assert!(!tasks.is_empty(), "the first cycle wrote no task");
    let mut states: BTreeMap<String, State> = obs
        .tasks
        .iter()
        .filter_map(|t| Some((t.identity.clone()?, t.state)))
        .collect();
    let mut out = BTreeMap::new();
    for (n, source) in TOOLS.into_iter().enumerate() {
        let mut m = Measured::default();
        for i in 0..ticks {
            let task = &tasks[(i + n) % tasks.len()];
            let want = flip(states[task]);
            let cycles_before = shared.view().last_cycle.map_or(0, |c| c.number);
            tick(tools, source, task, want).await;
            let t0 = Instant::now();
            visible(tools, source, task, want).await;
            m.latencies.push(t0.elapsed().as_secs_f64());
            idle(shared).await;
            tokio::time::sleep(pace()).await;
            states.insert(task.clone(), want);
            let last = shared.view().last_cycle.unwrap();
            m.cycle_seconds.push(last.seconds);
            m.cycles += last.number - cycles_before;
        }
        m.requests =
            count_requests(tools, shared, source, &tasks, &mut states, REQUEST_TICKS).await;
        out.insert(source, m);
    }
    out
}

fn report(measured: &BTreeMap<&'static str, Measured>, poll: f64, ticks: usize) {
    println!(
        "latency: {ticks} ticks per source tool, {:.0}s apart; time from the edit saved to visible in all three others",
        pace().as_secs_f64()
    );
    println!(
        "{:<8} {:>9} {:>9} {:>9} | {:>12} {:>12} | {:>7} daemon requests per tick at each tool (reads/writes)",
        "source", "push p50", "push p95", "push max", "poll p50", "poll p95", "cycles",
    );
    for source in TOOLS {
        let m = &measured[source];
        let mut l = m.latencies.clone();
        l.sort_by(f64::total_cmp);
        let mut c = m.cycle_seconds.clone();
        c.sort_by(f64::total_cmp);
        let per = |v: u64| v as f64 / ticks as f64;
        let mut reqs = String::new();
        for (tool, (r, w)) in &m.requests {
            let per = |v: u64| v as f64 / REQUEST_TICKS as f64;
            reqs.push_str(&format!(" {tool} {:.1}/{:.1}", per(*r), per(*w)));
        }
        println!(
            "{:<8} {:>8.2}s {:>8.2}s {:>8.2}s | {:>11.1}s {:>11.1}s | {:>7.2} {}",
            source,
            percentile(&l, 0.5),
            percentile(&l, 0.95),
            l[l.len() - 1],
            poll * 0.5 + percentile(&c, 0.5),
            poll * 0.95 + percentile(&c, 0.95),
            per(m.cycles),
            reqs.trim_start()
        );
    }
    println!(
        "poll columns computed, not waited for: the next poll comes uniformly within the {poll}s period (p50 = period/2, p95 = 0.95 × period) plus the cycle time measured here"
    );
}
