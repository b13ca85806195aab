//! What the plugin sees of a request and what it decides, independent of the proxy's types.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue};
use http::Method;

use super::reply::Reply;
use super::store::{ReplayRecord, TokenRecord};

/// The request as the plugin judges it.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    /// Method as sent.
    pub method: &'a Method,
    /// Normalised path (percent-decoded, dot-segments resolved, no query): used for matching.
    pub path: &'a str,
    /// Path and query as received: the URL the user returns to after login.
    pub path_and_query: &'a str,
    /// Query string as received.
    pub query: Option<&'a str>,
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// `scheme://host[:port]` as the client addressed the gateway.
    pub origin: &'a str,
    /// Whether the client used https (the cookie is then `Secure`).
    pub secure: bool,
    /// The request body, as far as it has been read.
    pub body: BodyInput<'a>,
}

/// The request body as the plugin sees it: read only when a login must save it for replay.
#[derive(Debug, Clone, Copy)]
pub enum BodyInput<'a> {
    /// Not read yet: the plugin answers [`Outcome::NeedsBody`] if it needs it.
    NotRead,
    /// Buffered.
    Read(&'a Bytes),
    /// Could not be read (too large, broken stream): the login proceeds without replay.
    Unavailable,
}

/// The plugin's verdict.
#[derive(Debug)]
pub enum Outcome {
    /// Answer the client with this instead of proxying.
    Reply(Reply),
    /// Proxy without a user (post-logout page, `no_auth` path without a session).
    Anonymous,
    /// Proxy as this user.
    Authenticated(Box<Authenticated>),
    /// The request starts a login that saves it for replay: read the body and decide again with
    /// [`RequestView::body`] set. Nothing was changed in the session or the store.
    NeedsBody,
}

/// A request served with a stored ID token.
#[derive(Debug)]
pub struct Authenticated {
    /// The token and what came with it.
    pub record: Arc<TokenRecord>,
    /// The original request to replay upstream instead of this one's method/body, if any.
    pub replay: Option<Arc<ReplayRecord>>,
    /// A rewritten session cookie to send with the upstream's response.
    pub set_cookie: Option<HeaderValue>,
}

pub use crate::clock::{Clock, ManualClock, SystemClock};

/// Whether a browser says the request came from a page of `origin` (`scheme://host[:port]`):
/// `Sec-Fetch-Site` when sent (`same-origin`, or `none` for a user's own navigation), else
/// `Origin`. A request with neither (a non-browser client, an old browser) is not a cross-site
/// form post and counts as same-origin.
pub fn is_same_origin(headers: &HeaderMap, origin: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    match headers.get(http::header::ORIGIN) {
        Some(sent) => sent
            .to_str()
            .is_ok_and(|sent| sent.eq_ignore_ascii_case(origin)),
        None => true,
    }
}

#[cfg(test)]
mod same_origin_tests {
    use super::*;
    use http::HeaderValue;

    fn with(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn browsers_say_where_a_request_came_from() {
        let gw = "http://gw.example";
        assert!(is_same_origin(&with(&[]), gw));
        assert!(is_same_origin(
            &with(&[("sec-fetch-site", "same-origin")]),
            gw
        ));
        assert!(is_same_origin(&with(&[("sec-fetch-site", "none")]), gw));
        assert!(!is_same_origin(
            &with(&[("sec-fetch-site", "cross-site")]),
            gw
        ));
        assert!(!is_same_origin(
            &with(&[("sec-fetch-site", "same-site")]),
            gw
        ));
        assert!(is_same_origin(
            &with(&[("origin", "http://GW.example")]),
            gw
        ));
        assert!(!is_same_origin(
            &with(&[("origin", "https://evil.example")]),
            gw
        ));
        assert!(!is_same_origin(&with(&[("origin", "null")]), gw));
        // Sec-Fetch-Site wins: it cannot be set by page script.
        assert!(!is_same_origin(
            &with(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "http://gw.example")
            ]),
            gw
        ));
    }
}
