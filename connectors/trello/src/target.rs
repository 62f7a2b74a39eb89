//! A Trello target as `throughline.toml` writes it, and the connector it opens:
//!
//! ```toml
//! [[target]]
//! id = "studio"
//! kind = "trello"
//! board = "5f1a0c..."
//! credentials = { key = "env:TRELLO_KEY", token = "env:TRELLO_TOKEN", secret = "env:TRELLO_SECRET" }
//! people = { "dana@example.com" = "danalevi" }
//! ```
//!
//! `secret` is the app's secret: Trello signs the webhooks it sends the daemon with it
//! ([`webhook_signature_ok`]).

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use throughline_connector::Connector;
use throughline_connector::settings::{
    Accounts, KindSpec, LocationKey, SettingsError, TargetSettings, Tool, WebhookEvent, no_checks,
};

use crate::{TrelloConnector, TrelloMapping, TrelloSettings};

/// The Trello kind, for the root crate's registry.
pub const TOOL: Tool = Tool {
    spec: KindSpec {
        kind: "trello",
        tool: "Trello",
        location: &[LocationKey {
            key: "board",
            hint: "the board's id, like board = \"5f1a0c...\"",
        }],
        // `people`: hub person → Trello username, where it cannot match by e-mail;
        // `unmapped`: what happens to the tasks of a person with no account there.
        options: &["people", "unmapped"],
        // `secret`: the app's secret, which signs the webhooks Trello sends the daemon.
        credentials: &["key", "token", "secret"],
        accounts: Accounts {
            by_map_only: true,
            word: "Trello username",
        },
        check: no_checks,
    },
    connect,
    check_mapping: |t| TrelloMapping::from_toml(t).map(|_| ()),
    mapping_people,
    sign_in: None,
    default_mapping: None,
    local_file: None,
    webhooks: Some(crate::webhook::host),
    task_url: Some(|_, card| Some(format!("https://trello.com/c/{card}"))),
};

/// The board's members the mapping's `[people]` names; the target's `people` wins over them.
fn mapping_people(mapping: &toml::Table) -> BTreeMap<String, String> {
    TrelloMapping::from_toml(mapping)
        .map(|m| m.people)
        .unwrap_or_default()
}

/// The connector for one board.
pub fn connect(
    target: &TargetSettings,
    mapping: &toml::Table,
) -> Result<Box<dyn Connector>, SettingsError> {
    let board = target.require("board", "needs `board = \"<board id>\"`")?;
    let mut settings = TrelloSettings::new(
        &target.id,
        &board,
        target.secret("key")?,
        target.secret("token")?,
    );
    settings.base_url = target.base_url_or(TrelloSettings::DEFAULT_BASE_URL);
    settings.mapping =
        TrelloMapping::from_toml(mapping).map_err(|e| target.error(e.to_string()))?;
    settings.timezone = target.timezone.clone();
    settings.people = target.people.clone();
    let connector = TrelloConnector::new(settings).map_err(|e| target.error(e.to_string()))?;
    Ok(Box::new(connector))
}

/// Whether `header` (`X-Trello-Webhook`) is Trello's signature of `body` sent to `callback`:
/// the base64 HMAC-SHA1, with the app's secret, of the raw body followed by the callback
/// address the webhook was registered with.
pub fn webhook_signature_ok(secret: &[u8], body: &[u8], callback: &str, header: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(header.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.update(callback.as_bytes());
    // Constant time: a signature is not guessable byte by byte.
    mac.verify_slice(&expected).is_ok()
}

/// Trello's signature of `body` sent to `callback` (what Trello puts in `X-Trello-Webhook`).
pub fn webhook_signature(secret: &[u8], body: &[u8], callback: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.update(callback.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The action of a webhook delivery: its member (`idMemberCreator`) and card
/// (`action.data.card.id`). `None` when the body names no card (an action on the board or a
/// list): anything may have changed.
pub fn webhook_events(body: &[u8]) -> Option<Vec<WebhookEvent>> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let card = v.pointer("/action/data/card/id")?.as_str()?;
    let actor = v
        .pointer("/action/idMemberCreator")
        .and_then(|m| m.as_str());
    Some(vec![WebhookEvent {
        actor: actor.map(str::to_string),
        objects: vec![card.to_string()],
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    // Trello's documentation example, recomputed: the body and the callback URL, concatenated.
    const SECRET: &[u8] = b"trello-app-secret";
    const CALLBACK: &str = "https://sync.example.com/hooks/trello/studio";
    const BODY: &[u8] = br#"{"action":{"type":"updateCard","data":{"card":{"name":"\u05d1\u05d3\u05d9\u05e7\u05d4"}}}}"#;

    #[test]
    fn the_card_of_an_action() {
        // An action as Trello delivers it (the shape of a recorded `updateCard`).
        let body = br#"{"action":{"id":"57f1c03da9f6a0a4bf851f89","idMemberCreator":"4f0b777fd1e39cca3f217850","type":"updateCard","data":{"card":{"id":"57f0752fe7074732b13358df","name":"\u05d1\u05d3\u05d9\u05e7\u05d4","idList":"57f03a09ace084808ff59272"},"old":{"idList":"57f03a0e9d3013ae8f30f9a2"},"board":{"id":"57f039fbc0f98772398d289d"}}},"model":{"id":"57f039fbc0f98772398d289d"}}"#;
        assert_eq!(
            webhook_events(body),
            Some(vec![WebhookEvent {
                actor: Some("4f0b777fd1e39cca3f217850".into()),
                objects: vec!["57f0752fe7074732b13358df".into()],
            }])
        );
        // A list renamed names no card; a body that is not JSON says nothing either.
        let list = br#"{"action":{"type":"updateList","data":{"list":{"id":"57f03a09ace084808ff59272"}}}}"#;
        assert_eq!(webhook_events(list), None);
        assert_eq!(webhook_events(b"not json"), None);
    }

    #[test]
    fn signatures() {
        let good = webhook_signature(SECRET, BODY, CALLBACK);
        assert!(webhook_signature_ok(SECRET, BODY, CALLBACK, &good));
        // Another body, another URL, another secret, garbage, nothing: all refused.
        assert!(!webhook_signature_ok(SECRET, b"{}", CALLBACK, &good));
        assert!(!webhook_signature_ok(
            SECRET,
            BODY,
            "http://127.0.0.1:9184/hooks/trello/studio",
            &good
        ));
        assert!(!webhook_signature_ok(b"other", BODY, CALLBACK, &good));
        assert!(!webhook_signature_ok(SECRET, BODY, CALLBACK, "not base64!"));
        assert!(!webhook_signature_ok(SECRET, BODY, CALLBACK, ""));
    }

    #[test]
    fn the_signature_is_hmac_sha1_of_body_then_url() {
        // RFC 2202 test case 2 (HMAC-SHA1, key "Jefe"), split between body and URL.
        let sig = webhook_signature(b"Jefe", b"what do ya want ", "for nothing?");
        let hex: String = base64::engine::general_purpose::STANDARD
            .decode(sig)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    }
}
