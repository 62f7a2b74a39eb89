//! Serving an emulator's router on 127.0.0.1.

use std::net::SocketAddr;

use axum::Router;
use axum::body::{Body, Bytes};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// 127.0.0.1 on a free port: where tests start emulators.
pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// A listener bound and not serving yet: its address is known, so an emulator can build the
/// URLs it answers with before it serves.
pub struct Bound {
    listener: TcpListener,
    addr: SocketAddr,
}

impl Bound {
    /// Bind `addr` (port 0: a free one) without serving yet.
    pub async fn bind(addr: SocketAddr) -> std::io::Result<Bound> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        Ok(Bound { listener, addr })
    }

    /// The address bound, with its real port.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serve `app` on a task of its own until the [`Serving`] is dropped.
    pub fn serve(self, app: Router) -> Serving {
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(self.listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Serving {
            addr: self.addr,
            stop: Some(stop),
        }
    }
}

/// A running server. Dropping it stops accepting connections.
pub struct Serving {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl Serving {
    /// The address it serves on, with its real port.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A body that sends `first` and then breaks off: the client sees the connection drop in the
/// middle of the answer (a lost reply).
pub fn broken_body(first: &'static [u8]) -> Body {
    let pieces: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from_static(first)),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection dropped by a fault rule",
        )),
    ];
    Body::from_stream(futures_util::stream::iter(pieces))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;

    #[tokio::test]
    async fn serves_until_dropped() {
        let bound = Bound::bind(loopback()).await.unwrap();
        let url = format!("http://{}/", bound.addr());
        let serving = bound.serve(Router::new().route("/", get(|| async { "up" })));
        let text = reqwest::get(&url).await.unwrap().text().await.unwrap();
        assert_eq!(text, "up");
        drop(serving);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(reqwest::get(&url).await.is_err());
    }

    #[tokio::test]
    async fn a_broken_body_fails_the_read() {
        let app = Router::new().route(
            "/",
            get(|| async { axum::response::Response::new(broken_body(b"{\"id\":")) }),
        );
        let bound = Bound::bind(loopback()).await.unwrap();
        let url = format!("http://{}/", bound.addr());
        let _serving = bound.serve(app);
        let read = async { reqwest::get(&url).await?.text().await };
        assert!(read.await.is_err(), "the read of a broken answer fails");
    }
}
