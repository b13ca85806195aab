//! The OP browser session: an opaque random cookie (`session_id`, HttpOnly, SameSite=Lax,
//! Secure on https) pointing at a server-side [`Session`] that remembers the user, the ACR
//! achieved, `auth_time`, the public `sid` and the clients that took part in it (each client
//! the OP sent an authorization response to, in order): the ones RP-initiated logout notifies
//! ([`crate::logout`]).
//!
//! Beside it the OP browser state cookie (`opbs`, [`BROWSER_STATE_COOKIE`]) carries a random
//! value per session that the `check_session_iframe` page reads with JavaScript
//! ([`crate::logout::check_session`]). It is **not HttpOnly**: OpenID Connect Session
//! Management 1.0 §4.1 has the OP iframe read the browser state from a cookie
//! (<https://openid.net/specs/openid-connect-session-1_0.html#OPiframe>). It grants nothing: it
//! is only compared, never accepted as a credential.

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use crate::model::{AuthContext, Session};
use crate::server::AppState;
use crate::util::random_token;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "session_id";

/// Name of the OP browser state cookie (Gluu's name), read by the check-session iframe.
pub const BROWSER_STATE_COOKIE: &str = "opbs";

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

/// The browser state cookie: readable by the OP's iframe script (not HttpOnly). The iframe is
/// embedded in the RP's page, a third-party context on another site, where a browser only
/// exposes `SameSite=None` cookies, which must be `Secure`; so on an https issuer it is
/// `SameSite=None; Secure`, and on an http one (loopback tests, where RP and OP share the site
/// `127.0.0.1` and ports do not count) `SameSite=Lax`.
pub fn browser_state_cookie(state: &AppState, value: String, max_age: i64) -> Cookie<'static> {
    let same_site = if state.secure_cookies() {
        SameSite::None
    } else {
        SameSite::Lax
    };
    Cookie::build((BROWSER_STATE_COOKIE, value))
        .http_only(false)
        .same_site(same_site)
        .secure(state.secure_cookies())
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age))
        .build()
}

