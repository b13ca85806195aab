//! `grant_type=password` (resource owner password credentials), for clients configured with it.
//! The authentication counts as `auth_ldap_server` (password only). Wrong passwords count
//! against the user together with the login page's ([`crate::passwords`]).

use std::collections::HashMap;

use super::{requested_scopes, required};
use crate::acr::AcrMethod;
use crate::clients::Client;
use crate::error::OAuthError;
use crate::id_token::{self, Accompanying};
use crate::model::AuthContext;
use crate::passwords::{self, Outcome};
use crate::protocol::GrantType;
use crate::server::AppState;
use crate::tokens::{self, TokenResponse};
use crate::util::random_token;

pub(super) async fn exchange(
    state: &AppState,
    client: &Client,
    form: &HashMap<String, String>,
) -> Result<TokenResponse, OAuthError> {
    let username = required(form, "username")?.to_owned();
    let password = required(form, "password")?.to_owned();
    let scopes = requested_scopes(state, client, form)?;
    let (username, sub) = match passwords::check(state, &username, &password)
        .await
        .map_err(|e| OAuthError::server("password check failed", e))?
    {
        Outcome::Accepted(username, sub) => (username, sub),
        Outcome::Rejected => {
            return Err(OAuthError::InvalidGrant(
                "wrong username or password".into(),
            ))
        }
        Outcome::Locked => {
            return Err(OAuthError::InvalidGrant(
                "too many wrong passwords for this user: it is locked for a while".into(),
            ))
        }
    };
    let acr = AcrMethod::AuthLdapServer;
    let auth = AuthContext {
        sub,
        username,
        acr,
        amr: acr.amr(),
        auth_time: state.now(),
        sid: None,
    };
    let grant_id = random_token(16);
    let (access_token, expires_in) =
        tokens::issue_access_token(state, client, &grant_id, &scopes, Some(&auth))?;
    let refresh_token = client
        .allows_grant(GrantType::RefreshToken)
        .then(|| tokens::issue_refresh_token(state, client, &grant_id, &scopes, Some(&auth), None));
    let id_token = if scopes.contains("openid") {
        Some(id_token::issue(
            state,
            client,
            &auth,
            None,
            Accompanying {
                access_token: Some(&access_token),
                code: None,
                ..Default::default()
            },
        )?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        expires_in,
        scope: scopes,
        refresh_token,
        id_token,
    })
}
