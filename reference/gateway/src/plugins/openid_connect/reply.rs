//! The plugin's answers to the client (spec §1.4, §14).

use bytes::Bytes;
use http::header::{
    HeaderMap, HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE,
};
use http::StatusCode;

use super::session::append_set_cookie;

/// GG's (misspelled, kept) body of the 502 for oxd failures.
pub const UNEXPECTED_ERROR: &str = "An unexpected error ocurred";

/// `Cache-Control` of every redirect the plugin sends.
pub const NO_CACHE: &str = "no-cache, no-store, max-age=0";

/// A response produced by the plugin instead of the upstream's.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Reply {
    /// A status without body.
    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// Kong's `{"message": ...}` JSON body.
    pub fn message(status: StatusCode, message: &str) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        let body = serde_json::json!({ "message": message }).to_string();
        Self {
            status,
            headers,
            body: Bytes::from(body),
        }
    }

    /// 502 `An unexpected error ocurred`.
    pub fn unexpected() -> Self {
        Self::message(StatusCode::BAD_GATEWAY, UNEXPECTED_ERROR)
    }

    /// 302 to `location`, never cached. `None` if the location is not a valid header value.
    pub fn redirect(location: &str) -> Option<Self> {
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, HeaderValue::from_str(location).ok()?);
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
        Some(Self {
            status: StatusCode::FOUND,
            headers,
            body: Bytes::new(),
        })
    }

    /// 401 with a `WWW-Authenticate` challenge and a message.
    pub fn unauthorized(challenge: HeaderValue, message: &str) -> Self {
        let mut reply = Self::message(StatusCode::UNAUTHORIZED, message);
        reply.headers.insert(WWW_AUTHENTICATE, challenge);
        reply
            .headers
            .insert(CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
        reply
    }

    /// Adds a `Set-Cookie` header.
    pub fn with_cookie(mut self, set_cookie: Option<HeaderValue>) -> Self {
        if let Some(value) = set_cookie {
            append_set_cookie(&mut self.headers, value);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_body_is_kong_json() {
        let r = Reply::message(StatusCode::BAD_REQUEST, "missed code or state argument(s)");
        assert_eq!(r.body, r#"{"message":"missed code or state argument(s)"}"#);
        assert_eq!(r.headers[CONTENT_TYPE], "application/json; charset=utf-8");
    }

    #[test]
    fn unexpected_keeps_gg_spelling() {
        let r = Reply::unexpected();
        assert_eq!(r.status, StatusCode::BAD_GATEWAY);
        assert_eq!(r.body, r#"{"message":"An unexpected error ocurred"}"#);
    }

    #[test]
    fn redirect_is_not_cached() {
        let r = Reply::redirect("https://op/authorize?a=1").unwrap();
        assert_eq!(r.status, StatusCode::FOUND);
        assert_eq!(r.headers[LOCATION], "https://op/authorize?a=1");
        assert_eq!(r.headers[CACHE_CONTROL], NO_CACHE);
        assert!(Reply::redirect("bad\nvalue").is_none());
    }
}
