//! `get-logout-uri`: the OP's RP-initiated logout URL.

use std::str::FromStr;

use axum::extract::State;
use axum::Json;
use openidconnect::{CsrfToken, LogoutRequest, PostLogoutRedirectUrl};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::OxdError;
use crate::protection::Protected;
use crate::provider::IdToken;
use crate::request::Command;
use crate::server::AppState;

/// `get-logout-uri` request.
#[derive(Debug, Deserialize)]
pub struct GetLogoutUri {
    oxd_id: Option<String>,
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    session_state: Option<String>,
}

/// `POST /get-logout-uri` (protected) → `uri`.
pub async fn get_logout_uri(
    State(app): State<AppState>,
    protected: Protected,
    Command(req): Command<GetLogoutUri>,
) -> Result<Json<Value>, OxdError> {
    let site = app.site(req.oxd_id)?;
    protected.allows(&app, &site).await?;
    let hint =
        match req.id_token_hint.filter(|s| !s.trim().is_empty()) {
            Some(h) => Some(IdToken::from_str(h.trim()).map_err(|e| {
                OxdError::invalid("id_token_hint", format!("not a JWT ID token: {e}"))
            })?),
            None => None,
        };
    let post_logout = match req.post_logout_redirect_uri.filter(|s| !s.is_empty()) {
        Some(uri) => {
            // When the site registered post-logout URIs, only those are allowed (exact match);
            // otherwise the OP's own registration check decides.
            if !site.post_logout_redirect_uris.is_empty()
                && !site.post_logout_redirect_uris.contains(&uri)
            {
                return Err(OxdError::invalid(
                    "post_logout_redirect_uri",
                    format!("{uri:?} is not one of the site's post_logout_redirect_uris"),
                ));
            }
            Some(uri)
        }
        None => site.post_logout_redirect_uris.first().cloned(),
    };
    let metadata = app.providers.metadata(&site.op_host).await?;
    let endpoint = metadata
        .additional_metadata()
        .end_session_endpoint
        .clone()
        .ok_or_else(|| {
            OxdError::Op(format!(
                "OP {} publishes no end_session_endpoint",
                site.op_host
            ))
        })?;
    let mut request = LogoutRequest::from(endpoint);
    if let Some(hint) = &hint {
        request = request.set_id_token_hint(hint);
    }
    if let Some(uri) = post_logout {
        let url = PostLogoutRedirectUrl::new(uri)
            .map_err(|e| OxdError::invalid("post_logout_redirect_uri", e.to_string()))?;
        request = request.set_post_logout_redirect_uri(url);
    }
    if let Some(state) = req.state.filter(|s| !s.is_empty()) {
        request = request.set_state(CsrfToken::new(state));
    }
    let mut url = request.http_get_url();
    if let Some(session_state) = req.session_state.filter(|s| !s.is_empty()) {
        url.query_pairs_mut()
            .append_pair("session_state", &session_state);
    }
    Ok(Json(json!({ "uri": url.as_str() })))
}
