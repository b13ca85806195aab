//! Keep-alive connections to the services, one pool per upstream authority and connect
//! timeout, over hyper's HTTP/1.1 client connections.
//!
//! Kong keeps an upstream keep-alive pool per upstream host (`upstream_keepalive_pool_size`,
//! 512 connections; `upstream_keepalive_idle_timeout`, 60 s:
//! <https://docs.konghq.com/gateway/latest/reference/configuration/#upstream_keepalive_pool_size>);
//! this is that pool. It exists instead of `hyper_util`'s generic pooled client because the
//! proxy already knows, once per configuration snapshot, which pool a route's service uses:
//! the generic client looked its pool up per request by hashing the URI's scheme and authority
//! (SipHash, byte by byte, twice a request), kept every idle connection behind one map and
//! spawned a task per request to put the connection back. Here a request pops a connection off
//! its pool's stack and its response body pushes it back when it ends.
//!
//! A connection that the service closed while it sat idle is noticed when it is taken (it is
//! closed, or not ready) and the next one is used; a request that could not be written on a
//! reused connection (hyper hands it back unsent) goes to the next idle connection or, when
//! none is left, a new one: it never reached the service. Each retry discards a dead
//! connection, so there are at most as many as the pool held idle (512).

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::header::HOST;
use http::{HeaderValue, Request, Response, Uri};
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::time::Instant;
use tower::Service;

/// How many idle connections a pool keeps (Kong's `upstream_keepalive_pool_size` default).
pub const MAX_IDLE: usize = 512;

/// How long an idle connection is kept (Kong's `upstream_keepalive_idle_timeout` default).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Why an upstream request failed.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No connection could be opened (refused, unresolvable, connect timeout).
    #[error("cannot connect to the upstream: {0}")]
    Connect(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The HTTP/1.1 handshake on a new connection failed.
    #[error("upstream handshake failed: {0}")]
    Handshake(#[source] hyper::Error),
    /// The exchange failed once the request was on its way.
    #[error("upstream request failed: {0}")]
    Request(#[source] hyper::Error),
}

/// The keep-alive connections to one service authority.
pub struct HostPool {
    /// `http://host:port`, what the connector resolves and connects to.
    target: Uri,
    /// The `Host` sent when a request has none (an HTTP/1.0 client's, `preserve_host`).
    host: Option<HeaderValue>,
    connector: HttpConnector,
    /// Idle connections, the most recently used at the back (taken first: it is the one most
    /// likely still open); the oldest at the front (expired first).
    idle: Mutex<VecDeque<Idle>>,
}

impl std::fmt::Debug for HostPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostPool")
            .field("target", &self.target)
            .field("idle", &self.idle_count())
            .finish_non_exhaustive()
    }
}

struct Idle {
    sender: SendRequest<Body>,
    since: Instant,
}

impl HostPool {
    /// A pool for `authority` (`host:port`), opening connections within `connect_timeout`.
    /// `None` when `authority` is not a valid URI authority.
    pub fn new(authority: &str, connect_timeout: Duration) -> Option<HostPool> {
        let target: Uri = format!("http://{authority}").parse().ok()?;
        let host = HeaderValue::from_str(authority).ok();
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(connect_timeout));
        connector.set_nodelay(true);
        Some(HostPool {
            target,
            host,
            connector,
            idle: Mutex::new(VecDeque::new()),
        })
    }

    /// How many idle connections the pool holds.
    pub fn idle_count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Idle>> {
        // The critical sections only push and pop: a panic cannot leave the deque half-changed.
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends `req` (origin-form URI) on an idle connection, or a new one, and answers the
    /// response; its body returns the connection to the pool when it has been read to the end.
    pub async fn send(
        self: &Arc<Self>,
        mut req: Request<Body>,
    ) -> Result<Response<PooledBody>, UpstreamError> {
        if !req.headers().contains_key(HOST) {
            if let Some(host) = &self.host {
                req.headers_mut().insert(HOST, host.clone());
            }
        }
        while let Some(mut sender) = self.take_idle() {
            if sender.ready().await.is_err() {
                continue;
            }
            match sender.try_send_request(req).await {
                Ok(response) => return Ok(self.pooled(response, sender)),
                Err(mut failed) => match failed.take_message() {
                    // Never written: the service had closed the connection. Another one.
                    Some(unsent) => req = unsent,
                    None => return Err(UpstreamError::Request(failed.into_error())),
                },
            }
        }
        let mut sender = self.connect().await?;
        match sender.send_request(req).await {
            Ok(response) => Ok(self.pooled(response, sender)),
            Err(e) => Err(UpstreamError::Request(e)),
        }
    }

    /// The most recently used idle connection that is still open and not past the idle timeout.
    fn take_idle(&self) -> Option<SendRequest<Body>> {
        let mut idle = self.lock();
        while let Some(entry) = idle.pop_back() {
            if !entry.sender.is_closed() && entry.since.elapsed() < IDLE_TIMEOUT {
                return Some(entry.sender);
            }
        }
        None
    }

    async fn connect(&self) -> Result<SendRequest<Body>, UpstreamError> {
        let mut connector = self.connector.clone();
        let stream = connector
            .call(self.target.clone())
            .await
            .map_err(|e| UpstreamError::Connect(e.into()))?;
        let (sender, connection) = http1::Builder::new()
            .handshake(stream)
            .await
            .map_err(UpstreamError::Handshake)?;
        let target = self.target.clone();
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%target, %err, "upstream connection ended with an error");
            }
        });
        Ok(sender)
    }

    fn pooled(
        self: &Arc<Self>,
        response: Response<Incoming>,
        sender: SendRequest<Body>,
    ) -> Response<PooledBody> {
        response.map(|body| {
            let mut pooled = PooledBody {
                inner: body,
                giveback: Some((self.clone(), sender)),
            };
            // A body that is already complete (no body, `Content-Length: 0`, a HEAD answer)
            // frees its connection now.
            if pooled.inner.is_end_stream() {
                pooled.give_back();
            }
            pooled
        })
    }

    fn put(&self, sender: SendRequest<Body>) {
        if sender.is_closed() {
            return;
        }
        let now = Instant::now();
        let mut idle = self.lock();
        while idle
            .front()
            .is_some_and(|oldest| now.duration_since(oldest.since) >= IDLE_TIMEOUT)
        {
            idle.pop_front();
        }
        if idle.len() >= MAX_IDLE {
            return;
        }
        idle.push_back(Idle { sender, since: now });
    }
}

