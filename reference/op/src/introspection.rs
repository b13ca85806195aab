//! Token introspection (RFC 7662) at `/oxauth/restv1/introspection`, GET or POST.
//!
//! The caller authenticates with client credentials (Basic or form) or with
//! `Authorization: Bearer <access token>` (the caller is then that token's client). A caller
//! sees a token as active only when it may serve it: the token was issued to the caller, or its
//! `aud` names the caller or one of the caller's `resource_servers`, or the caller is configured
//! with `introspect_any_token` (a gateway that serves every client's tokens). Any other token
//! reads `{"active": false}`, exactly like an unknown, expired or revoked one, so a caller learns
//! nothing about other clients' tokens.
//!
//! `introspection.any_token: bearer` restores Gluu 4.2's rule: a caller presenting any valid
//! access token as Bearer (carrying `introspection.bearer_scope` when set; Gluu's
//! `introspectionAccessTokenMustHaveUmaProtectionScope` means `uma_protection`) may introspect
//! every token. `any_token: authenticated` lets every authenticated caller do so (the Gluu
//! Gateway tutorials' stacks, whose gateway client is registered dynamically).
//!
//! Errors follow Gluu: no caller authentication or no `token` → 400 `invalid_request`; bad
//! caller credentials (or a bearer token without `bearer_scope`) → 401 `access_denied`.
//! Fields: `active, scope, client_id, username, token_type, exp, iat, sub, aud, iss, jti,
//! acr_values`, then the client's extra access-token claims (`token_claims`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::bearer;
use crate::clients::{self, Client};
use crate::config::AnyTokenCallers;
use crate::error::OAuthError;
use crate::server::{parse_form, AppState};
use crate::tokens::audience_value;

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
    .await
}

/// `POST /introspection` (form).
pub async fn post_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(&state, &headers, parse_form(&body)).await
}

async fn respond(
    state: &AppState,
    headers: &HeaderMap,
    form: Result<HashMap<String, String>, OAuthError>,
) -> Response {
    let result = async {
        let form = form?;
        let caller = caller(state, headers, &form).await?;
        let token = form
            .get("token")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| OAuthError::InvalidRequest("token is required".into()))?;
        Ok(introspect(state, &caller, token))
    }
    .await;
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

/// Who is asking, and whether Gluu's bearer rule lets it see every token.
struct Caller {
    client: Arc<Client>,
    sees_every_token: bool,
}

impl Caller {
    /// Whether the caller may learn about a token of `client_id` for `audience`.
    fn may_see(&self, client_id: &str, audience: &[String]) -> bool {
        let c = &self.client;
        self.sees_every_token
            || c.introspect_any_token
            || c.client_id == client_id
            || audience
                .iter()
                .any(|a| *a == c.client_id || c.resource_servers.contains(a))
    }
}

async fn caller(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Caller, OAuthError> {
    let denied = |e: OAuthError| OAuthError::AccessDenied(e.description());
    let policy = &state.config.introspection;
    if let Some(token) = bearer::from_header(headers)? {
        let record = crate::tokens::lookup_access_token(state, &token).ok_or_else(|| {
            OAuthError::AccessDenied("the bearer token is unknown, expired or revoked".into())
        })?;
        if let Some(scope) = &policy.bearer_scope {
            if !record.scopes.contains(scope) {
                return Err(OAuthError::AccessDenied(format!(
                    "the bearer token lacks the `{scope}` scope"
                )));
            }
        }
        let client = clients::find_enabled(state, &record.client_id).map_err(denied)?;
        return Ok(Caller {
            client,
            sees_every_token: policy.any_token != AnyTokenCallers::None,
        });
    }
    match clients::presented_credentials(headers, form)? {
        None => Err(OAuthError::InvalidRequest(
            "introspection requires client credentials or a bearer token".into(),
        )),
        Some(presented) => Ok(Caller {
            client: clients::authenticate(state, Some(presented))
                .await
                .map_err(denied)?,
            sees_every_token: policy.any_token == AnyTokenCallers::Authenticated,
        }),
    }
}

fn introspect(state: &AppState, caller: &Caller, token: &str) -> Value {
    let now = state.now();
    if let Some(t) = state.storage.access_tokens.get(token, now) {
        if !caller.may_see(&t.client_id, &t.audience) {
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
            "sub": t.auth.as_ref().map_or(t.client_id.clone(), |a| {
                crate::subjects::subject_for_client_id(state, &t.client_id, &a.sub)
            }),
            "aud": audience_value(&t.audience),
            "iss": &*state.issuer,
            "acr_values": t.auth.as_ref().map(|a| a.acr.as_str()),
        });
        if let Some(jti) = &t.jti {
            body["jti"] = json!(jti);
        }
        if let Some(auth) = &t.auth {
            body["preferred_username"] = json!(auth.username);
        }
        // The token's client decides its fixed claims, as in its JWT form.
        if let Ok(owner) = clients::find_enabled(state, &t.client_id) {
            for (k, v) in &owner.access_token_claims {
                body[k.as_str()] = v.clone();
            }
        }
        return strip_nulls(body);
    }
    if let Some(t) = state.storage.refresh_tokens.get(token, now) {
        if !caller.may_see(&t.client_id, std::slice::from_ref(&t.client_id)) {
            return json!({"active": false});
        }
        return strip_nulls(json!({
            "active": true,
            "scope": t.scopes.to_string(),
            "client_id": t.client_id,
            "username": t.auth.as_ref().map(|a| a.username.clone()),
            "token_type": "refresh_token",
            "exp": t.exp,
            "sub": t.auth.as_ref().map(|a| {
                crate::subjects::subject_for_client_id(state, &t.client_id, &a.sub)
            }),
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
