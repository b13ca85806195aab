//! Serving an axum router, or a single request handler, on an already-bound [`TcpListener`]
//! until told to stop: the one piece of plumbing every gatecheck server (OP, oxd, gateway,
//! upstreams) shares.
//!
//! Servers take a listener rather than an address so that tests and the harness bind port 0 and
//! learn the port before anything is served. Router requests carry
//! [`axum::extract::ConnectInfo`] with the client's socket address. [`Server::spawn_tls`] serves
//! the same way over TLS (rustls); its requests also carry [`Tls`]. [`Server::spawn_handler`]
//! hands each request to one function with its [`Peer`], for the gateway's proxy path, where
//! routing and middleware would be per-request work for nothing.
#![warn(missing_docs)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

/// Marks a request received over TLS (in its extensions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tls;

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the accept loop waits after a failed accept (out of descriptors, say).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Where a request came from, as a [`Server::spawn_handler`] handler receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// The client's socket address.
    pub addr: SocketAddr,
    /// Whether the connection is TLS.
    pub tls: bool,
}

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
        let connect = move |peer: Peer| {
            let router = router.clone();
            move |mut req: http::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer.addr));
                req.extensions_mut().insert(Tls);
                let router = router.clone();
                async move {
                    match router.oneshot(req.map(Body::new)).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    }
                }
            }
        };
        Self::spawn_handler_tls(listener, connect, config, name)
    }

    /// Serves a plain hyper service on `listener`: `connect` is called once per connection with
    /// its [`Peer`] and returns that connection's request handler, and each request goes
    /// straight to it, without a router, middleware stack or extensions in between. For a
    /// server whose every request takes the same path (the gateway's proxy), that is the
    /// per-request work axum's routing and `ConnectInfo` would add, and what depends only on
    /// the connection is worked out once for all its requests. HTTP/1.1 and HTTP/2 (prior
    /// knowledge) are both served.
    pub fn spawn_handler<C, H, F>(
        listener: TcpListener,
        connect: C,
        name: &'static str,
    ) -> std::io::Result<Self>
    where
        C: Fn(Peer) -> H + Send + Sync + 'static,
        H: Fn(http::Request<Incoming>) -> F + Send + 'static,
        F: Future<Output = http::Response<Body>> + Send + 'static,
    {
        Self::accepting(listener, connect, None, name)
    }

    /// [`Server::spawn_handler`] over TLS with `config`; the [`Peer`] has `tls` set. A
    /// handshake must finish within 10 s.
    pub fn spawn_handler_tls<C, H, F>(
        listener: TcpListener,
        connect: C,
        config: Arc<tokio_rustls::rustls::ServerConfig>,
        name: &'static str,
    ) -> std::io::Result<Self>
    where
        C: Fn(Peer) -> H + Send + Sync + 'static,
        H: Fn(http::Request<Incoming>) -> F + Send + 'static,
        F: Future<Output = http::Response<Body>> + Send + 'static,
    {
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        Self::accepting(listener, connect, Some(acceptor), name)
    }

    /// The accept loop behind the handler servers. On shutdown it stops accepting, lets each
    /// connection finish the request it is serving and closes idle keep-alive connections
    /// (hyper's graceful shutdown), giving them 5 s; dropping the server aborts them all.
    fn accepting<C, H, F>(
        listener: TcpListener,
        connect: C,
        tls: Option<tokio_rustls::TlsAcceptor>,
        name: &'static str,
    ) -> std::io::Result<Self>
    where
        C: Fn(Peer) -> H + Send + Sync + 'static,
        H: Fn(http::Request<Incoming>) -> F + Send + 'static,
        F: Future<Output = http::Response<Body>> + Send + 'static,
    {
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let (tx, mut rx) = oneshot::channel::<()>();
        let connect = Arc::new(connect);
        let task = tokio::spawn(async move {
            let graceful = GracefulShutdown::new();
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    _ = &mut rx => break,
                    accepted = listener.accept() => match accepted {
                        Ok((tcp, addr)) => {
                            let watcher = graceful.watcher();
                            let connect = connect.clone();
                            let tls = tls.clone();
                            connections.spawn(async move {
                                match tls {
                                    None => serve_plain(tcp, addr, &*connect, watcher).await,
                                    Some(acceptor) => {
                                        serve_tls_handler(acceptor, tcp, addr, &*connect, watcher).await
                                    }
                                }
                            });
                        }
                        Err(err) => {
                            // Out of descriptors and the like: back off instead of spinning.
                            tracing::warn!(server = name, %err, "accept failed");
                            tokio::time::sleep(ACCEPT_BACKOFF).await;
                        }
                    },
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
            drop(listener);
            if tokio::time::timeout(Duration::from_secs(5), graceful.shutdown())
                .await
                .is_err()
            {
                tracing::warn!(server = name, "connections still open after shutdown");
            }
        });
        Ok(Server {
            addr,
            scheme,
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

async fn serve_plain<C, H, F>(tcp: TcpStream, addr: SocketAddr, connect: &C, watcher: Watcher)
where
    C: Fn(Peer) -> H,
    H: Fn(http::Request<Incoming>) -> F + Send + 'static,
    F: Future<Output = http::Response<Body>> + Send + 'static,
{
    // Answers go out as soon as they are written, not after Nagle's delay.
    let _ = tcp.set_nodelay(true);
    let peer = Peer { addr, tls: false };
    serve_connection(TokioIo::new(tcp), peer, connect(peer), watcher).await;
}

async fn serve_tls_handler<C, H, F>(
    acceptor: tokio_rustls::TlsAcceptor,
    tcp: TcpStream,
    addr: SocketAddr,
    connect: &C,
    watcher: Watcher,
) where
    C: Fn(Peer) -> H,
    H: Fn(http::Request<Incoming>) -> F + Send + 'static,
    F: Future<Output = http::Response<Body>> + Send + 'static,
{
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(err)) => {
            tracing::debug!(peer = %addr, %err, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(peer = %addr, "TLS handshake timed out");
            return;
        }
    };
    let peer = Peer { addr, tls: true };
    serve_connection(TokioIo::new(tls), peer, connect(peer), watcher).await;
}

async fn serve_connection<I, H, F>(io: I, peer: Peer, handler: H, watcher: Watcher)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    H: Fn(http::Request<Incoming>) -> F + Send + 'static,
    F: Future<Output = http::Response<Body>> + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let answer = handler(req);
        async move { Ok::<_, Infallible>(answer.await) }
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection_with_upgrades(io, service);
    if let Err(err) = watcher.watch(connection).await {
        tracing::debug!(peer = %peer.addr, %err, "connection ended with an error");
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

    /// A handler server whose connections count how often `connect` ran and answer with the
    /// peer and the connection's request number.
    async fn handler_server() -> (Server, Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        let connect = move |peer: Peer| {
            counted.fetch_add(1, Ordering::SeqCst);
            let requests = Arc::new(AtomicUsize::new(0));
            move |_req: http::Request<Incoming>| {
                let n = requests.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    http::Response::new(Body::from(format!("{} {} {n}", peer.addr.ip(), peer.tls)))
                }
            }
        };
        (
            Server::spawn_handler(listener, connect, "test").unwrap(),
            connections,
        )
    }

    async fn text(client: &reqwest::Client, url: &str) -> String {
        client.get(url).send().await.unwrap().text().await.unwrap()
    }

    #[tokio::test]
    async fn a_handler_is_made_once_per_connection_and_serves_its_requests() {
        let (server, connections) = handler_server().await;
        let client = reqwest::Client::new();
        for n in 1..=3 {
            let body = text(&client, &server.url()).await;
            assert_eq!(
                body,
                format!("127.0.0.1 false {n}"),
                "one keep-alive connection"
            );
        }
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
        let other = reqwest::Client::new();
        let body = text(&other, &server.url()).await;
        assert_eq!(body, "127.0.0.1 false 1", "a new connection, a new handler");
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn shutting_down_a_handler_server_closes_idle_keep_alive_connections() {
        let (server, _) = handler_server().await;
        let client = reqwest::Client::new();
        client
            .get(server.url())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let addr = server.addr();
        // The idle keep-alive connection must not hold the shutdown for its 5 s allowance.
        tokio::time::timeout(Duration::from_secs(4), server.shutdown())
            .await
            .expect("graceful shutdown closes idle connections at once");
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
        assert!(
            client.get(format!("http://{addr}")).send().await.is_err(),
            "the kept-alive connection is closed too"
        );
    }
}
