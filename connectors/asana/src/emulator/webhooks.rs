//! Webhooks as Asana runs them: `POST /webhooks` confirms the target with the `X-Hook-Secret`
//! handshake *while the create request is in flight* (the target must echo the secret with a
//! `200` or `204`, or the create fails), `GET /webhooks?workspace=&resource=` lists the
//! caller's webhooks, `GET`/`DELETE /webhooks/{gid}`; every change in the resource is then
//! POSTed to the target as `{"events": [...]}`, signed with `X-Hook-Signature`: the hex
//! HMAC-SHA256 of the body with the handshake's secret.
//!
//! Asana delivers each event at most once; a delivery that fails is recorded on the webhook
//! (`last_failure_at`, `last_failure_content`) and not repeated here. A webhook whose deliveries
//! have failed for 24 hours with no success in between is deleted, as Asana does (the span is
//! settable, [`super::Emulator::set_webhook_drop_after`]; a test can also drop one at once,
//! [`super::Emulator::drop_webhook`]).

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use reqwest::Method;
use serde_json::{Value, json};
use throughline_connector::emulator_kit::callback;

use super::world::{ApiError, Caller, Gid, format_time, random_hex};
use super::{Shared, lock};

/// How long Asana waits for the target to answer the handshake or a delivery.
const TARGET_TIMEOUT: Duration = Duration::from_secs(10);

/// How long deliveries may keep failing before Asana deletes the webhook.
pub(super) const DROP_AFTER: Duration = Duration::from_secs(24 * 3600);

/// One webhook.
#[derive(Debug, Clone)]
pub(super) struct Hook {
    pub gid: Gid,
    pub resource: Gid,
    pub resource_type: &'static str,
    pub workspace: Gid,
    /// The user whose token created it: webhooks are listed per user.
    pub owner: Gid,
    pub target: String,
    pub secret: String,
    pub filters: Vec<Value>,
    pub created_at: Timestamp,
    /// Events up to this sequence number were delivered (or filtered out).
    pub delivered: u64,
    pub last_success_at: Option<Timestamp>,
    pub last_failure_at: Option<Timestamp>,
    pub last_failure_content: Option<String>,
    /// When the failures since the last success began.
    pub failing_since: Option<Timestamp>,
}

impl Hook {
    fn compact(&self, name: &str) -> Value {
        json!({
            "gid": self.gid,
            "resource_type": "webhook",
            "active": true,
            "resource": {"gid": self.resource, "resource_type": self.resource_type, "name": name},
            "target": self.target,
        })
    }

    fn json(&self, name: &str) -> Value {
        let time = |t: Option<Timestamp>| t.map(format_time);
        let mut full = self.compact(name);
        full["created_at"] = json!(format_time(self.created_at));
        full["filters"] = json!(self.filters);
        full["last_success_at"] = json!(time(self.last_success_at));
        full["last_failure_at"] = json!(time(self.last_failure_at));
        full["last_failure_content"] = json!(self.last_failure_content);
        full["delivery_retry_count"] = json!(0);
        full
    }

    /// Whether an event passes the webhook's filters (no filters: every event).
    fn passes(&self, event: &Value) -> bool {
        self.filters.is_empty()
            || self.filters.iter().any(|f| {
                let same = |key: &str, value: &Value| f[key].as_str().is_none_or(|k| value == k);
                same("resource_type", &event["resource"]["resource_type"])
                    && same("action", &event["action"])
            })
    }
}

/// The hex HMAC-SHA256 of `body` with `secret`: Asana's `X-Hook-Signature`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    callback::hmac_sha256_hex(secret.as_bytes(), body)
}

fn ok(status: u16, body: Value) -> (u16, Value) {
    (status, body)
}

fn fail(e: ApiError) -> (u16, Value) {
    (e.status, e.body())
}

/// Answer a request under `/webhooks`.
pub(super) async fn answer(
    shared: &Arc<Shared>,
    caller: &Caller,
    method: &Method,
    path: &str,
    query: &[(String, String)],
    body: Option<&Value>,
) -> (u16, Value) {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["webhooks"]) => create(shared, caller, body).await,
        ("GET", ["webhooks"]) => {
            let Some(workspace) = param("workspace") else {
                return fail(ApiError::bad("workspace: Missing input"));
            };
            let resource = param("resource");
            let hooks = lock(&shared.hooks).clone();
            let world = lock(&shared.world);
            if !world.workspaces.contains_key(workspace) {
                return fail(ApiError::unknown(workspace));
            }
            let data: Vec<Value> = hooks
                .iter()
                .filter(|h| h.owner == caller.user && h.workspace == workspace)
                .filter(|h| resource.is_none_or(|r| h.resource == r))
                .map(|h| h.compact(&world.name_of(&h.resource, h.resource_type)))
                .collect();
            ok(200, json!({"data": data, "next_page": null}))
        }
        ("GET", ["webhooks", gid]) => {
            let hooks = lock(&shared.hooks);
            match hooks.iter().find(|h| h.gid == *gid) {
                Some(h) => {
                    let name = lock(&shared.world).name_of(&h.resource, h.resource_type);
                    ok(200, json!({"data": h.json(&name)}))
                }
                None => fail(ApiError::unknown(gid)),
            }
        }
        ("DELETE", ["webhooks", gid]) => {
            let mut hooks = lock(&shared.hooks);
            let before = hooks.len();
            hooks.retain(|h| h.gid != *gid);
            if hooks.len() == before {
                fail(ApiError::unknown(gid))
            } else {
                ok(200, json!({"data": {}}))
            }
        }
        _ => fail(ApiError::new(404, "No matching route for request")),
    }
}

