//! Token revocation (RFC 7009). The client authenticates as at the token endpoint. Revoking a
//! refresh token revokes its whole grant; revoking an access token revokes just that token. A
//! token that is unknown or belongs to another client is answered with 200 and left alone.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::clients;
use crate::error::OAuthError;
use crate::server::{parse_form, AppState};

/// `POST /revoke`.
pub async fn handler(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match revoke(&state, &headers, &body).await {
        Ok(()) => (
            StatusCode::OK,
            [(axum::http::header::CACHE_CONTROL, "no-store")],
        )
            .into_response(),
        Err(err) => err.into_response(),
    }
}

async fn revoke(state: &AppState, headers: &HeaderMap, body: &Bytes) -> Result<(), OAuthError> {
    let form = parse_form(body)?;
    let client =
        clients::authenticate(state, clients::presented_credentials(headers, &form)?).await?;
    let token = form
        .get("token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::InvalidRequest("token is required".into()))?;
    let now = state.now();
    if let Some(record) = state.storage.refresh_tokens.get(token, now) {
        if record.client_id == client.client_id {
            state.storage.revoke_grant(&record.grant_id);
        }
        return Ok(());
    }
    if let Some(record) = state.storage.access_tokens.get(token, now) {
        if record.client_id == client.client_id {
            state.storage.access_tokens.remove(token);
        }
    }
    Ok(())
}
