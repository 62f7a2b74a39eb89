//! Drive push notifications for a spreadsheet, as Drive v3 runs them: `files.watch`
//! (`POST /drive/v3/files/{fileId}/watch` with a `Channel`: `id`, `type` `web_hook`, `address`,
//! optional `token` and `expiration` in Unix milliseconds) opens a channel, `channels.stop`
//! (`POST /drive/v3/channels/stop` with the channel's `id` and `resourceId`) closes it.
//!
//! Each channel gets a `sync` message at once, then an `update` (`X-Goog-Changed: content`)
//! after every change to the spreadsheet, through the API or a person's edit, and a `remove`
//! when the file is deleted: an empty POST to `address` with `X-Goog-Channel-ID`,
//! `X-Goog-Channel-Token` (when one was given), `X-Goog-Channel-Expiration`,
//! `X-Goog-Resource-ID`, `X-Goog-Resource-URI`, `X-Goog-Resource-State` and
//! `X-Goog-Message-Number` (1 for the `sync`, then counting up). A channel lives an hour
//! unless `expiration` says less, and at most a day, as Drive's file channels do; an expired
//! channel sends nothing more.
//!
//! Drive only delivers to HTTPS addresses; the emulator also takes `http://` on a loopback
//! address (127.0.0.1, localhost, [::1]) so tests need no certificate. Not modelled: retries of
//! failed notifications, `changes.watch`, `payload`.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};
use throughline_connector::emulator_kit::callback;

use super::World;

/// How long a channel lives when `expiration` is not given, and at most.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
const LONGEST_LIFETIME: Duration = Duration::from_secs(86_400);

/// One open channel.
#[derive(Debug, Clone)]
pub(crate) struct Channel {
    pub id: String,
    pub resource_id: String,
    pub file: String,
    pub address: String,
    pub token: Option<String>,
    pub expiration: Timestamp,
    /// Messages sent so far (the next one is numbered one more).
    pub sent: u64,
}

impl Channel {
    fn resource_uri(&self) -> String {
        format!(
            "https://www.googleapis.com/drive/v3/files/{}?alt=json&supportsAllDrives=false",
            self.file
        )
    }

    /// The channel as `files.watch` answers it.
    pub fn json(&self) -> Value {
        let mut out = json!({
            "kind": "api#channel",
            "id": self.id,
            "resourceId": self.resource_id,
            "resourceUri": self.resource_uri(),
            "expiration": self.expiration.as_millisecond().to_string(),
        });
        if let Some(token) = &self.token {
            out["token"] = json!(token);
        }
        out
    }

    /// The next message of this channel, in this state.
    fn message(&mut self, state: &str) -> Notice {
        self.sent += 1;
        let mut headers = vec![
            ("X-Goog-Channel-ID", self.id.clone()),
            (
                "X-Goog-Channel-Expiration",
                self.expiration
                    .strftime("%a, %d %b %Y %H:%M:%S GMT")
                    .to_string(),
            ),
            ("X-Goog-Resource-ID", self.resource_id.clone()),
            ("X-Goog-Resource-URI", self.resource_uri()),
            ("X-Goog-Resource-State", state.to_owned()),
            ("X-Goog-Message-Number", self.sent.to_string()),
        ];
        if let Some(token) = &self.token {
            headers.push(("X-Goog-Channel-Token", token.clone()));
        }
        if state == "update" {
            headers.push(("X-Goog-Changed", "content".to_owned()));
        }
        Notice {
            address: self.address.clone(),
            headers,
        }
    }
}

/// A notification to send.
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    address: String,
    headers: Vec<(&'static str, String)>,
}

/// The channels, and the notices waiting to go out.
#[derive(Debug, Default)]
pub(crate) struct Watches {
    pub channels: BTreeMap<String, Channel>,
    /// Each file's resource id, the same for every channel on it.
    resource_ids: HashMap<String, String>,
    outbox: Vec<Notice>,
}

impl Watches {
    /// The notices waiting, taken out.
    pub fn take_outbox(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.outbox)
    }

    /// The versions of the files some live channel watches.
    pub fn versions(&self, w: &BTreeMap<String, super::model::Spreadsheet>) -> Versions {
        let now = Timestamp::now();
        let watched = self.channels.values().filter(|c| c.expiration > now);
        Versions(
            watched
                .map(|c| (c.file.clone(), w.get(&c.file).map(|s| s.version)))
                .collect(),
        )
    }

    /// Queue an `update` (or `remove`, for a file that is gone) on each live channel of each
    /// file whose version moved since `before`.
    pub fn queue_changes(
        &mut self,
        before: Versions,
        w: &BTreeMap<String, super::model::Spreadsheet>,
    ) {
        let now = Timestamp::now();
        for (file, version) in before.0 {
            let after = w.get(&file).map(|s| s.version);
            if after == version {
                continue;
            }
            let state = if after.is_some() { "update" } else { "remove" };
            let live = self
                .channels
                .values_mut()
                .filter(|c| c.file == file && c.expiration > now);
            let notices: Vec<Notice> = live.map(|c| c.message(state)).collect();
            self.outbox.extend(notices);
        }
    }
}

