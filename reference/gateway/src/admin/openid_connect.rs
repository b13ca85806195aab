//! The `openid-connect` plugin's own Admin API endpoints, as Kong documents them
//! (<https://developer.konghq.com/plugins/openid-connect/>, `docs/kong.md`):
//! `GET`/`DELETE /openid-connect/issuers[/{id or issuer}]` show and forget the discovery cache
//! of the running instances (see [`crate::plugins::openid_connect::issuers`]);
//! `GET /openid-connect/jwks` is the gateway's own public key set (`private_key_jwt`).

use axum::extract::{Path, State as AxumState};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::Shared;
use crate::error::AdminError;

/// `GET /openid-connect/issuers`: Kong's paged list (one page: the issuers are few).
pub(super) async fn list(AxumState(gw): Shared) -> Json<Value> {
    let mut data = Vec::new();
    for issuer in gw.env.issuers.list() {
        data.push(issuer.row().await);
    }
    Json(json!({"data": data, "next": null}))
}

/// `GET /openid-connect/issuers/{id or issuer}` (an issuer URL percent-encoded).
pub(super) async fn one(
    AxumState(gw): Shared,
    Path(key): Path<String>,
) -> Result<Json<Value>, AdminError> {
    let issuer = gw.env.issuers.find(&key).ok_or(AdminError::NotFound)?;
    Ok(Json(issuer.row().await))
}

/// `DELETE /openid-connect/issuers`: every cached document and key set is dropped; the next
/// request of each instance discovers again.
pub(super) async fn forget_all(AxumState(gw): Shared) -> StatusCode {
    for issuer in gw.env.issuers.list() {
        issuer.forget().await;
    }
    StatusCode::NO_CONTENT
}

/// `DELETE /openid-connect/issuers/{id or issuer}`: 204 whether or not it was cached, as Kong's
/// deletes are.
pub(super) async fn forget(AxumState(gw): Shared, Path(key): Path<String>) -> StatusCode {
    if let Some(issuer) = gw.env.issuers.find(&key) {
        issuer.forget().await;
    }
    StatusCode::NO_CONTENT
}

/// `GET /openid-connect/jwks`: the public keys the gateway signs `private_key_jwt` client
/// assertions with when a plugin has no `client_jwk` (register them at the provider as the
/// client's `jwks`, or point its `jwks_uri` here). The key is generated on first need, here or
/// by such a plugin, and is the same for every instance of this gateway (see
/// [`crate::rp::keys::Keyring`]). A keyring file that cannot be read is a 500.
pub(super) async fn jwks(AxumState(gw): Shared) -> (StatusCode, Json<Value>) {
    let keys = gw.env.client_keys.clone();
    // RSA key generation takes a moment of CPU: off the async workers.
    match tokio::task::spawn_blocking(move || keys.public_jwks()).await {
        Ok(Ok(set)) => (StatusCode::OK, Json(set)),
        Ok(Err(reason)) => {
            tracing::error!(%reason, "openid-connect keyring");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"message": "An unexpected error occurred"})),
            )
        }
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"message": "An unexpected error occurred"})),
        ),
    }
}
