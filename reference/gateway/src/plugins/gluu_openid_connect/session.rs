//! The session cookie `gluu_openid_connect_session`.
//!
//! The cookie is sealed with the `cookie` crate's private jar (AES-256-GCM: encrypted and
//! authenticated, the cookie name bound as associated data) under a key derived from the gateway's
//! session secret, so every gateway instance configured with the same secret opens it. A cookie
//! that fails to open, does not parse, or is past its expiry is treated as no session.
//!
//! Only the small, decision-relevant state travels in the cookie (a summary per ID token and the
//! pending login); ID tokens, access tokens, userinfo and replayed bodies are kept server-side
//! under random keys listed in the cookie (see `store`). The cookie therefore stays around 1 KB
//! with several tokens, far below the 4 KB browser limit.

use cookie::{Cookie, CookieJar, Key, SameSite};
use http::header::{HeaderMap, HeaderValue, COOKIE};
use serde::{Deserialize, Serialize};

use super::decide::Prompt;
use super::tokens::TokenSummary;

/// Name of the session cookie (GG's).
pub const COOKIE_NAME: &str = "gluu_openid_connect_session";

/// Session lifetime in seconds (GG: lua-resty-session's 3600 s), renewed whenever it is rewritten.
pub const SESSION_LIFETIME: i64 = 3600;

/// At most this many token summaries are kept; the oldest go first.
pub const MAX_TOKENS: usize = 8;

/// Everything the cookie carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    /// Unix time after which the cookie is ignored.
    #[serde(rename = "x")]
    pub expires_at: i64,
    /// Stored ID tokens, oldest first.
    #[serde(rename = "t", default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<TokenSummary>,
    /// A login in progress.
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingLogin>,
    /// A saved request to replay when the browser comes back to its URL after login.
    #[serde(rename = "b", default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<PendingReplay>,
}

/// A request saved server-side before login, replayed once after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingReplay {
    /// Key of the server-side record.
    #[serde(rename = "k")]
    pub key: String,
    /// Path and query it was sent to: only a request for this URL replays it.
    #[serde(rename = "u")]
    pub url: String,
}

/// A redirect to the OP awaiting its answer at the callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogin {
    /// Path and query of the request that triggered the login.
    #[serde(rename = "u")]
    pub original_url: String,
    /// `acr_values` sent (empty = none).
    #[serde(rename = "r", default, skip_serializing_if = "Vec::is_empty")]
    pub requested_acrs: Vec<String>,
    /// `prompt` sent.
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<Prompt>,
    /// `state` of the authorization URL: the callback must carry exactly this value.
    #[serde(rename = "s")]
    pub state: String,
    /// `nonce` of the authorization URL: the ID token must carry exactly this value.
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Key of the server-side copy of the original request to replay, if one was saved.
    #[serde(rename = "b", default, skip_serializing_if = "Option::is_none")]
    pub replay_key: Option<String>,
    /// The login only recovers a token whose record is held by another gateway instance: the
    /// new token is added beside it instead of superseding it.
    #[serde(rename = "v", default, skip_serializing_if = "std::ops::Not::not")]
    pub recovery: bool,
}

impl SessionState {
    /// A fresh, empty session.
    pub fn new(now: i64) -> Self {
        Self {
            expires_at: now.saturating_add(SESSION_LIFETIME),
            tokens: Vec::new(),
            pending: None,
            replay: None,
        }
    }

    /// Whether the session holds no tokens and no pending login.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty() && self.pending.is_none()
    }

    /// Adds a token; unless `keep_same_acr`, an older token with the same `acr` is superseded
    /// (the new one was issued later for the same authentication method). The list is capped at
    /// [`MAX_TOKENS`]. Returns the keys of the summaries that were removed.
    pub fn add_token(&mut self, token: TokenSummary, keep_same_acr: bool) -> Vec<String> {
        let mut removed = Vec::new();
        self.tokens.retain(|t| {
            let keep = keep_same_acr || t.acr != token.acr;
            if !keep {
                removed.push(t.key.clone());
            }
            keep
        });
        self.tokens.push(token);
        while self.tokens.len() > MAX_TOKENS {
            removed.push(self.tokens.remove(0).key);
        }
        removed
    }
}

/// Seals and opens the session cookie.
#[derive(Clone)]
pub struct SessionCodec {
    key: Key,
}

impl std::fmt::Debug for SessionCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionCodec { .. }")
    }
}

impl SessionCodec {
    /// A codec sealing with `key`.
    pub fn new(key: Key) -> Self {
        Self { key }
    }

    /// Reads the session from the request's `Cookie` headers; `None` when absent, tampered with,
    /// sealed with another key, malformed or expired.
    pub fn read(&self, headers: &HeaderMap, now: i64) -> Option<SessionState> {
        let raw = request_cookie_values(headers).find(|c| c.name() == COOKIE_NAME)?;
        let mut jar = CookieJar::new();
        jar.add_original(raw.into_owned());
        let opened = jar.private(&self.key).get(COOKIE_NAME)?;
        let state: SessionState = serde_json::from_str(opened.value()).ok()?;
        (state.expires_at > now).then_some(state)
    }

    /// The `Set-Cookie` value storing `state` (renewed for [`SESSION_LIFETIME`]).
    pub fn write(&self, state: &mut SessionState, secure: bool, now: i64) -> Option<HeaderValue> {
        state.expires_at = now.saturating_add(SESSION_LIFETIME);
        let json = serde_json::to_string(state).ok()?;
        let mut jar = CookieJar::new();
        jar.private_mut(&self.key)
            .add(Cookie::new(COOKIE_NAME, json));
        let mut sealed = jar.get(COOKIE_NAME)?.clone();
        apply_attributes(&mut sealed, secure);
        sealed.set_max_age(time::Duration::seconds(SESSION_LIFETIME));
        HeaderValue::from_str(&sealed.to_string()).ok()
    }

