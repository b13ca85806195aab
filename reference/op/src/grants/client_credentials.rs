//! `grant_type=client_credentials`: confidential clients only; spontaneous scopes apply; no
//! refresh token and no ID token.

use std::collections::HashMap;

use super::requested_scopes;
use crate::clients::Client;
use crate::error::OAuthError;
use crate::server::AppState;
use crate::tokens::{self, TokenResponse};
use crate::util::random_token;

pub(super) fn exchange(
    state: &AppState,
    client: &Client,
    form: &HashMap<String, String>,
) -> Result<TokenResponse, OAuthError> {
    if client.is_public() {
        return Err(OAuthError::UnauthorizedClient(
            "public clients cannot use client_credentials".into(),
        ));
    }
    let mut scopes = requested_scopes(state, client, form)?;
    // There is no user: identity scopes mean nothing here.
    scopes.remove("openid");
    scopes.remove("offline_access");
    let (access_token, expires_in) =
        tokens::issue_access_token(state, client, &random_token(16), &scopes, None)?;
    Ok(TokenResponse {
        access_token,
        expires_in,
        scope: scopes,
        refresh_token: None,
        id_token: None,
    })
}
