//! The OP browser session: an opaque random cookie (`session_id`, HttpOnly, SameSite=Lax,
//! Secure on https) pointing at a server-side [`Session`] that remembers the user, the ACR
//! achieved and `auth_time`.

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use crate::model::{AuthContext, Session};
use crate::server::AppState;
use crate::util::random_token;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "session_id";

/// A cookie with the OP's attributes.
pub fn cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    max_age: i64,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.secure_cookies())
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age))
        .build()
}

/// A cookie that deletes `name`.
pub fn removal(state: &AppState, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(state, name, String::new(), 0);
    c.make_removal();
    c
}

/// The browser's live session, with its cookie value.
pub fn current(state: &AppState, jar: &CookieJar) -> Option<(String, Session)> {
    let value = jar.get(SESSION_COOKIE)?.value().to_owned();
    let session = state.storage.sessions.get(&value, state.now())?;
    Some((value, session))
}

/// Starts a new session for `auth` (replacing the browser's previous one; a fresh cookie value
/// prevents session fixation) and returns the jar carrying its cookie.
pub fn establish(
    state: &AppState,
    jar: CookieJar,
    mut auth: AuthContext,
) -> (CookieJar, AuthContext) {
    if let Some((old, _)) = current(state, &jar) {
        state.storage.sessions.remove(&old);
    }
    let value = random_token(32);
    let sid = random_token(16);
    auth.sid = Some(sid.clone());
    let lifetime = state.config.lifetimes.session;
    state.storage.sessions.insert(
        &value,
        Session {
            sid,
            logout_csrf: random_token(32),
            auth: auth.clone(),
        },
        state.now().saturating_add(lifetime),
    );
    let jar = jar.add(cookie(state, SESSION_COOKIE, value, lifetime));
    (jar, auth)
}

/// Ends the browser's session.
pub fn end(state: &AppState, jar: CookieJar) -> CookieJar {
    if let Some((value, _)) = current(state, &jar) {
        state.storage.sessions.remove(&value);
    }
    jar.add(removal(state, SESSION_COOKIE))
}
