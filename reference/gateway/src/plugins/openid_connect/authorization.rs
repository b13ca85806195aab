//! The start of the authorization code flow (`docs/kong.md#authentication-methods`): a browser
//! without credentials is sent to the OP's authorization endpoint, and what the callback must
//! check later (state, nonce, PKCE verifier, the URL the login started from) travels in the
//! sealed authorization cookie rather than in server memory, so any gateway instance sharing
//! the session secret can finish the login.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cookie::{Cookie, CookieJar, Key, SameSite};
use http::HeaderMap;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use url::Url;

use super::browser_config::{CookieConfig, ResponseMode};

/// The callback's parameters: removed from the URL the login started from, so that the login
/// does not return to a stale callback.
pub const CALLBACK_ARGS: [&str; 6] = [
    "code",
    "state",
    "session_state",
    "iss",
    "error",
    "error_description",
];

/// A login under way, sealed in the authorization cookie.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Pending {
    /// `state` sent to the OP.
    pub state: String,
    /// `nonce` sent to the OP.
    pub nonce: String,
    /// The PKCE verifier, when a challenge was sent.
    pub verifier: Option<String>,
    /// The configured client (index into `client_id`) that started the login.
    pub client: usize,
    /// The `redirect_uri` sent (the token request repeats it).
    pub redirect_uri: String,
    /// The request's path.
    pub path: String,
    /// The request's query without callback parameters, if any.
    pub query: Option<String>,
    /// The request's method.
    pub method: String,
    /// When the login started.
    pub created_at: i64,
}

/// Why an authorization cookie was not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    /// Not sealed with this key, or tampered with.
    Unsealable,
    /// Older than `authorization_rolling_timeout`.
    Expired,
}

/// 32 random bytes, base64url: states, nonces and PKCE verifiers (RFC 7636 §4.1 asks for 43
/// to 128 characters; this is 43).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The S256 challenge of `verifier` (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// Whether the caller can follow a redirect to a login page: an XHR or a request that accepts
/// JSON but not HTML gets the 401 challenge instead (`docs/kong.md#failure-responses`).
pub fn follows_redirects(headers: &HeaderMap) -> bool {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    if header("x-requested-with") == "xmlhttprequest" {
        return false;
    }
    let accept = header("accept");
    !accept.contains("json") || accept.contains("text/html")
}

/// `query` without the callback parameters (`None` when nothing is left).
pub fn without_callback_args(query: Option<&str>) -> Option<String> {
    without_args(query, &CALLBACK_ARGS)
}

/// `query` without the arguments `names` (`None` when nothing is left).
pub fn without_args(query: Option<&str>, names: &[&str]) -> Option<String> {
    let query = query?;
    let kept: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(k, _)| !names.contains(&k.as_str()))
        .collect();
    if kept.is_empty() {
        return None;
    }
    Some(
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(kept)
            .finish(),
    )
}

/// What the authorization request carries besides the pending login's values.
#[derive(Debug)]
pub struct Request<'a> {
    /// The authorization endpoint.
    pub endpoint: &'a Url,
    /// The client.
    pub client_id: &'a str,
    /// `scopes`.
    pub scopes: &'a [String],
    /// `response_mode`.
    pub response_mode: ResponseMode,
    /// Send the PKCE challenge.
    pub pkce: bool,
    /// `audience`.
    pub audience: &'a [String],
    /// `max_age`.
    pub max_age: Option<i64>,
    /// Fixed extra arguments, then the ones copied from the client's request.
    pub extra: Vec<(String, String)>,
}

/// The URL the browser is sent to.
pub fn authorization_url(request: &Request<'_>, pending: &Pending) -> Url {
    let mut url = request.endpoint.clone();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", request.client_id)
            .append_pair("redirect_uri", &pending.redirect_uri)
            .append_pair("scope", &request.scopes.join(" "))
            .append_pair("state", &pending.state)
            .append_pair("nonce", &pending.nonce);
        if let (true, Some(verifier)) = (request.pkce, &pending.verifier) {
            q.append_pair("code_challenge", &s256(verifier))
                .append_pair("code_challenge_method", "S256");
        }
        if request.response_mode == ResponseMode::FormPost {
            q.append_pair("response_mode", "form_post");
        }
        if !request.audience.is_empty() {
            q.append_pair("audience", &request.audience.join(" "));
        }
        if let Some(max_age) = request.max_age {
            q.append_pair("max_age", &max_age.to_string());
        }
        for (k, v) in &request.extra {
            q.append_pair(k, v);
        }
    }
    url
}