async fn create(shared: &Arc<Shared>, caller: &Caller, body: Option<&Value>) -> (u16, Value) {
    let data = &body.map(|b| b["data"].clone()).unwrap_or(Value::Null);
    let Some(resource) = data["resource"].as_str().map(str::to_owned) else {
        return fail(ApiError::bad("resource: Missing input"));
    };
    let Some(target) = data["target"].as_str().map(str::to_owned) else {
        return fail(ApiError::bad("target: Missing input"));
    };
    let filters = data["filters"].as_array().cloned().unwrap_or_default();
    if reqwest::Url::parse(&target)
        .ok()
        .is_none_or(|u| !matches!(u.scheme(), "http" | "https"))
    {
        return fail(ApiError::bad(format!("target: Not a valid URL: {target}")));
    }
    let (resource_type, workspace, seq) = {
        let world = lock(&shared.world);
        let seq = world.events.len() as u64;
        if let Some(p) = world.projects.get(&resource) {
            ("project", p.workspace.clone(), seq)
        } else if let Some(t) = world.tasks.get(&resource).filter(|t| !t.deleted) {
            ("task", t.workspace.clone(), seq)
        } else {
            return fail(ApiError::unknown(&resource));
        }
    };
    // The handshake, while the create is in flight; the world is not locked meanwhile, so
    // the target may call the API back.
    let secret = random_hex(64);
    let answer = reqwest::Client::new()
        .post(&target)
        .header("X-Hook-Secret", &secret)
        .timeout(TARGET_TIMEOUT)
        .send()
        .await;
    let confirmed = match &answer {
        Ok(r) => {
            matches!(r.status().as_u16(), 200 | 204)
                && r.headers()
                    .get("x-hook-secret")
                    .is_some_and(|v| v.as_bytes() == secret.as_bytes())
        }
        Err(_) => false,
    };
    if !confirmed {
        let why = match answer {
            Ok(r) => format!("the target answered {}", r.status()),
            Err(e) => format!("the target could not be reached ({e})"),
        };
        return fail(ApiError::bad(format!(
            "Could not complete activation handshake with target URL: {why}. Please ensure that \
             the receiving server is accepting connections and echoes the X-Hook-Secret header."
        )));
    }
    let (gid, name) = {
        let mut world = lock(&shared.world);
        (world.gid(), world.name_of(&resource, resource_type))
    };
    let hook = Hook {
        gid,
        resource,
        resource_type,
        workspace,
        owner: caller.user.clone(),
        target,
        secret: secret.clone(),
        filters,
        created_at: Timestamp::now(),
        delivered: seq,
        last_success_at: None,
        last_failure_at: None,
        last_failure_content: None,
        failing_since: None,
    };
    let json = hook.json(&name);
    lock(&shared.hooks).push(hook);
    ok(201, json!({"data": json, "X-Hook-Secret": secret}))
}

/// Send every webhook the events it has not had yet, each webhook's in one signed POST.
/// Returns at once; the deliveries run on their own.
pub(super) fn deliver(shared: &Arc<Shared>) {
    let mut sends: Vec<(String, String, String, String)> = Vec::new();
    {
        let mut hooks = lock(&shared.hooks);
        if hooks.is_empty() {
            return;
        }
        let world = lock(&shared.world);
        let last = world.events.len() as u64;
        for hook in hooks.iter_mut() {
            let events: Vec<Value> = world
                .events
                .iter()
                .filter(|e| e.seq > hook.delivered && e.scope.contains(&hook.resource))
                .map(|e| super::routes::event_json(&world, e))
                .filter(|e| hook.passes(e))
                .collect();
            hook.delivered = last;
            if events.is_empty() {
                continue;
            }
            let body = json!({"events": events}).to_string();
            sends.push((
                hook.gid.clone(),
                hook.target.clone(),
                signature(&hook.secret, body.as_bytes()),
                body,
            ));
        }
    }
    for (gid, target, sig, body) in sends {
        let shared = Arc::clone(shared);
        tokio::spawn(async move {
            let result = reqwest::Client::new()
                .post(&target)
                .header("Content-Type", "application/json")
                .header("X-Hook-Signature", sig)
                .timeout(TARGET_TIMEOUT)
                .body(body)
                .send()
                .await;
            let failure = match result {
                Ok(r) if r.status().is_success() => None,
                Ok(r) => Some(format!("{} from the target", r.status())),
                Err(e) => Some(format!("the target could not be reached: {e}")),
            };
            let drop_after = *lock(&shared.webhook_drop_after);
            let mut hooks = lock(&shared.hooks);
            let now = Timestamp::now();
            let Some(h) = hooks.iter_mut().find(|h| h.gid == gid) else {
                return;
            };
            match failure {
                None => {
                    h.last_success_at = Some(now);
                    h.failing_since = None;
                }
                Some(why) => {
                    h.last_failure_at = Some(now);
                    h.last_failure_content = Some(why);
                    let since = *h.failing_since.get_or_insert(now);
                    if now.duration_since(since).unsigned_abs() >= drop_after {
                        hooks.retain(|h| h.gid != gid);
                    }
                }
            }
        });
    }
}
