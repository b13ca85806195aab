//! `get-jwks`: the OP's current key set, fetched fresh so a caller that met an unknown `kid`
//! sees a rotation at once (callers rate-limit their refreshes).

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use crate::error::OxdError;
use crate::protection::Protected;
use crate::provider::{chain, excerpt};
use crate::request::Command;
use crate::server::AppState;

/// `get-jwks` request.
#[derive(Debug, Deserialize)]
pub struct GetJwks {
    op_host: Option<String>,
}

/// `POST /get-jwks` (protected) → `{"keys":[...]}` as the OP publishes them (x5c etc. kept).
pub async fn get_jwks(
    State(app): State<AppState>,
    protected: Protected,
    Command(req): Command<GetJwks>,
) -> Result<Json<Value>, OxdError> {
    protected.require_known()?;
    let op_host = app.op_host(req.op_host)?;
    let metadata = app.providers.metadata(&op_host).await?;
    let jwks_uri = metadata.jwks_uri().url().clone();
    let response = app
        .providers
        .http()
        .get(jwks_uri.clone())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| {
            OxdError::Op(format!(
                "OP {op_host} JWKS {jwks_uri} unreachable or too slow: {}",
                chain(&e)
            ))
        })?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| OxdError::Op(format!("OP {op_host} JWKS read failed: {}", chain(&e))))?;
    if !status.is_success() {
        return Err(OxdError::Op(format!(
            "OP {op_host} JWKS answered {status}: {}",
            excerpt(&body)
        )));
    }
    let jwks: Value = serde_json::from_slice(&body)
        .map_err(|e| OxdError::Op(format!("OP {op_host} JWKS is not JSON: {e}")))?;
    if !jwks.get("keys").is_some_and(Value::is_array) {
        return Err(OxdError::Op(format!(
            "OP {op_host} JWKS has no \"keys\" array"
        )));
    }
    Ok(Json(jwks))
}
