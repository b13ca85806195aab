//! `id_token_hint`: must be an ID token this OP issued to this client (not a JWT access token;
//! [`crate::id_token::verify_hint`]); yields its subject.

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
    let hint = crate::id_token::verify_hint(state, hint)
        .map_err(|e| OAuthError::InvalidRequest(format!("id_token_hint: {e}")))?;
    if hint.client_id != client.client_id {
        return Err(OAuthError::InvalidRequest(
            "id_token_hint was not issued to this client".into(),
        ));
    }
    Ok(Some(hint.sub))
}