    /// The `Set-Cookie` value deleting the session.
    pub fn clear(&self, secure: bool) -> HeaderValue {
        let mut cookie = Cookie::new(COOKIE_NAME, "");
        apply_attributes(&mut cookie, secure);
        cookie.make_removal();
        HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| {
            HeaderValue::from_static("gluu_openid_connect_session=; Max-Age=0; Path=/")
        })
    }
}

fn apply_attributes(cookie: &mut Cookie<'_>, secure: bool) {
    cookie.set_path("/");
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_secure(secure);
}

fn request_cookie_values(headers: &HeaderMap) -> impl Iterator<Item = Cookie<'_>> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v).filter_map(Result::ok))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec(byte: u8) -> SessionCodec {
        SessionCodec::new(Key::from(&[byte; 64]))
    }

    fn summary(key: &str, acr: &str) -> TokenSummary {
        TokenSummary {
            key: key.into(),
            acr: Some(acr.into()),
            iat: 1,
            exp: 2,
            auth_time: Some(1),
            requested_acrs: vec![acr.into()],
        }
    }

    fn request_with(set_cookie: &HeaderValue) -> HeaderMap {
        let pair = set_cookie.to_str().unwrap().split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_str(&format!("a=1; {pair}; b=2")).unwrap(),
        );
        headers
    }

    fn sample() -> SessionState {
        let mut state = SessionState::new(0);
        state.add_token(summary("k1", "auth_ldap_server"), false);
        state.pending = Some(PendingLogin {
            original_url: "/payments/?x=1".into(),
            requested_acrs: vec!["otp".into()],
            prompt: Some(Prompt::Login),
            state: "st".into(),
            nonce: Some("no".into()),
            replay_key: None,
            recovery: false,
        });
        state.replay = Some(PendingReplay {
            key: "r".into(),
            url: "/form".into(),
        });
        state
    }

    #[test]
    fn round_trip() {
        let mut state = sample();
        let set = codec(1).write(&mut state, false, 100).unwrap();
        assert_eq!(codec(1).read(&request_with(&set), 100), Some(state));
    }

    #[test]
    fn attributes() {
        let set = codec(1).write(&mut sample(), true, 100).unwrap();
        let text = set.to_str().unwrap();
        for attr in [
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
            "Max-Age=3600",
        ] {
            assert!(text.contains(attr), "{attr} missing in {text}");
        }
        let plain = codec(1).write(&mut sample(), false, 100).unwrap();
        assert!(!plain.to_str().unwrap().contains("Secure"));
    }

    #[test]
    fn content_is_not_readable() {
        let set = codec(1).write(&mut sample(), false, 100).unwrap();
        assert!(!set.to_str().unwrap().contains("payments"));
    }

    #[test]
    fn another_key_cannot_open() {
        let set = codec(1).write(&mut sample(), false, 100).unwrap();
        assert_eq!(codec(2).read(&request_with(&set), 100), None);
    }

    #[test]
    fn tampering_is_rejected() {
        let set = codec(1).write(&mut sample(), false, 100).unwrap();
        let text = set.to_str().unwrap().to_string();
        let pair = text.split(';').next().unwrap();
        let (name, value) = pair.split_once('=').unwrap();
        let mut bytes = value.as_bytes().to_vec();
        let i = bytes.len() / 2;
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let forged = format!("{name}={}", String::from_utf8(bytes).unwrap());
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(&forged).unwrap());
        assert_eq!(codec(1).read(&headers, 100), None);
        headers.insert(
            COOKIE,
            HeaderValue::from_static("gluu_openid_connect_session=garbage"),
        );
        assert_eq!(codec(1).read(&headers, 100), None);
    }

    #[test]
    fn expired_session_is_ignored() {
        let set = codec(1).write(&mut sample(), false, 100).unwrap();
        assert!(codec(1)
            .read(&request_with(&set), 100 + SESSION_LIFETIME - 1)
            .is_some());
        assert_eq!(
            codec(1).read(&request_with(&set), 100 + SESSION_LIFETIME),
            None
        );
    }

    #[test]
    fn stays_small_with_many_tokens() {
        let mut state = sample();
        for (i, acr) in [
            "otp",
            "basic",
            "u2f",
            "passport",
            "super_gluu",
            "duo",
            "cert",
            "x",
            "y",
        ]
        .iter()
        .enumerate()
        {
            let mut t = summary(&format!("{:0>22}", i), acr);
            t.iat = 1_700_000_000;
            t.exp = 1_700_003_600;
            t.auth_time = Some(1_700_000_000);
            state.add_token(t, false);
        }
        assert_eq!(state.tokens.len(), MAX_TOKENS);
        let set = codec(1).write(&mut state, true, 100).unwrap();
        assert!(set.len() < 2048, "cookie is {} bytes", set.len());
    }

    #[test]
    fn same_acr_supersedes() {
        let mut state = SessionState::new(0);
        assert!(state.add_token(summary("a", "otp"), false).is_empty());
        assert!(state.add_token(summary("b", "basic"), false).is_empty());
        assert_eq!(
            state.add_token(summary("c", "otp"), false),
            vec!["a".to_string()]
        );
        let keys: Vec<_> = state.tokens.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, ["b", "c"]);
        assert!(state.add_token(summary("d", "otp"), true).is_empty());
        assert_eq!(state.tokens.len(), 3);
    }

    #[test]
    fn clear_expires_the_cookie() {
        let text = codec(1).clear(false).to_str().unwrap().to_string();
        assert!(text.starts_with("gluu_openid_connect_session=;"));
        assert!(text.contains("Max-Age=0"));
        assert!(text.contains("Path=/"));
    }
}
