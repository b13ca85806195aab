//! Responses a plugin sends instead of proxying (`docs/gluu-gateway.md#error-responses`,
//! `docs/gluu-gateway.md#status-and-message-catalogue`).

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use http::StatusCode;

/// GG's (misspelled, kept: `docs/differences.md#misspelled-502-body-kept`) body of the 502 for
/// oxd/OP failures.
pub const UNEXPECTED_ERROR: &str = "An unexpected error ocurred";

/// Kong's JSON content type for `kong.response.exit` bodies.
pub const JSON_UTF8: &str = "application/json; charset=utf-8";

/// A response produced by a plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginResponse {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl PluginResponse {
    /// A status without body.
    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// Kong's `{"message": ...}` body with `application/json; charset=utf-8`.
    pub fn message(status: StatusCode, message: &str) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
        let body = serde_json::json!({ "message": message }).to_string();
        Self {
            status,
            headers,
            body: Bytes::from(body),
        }
    }

    /// 502 `{"message":"An unexpected error ocurred"}`.
    pub fn unexpected() -> Self {
        Self::message(StatusCode::BAD_GATEWAY, UNEXPECTED_ERROR)
    }

    /// 302 to `location` with `Cache-Control: no-cache, no-store, max-age=0`; `None` when the
    /// location is not a valid header value.
    pub fn redirect(location: &str) -> Option<Self> {
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, HeaderValue::from_str(location).ok()?);
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("no-cache, no-store, max-age=0"),
        );
        Some(Self {
            status: StatusCode::FOUND,
            headers,
            body: Bytes::new(),
        })
    }
}

impl IntoResponse for PluginResponse {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body).into_response();
        // `(status, Bytes)` sets `application/octet-stream`; the plugin's headers decide.
        response.headers_mut().remove(CONTENT_TYPE);
        for (name, value) in &self.headers {
            response.headers_mut().append(name.clone(), value.clone());
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_is_kong_json() {
        let r = PluginResponse::message(StatusCode::UNAUTHORIZED, "Unknown consumer");
        assert_eq!(r.body, r#"{"message":"Unknown consumer"}"#);
        assert_eq!(r.headers[CONTENT_TYPE], JSON_UTF8);
        assert_eq!(
            PluginResponse::unexpected().body,
            r#"{"message":"An unexpected error ocurred"}"#
        );
    }

    #[test]
    fn redirect_rejects_bad_location() {
        assert!(PluginResponse::redirect("a\nb").is_none());
        let r = PluginResponse::redirect("https://op/x").unwrap();
        assert_eq!(r.status, StatusCode::FOUND);
        assert_eq!(r.headers[LOCATION], "https://op/x");
    }
}
