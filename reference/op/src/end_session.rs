//! RP-initiated logout (`GET`/`POST /oxauth/restv1/end_session`).
//!
//! The OP logs the user out without asking only when the request carries an `id_token_hint`
//! that is an ID token this OP issued ([`crate::id_token::verify_hint`]: not a JWT access token,
//! not a forgery) whose `sub` is the browser's signed-in user (or the browser has no session).
//! Otherwise (no hint, a hint that is not such an ID token, or one about another user) it shows
//! a confirmation page whose form (`#logoutForm`) carries the session's CSRF token and posts back
//! here; only that POST, with the session's token, ends the session. A third-party page can
//! therefore not log a user out by linking or posting here.
//!
//! After logout the browser is redirected, with `state`, to `post_logout_redirect_uri` only when
//! the hint is valid and the URI is registered exactly for the hint's client; otherwise a
//! logged-out page is shown (the OIDF suite's expectation). A valid hint with an unregistered URI
//! is a 400 `post_logout_uri_not_associated_with_client` JSON error and the session is kept.
//! Logout ends the browser's session and the session named by a valid hint's `sid` (an RP may
//! hold an ID token of an earlier session of the same browser, e.g. from before a step-up).
//! Without a hint, `client_id` with `post_logout_redirect_uri` (RP-Initiated Logout 1.0 §2) must
//! name a client that registered exactly that URI, else the same 400; the user is still asked
//! and is not redirected (nothing proves the request came from that client).
//!
//! Then every client that took part in the ended sessions is told ([`crate::logout`]): logout
//! tokens are POSTed on the back channel (and answered or timed out) before the browser gets
//! its answer; clients with a front-channel URI get an iframe on the logged-out page, which
//! then goes on to the `post_logout_redirect_uri`. Without front-channel clients the browser is
//! redirected at once.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::authorize::{append_query, redirect};
use crate::error::OAuthError;
use crate::id_token::{self, Hint};
use crate::logout;
use crate::server::{parse_form, paths, AppState};
use crate::sessions;
use crate::util::secure_eq;

/// Parameters the confirmation form carries back to the endpoint.
const CARRIED: &[&str] = &[
    "id_token_hint",
    "post_logout_redirect_uri",
    "state",
    "client_id",
];

/// `GET /end_session`.
pub async fn get_handler(
    State(state): State<AppState>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    let params = parse_form(query.unwrap_or_default().as_bytes());
    respond(&state, jar, params, false).await
}

/// `POST /end_session` (form): an RP's request, or the confirmation form.
pub async fn post_handler(State(state): State<AppState>, jar: CookieJar, body: Bytes) -> Response {
    respond(&state, jar, parse_form(&body), true).await
}

async fn respond(
    state: &AppState,
    jar: CookieJar,
    params: Result<HashMap<String, String>, OAuthError>,
    posted: bool,
) -> Response {
    let result = match params {
        Ok(p) => end_session(state, jar, &p, posted).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn end_session(
    state: &AppState,
    jar: CookieJar,
    params: &HashMap<String, String>,
    posted: bool,
) -> Result<Response, OAuthError> {
    let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let (hint, refused) = match get("id_token_hint") {
        None => (None, None),
        Some(raw) => match id_token::verify_hint(state, raw) {
            Ok(hint) => (Some(hint), None),
            Err(reason) => {
                tracing::info!("end_session: id_token_hint not accepted: {reason}");
                (None, Some(reason))
            }
        },
    };
    let target = match &hint {
        Some(hint) => redirect_target(
            state,
            hint,
            get("client_id"),
            get("post_logout_redirect_uri"),
        )?,
        None => {
            unhinted_target(state, get("client_id"), get("post_logout_redirect_uri"))?;
            None
        }
    };
    let session = sessions::current(state, &jar).map(|(_, s)| s);
    if let Some(session) = &session {
        let silent = hint.as_ref().is_some_and(|h| h.sub == session.auth.sub);
        let confirmed =
            posted && get("csrf_token").is_some_and(|t| secure_eq(t, &session.logout_csrf));
        if !silent && !confirmed {
            let warning = match (&hint, &refused) {
                (Some(_), _) => Some("The application asked to log out another user.".to_owned()),
                (None, Some(_)) => Some(
                    "The application's logout request could not be verified: you will not be sent back to it."
                        .to_owned(),
                ),
                (None, None) => None,
            };
            return Ok(confirmation(
                state,
                params,
                &session.auth.username,
                &session.logout_csrf,
                warning,
            ));
        }
    }
    let mut ended = Vec::new();
    if let Some(sid) = hint.as_ref().and_then(|h| h.sid.as_deref()) {
        ended.extend(sessions::end_by_sid(state, sid));
    }
    let (jar, current) = sessions::end(state, jar);
    ended.extend(current);
    let frames = logout::notify(state, &ended).await;
    let next = target.map(|uri| match get("state") {
        Some(s) => append_query(&uri, &[("state", s)]),
        None => uri,
    });
    let response = match (&next, frames.is_empty()) {
        (Some(location), true) => redirect(location),
        (None, true) => state.pages.message(
            StatusCode::OK,
            "Logged out",
            None,
            "You have been logged out of the OpenID Provider.",
        ),
        (_, false) => logout::frontchannel::page(state, &frames, next.as_deref()),
    };
    Ok((jar, response).into_response())
}

/// Checks `client_id` + `post_logout_redirect_uri` of a request without a hint: a URI the
/// named client did not register is refused. Never a redirect target.
fn unhinted_target(
    state: &AppState,
    client_id: Option<&str>,
    uri: Option<&str>,
) -> Result<(), OAuthError> {
    let (Some(client_id), Some(uri)) = (client_id, uri) else {
        return Ok(());
    };
    let registered = state
        .storage
        .clients
        .get(client_id, state.now())
        .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri));
    if !registered {
        return Err(OAuthError::PostLogoutUriNotAssociatedWithClient(format!(
            "post_logout_redirect_uri `{uri}` is not registered for client `{client_id}`"
        )));
    }
    Ok(())
}

/// Where to send the browser after logout: `post_logout_redirect_uri` if it is registered for
/// the hint's client. A URI the client did not register is an error (the session is kept).
fn redirect_target(
    state: &AppState,
    hint: &Hint,
    client_id: Option<&str>,
    uri: Option<&str>,
) -> Result<Option<String>, OAuthError> {
    if client_id.is_some_and(|c| c != hint.client_id) {
        return Err(OAuthError::InvalidRequest(
            "client_id does not match the id_token_hint".into(),
        ));
    }
    let Some(uri) = uri else { return Ok(None) };
    let registered = state
        .storage
        .clients
        .get(&hint.client_id, state.now())
        .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri));
    if !registered {
        return Err(OAuthError::PostLogoutUriNotAssociatedWithClient(format!(
            "post_logout_redirect_uri `{uri}` is not registered for client `{}`",
            hint.client_id
        )));
    }
    Ok(Some(uri.to_owned()))
}

fn confirmation(
    state: &AppState,
    params: &HashMap<String, String>,
    username: &str,
    csrf_token: &str,
    warning: Option<String>,
) -> Response {
    let carried: Vec<(&str, &str)> = CARRIED
        .iter()
        .filter_map(|k| params.get(*k).map(|v| (*k, v.as_str())))
        .collect();
    state.pages.render(
        StatusCode::OK,
        "logout.html",
        minijinja::context! {
            username, csrf_token, warning, carried,
            action => paths::END_SESSION,
        },
    )
}
