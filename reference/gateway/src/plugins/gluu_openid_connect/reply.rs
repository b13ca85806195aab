//! The plugin's answers to the client: the gateway's [`PluginResponse`] (Kong's JSON messages,
//! GG's `An unexpected error ocurred`, non-cached 302s) plus what only this plugin sends.

use http::header::{HeaderValue, CACHE_CONTROL, SET_COOKIE, WWW_AUTHENTICATE};
use http::StatusCode;

pub use crate::plugins::PluginResponse as Reply;

/// `Cache-Control` of every redirect and challenge the plugin sends.
pub const NO_CACHE: &str = "no-cache, no-store, max-age=0";

/// 401 with a `WWW-Authenticate` challenge and a message, never cached.
pub fn unauthorized(challenge: HeaderValue, message: &str) -> Reply {
    let mut reply = Reply::message(StatusCode::UNAUTHORIZED, message);
    reply.headers.insert(WWW_AUTHENTICATE, challenge);
    reply
        .headers
        .insert(CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
    reply
}

/// `reply` with a `Set-Cookie` header added.
pub fn with_cookie(mut reply: Reply, set_cookie: HeaderValue) -> Reply {
    reply.headers.append(SET_COOKIE, set_cookie);
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unauthorized_carries_the_challenge() {
        let r = unauthorized(HeaderValue::from_static("Bearer"), "Login required");
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers[WWW_AUTHENTICATE], "Bearer");
        assert_eq!(r.headers[CACHE_CONTROL], NO_CACHE);
        assert_eq!(r.body, r#"{"message":"Login required"}"#);
    }

    #[test]
    fn redirect_with_cookie() {
        let r = with_cookie(
            Reply::redirect("/x").unwrap(),
            HeaderValue::from_static("a=b"),
        );
        assert_eq!(r.status, StatusCode::FOUND);
        assert_eq!(r.headers[CACHE_CONTROL], NO_CACHE);
        assert_eq!(r.headers[SET_COOKIE], "a=b");
    }
}
