//! The browser half of a desktop OAuth sign-in: serve the loopback redirect address until the
//! browser comes back with a sign-in code, and show the person a short page saying how it went.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Who the person is signing in to, for the messages.
#[derive(Debug, Clone, Copy)]
pub struct Redirect<'a> {
    /// Where the redirect comes back, e.g. `/callback`; other paths get "Not here."
    pub path: &'a str,
    /// The tool, as people name it: `Asana`, `Google`.
    pub tool: &'a str,
    /// The command that starts signing in again: `throughline auth asana`.
    pub command: &'a str,
    /// The page shown when signing in worked.
    pub signed_in: &'a str,
}

/// Why no sign-in code came back; each says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoopbackError {
    /// The redirect did not arrive, or came from another attempt, or without a code.
    #[error("{0}")]
    Redirect(String),
    /// The person (or the tool) did not allow access.
    #[error("{0}")]
    Refused(String),
}

/// Serve the loopback address until the browser comes back with a code for this `state`.
pub async fn wait_for_code(
    listener: &TcpListener,
    state: &str,
    redirect: &Redirect<'_>,
) -> Result<String, LoopbackError> {
    let Redirect { tool, command, .. } = *redirect;
    loop {
        let (mut stream, _) = listener.accept().await.map_err(|e| {
            LoopbackError::Redirect(format!("the sign-in redirect could not be received: {e}"))
        })?;
        let mut buf = vec![0u8; 8192];
        let mut len = 0;
        while len < buf.len() {
            let n = stream.read(&mut buf[len..]).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            len += n;
            if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        let head = String::from_utf8_lossy(&buf[..len]);
        let target = head
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("");
        let Some(query) = target.strip_prefix(redirect.path) else {
            // A browser asking for /favicon.ico, or a stray visitor.
            let _ = respond(&mut stream, 404, "Not here.").await;
            continue;
        };
        let query = query.trim_start_matches('?');
        let params: Vec<(String, String)> = reqwest::Url::parse(&format!("http://x/?{query}"))
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if get("state").as_deref() != Some(state) {
            let _ = respond(&mut stream, 400, "This sign-in link is stale; start again.").await;
            return Err(LoopbackError::Redirect(format!(
                "the browser came back from another sign-in attempt (the state did not match); \
                 run `{command}` again"
            )));
        }
        if let Some(error) = get("error") {
            let _ = respond(&mut stream, 400, "Signing in was cancelled.").await;
            return Err(LoopbackError::Refused(format!(
                "{tool} did not allow access ({error}); run `{command}` again and choose \"Allow\""
            )));
        }
        let Some(code) = get("code") else {
            let _ = respond(&mut stream, 400, "No sign-in code came back.").await;
            return Err(LoopbackError::Redirect(format!(
                "{tool} sent the browser back without a sign-in code; run `{command}` again"
            )));
        };
        let _ = respond(&mut stream, 200, redirect.signed_in).await;
        return Ok(code);
    }
}

async fn respond(stream: &mut TcpStream, status: u16, text: &str) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let body =
        format!("<!doctype html><meta charset=\"utf-8\"><title>throughline</title><p>{text}</p>");
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASANA: Redirect<'static> = Redirect {
        path: "/callback",
        tool: "Asana",
        command: "throughline auth asana",
        signed_in: "Signed in.",
    };

    /// Send one request line as a browser would; the page's status line comes back.
    async fn visit(addr: std::net::SocketAddr, target: &str) -> String {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request = format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut page = String::new();
        stream.read_to_string(&mut page).await.unwrap();
        page.lines().next().unwrap_or("").to_owned()
    }

    async fn run(targets: &[&str]) -> (Result<String, LoopbackError>, Vec<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let targets: Vec<String> = targets.iter().map(|t| (*t).to_owned()).collect();
        let browser = tokio::spawn(async move {
            let mut pages = Vec::new();
            for t in targets {
                pages.push(visit(addr, &t).await);
            }
            pages
        });
        let result = wait_for_code(&listener, "s1", &ASANA).await;
        (result, browser.await.unwrap())
    }

    #[tokio::test]
    async fn other_paths_are_turned_away_until_the_code_comes_back() {
        let (code, pages) = run(&["/favicon.ico", "/callback?state=s1&code=c%2F7"]).await;
        assert_eq!(code, Ok("c/7".to_owned()));
        assert_eq!(pages, ["HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK"]);
    }

    #[tokio::test]
    async fn a_stale_state_a_refusal_and_a_missing_code_say_what_to_do() {
        let (stale, pages) = run(&["/callback?state=old&code=c"]).await;
        assert_eq!(
            stale,
            Err(LoopbackError::Redirect(
                "the browser came back from another sign-in attempt (the state did not match); \
                 run `throughline auth asana` again"
                    .to_owned()
            ))
        );
        assert_eq!(pages, ["HTTP/1.1 400 Bad Request"]);
        let (refused, _) = run(&["/callback?state=s1&error=access_denied"]).await;
        assert_eq!(
            refused,
            Err(LoopbackError::Refused(
                "Asana did not allow access (access_denied); run `throughline auth asana` again \
                 and choose \"Allow\""
                    .to_owned()
            ))
        );
        let (no_code, _) = run(&["/callback?state=s1"]).await;
        assert_eq!(
            no_code,
            Err(LoopbackError::Redirect(
                "Asana sent the browser back without a sign-in code; run `throughline auth \
                 asana` again"
                    .to_owned()
            ))
        );
    }
}
