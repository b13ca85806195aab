//! Server-side sessions behind a sealed cookie, the login gate and the CSRF check.
//!
//! The cookie holds only a random session id, sealed (encrypted and authenticated) with the
//! `cookie` crate's private jar, `HttpOnly`, `SameSite=Strict`, `Path=/`. Everything else lives
//! on the server, so logging out ends the session everywhere. Every request gets a session
//! (anonymous until login) so that the login form itself carries a CSRF token. Every `POST` is
//! checked by [`gate`] before any handler runs: a missing or wrong `csrf_token` form field is
//! refused with 403, so no handler can forget the check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cookie::{Cookie, CookieJar, Key, SameSite};
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::server::AppState;

/// Name of the session cookie.
pub const COOKIE: &str = "gatecheck_gui_session";
/// Name of the hidden CSRF field every form carries.
pub const CSRF_FIELD: &str = "csrf_token";
/// Largest form body accepted (the biggest form, a long expression, is far below).
const MAX_FORM_BYTES: usize = 1024 * 1024;
/// Sessions kept at most; the least recently used go first when exceeded.
const MAX_SESSIONS: usize = 10_000;

/// A message shown once on the next page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Flash {
    /// `success` or `error`.
    pub kind: &'static str,
    /// The text (escaped when shown).
    pub text: String,
}

#[derive(Debug)]
struct Entry {
    user: Option<String>,
    csrf: String,
    last_seen: Instant,
    flash: Vec<Flash>,
}

/// The session of the current request, as handlers see it.
#[derive(Debug, Clone)]
pub struct Session {
    /// Session id (never shown).
    pub id: String,
    /// The logged-in administrator.
    pub user: Option<String>,
    /// The CSRF token of the session, put into every form.
    pub csrf: String,
}

/// Every live session.
#[derive(Debug)]
pub struct Sessions {
    entries: Mutex<HashMap<String, Entry>>,
    idle: Duration,
    key: Key,
    secure: bool,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Sessions {
    /// A store whose cookies are sealed with a key derived from `secret` (random when `None`).
    pub fn new(secret: Option<&str>, idle: Duration, secure: bool) -> Self {
        let key = match secret {
            Some(s) => {
                use sha2::Digest;
                let digest = sha2::Sha512::digest(s.as_bytes());
                Key::from(&digest[..])
            }
            None => Key::generate(),
        };
        Self {
            entries: Mutex::new(HashMap::new()),
            idle,
            key,
            secure,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn create(&self, user: Option<String>) -> Session {
        let id = random_token();
        let csrf = random_token();
        let mut map = self.lock();
        let now = Instant::now();
        map.retain(|_, e| now.duration_since(e.last_seen) < self.idle);
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, e)| e.last_seen)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(
            id.clone(),
            Entry {
                user: user.clone(),
                csrf: csrf.clone(),
                last_seen: now,
                flash: Vec::new(),
            },
        );
        Session { id, user, csrf }
    }

    /// The live session with this id (touched), if any.
    fn find(&self, id: &str) -> Option<Session> {
        let mut map = self.lock();
        let now = Instant::now();
        let entry = map.get_mut(id)?;
        if now.duration_since(entry.last_seen) >= self.idle {
            map.remove(id);
            return None;
        }
        entry.last_seen = now;
        Some(Session {
            id: id.to_owned(),
            user: entry.user.clone(),
            csrf: entry.csrf.clone(),
        })
    }

    /// Starts a fresh logged-in session (a new id and CSRF token, so a session id planted
    /// before login is worthless) and ends `old`.
    pub fn login(&self, old: &str, user: &str) -> Session {
        self.lock().remove(old);
        self.create(Some(user.to_owned()))
    }

    /// Ends a session.
    pub fn logout(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Queues a message for the session's next page.
    pub fn flash(&self, id: &str, kind: &'static str, text: impl Into<String>) {
        if let Some(e) = self.lock().get_mut(id) {
            e.flash.push(Flash {
                kind,
                text: text.into(),
            });
        }
    }

    /// Takes the queued messages.
    pub fn take_flash(&self, id: &str) -> Vec<Flash> {
        self.lock()
            .get_mut(id)
            .map(|e| std::mem::take(&mut e.flash))
            .unwrap_or_default()
    }

    /// The `Set-Cookie` value carrying `id`.
    pub fn cookie(&self, id: &str) -> String {
        let mut jar = CookieJar::new();
        let mut c = Cookie::new(COOKIE, id.to_owned());
        c.set_http_only(true);
        c.set_same_site(SameSite::Strict);
        c.set_path("/");
        c.set_secure(self.secure);
        jar.private_mut(&self.key).add(c);
        jar.delta()
            .next()
            .map(|c| c.encoded().to_string())
            .unwrap_or_default()
    }

    /// A `Set-Cookie` value removing the cookie.
    pub fn clear_cookie(&self) -> String {
        let mut c = Cookie::new(COOKIE, "");
        c.set_http_only(true);
        c.set_same_site(SameSite::Strict);
        c.set_path("/");
        c.set_secure(self.secure);
        c.make_removal();
        c.encoded().to_string()
    }

    fn id_from(&self, req: &Request) -> Option<String> {
        let mut jar = CookieJar::new();
        for value in req.headers().get_all(header::COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            for c in Cookie::split_parse_encoded(text.to_owned()).flatten() {
                if c.name() == COOKIE {
                    jar.add_original(c.into_owned());
                }
            }
        }
        jar.private(&self.key)
            .get(COOKIE)
            .map(|c| c.value().to_owned())
    }
}

/// Paths served without a login.
fn public(path: &str) -> bool {
    path == "/login" || path.starts_with("/assets/") || path == "/healthz"
}

/// The middleware in front of every page: session, login gate, CSRF check, cookie.
pub async fn gate(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let sessions = &app.sessions;
    let (session, new) = match sessions.id_from(&req).and_then(|id| sessions.find(&id)) {
        Some(s) => (s, false),
        None => (sessions.create(None), true),
    };
    let path = req.uri().path().to_owned();
    let set_cookie = new.then(|| sessions.cookie(&session.id));
    let finish = |mut resp: Response| {
        if let Some(c) = &set_cookie {
            if let Ok(v) = HeaderValue::from_str(c) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        resp
    };

    if !public(&path) && session.user.is_none() {
        let target = match req.uri().path_and_query() {
            Some(pq) if req.method() == Method::GET && pq.as_str() != "/" => {
                format!("/login?next={}", crate::views::urlencode(pq.as_str()))
            }
            _ => "/login".to_owned(),
        };
        return finish(Redirect::to(&target).into_response());
    }

    let req = if req.method() == Method::POST {
        match check_csrf(req, &session).await {
            Ok(req) => req,
            Err(resp) => return finish(resp),
        }
    } else {
        req
    };
    let mut req = req;
    req.extensions_mut().insert(session);
    let mut resp = next.run(req).await;
    let headers = resp.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    finish(resp)
}

/// Buffers the form body, compares its `csrf_token` with the session's in constant time and
/// hands the request on with the same body.
async fn check_csrf(req: Request, session: &Session) -> Result<Request, Response> {
    let (parts, body) = req.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| {
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                "The form is larger than the GUI accepts (1 MiB).",
            )
                .into_response()
        })?;
    let sent = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let ok: bool = sent.as_bytes().ct_eq(session.csrf.as_bytes()).into();
    if !ok || sent.is_empty() {
        return Err(crate::views::csrf_refused());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Shared handle.
pub type SharedSessions = Arc<Sessions>;
