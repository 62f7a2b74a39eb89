//! What the Asana tests share: an emulator with a seeded project, connectors on it (personal
//! token or OAuth), and a person who works in Asana through the API with their own token.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use throughline_asana::emulator::{Emulator, Seeded};
use throughline_asana::{
    AsanaAuth, AsanaConnector, AsanaLimits, AsanaSettings, AuthorizeSettings, OAuthApp,
    OAuthSettings,
};
use throughline_connector::http::{RetryPolicy, Secret};

pub struct Setup {
    pub emu: Emulator,
    pub seeded: Seeded,
    /// Ben's personal access token: Ben works in Asana by hand.
    pub person: String,
    pub auth: AsanaAuth,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
}

/// Limits that keep tests quick: short backoffs, the free plan's quota is not the point.
pub fn test_limits() -> AsanaLimits {
    AsanaLimits {
        requests_per_minute: 100_000,
        retry: RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            max_elapsed: Duration::from_secs(30),
        },
        ..AsanaLimits::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Personal access token, identity in a notes marker.
    Marker,
    /// Personal access token, identity in the project's "throughline id" text field.
    Field,
    /// OAuth, identity in `external`.
    OAuth,
}

impl Setup {
    pub async fn new(mode: Mode) -> Setup {
        let emu = Emulator::start().await.expect("the emulator starts");
        let seeded = emu.seed();
        let ben_gid = {
            // Ben is the second seeded user.
            let http = reqwest::Client::new();
            let users: Value = http
                .get(format!(
                    "{}/workspaces/{}/users?opt_fields=email",
                    emu.base_url(),
                    seeded.workspace
                ))
                .bearer_auth(&seeded.token)
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
                .find(|u| u["email"] == "ben@example.com")
                .unwrap()["gid"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let person = emu.personal_token(&ben_gid);
        let dir = tempfile::tempdir().unwrap();
        if mode == Mode::Field {
            emu.add_custom_field(&seeded.project, "throughline id", &[]);
        }
        let auth = match mode {
            Mode::Marker | Mode::Field => AsanaAuth::Token(Secret::new(seeded.token.clone())),
            Mode::OAuth => {
                let (id, secret) = emu.add_oauth_client(&seeded.user);
                let token_file = dir.path().join("asana-token.json");
                sign_in(&emu, &id, &secret, &token_file).await;
                AsanaAuth::OAuth(OAuthSettings {
                    client_id: id,
                    client_secret: Secret::new(secret),
                    token_file,
                    token_url: None,
                })
            }
        };
        Setup {
            emu,
            seeded,
            person,
            auth,
            http: reqwest::Client::new(),
            dir,
        }
    }

    pub fn settings(&self) -> AsanaSettings {
        let mut s = AsanaSettings::new(
            "managers",
            self.seeded.project.clone(),
            self.seeded.workspace.clone(),
            self.auth.clone(),
        );
        s.base_url = self.emu.base_url();
        s.timezone = jiff::tz::TimeZone::get("Asia/Jerusalem").unwrap();
        s.limits = test_limits();
        s
    }

    pub fn connector(&self) -> AsanaConnector {
        AsanaConnector::new(self.settings()).expect("valid settings")
    }

    /// The gid of the task or subtask carrying this identity (looked up inside the emulator).
    pub fn gid_of(&self, identity: &str) -> String {
        let mut all = Vec::new();
        for t in self.emu.project_tasks(&self.seeded.project) {
            all.extend(self.emu.subtasks(&t));
            all.push(t);
        }
        all.into_iter()
            .find(|gid| {
                let t = self.emu.task(gid).unwrap();
                let ext = t["external"]["gid"].as_str().unwrap_or("");
                let notes = t["notes"].as_str().unwrap_or("");
                let field = t["custom_fields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|f| f["text_value"] == identity);
                ext.ends_with(&format!(":{identity}"))
                    || notes
                        .trim_end()
                        .ends_with(&format!("throughline: {identity}"))
                    || field
            })
            .unwrap_or_else(|| panic!("no task carries `{identity}`"))
    }

    /// Ben changes a task in Asana.
    pub async fn person_puts(&self, gid: &str, data: Value) -> Value {
        let r = self
            .http
            .put(format!("{}/tasks/{gid}", self.emu.base_url()))
            .bearer_auth(&self.person)
            .json(&json!({ "data": data }))
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success(),
            "the person's edit failed: {}",
            r.text().await.unwrap()
        );
        r.json().await.unwrap()
    }

    /// Ben sends any request.
    pub async fn person(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.emu.base_url()))
            .bearer_auth(&self.person);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert!(
            status.is_success(),
            "the person's request to {path} failed: {body}"
        );
        body
    }

