//! OAuth 2.0 parameters as Kong's `oauth2` plugin reads them (`retrieve_parameters`): the
//! query, merged with the body for `POST`/`PUT`/`PATCH` (form, JSON object), the body winning.

use http::header::CONTENT_TYPE;
use http::Method;
use serde_json::{Map, Value};

use crate::plugins::AccessRequest;

/// Largest body read for parameters; larger bodies are read as carrying none.
pub const MAX_BODY: usize = 64 * 1024;

/// The parameters of one request.
#[derive(Debug, Default)]
pub struct Params(Map<String, Value>);

/// The body's media type, if it is one parameters are read from.
pub fn body_kind(req: &AccessRequest) -> Option<BodyKind> {
    let ct = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())?
        .to_ascii_lowercase();
    if ct.starts_with("application/x-www-form-urlencoded") {
        Some(BodyKind::Form)
    } else if ct.starts_with("application/json") {
        Some(BodyKind::Json)
    } else {
        None
    }
}

/// A body media type carrying parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `application/json`.
    Json,
}

impl Params {
    /// Reads the request's parameters (buffering the body, which still goes upstream).
    pub async fn read(req: &mut AccessRequest) -> Params {
        let mut map = Map::new();
        if let Some(q) = req.query() {
            for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
                map.entry(k.into_owned())
                    .or_insert(Value::String(v.into_owned()));
            }
        }
        let with_body = [Method::POST, Method::PUT, Method::PATCH].contains(req.method());
        if let (true, Some(kind)) = (with_body, body_kind(req)) {
            if let Ok(bytes) = req.body_bytes(MAX_BODY).await {
                match kind {
                    BodyKind::Form => {
                        let mut seen = std::collections::HashSet::new();
                        for (k, v) in url::form_urlencoded::parse(&bytes) {
                            if seen.insert(k.to_string()) {
                                map.insert(k.into_owned(), Value::String(v.into_owned()));
                            }
                        }
                    }
                    BodyKind::Json => {
                        if let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&bytes) {
                            map.extend(body);
                        }
                    }
                }
            }
        }
        Params(map)
    }

    /// Parameters from a map (tests).
    pub fn from_map(map: Map<String, Value>) -> Params {
        Params(map)
    }

    /// A string parameter; `None` when absent or not a string.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// Whether the parameter was sent at all (any type).
    pub fn has(&self, name: &str) -> bool {
        self.0.get(name).is_some_and(|v| !v.is_null())
    }

    /// The raw value.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
}
