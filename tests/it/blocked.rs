//! Blocked, with its reason, round-trips through all four tools at once — Asana (a tag, the
//! reason in a text custom field), Trello (a label, the reason in a comment), Google Sheets
//! (the status word and the Reason column, edited with gspread) and an Excel workbook (the same,
//! edited with openpyxl): set in one tool, the next cycle shows it in every other tool; cleared
//! there, the task is back to to do — or in progress, when it was before it was blocked.

use crate::all_tools::{TARGETS, Tools};

use std::process::Command;

use serde_json::{Value, json};
use throughline::state::{MemoryStore, StateStore, blocked_spans};
use throughline_connector::State;

/// Sets cells of the workbook's first sheet by row identity and header: argv[2] is JSON
/// {"id": {"Header": value}}.
const EXCEL_EDIT: &str = r#"
import sys, json, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
head = [c.value for c in ws[1]]
edits = json.loads(sys.argv[2])
for row in ws.iter_rows(min_row=2):
    for h, v in edits.get(row[head.index("ID")].value, {}).items():
        row[head.index(h)].value = v
wb.save(sys.argv[1])
"#;

/// Reads a task row's Status and Reason cells back with openpyxl: [status, reason].
const EXCEL_READ: &str = r#"
import sys, json, openpyxl
ws = openpyxl.load_workbook(sys.argv[1]).worksheets[0]
head = [c.value for c in ws[1]]
for row in ws.iter_rows(min_row=2):
    if row[head.index("ID")].value == sys.argv[2]:
        print(json.dumps([row[head.index("Status")].value, row[head.index("Reason")].value]))
"#;

fn python_ready() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import openpyxl, gspread"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var_os("THROUGHLINE_REQUIRE_EXTERNAL_CHECKS").is_some() {
            panic!("python3 with openpyxl and gspread is needed");
        }
        eprintln!("SKIPPED: python3 with openpyxl and gspread is not installed");
    }
    ok
}

