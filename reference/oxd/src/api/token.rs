//! `get-client-token` (client credentials grant; also how callers obtain protection tokens) and
//! `get-access-token-by-refresh-token`.

use std::time::Duration;

use axum::extract::State;
use axum::Json;
use openidconnect::{OAuth2TokenResponse, RefreshToken, Scope};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::OxdError;
use crate::protection::Protected;
use crate::provider::{token_error, Providers, TokenResponse};
use crate::request::{required, without_nulls, Command, StringList};
use crate::server::{App, AppState};

/// Lifetime assumed for a protection token when the OP states none.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(300);

/// `get-client-token` request.
#[derive(Debug, Deserialize)]
pub struct GetClientToken {
    client_id: Option<String>,
    client_secret: Option<String>,
    op_host: Option<String>,
    scope: Option<StringList>,
}

/// `POST /get-client-token` → `access_token, expires_in, refresh_token?, scope[]`.
pub async fn get_client_token(
    State(app): State<AppState>,
    Command(req): Command<GetClientToken>,
) -> Result<Json<Value>, OxdError> {
    let client_id = required(req.client_id, "client_id")?;
    let client_secret = required(req.client_secret, "client_secret")?;
    let op_host = app.op_host(req.op_host)?;
    let scopes = req.scope.map(StringList::into_vec).unwrap_or_default();
    let metadata = app.providers.metadata(&op_host).await?;
    let client = Providers::client(&metadata, &client_id, &client_secret);
    let mut request = client
        .exchange_client_credentials()
        .map_err(|e| OxdError::Op(format!("OP {op_host}: {e}")))?;
    for scope in &scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let response = request
        .request_async(app.providers.http())
        .await
        .map_err(|e| token_error("token", e))?;
    Ok(Json(token_json(
        &app, &response, &scopes, &client_id, &op_host,
    )))
}

/// `get-access-token-by-refresh-token` request.
#[derive(Debug, Deserialize)]
pub struct GetAccessTokenByRefreshToken {
    oxd_id: Option<String>,
    refresh_token: Option<String>,
    scope: Option<StringList>,
}

/// `POST /get-access-token-by-refresh-token` (protected) → the new tokens.
pub async fn get_access_token_by_refresh_token(
    State(app): State<AppState>,
    protected: Protected,
    Command(req): Command<GetAccessTokenByRefreshToken>,
) -> Result<Json<Value>, OxdError> {
    let site = app.site(req.oxd_id)?;
    protected.allows(&app, &site).await?;
    let refresh_token = required(req.refresh_token, "refresh_token")?;
    let scopes = req.scope.map(StringList::into_vec).unwrap_or_default();
    let metadata = app.providers.metadata(&site.op_host).await?;
    let client = Providers::client(&metadata, &site.client_id, &site.client_secret);
    let refresh_token = RefreshToken::new(refresh_token);
    let mut request = client
        .exchange_refresh_token(&refresh_token)
        .map_err(|e| OxdError::Op(format!("OP {}: {e}", site.op_host)))?;
    for scope in &scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let response = request
        .request_async(app.providers.http())
        .await
        .map_err(|e| token_error("token", e))?;
    Ok(Json(token_json(
        &app,
        &response,
        &scopes,
        &site.client_id,
        &site.op_host,
    )))
}

/// oxd's token answer; a token granted the protection scope is remembered as protection token.
fn token_json(
    app: &App,
    response: &TokenResponse,
    requested: &[String],
    client_id: &str,
    op_host: &str,
) -> Value {
    // RFC 6749 §5.1: an omitted scope means the requested one.
    let granted: Vec<String> = match response.scopes() {
        Some(s) => s.iter().map(|s| s.as_str().to_owned()).collect(),
        None => requested.to_vec(),
    };
    let lifetime = response.expires_in();
    if granted.contains(&app.config.protection_scope) {
        app.protection.remember(
            response.access_token().secret(),
            client_id,
            op_host,
            lifetime.unwrap_or(DEFAULT_TOKEN_LIFETIME),
        );
    }
    let mut body = json!({
        "access_token": response.access_token().secret(),
        "token_type": response.token_type().as_ref(),
        "expires_in": lifetime.map(|d| d.as_secs()),
        "refresh_token": response.refresh_token().map(|t| t.secret()),
        "scope": granted,
    });
    if let Some(id_token) = openidconnect::TokenResponse::id_token(response) {
        body["id_token"] = json!(id_token.to_string());
    }
    without_nulls(body)
}
