//! The certification RP's own web server (loopback, ephemeral port): where the OP sends the
//! browser back. It records every request it receives (a `query` or `form_post` authorization
//! response, a post-logout redirect, a front-channel logout iframe, a back-channel logout POST)
//! and answers a plain page, so that the browser's navigation ends there as it would at a real
//! relying party. A back-channel logout POST (`/backchannel_logout`) is answered 200 with
//! `Cache-Control: no-store`, as the suite's RP answers (Back-Channel Logout 1.0 §2.8).
//! [`CallbackServer::wait_for`] waits for a request an OP sends on its own (no polling).

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method};
use axum::response::Html;

/// Where the RP receives back-channel logout tokens (the suite's path).
pub const BACKCHANNEL_LOGOUT_PATH: &str = "/backchannel_logout";

/// One request the RP received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Path and query as requested.
    pub uri: String,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body as sent.
    pub body: String,
}

impl Received {
    /// The `application/x-www-form-urlencoded` fields of the body.
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }
}

/// What the server keeps: every request, and the documents it serves by path (a request object
/// for `request_uri`, a `sector_identifier_uri` document, a JWK set).
#[derive(Debug, Default)]
struct Shared {
    log: Vec<Received>,
    documents: Vec<(String, &'static str, String)>,
}

type Log = Arc<Mutex<Shared>>;

/// The running callback server; stops when dropped.
#[derive(Debug)]
pub struct CallbackServer {
    base: String,
    log: Log,
    arrived: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl CallbackServer {
    /// Binds `127.0.0.1:0` and serves every path.
    pub async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let log: Log = Arc::default();
        let arrived = Arc::new(tokio::sync::Notify::new());
        let app = axum::Router::new()
            .fallback(record)
            .with_state((log.clone(), arrived.clone()));
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!("the certification RP's callback server stopped: {e}");
            }
        });
        Ok(Self {
            base,
            log,
            arrived,
            task,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// How many requests arrived so far (a mark to look for newer ones from).
    pub fn count(&self) -> usize {
        self.lock().log.len()
    }

    /// The requests received since `mark`.
    pub fn since(&self, mark: usize) -> Vec<Received> {
        self.lock()
            .log
            .get(mark..)
            .map(<[_]>::to_vec)
            .unwrap_or_default()
    }

    /// The first request since `mark` that `matches`, waiting for it up to `timeout` (for
    /// requests the OP makes on its own, e.g. a back-channel logout an OP may send after
    /// answering the browser).
    pub async fn wait_for(
        &self,
        mark: usize,
        timeout: std::time::Duration,
        matches: impl Fn(&Received) -> bool,
    ) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Registered before looking, so an arrival between the look and the wait wakes it.
            let arrived = self.arrived.notified();
            if let Some(r) = self.since(mark).into_iter().find(|r| matches(r)) {
                return Some(r);
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return None;
            }
        }
    }

    /// Serves `body` as `content_type` at `path` from now on; returns its URL.
    pub fn serve(&self, path: &str, content_type: &'static str, body: String) -> String {
        let mut shared = self.lock();
        shared.documents.retain(|(p, _, _)| p != path);
        shared.documents.push((path.to_owned(), content_type, body));
        format!("{}{path}", self.base)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        // Pushing one record cannot leave the vector half-written.
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for CallbackServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(
    State((log, arrived)): State<(Log, Arc<tokio::sync::Notify>)>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let received = Received {
        method: method.to_string(),
        uri: uri.to_string(),
        content_type: headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let mut shared = log.lock().unwrap_or_else(|p| p.into_inner());
    shared.log.push(received);
    let served = shared
        .documents
        .iter()
        .find(|(path, _, _)| *path == uri.path())
        .map(|(_, ct, body)| (*ct, body.clone()));
    drop(shared);
    arrived.notify_waiters();
    match served {
        Some((content_type, body)) if method == Method::GET => {
            ([(axum::http::header::CONTENT_TYPE, content_type)], body).into_response()
        }
        _ if method == Method::POST && uri.path() == BACKCHANNEL_LOGOUT_PATH => (
            [(axum::http::header::CACHE_CONTROL, "no-store")],
            axum::http::StatusCode::OK,
        )
            .into_response(),
        _ => {
            Html("<!doctype html><title>RP</title><h1>The relying party received the response</h1>")
                .into_response()
        }
    }
}