    pub fn token_file(&self) -> PathBuf {
        self.dir.path().join("asana-token.json")
    }
}

/// Sign in with the real OAuth flow; the "browser" follows the redirect to the loopback.
pub async fn sign_in(emu: &Emulator, id: &str, secret: &str, token_file: &std::path::Path) {
    let settings = AuthorizeSettings {
        app: OAuthApp::for_base_url(&emu.base_url(), id, Secret::new(secret)),
        listen: "127.0.0.1:0".parse().unwrap(),
        token_file: token_file.to_path_buf(),
        timeout: Duration::from_secs(30),
    };
    throughline_asana::oauth::authorize(&settings, |url| {
        let url = url.to_owned();
        tokio::spawn(async move {
            let browser = reqwest::Client::new();
            let _ = browser.get(url).send().await;
        });
    })
    .await
    .expect("signing in works");
}

/// A playbook task as the engine would send it: `item/stage` with checklist `keys`.
pub fn task(
    item: &str,
    stage: &str,
    position: u64,
    keys: &[&str],
) -> throughline_connector::DesiredTask {
    use jiff::civil::Date;
    use throughline_connector::{
        DesiredEntry, DesiredTask, EntryFields, State, TaskContext, TaskFields,
    };
    let identity = format!("{item}/{stage}");
    DesiredTask {
        identity: identity.clone(),
        fields: TaskFields {
            title: format!("{item}: {stage}"),
            description: format!("The {stage} of {item}."),
            group: stage.to_owned(),
            owner: Some("ana@example.com".to_owned()),
            start: Some(Date::constant(2026, 12, 6)),
            due: Some(Date::constant(2026, 12, 8)),
        },
        state: State::Todo,
        context: TaskContext {
            process: "content".into(),
            process_name: "Content pipeline".into(),
            item: item.into(),
            item_title: item.into(),
            stage: stage.into(),
            stage_name: stage.into(),
            role: "writer".into(),
            golive: Some(Date::constant(2026, 12, 10)),
            channel: None,
            timezone: "Asia/Jerusalem".into(),
            rtl: false,
            position,
            blocked_reason: None,
        },
        entries: keys
            .iter()
            .map(|k| DesiredEntry {
                identity: format!("{identity}/{k}"),
                fields: EntryFields {
                    text: format!("Check {k}"),
                    owner: Some("ben@example.com".to_owned()),
                    due: Some(Date::constant(2026, 12, 8)),
                },
                checked: false,
            })
            .collect(),
    }
}

/// `items` items × `stages` stages with `entries` checklist entries each.
pub fn plan(
    items: usize,
    stages: &[&str],
    entries: usize,
) -> Vec<throughline_connector::DesiredTask> {
    let keys: Vec<String> = (0..entries).map(|e| format!("k{e}")).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    for i in 0..items {
        for s in stages {
            out.push(task(&format!("item-{i:03}"), s, out.len() as u64, &keys));
        }
    }
    out
}

/// Every identity observed, tasks and entries, with how often.
pub fn identities(
    obs: &throughline_connector::Observation,
) -> std::collections::BTreeMap<String, usize> {
    let mut seen = std::collections::BTreeMap::new();
    for t in &obs.tasks {
        for id in std::iter::once(&t.identity)
            .chain(t.entries.iter().map(|e| &e.identity))
            .flatten()
        {
            *seen.entry(id.clone()).or_insert(0) += 1;
        }
    }
    seen
}
