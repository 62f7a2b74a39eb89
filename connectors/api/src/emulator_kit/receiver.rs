//! A receiving end for webhook and watch deliveries, for tests: it records every request and
//! answers with a status the test sets.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::Notify;

use super::request::Incoming;
use super::{Bound, Serving, lock, loopback};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// `GET`, `POST`, `HEAD`, ...
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The request's headers.
    pub headers: HeaderMap,
    /// The request's body, as text (invalid UTF-8 replaced).
    pub body: String,
}

impl Received {
    /// A header's value as text (empty when missing).
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    }
}

#[derive(Default)]
struct State {
    got: Mutex<Vec<Received>>,
    /// Status for `HEAD` and for everything else (0: 200).
    head_status: AtomicU16,
    status: AtomicU16,
    arrived: Notify,
}

/// A server on 127.0.0.1 that takes deliveries. It echoes `X-Hook-Secret` (Asana's
/// handshake) and answers `200` unless told otherwise.
pub struct Receiver {
    state: Arc<State>,
    server: Serving,
}

impl Receiver {
    /// Start a receiver on 127.0.0.1 at a free port, answering `200`.
    pub async fn start() -> std::io::Result<Receiver> {
        let state = Arc::new(State::default());
        let shared = Arc::clone(&state);
        let app = Router::new().fallback(move |incoming: Incoming| {
            let state = Arc::clone(&shared);
            async move { take(&state, incoming) }
        });
        let server = Bound::bind(loopback()).await?.serve(app);
        Ok(Receiver { state, server })
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr())
    }

    /// Answer `HEAD` requests with this status from now on.
    pub fn answer_head_with(&self, status: u16) {
        self.state.head_status.store(status, Ordering::SeqCst);
    }

    /// Answer every other request with this status from now on.
    pub fn answer_with(&self, status: u16) {
        self.state.status.store(status, Ordering::SeqCst);
    }

    /// Every request so far, in the order they arrived.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.state.got).clone()
    }

    /// The `POST`s so far.
    pub fn posts(&self) -> Vec<Received> {
        let mut posts = self.received();
        posts.retain(|r| r.method == "POST");
        posts
    }

    /// Wait until at least `n` `POST`s have arrived, or `patience` has passed; returns the
    /// `POST`s there are then.
    pub async fn wait_for_posts(&self, n: usize, patience: Duration) -> Vec<Received> {
        let waiting = async {
            loop {
                let arrived = self.state.arrived.notified();
                if self.posts().len() >= n {
                    return;
                }
                arrived.await;
            }
        };
        let _ = tokio::time::timeout(patience, waiting).await;
        self.posts()
    }
}

fn take(state: &State, incoming: Incoming) -> Response {
    let is_head = incoming.method == axum::http::Method::HEAD;
    let secret = incoming.headers.get("x-hook-secret").cloned();
    lock(&state.got).push(Received {
        method: incoming.method.to_string(),
        path: incoming
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: incoming.headers,
        body: String::from_utf8_lossy(&incoming.body).into_owned(),
    });
    state.arrived.notify_waiters();
    let set = if is_head {
        state.head_status.load(Ordering::SeqCst)
    } else {
        state.status.load(Ordering::SeqCst)
    };
    let status = StatusCode::from_u16(set).unwrap_or(StatusCode::OK);
    let mut response = status.into_response();
    if let Some(secret) = secret {
        response
            .headers_mut()
            .insert("x-hook-secret", secret.clone());
    }
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("text/plain"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn records_and_answers_as_told() {
        let r = Receiver::start().await.unwrap();
        r.answer_with(410);
        let client = reqwest::Client::new();
        let head = client.head(r.url("/hook")).send().await.unwrap();
        assert_eq!(head.status(), 200);
        let post = client
            .post(r.url("/hook?x=1"))
            .header("x-hook-secret", "s3")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), 410);
        assert_eq!(post.headers()["x-hook-secret"], "s3");
        let posts = r.wait_for_posts(1, Duration::from_secs(5)).await;
        assert_eq!(posts.len(), 1);
        assert_eq!(
            (posts[0].path.as_str(), posts[0].body.as_str()),
            ("/hook?x=1", "{}")
        );
        assert_eq!(r.received().len(), 2);
    }
}
