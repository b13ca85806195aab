//! The Kong Admin API client: every change the GUI makes is one of these HTTP calls, so the GUI
//! works against a real Kong as well as gatecheck's gateway.

use serde_json::Value;
use url::Url;

/// Pages followed at most when listing a collection (1,000 entities each).
const MAX_PAGES: usize = 100;

/// Why an Admin API call failed, as the user is told.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KongError {
    /// The Admin API answered with an error (Kong's `{code, name, message, fields}`).
    #[error("the Kong Admin API refused {call}: {status} {message}")]
    Refused {
        /// `POST /services` and the like.
        call: String,
        /// HTTP status.
        status: u16,
        /// Kong's `message` (or the body).
        message: String,
        /// Kong's `fields` object, field name → message (nested for `config`).
        fields: Value,
    },
    /// The Admin API could not be reached, timed out, or answered something that is not JSON.
    #[error("the Kong Admin API did not answer {call}: {reason}")]
    Unreachable {
        /// The call.
        call: String,
        /// What went wrong.
        reason: String,
    },
}

impl KongError {
    /// Kong's per-field messages (empty object when none).
    pub fn fields(&self) -> &Value {
        static NONE: Value = Value::Null;
        match self {
            KongError::Refused { fields, .. } => fields,
            KongError::Unreachable { .. } => &NONE,
        }
    }

    /// Whether Kong said the entity does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, KongError::Refused { status: 404, .. })
    }
}

/// A client of one Admin API.
#[derive(Debug, Clone)]
pub struct Kong {
    http: reqwest::Client,
    base: Url,
}

/// Everything but RFC 3986's unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment (an id or name typed by a user).
pub fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

impl Kong {
    /// A client of the Admin API at `base`.
    pub fn new(http: reqwest::Client, base: Url) -> Self {
        Self { http, base }
    }

    /// The Admin API's base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, KongError> {
        let call = format!("{method} {path}");
        let url = crate::config::join(&self.base, path);
        let mut req = self.http.request(method, &url);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| KongError::Unreachable {
            call: call.clone(),
            reason: crate::views::error_chain(&e),
        })?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| KongError::Unreachable {
            call: call.clone(),
            reason: crate::views::error_chain(&e),
        })?;
        if status == 204 || bytes.is_empty() {
            return if (200..300).contains(&status) {
                Ok(Value::Null)
            } else {
                Err(KongError::Refused {
                    call,
                    status,
                    message: http::StatusCode::from_u16(status)
                        .ok()
                        .and_then(|s| s.canonical_reason())
                        .unwrap_or("")
                        .to_owned(),
                    fields: Value::Null,
                })
            };
        }
        let json: Result<Value, _> = serde_json::from_slice(&bytes);
        match (status, json) {
            (200..=299, Ok(v)) => Ok(v),
            (200..=299, Err(e)) => Err(KongError::Unreachable {
                call,
                reason: format!("the answer is not JSON ({e})"),
            }),
            (_, Ok(v)) => Err(KongError::Refused {
                call,
                status,
                message: v
                    .get("message")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string()),
                fields: v.get("fields").cloned().unwrap_or(Value::Null),
            }),
            (_, Err(_)) => Err(KongError::Refused {
                call,
                status,
                message: String::from_utf8_lossy(&bytes).chars().take(500).collect(),
                fields: Value::Null,
            }),
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Result<Value, KongError> {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// Every entity of a collection, following Kong's `next` pages.
    pub async fn list(&self, path: &str) -> Result<Vec<Value>, KongError> {
        let mut out = Vec::new();
        let mut next = Some(format!("{path}?size=1000"));
        for _ in 0..MAX_PAGES {
            let Some(page_path) = next.take() else { break };
            let page = self.get(&page_path).await?;
            if let Some(items) = page.get("data").and_then(Value::as_array) {
                out.extend(items.iter().cloned());
            }
            next = page
                .get("next")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                .map(|n| {
                    // Kong answers a path (or, behind some proxies, an absolute URL).
                    match Url::parse(n) {
                        Ok(u) => match u.query() {
                            Some(q) => format!("{}?{q}", u.path()),
                            None => u.path().to_owned(),
                        },
                        Err(_) => n.to_owned(),
                    }
                });
        }
        Ok(out)
    }

    /// `POST path` with a JSON body; the created entity.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, KongError> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// `PATCH path` with a JSON body; the updated entity.
    pub async fn patch(&self, path: &str, body: &Value) -> Result<Value, KongError> {
        self.call(reqwest::Method::PATCH, path, Some(body)).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Result<(), KongError> {
        self.call(reqwest::Method::DELETE, path, None)
            .await
            .map(|_| ())
    }
}
