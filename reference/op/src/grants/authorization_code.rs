//! `grant_type=authorization_code`: single-use codes, PKCE, exact redirect URI; a replayed code
//! is refused and revokes every token issued from it.

use std::collections::HashMap;

use super::required;
use crate::clients::Client;
use crate::error::OAuthError;
use crate::id_token::{self, Accompanying};
use crate::model::UsedCode;
use crate::protocol::GrantType;
use crate::server::AppState;
use crate::tokens::{self, TokenResponse};

pub(super) fn exchange(
    state: &AppState,
    client: &Client,
    form: &HashMap<String, String>,
) -> Result<TokenResponse, OAuthError> {
    let code = required(form, "code")?;
    let now = state.now();
    let Some(record) = state.storage.codes.take(code, now) else {
        if let Some(used) = state.storage.used_codes.get(code, now) {
            let revoked = state.storage.revoke_grant(&used.grant_id);
            tracing::warn!("authorization code replayed; revoked {revoked} tokens");
            return Err(OAuthError::InvalidGrant(
                "the authorization code was already used; its tokens are revoked".into(),
            ));
        }
        return Err(OAuthError::InvalidGrant(
            "the authorization code is unknown or expired".into(),
        ));
    };
    // Remember the code until long after it would have expired, to recognise a replay.
    state.storage.used_codes.insert(
        code,
        UsedCode {
            grant_id: record.grant_id.clone(),
        },
        now.saturating_add(state.config.lifetimes.refresh_token),
    );
    if record.client_id != client.client_id {
        return Err(OAuthError::InvalidGrant(
            "the authorization code was issued to another client".into(),
        ));
    }
    match form.get("redirect_uri").filter(|v| !v.is_empty()) {
        Some(uri) if *uri != record.redirect_uri => {
            return Err(OAuthError::InvalidGrant(
                "redirect_uri differs from the authorization request".into(),
            ))
        }
        None if record.redirect_uri_in_request => {
            return Err(OAuthError::InvalidRequest(
                "redirect_uri is required: the authorization request had one".into(),
            ))
        }
        _ => {}
    }
    let verifier = form.get("code_verifier").filter(|v| !v.is_empty());
    match (&record.code_challenge, verifier) {
        (Some((challenge, method)), Some(verifier)) => {
            if !method.verify(challenge, verifier) {
                return Err(OAuthError::InvalidGrant(
                    "code_verifier does not match the code_challenge".into(),
                ));
            }
        }
        (Some(_), None) => {
            return Err(OAuthError::InvalidRequest(
                "code_verifier is required (PKCE)".into(),
            ))
        }
        (None, Some(_)) => {
            return Err(OAuthError::InvalidGrant(
                "code_verifier sent but the authorization request had no code_challenge".into(),
            ))
        }
        (None, None) => {}
    }
    let (access_token, expires_in) = tokens::issue_access_token(
        state,
        client,
        &record.grant_id,
        &record.scopes,
        Some(&record.auth),
    )?;
    let refresh_token = client.allows_grant(GrantType::RefreshToken).then(|| {
        tokens::issue_refresh_token(
            state,
            client,
            &record.grant_id,
            &record.scopes,
            Some(&record.auth),
            record.nonce.as_deref(),
        )
    });
    let id_token = if record.scopes.contains("openid") {
        Some(id_token::issue(
            state,
            client,
            &record.auth,
            record.nonce.as_deref(),
            Accompanying {
                access_token: Some(&access_token),
                code: None,
                user_claims: Some(crate::claims::released(
                    state,
                    &record.auth,
                    &crate::claims::of_grant(state, &record.grant_id).id_token,
                )),
                ..Default::default()
            },
        )?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        expires_in,
        scope: record.scopes,
        refresh_token,
        id_token,
    })
}
