//! `scope`: the client's scope policy (including spontaneous scopes) filters the request;
//! unknown scopes are dropped silently. Nothing left is `invalid_scope`.

use super::{param, Params};
use crate::clients::Client;
use crate::error::OAuthError;
use crate::scopes::{self, ScopeSet};
use crate::server::AppState;

/// The granted scopes.
pub fn check(state: &AppState, client: &Client, params: &Params) -> Result<ScopeSet, OAuthError> {
    let requested = ScopeSet::parse(param(params, "scope").unwrap_or_default());
    if requested.is_empty() {
        return Err(OAuthError::InvalidScope("scope is required".into()));
    }
    let granted = scopes::grant(
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
    Ok(granted)
}