/// A response body from a pooled connection: the connection goes back to its pool once the
/// body has been read to its end. A body dropped before its end closes the connection (what
/// is left of the answer would be read as the next one's).
pub struct PooledBody {
    inner: Incoming,
    giveback: Option<(Arc<HostPool>, SendRequest<Body>)>,
}

impl PooledBody {
    fn give_back(&mut self) {
        if let Some((pool, sender)) = self.giveback.take() {
            pool.put(sender);
        }
    }
}

impl std::fmt::Debug for PooledBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PooledBody")
            .field("pooled", &self.giveback.is_some())
            .finish_non_exhaustive()
    }
}

impl HttpBody for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let frame = Pin::new(&mut this.inner).poll_frame(cx);
        match &frame {
            Poll::Ready(None) => this.give_back(),
            Poll::Ready(Some(Ok(_))) if this.inner.is_end_stream() => this.give_back(),
            // A broken body leaves the connection in an unknown state: it is not reused.
            Poll::Ready(Some(Err(_))) => this.giveback = None,
            _ => {}
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A keep-alive service answering `hello` that counts the connections it accepted.
    async fn service() -> (gatecheck_serve::Server, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        let connect = move |_peer| {
            counted.fetch_add(1, Ordering::SeqCst);
            |_req: Request<Incoming>| async { Response::new(Body::from("hello")) }
        };
        let server = gatecheck_serve::Server::spawn_handler(listener, connect, "test").unwrap();
        (server, connections)
    }

    fn pool_for(addr: std::net::SocketAddr) -> Arc<HostPool> {
        Arc::new(HostPool::new(&addr.to_string(), Duration::from_secs(2)).unwrap())
    }

    fn get() -> Request<Body> {
        Request::builder().uri("/x").body(Body::empty()).unwrap()
    }

    async fn read(pool: &Arc<HostPool>) -> Bytes {
        let response = pool.send(get()).await.unwrap();
        response.into_body().collect().await.unwrap().to_bytes()
    }

    #[tokio::test]
    async fn a_connection_whose_answer_was_read_serves_the_next_request() {
        let (server, connections) = service().await;
        let pool = pool_for(server.addr());
        for _ in 0..3 {
            assert_eq!(read(&pool).await, "hello");
        }
        assert_eq!(
            connections.load(Ordering::SeqCst),
            1,
            "one connection for three requests"
        );
        assert_eq!(pool.idle_count(), 1);
    }

    #[tokio::test]
    async fn a_body_dropped_before_its_end_does_not_come_back() {
        let (server, connections) = service().await;
        let pool = pool_for(server.addr());
        // The answer's bytes may already be buffered, but nobody read it to its end: what is
        // left of it must never be read as the next answer.
        drop(pool.send(get()).await.unwrap());
        assert_eq!(pool.idle_count(), 0);
        assert_eq!(read(&pool).await, "hello");
        assert_eq!(connections.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn requests_at_once_each_get_a_connection_and_all_come_back() {
        let (server, connections) = service().await;
        let pool = pool_for(server.addr());
        let (a, b) = tokio::join!(pool.send(get()), pool.send(get()));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(connections.load(Ordering::SeqCst), 2);
        a.into_body().collect().await.unwrap();
        b.into_body().collect().await.unwrap();
        assert_eq!(pool.idle_count(), 2);
    }

    #[tokio::test]
    async fn a_connection_the_service_closed_while_idle_is_replaced() {
        // Answers one request per connection, keep-alive in its headers, then hangs up: the
        // pooled connection is dead by the time the next request takes it.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counted = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut tcp, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 1024];
                let _ = tcp.read(&mut buf).await;
                let _ = tcp
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await;
                drop(tcp);
            }
        });
        let pool = pool_for(addr);
        assert_eq!(read(&pool).await, "ok");
        // Wait until the client side has seen the hang-up or not: either way the next request
        // must succeed on a fresh connection.
        assert_eq!(read(&pool).await, "ok");
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn nothing_listening_is_a_connect_error() {
        let addr = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let pool = pool_for(addr);
        let err = pool.send(get()).await.unwrap_err();
        assert!(matches!(err, UpstreamError::Connect(_)), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn idle_connections_expire_after_the_idle_timeout() {
        let (server, connections) = service().await;
        let pool = pool_for(server.addr());
        assert_eq!(read(&pool).await, "hello");
        tokio::time::advance(IDLE_TIMEOUT).await;
        assert_eq!(read(&pool).await, "hello");
        assert_eq!(
            connections.load(Ordering::SeqCst),
            2,
            "the connection idle for 60 s was not reused"
        );
        assert_eq!(pool.idle_count(), 1, "and it left the pool");
    }

    #[test]
    fn an_authority_that_is_not_one_makes_no_pool() {
        assert!(HostPool::new("bad host:80", Duration::from_secs(1)).is_none());
        assert!(HostPool::new("upstream.internal:8080", Duration::from_secs(1)).is_some());
    }
}
