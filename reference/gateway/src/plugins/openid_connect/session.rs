//! Sessions in a sealed cookie (AES-256-GCM through the `cookie` crate's private jar): what a
//! successful grant leaves so the next request needs no credential
//! (`docs/kong.md#session-cookies`). Instances configured with the same `session_secret` (or,
//! without one, gateways started with the same session secret) open each other's cookies.
//!
//! Timeouts, in seconds on the gateway's clock (0 disables one): `idling` since the last use,
//! `rolling` since the last renewal (a session used after half its rolling period is renewed),
//! `absolute` since creation, never renewed.

use cookie::{Cookie, CookieJar, Key, SameSite};
use serde::{Deserialize, Serialize};

use super::config::SessionConfig;

/// What a session holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    /// Random session id (`upstream_session_id_header`).
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
}

/// Why a cookie did not give a usable session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// Not sealed with this key, or tampered with.
    Unsealable,
    /// A timeout passed.
    Expired(&'static str),
}

/// The sealing key from `session_secret`.
pub fn key_from_secret(secret: &str) -> Key {
    use sha2::Digest;
    Key::from(&sha2::Sha512::digest(secret.as_bytes())[..])
}

/// Session cookies of one plugin instance.
pub struct Sessions {
    key: Key,
    config: SessionConfig,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("cookie", &self.config.cookie_name)
            .finish_non_exhaustive()
    }
}

impl Sessions {
    /// Sessions sealed with `key`.
    pub fn new(key: Key, config: SessionConfig) -> Self {
        Self { key, config }
    }

    /// The cookie name.
    pub fn cookie_name(&self) -> &str {
        &self.config.cookie_name
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
        }
    }

    /// Opens a sealed cookie value and checks its timeouts at `now`.
    pub fn open(&self, sealed: &str, now: i64) -> Result<Session, Invalid> {
        let mut jar = CookieJar::new();
        jar.add_original(Cookie::new(
            self.config.cookie_name.clone(),
            sealed.to_owned(),
        ));
        let plain = jar
            .private(&self.key)
            .get(&self.config.cookie_name)
            .ok_or(Invalid::Unsealable)?;
        let session: Session =
            serde_json::from_str(plain.value()).map_err(|_| Invalid::Unsealable)?;
        let past = |since: i64, timeout: i64| timeout > 0 && now >= since.saturating_add(timeout);
        if past(session.created_at, self.config.absolute_timeout) {
            return Err(Invalid::Expired("absolute"));
        }
        if past(session.renewed_at, self.config.rolling_timeout) {
            return Err(Invalid::Expired("rolling"));
        }
        if past(session.used_at, self.config.idling_timeout) {
            return Err(Invalid::Expired("idling"));
        }
        Ok(session)
    }

    /// Marks `session` used at `now` (renewing it past half its rolling period); returns
    /// whether it changed and needs a new cookie.
    pub fn touch(&self, session: &mut Session, now: i64) -> bool {
        let mut changed = false;
        if self.config.rolling_timeout > 0
            && now
                >= session
                    .renewed_at
                    .saturating_add(self.config.rolling_timeout / 2)
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
        self.lifetime(session, 0)
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

    fn cookie(&self, value: String, max_age: Option<i64>, secure_request: bool) -> Cookie<'static> {
        let mut c = Cookie::new(self.config.cookie_name.clone(), value);
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

    /// The `Set-Cookie` value carrying `session` sealed.
    pub fn seal(
        &self,
        session: &Session,
        now: i64,
        secure_request: bool,
    ) -> Option<http::HeaderValue> {
        let plain = serde_json::to_string(session).ok()?;
        let mut jar = CookieJar::new();
        jar.private_mut(&self.key)
            .add(Cookie::new(self.config.cookie_name.clone(), plain));
        let sealed = jar.get(&self.config.cookie_name)?.value().to_owned();
        let cookie = self.cookie(sealed, self.lifetime(session, now), secure_request);
        http::HeaderValue::from_str(&cookie.to_string()).ok()
    }

    /// The `Set-Cookie` value that deletes the cookie.
    pub fn destroy(&self, secure_request: bool) -> Option<http::HeaderValue> {
        let cookie = self.cookie(String::new(), Some(0), secure_request);
        http::HeaderValue::from_str(&cookie.to_string()).ok()
    }
}

#[cfg(test)]
mod tests {
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
}
