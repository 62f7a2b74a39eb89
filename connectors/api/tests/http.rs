//! The shared HTTP client against a tiny server on 127.0.0.1 that answers from a script.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use throughline_connector::ConnectorError;
use throughline_connector::http::{
    HttpClient, HttpConfig, Outcome, RetryPolicy, Secret, SendOptions,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the server answers one request.
#[derive(Clone)]
enum Answer {
    /// Status, extra header lines, body.
    Reply(u16, &'static str, String),
    /// Read the request and never answer.
    Hang,
    /// Answer 400 with the request as received (headers and all) as the body.
    Echo,
}

fn reply(status: u16, body: &str) -> Answer {
    Answer::Reply(status, "", body.to_owned())
}

struct Server {
    url: String,
    /// Every request as received (request line and headers).
    requests: Arc<Mutex<Vec<String>>>,
}

/// A server that answers the n-th connection with `script[n]` (the last answer repeats).
async fn serve(script: Vec<Answer>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&requests);
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let answer = script[n.min(script.len() - 1)].clone();
            n += 1;
            let seen = Arc::clone(&seen);
            tokio::spawn(async move { answer_one(stream, answer, seen).await });
        }
    });
    Server { url, requests }
}

async fn answer_one(mut stream: TcpStream, answer: Answer, seen: Arc<Mutex<Vec<String>>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let request = String::from_utf8_lossy(&buf).into_owned();
    seen.lock().unwrap().push(request.clone());
    let (status, headers, body) = match answer {
        Answer::Reply(status, headers, body) => (status, headers, body),
        Answer::Echo => (400, "", request),
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
    };
    let response = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn client() -> HttpClient {
    let mut config = HttpConfig::new("Trello");
    config.auth_hint = "Check TRELLO_TOKEN.".to_owned();
    config.connect_timeout = Duration::from_secs(5);
    config.request_timeout = Duration::from_secs(20);
    config.retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_elapsed: Duration::from_secs(30),
    };
    HttpClient::new(config).unwrap()
}

async fn get(client: &HttpClient, url: &str) -> Result<String, ConnectorError> {
    let url = url.to_owned();
    client
        .send("board Content", move |c| c.get(&url))
        .await
        .map(|r| r.text())
}

