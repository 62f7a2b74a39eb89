//! Drive push notifications on the spreadsheet, so that an edit in Google Sheets starts a
//! cycle at once instead of at the next poll.
//!
//! Drive v3 `files.watch` (`POST /drive/v3/files/{fileId}/watch`) opens a *channel*: Drive
//! then posts an empty body to the channel's `address` after each change, with the channel's
//! id, its `token` (chosen by whoever opened it, so a notification can be told from a forged
//! one) and the resource's state (`sync` once at the start, then `update`, `remove`) in
//! `X-Goog-*` headers. Channels cannot be listed, renewed or changed: each lives until its
//! `expiration` (at most a day for a file, an hour when not asked), and the one who opened it
//! must open a new one before it ends and stop the old one with `channels.stop` (`id` and
//! `resourceId`). Drive delivers only to HTTPS addresses. The daemon keeps the channel it
//! opened ([`Channel`]) and does the rest; this module only opens and stops them.

use jiff::Timestamp;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use throughline_connector::ConnectorError;
use throughline_connector::settings::{SettingsError, TargetSettings};

use crate::SheetsConnector;
use crate::client::{Call, encode_path};

/// The header Drive repeats a channel's token in.
pub const TOKEN_HEADER: &str = "X-Goog-Channel-Token";
/// The header with the channel's id.
pub const CHANNEL_HEADER: &str = "X-Goog-Channel-ID";
/// The header with the resource's state: `sync`, `update`, `remove`, …
pub const STATE_HEADER: &str = "X-Goog-Resource-State";

/// A channel the daemon opened on a spreadsheet, as it keeps it between starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// The channel's id (chosen by its opener, unique).
    pub id: String,
    /// Drive's id of the watched file, needed to stop the channel.
    pub resource_id: String,
    /// Where Drive posts.
    pub address: String,
    /// Repeated in every notification; anything else is refused.
    pub token: String,
    /// When Drive stops sending.
    pub expiration: Timestamp,
}

impl Channel {
    /// Whether a notification's `X-Goog-Channel-Token` is this channel's, compared in
    /// constant time (a token is not guessable byte by byte).
    pub fn token_ok(&self, header: &str) -> bool {
        let (a, b) = (self.token.as_bytes(), header.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// The Drive channels of one target's spreadsheet.
pub struct DriveChannels {
    connector: SheetsConnector,
}

/// The spreadsheet's channels, for the daemon: a connector with the default mapping, since
/// channels need none.
pub fn channels(target: &TargetSettings) -> Result<DriveChannels, SettingsError> {
    let settings = crate::target::settings(target)?;
    let connector = SheetsConnector::new(settings).map_err(|e| target.error(e.to_string()))?;
    Ok(DriveChannels { connector })
}

/// A random text of `n` hex digits.
fn random_hex(n: usize) -> String {
    (0..n)
        .map(|_| char::from(b"0123456789abcdef"[rand::random_range(0..16usize)]))
        .collect()
}

impl DriveChannels {
    /// What the channels are on, for messages: "spreadsheet 1BxiM...".
    pub fn watched(&self) -> String {
        format!("spreadsheet {}", self.connector.client.spreadsheet())
    }

    /// Open a channel posting to `address` until `expiration` (Drive may end it sooner: it
    /// answers the moment it chose), with a new random id and token.
    pub async fn watch(
        &self,
        address: &str,
        expiration: Timestamp,
    ) -> Result<Channel, ConnectorError> {
        let client = &self.connector.client;
        let id = format!("throughline-{}", random_hex(32));
        let token = random_hex(48);
        let url = format!(
            "{}/drive/v3/files/{}/watch",
            client.drive_url(),
            encode_path(client.spreadsheet())
        );
        let body = json!({
            "id": id,
            "type": "web_hook",
            "address": address,
            "token": token,
            "expiration": expiration.as_millisecond().to_string(),
        });
        let call = Call {
            method: Method::POST,
            url,
            query: vec![("supportsAllDrives".to_owned(), "true".to_owned())],
            body: Some(body),
            write: false,
            // A second channel with the same id is refused; a lost answer is found at expiry.
            idempotent: false,
        };
        let what = format!("a Drive channel on {}", self.watched());
        let reply = client
            .call(call, &what)
            .await
            .map_err(|e| client.explain(e))?;
        let answer: Value = reply.json()?;
        let resource_id = answer["resourceId"].as_str().unwrap_or_default().to_owned();
        let expiration = answer["expiration"]
            .as_str()
            .and_then(|ms| ms.parse::<i64>().ok())
            .or_else(|| answer["expiration"].as_i64())
            .and_then(|ms| Timestamp::from_millisecond(ms).ok())
            .unwrap_or(expiration);
        if resource_id.is_empty() {
            return Err(ConnectorError::Invalid {
                message: format!("Drive opened {what} but did not say its resourceId"),
            });
        }
        Ok(Channel {
            id,
            resource_id,
            address: address.to_owned(),
            token,
            expiration,
        })
    }

    /// `channels.stop`: Drive sends nothing more on `channel`. One that Drive no longer knows
    /// (expired, or stopped already) counts as stopped.
    pub async fn stop(&self, channel: &Channel) -> Result<(), ConnectorError> {
        let client = &self.connector.client;
        let call = Call {
            method: Method::POST,
            url: format!("{}/drive/v3/channels/stop", client.drive_url()),
            query: Vec::new(),
            body: Some(json!({"id": channel.id, "resourceId": channel.resource_id})),
            write: false,
            idempotent: true,
        };
        let what = format!("the Drive channel {} on {}", channel.id, self.watched());
        match client.call(call, &what).await {
            Ok(_) | Err(ConnectorError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_channels_own_token_passes() {
        let c = Channel {
            id: "throughline-1".into(),
            resource_id: "r".into(),
            address: "https://sync.example.com/hooks/drive/plan".into(),
            token: random_hex(48),
            expiration: Timestamp::UNIX_EPOCH,
        };
        assert!(c.token_ok(&c.token.clone()));
        assert!(!c.token_ok(""));
        assert!(!c.token_ok(&c.token[..47]));
        assert!(!c.token_ok(&random_hex(48)));
        let kept = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Channel>(&kept).unwrap(), c);
    }
}
