//! `id_token_hint`: must be an ID token this OP signed for this client; yields its subject.

use super::{param, Params};
use crate::clients::Client;
use crate::error::OAuthError;
use crate::server::AppState;

/// The hinted subject.
pub fn check(
    state: &AppState,
    client: &Client,
    params: &Params,
) -> Result<Option<String>, OAuthError> {
    let Some(hint) = param(params, "id_token_hint") else {
        return Ok(None);
    };
    let claims = state
        .keys
        .verify(hint, &state.issuer)
        .map_err(|e| OAuthError::InvalidRequest(format!("id_token_hint: {e}")))?;
    if !crate::id_token::audience_contains(&claims, &client.client_id) {
        return Err(OAuthError::InvalidRequest(
            "id_token_hint was not issued to this client".into(),
        ));
    }
    claims["sub"]
        .as_str()
        .map(|s| Some(s.to_owned()))
        .ok_or_else(|| OAuthError::InvalidRequest("id_token_hint has no sub".into()))
}
