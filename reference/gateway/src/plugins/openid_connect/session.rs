//! Sessions (`docs/kong.md#session-and-cookies`): what a successful grant leaves so the next
//! request needs no credential. The session is a JSON record sealed with AES-256-GCM through the
//! `cookie` crate's private jar (the cookie's name bound in, so one kind of cookie never opens as
//! another). Instances configured with the same `session_secret` (or, without one, gateways
//! started with the same session secret) open each other's sessions.
//!
//! Storage (`session_storage`): `cookie` keeps the sealed record in the cookie itself, split into
//! `session`, `session_2`, `session_3`, ... when it would not fit one 4 KB cookie, as
//! lua-resty-session does (a missing or altered chunk fails the seal); `redis` keeps it in Redis
//! ([`super::session_store`]) and the cookie carries only the sealed session id.
//!
//! Timeouts, in seconds on the gateway's clock (0 disables one): `idling` since the last use,
//! `rolling` since the last renewal (a session used after three quarters of its rolling period
//! is renewed),
//! `absolute` since creation, never renewed. With `session_remember` a second, persistent cookie
//! (`remember`) carries the same session under its own rolling and absolute timeouts and starts
//! a new session from it when the session cookie is gone or expired. `session_bind` ties a
//! session to the client's address, scheme and/or `User-Agent` (a hash of them is sealed in);
//! `session_audience` to the audience it was made for.

use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine;
use cookie::{Cookie, CookieJar, Key, SameSite};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use subtle::ConstantTimeEq;

use super::config::SessionConfig;
use super::session_config::Storage;
use super::session_store::{RedisStore, StoreError};
use crate::plugins::AccessRequest;

/// The largest cookie value sent in one cookie: browsers keep cookies of 4096 bytes name,
/// value and attributes included (RFC 6265 §6.1), lua-resty-session splits at 4000.
pub const CHUNK_SIZE: usize = 3800;
/// The most chunks a session may take (a larger session is refused rather than sent).
pub const MAX_CHUNKS: usize = 10;
/// How long a Redis record lives when no timeout bounds the session.
const UNBOUNDED_TTL: i64 = 365 * 86_400;
/// The name Redis records are sealed under (never a cookie's).
const RECORD: &str = "session record";

/// What a session holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    /// Random session id (`upstream_session_id_header`, the Redis key).
    pub id: String,
    /// The auth method that created it.
    pub method: String,
    /// The access token.
    pub access_token: String,
    /// When the access token expires, if known.
    pub expires_at: Option<i64>,
    /// The refresh token, if the grant gave one.
    pub refresh_token: Option<String>,
    /// The ID token, if the grant gave one.
    pub id_token: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// Last renewal.
    pub renewed_at: i64,
    /// Last use.
    pub used_at: i64,
    /// `session_audience` when it was made.
    #[serde(default)]
    pub audience: String,
    /// The subject (`sub`) it was made for.
    #[serde(default)]
    pub subject: Option<String>,
    /// Hash of what `session_bind` bound it to.
    #[serde(default)]
    pub bind: Option<String>,
    /// When the first session of this `remember` chain was made.
    #[serde(default)]
    pub remember_since: Option<i64>,
    /// Started from the `remember` cookie on this request (it needs new cookies).
    #[serde(skip)]
    pub restored: bool,
}

/// Why a request did not give a usable session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// No session cookie.
    Missing,
    /// Not sealed with this key, tampered with, or a chunk missing.
    Unsealable,
    /// A timeout passed.
    Expired(&'static str),
    /// Made for another `session_audience`.
    Audience,
    /// `session_bind` does not match the request.
    Bound,
    /// Redis storage has no record of it (logged out, or expired there).
    Gone,
    /// The session would take more than [`MAX_CHUNKS`] cookies.
    TooLarge,
    /// Redis storage failed or did not answer in time.
    Storage(String),
}

impl From<StoreError> for Invalid {
    fn from(e: StoreError) -> Self {
        Invalid::Storage(e.0)
    }
}

/// The sealing key from `session_secret`.
pub fn key_from_secret(secret: &str) -> Key {
    Key::from(&sha2::Sha512::digest(secret.as_bytes())[..])
}

/// What of a request a session depends on: its cookies and what `session_bind` may bind.
#[derive(Debug, Clone)]
pub struct Presented {
    cookies: Vec<(String, String)>,
    ip: IpAddr,
    secure: bool,
    user_agent: String,
}

impl Presented {
    /// The parts of `req`.
    pub fn of(req: &AccessRequest) -> Self {
        let header = req
            .headers()
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join("; ");
        let ua = req
            .headers()
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        Self::new(&header, req.client_addr().ip(), req.secure(), ua)
    }

    /// From a `Cookie` header value, the client's address, whether https, the `User-Agent`.
    pub fn new(cookie_header: &str, ip: IpAddr, secure: bool, user_agent: &str) -> Self {
        let cookies = cookie_header
            .split(';')
            .filter_map(|c| c.trim().split_once('='))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Self {
            cookies,
            ip,
            secure,
            user_agent: user_agent.to_owned(),
        }
    }

    fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// The name of chunk `i` (0-based) of cookie `name`: `name`, `name_2`, `name_3`, ...
fn chunk_name(name: &str, i: usize) -> String {
    if i == 0 {
        name.to_owned()
    } else {
        format!("{name}_{}", i + 1)
    }
}

/// Sessions of one plugin instance.
pub struct Sessions {
    key: Key,
    config: SessionConfig,
    store: Option<Result<Arc<RedisStore>, StoreError>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("cookie", &self.config.cookie_name)
            .finish_non_exhaustive()
    }
}

impl Sessions {
    /// Sessions sealed with `key`, stored as `config` says (a Redis store connects on first use).
    pub fn new(key: Key, config: SessionConfig) -> Self {
        let store = match &config.options.storage {
            Storage::Cookie => None,
            Storage::Redis(r) => Some(RedisStore::new(r).map(Arc::new)),
        };
        Self { key, config, store }
    }

    /// Whether the storage could be set up (a Redis address the client cannot use is not).
    pub fn check(&self) -> Result<(), StoreError> {
        match &self.store {
            Some(Err(e)) => Err(e.clone()),
            _ => Ok(()),
        }
    }

    fn store(&self) -> Result<Option<&RedisStore>, Invalid> {
        match &self.store {
            None => Ok(None),
            Some(Ok(s)) => Ok(Some(s)),
            Some(Err(e)) => Err(e.clone().into()),
        }
    }

    /// The cookie name.
    pub fn cookie_name(&self) -> &str {
        &self.config.cookie_name
    }

    /// The session options (storage, remember, bind, headers, reverify).
    pub fn options(&self) -> &super::session_config::SessionOptions {
        &self.config.options
    }

    /// A new session at `now`.
    pub fn create(&self, method: &str, tokens: &super::Tokens, now: i64) -> Session {
        Session {
            id: uuid::Uuid::new_v4().simple().to_string(),
            method: method.to_owned(),
            access_token: tokens.access_token.clone(),
            expires_at: tokens.expires_at,
            refresh_token: tokens.refresh_token.clone(),
            id_token: tokens.id_token.clone(),
            created_at: now,
            renewed_at: now,
            used_at: now,
            audience: self.config.options.audience.clone(),
            subject: None,
            bind: None,
            remember_since: self.config.options.remember.as_ref().map(|_| now),
            restored: false,
        }
    }

    /// Binds `session` to what `session_bind` names of the request `p`.
    pub fn bind(&self, session: &mut Session, p: &Presented) {
        session.bind = self.bind_hash(p);
    }

