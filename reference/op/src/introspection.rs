//! Token introspection (RFC 7662) at `/oxauth/restv1/introspection`, GET or POST.
//!
//! The caller authenticates with client credentials (Basic or form) or with
//! `Authorization: Bearer <access token>` of an enabled client. A caller whose client has
//! `allow_introspection` (the default) may introspect any token; otherwise only tokens issued to
//! itself (others read as inactive). Unknown, expired and revoked tokens are `{"active": false}`.
//! Errors follow Gluu: no caller authentication or no `token` → 400 `invalid_request`; bad caller
//! credentials → 401 `access_denied`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::bearer;
use crate::clients::{self, Client};
use crate::error::OAuthError;
use crate::server::{parse_form, AppState};

/// `GET /introspection?token=...`.
pub async fn get_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    respond(
        &state,
        &headers,
        parse_form(query.unwrap_or_default().as_bytes()),
    )
}

/// `POST /introspection` (form).
pub async fn post_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(&state, &headers, parse_form(&body))
}

fn respond(
    state: &AppState,
    headers: &HeaderMap,
    form: Result<HashMap<String, String>, OAuthError>,
) -> Response {
    let result = form.and_then(|form| {
        let caller = caller(state, headers, &form)?;
        let token = form
            .get("token")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| OAuthError::InvalidRequest("token is required".into()))?;
        Ok(introspect(state, &caller, token))
    });
    match result {
        Ok(body) => {
            let mut response = axum::Json(body).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(err @ OAuthError::AccessDenied(_)) => (StatusCode::UNAUTHORIZED, err).into_response(),
        Err(err) => err.into_response(),
    }
}

fn caller(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Client, OAuthError> {
    let denied = |e: OAuthError| OAuthError::AccessDenied(e.description());
    if let Some(token) = bearer::from_header(headers)? {
        let record = crate::tokens::lookup_access_token(state, &token).ok_or_else(|| {
            OAuthError::AccessDenied("the bearer token is unknown, expired or revoked".into())
        })?;
        let client = clients::find_enabled(state, &record.client_id).map_err(denied)?;
        if !client.allow_introspection {
            return Err(OAuthError::AccessDenied(
                "the bearer token's client may not introspect".into(),
            ));
        }
        return Ok(client);
    }
    match clients::presented_credentials(headers, form)? {
        None => Err(OAuthError::InvalidRequest(
            "introspection requires client credentials or a bearer token".into(),
        )),
        Some(presented) => clients::authenticate(state, Some(presented)).map_err(denied),
    }
}

fn introspect(state: &AppState, caller: &Client, token: &str) -> Value {
    let now = state.now();
    let visible = |client_id: &str| caller.allow_introspection || caller.client_id == client_id;
    if let Some(t) = state.storage.access_tokens.get(token, now) {
        if !visible(&t.client_id) {
            return json!({"active": false});
        }
        let mut body = json!({
            "active": true,
            "scope": t.scopes.to_string(),
            "client_id": t.client_id,
            "username": t.auth.as_ref().map(|a| a.username.clone()),
            "token_type": "bearer",
            "exp": t.exp,
            "iat": t.iat,
            "sub": t.auth.as_ref().map_or(t.client_id.clone(), |a| a.sub.clone()),
            "aud": t.client_id,
            "iss": &*state.issuer,
            "acr_values": t.auth.as_ref().map(|a| a.acr.as_str()),
        });
        if let Some(jti) = &t.jti {
            body["jti"] = json!(jti);
        }
        return strip_nulls(body);
    }
    if let Some(t) = state.storage.refresh_tokens.get(token, now) {
        if !visible(&t.client_id) {
            return json!({"active": false});
        }
        return strip_nulls(json!({
            "active": true,
            "scope": t.scopes.to_string(),
            "client_id": t.client_id,
            "username": t.auth.as_ref().map(|a| a.username.clone()),
            "token_type": "refresh_token",
            "exp": t.exp,
            "sub": t.auth.as_ref().map(|a| a.sub.clone()),
            "aud": t.client_id,
            "iss": &*state.issuer,
        }));
    }
    json!({"active": false})
}

fn strip_nulls(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        map.retain(|_, v| !v.is_null());
    }
    value
}
