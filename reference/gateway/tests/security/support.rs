//! What the plugin chain judged and what the upstream received, recorded per request so a test
//! can compare them: a plugin that runs after every real one and records the request it lets
//! through, and an upstream that records every request it gets.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use futures::future::BoxFuture;
use gatecheck_gateway::entities::PluginEntity;
use gatecheck_gateway::plugins::{AccessRequest, Flow, Plugin};
use gatecheck_gateway::store::PluginRecord;
use http::{HeaderMap, Method, Uri};
use serde_json::json;

use crate::common::listener;

/// Header a test puts on each request to pair the two records.
pub const CASE: &str = "x-case";

/// One request as seen by the chain (decoded, normalised path) or the upstream (raw path).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seen {
    pub case: String,
    pub method: String,
    pub path: String,
    pub body: Vec<u8>,
    /// Header names of the request (upstream: also trailer names, prefixed `trailer:`).
    pub headers: Vec<String>,
}

/// A shared, append-only record.
#[derive(Debug, Default, Clone)]
pub struct Log(Arc<Mutex<Vec<Seen>>>);

impl Log {
    fn push(&self, seen: Seen) {
        self.0.lock().unwrap().push(seen);
    }

    /// Everything recorded so far, sorted (requests of concurrent cases interleave).
    pub fn sorted(&self) -> Vec<Seen> {
        let mut all = self.0.lock().unwrap().clone();
        all.sort();
        all
    }

    /// The records of one case.
    pub fn of(&self, case: &str) -> Vec<Seen> {
        let all = self.0.lock().unwrap();
        all.iter().filter(|s| s.case == case).cloned().collect()
    }

    /// Every record by case, for checking many cases at once.
    pub fn by_case(&self) -> std::collections::HashMap<String, Vec<Seen>> {
        let mut out: std::collections::HashMap<String, Vec<Seen>> = Default::default();
        for seen in self.0.lock().unwrap().iter() {
            out.entry(seen.case.clone()).or_default().push(seen.clone());
        }
        out
    }
}

fn case_of(headers: &HeaderMap) -> String {
    headers
        .get(CASE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

fn names(headers: &HeaderMap) -> Vec<String> {
    let mut names: Vec<String> = headers.keys().map(|k| k.as_str().to_owned()).collect();
    names.sort();
    names.dedup();
    names
}

#[derive(Debug)]
struct Recorder {
    log: Log,
}

impl Plugin for Recorder {
    fn name(&self) -> &'static str {
        "test-recorder"
    }

    /// Below every Gluu plugin: it sees the request only if they all let it through.
    fn priority(&self) -> i32 {
        -1_000
    }

    fn access<'a>(&'a self, req: &'a mut AccessRequest) -> BoxFuture<'a, Flow> {
        Box::pin(async move {
            // A body that cannot be read is refused by the proxy, so never forwarded.
            if let Ok(body) = req.body_bytes(1 << 20).await {
                self.log.push(Seen {
                    case: case_of(req.headers()),
                    method: req.method().to_string(),
                    path: req.path().to_owned(),
                    body: body.to_vec(),
                    headers: names(req.headers()),
                });
            }
            Flow::Continue
        })
    }
}

/// Installs the recorder as a global plugin of the running gateway.
pub async fn record_judged(gw: &gatecheck_gateway::Handle) -> Log {
    let log = Log::default();
    let mut state = gw.gateway().read(|s| s.clone()).await;
    state.plugins.push(PluginRecord {
        entity: PluginEntity {
            id: uuid::Uuid::new_v4(),
            name: "test-recorder".into(),
            instance_name: None,
            config: json!({}),
            service: None,
            route: None,
            consumer: None,
            protocols: vec!["http".into(), "https".into()],
            enabled: true,
            tags: None,
            created_at: 0,
            updated_at: 0,
        },
        instance: Arc::new(Recorder { log: log.clone() }),
    });
    gw.gateway().replace(state).await;
    log
}

/// An upstream recording every request it receives (the raw request path, the body, header
/// and trailer names); it answers 200 `{"path": ...}`.
pub async fn recording_upstream() -> (SocketAddr, Log) {
    let log = Log::default();
    let seen = log.clone();
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: axum::body::Body| {
            let seen = seen.clone();
            async move {
                let collected = http_body_util::BodyExt::collect(body).await;
                let (bytes, trailers) = match collected {
                    Ok(c) => {
                        let trailers = c.trailers().cloned();
                        (c.to_bytes(), trailers)
                    }
                    Err(_) => (Bytes::new(), None),
                };
                let mut header_names = names(&headers);
                if let Some(t) = trailers {
                    header_names.extend(names(&t).into_iter().map(|n| format!("trailer:{n}")));
                }
                seen.push(Seen {
                    case: case_of(&headers),
                    method: method.to_string(),
                    path: uri.path().to_owned(),
                    body: bytes.to_vec(),
                    headers: header_names,
                });
                axum::Json(json!({ "path": uri.path() }))
            }
        },
    );
    let listener = listener().await;
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, log)
}
