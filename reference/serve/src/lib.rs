//! Serving an axum router on an already-bound [`TcpListener`] until told to stop: the one piece
//! of plumbing every gatecheck server (OP, oxd, gateway, upstreams) shares.
//!
//! Servers take a listener rather than an address so that tests and the harness bind port 0 and
//! learn the port before anything is served. Requests carry [`axum::extract::ConnectInfo`] with
//! the client's socket address. [`Server::spawn_tls`] serves the same way over TLS (rustls);
//! its requests also carry [`Tls`].
#![warn(missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

/// Marks a request received over TLS (in its extensions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tls;

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A router being served. [`Server::shutdown`] stops it gracefully; dropping it aborts it.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    scheme: &'static str,
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
            scheme: "http",
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// Serves `router` over TLS with `config` (HTTP/2 or HTTP/1.1 as the client's ALPN asks);
    /// requests carry [`ConnectInfo`] and [`Tls`]. A handshake must finish within 10 s. On
    /// shutdown open connections may finish their requests.
    pub fn spawn_tls(
        listener: TcpListener,
        router: Router,
        config: Arc<tokio_rustls::rustls::ServerConfig>,
        name: &'static str,
    ) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let (tx, mut rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    _ = &mut rx => break,
                    accepted = listener.accept() => match accepted {
                        Ok((tcp, peer)) => {
                            connections.spawn(serve_tls(acceptor.clone(), tcp, peer, router.clone()));
                        }
                        Err(err) => tracing::warn!(server = name, %err, "accept failed"),
                    },
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
            drop(listener);
            let drain = async { while connections.join_next().await.is_some() {} };
            if tokio::time::timeout(Duration::from_secs(5), drain)
                .await
                .is_err()
            {
                tracing::warn!(server = name, "connections still open after shutdown");
            }
        });
        Ok(Server {
            addr,
            scheme: "https",
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, `http://ADDR` (`https://ADDR` for a TLS server).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
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

async fn serve_tls(
    acceptor: tokio_rustls::TlsAcceptor,
    tcp: TcpStream,
    peer: SocketAddr,
    router: Router,
) {
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(err)) => {
            tracing::debug!(%peer, %err, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            return;
        }
    };
    let service =
        hyper::service::service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req.extensions_mut().insert(Tls);
            router.clone().oneshot(req.map(Body::new))
        });
    let served = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .serve_connection_with_upgrades(TokioIo::new(tls), service)
        .await;
    if let Err(err) = served {
        tracing::debug!(%peer, %err, "TLS connection ended with an error");
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