/// Authorization cookies of one plugin instance: sealed with the session key under their own
/// name (the private jar binds the name, so a session cookie never opens as one).
pub struct AuthorizationCookies {
    key: Key,
    config: CookieConfig,
    timeout: i64,
}

impl std::fmt::Debug for AuthorizationCookies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationCookies")
            .field("cookie", &self.config.name)
            .finish_non_exhaustive()
    }
}

impl AuthorizationCookies {
    /// Cookies sealed with `key`, valid `timeout` seconds.
    pub fn new(key: Key, config: CookieConfig, timeout: i64) -> Self {
        Self {
            key,
            config,
            timeout,
        }
    }

    /// The cookie name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    fn cookie(&self, value: String, max_age: i64, secure_request: bool) -> Cookie<'static> {
        let mut c = Cookie::new(self.config.name.clone(), value);
        c.set_path(self.config.path.clone());
        if let Some(d) = &self.config.domain {
            c.set_domain(d.clone());
        }
        c.set_http_only(self.config.http_only);
        c.set_secure(self.config.secure.unwrap_or(secure_request));
        match self.config.same_site.as_str() {
            "Strict" => c.set_same_site(SameSite::Strict),
            "None" => c.set_same_site(SameSite::None),
            "Default" => {}
            _ => c.set_same_site(SameSite::Lax),
        }
        c.set_max_age(cookie::time::Duration::seconds(max_age.max(0)));
        c
    }

    /// The `Set-Cookie` carrying `pending` sealed.
    pub fn seal(&self, pending: &Pending, secure_request: bool) -> Option<http::HeaderValue> {
        let plain = serde_json::to_string(pending).ok()?;
        let mut jar = CookieJar::new();
        jar.private_mut(&self.key)
            .add(Cookie::new(self.config.name.clone(), plain));
        let sealed = jar.get(&self.config.name)?.value().to_owned();
        let cookie = self.cookie(sealed, self.timeout, secure_request);
        http::HeaderValue::from_str(&cookie.to_string()).ok()
    }

    /// Opens a sealed value and checks its age at `now`.
    pub fn open(&self, sealed: &str, now: i64) -> Result<Pending, Unusable> {
        let mut jar = CookieJar::new();
        jar.add_original(Cookie::new(self.config.name.clone(), sealed.to_owned()));
        let plain = jar
            .private(&self.key)
            .get(&self.config.name)
            .ok_or(Unusable::Unsealable)?;
        let pending: Pending =
            serde_json::from_str(plain.value()).map_err(|_| Unusable::Unsealable)?;
        if now >= pending.created_at.saturating_add(self.timeout) {
            return Err(Unusable::Expired);
        }
        Ok(pending)
    }

    /// The `Set-Cookie` that deletes the cookie.
    pub fn destroy(&self, secure_request: bool) -> Option<http::HeaderValue> {
        http::HeaderValue::from_str(&self.cookie(String::new(), 0, secure_request).to_string()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookies() -> AuthorizationCookies {
        AuthorizationCookies::new(
            super::super::session::key_from_secret("k"),
            CookieConfig {
                name: "authorization".into(),
                path: "/".into(),
                domain: None,
                same_site: "Lax".into(),
                http_only: true,
                secure: None,
            },
            600,
        )
    }

    fn pending(now: i64) -> Pending {
        Pending {
            state: random_token(),
            nonce: random_token(),
            verifier: Some(random_token()),
            client: 0,
            redirect_uri: "http://gw/anything".into(),
            path: "/anything".into(),
            query: Some("hello=world".into()),
            method: "GET".into(),
            created_at: now,
        }
    }

    fn value(header: &http::HeaderValue) -> String {
        Cookie::parse(header.to_str().unwrap().to_owned())
            .unwrap()
            .value()
            .to_owned()
    }

    #[test]
    fn the_pkce_challenge_is_rfc_7636s() {
        // BASE64URL(SHA256(verifier)), the value computed independently (Python's hashlib).
        assert_eq!(
            s256("dBjftJeZ4CVP-mJ0kWLB7xSgZ3qbCgZ2DvwLX1c8Cow"),
            "4JVt12COCkhqZVoIf_rFsQxZ_pp4uqXnn-R47t72JUI"
        );
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
    }

    #[test]
    fn the_cookie_is_sealed_short_lived_and_bound_to_its_name() {
        let c = cookies();
        let p = pending(1000);
        let header = c.seal(&p, false).unwrap();
        let text = header.to_str().unwrap();
        assert!(text.contains("HttpOnly") && text.contains("SameSite=Lax"));
        assert!(text.contains("Max-Age=600"), "{text}");
        let sealed = value(&header);
        assert!(!sealed.contains(&p.state), "state in clear");
        assert_eq!(c.open(&sealed, 1599).unwrap(), p);
        assert_eq!(c.open(&sealed, 1600), Err(Unusable::Expired));
        let mut bytes = sealed.clone().into_bytes();
        bytes[3] ^= 1;
        assert_eq!(
            c.open(&String::from_utf8_lossy(&bytes), 1000),
            Err(Unusable::Unsealable)
        );
        // A session cookie sealed with the same key is not an authorization cookie.
        let sessions = super::super::session::Sessions::new(
            super::super::session::key_from_secret("k"),
            super::super::config::Config::from_value(&serde_json::json!({"issuer": "http://op"}))
                .unwrap()
                .0
                .session,
        );
        let tokens = super::super::Tokens {
            access_token: "at".into(),
            expires_at: None,
            refresh_token: None,
            id_token: None,
            scope: None,
        };
        let session = value(
            &sessions
                .seal(&sessions.create("password", &tokens, 1000), 1000, false)
                .unwrap(),
        );
        assert_eq!(c.open(&session, 1000), Err(Unusable::Unsealable));
        assert!(c
            .destroy(true)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Max-Age=0"));
    }

    #[test]
    fn the_authorization_url_carries_every_parameter() {
        let endpoint = Url::parse("http://op/authorize?realm=master").unwrap();
        let p = pending(0);
        let scopes = vec!["openid".to_owned(), "email".to_owned()];
        let audience = vec!["api".to_owned()];
        let url = authorization_url(
            &Request {
                endpoint: &endpoint,
                client_id: "kong",
                scopes: &scopes,
                response_mode: ResponseMode::FormPost,
                pkce: true,
                audience: &audience,
                max_age: Some(300),
                extra: vec![("prompt".into(), "login".into())],
            },
            &p,
        );
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["realm"], "master");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "kong");
        assert_eq!(q["redirect_uri"], "http://gw/anything");
        assert_eq!(q["scope"], "openid email");
        assert_eq!(q["state"], p.state);
        assert_eq!(q["nonce"], p.nonce);
        assert_eq!(q["code_challenge"], s256(p.verifier.as_deref().unwrap()));
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["response_mode"], "form_post");
        assert_eq!(q["audience"], "api");
        assert_eq!(q["max_age"], "300");
        assert_eq!(q["prompt"], "login");
    }

    #[test]
    fn apis_get_a_challenge_and_callback_args_are_dropped() {
        let mut h = HeaderMap::new();
        assert!(follows_redirects(&h));
        h.insert("accept", "text/html,application/json".parse().unwrap());
        assert!(follows_redirects(&h));
        h.insert("accept", "application/json".parse().unwrap());
        assert!(!follows_redirects(&h));
        let mut h = HeaderMap::new();
        h.insert("x-requested-with", "XMLHttpRequest".parse().unwrap());
        assert!(!follows_redirects(&h));
        assert_eq!(
            without_callback_args(Some("hello=world&code=x&state=y")).as_deref(),
            Some("hello=world")
        );
        assert_eq!(without_callback_args(Some("code=x&iss=y")), None);
        assert_eq!(without_callback_args(None), None);
    }
}
