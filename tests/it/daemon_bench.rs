//! Benchmark (not a test; `#[ignore]`d): how long a tick made in one tool takes to show in
//! another while the daemon runs, by polling alone and with a webhook. Run it with
//! `bench/daemon.sh` (release build) and read the figures it prints.
//!
//! The board is an in-memory Trello stand-in (a webhook's signature is checked like Trello's);
//! the other tool is a real Excel workbook on disk, read back the way a person's Excel would.

use crate::daemon_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use daemon_support::*;
use jiff::Timestamp;
use throughline::daemon::hooks::trello_signature;
use throughline::daemon::logging::Secrets;
use throughline::daemon::{Connectors, Service, Shared, SystemClock, TargetSource};
use throughline::engine::TargetRun;
use throughline::model::{self, Deployment, Target};
use throughline::schedule::Schedule;
use throughline_connector::{Connector, State};
use throughline_excel::{ExcelConnector, ExcelMapping};

const SECRET: &str = "bench-trello-app-secret";

/// Excel targets through the real connector, everything else through the fakes.
struct Mixed(Fakes);

impl TargetSource for Mixed {
    fn open(
        &mut self,
        dep: &Deployment,
        schedule: &Schedule,
        targets: &[&Target],
    ) -> Vec<Result<TargetRun, String>> {
        targets
            .iter()
            .map(|t| {
                if t.kind.as_str() == "excel" {
                    Connectors.open(dep, schedule, &[*t]).pop().unwrap()
                } else {
                    self.0.open(dep, schedule, &[*t]).pop().unwrap()
                }
            })
            .collect()
    }
}

fn stats(name: &str, samples: &[Duration]) {
    let mut s: Vec<f64> = samples.iter().map(Duration::as_secs_f64).collect();
    s.sort_by(f64::total_cmp);
    let mean = s.iter().sum::<f64>() / s.len() as f64;
    println!(
        "{name}: n={} mean={mean:.2}s median={:.2}s min={:.2}s max={:.2}s",
        s.len(),
        s[s.len() / 2],
        s[0],
        s[s.len() - 1]
    );
}

#[test]
#[ignore = "benchmark: run bench/daemon.sh"]
fn tick_to_appearance_latency() {
    let samples: usize = std::env::var("SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    let every: u64 = std::env::var("EVERY")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let items: usize = std::env::var("ITEMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("trello-secret"), SECRET).unwrap();
    let config = write_deployment(
        dir.path(),
        &Setup {
            targets: "[[target]]\nid = \"board\"\nkind = \"trello\"\nboard = \"5f1a0c\"\ncredentials = { secret = \"file:trello-secret\" }\n\n[[target]]\nid = \"sheet\"\nkind = \"excel\"\npath = \"sheet.xlsx\"\n".into(),
            sync: format!("every = \"{every}s\""),
            service: "[daemon]\npublic_url = \"https://sync.example.com\"\nwebhook_delay = \"1s\"".into(),
            ..Default::default()
        },
    );
    let mut text = String::new();
    for i in 0..items {
        text.push_str(&format!(
            "[[item]]\nid = \"post-{i}\"\nprocess = \"content\"\ntitle = \"Post {i}\"\ngolive = 2027-02-{:02}\n\n",
            1 + i % 28
        ));
    }
    std::fs::write(dir.path().join("items/many.toml"), text).unwrap();
    let fakes = Fakes::new(&["board"]);
    let dep = model::load(&config).unwrap();
    let shared = Arc::new(Shared::new(Timestamp::now(), Secrets::default()));
    let svc = Service::new(
        &config,
        dep,
        Box::new(
            throughline::state::SqliteStore::open(&dir.path().join("throughline.db")).unwrap(),
        ),
        Box::new(Mixed(fakes.clone())),
        Arc::new(SystemClock),
        shared.clone(),
        "127.0.0.1:9184".parse().unwrap(),
    )
    .unwrap();
    let workbook = dir.path().join("sheet.xlsx");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let daemon = tokio::spawn(throughline::daemon::run(svc, listener, async move {
            let _ = stop_rx.await;
        }));
        while shared.view().last_cycle.is_none() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let done_in_sheet = |id: String| {
            let workbook = workbook.clone();
            async move {
                let mut c = ExcelConnector::new("sheet", &workbook, ExcelMapping::default());
                match c.observe(None).await {
                    Ok(obs) => obs
                        .tasks
                        .iter()
                        .any(|t| t.identity.as_deref() == Some(id.as_str()) && t.state == State::Done),
                    Err(_) => false,
                }
            }
        };
        let http = reqwest::Client::new();
        let mut polling = Vec::new();
        let mut hooked = Vec::new();
        let mut cycle_seconds = Vec::new();
        for round in 0..(2 * samples) {
            let webhook = round % 2 == 1;
            let id = format!("post-{round}/design");
            // Tick at an arbitrary moment of the cycle period.
            tokio::time::sleep(Duration::from_millis(((round * 1733) % (every as usize * 1000)) as u64)).await;
            fakes.get("board").set_state(&id, State::Done);
            let t0 = Instant::now();
            if webhook {
                let body = format!(r#"{{"action":{{"type":"updateCard","data":{{"card":{{"id":"{id}"}}}}}}}}"#);
                let sig = trello_signature(SECRET.as_bytes(), body.as_bytes(), "https://sync.example.com/hooks/trello/board");
                let r = http
                    .post(format!("{base}/hooks/trello/board"))
                    .header("X-Trello-Webhook", sig)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
            }
            while !done_in_sheet(id.clone()).await {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let took = t0.elapsed();
            if webhook { hooked.push(took) } else { polling.push(took) }
            if let Some(c) = shared.view().last_cycle {
                cycle_seconds.push(Duration::from_secs_f64(c.seconds));
            }
        }
        stop_tx.send(()).unwrap();
        daemon.await.unwrap();
        println!("tick in a Trello board → shown in an Excel workbook ({items} items + 2, {} tasks per tool, cycle every {every}s):", (items + 2) * 3);
        stats("  polling only        ", &polling);
        stats("  with a webhook      ", &hooked);
        stats("  cycle duration      ", &cycle_seconds);
    });
}
