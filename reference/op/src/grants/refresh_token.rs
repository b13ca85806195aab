//! `grant_type=refresh_token`: rotation (the old refresh token dies, a new one is issued), scope
//! narrowing only, and replay of a rotated token revokes the whole grant.

use std::collections::HashMap;

use super::required;
use crate::clients::Client;
use crate::error::OAuthError;
use crate::id_token::{self, Accompanying};
use crate::scopes::ScopeSet;
use crate::server::AppState;
use crate::tokens::{self, TokenResponse};

pub(super) fn exchange(
    state: &AppState,
    client: &Client,
    form: &HashMap<String, String>,
) -> Result<TokenResponse, OAuthError> {
    let presented = required(form, "refresh_token")?;
    let now = state.now();
    let Some(record) = state.storage.refresh_tokens.get(presented, now) else {
        if let Some(grant_id) = state.storage.used_refresh_tokens.get(presented, now) {
            let revoked = state.storage.revoke_grant(&grant_id);
            tracing::warn!("rotated refresh token replayed; revoked {revoked} tokens");
            return Err(OAuthError::InvalidGrant(
                "the refresh token was already used; the grant is revoked".into(),
            ));
        }
        return Err(OAuthError::InvalidGrant(
            "the refresh token is unknown, expired or revoked".into(),
        ));
    };
    if record.client_id != client.client_id {
        return Err(OAuthError::InvalidGrant(
            "the refresh token was issued to another client".into(),
        ));
    }
    let scopes = match form.get("scope").filter(|s| !s.is_empty()) {
        Some(requested) => {
            let requested = ScopeSet::parse(requested);
            if !requested.is_subset_of(&record.scopes) {
                return Err(OAuthError::InvalidScope(
                    "a refresh may not add scopes to the grant".into(),
                ));
            }
            requested
        }
        None => record.scopes.clone(),
    };
    if state.storage.refresh_tokens.take(presented, now).is_none() {
        // Lost a race with a concurrent refresh of the same token.
        return Err(OAuthError::InvalidGrant(
            "the refresh token was already used".into(),
        ));
    }
    state
        .storage
        .used_refresh_tokens
        .insert(presented, record.grant_id.clone(), record.exp);
    let auth = record.auth.as_ref();
    let (access_token, expires_in) =
        tokens::issue_access_token(state, client, &record.grant_id, &scopes, auth)?;
    let refresh_token = tokens::issue_refresh_token(
        state,
        client,
        &record.grant_id,
        &record.scopes,
        auth,
        record.nonce.as_deref(),
    );
    let id_token = match auth {
        Some(auth) if scopes.contains("openid") => Some(id_token::issue(
            state,
            client,
            auth,
            None,
            Accompanying {
                access_token: Some(&access_token),
                code: None,
                user_claims: Some(crate::claims::released(
                    state,
                    auth,
                    &crate::claims::of_grant(state, &record.grant_id).id_token,
                )),
                ..Default::default()
            },
        )?),
        _ => None,
    };
    Ok(TokenResponse {
        access_token,
        expires_in,
        scope: scopes,
        refresh_token: Some(refresh_token),
        id_token,
    })
}
