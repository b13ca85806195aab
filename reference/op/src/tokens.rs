//! Access and refresh tokens: issuance, lookup and the token endpoint response.
//!
//! Access tokens are opaque random strings unless the client has `access_token_as_jwt`; then they
//! are JWTs (header `typ: JWT`, claims `iss`, `aud`, `sub`, `client_id`, `scope` (space-separated),
//! `token_type`, `exp`, `iat`, `jti`, `username` and `preferred_username` for user tokens, and the
//! client's `access_token_claims`) signed with the client's
//! `access_token_signing_alg`. Both kinds are stored server-side, so introspection and revocation
//! work for either.

use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use crate::clients::Client;
use crate::error::OAuthError;
use crate::model::{AccessTokenRecord, AuthContext, RefreshTokenRecord};
use crate::scopes::ScopeSet;
use crate::server::AppState;
use crate::util::random_token;

#[derive(Serialize)]
struct JwtClaims<'a> {
    iss: &'a str,
    aud: serde_json::Value,
    sub: &'a str,
    client_id: &'a str,
    scope: String,
    token_type: &'static str,
    exp: i64,
    iat: i64,
    jti: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    /// Keycloak's name for the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_username: Option<&'a str>,
    #[serde(flatten)]
    fixed: &'a serde_json::Map<String, serde_json::Value>,
}

/// `aud` as Gluu writes it: the client id alone as a string, several audiences as an array.
pub fn audience_value(audience: &[String]) -> serde_json::Value {
    match audience {
        [one] => json!(one),
        many => json!(many),
    }
}

/// Issues (and stores) an access token; returns it with its lifetime.
pub fn issue_access_token(
    state: &AppState,
    client: &Client,
    grant_id: &str,
    scopes: &ScopeSet,
    auth: Option<&AuthContext>,
) -> Result<(String, i64), OAuthError> {
    let now = state.now();
    let lifetime = state.config.lifetimes.access_token;
    let exp = now.saturating_add(lifetime);
    let (token, jti) = if client.access_token_as_jwt {
        let jti = random_token(16);
        let sub = auth.map_or_else(
            || client.client_id.clone(),
            |a| crate::subjects::subject_for(state, client, &a.sub),
        );
        let claims = JwtClaims {
            iss: &state.issuer,
            aud: audience_value(&client.audience()),
            sub: &sub,
            client_id: &client.client_id,
            scope: scopes.to_string(),
            token_type: "bearer",
            exp,
            iat: now,
            jti: &jti,
            username: auth.map(|a| a.username.as_str()),
            preferred_username: auth.map(|a| a.username.as_str()),
            fixed: &client.access_token_claims,
        };
        let jwt = state
            .keys
            .sign(client.access_token_signing_alg, "JWT", &claims)
            .map_err(|e| OAuthError::server("access token signing failed", e))?;
        (jwt, Some(jti))
    } else {
        (random_token(32), None)
    };
    state.storage.access_tokens.insert(
        &token,
        Arc::new(AccessTokenRecord {
            grant_id: grant_id.to_owned(),
            client_id: client.client_id.clone(),
            scopes: scopes.clone(),
            audience: client.audience(),
            auth: auth.cloned(),
            iat: now,
            exp,
            jti,
        }),
        exp,
    );
    Ok((token, lifetime))
}

/// Issues (and stores) a refresh token.
pub fn issue_refresh_token(
    state: &AppState,
    client: &Client,
    grant_id: &str,
    scopes: &ScopeSet,
    auth: Option<&AuthContext>,
    nonce: Option<&str>,
) -> String {
    let token = random_token(32);
    let exp = state
        .now()
        .saturating_add(state.config.lifetimes.refresh_token);
    state.storage.refresh_tokens.insert(
        &token,
        RefreshTokenRecord {
            grant_id: grant_id.to_owned(),
            client_id: client.client_id.clone(),
            scopes: scopes.clone(),
            auth: auth.cloned(),
            nonce: nonce.map(str::to_owned),
            exp,
        },
        exp,
    );
    token
}

/// A live access token.
pub fn lookup_access_token(state: &AppState, token: &str) -> Option<Arc<AccessTokenRecord>> {
    state.storage.access_tokens.get(token, state.now())
}

/// Fields of a successful token response.
#[derive(Debug, Default)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// Its lifetime.
    pub expires_in: i64,
    /// Granted scopes.
    pub scope: ScopeSet,
    /// Refresh token, if issued.
    pub refresh_token: Option<String>,
    /// ID token, if `openid` was granted to a user.
    pub id_token: Option<String>,
}

impl IntoResponse for TokenResponse {
    fn into_response(self) -> Response {
        let mut body = json!({
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope.to_string(),
        });
        if let Some(rt) = self.refresh_token {
            body["refresh_token"] = json!(rt);
        }
        if let Some(id) = self.id_token {
            body["id_token"] = json!(id);
        }
        let mut response = axum::Json(body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        response
    }
}