/// A cookie that deletes `name`.
pub fn removal(state: &AppState, name: &'static str) -> Cookie<'static> {
    let mut c = if name == BROWSER_STATE_COOKIE {
        browser_state_cookie(state, String::new(), 0)
    } else {
        cookie(state, name, String::new(), 0)
    };
    c.make_removal();
    c
}

/// The browser's live session, with its cookie value.
pub fn current(state: &AppState, jar: &CookieJar) -> Option<(String, Session)> {
    let value = jar.get(SESSION_COOKIE)?.value().to_owned();
    let session = state.storage.sessions.get(&value, state.now())?;
    Some((value, session))
}

/// The live session whose public id is `sid`, with its cookie value.
pub fn by_sid(state: &AppState, sid: &str) -> Option<(String, Session)> {
    let now = state.now();
    let value = state.storage.session_ids.get(sid, now)?;
    let session = state.storage.sessions.get(&value, now)?;
    Some((value, session))
}

/// Starts a new session for `auth` (replacing the browser's previous one; a fresh cookie value
/// prevents session fixation, a fresh browser state tells RPs' iframes that it changed) and
/// returns the jar carrying its cookies.
pub fn establish(
    state: &AppState,
    jar: CookieJar,
    mut auth: AuthContext,
) -> (CookieJar, AuthContext) {
    if let Some((old, session)) = current(state, &jar) {
        remove(state, &old, &session);
    }
    let value = random_token(32);
    let sid = random_token(16);
    let browser_state = random_token(16);
    auth.sid = Some(sid.clone());
    let lifetime = state.config.lifetimes.session;
    let expires_at = state.now().saturating_add(lifetime);
    state.storage.sessions.insert(
        &value,
        Session {
            sid: sid.clone(),
            logout_csrf: random_token(32),
            auth: auth.clone(),
            browser_state: browser_state.clone(),
            clients: Vec::new(),
        },
        expires_at,
    );
    state
        .storage
        .session_ids
        .insert(&sid, value.clone(), expires_at);
    let jar = jar
        .add(cookie(state, SESSION_COOKIE, value, lifetime))
        .add(browser_state_cookie(state, browser_state, lifetime));
    (jar, auth)
}

/// Records that `client_id` took part in the session `sid` (it is being sent an authorization
/// response) and returns the session; `None` when the session has ended.
pub fn join(state: &AppState, sid: &str, client_id: &str) -> Option<Session> {
    let now = state.now();
    let value = state.storage.session_ids.get(sid, now)?;
    state.storage.sessions.update(&value, now, &mut |s| {
        if !s.clients.iter().any(|c| c == client_id) {
            s.clients.push(client_id.to_owned());
        }
    })
}

fn remove(state: &AppState, value: &str, session: &Session) {
    state.storage.sessions.remove(value);
    state.storage.session_ids.remove(&session.sid);
}

/// Ends the session `sid` (if live) and returns it.
pub fn end_by_sid(state: &AppState, sid: &str) -> Option<Session> {
    let (value, session) = by_sid(state, sid)?;
    remove(state, &value, &session);
    Some(session)
}

/// Ends the browser's session: returns the jar deleting its cookies and the session ended.
pub fn end(state: &AppState, jar: CookieJar) -> (CookieJar, Option<Session>) {
    let ended = current(state, &jar).map(|(value, session)| {
        remove(state, &value, &session);
        session
    });
    let jar = jar
        .add(removal(state, SESSION_COOKIE))
        .add(removal(state, BROWSER_STATE_COOKIE));
    (jar, ended)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acr::AcrMethod;

    fn auth() -> AuthContext {
        AuthContext {
            sub: "u1".into(),
            username: "admin".into(),
            acr: AcrMethod::parse("basic").expect("basic"),
            amr: vec!["pwd".into()],
            auth_time: 0,
            sid: None,
        }
    }

    #[test]
    fn a_session_records_each_client_once_in_order_and_ends_by_sid() {
        let state = crate::server::test_state();
        let (jar, auth) = establish(&state, CookieJar::new(), auth());
        let sid = auth.sid.clone().expect("sid");
        assert!(jar
            .get(SESSION_COOKIE)
            .is_some_and(|c| c.http_only() == Some(true)));
        // The iframe script must be able to read the browser state (Session Management §4.1).
        let opbs = jar.get(BROWSER_STATE_COOKIE).expect("opbs cookie");
        assert_eq!(opbs.http_only(), Some(false));
        assert_eq!(opbs.same_site(), Some(SameSite::None));
        assert_eq!(opbs.secure(), Some(true));
        join(&state, &sid, "a");
        join(&state, &sid, "b");
        let session = join(&state, &sid, "a").expect("live session");
        assert_eq!(session.clients, ["a", "b"]);
        assert_eq!(session.browser_state, opbs.value());
        assert_eq!(current(&state, &jar).map(|(_, s)| s.sid), Some(sid.clone()));
        assert_eq!(end_by_sid(&state, &sid).map(|s| s.clients.len()), Some(2));
        assert!(current(&state, &jar).is_none());
        assert!(join(&state, &sid, "c").is_none());
        assert!(end_by_sid(&state, &sid).is_none());
    }

    #[test]
    fn ending_the_browsers_session_deletes_both_cookies() {
        let state = crate::server::test_state();
        let (jar, _) = establish(&state, CookieJar::new(), auth());
        let (jar, ended) = end(&state, jar);
        assert!(ended.is_some());
        for name in [SESSION_COOKIE, BROWSER_STATE_COOKIE] {
            assert_eq!(
                jar.get(name).map(|c| c.value().to_owned()),
                Some(String::new())
            );
        }
        let (_, again) = end(&state, jar);
        assert!(again.is_none());
    }
}
