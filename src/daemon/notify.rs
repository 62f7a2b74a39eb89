//! Sending notices: e-mail over SMTP (lettre, TLS by rustls) and Slack-compatible webhooks.
//!
//! Secrets (the SMTP password, the webhook URL, which carries a token) are read from their
//! references at each send, so a rotated secret is used without a restart, and they never
//! reach an error message: the webhook's URL is stripped from HTTP errors.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::model::{ReminderSettings, SecretRef, SmtpSettings, SmtpTls};

/// Talking to a mail server or a webhook takes at most this long.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// One notice to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// An e-mail address.
    pub to: String,
    pub subject: String,
    pub text: String,
    /// An HTML version for e-mail, if any.
    pub html: Option<String>,
}

/// The ways out: `e-mail` and/or `webhook`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Channel {
    Email,
    Webhook,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("{0}")]
    Secret(#[from] crate::model::SecretError),
    #[error("`{address}` is not an e-mail address the mail server would take: {message}")]
    Address { address: String, message: String },
    #[error("the mail server {server} did not take the message: {message}")]
    Smtp { server: String, message: String },
    #[error("the reminder webhook did not take the message: {message}")]
    Webhook { message: String },
}

/// Sends notices by the channels `[reminders]` configures.
#[derive(Debug, Clone, Default)]
pub struct Notifier {
    email: Option<SmtpSettings>,
    webhook: Option<SecretRef>,
}

impl Notifier {
    pub fn new(settings: Option<&ReminderSettings>) -> Notifier {
        Notifier {
            email: settings.and_then(|s| s.email.clone()),
            webhook: settings.and_then(|s| s.webhook.clone()),
        }
    }

    pub fn channels(&self) -> Vec<Channel> {
        let mut out = Vec::new();
        if self.email.is_some() {
            out.push(Channel::Email);
        }
        if self.webhook.is_some() {
            out.push(Channel::Webhook);
        }
        out
    }

    pub async fn send(&self, channel: Channel, notice: &Notice) -> Result<(), NotifyError> {
        match channel {
            Channel::Email => match &self.email {
                Some(smtp) => send_email(smtp, notice).await,
                None => Ok(()),
            },
            Channel::Webhook => match &self.webhook {
                Some(url) => send_webhook(url, notice).await,
                None => Ok(()),
            },
        }
    }

    /// Secrets these channels use, for the log redactor; unreadable ones are skipped.
    pub fn secrets(&self) -> Vec<String> {
        let mut refs = Vec::new();
        if let Some(e) = &self.email {
            refs.extend(e.username.iter().chain(e.password.iter()));
        }
        refs.extend(self.webhook.iter());
        refs.into_iter().filter_map(|r| r.resolve().ok()).collect()
    }
}

fn mailbox(address: &str) -> Result<Mailbox, NotifyError> {
    address
        .parse()
        .map_err(|e: lettre::address::AddressError| NotifyError::Address {
            address: address.to_string(),
            message: e.to_string(),
        })
}

async fn send_email(smtp: &SmtpSettings, notice: &Notice) -> Result<(), NotifyError> {
    let server = format!("{}:{}", smtp.host, smtp.port);
    let fail = |e: &dyn std::fmt::Display| NotifyError::Smtp {
        server: server.clone(),
        message: e.to_string(),
    };
    let builder = match smtp.tls {
        SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
            .map_err(|e| fail(&e))?,
        SmtpTls::Tls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(|e| fail(&e))?
        }
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
    };
    let mut builder = builder.port(smtp.port).timeout(Some(SEND_TIMEOUT));
    if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(Credentials::new(user.resolve()?, password.resolve()?));
    }
    let transport = builder.build();
    let body = match &notice.html {
        Some(html) => MultiPart::alternative_plain_html(notice.text.clone(), html.clone()),
        None => MultiPart::mixed().singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(notice.text.clone()),
        ),
    };
    let message = lettre::Message::builder()
        .from(mailbox(&smtp.from)?)
        .to(mailbox(&notice.to)?)
        .subject(notice.subject.clone())
        .multipart(body)
        .map_err(|e| fail(&e))?;
    transport.send(message).await.map_err(|e| fail(&e))?;
    Ok(())
}

/// Slack's incoming-webhook body: `{"text": ...}`, which Mattermost, Rocket.Chat, Teams
/// workflows and Discord's `/slack` endpoint take as well.
async fn send_webhook(url: &SecretRef, notice: &Notice) -> Result<(), NotifyError> {
    let url = url.resolve()?;
    let text = format!("*{}* → {}\n{}", notice.subject, notice.to, notice.text);
    let client = reqwest::Client::builder()
        .timeout(SEND_TIMEOUT)
        .build()
        .map_err(|e| NotifyError::Webhook {
            message: e.without_url().to_string(),
        })?;
    let reply = client
        .post(&url)
        .json(&serde_json::json!({ "text": text }))
        .send()
        .await
        .map_err(|e| NotifyError::Webhook {
            // The URL is the secret: never in a message.
            message: e.without_url().to_string(),
        })?;
    let status = reply.status();
    if !status.is_success() {
        let body = reply.text().await.unwrap_or_default();
        let body: String = body.chars().take(200).collect();
        return Err(NotifyError::Webhook {
            message: format!("it answered {status}: {}", body.replace(&url, "[redacted]")),
        });
    }
    Ok(())
}
