//! The webhooks the daemon accepts, per kind: where (`/hooks/<path>/<target>`) and how a call
//! is checked. The signature checks themselves are the connector crates'.

pub use throughline_asana::target::{
    webhook_signature as asana_signature, webhook_signature_ok as asana_signature_ok,
};
pub use throughline_sheets::watch::{
    Channel, DriveChannels as Channels, channels as drive_channels,
};
pub use throughline_trello::target::{
    webhook_signature as trello_signature, webhook_signature_ok as trello_signature_ok,
};

/// The events of a delivery, read from its body (`None`: the body does not say, anything may
/// have changed; `Some` of no event: nothing changed).
pub type Events = fn(body: &[u8]) -> Option<Vec<throughline_connector::settings::WebhookEvent>>;

/// How a tool proves that a webhook call is its own.
#[derive(Debug, Clone, Copy)]
pub enum Protocol {
    /// Each call is signed with the app's secret (the target's `secret` credential) over the
    /// body and the callback address; the tool checks the address with a `HEAD` first.
    AppSecret {
        /// The header holding the signature.
        header: &'static str,
        verify: fn(secret: &[u8], body: &[u8], callback: &str, signature: &str) -> bool,
        /// What a delivery says changed.
        events: Events,
    },
    /// The tool sends a secret once, in a handshake while the daemon creates the webhook;
    /// later calls are signed with it.
    Handshake {
        /// The header of the handshake, which the daemon echoes.
        secret_header: &'static str,
        /// The header holding each later call's signature.
        signature_header: &'static str,
        verify: fn(secret: &[u8], body: &[u8], signature: &str) -> bool,
        /// What a delivery says changed.
        events: Events,
    },
    /// The daemon opens a channel that expires and must be renewed; each notification repeats
    /// the token it chose for the channel (Drive's `files.watch`).
    Channel {
        /// The header repeating the channel's token.
        token_header: &'static str,
        /// The header naming the channel.
        channel_header: &'static str,
        /// The header with the resource's state (`sync` opens the channel, changes nothing).
        state_header: &'static str,
        /// The target's channels.
        open: fn(
            &throughline_connector::settings::TargetSettings,
        ) -> Result<Channels, throughline_connector::settings::SettingsError>,
    },
}

/// A kind's webhook.
#[derive(Debug, Clone, Copy)]
pub struct Webhook {
    /// `/hooks/<path>/<target>`; also the metrics' `tool` label.
    pub path: &'static str,
    /// How a call is checked.
    pub protocol: Protocol,
}

pub(super) const TRELLO: Webhook = Webhook {
    path: "trello",
    protocol: Protocol::AppSecret {
        header: "X-Trello-Webhook",
        verify: trello_signature_ok,
        events: throughline_trello::target::webhook_events,
    },
};

pub(super) const ASANA: Webhook = Webhook {
    path: "asana",
    protocol: Protocol::Handshake {
        secret_header: "X-Hook-Secret",
        signature_header: "X-Hook-Signature",
        verify: asana_signature_ok,
        events: throughline_asana::target::webhook_events,
    },
};

pub(super) const DRIVE: Webhook = Webhook {
    path: "drive",
    protocol: Protocol::Channel {
        token_header: throughline_sheets::watch::TOKEN_HEADER,
        channel_header: throughline_sheets::watch::CHANNEL_HEADER,
        state_header: throughline_sheets::watch::STATE_HEADER,
        open: drive_channels,
    },
};

impl Webhook {
    /// Calls are signed with the app's secret (Trello).
    pub fn signed_with_app_secret(&self) -> bool {
        matches!(self.protocol, Protocol::AppSecret { .. })
    }

    /// The secret comes in a handshake while the daemon creates the webhook (Asana).
    pub fn by_handshake(&self) -> bool {
        matches!(self.protocol, Protocol::Handshake { .. })
    }

    /// The daemon opens expiring channels with a token of its choosing (Drive).
    pub fn by_channel(&self) -> bool {
        matches!(self.protocol, Protocol::Channel { .. })
    }
}
