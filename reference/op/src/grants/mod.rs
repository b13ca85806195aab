//! The token endpoint (`POST /oxauth/restv1/token`): client authentication, then one module per
//! grant type. Responses carry `Cache-Control: no-store`; errors are RFC 6749 §5.2 JSON.

mod authorization_code;
mod client_credentials;
mod password;
mod refresh_token;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::clients::{self, Client};
use crate::error::OAuthError;
use crate::protocol::GrantType;
use crate::scopes::{self, ScopeSet};
use crate::server::{parse_form, AppState};
use crate::tokens::TokenResponse;

/// `POST /token`.
pub async fn handler(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match token(&state, &headers, &body).await {
        Ok(response) => response.into_response(),
        Err(err) => err.into_response(),
    }
}

async fn token(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<TokenResponse, OAuthError> {
    let form = parse_form(body)?;
    let grant_type = required(&form, "grant_type")?;
    let presented = clients::presented_credentials(headers, &form)?;
    let client = clients::authenticate(state, presented).await?;
    // The implicit grant has no token request (RFC 6749 §4.2).
    let grant = GrantType::parse(grant_type)
        .filter(|g| *g != GrantType::Implicit)
        .ok_or_else(|| {
            OAuthError::UnsupportedGrantType(format!("grant_type `{grant_type}` is not supported"))
        })?;
    if !client.allows_grant(grant) {
        return Err(OAuthError::UnauthorizedClient(format!(
            "client `{}` may not use the {} grant",
            client.client_id,
            grant.as_str()
        )));
    }
    match grant {
        GrantType::AuthorizationCode => authorization_code::exchange(state, &client, &form),
        GrantType::RefreshToken => refresh_token::exchange(state, &client, &form),
        GrantType::ClientCredentials => client_credentials::exchange(state, &client, &form),
        GrantType::Password => password::exchange(state, &client, &form).await,
        GrantType::Implicit => Err(OAuthError::UnsupportedGrantType(
            "the implicit grant is used at the authorization endpoint, not the token endpoint"
                .into(),
        )),
    }
}

/// A required, non-empty form parameter.
fn required<'a>(form: &'a HashMap<String, String>, name: &str) -> Result<&'a str, OAuthError> {
    form.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::InvalidRequest(format!("{name} is required")))
}

/// Scopes for client_credentials/password: the requested ones through the client's scope policy
/// (spontaneous scopes included), or all of the client's scopes when none are requested.
fn requested_scopes(
    state: &AppState,
    client: &Client,
    form: &HashMap<String, String>,
) -> Result<ScopeSet, OAuthError> {
    let requested = ScopeSet::parse(form.get("scope").map(String::as_str).unwrap_or_default());
    if requested.is_empty() {
        return Ok(client.scopes.clone());
    }
    let mut granted = scopes::grant(
        client,
        &requested,
        &state.storage,
        state.now(),
        state.config.lifetimes.spontaneous_scope,
    );
    if granted.is_empty() {
        return Err(OAuthError::InvalidScope(format!(
            "none of the requested scopes (`{requested}`) is allowed for this client"
        )));
    }
    for scope in client.default_scopes.iter() {
        granted.insert(scope);
    }
    Ok(granted)
}
