//! `get-user-info`: the OP's userinfo claims for an access token.

use axum::extract::State;
use axum::Json;
use openidconnect::core::CoreGenderClaim;
use openidconnect::{AccessToken, UserInfoClaims, UserInfoError};
use serde::Deserialize;
use serde_json::Value;

use crate::error::OxdError;
use crate::protection::Protected;
use crate::provider::{chain, excerpt, OtherClaims, Providers};
use crate::request::{required, Command};
use crate::server::AppState;

/// `get-user-info` request.
#[derive(Debug, Deserialize)]
pub struct GetUserInfo {
    oxd_id: Option<String>,
    access_token: Option<String>,
}

/// `POST /get-user-info` (protected) → the claims object (`sub`, `name`, `email`, ...).
pub async fn get_user_info(
    State(app): State<AppState>,
    protected: Protected,
    Command(req): Command<GetUserInfo>,
) -> Result<Json<Value>, OxdError> {
    let site = app.site(req.oxd_id)?;
    protected.allows(&app, &site).await?;
    let token = AccessToken::new(required(req.access_token, "access_token")?);
    let metadata = app.providers.metadata(&site.op_host).await?;
    let client = Providers::client(&metadata, &site.client_id, &site.client_secret);
    let request = client.user_info(token, None).map_err(|_| {
        OxdError::Op(format!(
            "OP {} publishes no userinfo_endpoint",
            site.op_host
        ))
    })?;
    let claims: UserInfoClaims<OtherClaims, CoreGenderClaim> = request
        .request_async(app.providers.http())
        .await
        .map_err(userinfo_error)?;
    serde_json::to_value(&claims)
        .map(Json)
        .map_err(|e| OxdError::Op(format!("cannot encode userinfo claims: {e}")))
}

fn userinfo_error<RE: std::error::Error + 'static>(e: UserInfoError<RE>) -> OxdError {
    match e {
        // 401/403: the OP refused the caller's access token (RFC 6750) — the caller's mistake.
        UserInfoError::Response(status, body, _)
            if status.as_u16() == 401 || status.as_u16() == 403 =>
        {
            OxdError::OpRejected {
                code: "invalid_token".into(),
                description: format!(
                    "OP userinfo endpoint refused the access token ({status}): {}",
                    excerpt(&body)
                ),
            }
        }
        UserInfoError::Response(status, body, _) => OxdError::Op(format!(
            "OP userinfo endpoint answered {status}: {}",
            excerpt(&body)
        )),
        UserInfoError::Request(inner) => OxdError::Op(format!(
            "OP userinfo endpoint unreachable or too slow: {}",
            chain(&inner)
        )),
        other => OxdError::Op(format!("OP userinfo failed: {}", chain(&other))),
    }
}
