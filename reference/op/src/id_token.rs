//! ID tokens (OIDC Core §2): signed with the client's `id_token_signed_response_alg` (RS256 by
//! default), with `auth_time`, `acr`, `amr` and `sid` always, `nonce` when the request had one,
//! and `at_hash`/`c_hash` when issued alongside an access token/code.

use serde::Serialize;
use serde_json::Value;

use crate::clients::Client;
use crate::error::OAuthError;
use crate::model::AuthContext;
use crate::server::AppState;
use crate::util::half_hash;

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    azp: &'a str,
    exp: i64,
    iat: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    acr: &'a str,
    amr: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    c_hash: Option<String>,
}

/// What the ID token accompanies.
#[derive(Debug, Default, Clone, Copy)]
pub struct Accompanying<'a> {
    /// Access token issued with it (`at_hash`).
    pub access_token: Option<&'a str>,
    /// Code issued with it (`c_hash`).
    pub code: Option<&'a str>,
}

/// Signs an ID token for `client` about `auth`.
pub fn issue(
    state: &AppState,
    client: &Client,
    auth: &AuthContext,
    nonce: Option<&str>,
    with: Accompanying<'_>,
) -> Result<String, OAuthError> {
    let now = state.now();
    let claims = Claims {
        iss: &state.issuer,
        sub: &auth.sub,
        aud: &client.client_id,
        azp: &client.client_id,
        exp: now.saturating_add(state.config.lifetimes.id_token),
        iat: now,
        auth_time: auth.auth_time,
        nonce,
        acr: auth.acr.as_str(),
        amr: &auth.amr,
        sid: auth.sid.as_deref(),
        at_hash: with.access_token.map(half_hash),
        c_hash: with.code.map(half_hash),
    };
    state
        .keys
        .sign(client.id_token_signed_response_alg, "JWT", &claims)
        .map_err(|e| OAuthError::server("ID token signing failed", e))
}

/// Whether the `aud` claim (string or array) contains `client_id`.
pub fn audience_contains(claims: &Value, client_id: &str) -> bool {
    match &claims["aud"] {
        Value::String(aud) => aud == client_id,
        Value::Array(auds) => auds.iter().any(|a| a.as_str() == Some(client_id)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn audience_forms() {
        assert!(audience_contains(&json!({"aud": "a"}), "a"));
        assert!(audience_contains(&json!({"aud": ["b", "a"]}), "a"));
        assert!(!audience_contains(&json!({"aud": ["b"]}), "a"));
        assert!(!audience_contains(&json!({}), "a"));
    }
}
