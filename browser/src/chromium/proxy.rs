//! The recording proxy in front of one Chromium session: Chromium sends every request through
//! it (`--proxy-server`, loopback included), and it forwards each one with reqwest, records the
//! exchange into the scenario's [`Recorder`] and keeps it for the session, which builds its
//! [`crate::Page`]s and redirect hops from what really went over the wire.
//!
//! Only plain-HTTP forwarding (absolute-form request targets) is offered: `CONNECT` (HTTPS
//! tunnelling) is refused with 405, so a page on an HTTPS origin fails visibly instead of
//! being fetched unrecorded.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::record::{Exchange, Pending, Record, Recorder};

/// Largest request body the proxy forwards (a form post or a script's upload).
const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;

/// Hop-by-hop headers (RFC 9110 §7.6.1) and the proxy's own, never forwarded. `accept-encoding`
/// is dropped too so that the recorded bodies are readable text.
const NOT_FORWARDED: &[&str] = &[
    "connection",
    "proxy-connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "accept-encoding",
];

/// An exchange as the session sees it: what Chromium fetched it for, and whether it belongs to
/// the navigation of the current action.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    /// `Sec-Fetch-Dest` of the request: `document` for a navigation, `empty` for a script's
    /// fetch, `image`, `style`... for a page's resources.
    pub dest: String,
    /// The exchange as recorded.
    pub exchange: Exchange,
}

#[derive(Debug)]
struct Shared {
    client: reqwest::Client,
    recorder: Option<Recorder>,
    seen: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    /// The navigation id document and fetch requests are recorded under (0: none).
    navigation: AtomicU64,
    changed: tokio::sync::Notify,
}

/// A running proxy; stops when dropped.
#[derive(Debug)]
pub(crate) struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Listens on an ephemeral loopback port; every forwarded request is bounded by `timeout`.
    pub async fn start(recorder: Option<Recorder>, timeout: Duration) -> std::io::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(std::io::Error::other)?;
        let shared = Arc::new(Shared {
            client,
            recorder,
            seen: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            navigation: AtomicU64::new(0),
            changed: tokio::sync::Notify::new(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, shared, task })
    }

    /// The `--proxy-server` value.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// Document and fetch requests from now on are recorded under `navigation`.
    pub fn set_navigation(&self, navigation: u64) {
        self.shared.navigation.store(navigation, Ordering::Relaxed);
    }

    /// How many exchanges the session has seen.
    pub fn seen_len(&self) -> usize {
        self.shared
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// The exchanges seen since `start` (a [`Proxy::seen_len`]).
    pub fn seen_since(&self, start: usize) -> Vec<Seen> {
        let seen = self.shared.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.get(start..).map(<[Seen]>::to_vec).unwrap_or_default()
    }

    /// Requests forwarded but not answered yet.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::Acquire)
    }

    /// Waits until an exchange starts or ends, or `at_most` passes.
    pub async fn changed(&self, at_most: Duration) {
        let _ = tokio::time::timeout(at_most, self.shared.changed.notified()).await;
    }
}

