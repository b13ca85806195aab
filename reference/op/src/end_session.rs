//! RP-initiated logout (`GET`/`POST /oxauth/restv1/end_session`).
//!
//! With a valid `id_token_hint` (signed by this OP, for a known client) and a
//! `post_logout_redirect_uri` registered exactly for that client, the session ends and the browser
//! is redirected there with `state`. Without a hint the OP never redirects (OIDF suite behaviour,
//! `docs/differences.md#no-logout-redirect-without-a-hint`): it ends the browser's session and
//! shows a logged-out page. A bad hint or an unregistered URI is a 400 JSON error and the session
//! is kept. Logout ends both the browser's session and the session named by the hint's `sid` (an RP
//! may hold an ID token of an earlier session of the same browser, e.g. from before a step-up).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::authorize::{append_query, redirect};
use crate::error::OAuthError;
use crate::server::{parse_form, AppState};
use crate::sessions;

/// `GET /end_session`.
pub async fn get_handler(
    State(state): State<AppState>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    respond(
        &state,
        jar,
        parse_form(query.unwrap_or_default().as_bytes()),
    )
}

/// `POST /end_session` (form).
pub async fn post_handler(State(state): State<AppState>, jar: CookieJar, body: Bytes) -> Response {
    respond(&state, jar, parse_form(&body))
}

fn respond(
    state: &AppState,
    jar: CookieJar,
    params: Result<HashMap<String, String>, OAuthError>,
) -> Response {
    match end_session(state, jar, params) {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

fn end_session(
    state: &AppState,
    jar: CookieJar,
    params: Result<HashMap<String, String>, OAuthError>,
) -> Result<Response, OAuthError> {
    let params = params?;
    let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let redirect_uri = get("post_logout_redirect_uri");
    let mut target = None;
    let mut hinted_sid = None;
    if let Some(hint) = get("id_token_hint") {
        let claims = state
            .keys
            .verify(hint, &state.issuer)
            .map_err(|e| OAuthError::InvalidGrantAndSession(format!("id_token_hint: {e}")))?;
        let client_id = match &claims["aud"] {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Array(a) => a.first().and_then(|v| v.as_str()).map(str::to_owned),
            _ => None,
        }
        .ok_or_else(|| OAuthError::InvalidGrantAndSession("id_token_hint has no aud".into()))?;
        if get("client_id").is_some_and(|c| c != client_id) {
            return Err(OAuthError::InvalidRequest(
                "client_id does not match the id_token_hint".into(),
            ));
        }
        let client = state
            .storage
            .clients
            .get(&client_id, state.now())
            .ok_or_else(|| OAuthError::InvalidGrantAndSession("unknown client".into()))?;
        hinted_sid = claims["sid"].as_str().map(str::to_owned);
        if let Some(uri) = redirect_uri {
            if !client.post_logout_redirect_uris.iter().any(|r| r == uri) {
                return Err(OAuthError::PostLogoutUriNotAssociatedWithClient(format!(
                    "post_logout_redirect_uri `{uri}` is not registered for client `{client_id}`"
                )));
            }
            target = Some(uri.to_owned());
        }
    } else if redirect_uri.is_some() {
        tracing::info!("post_logout_redirect_uri without id_token_hint: not redirecting");
    }
    if let Some(sid) = &hinted_sid {
        state.storage.sessions.remove_where(&|s| s.sid == *sid);
    }
    let jar = sessions::end(state, jar);
    let response = match target {
        Some(uri) => {
            let location = match get("state") {
                Some(s) => append_query(&uri, &[("state", s)]),
                None => uri,
            };
            redirect(&location)
        }
        None => state.pages.message(
            StatusCode::OK,
            "Logged out",
            None,
            "You have been logged out of the OpenID Provider.",
        ),
    };
    Ok((jar, response).into_response())
}