    fn bind_hash(&self, p: &Presented) -> Option<String> {
        let binds = &self.config.options.bind;
        if binds.is_empty() {
            return None;
        }
        let mut h = sha2::Sha256::new();
        for b in binds {
            let value = match b.as_str() {
                "ip" => p.ip.to_string(),
                "scheme" => if p.secure { "https" } else { "http" }.to_owned(),
                _ => p.user_agent.clone(),
            };
            h.update(b.as_bytes());
            h.update([0]);
            h.update(value.as_bytes());
            h.update([0]);
        }
        Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.finalize()))
    }

    fn seal_text(&self, name: &str, plain: String) -> Option<String> {
        let mut jar = CookieJar::new();
        jar.private_mut(&self.key)
            .add(Cookie::new(name.to_owned(), plain));
        jar.get(name).map(|c| c.value().to_owned())
    }

    fn unseal_text(&self, name: &str, sealed: &str) -> Option<String> {
        let mut jar = CookieJar::new();
        jar.add_original(Cookie::new(name.to_owned(), sealed.to_owned()));
        jar.private(&self.key)
            .get(name)
            .map(|c| c.value().to_owned())
    }

    /// Opens a single sealed session cookie value (cookie storage) and checks its timeouts.
    pub fn open(&self, sealed: &str, now: i64) -> Result<Session, Invalid> {
        let plain = self
            .unseal_text(&self.config.cookie_name, sealed)
            .ok_or(Invalid::Unsealable)?;
        let session: Session = serde_json::from_str(&plain).map_err(|_| Invalid::Unsealable)?;
        self.expired(&session, now, false)?;
        Ok(session)
    }

    fn expired(&self, session: &Session, now: i64, remember: bool) -> Result<(), Invalid> {
        let past = |since: i64, timeout: i64| timeout > 0 && now >= since.saturating_add(timeout);
        if remember {
            let Some(r) = &self.config.options.remember else {
                return Err(Invalid::Expired("remember"));
            };
            let since = session.remember_since.unwrap_or(session.created_at);
            if past(since, r.absolute_timeout) {
                return Err(Invalid::Expired("remember absolute"));
            }
            if past(session.renewed_at, r.rolling_timeout) {
                return Err(Invalid::Expired("remember rolling"));
            }
            return Ok(());
        }
        if past(session.created_at, self.config.absolute_timeout) {
            return Err(Invalid::Expired("absolute"));
        }
        if past(session.renewed_at, self.config.rolling_timeout) {
            return Err(Invalid::Expired("rolling"));
        }
        if past(session.used_at, self.config.idling_timeout) {
            return Err(Invalid::Expired("idling"));
        }
        Ok(())
    }

    /// The cookie `name` as sent, its chunks joined.
    fn joined(&self, p: &Presented, name: &str) -> Result<String, Invalid> {
        let mut value = p.cookie(name).ok_or(Invalid::Missing)?.to_owned();
        for i in 1.. {
            match p.cookie(&chunk_name(name, i)) {
                Some(_) if i >= MAX_CHUNKS => return Err(Invalid::TooLarge),
                Some(chunk) => value.push_str(chunk),
                None => break,
            }
        }
        Ok(value)
    }

    /// The session in cookie `name` (the session cookie, or `remember` when `remember`).
    async fn read(
        &self,
        p: &Presented,
        name: &str,
        now: i64,
        remember: bool,
    ) -> Result<Session, Invalid> {
        let sealed = self.joined(p, name)?;
        let plain = self.unseal_text(name, &sealed).ok_or(Invalid::Unsealable)?;
        let session: Session = match self.store()? {
            None => serde_json::from_str(&plain).map_err(|_| Invalid::Unsealable)?,
            Some(store) => {
                let record = store.get(&plain).await?.ok_or(Invalid::Gone)?;
                let data = self
                    .unseal_text(RECORD, &record)
                    .ok_or(Invalid::Unsealable)?;
                let s: Session = serde_json::from_str(&data).map_err(|_| Invalid::Unsealable)?;
                if s.id.as_bytes().ct_eq(plain.as_bytes()).unwrap_u8() != 1 {
                    return Err(Invalid::Unsealable);
                }
                s
            }
        };
        if session.audience != self.config.options.audience {
            return Err(Invalid::Audience);
        }
        if let Some(expected) = self.bind_hash(p) {
            let same = session
                .bind
                .as_deref()
                .is_some_and(|b| b.as_bytes().ct_eq(expected.as_bytes()).unwrap_u8() == 1);
            if !same {
                return Err(Invalid::Bound);
            }
        }
        self.expired(&session, now, remember)?;
        Ok(session)
    }

    /// The request's session at `now`: the session cookie, else (with `session_remember`) a new
    /// session started from the `remember` cookie. A Redis failure is [`Invalid::Storage`].
    pub async fn load(&self, p: &Presented, now: i64) -> Result<Session, Invalid> {
        let first = match self.read(p, &self.config.cookie_name, now, false).await {
            Ok(s) => return Ok(s),
            Err(e @ Invalid::Storage(_)) => return Err(e),
            Err(e) => e,
        };
        let Some(r) = &self.config.options.remember else {
            return Err(first);
        };
        match self.read(p, &r.cookie_name, now, true).await {
            Ok(mut s) => {
                s.created_at = now;
                s.renewed_at = now;
                s.used_at = now;
                s.restored = true;
                Ok(s)
            }
            Err(Invalid::Missing) => Err(first),
            Err(e) => Err(e),
        }
    }

    /// Marks `session` used at `now` (renewing it once more than three quarters of its rolling
    /// period have passed since the last renewal, as lua-resty-session 4's `session:refresh()`
    /// does for Kong: `refresh` in
    /// <https://github.com/bungle/lua-resty-session/blob/v4.0.0/lib/resty/session.lua>);
    /// returns whether it changed and needs a new cookie.
    pub fn touch(&self, session: &mut Session, now: i64) -> bool {
        let mut changed = session.restored;
        if self.config.rolling_timeout > 0
            && now.saturating_sub(session.renewed_at) > self.config.rolling_timeout * 3 / 4
        {
            session.renewed_at = now;
            changed = true;
        }
        if now > session.used_at {
            session.used_at = now;
            changed = true;
        }
        changed
    }

    /// When this copy of `session` expires at the latest (None: no timeout configured).
    pub fn expires_at(&self, session: &Session) -> Option<i64> {
        [
            self.lifetime(session, 0),
            self.remember_lifetime(session, 0),
        ]
        .into_iter()
        .flatten()
        .max()
    }

    fn lifetime(&self, session: &Session, now: i64) -> Option<i64> {
        [
            (session.created_at, self.config.absolute_timeout),
            (session.renewed_at, self.config.rolling_timeout),
            (session.used_at, self.config.idling_timeout),
        ]
        .into_iter()
        .filter(|(_, t)| *t > 0)
        .map(|(since, t)| since.saturating_add(t).saturating_sub(now))
        .min()
    }

    fn remember_lifetime(&self, session: &Session, now: i64) -> Option<i64> {
        let r = self.config.options.remember.as_ref()?;
        [
            (
                session.remember_since.unwrap_or(session.created_at),
                r.absolute_timeout,
            ),
            (session.renewed_at, r.rolling_timeout),
        ]
        .into_iter()
        .filter(|(_, t)| *t > 0)
        .map(|(since, t)| since.saturating_add(t).saturating_sub(now))
        .min()
    }

    fn cookie(
        &self,
        name: String,
        value: String,
        max_age: Option<i64>,
        secure_request: bool,
    ) -> Cookie<'static> {
        let mut c = Cookie::new(name, value);
        c.set_path(self.config.cookie_path.clone());
        if let Some(d) = &self.config.cookie_domain {
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
        if let Some(age) = max_age {
            c.set_max_age(cookie::time::Duration::seconds(age.max(0)));
        }
        c
    }

    fn header(c: &Cookie<'_>) -> Option<http::HeaderValue> {
        http::HeaderValue::from_str(&c.to_string()).ok()
    }

    /// The `Set-Cookie` values carrying the sealed `value` as cookie `name` (chunked), and
    /// deleting chunks of an earlier, longer value that `p` still has.
    fn chunked(
        &self,
        p: &Presented,
        name: &str,
        value: &str,
        max_age: Option<i64>,
    ) -> Result<Vec<http::HeaderValue>, Invalid> {
        // The sealed value is base64: any byte boundary is a character boundary.
        let chunks: Vec<&str> = value
            .as_bytes()
            .chunks(CHUNK_SIZE)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        if chunks.len() > MAX_CHUNKS {
            return Err(Invalid::TooLarge);
        }
        let mut out = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            let c = self.cookie(chunk_name(name, i), (*chunk).to_owned(), max_age, p.secure);
            out.extend(Self::header(&c));
        }
        for i in chunks.len()..MAX_CHUNKS {
            let n = chunk_name(name, i);
            if p.cookie(&n).is_some() {
                out.extend(Self::header(&self.cookie(
                    n,
                    String::new(),
                    Some(0),
                    p.secure,
                )));
            }
        }
        Ok(out)
    }

    /// Stores `session` (in Redis with `session_storage: redis`) and returns the `Set-Cookie`
    /// values carrying it: the session cookie and, with `session_remember`, the `remember`
    /// cookie. A Redis failure is [`Invalid::Storage`].
    pub async fn save(
        &self,
        p: &Presented,
        session: &Session,
        now: i64,
    ) -> Result<Vec<http::HeaderValue>, Invalid> {
        let json = serde_json::to_string(session).map_err(|_| Invalid::Unsealable)?;
        let age = self.lifetime(session, now);
        let remember_age = self.remember_lifetime(session, now);
        let store = self.store()?;
        let inner = match store {
            None => json,
            Some(store) => {
                let record = self.seal_text(RECORD, json).ok_or(Invalid::Unsealable)?;
                let ttl = age.max(remember_age).unwrap_or(UNBOUNDED_TTL);
                store.set(&session.id, &record, ttl).await?;
                session.id.clone()
            }
        };
        let name = &self.config.cookie_name;
        let sealed = self
            .seal_text(name, inner.clone())
            .ok_or(Invalid::Unsealable)?;
        let mut out = self.chunked(p, name, &sealed, age)?;
        if let Some(r) = &self.config.options.remember {
            let sealed = self
                .seal_text(&r.cookie_name, inner)
                .ok_or(Invalid::Unsealable)?;
            out.extend(self.chunked(p, &r.cookie_name, &sealed, remember_age)?);
        }
        Ok(out)
    }

    /// The `Set-Cookie` value carrying `session` sealed in one cookie (cookie storage, no
    /// chunking): the sealing primitive the tests of other modules build cookies with.
    pub fn seal(
        &self,
        session: &Session,
        now: i64,
        secure_request: bool,
    ) -> Option<http::HeaderValue> {
        let plain = serde_json::to_string(session).ok()?;
        let sealed = self.seal_text(&self.config.cookie_name, plain)?;
        let cookie = self.cookie(
            self.config.cookie_name.clone(),
            sealed,
            self.lifetime(session, now),
            secure_request,
        );
        Self::header(&cookie)
    }

    fn names(&self) -> Vec<&str> {
        let mut names = vec![self.config.cookie_name.as_str()];
        if let Some(r) = &self.config.options.remember {
            names.push(&r.cookie_name);
        }
        names
    }

    /// Whether `p` carries a session or `remember` cookie (a failure then deletes them).
    pub fn presented_in(&self, p: &Presented) -> bool {
        self.names().into_iter().any(|n| p.cookie(n).is_some())
    }

    /// The `Set-Cookie` values deleting the session cookie, its chunks and the `remember`
    /// cookie (the ones `p` has; the session cookie always).
    pub fn destroy_cookies(&self, p: &Presented) -> Vec<http::HeaderValue> {
        let mut out = Vec::new();
        for name in self.names() {
            for i in 0..MAX_CHUNKS {
                let n = chunk_name(name, i);
                if i == 0 && name == self.config.cookie_name || p.cookie(&n).is_some() {
                    out.extend(Self::header(&self.cookie(
                        n,
                        String::new(),
                        Some(0),
                        p.secure,
                    )));
                }
            }
        }
        out
    }

    /// Ends `session`: its Redis record is deleted (a failure is logged: the cookie goes
    /// anyway) and the cookies' deletions are returned.
    pub async fn destroy(
        &self,
        p: &Presented,
        session: Option<&Session>,
    ) -> Vec<http::HeaderValue> {
        if let (Ok(Some(store)), Some(s)) = (self.store(), session) {
            if let Err(e) = store.delete(&s.id).await {
                tracing::warn!(%e, "openid-connect: the session record could not be deleted");
            }
        }
        self.destroy_cookies(p)
    }

    /// Removes the session cookies (chunks and `remember` included) from `req` before it goes
    /// upstream (`hide_credentials`).
    pub fn remove_cookies(&self, req: &mut AccessRequest) {
        for name in self.names() {
            for i in 0..MAX_CHUNKS {
                req.remove_cookie(&chunk_name(name, i));
            }
        }
    }

    /// The `Session-*` headers `which` (`session_request_headers` / `_response_headers`) name,
    /// for `session` at `now`; timeouts are the seconds left.
    pub fn headers(
        &self,
        session: &Session,
        which: &[String],
        now: i64,
    ) -> Vec<(http::HeaderName, http::HeaderValue)> {
        let left =
            |since: i64, t: i64| (t > 0).then(|| since.saturating_add(t).saturating_sub(now));
        let mut out = Vec::new();
        for w in which {
            let (name, value) = match w.as_str() {
                "id" => ("session-id", Some(session.id.clone())),
                "audience" => ("session-audience", Some(session.audience.clone())),
                "subject" => ("session-subject", session.subject.clone()),
                "timeout" => (
                    "session-timeout",
                    self.lifetime(session, now).map(|t| t.to_string()),
                ),
                "idling-timeout" => (
                    "session-idling-timeout",
                    left(session.used_at, self.config.idling_timeout).map(|t| t.to_string()),
                ),
                "rolling-timeout" => (
                    "session-rolling-timeout",
                    left(session.renewed_at, self.config.rolling_timeout).map(|t| t.to_string()),
                ),
                "absolute-timeout" => (
                    "session-absolute-timeout",
                    left(session.created_at, self.config.absolute_timeout).map(|t| t.to_string()),
                ),
                _ => continue,
            };
            if let Some(v) = value.and_then(|v| http::HeaderValue::from_str(&v).ok()) {
                out.push((http::HeaderName::from_static(name), v));
            }
        }
        out
    }

    /// The names of the `Session-*` headers `which` names (a client's copies are removed).
    pub fn header_names(which: &[String]) -> impl Iterator<Item = http::HeaderName> + '_ {
        which
            .iter()
            .filter_map(|w| http::HeaderName::from_bytes(format!("session-{w}").as_bytes()).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::super::session_config::{RedisConfig, Remember, SessionOptions};
    use super::*;

    fn config() -> SessionConfig {
        SessionConfig {
            secret: None,
            cookie_name: "session".into(),
            cookie_path: "/".into(),
            cookie_domain: None,
            same_site: "Lax".into(),
            http_only: true,
            secure: None,
            idling_timeout: 900,
            rolling_timeout: 3600,
            absolute_timeout: 86_400,
            options: SessionOptions::default(),
        }
    }

    fn tokens() -> super::super::Tokens {
        super::super::Tokens {
            access_token: "at".into(),
            expires_at: Some(1_000_060),
            refresh_token: Some("rt".into()),
            id_token: None,
            scope: None,
        }
    }

    fn value_of(set_cookie: &http::HeaderValue) -> String {
        Cookie::parse(set_cookie.to_str().unwrap().to_owned())
            .unwrap()
            .value()
            .to_owned()
    }

    #[test]
    fn sealed_sessions_open_with_the_same_secret_only() {
        let now = 1_000_000;
        let a = Sessions::new(key_from_secret("shared"), config());
        let b = Sessions::new(key_from_secret("shared"), config());
        let other = Sessions::new(key_from_secret("other"), config());
        let session = a.create("password", &tokens(), now);
        let header = a.seal(&session, now, false).unwrap();
        let text = header.to_str().unwrap();
        assert!(
            text.contains("HttpOnly") && text.contains("SameSite=Lax") && !text.contains("Secure"),
            "{text}"
        );
        assert!(a
            .seal(&session, now, true)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Secure"));
        let sealed = value_of(&header);
        assert!(
            !sealed.contains("at") || !sealed.contains("rt\""),
            "plain text leaked"
        );
        assert_eq!(b.open(&sealed, now).unwrap(), session);
        assert_eq!(other.open(&sealed, now), Err(Invalid::Unsealable));
        let mut tampered = sealed.clone().into_bytes();
        tampered[5] ^= 1;
        assert_eq!(
            a.open(&String::from_utf8_lossy(&tampered), now),
            Err(Invalid::Unsealable)
        );
    }

    #[test]
    fn each_timeout_ends_a_session() {
        let now = 1_000_000;
        let s = Sessions::new(key_from_secret("k"), config());
        let mut session = s.create("password", &tokens(), now);
        let sealed = value_of(&s.seal(&session, now, false).unwrap());
        assert!(s.open(&sealed, now + 899).is_ok());
        assert_eq!(s.open(&sealed, now + 900), Err(Invalid::Expired("idling")));
        // Used regularly, it lives past the rolling period through renewals, until absolute.
        let mut t = now;
        while t < now + 86_400 - 600 {
            t += 600;
            let sealed = value_of(&s.seal(&session, t, false).unwrap());
            session = s.open(&sealed, t).unwrap();
            s.touch(&mut session, t);
        }
        let sealed = value_of(&s.seal(&session, t, false).unwrap());
        assert_eq!(
            s.open(&sealed, now + 86_400),
            Err(Invalid::Expired("absolute"))
        );
        let no_renewal = Sessions::new(
            key_from_secret("k"),
            SessionConfig {
                idling_timeout: 0,
                ..config()
            },
        );
        let fresh = no_renewal.create("password", &tokens(), now);
        let sealed = value_of(&no_renewal.seal(&fresh, now, false).unwrap());
        assert_eq!(
            no_renewal.open(&sealed, now + 3600),
            Err(Invalid::Expired("rolling"))
        );
    }

    #[test]
    fn a_session_is_renewed_past_three_quarters_of_its_rolling_timeout() {
        let now = 1_000_000;
        let s = Sessions::new(
            key_from_secret("k"),
            SessionConfig {
                rolling_timeout: 100,
                ..config()
            },
        );
        let mut session = s.create("password", &tokens(), now);
        // Used at 75 s: not renewed (only its last use moves), so it still ends at 100 s.
        assert!(s.touch(&mut session, now + 75));
        assert_eq!(session.renewed_at, now);
        let sealed = value_of(&s.seal(&session, now + 75, false).unwrap());
        assert_eq!(s.open(&sealed, now + 100), Err(Invalid::Expired("rolling")));
        // Used at 76 s: renewed, it lives until 176 s.
        assert!(s.touch(&mut session, now + 76));
        assert_eq!(session.renewed_at, now + 76);
        let sealed = value_of(&s.seal(&session, now + 76, false).unwrap());
        assert!(s.open(&sealed, now + 175).is_ok());
        assert_eq!(s.open(&sealed, now + 176), Err(Invalid::Expired("rolling")));
    }

    const IP: &str = "192.0.2.7";

    /// The request a browser sends back after `set_cookies` (deletions dropped), from `IP`
    /// over http with user agent `ua`.
    fn presented_ua(set_cookies: &[http::HeaderValue], ua: &str) -> Presented {
        let pairs: Vec<String> = set_cookies
            .iter()
            .map(|v| Cookie::parse(v.to_str().unwrap().to_owned()).unwrap())
            .filter(|c| !c.value().is_empty())
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect();
        Presented::new(&pairs.join("; "), IP.parse().unwrap(), false, ua)
    }

    fn presented(set_cookies: &[http::HeaderValue]) -> Presented {
        presented_ua(set_cookies, "browser/1")
    }

    fn names(set_cookies: &[http::HeaderValue]) -> Vec<String> {
        set_cookies
            .iter()
            .map(|v| {
                let c = Cookie::parse(v.to_str().unwrap().to_owned()).unwrap();
                if c.value().is_empty() {
                    format!("-{}", c.name())
                } else {
                    c.name().to_owned()
                }
            })
            .collect()
    }

    fn with(options: SessionOptions) -> Sessions {
        Sessions::new(
            key_from_secret("k"),
            SessionConfig {
                options,
                ..config()
            },
        )
    }

    fn none() -> Presented {
        Presented::new("", IP.parse().unwrap(), false, "browser/1")
    }

    #[tokio::test]
    async fn large_sessions_are_chunked_and_a_missing_or_tampered_chunk_is_no_session() {
        let now = 1_000_000;
        let s = Sessions::new(key_from_secret("k"), config());
        let mut session = s.create("authorization_code", &tokens(), now);
        // A big ID token, as Keycloak's with many groups are: about 9 KB sealed.
        session.id_token = Some("x".repeat(7000));
        let cookies = s.save(&none(), &session, now).await.unwrap();
        assert_eq!(names(&cookies), ["session", "session_2", "session_3"]);
        for c in &cookies {
            let text = c.to_str().unwrap();
            assert!(text.len() < 4096, "{} bytes", text.len());
            assert!(
                text.contains("HttpOnly") && text.contains("Max-Age=900"),
                "{text}"
            );
        }
        let back = presented(&cookies);
        assert_eq!(s.load(&back, now + 1).await.unwrap(), session);
        // Without its middle or its last chunk, or with one altered, it does not open.
        for drop in [1, 2] {
            let mut partial = cookies.clone();
            partial.remove(drop);
            assert_eq!(
                s.load(&presented(&partial), now + 1).await,
                Err(Invalid::Unsealable),
                "without chunk {drop}"
            );
        }
        let mut tampered = cookies.clone();
        let text = tampered[1]
            .to_str()
            .unwrap()
            .replacen("session_2=", "session_2=A", 1);
        tampered[1] = http::HeaderValue::from_str(&text).unwrap();
        assert_eq!(
            s.load(&presented(&tampered), now + 1).await,
            Err(Invalid::Unsealable)
        );
        // The chunks are not interchangeable with another session's.
        let other = s.save(&none(), &session, now).await.unwrap();
        let mixed = vec![cookies[0].clone(), other[1].clone(), cookies[2].clone()];
        assert_eq!(
            s.load(&presented(&mixed), now + 1).await,
            Err(Invalid::Unsealable)
        );
        // More chunks than a session may have is refused, sent or received.
        session.id_token = Some("x".repeat(CHUNK_SIZE * MAX_CHUNKS));
        assert_eq!(s.save(&none(), &session, now).await, Err(Invalid::TooLarge));
        assert_eq!(s.load(&none(), now).await, Err(Invalid::Missing));
    }

    #[tokio::test]
    async fn a_smaller_session_deletes_the_chunks_left_by_a_larger_one() {
        let now = 1_000_000;
        let s = Sessions::new(key_from_secret("k"), config());
        let mut session = s.create("authorization_code", &tokens(), now);
        session.id_token = Some("x".repeat(5000));
        let big = s.save(&none(), &session, now).await.unwrap();
        assert_eq!(names(&big), ["session", "session_2"]);
        session.id_token = None;
        let small = s.save(&presented(&big), &session, now).await.unwrap();
        assert_eq!(names(&small), ["session", "-session_2"]);
        // What the browser keeps then opens.
        assert_eq!(s.load(&presented(&small), now).await.unwrap(), session);
        // Logout deletes every chunk the browser has.
        assert_eq!(
            names(&s.destroy(&presented(&big), Some(&session)).await),
            ["-session", "-session_2"]
        );
    }

    #[tokio::test]
    async fn session_bind_refuses_another_address_scheme_or_user_agent() {
        let now = 1_000_000;
        let s = with(SessionOptions {
            bind: vec!["ip".into(), "scheme".into(), "user-agent".into()],
            ..SessionOptions::default()
        });
        let mut session = s.create("password", &tokens(), now);
        s.bind(&mut session, &none());
        let cookies = s.save(&none(), &session, now).await.unwrap();
        assert!(s.load(&presented(&cookies), now).await.is_ok());
        let header = presented(&cookies).cookies[0].clone();
        let cookie = format!("{}={}", header.0, header.1);
        let elsewhere = [
            Presented::new(&cookie, "192.0.2.8".parse().unwrap(), false, "browser/1"),
            Presented::new(&cookie, IP.parse().unwrap(), true, "browser/1"),
            Presented::new(&cookie, IP.parse().unwrap(), false, "curl/8"),
        ];
        for p in elsewhere {
            assert_eq!(s.load(&p, now).await, Err(Invalid::Bound), "{p:?}");
        }
        // A session made before binding was configured is refused too.
        let plain = Sessions::new(key_from_secret("k"), config());
        let unbound = plain.create("password", &tokens(), now);
        let cookies = plain.save(&none(), &unbound, now).await.unwrap();
        assert_eq!(s.load(&presented(&cookies), now).await, Err(Invalid::Bound));
    }

    #[tokio::test]
    async fn a_session_made_for_another_audience_is_no_session() {
        let now = 1_000_000;
        let a = with(SessionOptions {
            audience: "shop".into(),
            ..SessionOptions::default()
        });
        let b = with(SessionOptions {
            audience: "admin".into(),
            ..SessionOptions::default()
        });
        let cookies = a
            .save(&none(), &a.create("password", &tokens(), now), now)
            .await
            .unwrap();
        assert!(a.load(&presented(&cookies), now).await.is_ok());
        assert_eq!(
            b.load(&presented(&cookies), now).await,
            Err(Invalid::Audience)
        );
    }

    fn remembering() -> Sessions {
        with(SessionOptions {
            remember: Some(Remember {
                cookie_name: "remember".into(),
                rolling_timeout: 604_800,
                absolute_timeout: 2_592_000,
            }),
            ..SessionOptions::default()
        })
    }

    #[tokio::test]
    async fn the_remember_cookie_starts_a_new_session_until_its_own_timeouts() {
        let now = 1_000_000;
        let s = remembering();
        let session = s.create("authorization_code", &tokens(), now);
        let cookies = s.save(&none(), &session, now).await.unwrap();
        assert_eq!(names(&cookies), ["session", "remember"]);
        assert!(cookies[1].to_str().unwrap().contains("Max-Age=604800"));
        // The session idled out (900 s) and the browser dropped it; `remember` restores it.
        let remember_only = presented(&cookies[1..]);
        let later = now + 3 * 86_400;
        let mut restored = s.load(&remember_only, later).await.unwrap();
        assert!(restored.restored);
        assert_eq!(
            (
                restored.id.as_str(),
                restored.created_at,
                restored.remember_since
            ),
            (session.id.as_str(), later, Some(now))
        );
        assert!(
            s.touch(&mut restored, later),
            "a restored session gets new cookies"
        );
        // An expired session cookie next to a valid `remember` restores too.
        assert!(s.load(&presented(&cookies), later).await.unwrap().restored);
        // Unused for longer than the remember rolling timeout (7 days): gone.
        assert_eq!(
            s.load(&remember_only, now + 604_800).await,
            Err(Invalid::Expired("remember rolling"))
        );
        // Used every few days it lives until the remember absolute timeout (30 days), no longer.
        let mut t = later;
        let mut current = restored;
        while t < now + 2_592_000 - 4 * 86_400 {
            let cookies = s.save(&none(), &current, t).await.unwrap();
            t += 4 * 86_400;
            current = s.load(&presented(&cookies[1..]), t).await.unwrap();
            s.touch(&mut current, t);
        }
        let cookies = s.save(&none(), &current, t).await.unwrap();
        assert_eq!(
            s.load(&presented(&cookies[1..]), now + 2_592_000).await,
            Err(Invalid::Expired("remember absolute"))
        );
        // A session cookie does not open as `remember`, nor the other way round.
        let swapped = Presented::new(
            &format!("remember={}", presented(&cookies[..1]).cookies[0].1),
            IP.parse().unwrap(),
            false,
            "browser/1",
        );
        assert_eq!(s.load(&swapped, t).await, Err(Invalid::Unsealable));
        // Logout deletes both.
        assert_eq!(
            names(&s.destroy_cookies(&presented(&cookies))),
            ["-session", "-remember"]
        );
    }

    #[tokio::test]
    async fn session_headers_count_down_on_the_clock() {
        let now = 1_000_000;
        let s = Sessions::new(key_from_secret("k"), config());
        let mut session = s.create("password", &tokens(), now);
        session.subject = Some("alex-sub".into());
        let all: Vec<String> = super::super::session_config::HEADERS
            .iter()
            .map(|h| (*h).to_owned())
            .collect();
        let at = |t: i64| {
            s.headers(&session, &all, t)
                .into_iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
                .collect::<Vec<_>>()
        };
        let strings = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect::<Vec<_>>()
        };
        let id = session.id.clone();
        assert_eq!(
            at(now + 100),
            strings(&[
                ("session-id", &id),
                ("session-audience", "default"),
                ("session-subject", "alex-sub"),
                ("session-timeout", "800"),
                ("session-idling-timeout", "800"),
                ("session-rolling-timeout", "3500"),
                ("session-absolute-timeout", "86300"),
            ])
        );
        let names: Vec<String> = Sessions::header_names(&all)
            .map(|n| n.to_string())
            .collect();
        assert_eq!(names[0], "session-id");
        assert_eq!(names[6], "session-absolute-timeout");
    }

    #[tokio::test]
    async fn a_redis_that_does_not_answer_is_a_storage_error_within_the_timeout() {
        // A port nothing listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let s = with(SessionOptions {
            storage: Storage::Redis(RedisConfig {
                host: "127.0.0.1".into(),
                port,
                database: 0,
                username: None,
                password: None,
                prefix: Some("gw".into()),
                connect_timeout: std::time::Duration::from_millis(300),
                read_timeout: std::time::Duration::from_millis(300),
                send_timeout: std::time::Duration::from_millis(300),
            }),
            ..SessionOptions::default()
        });
        assert!(s.check().is_ok());
        let now = 1_000_000;
        let session = s.create("password", &tokens(), now);
        let started = std::time::Instant::now();
        assert!(matches!(
            s.save(&none(), &session, now).await,
            Err(Invalid::Storage(_))
        ));
        // A cookie that unseals still needs its record: no record, no session.
        let cookie = format!(
            "session={}",
            s.seal_text("session", session.id.clone()).unwrap()
        );
        let p = Presented::new(&cookie, IP.parse().unwrap(), false, "browser/1");
        assert!(matches!(s.load(&p, now).await, Err(Invalid::Storage(_))));
        // Logout still deletes the cookie.
        assert_eq!(names(&s.destroy(&p, Some(&session)).await), ["-session"]);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
}