async fn python(args: Vec<String>) -> String {
    // Off the runtime: the emulators answer on it.
    let out = tokio::task::spawn_blocking(move || Command::new("python3").args(args).output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

impl Tools {
    /// (state, reason) of a task in each tool, in `TARGETS` order.
    async fn blocked(&self, identity: &str) -> Vec<(State, Option<String>)> {
        let mut out = Vec::new();
        for mut c in self.connectors() {
            let obs = c.observe(None).await.unwrap();
            let t = obs
                .tasks
                .iter()
                .find(|t| t.identity.as_deref() == Some(identity))
                .unwrap_or_else(|| panic!("{} has no {identity}", c.target()));
            out.push((t.state, t.status_cells.blocked_reason.clone()));
        }
        out
    }

    async fn excel_edit(&self, edits: Value) {
        let path = self.workbook.to_str().unwrap().to_owned();
        python(vec![
            "-c".into(),
            EXCEL_EDIT.into(),
            path,
            edits.to_string(),
        ])
        .await;
    }

    /// [status, reason] of a task row, as openpyxl reads the workbook.
    async fn excel_row(&self, identity: &str) -> Value {
        let path = self.workbook.to_str().unwrap().to_owned();
        let out = python(vec!["-c".into(), EXCEL_READ.into(), path, identity.into()]).await;
        serde_json::from_str(&out).unwrap()
    }

    async fn sheets_edit(&self, edits: Value) {
        python(vec![
            "-c".into(),
            crate::status_words_sheets::EDIT.into(),
            self.sheets.base_url(),
            self.sheets.access_token(),
            self.spreadsheet.clone(),
            edits.to_string(),
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/connectors/sheets/tests/sheets_python"
            )
            .into(),
        ])
        .await;
    }

    /// A person takes the "Blocked" label off a card, through the API.
    async fn trello_unlabel(&self, identity: &str) {
        let card = self
            .trello
            .person(|p| p.card_with_marker(identity))
            .unwrap();
        let auth = [("key", self.trello.key()), ("token", self.trello.token())];
        let http = reqwest::Client::new();
        let labels: Vec<Value> = http
            .get(format!(
                "{}/boards/{}/labels",
                self.trello.base_url(),
                self.board
            ))
            .query(&auth)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let label = labels
            .iter()
            .find(|l| l["name"] == "Blocked")
            .expect("throughline made the label")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let answer = http
            .delete(format!(
                "{}/cards/{card}/idLabels/{label}",
                self.trello.base_url()
            ))
            .query(&auth)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{:?}", answer.text().await);
    }

    /// A person adds (or removes) the "Blocked" tag on an Asana task.
    async fn asana_tag(&self, token: &str, identity: &str, add: bool) {
        let base = self.asana.0.base_url();
        let task = self.asana.0.task_with_identity(identity).unwrap();
        let http = reqwest::Client::new();
        let tags: Value = http
            .get(format!("{base}/workspaces/{}/tags", self.asana.1.workspace))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let tag = tags["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "Blocked")
            .expect("throughline made the tag")["gid"]
            .clone();
        let verb = if add { "addTag" } else { "removeTag" };
        let answer = http
            .post(format!("{base}/tasks/{task}/{verb}"))
            .bearer_auth(token)
            .json(&json!({"data": {"tag": tag}}))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{:?}", answer.text().await);
    }
}

fn all(state: State, reason: Option<&str>) -> Vec<(State, Option<String>)> {
    vec![(state, reason.map(str::to_owned)); TARGETS.len()]
}

fn hub(store: &MemoryStore, identity: &str) -> (State, Option<String>) {
    store
        .statuses()
        .unwrap()
        .into_iter()
        .find(|s| s.identity == identity)
        .map(|s| (s.state, s.reason))
        .unwrap_or((State::Todo, None))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_with_its_reason_reaches_every_tool_and_clears_from_any() {
    if !python_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tools = Tools::start(dir.path()).await;
    let (asana, seeded) = &tools.asana;
    asana.add_custom_field(&seeded.project, "Blocked reason", &[]);
    let ben = tools.ben();
    let mut store = MemoryStore::new();
    tools.cycle(&mut store).await;
    assert_eq!(tools.blocked("item0/copy").await, all(State::Todo, None));

    // Sheets: a writer picks "Blocked" and says why; every tool shows it after one cycle.
    tools
        .sheets_edit(json!({"item0/copy": {"Status": "Blocked", "Reason": "waiting on legal"}}))
        .await;
    tools.cycle(&mut store).await;
    assert_eq!(
        tools.blocked("item0/copy").await,
        all(State::Blocked, Some("waiting on legal")),
        "from Sheets to all (order: {TARGETS:?})"
    );
    assert_eq!(
        tools.excel_row("item0/copy").await,
        json!(["Blocked", "waiting on legal"])
    );
    let labels = tools.trello.person(|p| {
        let card = p.card_with_marker("item0/copy").unwrap();
        p.card(&card).unwrap().labels
    });
    assert_eq!(labels, ["Blocked"]);
    assert_eq!(
        hub(&store, "item0/copy"),
        (State::Blocked, Some("waiting on legal".into()))
    );

    // Trello: the label comes off; back to to do everywhere, the reason cleared.
    tools.trello_unlabel("item0/copy").await;
    tools.cycle(&mut store).await;
    assert_eq!(
        tools.blocked("item0/copy").await,
        all(State::Todo, None),
        "cleared in Trello"
    );
    assert_eq!(tools.excel_row("item0/copy").await, json!(["To do", null]));

    // Excel: in progress, then blocked with a reason (openpyxl, the file closed in between).
    tools
        .excel_edit(json!({"item1/design": {"Status": "In progress"}}))
        .await;
    tools.cycle(&mut store).await;
    tools
        .excel_edit(json!({"item1/design": {"Status": "Blocked", "Reason": "the printer is late"}}))
        .await;
    tools.cycle(&mut store).await;
    assert_eq!(
        tools.blocked("item1/design").await,
        all(State::Blocked, Some("the printer is late")),
        "from Excel to all"
    );

    // Asana: Ben takes the tag off; the task was in progress before, so it is again (Asana and
    // Trello show no "in progress": not done there).
    tools.asana_tag(&ben, "item1/design", false).await;
    tools.cycle(&mut store).await;
    let doing = (State::Doing, None);
    let todo = (State::Todo, None);
    assert_eq!(
        tools.blocked("item1/design").await,
        [todo.clone(), todo.clone(), doing.clone(), doing],
        "cleared in Asana (order: {TARGETS:?})"
    );
    assert_eq!(
        tools.excel_row("item1/design").await,
        json!(["In progress", null])
    );

    // Asana: Ben tags another task; a writer then gives the reason in Sheets; Excel clears it.
    tools.asana_tag(&ben, "item0/design", true).await;
    tools.cycle(&mut store).await;
    assert_eq!(
        tools.blocked("item0/design").await,
        all(State::Blocked, None),
        "from Asana to all"
    );
    tools
        .sheets_edit(json!({"item0/design": {"Reason": "Dana is away"}}))
        .await;
    tools.cycle(&mut store).await;
    assert_eq!(
        tools.blocked("item0/design").await,
        all(State::Blocked, Some("Dana is away")),
        "a reason given later, in Sheets"
    );
    tools
        .excel_edit(json!({"item0/design": {"Status": "To do"}}))
        .await;
    tools.cycle(&mut store).await;
    assert_eq!(
        tools.blocked("item0/design").await,
        all(State::Todo, None),
        "cleared in Excel"
    );

    // The history keeps each blocked stretch apart, with its reason.
    let spans = blocked_spans(&store.status_history("item0/design").unwrap());
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].reason.as_deref(), Some("Dana is away"));
    assert!(spans[0].until.is_some());
    // And nothing is left to do.
    let last = tools.cycle(&mut store).await;
    for t in &last.targets {
        let plan = t.plan.as_ref().unwrap();
        assert!(plan.changes.is_empty(), "{}: {:?}", t.target, plan.changes);
    }
}