/// File versions before a request or an edit, to tell which files it changed.
#[derive(Debug, Default)]
pub(crate) struct Versions(HashMap<String, Option<u64>>);

/// Send notices, each on a task of its own (outside a Tokio runtime nothing is sent).
pub(crate) fn send(notices: Vec<Notice>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    for notice in notices {
        runtime.spawn(async move {
            let _ = callback::call(
                reqwest::Method::POST,
                &notice.address,
                &notice.headers,
                Some(String::new()),
            )
            .await;
        });
    }
}

/// A Drive error body.
pub(crate) fn drive_error(code: u16, message: &str, reason: &str) -> (u16, Value) {
    (
        code,
        json!({"error": {"code": code, "message": message, "errors": [{
            "message": message, "domain": "global", "reason": reason}]}}),
    )
}

/// Whether Drive (or, for tests, the emulator) delivers to this address.
fn deliverable(address: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(address) else {
        return false;
    };
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    url.scheme() == "https" || (url.scheme() == "http" && loopback)
}

/// When a channel asked to end at `asked` (Unix milliseconds, as a string or a number) ends.
fn expiration(asked: &Value, now: Timestamp) -> Result<Timestamp, (u16, Value)> {
    let longest = now + LONGEST_LIFETIME;
    let ms = match asked {
        Value::Null => return Ok(now + DEFAULT_LIFETIME),
        Value::String(s) => s.parse::<i64>().ok(),
        v => v.as_i64(),
    };
    let at = ms
        .and_then(|ms| Timestamp::from_millisecond(ms).ok())
        .ok_or_else(|| drive_error(400, "Invalid value for: expiration", "invalid"))?;
    Ok(at.min(longest))
}

/// `files.watch` on a file the caller may see: a new channel, and its `sync` message queued.
pub(crate) fn watch(w: &mut World, file: &str, body: Option<&Value>) -> (u16, Value) {
    let body = body.cloned().unwrap_or(Value::Null);
    let Some(id) = body["id"].as_str().filter(|s| !s.is_empty()) else {
        return drive_error(400, "Required parameter: id", "required");
    };
    if !matches!(body["type"].as_str(), Some("web_hook" | "webhook")) {
        return drive_error(400, "Invalid value for: type", "invalid");
    }
    let Some(address) = body["address"].as_str().filter(|a| !a.is_empty()) else {
        return drive_error(400, "Required parameter: address", "required");
    };
    if !deliverable(address) {
        let message = format!("WebHook callback must be HTTPS: {address}");
        return drive_error(400, &message, "push.webhookUrlNotHttps");
    }
    if w.watches.channels.contains_key(id) {
        let message = format!("Channel id {id} not unique");
        return drive_error(400, &message, "channelIdNotUnique");
    }
    let expiration = match expiration(&body["expiration"], Timestamp::now()) {
        Ok(at) => at,
        Err(e) => return e,
    };
    let resource_id = w
        .watches
        .resource_ids
        .entry(file.to_owned())
        .or_insert_with(|| format!("{:027x}", rand::random::<u128>() >> 20))
        .clone();
    let mut channel = Channel {
        id: id.to_owned(),
        resource_id,
        file: file.to_owned(),
        address: address.to_owned(),
        token: body["token"].as_str().map(str::to_owned),
        expiration,
        sent: 0,
    };
    let sync = channel.message("sync");
    let json = channel.json();
    w.watches.outbox.push(sync);
    w.watches.channels.insert(channel.id.clone(), channel);
    (200, json)
}

/// `channels.stop`: the channel with this `id` and `resourceId` sends nothing more.
pub(crate) fn stop(w: &mut World, body: Option<&Value>) -> (u16, Value) {
    let body = body.cloned().unwrap_or(Value::Null);
    let id = body["id"].as_str().unwrap_or_default();
    let resource = body["resourceId"].as_str().unwrap_or_default();
    let known = w
        .watches
        .channels
        .get(id)
        .is_some_and(|c| c.resource_id == resource);
    if !known {
        let message = format!("Channel '{id}' not found for project '000000000000'");
        return drive_error(404, &message, "notFound");
    }
    w.watches.channels.remove(id);
    (204, Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_lives_an_hour_unless_asked_for_less_and_never_more_than_a_day() {
        let now: Timestamp = "2026-12-02T08:00:00Z".parse().unwrap();
        assert_eq!(
            expiration(&Value::Null, now).unwrap(),
            now + DEFAULT_LIFETIME
        );
        let soon = now + Duration::from_secs(60);
        let asked = json!(soon.as_millisecond().to_string());
        assert_eq!(expiration(&asked, now).unwrap(), soon);
        let far = json!((now + Duration::from_secs(7 * 86_400)).as_millisecond());
        assert_eq!(expiration(&far, now).unwrap(), now + LONGEST_LIFETIME);
        assert!(expiration(&json!("tomorrow"), now).is_err());
    }

    #[test]
    fn only_https_or_loopback_addresses_are_taken() {
        assert!(deliverable("https://example.com/hooks/drive/plan"));
        assert!(deliverable("http://127.0.0.1:8080/hooks/drive/plan"));
        assert!(!deliverable("http://example.com/hooks/drive/plan"));
        assert!(!deliverable("not a url"));
    }
}