fn forwarded(headers: &HeaderMap) -> reqwest::header::HeaderMap {
    let mut out = reqwest::header::HeaderMap::new();
    for (name, value) in headers {
        if !NOT_FORWARDED.contains(&name.as_str()) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

fn text(status: StatusCode, message: String) -> Response {
    (
        status,
        [("content-type", "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

struct InFlight<'a>(&'a Shared);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.changed.notify_waiters();
    }
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    shared.in_flight.fetch_add(1, Ordering::AcqRel);
    shared.changed.notify_waiters();
    let _guard = InFlight(&shared);
    let (parts, body) = request.into_parts();
    if parts.method == axum::http::Method::CONNECT {
        return text(
            StatusCode::METHOD_NOT_ALLOWED,
            "the recording proxy forwards plain HTTP only".into(),
        );
    }
    if parts.uri.scheme().is_none() || parts.uri.authority().is_none() {
        return text(
            StatusCode::BAD_REQUEST,
            format!("{} is not a proxy request (no scheme and host)", parts.uri),
        );
    }
    let bytes = match axum::body::to_bytes(body, MAX_REQUEST_BODY).await {
        Ok(b) => b,
        Err(e) => {
            return text(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body not read: {e}"),
            )
        }
    };
    let dest = parts
        .headers
        .get("sec-fetch-dest")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let navigation = match (dest.as_str(), shared.navigation.load(Ordering::Relaxed)) {
        (_, 0) => None,
        ("document" | "empty" | "iframe", n) => Some(n),
        _ => None,
    };
    let request = match shared
        .client
        .request(parts.method.clone(), parts.uri.to_string())
        .headers(forwarded(&parts.headers))
        .body(bytes)
        .build()
    {
        Ok(r) => r,
        Err(e) => return text(StatusCode::BAD_REQUEST, format!("{}: {e}", parts.uri)),
    };
    let pending = Pending::start("chromium", navigation, &request, Vec::new());
    let result = async {
        let response = shared.client.execute(request).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await?;
        Ok::<_, reqwest::Error>((status, headers, body))
    }
    .await;
    let (exchange, response) = match result {
        Ok((status, headers, body)) => {
            let exchange = pending.finish(status.as_u16(), &headers, &body);
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = status;
            for (name, value) in &headers {
                if !NOT_FORWARDED.contains(&name.as_str()) {
                    response
                        .headers_mut()
                        .append(HeaderName::from(name), value.clone());
                }
            }
            (exchange, response)
        }
        Err(e) => {
            let message = format!("{} {}: {e}", parts.method, parts.uri);
            (pending.fail(&e), text(StatusCode::BAD_GATEWAY, message))
        }
    };
    if let Some(recorder) = &shared.recorder {
        recorder.push(Record::Exchange(exchange.clone()));
    }
    shared
        .seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(Seen { dest, exchange });
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn upstream() -> SocketAddr {
        let app = axum::Router::new().fallback(|request: Request| async move {
            let hop = request.headers().contains_key("proxy-connection");
            let body = axum::body::to_bytes(request.into_body(), 1024)
                .await
                .unwrap_or_default();
            (
                [("x-saw-proxy-connection", if hop { "yes" } else { "no" })],
                format!("got {}", String::from_utf8_lossy(&body)),
            )
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    }

    fn through(proxy: &Proxy) -> reqwest::Client {
        reqwest::Client::builder()
            .proxy(reqwest::Proxy::http(format!("http://{}", proxy.address())).unwrap())
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn forwards_records_and_tags_navigations_without_hop_by_hop_headers() {
        let site = upstream().await;
        let recorder = Recorder::default();
        let proxy = Proxy::start(Some(recorder.clone()), Duration::from_secs(5))
            .await
            .unwrap();
        proxy.set_navigation(7);
        let client = through(&proxy);
        let response = client
            .post(format!("http://{site}/login"))
            .header("sec-fetch-dest", "document")
            .header("proxy-connection", "keep-alive")
            .body("user=admin")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-saw-proxy-connection"], "no");
        assert_eq!(response.text().await.unwrap(), "got user=admin");
        // A page's image is recorded too, outside the navigation.
        client
            .get(format!("http://{site}/logo.png"))
            .header("sec-fetch-dest", "image")
            .send()
            .await
            .unwrap();
        let seen = proxy.seen_since(0);
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].dest, "document");
        assert_eq!(seen[0].exchange.navigation, Some(7));
        assert_eq!(seen[0].exchange.source, "chromium");
        assert_eq!(seen[0].exchange.request_body.as_deref(), Some("user=admin"));
        assert_eq!(
            seen[0].exchange.response_body.as_deref(),
            Some("got user=admin")
        );
        assert_eq!(seen[1].exchange.navigation, None, "not a navigation");
        assert_eq!(
            recorder.drain().len(),
            2,
            "the scenario's recorder has both"
        );
        assert_eq!(proxy.in_flight(), 0);
        assert_eq!(proxy.seen_since(1).len(), 1);
        assert!(proxy.seen_since(5).is_empty());
    }

    #[tokio::test]
    async fn an_unreachable_site_is_a_recorded_502_and_a_direct_request_is_400() {
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let proxy = Proxy::start(None, Duration::from_secs(5)).await.unwrap();
        let response = through(&proxy)
            .get(format!("http://{closed}/"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 502);
        let seen = proxy.seen_since(0);
        assert!(seen[0].exchange.error.is_some(), "{:?}", seen[0]);
        // Not a proxy request: no scheme and host in the request target.
        let direct = reqwest::get(format!("http://{}/page", proxy.address()))
            .await
            .unwrap();
        assert_eq!(direct.status(), 400);
        assert!(direct.text().await.unwrap().contains("not a proxy request"));
    }
}
