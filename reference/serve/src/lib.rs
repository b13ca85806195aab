//! Serving an axum router on an already-bound [`TcpListener`] until told to stop: the one piece
//! of plumbing every gatecheck server (OP, oxd, gateway, upstreams) shares.
//!
//! Servers take a listener rather than an address so that tests and the harness bind port 0 and
//! learn the port before anything is served. Requests carry [`axum::extract::ConnectInfo`] with
//! the client's socket address.
#![warn(missing_docs)]

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A router being served. [`Server::shutdown`] stops it gracefully; dropping it aborts it.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `router` on `listener` in a background task; `name` labels its log lines.
    ///
    /// Fails only when the listener has no local address.
    pub fn spawn(
        listener: TcpListener,
        router: Router,
        name: &'static str,
    ) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, service)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(err) = served {
                tracing::error!(server = name, %err, "server stopped");
            }
        });
        Ok(Server {
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and waits for in-flight requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::ConnectInfo;
    use axum::routing::get;

    async fn server() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let router = Router::new().route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
        );
        Server::spawn(listener, router, "test").unwrap()
    }

    #[tokio::test]
    async fn serves_with_the_peer_address_until_shut_down() {
        let server = server().await;
        let url = format!("{}/peer", server.url());
        assert_eq!(
            reqwest::get(&url).await.unwrap().text().await.unwrap(),
            "127.0.0.1"
        );
        let addr = server.addr();
        server.shutdown().await;
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "nothing listens after shutdown"
        );
    }

    #[tokio::test]
    async fn dropping_the_server_stops_it() {
        let server = server().await;
        let addr = server.addr();
        drop(server);
        // The aborted task releases the listener once the runtime has run the abort.
        tokio::task::yield_now().await;
        let mut refused = false;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                refused = true;
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(refused, "the listener is closed after drop");
    }
}
