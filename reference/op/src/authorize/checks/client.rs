//! `client_id` must name an enabled client that may use the authorization endpoint at all: the
//! authorization code or the implicit grant (which response types it may ask for is
//! `response_type`'s check).

use std::sync::Arc;

use super::{param, Params};
use crate::clients::Client;
use crate::protocol::GrantType;
use crate::server::AppState;

/// The client, or a message for the error page (never redirected: the client is not trusted).
pub fn check(state: &AppState, params: &Params) -> Result<Arc<Client>, String> {
    let client_id = param(params, "client_id").ok_or("the request has no client_id")?;
    let client = state
        .storage
        .clients
        .get(client_id, state.now())
        .ok_or_else(|| format!("unknown client `{client_id}`"))?;
    if client.disabled {
        return Err(format!("client `{client_id}` is disabled"));
    }
    if !client.allows_grant(GrantType::AuthorizationCode)
        && !client.allows_grant(GrantType::Implicit)
    {
        return Err(format!(
            "client `{client_id}` may use neither the authorization code nor the implicit grant"
        ));
    }
    Ok(client)
}
