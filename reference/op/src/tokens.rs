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

use crate::clients::Client;
use crate::error::OAuthError;
use crate::model::{AccessTokenRecord, AuthContext, RefreshTokenRecord};
use crate::scopes::{ScopeSet, Spaced};
use crate::server::AppState;
use crate::util::random_token;

#[derive(Serialize)]
struct JwtClaims<'a> {
    iss: &'a str,
    aud: Audience<'a>,
    sub: &'a str,
    client_id: &'a str,
    scope: Spaced<'a>,
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
/// Serialized from the borrowed list, without building a JSON value.
#[derive(Debug, Clone, Copy)]
pub struct Audience<'a>(pub &'a [String]);

impl Serialize for Audience<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            [one] => serializer.serialize_str(one),
            many => serializer.collect_seq(many),
        }
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
    let audience = client.audience();
    let (token, jti) = if client.access_token_as_jwt {
        let jti = random_token(16);
        let sub = auth.map_or_else(
            || client.client_id.clone(),
            |a| crate::subjects::subject_for(state, client, &a.sub),
        );
        let claims = JwtClaims {
            iss: &state.issuer,
            aud: Audience(&audience),
            sub: &sub,
            client_id: &client.client_id,
            scope: Spaced(scopes),
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
            audience,
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

/// The JSON of a [`TokenResponse`] (RFC 6749 §5.1), borrowed from it and written straight to
/// bytes.
#[derive(Serialize)]
struct TokenResponseBody<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: i64,
    scope: Spaced<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<&'a str>,
}

impl TokenResponse {
    /// The response body.
    fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        let body = TokenResponseBody {
            access_token: &self.access_token,
            token_type: "Bearer",
            expires_in: self.expires_in,
            scope: Spaced(&self.scope),
            refresh_token: self.refresh_token.as_deref(),
            id_token: self.id_token.as_deref(),
        };
        // An opaque token's response is some 130 bytes; with an ID token it grows once.
        let mut out = Vec::with_capacity(256);
        serde_json::to_writer(&mut out, &body)?;
        Ok(out)
    }
}

impl IntoResponse for TokenResponse {
    fn into_response(self) -> Response {
        let body = match self.to_json() {
            Ok(body) => body,
            Err(e) => return OAuthError::server("token response", e).into_response(),
        };
        (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                (header::PRAGMA, HeaderValue::from_static("no-cache")),
            ],
            body,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn the_token_response_is_rfc_6749_json_in_gluus_order() {
        let mut response = TokenResponse {
            access_token: "at".into(),
            expires_in: 300,
            scope: ScopeSet::parse("openid read"),
            refresh_token: None,
            id_token: None,
        };
        assert_eq!(
            String::from_utf8(response.to_json().unwrap()).unwrap(),
            r#"{"access_token":"at","token_type":"Bearer","expires_in":300,"scope":"openid read"}"#
        );
        response.refresh_token = Some("rt".into());
        response.id_token = Some("a.b.c".into());
        response.scope = ScopeSet::default();
        let body: Value = serde_json::from_slice(&response.to_json().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"access_token": "at", "token_type": "Bearer", "expires_in": 300,
                   "scope": "", "refresh_token": "rt", "id_token": "a.b.c"})
        );
    }

    #[test]
    fn one_audience_is_a_string_several_an_array() {
        let one = ["api".to_owned()];
        let many = ["api".to_owned(), "rs".to_owned()];
        assert_eq!(serde_json::to_value(Audience(&one)).unwrap(), json!("api"));
        assert_eq!(
            serde_json::to_value(Audience(&many)).unwrap(),
            json!(["api", "rs"])
        );
    }
}