#[tokio::test]
async fn waits_out_a_429_with_retry_after_in_seconds_then_succeeds() {
    let server = serve(vec![
        Answer::Reply(429, "Retry-After: 1\r\n", "API_TOKEN_LIMIT_EXCEEDED".into()),
        reply(200, r#"{"id":"b1"}"#),
    ])
    .await;
    let client = client();
    let body = get(&client, &format!("{}/1/boards/b1", server.url))
        .await
        .unwrap();
    assert_eq!(body, r#"{"id":"b1"}"#);
    let counts = client.counts();
    assert_eq!(counts.get("GET", Outcome::Status(429)), 1);
    assert_eq!(counts.get("GET", Outcome::Status(200)), 1);
    assert_eq!(counts.total(), 2);
}

#[tokio::test]
async fn a_429_with_an_http_date_and_a_post_is_retried_too() {
    // A date in the past: wait nothing. A 429 means the tool did not act, so even a create is
    // safe to repeat.
    let server = serve(vec![
        Answer::Reply(
            429,
            "Retry-After: Thu, 01 Jan 2015 00:00:00 GMT\r\n",
            String::new(),
        ),
        reply(200, "{}"),
    ])
    .await;
    let client = client();
    let url = format!("{}/1/cards", server.url);
    client.send("new card", |c| c.post(&url)).await.unwrap();
    assert_eq!(client.counts().method("POST"), 2);
}

#[tokio::test]
async fn a_retry_after_beyond_the_time_budget_fails_as_rate_limited_at_once() {
    let server = serve(vec![Answer::Reply(
        429,
        "Retry-After: 3600\r\n",
        "slow down".into(),
    )])
    .await;
    let client = client();
    let err = get(&client, &format!("{}/1/boards/b1", server.url))
        .await
        .unwrap_err();
    match &err {
        ConnectorError::RateLimited {
            retry_after,
            message,
        } => {
            assert_eq!(*retry_after, Some(Duration::from_secs(3600)));
            assert!(
                message.contains("Trello answered 429 Too Many Requests"),
                "{message}"
            );
            assert!(message.contains("slow down"), "{message}");
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(client.counts().total(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_until_success() {
    let server = serve(vec![
        reply(500, "oops"),
        reply(502, "bad gateway"),
        reply(200, "fine"),
    ])
    .await;
    let client = client();
    assert_eq!(
        get(&client, &format!("{}/x", server.url)).await.unwrap(),
        "fine"
    );
    let counts = client.counts();
    assert_eq!(counts.get("GET", Outcome::Status(500)), 1);
    assert_eq!(counts.get("GET", Outcome::Status(502)), 1);
    assert_eq!(counts.get("GET", Outcome::Status(200)), 1);
}

#[tokio::test]
async fn attempts_are_capped_and_the_last_error_is_retryable() {
    let server = serve(vec![reply(500, r#"{"message":"internal"}"#)]).await;
    let client = client();
    let err = get(&client, &format!("{}/x", server.url))
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(
        err.to_string().contains("500 Internal Server Error"),
        "{err}"
    );
    assert!(err.to_string().contains("internal"), "{err}");
    assert_eq!(client.counts().get("GET", Outcome::Status(500)), 4);
    assert_eq!(server.requests.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn a_create_that_may_have_happened_is_not_repeated() {
    let server = serve(vec![reply(500, "oops"), reply(200, "{}")]).await;
    let client = client();
    let url = format!("{}/1/cards", server.url);
    let err = client.send("new card", |c| c.post(&url)).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Retryable { .. }), "{err:?}");
    assert_eq!(
        client.counts().total(),
        1,
        "a POST after a 500 must not be sent again"
    );

    // Unless the connector says it is idempotent.
    let server = serve(vec![reply(500, "oops"), reply(200, "{}")]).await;
    let url = format!("{}/v4/spreadsheets/s:batchUpdate", server.url);
    let options = SendOptions {
        idempotent: Some(true),
        ..SendOptions::default()
    };
    client
        .send_with(&options, "values", |c| c.post(&url))
        .await
        .unwrap();
    assert_eq!(client.counts().method("POST"), 3);

    // And a 503 means the tool did not act.
    let server = serve(vec![reply(503, "busy"), reply(200, "{}")]).await;
    let url = format!("{}/1/cards", server.url);
    client.send("new card", |c| c.post(&url)).await.unwrap();
    assert_eq!(client.counts().get("POST", Outcome::Status(503)), 1);
}

#[tokio::test]
async fn a_request_that_times_out_is_retried_then_reported() {
    let server = serve(vec![Answer::Hang]).await;
    let mut config = client().config().clone();
    config.request_timeout = Duration::from_millis(300);
    config.retry.max_attempts = 2;
    let client = HttpClient::new(config).unwrap();
    let err = get(&client, &format!("{}/slow", server.url))
        .await
        .unwrap_err();
    match &err {
        ConnectorError::Retryable { message } => {
            assert!(message.contains("Trello did not answer GET"), "{message}");
            assert!(message.contains("board Content"), "{message}");
        }
        other => panic!("expected Retryable, got {other:?}"),
    }
    assert_eq!(client.counts().get("GET", Outcome::Timeout), 2);
}

#[tokio::test]
async fn a_refused_connection_is_retryable_even_for_a_create() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/1/cards", listener.local_addr().unwrap());
    drop(listener);
    let client = client();
    let err = client.send("new card", |c| c.post(&url)).await.unwrap_err();
    assert!(err.to_string().contains("could not reach Trello"), "{err}");
    assert_eq!(
        client.counts().get("POST", Outcome::Failed),
        4,
        "never sent, so safe to repeat"
    );
}

#[tokio::test]
async fn final_failures_map_to_connector_errors() {
    fn kind(e: &ConnectorError) -> &'static str {
        match e {
            ConnectorError::Retryable { .. } => "retryable",
            ConnectorError::RateLimited { .. } => "rate limited",
            ConnectorError::Auth { .. } => "auth",
            ConnectorError::NotFound { .. } => "not found",
            ConnectorError::VersionMismatch { .. } => "version mismatch",
            ConnectorError::Invalid { .. } => "invalid",
            ConnectorError::Fatal { .. } => "fatal",
        }
    }
    let cases = [
        (401, "auth"),
        (403, "auth"),
        (404, "not found"),
        (409, "version mismatch"),
        (412, "version mismatch"),
        (400, "invalid"),
        (422, "invalid"),
        (503, "retryable"),
    ];
    for (status, expected) in cases {
        let server = serve(vec![reply(status, "because")]).await;
        let client = client();
        let err = get(&client, &format!("{}/1/cards/c9", server.url))
            .await
            .unwrap_err();
        assert_eq!(kind(&err), expected, "{status} gave {err:?}");
        assert!(err.to_string().contains("because"), "{status}: {err}");
        let retried = status == 503;
        assert_eq!(
            client.counts().total(),
            if retried { 4 } else { 1 },
            "{status}"
        );
    }
}

#[tokio::test]
async fn a_401_says_what_to_do() {
    let server = serve(vec![reply(401, "invalid token")]).await;
    let client = client();
    let err = get(&client, &format!("{}/1/members/me", server.url))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ConnectorError::Auth {
            message: format!(
                "Trello answered 401 Unauthorized to GET {}/1/members/me: invalid token. Check \
                 TRELLO_TOKEN.",
                server.url
            )
        }
    );
}

/// A `tracing` subscriber that writes every event, at every level, into a buffer.
fn capture_logs() -> (Arc<Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    #[derive(Clone)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let logs = Arc::new(Mutex::new(Vec::new()));
    let writer = Buffer(Arc::clone(&logs));
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}

#[tokio::test]
async fn secrets_stay_out_of_errors_and_logs() {
    let (logs, _guard) = capture_logs();
    let key = Secret::new("0123456789abcdefKEY");
    let token = Secret::new("ATTAtokenvalue42");
    let server = serve(vec![
        reply(500, "retry me"),
        // The tool repeats the token in its message, with no `token=` before it.
        reply(401, "token ATTAtokenvalue42 is expired"),
    ])
    .await;
    let client = client().with_secret(&key).with_secret(&token);
    let url = format!(
        "{}/1/boards/b1?key={}&token={}",
        server.url,
        key.expose(),
        token.expose()
    );
    let err = get(&client, &url).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    assert!(
        message.contains("key=[redacted]&token=[redacted]"),
        "{message}"
    );
    assert!(message.contains("token [redacted] is expired"), "{message}");

    // A header the server echoes back, and a token the client was never told about.
    let server = serve(vec![Answer::Echo]).await;
    let url = format!("{}/1/cards?token=unregisteredTOKEN9", server.url);
    let err = client
        .send("card c1", |c| {
            c.get(&url).header("Authorization", "Bearer sekritBEARER77")
        })
        .await
        .unwrap_err();
    let echoed = err.to_string();
    assert!(echoed.contains("[redacted]"), "{echoed}");
    let request = server.requests.lock().unwrap()[0].clone();
    assert!(
        request.contains("sekritBEARER77"),
        "the server did get the header: {request}"
    );

    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("retrying"), "the retry was logged: {logs}");
    assert!(logs.contains("[redacted]"), "{logs}");
    for secret in [
        "0123456789abcdefKEY",
        "ATTAtokenvalue42",
        "unregisteredTOKEN9",
        "sekritBEARER77",
    ] {
        assert!(
            !message.contains(secret) && !echoed.contains(secret),
            "{secret} in an error"
        );
        assert!(!logs.contains(secret), "{secret} in the logs:\n{logs}");
    }
}

#[tokio::test]
async fn clients_on_one_account_share_a_limiter_and_counts_follow_clones() {
    use throughline_connector::http::{LimiterRegistry, RateQuota, account_key};
    let registry = LimiterRegistry::new();
    let token = Secret::new("shared-token");
    // A quota whose burst is 1 and whose next slot is an hour away.
    let quota = RateQuota::new(2, Duration::from_secs(7200)).unwrap();
    let limiter = registry.limiter(&account_key("trello", "token", &token), quota);
    let server = serve(vec![reply(200, "ok")]).await;
    let first = client().with_limiter(Arc::clone(&limiter));
    let second =
        client().with_limiter(registry.limiter(&account_key("trello", "token", &token), quota));
    get(&first, &format!("{}/a", server.url)).await.unwrap();
    // The first client spent the shared budget: the second must wait for the next slot.
    let waiting = tokio::time::timeout(
        Duration::from_millis(200),
        get(&second, &format!("{}/b", server.url)),
    )
    .await;
    assert!(
        waiting.is_err(),
        "the second client did not wait for the shared limiter"
    );
    assert_eq!(server.requests.lock().unwrap().len(), 1);

    let clone = first.clone();
    assert_eq!(clone.counts(), first.counts());
    assert_eq!(first.counts().get("GET", Outcome::Status(200)), 1);
}

#[test]
fn sending_can_happen_inside_a_connector_future() {
    // `#[async_trait]` connectors need `Send` futures.
    fn assert_send<T: Send>(_: T) {}
    let client = client();
    assert_send(client.send("x", |c| c.get("http://127.0.0.1:9/")));
}
